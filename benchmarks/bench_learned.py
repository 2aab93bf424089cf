"""Benchmark: deep hedging training on JAX against pfhedge 0.23 (PyTorch), same problem.

Run ``python benchmarks/bench_learned.py`` (``--help`` for the sizes). pfhedge needs numpy < 2
and torch, so it runs in another interpreter: set ``HEDGELIB_PFHEDGE_PYTHON`` to a Python
with ``numpy<2``, ``torch`` (CPU) and ``pfhedge==0.23.0``, e.g.::

    python -m venv pfhedge-venv
    pfhedge-venv/bin/pip install "numpy<2" torch==2.13.0 pfhedge==0.23.0
    HEDGELIB_PFHEDGE_PYTHON=pfhedge-venv/bin/python python benchmarks/bench_learned.py

Without it, only hedgelib's numbers are printed.

The problem (pfhedge's tutorial, at our sizes): hedge a short at-the-money European call
(S = K = 100, 30 trading days, 30 steps) on Black-Scholes paths (sigma = 20%, no drift, no
costs), features log-moneyness, time to maturity, volatility and the previous hedge, a
perceptron with two hidden layers of 32 ReLU units, the entropic risk with a = 1, Adam at
learning rate 1e-3, ``--steps`` Adam steps of ``--batch`` paths each.

What is measured
----------------
1. **Training throughput**: paths x steps per second through the forward and backward pass
   and the Adam update. pfhedge: ``Hedger.fit(n_paths=batch, n_epochs=steps,
   validation=False)``, which draws fresh paths each step (its path simulation is included;
   it costs under 1% of a step); hedgelib: ``DeepHedge.fit`` on ``steps / 10`` batches of
   paths for 10 epochs, compilation excluded (reported apart; it is paid once per process
   and network shape, and kept on disk across processes). Best of ``--repeat`` runs each:
   the machine is shared.
2. **Final loss**: both are trained again for ``--loss-steps`` Adam steps of the first batch
   size (long enough for both to settle), and both trained networks are run by hedgelib's
   engine on the same fresh paths; pfhedge's weights come back as plain numbers and its raw inputs are mapped to
   hedgelib's scaled ones by rescaling the first layer (the same function of the same
   state). The entropic risk of the hedged P&L without the premium (pfhedge's convention)
   is printed for both, and the relative difference.

Target (issue 12): at least 5x pfhedge's throughput on CPU, the same final loss within 5%.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hedgelib.book import Book, OptionLeg  # noqa: E402
from hedgelib.hedging import run_experiment  # noqa: E402
from hedgelib.learned import DeepHedge, Policy  # noqa: E402
from hedgelib.market.models import GBM  # noqa: E402
from hedgelib.risk import entropic_risk  # noqa: E402

S0 = K = 100.0
DAYS = 30
T = DAYS / 252
SIGMA = 0.2
BOOK = Book([OptionLeg("call", K, T, -1.0)])
MODEL = GBM(0.0, SIGMA)

PFHEDGE_SCRIPT = r"""
import json, sys, time
import torch
from pfhedge.instruments import BrownianStock, EuropeanOption
from pfhedge.nn import EntropicRiskMeasure, Hedger, MultiLayerPerceptron

cfg = json.loads(sys.argv[1])
torch.manual_seed(cfg["seed"])
torch.set_num_threads(cfg["threads"])
stock = BrownianStock(sigma=cfg["sigma"], dt=cfg["T"] / cfg["n_steps"])
option = EuropeanOption(stock, strike=cfg["K"], maturity=cfg["T"])
model = MultiLayerPerceptron(n_layers=2, n_units=32)
hedger = Hedger(model, ["log_moneyness", "time_to_maturity", "volatility", "prev_hedge"],
                criterion=EntropicRiskMeasure(a=1.0))
init = (cfg["S0"],)
hedger.fit(option, n_paths=cfg["batch"], n_epochs=2, init_state=init, validation=False, verbose=False)
best = float("inf")
for _ in range(cfg["repeat"]):
    torch.manual_seed(cfg["seed"])
    model = MultiLayerPerceptron(n_layers=2, n_units=32)
    hedger = Hedger(model, ["log_moneyness", "time_to_maturity", "volatility", "prev_hedge"],
                    criterion=EntropicRiskMeasure(a=1.0))
    hedger.fit(option, n_paths=8, n_epochs=1, init_state=init, validation=False, verbose=False)
    start = time.perf_counter()
    hedger.fit(option, n_paths=cfg["batch"], n_epochs=cfg["steps"], init_state=init, validation=False,
               verbose=False)
    best = min(best, time.perf_counter() - start)
layers = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
print(json.dumps({
    "seconds": best,
    "weights": [l.weight.detach().double().numpy().T.tolist() for l in layers],
    "biases": [l.bias.detach().double().numpy().tolist() for l in layers],
    "torch": torch.__version__, "threads": torch.get_num_threads(),
}))
"""


def hedgelib_run(batch: int, steps: int, repeat: int, seed: int) -> tuple[DeepHedge, float, float, float]:
    """Train ``steps`` Adam steps of ``batch`` paths; best throughput of ``repeat`` runs."""
    epochs = 10
    n_paths = batch * max(1, steps // epochs)
    best, best_hedge, wall, first_compile = 0.0, None, math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        hedge = DeepHedge(hidden=(32, 32), loss="entropic", risk_aversion=1.0).fit(
            MODEL, BOOK, spot=S0, horizon=T, n_steps=DAYS, n_paths=n_paths, seed=seed,
            hedge_volatility=SIGMA, epochs=epochs, batch_size=batch, learning_rate=1e-3)
        wall = min(wall, time.perf_counter() - start)
        if first_compile is None:
            # The first run's: later runs in the process reuse the compiled step.
            first_compile = hedge.training.compile_seconds
        if hedge.training.path_steps_per_second > best:
            best, best_hedge = hedge.training.path_steps_per_second, hedge
    return best_hedge, best, first_compile, wall


def pfhedge_run(python: str, batch: int, steps: int, repeat: int, seed: int, threads: int) -> dict:
    cfg = {"seed": seed, "sigma": SIGMA, "T": T, "n_steps": DAYS, "K": K, "S0": S0, "batch": batch,
           "steps": steps, "repeat": repeat, "threads": threads}
    out = subprocess.run([python, "-c", PFHEDGE_SCRIPT, json.dumps(cfg)], capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"pfhedge run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def pfhedge_as_policy(result: dict) -> DeepHedge:
    """pfhedge's network as a hedgelib policy: its raw inputs (log S/K, tau, sigma, prev) are
    hedgelib's scaled ones times (sigma_0 sqrt(T), T, sigma_0, 1), so the first layer's rows
    are multiplied by those factors; the function of the state is unchanged."""
    w = [np.asarray(a, dtype=float) for a in result["weights"]]
    b = [np.asarray(a, dtype=float) for a in result["biases"]]
    scale = np.array([SIGMA * math.sqrt(T), T, SIGMA, 1.0])
    w[0] = w[0] * scale[:, None]
    features = ("log_moneyness", "time_to_expiry", "volatility", "prev_hedge")
    policy = Policy(tuple(w), tuple(b), features, K, 1.0, SIGMA, T, BOOK)
    return DeepHedge(hidden=(32, 32), features=features, policy=policy)


def loss_on_fresh_paths(hedge: DeepHedge, n_paths: int, seed: int) -> tuple[float, float]:
    """Entropic risk (a = 1) of the hedged P&L without the premium, and its standard error."""
    res = run_experiment(MODEL, BOOK, spot=S0, horizon=T, n_steps=DAYS, n_paths=n_paths, seed=seed,
                         hedge_volatility=SIGMA, strategy=hedge)
    x = res.pnl - (-res.premium)  # the premium received is +|premium|: take it out
    rho = entropic_risk(x, 1.0)
    e = np.exp(-(x - x.min()))
    se = float(np.std(e, ddof=1) / math.sqrt(x.size) / np.mean(e))  # delta method
    return rho, se


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[1000, 10000],
                    help="paths per Adam step (pfhedge's default is 1000)")
    ap.add_argument("--steps", type=int, default=200, help="Adam steps at the first batch size")
    ap.add_argument("--loss-steps", type=int, default=1000,
                    help="Adam steps of the run whose final losses are compared")
    ap.add_argument("--eval-paths", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    python = os.environ.get("HEDGELIB_PFHEDGE_PYTHON", "").strip()
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    import jax

    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, {threads} cores; problem: short ATM call, "
          f"{DAYS} steps, MLP 32x32, entropic a=1, Adam 1e-3")
    print(f"{'batch':>7} {'steps':>6} | {'hedgelib path-steps/s':>22} {'compile s':>9} | "
          f"{'pfhedge path-steps/s':>21} | {'ratio':>6}")
    for batch in args.batch:
        # The same number of paths through the network at every batch size.
        steps = max(10, args.steps * args.batch[0] // batch)
        hedge, speed, compile_s, _ = hedgelib_run(batch, steps, args.repeat, args.seed)
        pf_speed, ratio, pf = math.nan, math.nan, None
        if python:
            pf = pfhedge_run(python, batch, steps, args.repeat, args.seed, threads)
            pf_speed = batch * steps * DAYS / pf["seconds"]
            ratio = speed / pf_speed
        print(f"{batch:>7} {steps:>6} | {speed:>22,.0f} {compile_s:>9.1f} | {pf_speed:>21,.0f} | {ratio:>6.1f}")
    batch = args.batch[0]
    hedge, speed, _, wall = hedgelib_run(batch, args.loss_steps, 1, args.seed)
    pf = pfhedge_run(python, batch, args.loss_steps, 1, args.seed, threads) if python else None
    rho, se = loss_on_fresh_paths(hedge, args.eval_paths, args.seed + 1)
    print(f"\nFinal loss after {args.loss_steps} steps of {batch} paths, on {args.eval_paths:,} common "
          "fresh paths (entropic risk, premium excluded):")
    print(f"  hedgelib  {rho:.4f} +/- {se:.4f}   (trained in {wall:.1f} s with compilation, "
          f"{speed:,.0f} path-steps/s)")
    if pf is not None:
        rho_pf, se_pf = loss_on_fresh_paths(pfhedge_as_policy(pf), args.eval_paths, args.seed + 1)
        print(f"  pfhedge   {rho_pf:.4f} +/- {se_pf:.4f}   (trained in {pf['seconds']:.1f} s, "
              f"{batch * args.loss_steps * DAYS / pf['seconds']:,.0f} path-steps/s; torch {pf['torch']}, "
              f"{pf['threads']} threads)")
        print(f"  relative difference {(rho - rho_pf) / rho_pf:+.2%} (target: within 5%)")
    else:
        print("  pfhedge: not run; set HEDGELIB_PFHEDGE_PYTHON to a Python with pfhedge 0.23 to compare")
    rho_delta = entropic_risk(
        (r := run_experiment(MODEL, BOOK, spot=S0, horizon=T, n_steps=DAYS, n_paths=args.eval_paths,
                             seed=args.seed + 1, hedge_volatility=SIGMA)).pnl + r.premium, 1.0)
    print(f"  reference: the Black-Scholes delta hedge, {rho_delta:.4f}")


if __name__ == "__main__":
    main()
