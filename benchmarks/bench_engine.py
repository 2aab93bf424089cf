"""Benchmark: the hedging engine against the numpy delta hedges a good engineer would write.

Run ``python benchmarks/bench_engine.py`` (add ``--help`` for the sizes). In one run it prints:

1. on 100,000 paths x 252 steps, the times of :func:`simulate_hedge` (path simulation
   included) and :func:`run_experiment` against two baselines: the obvious numpy version (all
   GBM paths in one ``(n_steps + 1, n_paths)`` array, ``scipy.stats.norm.cdf`` deltas) and
   the lean loop (paths drawn step by step in place, deltas from ``scipy.special.ndtr``, no
   option price per step, nothing recorded); and the floor: one normal draw and one normal
   CDF per path-step, the least any delta hedge on simulated paths must compute, on one core
   and split over the cores. The engine does more than either baseline (a greek explain,
   attribution, a cost breakdown, an unhedged P&L, any book, rule and cost model);
2. that they give the same answer to Monte Carlo error: means and standard deviations of the
   P&L and the costs, and their differences in standard-error units (independent paths);
3. the peak RSS of :func:`run_experiment` on 1,000,000 paths x 252 steps, measured in a
   fresh subprocess with ``ru_maxrss`` (target < 1.5 GB), beside the RSS after imports.

Each timing is the best of ``--repeat`` runs (default 2): the machine is shared, and the best
run is the one least disturbed by other users. The time of the path simulation alone
(``GBM.simulate`` on all paths at once, as ``simulate_hedge`` is given them) is printed too:
it bounds the speed-up that ``simulate_hedge`` can show whatever the engine does.

The case: a short one-year at-the-money call, S = K = 100, sigma = 20%, r = drift = 5%,
hedged daily at 20% with 10 bp one-way proportional costs.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from scipy.special import ndtr
from scipy.stats import norm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hedgelib.book import Book, OptionLeg  # noqa: E402
from hedgelib.hedging.costs import TransactionCosts  # noqa: E402
from hedgelib.hedging.engine import simulate_hedge  # noqa: E402
from hedgelib.hedging.experiment import run_experiment  # noqa: E402
from hedgelib.market.models import GBM  # noqa: E402

S0, K, T, SIGMA, R, COST = 100.0, 100.0, 1.0, 0.2, 0.05, 1e-3
BOOK = Book([OptionLeg("call", K, T, -1.0)])
MODEL = GBM(R, SIGMA)


def plain_numpy_hedge(n_paths: int, n_steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The obvious implementation: returns (P&L, costs) per path, the engine's conventions.

    Sell the call for its Black-Scholes price, hold delta shares, rebalance every step paying
    COST * |trade| * S, accrue cash at R, settle the call and sell the shares at expiry.
    """
    rng = np.random.default_rng(seed)
    dt = T / n_steps
    z = rng.standard_normal((n_steps, n_paths))
    log_s = np.empty((n_steps + 1, n_paths))
    log_s[0] = math.log(S0)
    np.cumsum((R - 0.5 * SIGMA**2) * dt + SIGMA * math.sqrt(dt) * z, axis=0, out=log_s[1:])
    log_s[1:] += math.log(S0)
    spot = np.exp(log_s)
    del z, log_s

    def bs_call(s, tau):
        d1 = (np.log(s / K) + (R + 0.5 * SIGMA**2) * tau) / (SIGMA * np.sqrt(tau))
        d2 = d1 - SIGMA * np.sqrt(tau)
        return s * norm.cdf(d1) - K * np.exp(-R * tau) * norm.cdf(d2), norm.cdf(d1)

    premium, delta0 = bs_call(S0, T)
    delta = np.full(n_paths, delta0)
    cost = COST * S0 * np.abs(delta)
    cash = premium - delta * S0 - cost
    growth = math.exp(R * dt)
    for i in range(1, n_steps + 1):
        s = spot[i]
        cash *= growth
        new = bs_call(s, T - i * dt)[1] if i < n_steps else np.zeros(n_paths)
        trade = new - delta
        c = COST * s * np.abs(trade)
        cash -= trade * s + c
        cost += c
        delta = new
    pnl = cash - np.maximum(spot[-1] - K, 0.0)
    return pnl, cost


def lean_numpy_hedge(n_paths: int, n_steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The lean loop: the same hedge, paths drawn step by step into O(n_paths) buffers, one
    ``ndtr`` per path-step for the delta, in-place arithmetic, nothing else computed."""
    rng = np.random.default_rng(seed)
    dt = T / n_steps
    drift, vol = (R - 0.5 * SIGMA**2) * dt, SIGMA * math.sqrt(dt)
    sd = SIGMA * math.sqrt(T)
    d1 = (math.log(S0 / K) + (R + 0.5 * SIGMA**2) * T) / sd
    premium = S0 * float(ndtr(d1)) - K * math.exp(-R * T) * float(ndtr(d1 - sd))
    s = np.full(n_paths, S0)
    delta = np.full(n_paths, float(ndtr(d1)))
    cost = COST * S0 * delta
    cash = premium - delta * S0 - cost
    growth = math.exp(R * dt)
    z, d, new, trade, c = (np.empty(n_paths) for _ in range(5))
    for i in range(1, n_steps + 1):
        rng.standard_normal(out=z)
        z *= vol
        z += drift
        np.exp(z, out=z)
        s *= z
        cash *= growth
        if i < n_steps:
            tau = T - i * dt
            sq = SIGMA * math.sqrt(tau)
            np.log(s, out=d)
            d += (R + 0.5 * SIGMA**2) * tau - math.log(K)
            d /= sq
            ndtr(d, out=new)
        else:
            new.fill(0.0)
        np.subtract(new, delta, out=trade)
        np.multiply(trade, s, out=c)
        cash -= c
        np.abs(trade, out=c)
        c *= s
        c *= COST
        cash -= c
        cost += c
        delta, new = new, delta
    return cash - np.maximum(s - K, 0.0), cost


def floor_time(n_paths: int, n_steps: int, threads: int) -> float:
    """Wall seconds of one normal draw and one ndtr per path-step, in blocks of 16,384 paths
    split over ``threads`` threads: what any delta hedge on simulated paths must compute."""
    block = 16384
    starts = list(range(0, n_paths, block))

    def work(a: int) -> None:
        m = min(block, n_paths - a)
        rng = np.random.default_rng(a)
        z = np.empty(m)
        for _ in range(n_steps):
            rng.standard_normal(out=z)
            ndtr(z, out=z)

    t0 = time.perf_counter()
    if threads == 1:
        for a in starts:
            work(a)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, starts))
    return time.perf_counter() - t0


def timed(fn, *args, **kw):
    """Result, wall seconds and CPU seconds of this process (CPU time is robust to other
    users' load on a shared machine; for a multi-threaded run it adds up the threads)."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    return out, time.perf_counter() - w0, time.process_time() - c0


def describe(name: str, pnl: np.ndarray, cost: np.ndarray) -> None:
    n = pnl.size
    print(
        f"  {name:<16} P&L mean {pnl.mean():+.5f} (se {pnl.std(ddof=1) / math.sqrt(n):.5f})  "
        f"std {pnl.std(ddof=1):.5f}  cost mean {cost.mean():.5f} (se {cost.std(ddof=1) / math.sqrt(n):.5f})"
    )


def se_units(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Differences of means and of standard deviations in SE units (independent samples)."""
    na, nb = a.size, b.size
    se_mean = math.sqrt(a.var(ddof=1) / na + b.var(ddof=1) / nb)

    def se_std(x: np.ndarray) -> float:
        d = x - x.mean()
        m2, m4 = float(np.mean(d * d)), float(np.mean(d**4))
        return math.sqrt((m4 - m2 * m2) / x.size) / (2 * math.sqrt(m2))

    se_sd = math.hypot(se_std(a), se_std(b))
    return (a.mean() - b.mean()) / se_mean, (a.std(ddof=1) - b.std(ddof=1)) / se_sd


RSS_CODE = """
import resource, sys, time
sys.path.insert(0, {root!r})
from hedgelib.book import Book, OptionLeg
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.experiment import run_experiment
from hedgelib.market.models import GBM
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
res = run_experiment(GBM({r}, {sigma}), Book([OptionLeg("call", {k}, {t}, -1.0)]), spot={s0},
                     horizon={t}, n_steps={n_steps}, n_paths={n_paths}, seed=1,
                     hedge_volatility={sigma}, rate={r}, costs=TransactionCosts(proportional={cost}))
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
# VmHWM is this process's own high-water mark (ru_maxrss may carry the parent's over exec).
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(base, peak, hwm, elapsed, res.n_paths, float(res.pnl.std()))
"""


def peak_rss(n_paths: int, n_steps: int) -> None:
    code = RSS_CODE.format(
        root=str(Path(__file__).resolve().parents[1]),
        r=R,
        sigma=SIGMA,
        k=K,
        t=T,
        s0=S0,
        n_steps=n_steps,
        n_paths=n_paths,
        cost=COST,
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    base, peak, hwm, elapsed, n, std = out.stdout.split()
    # ru_maxrss and VmHWM are in kilobytes on Linux.
    gb = 1024.0**2
    print(f"Peak RSS of run_experiment, {int(n):,} paths x {n_steps} steps (fresh subprocess):")
    print(
        f"  ru_maxrss after imports {int(base) / gb:.3f} GB, at the end {int(peak) / gb:.3f} GB "
        f"(VmHWM {int(hwm) / gb:.3f} GB); target < 1.5 GB: "
        f"{'OK' if int(peak) / gb < 1.5 else 'MISSED'}; {float(elapsed):.1f} s, "
        f"P&L std {float(std):.5f}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=252)
    parser.add_argument("--rss-paths", type=int, default=1_000_000)
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs")
    args = parser.parse_args()
    m, n = args.paths, args.steps
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cores available: {cores}; load average now: {os.getloadavg()[0]:.2f}\n")
    # Memory first, while this process is small: ru_maxrss survives exec, so a child started
    # after the plain version's big arrays would report this process's peak, not its own.
    if not args.skip_rss:
        peak_rss(args.rss_paths, n)

    print(
        f"{m:,} paths x {n} steps, short ATM call, daily delta hedge, {COST:g} proportional costs"
    )
    costs = TransactionCosts(proportional=COST)
    exp_kw = dict(
        spot=S0, horizon=T, n_steps=n, n_paths=m, hedge_volatility=SIGMA, rate=R, costs=costs
    )

    def engine() -> object:
        paths = MODEL.simulate(S0, T, n, m, rng=12)
        return simulate_hedge(BOOK, paths, hedge_volatility=SIGMA, rate=R, costs=costs)

    def experiment_one_thread() -> object:
        with ThreadPoolExecutor(1) as pool:
            return run_experiment(MODEL, BOOK, seed=14, executor=pool, **exp_kw)

    def best(fn, *a, **kw):
        # Best wall and best CPU time over the repeats, with the last run's result.
        out, walls, cpus = None, [], []
        for _ in range(max(1, args.repeat)):
            out, wall, cpu = timed(fn, *a, **kw)
            walls.append(wall)
            cpus.append(cpu)
        return out, min(walls), min(cpus)

    def simulation_only() -> None:
        MODEL.simulate(S0, T, n, m, rng=12)

    runs = [
        ("plain numpy", *best(plain_numpy_hedge, m, n, 11)),
        ("lean numpy loop", *best(lean_numpy_hedge, m, n, 15)),
        ("simulate_hedge", *best(engine)),
        ("run_experiment 1 thread", *best(experiment_one_thread)),
        (f"run_experiment {cores} threads", *best(run_experiment, MODEL, BOOK, seed=13, **exp_kw)),
    ]
    (p_pnl, p_cost), t_plain, c_plain = runs[0][1:]
    _, t_sim, c_sim = best(simulation_only)

    (l_pnl, l_cost), t_lean, c_lean = runs[1][1:]
    floors = {k: min(floor_time(m, n, k) for _ in range(max(1, args.repeat))) for k in sorted({1, cores})}

    print("\nSame answer to Monte Carlo error (independent paths):")
    describe("plain numpy", p_pnl, p_cost)
    describe("lean numpy loop", l_pnl, l_cost)
    for name, res, _, _ in runs[2:]:
        describe(name, res.pnl, res.costs)
    for name, res, _, _ in runs[2:]:
        dm, ds = se_units(res.pnl, p_pnl)
        dc, _ = se_units(res.costs, p_cost)
        print(
            f"  {name} - plain: P&L mean {dm:+.2f} SE, P&L std {ds:+.2f} SE, cost mean {dc:+.2f} SE"
        )

    print("\nTimes (path simulation included); x = baseline / this, wall clock:")
    print(f"  {'':<28}{'wall s':>8}{'CPU s':>8}{'plain x':>9}{'lean x':>8}{'floor x':>9}")
    floor = floors[cores]
    for name, _, wall, cpu in runs:
        print(f"  {name:<28}{wall:8.2f}{cpu:8.2f}{t_plain / wall:9.2f}{t_lean / wall:8.2f}"
              f"{floor / wall:9.2f}")
    print(f"  {'(path simulation alone)':<28}{t_sim:8.2f}{c_sim:8.2f}{t_plain / t_sim:9.2f}"
          f"{t_lean / t_sim:8.2f}{floor / t_sim:9.2f}")
    for k, f in floors.items():
        print(f"  floor on {k} core(s): one normal draw + one ndtr per path-step = {f:.2f} s")
    print("  (the engine computes N(d1) and the normal density per path-step, plus N(d2) with a")
    print("   rate, the explain and the bookkeeping: it cannot reach the floor; CPU s sums threads)")


if __name__ == "__main__":
    main()
