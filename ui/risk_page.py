"""Inputs, cached runners and text for the Risk page.

The page shows three views of the current book's risk, each computed by one cached library
call:

- **Monte Carlo VaR and ES**, hedged and unhedged: the Hedge Lab's own cached runner
  (:func:`ui.hedge_lab.run_lab`, one :func:`hedgelib.hedging.run_experiment` call) on a
  compact set of inputs; everything the page does not ask for comes from the Hedge Lab's
  last run in this session, or from its defaults.
- **Stress grid**: :func:`hedgelib.stress.stress_grid` over spot shocks (percent) x
  volatility shocks (vol points).
- **Historical VaR**: :func:`hedgelib.stress.historical_var` on the real series chosen in
  the shared source picker (the bundled S&P 500 when a simulated source is chosen).

It holds no finance of its own: it converts trader units to library units and back.

Session-state keys (page prefix ``"rk_"``)
-----------------------------------------
``rk_<name>`` for every ``name`` in :data:`FIELDS`
    the page's widgets in trader units: the Monte Carlo form (``rk_model``, ``rk_vol_pct``,
    ``rk_strategy``, ``rk_hedge_vol_pct``, ``rk_cost_bp``, ``rk_n_paths``, ``rk_n_steps``,
    ``rk_seed``); the stress grid (``rk_spot_range_pct``, ``rk_spot_points``,
    ``rk_vol_range_pts``, ``rk_vol_points``, ``rk_stress_days``); historical VaR
    (``rk_hist_days``, ``rk_hist_level_pct``).
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
    the shareable link and scenario files (:mod:`ui.scenario`, :data:`SCHEMA`): ignored link
    parameters; the last upload's outcome; URL writes (after arrival the URL follows every
    change); the uploader; the scenario and VaR/ES downloads.

The page reads the shared ``"book"``, ``"market"`` and ``"source"`` keys and the Hedge
Lab's ``"hl_submitted"``; it writes them only through the picker, or when a link or
scenario file carries a book, market inputs or a bundled series.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from hedgelib.book import Book
from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError
from hedgelib.market.history import BUNDLED
from hedgelib.risk import risk_summary
from hedgelib.stress import HistoricalVaR, StressGrid, historical_var, stress_grid
from ui.backtest import SOURCE_DEFAULTS, source_scenario
from ui.fields import Field
from ui.hedge_lab import FIELDS as LAB_FIELDS
from ui.hedge_lab import build_hedge_option, default_book
from ui.scenario import ScenarioSchema
from ui.source_picker import SourceChoice, load_bundled_cached
from ui.state import DEFAULT_MARKET

__all__ = [
    "CACHE_ENTRIES",
    "FALLBACK_SERIES",
    "FIELDS",
    "FORM_FIELDS",
    "HEDGES",
    "LEVELS",
    "SCHEMA",
    "HistoricalInput",
    "base_lab_settings",
    "historical_input",
    "lab_settings",
    "mc_measures",
    "measures_frame",
    "scenario_of",
    "run_historical",
    "run_stress",
    "shock_axes",
    "stress_frame",
    "takeaway",
]

CACHE_ENTRIES = 16
# Bundled series used when the chosen source is simulated: historical VaR needs real moves.
FALLBACK_SERIES = "sp500"
LEVELS = (0.95, 0.99)
HEDGES: dict[str, str] = {
    "delta": "Delta (stock)",
    "delta-gamma": "Delta-gamma (stock + option)",
    "delta-vega": "Delta-vega (stock + option)",
}
# Most grid points per axis: a 41 x 41 grid is already finer than a heatmap can show.
MAX_GRID_POINTS = 41

FIELDS: dict[str, Field] = {
    # Monte Carlo (a compact subset of the Hedge Lab's inputs, same units and meaning)
    "model": LAB_FIELDS["model"],
    "vol_pct": LAB_FIELDS["vol_pct"],
    "strategy": Field("delta", "Hedge", choices=tuple(HEDGES),
                      help="The hedge of the hedged position, in the simulation, the stress grid "
                           "and historical VaR alike. Delta-gamma and delta-vega use the Hedge "
                           "Lab's hedge option (at the money, 126 trading days, unless changed "
                           "there)."),
    "hedge_vol_pct": LAB_FIELDS["hedge_vol_pct"],
    "cost_bp": LAB_FIELDS["cost_bp"],
    "n_paths": Field(5_000, "Paths", min=100, max=200_000, step=1000),
    "n_steps": LAB_FIELDS["n_steps"],
    "seed": LAB_FIELDS["seed"],
    # stress grid
    "spot_range_pct": Field(20.0, "Spot shocks up to ± (%)", min=0.5, max=90.0, step=5.0,
                            help="Largest relative spot move of the grid, each way."),
    "spot_points": Field(9, "Spot shock points", min=3, max=MAX_GRID_POINTS, step=2,
                         help="Points from -range to +range (an odd number includes 0)."),
    "vol_range_pts": Field(10.0, "Volatility shocks up to ± (vol points)", min=0.5, max=100.0,
                           step=1.0, help="Largest absolute volatility move, each way; "
                                          "a shock that would make the volatility negative is "
                                          "left out of the grid."),
    "vol_points": Field(5, "Volatility shock points", min=3, max=MAX_GRID_POINTS, step=2),
    "stress_days": Field(0, "Shock horizon (trading days)", min=0, max=252, step=1,
                         help="0 is an instantaneous shock; more lets the options decay "
                              "(theta) while the market moves."),
    # historical VaR
    "hist_days": Field(1, "Historical horizon (trading days)", min=1, max=63, step=1,
                       help="Each scenario applies one past h-day relative move of the series "
                            "to today's spot (overlapping windows)."),
    "hist_level_pct": Field(99.0, "Confidence level (%)", choices=(95.0, 97.5, 99.0)),
}
FORM_FIELDS: tuple[str, ...] = ("model", "vol_pct", "strategy", "hedge_vol_pct", "cost_bp",
                                "n_paths", "n_steps", "seed")

# The book, the market (rates and volatility in percent) and the bundled series of historical
# VaR travel with a scenario, so a shared link shows the same risk.
_EXTRA_DEFAULTS: dict[str, Any] = {
    "book": default_book(DEFAULT_MARKET["spot"]).to_dict(),
    "spot": float(DEFAULT_MARKET["spot"]),
    "market_vol_pct": 100.0 * DEFAULT_MARKET["volatility"],
    "rate_pct": 100.0 * DEFAULT_MARKET["rate"],
    "div_pct": 100.0 * DEFAULT_MARKET["dividend_yield"],
    **SOURCE_DEFAULTS,
}
SCHEMA = ScenarioSchema(
    page="risk",
    defaults={**{k: f.default for k, f in FIELDS.items()}, **_EXTRA_DEFAULTS},
    choices={**{k: f.choices for k, f in FIELDS.items() if f.choices is not None},
             "source": tuple(BUNDLED)},
    bounds={**{k: (f.min, f.max) for k, f in FIELDS.items() if f.min is not None or f.max is not None},
            "spot": (0.0, None), "market_vol_pct": (0.0, None)},
)


def scenario_of(inputs: Mapping[str, Any], book: Book, market: Mapping[str, float],
                description: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The page's full scenario (its inputs, book, market and data), and a note when the
    data source cannot travel (see :func:`ui.backtest.source_scenario`)."""
    source, note = source_scenario(description)
    return {
        **{k: inputs[k] for k in FIELDS},
        "book": book.to_dict(),
        "spot": float(market["spot"]),
        "market_vol_pct": 100.0 * float(market["volatility"]),
        "rate_pct": 100.0 * float(market["rate"]),
        "div_pct": 100.0 * float(market["dividend_yield"]),
        **source,
    }, note


def base_lab_settings(state: Mapping[str, Any], market: Mapping[str, float]) -> dict[str, Any]:
    """The Hedge Lab settings the page starts from: its last run in this session, else its
    defaults with every volatility at the market's (so the book is sold at a fair price)."""
    submitted = state.get("hl_submitted")
    if isinstance(submitted, Mapping) and set(LAB_FIELDS) <= set(submitted):
        return {k: submitted[k] for k in LAB_FIELDS}
    base = {k: f.default for k, f in LAB_FIELDS.items()}
    vol = round(100.0 * float(market["volatility"]), 6)
    base.update(vol_pct=vol, hedge_vol_pct=vol, pricing_vol_pct=vol)
    return base


def lab_settings(form: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """Hedge Lab settings for :func:`ui.hedge_lab.run_lab`: ``base`` with the form's inputs."""
    out = dict(base)
    out.update({k: form[k] for k in FORM_FIELDS})
    return out


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


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def run_stress(
    book_data: dict[str, Any],
    market: dict[str, float],
    spot_shocks: tuple[float, ...],
    vol_shocks: tuple[float, ...],
    horizon_days: int,
    strategy: str,
    hedge_option: dict[str, Any] | None,
) -> StressGrid:
    """:func:`hedgelib.stress.stress_grid` on plain-data inputs (cached, bounded).

    ``market`` has ``spot``, ``volatility``, ``rate``, ``dividend_yield`` (decimals);
    ``hedge_option`` is the Hedge Lab settings subset read by
    :func:`ui.hedge_lab.build_hedge_option`. Raises ``HedgeLibError`` (not cached).
    """
    hopt = None if hedge_option is None else build_hedge_option(hedge_option)
    return stress_grid(
        Book.from_dict(book_data), spot=market["spot"], volatility=market["volatility"],
        rate=market["rate"], dividend_yield=market["dividend_yield"],
        spot_shocks=np.asarray(spot_shocks), vol_shocks=np.asarray(vol_shocks),
        horizon=horizon_days / TRADING_DAYS_PER_YEAR, hedge=strategy, hedge_option=hopt,
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
    strategy: str,
    hedge_option: dict[str, Any] | None,
) -> HistoricalVaR:
    """:func:`hedgelib.stress.historical_var` on plain-data inputs (cached, bounded).

    The series' moves are applied to the market's spot, at the market's volatility.
    Raises ``HedgeLibError`` (not cached).
    """
    hopt = None if hedge_option is None else build_hedge_option(hedge_option)
    return historical_var(
        Book.from_dict(book_data), prices, horizon_days=horizon_days, level=level,
        volatility=market["volatility"], spot=market["spot"], rate=market["rate"],
        dividend_yield=market["dividend_yield"], hedge=strategy, hedge_option=hopt,
    )


# --------------------------------------------------------------------------------------------
# text


def _num(x: float) -> str:
    a = abs(x)
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _cut(before: float, after: float) -> str:
    if before > 0 and after < before:
        return f"cuts it to {_num(after)} ({1 - after / before:.0%} less)"
    return f"leaves it at {_num(after)}"


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
    sim = (f"in the simulation the {strategy} hedge cuts the 99% VaR from {_num(u)} to {_num(h)}"
           if u > 0 and h < u else
           f"in the simulation the {strategy} hedge leaves the 99% VaR at {_num(h)} against "
           f"{_num(u)} unhedged")
    loss, ds, dv = grid.worst("hedged")
    book_loss, bds, bdv = grid.worst("book")
    stress = (f"the worst stress cell costs the book {_num(book_loss)} (spot {100 * bds:+.0f}%, "
              f"vol {100 * bdv:+.0f} pts) and the hedged position "
              f"{_num(loss)} (spot {100 * ds:+.0f}%, vol {100 * dv:+.0f} pts)")
    level = f"{100 * hist.level:g}%"
    history = (f"on {hist.series}'s past {hist.horizon_days}-day moves the {level} VaR is "
               f"{_num(hist.var)} unhedged and the hedge {_cut(hist.var, hist.hedged_var)}")
    return f"Takeaway: {sim}; {stress}; {history}."
