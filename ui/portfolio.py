"""Cached runs, display shaping and takeaways for the Portfolio Hedging page.

The page's inputs are declared in :mod:`hedgelib.scenario.portfolio` (from the insurance
registries, the market models and the cost models, in trader units) and drawn by
:mod:`ui.forms`; the library runs them (:func:`hedgelib.portfolio.compare_insurance`,
:func:`~hedgelib.portfolio.compare_backtest`, :func:`~hedgelib.portfolio.insurance_programme`,
:func:`~hedgelib.portfolio.futures_hedge`). This module calls those once per set of inputs
(cached, bounded) and shapes the results for display; it holds no finance of its own.

Session-state keys (page prefix ``"ph_"``)
-----------------------------------------
``ph_<name>`` for every input of :func:`hedgelib.scenario.portfolio.portfolio_fields`
    the two forms' widgets (``ph_use_cppi``, ``ph_floor_pct``, ``ph_market``, ``ph_model``,
    ``ph_rule``, ``ph_cost_bp``, ``ph_fut_method``, ...), in trader units; the date inputs
    ``ph_ins_start``, ``ph_fut_start``, ``ph_fut_end`` hold ``datetime.date``.
``ph_tab``
    the tabs (state-tracked, so only the open tab runs): ``"Insurance"`` or ``"Futures hedge"``;
    also the ``tab`` input of the scenario, so a link or a preset opens on its tab.
``ph_submitted``
    plain dict of every input of the run on show (dates as ISO text): the last Run of either
    tab, upload, link or preset. It outlives Streamlit's widget cleanup on a page switch.
``ph_link_problems``, ``ph_note``, ``ph_write_link``, ``ph_upload``, ``ph_download_scenario``
    the scenario link and file helpers of :mod:`ui.scenario`.
``ph_src_*``
    the sidebar's data-source picker (:func:`ui.source_picker.pick_source`), used when a
    series is "the data source in use".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError
from hedgelib.market.history import PriceHistory
from hedgelib.portfolio import (
    HEDGE_METHODS,
    INSURANCE_RULES,
    INSURANCE_STRATEGIES,
    InsuranceProgramme,
    compare_backtest,
    compare_insurance,
    futures_hedge,
    insurance_programme,
)
from hedgelib.scenario.inputs import REGISTRIES
from hedgelib.scenario.portfolio import (
    futures_keywords,
    horizon_years,
    insurance_costs,
    insurance_model,
    insurance_rule,
    insurance_strategies,
    portfolio_fields,
    series_key,
)
from ui.errors import in_labels, registry_parts
from ui.sources import SourceChoice, load_bundled_cached
from ui.units import format_number

__all__ = [
    "DATE_FIELDS",
    "FUTURES_INPUTS",
    "INSURANCE_INPUTS",
    "PREFIX",
    "SUBMITTED",
    "SUMMARY_HEADERS",
    "TAB_KEY",
    "FuturesView",
    "InsuranceView",
    "futures_takeaway",
    "insurance_takeaway",
    "labelled",
    "run_futures",
    "run_insurance_view",
    "run_programme",
    "series_history",
    "show_error",
    "subset",
    "summary_frame",
    "widget_value",
]

PREFIX = "ph_"
SUBMITTED = "ph_submitted"
DATE_FIELDS = ("ins_start", "fut_start", "fut_end")
#: Inputs of the Futures tab (the rest belong to the Insurance tab).
FUTURES_INPUTS: tuple[str, ...] = tuple(k for k in portfolio_fields() if k.startswith("fut_"))
INSURANCE_INPUTS: tuple[str, ...] = tuple(k for k in portfolio_fields()
                                          if not k.startswith("fut_") and k != "tab")
#: The tabs widget's key: its value is the label of the open tab.
TAB_KEY = "ph_tab"
# Cached runs kept per server process; an insurance view holds a few arrays of n_paths.
CACHE_ENTRIES = 8
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def subset(settings: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The inputs of one tab: its cache key, so that the other tab's inputs do not rerun it."""
    return {k: settings[k] for k in names if k in settings}


def widget_value(name: str, value: Any) -> Any:
    """A submitted input as its widget holds it (dates as ``datetime.date``)."""
    return dt.date.fromisoformat(value) if name in DATE_FIELDS and isinstance(value, str) else value


def labelled(message: str, inputs: tuple[str, ...]) -> str:
    """A library message with the input it names shown by its label, among one tab's
    ``inputs``; the part the message names first (a strategy, the model, the costs) decides
    between inputs that set arguments of one name (the put's volatility and the model's)."""
    fields = portfolio_fields()
    parts = registry_parts(INSURANCE_STRATEGIES, INSURANCE_RULES, REGISTRIES["model"], REGISTRIES["costs"])
    return in_labels(message, {k: fields[k] for k in inputs}, parts)


def show_error(exc: HedgeLibError, where: str, inputs: tuple[str, ...]) -> None:
    """A library error on the page, naming the tab and the input by its label (among the
    tab's ``inputs``); the other tab still renders."""
    st.error(f"{where}: {labelled(str(exc), inputs)}")


def series_history(choice: str, source: SourceChoice) -> PriceHistory:
    """The whole history of a series choice: a bundled series, or the data source in use."""
    key = series_key(choice)
    if key is not None:
        return load_bundled_cached(key)
    if source.history is None:
        raise HedgeLibError(
            "series: the data source in use is a simulated model; pick real data (Yahoo Finance "
            "or a CSV file) in the sidebar, or a bundled series"
        )
    return source.history


# --------------------------------------------------------------------------------------------
# insurance


@dataclass(frozen=True)
class InsuranceView:
    """What the Insurance tab shows of one run, per strategy (keyed by registry name).

    ``times`` are trading days from the start; ``dates`` the dates on history (else None).
    ``bands`` hold the value's quantiles over paths at each time (on history the single path
    as the 0.5 level); ``terminal`` the terminal values; ``index_return`` the risky asset's
    return over the horizon per path, percent.
    """

    labels: dict[str, str]
    times: np.ndarray
    dates: pd.DatetimeIndex | None
    bands: dict[str, dict[float, np.ndarray]]
    floors: dict[str, np.ndarray]
    terminal: dict[str, np.ndarray]
    summaries: dict[str, dict[str, float]]
    index_return: np.ndarray
    capital: float
    n_paths: int
    n_steps: int
    market: str


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Insuring...")
def run_insurance_view(settings: dict[str, Any], prices: pd.Series | None) -> InsuranceView:
    """Run the Insurance tab's inputs (cached on them). ``prices`` are the closes of the real
    series when the market is history. Raises ``HedgeLibError`` for bad input (not cached)."""
    specs = insurance_strategies(settings)
    common = dict(capital=float(settings["capital"]), rate=settings["rate_pct"] / 100.0,
                  dividend_yield=settings["div_pct"] / 100.0, rule=insurance_rule(settings),
                  costs=insurance_costs(settings))
    if settings["market"] == "model":
        results = compare_insurance(
            specs, insurance_model(settings), horizon=horizon_years(settings),
            n_steps=int(settings["n_steps"]), n_paths=int(settings["n_paths"]),
            seed=int(settings["seed"]), **common)
    else:
        if prices is None:
            raise HedgeLibError("market: no price history given for a real-history run")
        results = compare_backtest(specs, prices, start=settings["ins_start"],
                                   horizon=horizon_years(settings), **common)
    first = next(iter(results.values()))
    many = first.n_paths > 1
    bands = {}
    for name, res in results.items():
        if many:
            qs = np.quantile(res.value, QUANTILES, axis=1)
            bands[name] = dict(zip(QUANTILES, qs, strict=True))
        else:
            bands[name] = {0.5: res.value[:, 0].copy()}
    return InsuranceView(
        labels={k: r.label for k, r in results.items()},
        times=first.times * TRADING_DAYS_PER_YEAR, dates=first.dates, bands=bands,
        floors={k: r.floor for k, r in results.items()},
        terminal={k: r.terminal_value.copy() for k, r in results.items()},
        summaries={k: r.summary() for k, r in results.items()},
        index_return=100.0 * (first.spot_end / first.spot_start - 1.0),
        capital=first.capital, n_paths=first.n_paths, n_steps=first.n_steps,
        market=settings["market"],
    )


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Replaying the yearly programmes...")
def run_programme(settings: dict[str, Any], prices: pd.Series) -> InsuranceProgramme:
    """Every strategy renewed each calendar year over the whole series (cached)."""
    return insurance_programme(
        insurance_strategies(settings), prices, capital=float(settings["capital"]),
        rate=settings["rate_pct"] / 100.0, dividend_yield=settings["div_pct"] / 100.0,
        rule=insurance_rule(settings), costs=insurance_costs(settings))


_SUMMARY_COLUMNS = {
    "mean_terminal": "Mean terminal value",
    "q01": "1% quantile",
    "median": "Median",
    "breach_probability": "Breach probability (%)",
    "expected_shortfall": "Expected shortfall below floor",
    "upside_capture": "Upside capture (%)",
    "upside_given_up": "Upside given up",
    "max_drawdown": "Mean max drawdown (%)",
    "mean_cost": "Transaction costs",
    "premium": "Put premium",
}
#: The summary's header on the page, where eleven full names do not fit a laptop screen (the
#: full name is the header's help, and the CSV keeps it).
SUMMARY_HEADERS = {
    "Mean terminal value": "Mean value", "1% quantile": "1% quantile", "Median": "Median",
    "Breach probability (%)": "Breach %", "Expected shortfall below floor": "ES below floor",
    "Upside capture (%)": "Upside %", "Upside given up": "Upside lost",
    "Mean max drawdown (%)": "Max DD %", "Transaction costs": "Costs", "Put premium": "Premium",
}
_PERCENT = ("breach_probability", "upside_capture", "max_drawdown")


def summary_frame(view: InsuranceView) -> pd.DataFrame:
    """One row per strategy: the headline numbers, percentages in percent."""
    rows = []
    for name, s in view.summaries.items():
        row = {"Strategy": view.labels[name]}
        for key, label in _SUMMARY_COLUMNS.items():
            row[label] = 100.0 * s[key] if key in _PERCENT else s[key]
        rows.append(row)
    return pd.DataFrame(rows)


def insurance_takeaway(view: InsuranceView) -> str:
    """One line reading the run: who kept the floor, and what the insurance cost."""
    s = view.summaries
    labels = view.labels
    kept = [labels[k] for k, v in s.items() if v["breach_probability"] == 0.0 and v["floor"] > 0]
    worst = max(s, key=lambda k: s[k]["breach_probability"])
    where = (f"over {view.n_paths:,} paths" if view.n_paths > 1 else "on this stretch of history")
    parts = [f"Takeaway {where}: "]
    parts.append(f"{', '.join(kept)} never went below the floor" if kept else "every strategy breached its floor somewhere")
    if s[worst]["breach_probability"] > 0 and view.n_paths > 1:
        parts.append(f"; {labels[worst]} was below it on {100 * s[worst]['breach_probability']:.1f}% of "
                     f"paths (expected shortfall {format_number(s[worst]['expected_shortfall'])})")
    elif s[worst]["breach_probability"] > 0:
        below = [k for k in s if s[k]["breach_probability"] > 0]
        parts.append("; " + ", ".join(f"{labels[k]} went below it (ending {format_number(s[k]['shortfall_given_breach'])} "
                                      "under)" if s[k]["shortfall_given_breach"] > 0 else f"{labels[k]} went below it "
                                      "on the way" for k in below))
    insured = [k for k in s if k != "buy_and_hold" and math.isfinite(s[k]["upside_capture"])]
    if insured and view.n_paths > 1:
        best = max(insured, key=lambda k: s[k]["upside_capture"])
        parts.append(f". {labels[best]} kept the most upside: {100 * s[best]['upside_capture']:.0f}% of "
                     "buy-and-hold's gain when the market rose")
    return "".join(parts) + "."


# --------------------------------------------------------------------------------------------
# futures


@dataclass(frozen=True)
class FuturesView:
    """The Futures tab's run: the chosen method's hedge and every method's headline numbers."""

    hedge: Any
    methods: pd.DataFrame
    by_year: pd.DataFrame


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Hedging with futures...")
def run_futures(settings: dict[str, Any], portfolio: pd.Series, index: pd.Series) -> FuturesView:
    """Hedge ``portfolio`` with futures on ``index`` by every method (cached); the chosen one
    in full. Raises ``HedgeLibError`` for bad input (not cached)."""
    kw = futures_keywords(settings)
    chosen = kw.pop("method")
    rows, by_year = [], {}
    hedge = None
    for method, label in HEDGE_METHODS.items():
        h = futures_hedge(portfolio, index, method=method, **kw)
        if method == chosen:
            hedge = h
        s = h.summary()
        rows.append({"Method": label, "Variance reduction (%)": 100.0 * s["variance_reduction"],
                     "Volatility (%)": 100.0 * s["volatility_hedged"], "Beta to the index": s["beta_hedged"],
                     "Max drawdown (%)": 100.0 * s["max_drawdown_hedged"],
                     "Return (% a year)": 100.0 * s["return_hedged"], "Costs (% of capital)": 100.0 * s["costs"]})
        by_year[label] = 100.0 * h.variance_by_year()["variance_reduction"]
    return FuturesView(hedge=hedge, methods=pd.DataFrame(rows), by_year=pd.DataFrame(by_year))


def futures_takeaway(view: FuturesView) -> str:
    """One line: how much variance the chosen hedge removed, at what cost."""
    h = view.hedge
    s = h.summary()
    if h.method == "none":
        return (f"Takeaway: unhedged, {h.portfolio_name} had a volatility of {100 * s['volatility_unhedged']:.1f}% "
                f"a year and a beta of {s['beta_unhedged']:.2f} to {h.index_name}.")
    how = {"beta": "in a rolling OLS beta", "min_variance": "in the EWMA minimum-variance ratio",
           "static": "in one beta fitted before the start"}[h.method]
    return (f"Takeaway: selling {h.index_name} futures {how} removed "
            f"{100 * s['variance_reduction']:.0f}% of the variance of {h.portfolio_name}: volatility "
            f"{100 * s['volatility_unhedged']:.1f}% -> {100 * s['volatility_hedged']:.1f}% a year, beta "
            f"{s['beta_unhedged']:.2f} -> {s['beta_hedged']:.2f}, for {100 * s['costs']:.2f}% of the capital "
            f"in costs over {s['n_rolls']:.0f} rolls.")
