"""Time and peak memory of path simulation, 100,000 paths x 252 steps, per model.

Each case runs in a fresh subprocess so that peak resident set sizes do not mix. The
reference for each model is the straightforward vectorised implementation: draw all the
random numbers for all steps at once as (n_steps, n_paths) arrays, build the log returns,
``cumsum`` and ``exp``. ``hedgelib`` instead draws each step's numbers as it takes the step
and writes that row straight into the preallocated output.

Run:  python benchmarks/bench_paths.py [--paths 100000] [--steps 252]
Prints, per model: seconds, peak RSS above the interpreter's baseline, the output size, and
the ratios hedgelib / reference.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPOT, HORIZON, RATE = 100.0, 1.0, 0.03

PARAMS = {
    "gbm": dict(drift=RATE, volatility=0.2),
    "heston": dict(drift=RATE, v0=0.04, kappa=1.5, theta=0.04, xi=0.5, rho=-0.7),
    "merton": dict(drift=RATE, volatility=0.15, jump_intensity=1.0, jump_mean=-0.1, jump_std=0.15),
    "garch": dict(drift=RATE, omega=0.2**2 / 252 * 0.05, alpha=0.1, beta=0.85),
}


# --------------------------------------------------------------------------- references


def _prepend_spot(log_inc: np.ndarray) -> np.ndarray:
    np.cumsum(log_inc, axis=0, out=log_inc)
    out = np.empty((log_inc.shape[0] + 1, log_inc.shape[1]))
    out[0] = SPOT
    out[1:] = SPOT * np.exp(log_inc)
    return out


def ref_gbm(n_steps: int, n_paths: int, rng: np.random.Generator):
    p = PARAMS["gbm"]
    dt = HORIZON / n_steps
    z = rng.standard_normal((n_steps, n_paths))
    inc = (p["drift"] - 0.5 * p["volatility"] ** 2) * dt + p["volatility"] * math.sqrt(dt) * z
    return _prepend_spot(inc), None


def ref_merton(n_steps: int, n_paths: int, rng: np.random.Generator):
    p = PARAMS["merton"]
    dt = HORIZON / n_steps
    lam, m, s, sig = p["jump_intensity"], p["jump_mean"], p["jump_std"], p["volatility"]
    k = math.exp(m + 0.5 * s * s) - 1.0
    z = rng.standard_normal((n_steps, n_paths))
    counts = rng.poisson(lam * dt, (n_steps, n_paths))
    zj = rng.standard_normal((n_steps, n_paths))
    inc = (p["drift"] - lam * k - 0.5 * sig**2) * dt + sig * math.sqrt(dt) * z
    inc += counts * m + np.sqrt(counts) * s * zj
    return _prepend_spot(inc), None


def ref_garch(n_steps: int, n_paths: int, rng: np.random.Generator):
    p = PARAMS["garch"]
    dt = HORIZON / n_steps
    omega, a, b = p["omega"], p["alpha"], p["beta"]
    z = rng.standard_normal((n_steps, n_paths))
    var = np.empty((n_steps + 1, n_paths))
    var[0] = omega / (1.0 - a - b)
    for i in range(n_steps):
        var[i + 1] = omega + (a * z[i] ** 2 + b) * var[i]
    inc = p["drift"] * dt - 0.5 * var[:-1] + np.sqrt(var[:-1]) * z
    return _prepend_spot(inc), var * 252


def ref_heston(n_steps: int, n_paths: int, rng: np.random.Generator):
    """Andersen's QE-M with the same formulas, but all normals drawn up front."""
    from scipy.special import ndtr

    p = PARAMS["heston"]
    dt = HORIZON / n_steps
    kappa, theta, xi, rho = p["kappa"], p["theta"], p["xi"], p["rho"]
    e = math.exp(-kappa * dt)
    c1, c2 = xi * xi * e * (1 - e) / kappa, theta * xi * xi * (1 - e) ** 2 / (2 * kappa)
    k1 = 0.5 * dt * (kappa * rho / xi - 0.5) - rho / xi
    k2 = 0.5 * dt * (kappa * rho / xi - 0.5) + rho / xi
    k3 = k4 = 0.5 * dt * (1 - rho * rho)
    big_a = k2 + 0.5 * k4
    zv = rng.standard_normal((n_steps, n_paths))
    zx = rng.standard_normal((n_steps, n_paths))
    var = np.empty((n_steps + 1, n_paths))
    var[0] = p["v0"]
    inc = np.empty((n_steps, n_paths))
    for i in range(n_steps):
        v = var[i]
        m = theta + (v - theta) * e
        psi = (v * c1 + c2) / (m * m)
        quad = psi <= 1.5
        inv = 2 / psi
        b2 = np.maximum(inv - 1 + np.sqrt(inv) * np.sqrt(np.maximum(inv - 1, 0)), 0)
        a = m / (1 + b2)
        pp = (psi - 1) / (psi + 1)
        beta = (1 - pp) / m
        vq = a * (np.sqrt(b2) + zv[i]) ** 2
        ve = np.maximum(np.log((1 - pp) / ndtr(-zv[i])) / beta, 0)
        var[i + 1] = np.where(quad, vq, ve)
        den = np.where(quad, 1 - 2 * big_a * a, 1.0)
        log_m = np.where(
            quad,
            big_a * b2 * a / den - 0.5 * np.log(den),
            np.log(np.where(quad, 1.0, pp + beta * (1 - pp) / (beta - big_a))),
        )
        inc[i] = (
            -log_m
            - (k1 + 0.5 * k3) * v
            + k1 * v
            + k2 * var[i + 1]
            + np.sqrt(k3 * v + k4 * var[i + 1]) * zx[i]
            + p["drift"] * dt
        )
    return _prepend_spot(inc), var


REFERENCES = {"gbm": ref_gbm, "heston": ref_heston, "merton": ref_merton, "garch": ref_garch}


# --------------------------------------------------------------------------- child


def child(model_name: str, impl: str, n_paths: int, n_steps: int) -> None:
    sys.path.insert(0, str(ROOT))
    from hedgelib.market.models import GARCH, GBM, Heston, MertonJump

    classes = {"gbm": GBM, "heston": Heston, "merton": MertonJump, "garch": GARCH}
    model = classes[model_name](**PARAMS[model_name])
    rng = np.random.default_rng(2024)

    if impl == "hedgelib":

        def run():
            p = model.simulate(SPOT, HORIZON, n_steps, n_paths, rng=rng)
            return p.spot, p.variance
    else:

        def run():
            return REFERENCES[model_name](n_steps, n_paths, rng)

    # Warm up imports and code paths on a tiny problem before the baseline is read.
    if impl == "hedgelib":
        model.simulate(SPOT, HORIZON, 2, 8, rng=0)
    else:
        REFERENCES[model_name](2, 8, np.random.default_rng(0))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    spot, var = run()
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out_bytes = spot.nbytes + (0 if var is None else var.nbytes)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": (peak - base) / 1024,  # ru_maxrss is in KiB on Linux
                "output_mb": out_bytes / 2**20,
                "mean_terminal": float(spot[-1].mean()),
            }
        )
    )


# --------------------------------------------------------------------------- parent


def measure(model_name: str, impl: str, n_paths: int, n_steps: int) -> dict:
    cmd = [sys.executable, __file__, "--child", model_name, impl, str(n_paths), str(n_steps)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=252)
    ap.add_argument("--child", nargs=4, metavar=("MODEL", "IMPL", "N_PATHS", "N_STEPS"))
    args = ap.parse_args()
    if args.child:
        model_name, impl, n_paths, n_steps = args.child
        child(model_name, impl, int(n_paths), int(n_steps))
        return

    n_paths, n_steps = args.paths, args.steps
    row_mb = 8 * n_paths / 2**20
    print(
        f"{n_paths:,} paths x {n_steps} steps; one (n_steps+1, n_paths) float64 array = "
        f"{(n_steps + 1) * row_mb:.1f} MB, one row = {row_mb:.2f} MB"
    )
    print(
        f"{'model':8} {'impl':9} {'seconds':>8} {'peak MB':>9} {'output MB':>10} "
        f"{'extra rows':>11} {'E[S_T]':>9}"
    )
    ratios = []
    for name in PARAMS:
        results = {}
        for impl in ("hedgelib", "reference"):
            r = measure(name, impl, n_paths, n_steps)
            results[impl] = r
            extra_rows = (r["peak_mb"] - r["output_mb"]) / row_mb
            print(
                f"{name:8} {impl:9} {r['seconds']:8.2f} {r['peak_mb']:9.1f} {r['output_mb']:10.1f} "
                f"{extra_rows:11.1f} {r['mean_terminal']:9.3f}"
            )
        h, ref = results["hedgelib"], results["reference"]
        ratios.append((name, h["seconds"] / ref["seconds"], h["peak_mb"] / ref["peak_mb"]))
    print(f"\nexpected E[S_T] = {SPOT * math.exp(RATE * HORIZON):.3f} for every model")
    print("ratios hedgelib / reference:")
    for name, t, m in ratios:
        print(f"  {name:8} time {t:5.2f}x   peak memory {m:5.2f}x")


if __name__ == "__main__":
    main()
