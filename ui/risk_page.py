"""Inputs, cached runners and text for the Risk page.

The page shows three views of the current book's risk, each computed by one cached library
call:

- **Monte Carlo VaR and ES**, hedged and unhedged: :func:`hedgelib.hedging.run_experiment`
  on a Hedge Lab scenario (:func:`hedgelib.scenario.hedge_lab_simulation`) built from a
  compact set of inputs (model, volatility, strategy, rule, hedge volatility, cost, run);
  everything the page does not ask for comes from the Hedge Lab's last run in this session,
  or from its defaults.
- **Stress grid**: :func:`hedgelib.stress.stress_grid` over spot shocks (percent) x
  volatility shocks (vol points).
- **Historical VaR**: :func:`hedgelib.stress.historical_var` on the real series chosen in
  the shared source picker (the bundled S&P 500 when a simulated source is chosen).

It holds no finance of its own: it converts trader units to library units and back.

Session-state keys (page prefix ``"rk_"``)
-----------------------------------------
``rk_<name>`` for every input of :func:`risk_fields`
    the page's widgets in trader units: the Monte Carlo form (``rk_model``, ``rk_vol_pct``,
    ``rk_strategy``, ``rk_rule`` and its parameters, ``rk_hedge_vol_pct``, ``rk_cost_bp``,
    ``rk_n_paths``, ``rk_n_steps``, ``rk_seed``); the stress grid (``rk_spot_range_pct``,
    ``rk_spot_points``, ``rk_vol_range_pts``, ``rk_vol_points``, ``rk_stress_days``);
    historical VaR (``rk_hist_days``, ``rk_hist_level_pct``).
``rk_submitted``
    plain dict of the Monte Carlo form's inputs on show (the last Run).
``rk_saved``
    plain dict copy of every widget value: Streamlit drops a page's widget state when the
    user leaves the page, and the page restores it from here.
``rk_src_*``
    the shared source picker's widgets on this page (:func:`ui.source_picker.pick_source`).
``rk_link_read``, ``rk_link_problems``, ``rk_note``, ``rk_write_link``, ``rk_link_ready``,
``rk_upload``,
``rk_download_scenario``, ``rk_download_measures``
    the shareable link and scenario files (:mod:`ui.scenario`, :func:`risk_schema`): ignored
    link parameters; the last upload's outcome; URL writes (after arrival the URL follows
    every change); the uploader; the scenario and VaR/ES downloads.

The page reads the shared ``"book"``, ``"market"`` and ``"source"`` keys and the Hedge
Lab's ``"hl_submitted"``; it writes them only through the picker, or when a link or
scenario file carries a book, market inputs or a bundled series.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from hedgelib.book import Book
from hedgelib.conventions import (
    MAX_VOLATILITY,
    MIN_VOLATILITY,
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
)
from hedgelib.hedging import run_experiment
from hedgelib.hedging.setup import RULES, STRATEGIES
from hedgelib.market.history import BUNDLED
from hedgelib.risk import risk_summary
from hedgelib.scenario import (
    DEFAULT_SERIES,
    HEDGE_OPTION_INPUTS,
    MARKET_BOUNDS,
    RULE_ALIASES,
    Market,
    ScenarioSchema,
    build_hedge_option,
    build_part,
    default_book,
    hedge_lab_fields,
    hedge_lab_simulation,
    registry_fields,
)
from hedgelib.stress import HistoricalVaR, StressGrid, historical_var, stress_grid
from ui.forms import Field, page_input
from ui.scenario import with_book_and_market
from ui.sources import SourceChoice, load_bundled_cached
from ui.state import DEFAULT_MARKET
from ui.units import format_number
from ui.widgets import progress_bar

__all__ = [
    "CACHE_ENTRIES",
    "FALLBACK_SERIES",
    "LEVELS",
    "PROGRESS_FROM",
    "HistoricalInput",
    "SimulatedRisk",
    "base_lab_settings",
    "form_fields",
    "hedge_inputs",
    "historical_input",
    "lab_settings",
    "mc_measures",
    "measures_frame",
    "risk_fields",
    "risk_schema",
    "run_historical",
    "run_simulation",
    "run_stress",
    "shock_axes",
    "stress_frame",
    "takeaway",
]

CACHE_ENTRIES = 16
# Runs at least this large show a progress bar (smaller ones finish before it would draw).
PROGRESS_FROM = 1_000_000
# Bundled series used when the chosen source is simulated: historical VaR needs real moves.
FALLBACK_SERIES = "sp500"
LEVELS = (0.95, 0.99)
# Most grid points per axis: a 41 x 41 grid is already finer than a heatmap can show.
MAX_GRID_POINTS = 41

_OWN: dict[str, Field] = {
    "n_paths": page_input("n_paths", "Paths", 5_000, low=100, high=200_000, step=1000),
    # stress grid
    "spot_range_pct": page_input("spot_range_pct", "Spot shocks up to ± (%)", 20.0, low=0.5, high=90.0,
                            step=5.0, help="Largest relative spot move of the grid, each way."),
    "spot_points": page_input("spot_points", "Spot shock points", 9, low=3, high=MAX_GRID_POINTS, step=2,
                         help="Points from -range to +range (an odd number includes 0)."),
    "vol_range_pts": page_input("vol_range_pts", "Volatility shocks up to ± (vol points)", 10.0,
                           low=0.5, high=100.0, step=1.0,
                           help="Largest absolute volatility move, each way; a shock that would "
                                "make the volatility negative is left out of the grid."),
    "vol_points": page_input("vol_points", "Volatility shock points", 5, low=3, high=MAX_GRID_POINTS,
                        step=2),
    "stress_days": page_input("stress_days", "Shock horizon (trading days)", 0, low=0, high=252, step=1,
                         help="0 is an instantaneous shock; more lets the options decay "
                              "(theta) while the market moves."),
    # historical VaR
    "hist_days": page_input("hist_days", "Historical horizon (trading days)", 1, low=1, high=63, step=1,
                       help="Each scenario applies one past h-day relative move of the series "
                            "to today's spot (overlapping windows)."),
    "hist_level_pct": page_input("hist_level_pct", "Confidence level (%)", 99.0,
                            choices=(95.0, 97.5, 99.0)),
}


def form_fields() -> tuple[str, ...]:
    """The Monte Carlo form's inputs: a compact subset of the Hedge Lab's, same units and
    meaning, with the parameters of every registered strategy and rule."""
    return ("model", "vol_pct", "strategy", *registry_fields(STRATEGIES), "rule",
            *registry_fields(RULES), "hedge_vol_pct", "cost_bp", "n_paths", "n_steps", "seed")


def risk_fields() -> dict[str, Field]:
    """Every input of the page, keyed by name, from the registries as they are now."""
    lab = hedge_lab_fields()
    lab["strategy"] = dataclasses.replace(
        lab["strategy"], label="Hedge",
        help="The hedge of the hedged position, in the simulation, the stress grid and "
             "historical VaR alike. Strategies with a hedge option use the Hedge Lab's (at the "
             "money, 126 trading days, unless changed there).")
    return {**{k: _OWN.get(k) or lab[k] for k in form_fields()},
            **{k: f for k, f in _OWN.items() if k != "n_paths"}}


def risk_schema() -> ScenarioSchema:
    """The page's scenario: its inputs, the book, the market (rates and volatility in percent)
    and the bundled series of historical VaR, so a shared link shows the same risk."""
    extra = with_book_and_market({}, default_book(DEFAULT_MARKET["spot"]), DEFAULT_MARKET,
                                 volatility=True)
    return ScenarioSchema.from_fields(
        "risk", risk_fields(), extra={**extra, **DEFAULT_SERIES},
        extra_choices={"source": tuple(BUNDLED)},
        extra_bounds={**{k: b for k, b in MARKET_BOUNDS.items() if k in extra},
                      "market_vol_pct": (100.0 * MIN_VOLATILITY, 100.0 * MAX_VOLATILITY)},
        aliases={"rule": RULE_ALIASES}, version=2,
    )


def base_lab_settings(state: Mapping[str, Any], market: Mapping[str, float]) -> dict[str, Any]:
    """The Hedge Lab settings the page starts from: its last run in this session, else its
    defaults with every volatility at the market's (so the book is sold at a fair price)."""
    fields = hedge_lab_fields()
    base = {k: f.default for k, f in fields.items()}
    submitted = state.get("hl_submitted")
    if isinstance(submitted, Mapping):
        return {**base, **{k: v for k, v in submitted.items() if k in fields}}
    vol = round(100.0 * float(market["volatility"]), 6)
    base.update(vol_pct=vol, hedge_vol_pct=vol, pricing_vol_pct=vol)
    return base


def lab_settings(form: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """Hedge Lab settings of the simulation: ``base`` with the form's inputs."""
    return {**base, **{k: form[k] for k in form_fields() if k in form}}


def hedge_inputs(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs of the static hedge of the stress grid and historical VaR: the strategy,
    its parameters and the hedge option."""
    keys = ("strategy", *registry_fields(STRATEGIES), *HEDGE_OPTION_INPUTS)
    return {k: settings[k] for k in keys if k in settings}


@dataclass(frozen=True)
class SimulatedRisk:
    """What the page shows of a simulation: the hedged run's summary, the unhedged P&L per
    path and the horizon (years)."""

    summary: dict[str, float]
    unhedged_pnl: np.ndarray
    horizon: float


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def run_simulation(settings: dict[str, Any], book_data: dict[str, Any],
                   market: dict[str, float]) -> SimulatedRisk:
    """Hedge the book on simulated paths (Hedge Lab ``settings``, cached on plain data);
    ``market`` has ``spot``, ``rate`` and ``dividend_yield``. Raises ``HedgeLibError``."""
    sim = hedge_lab_simulation(settings, book=Book.from_dict(book_data), market=Market(**market))
    with progress_bar(sim.size.n_paths * sim.size.n_steps >= PROGRESS_FROM, "Simulating...") as bar:
        res = run_experiment(**sim.keywords(), progress=bar)
    return SimulatedRisk(res.summary(), np.asarray(res.unhedged_pnl), sim.size.horizon)


def mc_measures(summary: Mapping[str, float], unhedged: np.ndarray) -> dict[str, dict[str, float]]:
    """``{"Unhedged": {"VaR 95%": ...}, "Hedged": {...}}`` from a run's summary (hedged) and
    the unhedged P&L of the same paths, through :mod:`hedgelib.risk`."""
    u = risk_summary(unhedged, LEVELS)
    out: dict[str, dict[str, float]] = {"Unhedged": {}, "Hedged": {}}
    for level in LEVELS:
        tag = f"{round(100 * level)}"
        for who, src in (("Unhedged", u), ("Hedged", summary)):
            out[who][f"VaR {tag}%"] = float(src[f"var_{tag}"])
            out[who][f"ES {tag}%"] = float(src[f"es_{tag}"])
    return out


def measures_frame(measures: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """The Monte Carlo VaR and ES as a table: one row per measure, unhedged and hedged columns.

    Examples
    --------
    >>> measures_frame({"Unhedged": {"VaR 95%": 2.0}, "Hedged": {"VaR 95%": 0.5}}).to_dict("records")
    [{'measure': 'VaR 95%', 'unhedged': 2.0, 'hedged': 0.5}]
    """
    names = list(measures["Unhedged"])
    return pd.DataFrame({"measure": names,
                         "unhedged": [measures["Unhedged"][n] for n in names],
                         "hedged": [measures["Hedged"][n] for n in names]})


# --------------------------------------------------------------------------------------------
# stress grid


def shock_axes(settings: Mapping[str, Any], volatility: float) -> tuple[np.ndarray, np.ndarray]:
    """Spot shocks (relative) and volatility shocks (decimal) of the grid.

    Volatility shocks that would take the volatility below zero are dropped (a shock of
    -10 points on a 6% volatility has no meaning), keeping at least the zero shock.
    """
    n_s, n_v = int(settings["spot_points"]), int(settings["vol_points"])
    for name, n in (("spot_points", n_s), ("vol_points", n_v)):
        if not 3 <= n <= MAX_GRID_POINTS:
            raise HedgeLibError(f"{name} must lie in [3, {MAX_GRID_POINTS}], got {n}")
    ds = np.linspace(-1.0, 1.0, n_s) * settings["spot_range_pct"] / 100.0
    dv = np.linspace(-1.0, 1.0, n_v) * settings["vol_range_pts"] / 100.0
    # Round away the linspace dust so that 0 sits exactly at the centre of an odd grid.
    ds, dv = np.round(ds, 12), np.round(dv, 12)
    dv = dv[volatility + dv >= 0.0]
    return ds, dv


def _static_hedge(hedge: Mapping[str, Any]) -> dict[str, Any]:
    return {"strategy": build_part("strategy", hedge), "hedge_option": build_hedge_option(hedge)}


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def run_stress(
    book_data: dict[str, Any],
    market: dict[str, float],
    spot_shocks: tuple[float, ...],
    vol_shocks: tuple[float, ...],
    horizon_days: int,
    hedge: dict[str, Any],
) -> StressGrid:
    """:func:`hedgelib.stress.stress_grid` on plain-data inputs (cached, bounded).

    ``market`` has ``spot``, ``volatility``, ``rate``, ``dividend_yield`` (decimals);
    ``hedge`` is :func:`hedge_inputs`. Raises ``HedgeLibError`` (not cached).
    """
    return stress_grid(
        Book.from_dict(book_data), spot=market["spot"], volatility=market["volatility"],
        rate=market["rate"], dividend_yield=market["dividend_yield"],
        spot_shocks=np.asarray(spot_shocks), vol_shocks=np.asarray(vol_shocks),
        horizon=horizon_days / TRADING_DAYS_PER_YEAR, **_static_hedge(hedge),
    )


def stress_frame(grid: StressGrid) -> pd.DataFrame:
    """The grid as a long table for download: shocks in percent and vol points, P&Ls."""
    rows = []
    for ds in grid.book.index:
        for dv in grid.book.columns:
            rows.append({
                "spot_shock_pct": 100.0 * ds,
                "vol_shock_pts": 100.0 * dv,
                "book_pnl": grid.book.loc[ds, dv],
                "book_pnl_greeks": grid.book_approx.loc[ds, dv],
                "hedged_pnl": grid.hedged.loc[ds, dv],
                "hedged_pnl_greeks": grid.hedged_approx.loc[ds, dv],
            })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# historical VaR


@dataclass(frozen=True)
class HistoricalInput:
    """The real series historical VaR uses, and whether it had to fall back to the default."""

    prices: pd.Series
    label: str
    fallback: bool


def historical_input(choice: SourceChoice) -> HistoricalInput:
    """The chosen real series, or the whole bundled S&P 500 when the source is simulated."""
    if choice.history is not None:
        h = choice.history
        label = f"{h.name}, {h.first_date.date()} to {h.last_date.date()}"
        return HistoricalInput(h.prices.rename(h.name), label, False)
    h = load_bundled_cached(FALLBACK_SERIES)
    label = f"{h.name}, {h.first_date.date()} to {h.last_date.date()} (bundled)"
    return HistoricalInput(h.prices.rename(h.name), label, True)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def run_historical(
    book_data: dict[str, Any],
    prices: pd.Series,
    market: dict[str, float],
    horizon_days: int,
    level: float,
    hedge: dict[str, Any],
) -> HistoricalVaR:
    """:func:`hedgelib.stress.historical_var` on plain-data inputs (cached, bounded).

    The series' moves are applied to the market's spot, at the market's volatility.
    Raises ``HedgeLibError`` (not cached).
    """
    return historical_var(
        Book.from_dict(book_data), prices, horizon_days=horizon_days, level=level,
        volatility=market["volatility"], spot=market["spot"], rate=market["rate"],
        dividend_yield=market["dividend_yield"], **_static_hedge(hedge),
    )


# --------------------------------------------------------------------------------------------
# text


def _cut(before: float, after: float) -> str:
    if before > 0 and after < before:
        return f"cuts it to {format_number(after)} ({1 - after / before:.0%} less)"
    return f"leaves it at {format_number(after)}"


def takeaway(
    strategy: str,
    measures: Mapping[str, Mapping[str, float]],
    grid: StressGrid,
    hist: HistoricalVaR,
) -> str:
    """One line reading the three views: the hedge's effect on VaR, the worst stress cell,
    and the historical VaR.

    >>> from hedgelib.book import preset_book
    >>> from hedgelib.stress import stress_grid, historical_var
    >>> b = preset_book("short_call", 100.0, 0.25)
    >>> g = stress_grid(b, spot=100.0, volatility=0.2, spot_shocks=[-0.1, 0.1], vol_shocks=[0.0])
    >>> h = historical_var(b, pd.Series([100.0, 90.0, 110.0]), level=0.5, volatility=0.2)
    >>> m = {"Unhedged": {"VaR 99%": 4.0}, "Hedged": {"VaR 99%": 1.0}}
    >>> takeaway("delta", m, g, h).split(";")[0]
    'Takeaway: in the simulation the delta hedge cuts the 99% VaR from 4.00 to 1.00'
    """
    u, h = measures["Unhedged"]["VaR 99%"], measures["Hedged"]["VaR 99%"]
    sim = (f"in the simulation the {strategy} hedge cuts the 99% VaR from {format_number(u)} to {format_number(h)}"
           if u > 0 and h < u else
           f"in the simulation the {strategy} hedge leaves the 99% VaR at {format_number(h)} against "
           f"{format_number(u)} unhedged")
    loss, ds, dv = grid.worst("hedged")
    book_loss, bds, bdv = grid.worst("book")
    stress = (f"the worst stress cell costs the book {format_number(book_loss)} (spot {100 * bds:+.0f}%, "
              f"vol {100 * bdv:+.0f} pts) and the hedged position "
              f"{format_number(loss)} (spot {100 * ds:+.0f}%, vol {100 * dv:+.0f} pts)")
    level = f"{100 * hist.level:g}%"
    history = (f"on {hist.series}'s past {hist.horizon_days}-day moves the {level} VaR is "
               f"{format_number(hist.var)} unhedged and the hedge {_cut(hist.var, hist.hedged_var)}")
    return f"Takeaway: {sim}; {stress}; {history}."
