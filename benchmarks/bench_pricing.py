"""Benchmark: vectorised Black-Scholes-Merton pricing and implied volatility.

Run ``python benchmarks/bench_pricing.py``. Two comparisons, each against a reference run in
this process on a sample of options and scaled to the full count:

1. price and the five first-order greeks of 1,000,000 options with
   ``bs_price_and_greeks(..., order=1)`` (two threads, and on one) against QuantLib option by option (VanillaOption + AnalyticEuropeanEngine over quotes, the
   way a user would write it);
2. implied volatility of 1,000,000 prices with ``implied_vol`` against a per-option
   ``scipy.optimize.brentq`` loop, once over a lean pure-Python pricing formula (the fastest
   such loop) and once over hedgelib's own scalar ``bs_price``.
"""

from __future__ import annotations

import math
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import QuantLib as ql
from scipy.optimize import brentq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hedgelib._parallel import serial  # noqa: E402
from hedgelib.pricing.black_scholes import bs_greeks, bs_price, bs_price_and_greeks  # noqa: E402
from hedgelib.pricing.implied_vol import implied_vol  # noqa: E402

N = 1_000_000
N_QUANTLIB = 3_000
N_BRENTQ = 2_000
SEED = 20240601


def market(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A listed-options-like cross-section: strikes +-50% around spot, 1 week to 2 years."""
    days = rng.integers(7, 731, n)
    return {
        "spot": np.full(n, 100.0),
        "strike": 100.0 * np.exp(rng.uniform(-0.5, 0.5, n)),
        "time_to_expiry": days / 365.0,
        "volatility": rng.uniform(0.1, 0.8, n),
        "rate": rng.uniform(-0.01, 0.06, n),
        "dividend_yield": rng.uniform(0.0, 0.04, n),
    }


def best_of(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def one_thread(func) -> float:
    """best_of(func) with the library's thread pool off (everything in this thread)."""
    with serial():
        return best_of(func)


def quantlib_loop(m: dict[str, np.ndarray], kind: str) -> np.ndarray:
    """Price and greeks option by option with QuantLib's analytic European engine."""
    today = ql.Date(1, 6, 2024)
    ql.Settings.instance().evaluationDate = today
    day_count = ql.Actual365Fixed()
    spot, rate, div, vol = (ql.SimpleQuote(0.0) for _ in range(4))
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(spot),
        ql.YieldTermStructureHandle(ql.FlatForward(today, ql.QuoteHandle(div), day_count)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, ql.QuoteHandle(rate), day_count)),
        ql.BlackVolTermStructureHandle(
            ql.BlackConstantVol(today, ql.NullCalendar(), ql.QuoteHandle(vol), day_count)
        ),
    )
    engine = ql.AnalyticEuropeanEngine(process)
    option_type = ql.Option.Call if kind == "call" else ql.Option.Put
    out = np.empty((m["spot"].size, 6))
    for i in range(m["spot"].size):
        spot.setValue(float(m["spot"][i]))
        rate.setValue(float(m["rate"][i]))
        div.setValue(float(m["dividend_yield"][i]))
        vol.setValue(float(m["volatility"][i]))
        expiry = today + int(round(m["time_to_expiry"][i] * 365))
        option = ql.VanillaOption(
            ql.PlainVanillaPayoff(option_type, float(m["strike"][i])), ql.EuropeanExercise(expiry)
        )
        option.setPricingEngine(engine)
        out[i] = (option.NPV(), option.delta(), option.gamma(), option.vega(), option.theta(),
                  option.rho())
    return out


def lean_call_price(s: float, k: float, t: float, v: float, r: float, q: float) -> float:
    sd = v * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q) * t) / sd + 0.5 * sd
    d2 = d1 - sd
    return (s * math.exp(-q * t) * 0.5 * math.erfc(-d1 / math.sqrt(2.0))
            - k * math.exp(-r * t) * 0.5 * math.erfc(-d2 / math.sqrt(2.0)))


def brentq_loop(prices: np.ndarray, m: dict[str, np.ndarray], pricer) -> tuple[np.ndarray, int]:
    out = np.full(prices.size, np.nan)
    failures = 0
    for i in range(prices.size):
        args = (m["spot"][i], m["strike"][i], m["time_to_expiry"][i])
        r, q = m["rate"][i], m["dividend_yield"][i]
        try:
            out[i] = brentq(
                lambda v, a=args, r=r, q=q, p=prices[i]: pricer(*a, v, r, q) - p,
                1e-6, 10.0, xtol=1e-14, rtol=1e-15, maxiter=200,
            )
        except ValueError:
            failures += 1
    return out, failures


def main() -> None:
    rng = np.random.default_rng(SEED)
    m = market(N, rng)
    sample = {key: val[:N_QUANTLIB] for key, val in m.items()}
    print(f"cores: {os.cpu_count()}   options: {N:,}")

    # 1. price + first-order greeks
    # QuantLib computes price and the five first-order greeks, so the like-for-like call is
    # order=1; the full eight are timed as well.
    t_vec = best_of(lambda: bs_price_and_greeks(**m, kind="call", order=1))
    t_vec_1 = one_thread(lambda: bs_price_and_greeks(**m, kind="call", order=1))
    t_all = best_of(lambda: bs_price_and_greeks(**m, kind="call"))
    t_price = best_of(lambda: bs_price(**m, kind="call"))
    t_greeks = best_of(lambda: bs_greeks(**m, kind="call"))
    start = time.perf_counter()
    ref = quantlib_loop(sample, "call")
    t_ql = (time.perf_counter() - start) / N_QUANTLIB * N
    price, g = bs_price_and_greeks(**sample, kind="call")
    ours = np.column_stack([price, g.delta, g.gamma, g.vega, g.theta, g.rho])
    worst = np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1.0))
    print("\nprice + delta, gamma, vega, theta, rho")
    print(f"  bs_price_and_greeks, order=1      {t_vec:8.3f} s   (one thread: {t_vec_1:.3f} s)")
    print(f"  bs_price_and_greeks, all 8 greeks {t_all:8.3f} s")
    print(f"  bs_price alone                    {t_price:8.3f} s")
    print(f"  bs_greeks alone (all 8 greeks)    {t_greeks:8.3f} s")
    print(f"  QuantLib per option (scaled from {N_QUANTLIB:,})  {t_ql:8.1f} s")
    print(f"  ratio QuantLib / vectorised: {t_ql / t_vec:8.0f}x   (target >= 300x; "
          f"one thread {t_ql / t_vec_1:.0f}x, all 8 greeks {t_ql / t_all:.0f}x)")
    print(f"  max relative difference to QuantLib on the sample: {worst:.1e}")

    # 2. implied volatility
    kinds = np.where(rng.random(N) < 0.5, "call", "put")
    prices = np.empty(N)
    for kind in ("call", "put"):
        sel = kinds == kind
        prices[sel] = bs_price(**{k: v[sel] for k, v in m.items()}, kind=kind)
    mk = {k: v for k, v in m.items() if k != "volatility"}
    # Calls only for the loops and the vectorised timing, so the comparison is like for like.
    call_prices = bs_price(**m, kind="call")
    t_iv = best_of(lambda: implied_vol(call_prices, **mk, kind="call"))
    t_iv_1 = one_thread(lambda: implied_vol(call_prices, **mk, kind="call"))
    small = {k: v[:N_BRENTQ] for k, v in m.items()}
    start = time.perf_counter()
    lean, lean_fail = brentq_loop(call_prices[:N_BRENTQ], small, lean_call_price)
    t_lean = (time.perf_counter() - start) / N_BRENTQ * N
    start = time.perf_counter()
    own, own_fail = brentq_loop(
        call_prices[: N_BRENTQ // 4], {k: v[: N_BRENTQ // 4] for k, v in small.items()},
        lambda s, k, t, v, r, q: bs_price(s, k, t, v, r, q, "call"),
    )
    t_own = (time.perf_counter() - start) / (N_BRENTQ // 4) * N

    iv_mixed = np.empty(N)
    for kind in ("call", "put"):
        sel = kinds == kind
        iv_mixed[sel] = implied_vol(prices[sel], **{k: v[sel] for k, v in mk.items()}, kind=kind)
    vega = np.empty(N)
    for kind in ("call", "put"):
        sel = kinds == kind
        vega[sel] = bs_greeks(**{k: v[sel] for k, v in m.items()}, kind=kind).vega
    informative = vega > 1e-8 * m["spot"]
    err = np.abs(iv_mixed - m["volatility"])
    sdq = m["spot"] * np.exp(-m["dividend_yield"] * m["time_to_expiry"])
    kdr = m["strike"] * np.exp(-m["rate"] * m["time_to_expiry"])
    otm = np.where(kinds == "call", sdq <= kdr, sdq >= kdr)
    print("\nimplied volatility")
    print(f"  implied_vol (vectorised, calls)             {t_iv:8.3f} s   (one thread: "
          f"{t_iv_1:.3f} s)")
    print(f"  brentq over a lean math-module formula      {t_lean:8.1f} s (scaled from "
          f"{N_BRENTQ:,}; {lean_fail} bracket failures)")
    print(f"  brentq over hedgelib.bs_price (scalar)      {t_own:8.1f} s (scaled from "
          f"{N_BRENTQ // 4:,}; {own_fail} bracket failures)")
    print(f"  ratio lean brentq / vectorised: {t_lean / t_iv:8.0f}x   (target >= 100x; "
          f"one thread {t_lean / t_iv_1:.0f}x)")
    print(f"  ratio bs_price brentq / vectorised: {t_own / t_iv:8.0f}x")
    print(f"  round trip, calls and puts, vega > 1e-8 S ({informative.sum():,} options): "
          f"max |iv - sigma| = {np.nanmax(err[informative]):.1e}, "
          f"NaN: {int(np.isnan(iv_mixed[informative]).sum())}")
    print(f"    out of / at the money: {np.nanmax(err[informative & otm]):.1e};  in the money: "
          f"{np.nanmax(err[informative & ~otm]):.1e} (limited by ulp(price) / vega)")
    lean_err = np.abs(lean - m["volatility"][:N_BRENTQ])[informative[:N_BRENTQ]]
    print(f"  brentq (lean) max |iv - sigma| on its sample, same options: {np.nanmax(lean_err):.1e}")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
