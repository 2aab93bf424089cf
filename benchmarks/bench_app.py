"""Benchmark: the compute behind each page's default scenario, against a budget.

Run ``python benchmarks/bench_app.py`` (``--repeat N``, default 3). For every page it times
the same ``ui`` helper the page calls with the page's default inputs, in process, with the
Streamlit cache cleared before each call so that every timing is a cold run (outside a
Streamlit server the cached helpers still work, through an in-memory cache, and only log a
"No runtime found" warning, silenced here). It prints each time (best of ``--repeat``: the
machine is shared and the best run is the least disturbed), its budget and the ratio of the
two, and the ratio to a reference workload timed in the same process (Black-Scholes prices
and greeks of 1,000,000 options), so that figures from machines of different speed compare.
The core count and the peak RSS close the report.

The pages and their calls:

- Option Book: ``analyse_book`` of the default straddle (value, greeks, curves, statistics,
  two P&L heatmaps).
- Underlying: ``analyse_history`` of the bundled S&P 500 2014-2018 (21-day realised volatility
  against the VIX), and ``simulate_fan`` of the default GBM (1,000 paths x 252 steps).
- Monte Carlo Hedge Lab: ``run_lab`` at the defaults, 10,000 paths x 63 steps (budget one
  second), and the same call on the Hull preset (10,000 x 100).
- Historical Backtest: ``run_backtest`` of the default rolling programme (monthly short
  one-month straddles at the VIX over 2018), and the "Short vol through February 2018" preset.
- Rule Comparison and Risk, when those pages are present: ``run_comparison`` at the defaults;
  ``run_lab``, ``run_stress`` and ``run_historical`` at the Risk page's defaults.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HEDGELIB_OFFLINE", "1")  # the defaults need no network

import streamlit as st  # noqa: E402

from hedgelib import bs_greeks, bs_price  # noqa: E402
from hedgelib.book import preset_book  # noqa: E402
from hedgelib.conventions import TRADING_DAYS_PER_YEAR  # noqa: E402


def _quiet_streamlit() -> None:
    # Cached helpers called outside a Streamlit run log a warning per call: noise here.
    from streamlit import config
    from streamlit.logger import set_log_level

    config.get_option("logger.level")  # parse the config first: parsing resets the log level
    set_log_level("error")


def _best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        st.cache_data.clear()  # every run cold: the page's first visit with these inputs
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _reference() -> None:
    s = np.linspace(50.0, 150.0, 1_000_000)
    bs_price(s, 100.0, 0.25, 0.2, 0.03)
    bs_greeks(s, 100.0, 0.25, 0.2, 0.03)


def _cases() -> list[tuple[str, float, Callable[[], Any]]]:
    """(label, budget in seconds, call) for every page present."""
    from ui.backtest import FIELDS as BT_FIELDS
    from ui.backtest import default_dates, real_history, run_backtest
    from ui.hedge_lab import FIELDS as HL_FIELDS
    from ui.hedge_lab import default_book, run_lab
    from ui.option_book import analyse_book
    from ui.pages import available_pages
    from ui.presets import PRESETS, preset_settings
    from ui.source_picker import current_source, default_source
    from ui.state import DEFAULT_MARKET
    from ui.underlying import analyse_history, simulate_fan

    state: dict[str, Any] = {}
    market = dict(DEFAULT_MARKET)
    market_in = {k: market[k] for k in ("spot", "rate", "dividend_yield")}
    pages = {p.path for p in available_pages()}
    cases: list[tuple[str, float, Callable[[], Any]]] = []

    # Option Book: the page's default preset (straddle, 63 trading days, width 10%).
    straddle = preset_book("straddle", market["spot"], 63 / TRADING_DAYS_PER_YEAR, width=0.10).to_dict()
    cases.append(("Option Book: analyse_book (default straddle)", 0.5,
                  lambda: analyse_book(straddle, market["spot"], market["volatility"], market["rate"],
                                       market["dividend_yield"], 0.0)))

    # Underlying: the default source, its analysis and the default simulation form.
    choice = current_source(state)
    prices = choice.history.prices
    cases.append(("Underlying: analyse_history (S&P 500 2014-2018, 21 d, VIX)", 0.5,
                  lambda: analyse_history(prices, 21, True)))
    model = default_source()["model"]
    cases.append(("Underlying: simulate_fan (GBM, 1,000 x 252)", 0.5,
                  lambda: simulate_fan(model, float(model["spot"]), 1.0, 252, 1000, 7)))

    # Monte Carlo Hedge Lab: the defaults, and the Hull preset.
    lab = {k: f.default for k, f in HL_FIELDS.items()}
    book = default_book(market["spot"]).to_dict()
    cases.append(("Hedge Lab: run_lab defaults (10,000 x 63)", 1.0, lambda: run_lab(dict(lab), book, market_in)))
    hull = PRESETS[0]
    hull_settings = preset_settings(hull)
    hull_market = {k: hull.market[k] for k in ("spot", "rate", "dividend_yield")}
    cases.append(("Hedge Lab: run_lab Hull preset (10,000 x 100)", 1.5,
                  lambda: run_lab(dict(hull_settings), dict(hull.book), hull_market)))

    # Historical Backtest: the page's defaults (dates: the last year of the window).
    full, window, _ = real_history(choice, state)
    start, end = default_dates(window)
    bt = {**{k: f.default for k, f in BT_FIELDS.items()}, "start": start, "end": end}
    cases.append(("Backtest: run_backtest defaults (monthly, 2018, VIX)", 1.5,
                  lambda: run_backtest(dict(bt), full.prices)))
    short_vol = next(p for p in PRESETS if p.key == "short_vol_2018")
    sv = preset_settings(short_vol)
    cases.append(("Backtest: run_backtest short-vol preset (13 trades)", 1.5,
                  lambda: run_backtest(dict(sv), full.prices)))

    if "pages/5_Rule_Comparison.py" in pages:
        from ui.rule_comparison import SCHEMA as RC_SCHEMA
        from ui.rule_comparison import WIDGETS as RC_WIDGETS
        from ui.rule_comparison import hedge_count, run_comparison

        rc = {**{k: RC_SCHEMA.defaults[k] for k in RC_WIDGETS}, "setups": RC_SCHEMA.defaults["setups"]}
        runs = sum(hedge_count(rc))
        cases.append((f"Rule Comparison: run_comparison defaults ({runs} hedges of 5,000 x 63)", 4.0,
                      lambda: run_comparison(dict(rc), book, market_in)))

    if "pages/6_Risk.py" in pages:
        from ui.risk_page import FIELDS as RK_FIELDS
        from ui.risk_page import (
            FORM_FIELDS,
            base_lab_settings,
            historical_input,
            lab_settings,
            run_historical,
            run_stress,
            shock_axes,
        )

        rk = {k: f.default for k, f in RK_FIELDS.items()}
        risk_lab = lab_settings({k: rk[k] for k in FORM_FIELDS}, base_lab_settings(state, market))
        ds, dv = shock_axes(rk, market["volatility"])
        full_market = {k: float(market[k]) for k in ("spot", "volatility", "rate", "dividend_yield")}
        hist = historical_input(choice)

        def risk() -> None:
            run_lab(dict(risk_lab), book, market_in)
            run_stress(book, full_market, tuple(map(float, ds)), tuple(map(float, dv)),
                       int(rk["stress_days"]), rk["strategy"], None)
            run_historical(book, hist.prices, full_market, int(rk["hist_days"]),
                           rk["hist_level_pct"] / 100.0, rk["strategy"], None)

        cases.append(("Risk: run_lab + run_stress + run_historical defaults", 1.5, risk))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (best kept)")
    args = parser.parse_args()

    rss_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _quiet_streamlit()
    cases = _cases()
    _reference()  # warm-up: first-call costs out of the reference
    ref = _best(_reference, args.repeat)
    print(f"cores: {os.cpu_count()}   reference (BS price + greeks of 1,000,000 options): {ref:.3f} s")
    print(f"{'page: call':<68} {'time s':>7} {'budget':>7} {'/budget':>8} {'/ref':>6}")
    over = []
    for label, budget, fn in cases:
        t = _best(fn, args.repeat)
        flag = "" if t <= budget else "  OVER BUDGET"
        if flag:
            over.append(label)
        print(f"{label:<68} {t:7.3f} {budget:7.2f} {t / budget:8.2f} {t / ref:6.1f}{flag}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {rss:.0f} MB (after imports {rss_imports:.0f} MB)")
    print("all within budget" if not over else f"over budget: {', '.join(over)}")


if __name__ == "__main__":
    main()
