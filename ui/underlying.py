"""Cached library calls and one-line readings for the Underlying page.

The page gathers inputs and renders; the statistics come from :mod:`hedgelib.market`
(realised volatility, GBM moments, the bundled VIX, model simulation). Results are cached,
bounded, and shaped for display (volatilities stay decimal here; the page shows percent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError
from hedgelib.market.calibrate import estimate_gbm, realised_volatility
from hedgelib.market.history import implied_volatility_series
from ui.sources import model_from_description

__all__ = [
    "FAN_LEVELS",
    "MAX_CELLS",
    "MAX_PATHS",
    "MAX_STEPS",
    "N_SAMPLE_PATHS",
    "VIX_TICKERS",
    "FanResult",
    "HistoryAnalysis",
    "analyse_history",
    "check_simulation_size",
    "history_takeaway",
    "simulate_fan",
    "simulation_takeaway",
]

FAN_LEVELS = (0.05, 0.25, 0.50, 0.75, 0.95)
N_SAMPLE_PATHS = 12
# One request may not exceed these: a page must stay instant for every other user.
MAX_PATHS = 5_000
MAX_STEPS = 2_520
MAX_CELLS = 1_000_000
# Series for which the VIX (30-day implied volatility of S&P 500 options) is the matching
# implied volatility.
VIX_TICKERS = frozenset({"^GSPC", "^SPX", "SPY", "IVV", "VOO"})


@dataclass(frozen=True)
class HistoryAnalysis:
    """What the page shows about a price history (volatilities decimal, annualised)."""

    rows: int
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    realised_volatility: float
    drift: float
    rolling: pd.Series
    window: int
    implied: pd.Series | None
    implied_note: str


@st.cache_data(max_entries=32, show_spinner=False)
def analyse_history(prices: pd.Series, window: int, with_implied: bool) -> HistoryAnalysis:
    """Summary, rolling realised volatility and (optionally) the VIX over the same dates.

    ``drift`` is the GBM drift fitted by moments (``estimate_gbm``); ``rolling`` the
    ``window``-day realised volatility. ``implied`` is the bundled VIX (decimal) on the
    dates of ``rolling`` it covers, or None with ``implied_note`` saying why.
    Raises ``HedgeLibError`` when the window is longer than the history.
    """
    if len(prices) - 1 < window:
        raise HedgeLibError(
            f"the rolling window ({window} days) needs at least {window + 1} closes; the "
            f"history holds {len(prices)}: pick a shorter window or a longer history"
        )
    rolling = realised_volatility(prices, window=window)
    implied, note = None, ""
    if with_implied:
        vix = implied_volatility_series()
        lo, hi = vix.index[0], vix.index[-1]
        dates = rolling.index[(rolling.index >= lo) & (rolling.index <= hi)]
        if len(dates):
            implied = implied_volatility_series(dates)
        else:
            note = (f"the bundled VIX covers {lo.date()} to {hi.date()}, outside this window "
                    f"({rolling.index[0].date()} to {rolling.index[-1].date()})")
    return HistoryAnalysis(
        rows=len(prices), first_date=prices.index[0], last_date=prices.index[-1],
        realised_volatility=float(realised_volatility(prices)),
        drift=float(estimate_gbm(prices).drift), rolling=rolling, window=window,
        implied=implied, implied_note=note,
    )


def history_takeaway(name: str, a: HistoryAnalysis) -> str:
    """One line reading the history's volatility, computed from the analysis.

    >>> idx = pd.date_range("2020-01-01", periods=3)
    >>> a = HistoryAnalysis(300, idx[0], idx[-1], 0.2, 0.05,
    ...                     pd.Series([0.1, 0.3, 0.2], index=idx), 21, None, "")
    >>> history_takeaway("demo", a)
    'Takeaway: demo moved with a realised volatility of 20.0% a year from 2020-01-01 to 2020-01-03, but its 21-day volatility ranged from 10.0% (2020-01-01) to 30.0% (2020-01-02): volatility is not constant.'
    """
    r = a.rolling
    line = (
        f"Takeaway: {name} moved with a realised volatility of {100 * a.realised_volatility:.1f}% "
        f"a year from {a.first_date.date()} to {a.last_date.date()}, but its {a.window}-day "
        f"volatility ranged from {100 * r.min():.1f}% ({r.idxmin().date()}) to "
        f"{100 * r.max():.1f}% ({r.idxmax().date()}): volatility is not constant."
    )
    if a.implied is not None and len(a.implied):
        gap = float((a.implied - r.reindex(a.implied.index)).mean())
        above = float((a.implied > r.reindex(a.implied.index)).mean())
        line += (
            f" Over the {len(a.implied):,} days with a VIX, implied volatility averaged "
            f"{100 * abs(gap):.1f} points {'above' if gap >= 0 else 'below'} realised and sat above "
            f"it {above:.0%} of the time (the variance risk premium)."
        )
    return line


@dataclass(frozen=True)
class FanResult:
    """Quantiles of simulated paths and a few sample paths, on a time grid.

    ``days`` are trading days from today (``times * 252``); ``bands`` maps each level of
    :data:`FAN_LEVELS` to the price quantile at each time; ``samples`` is
    ``(n_steps + 1, k)``; ``path_volatility`` is each path's realised volatility of log
    returns, annualised on the simulation's own step.
    """

    days: np.ndarray
    bands: dict[float, np.ndarray]
    samples: np.ndarray
    terminal_mean: float
    path_volatility: np.ndarray
    model_volatility: float
    horizon: float


def check_simulation_size(n_paths: int, n_steps: int) -> None:
    """Raise ``HedgeLibError`` when a request exceeds the page's caps, saying which."""
    if n_paths > MAX_PATHS:
        raise HedgeLibError(f"n_paths is capped at {MAX_PATHS:,} on this page, got {n_paths:,}")
    if n_steps > MAX_STEPS:
        raise HedgeLibError(f"n_steps is capped at {MAX_STEPS:,} on this page, got {n_steps:,}")
    if n_paths * n_steps > MAX_CELLS:
        raise HedgeLibError(
            f"paths x steps is capped at {MAX_CELLS:,} on this page, got {n_paths:,} x "
            f"{n_steps:,} = {n_paths * n_steps:,}: fewer paths or fewer steps"
        )


@st.cache_data(max_entries=16, show_spinner="Simulating paths...")
def simulate_fan(
    model: dict[str, Any], spot: float, horizon: float, n_steps: int, n_paths: int, seed: int
) -> FanResult:
    """Simulate ``n_paths`` paths of the model described by ``model`` and summarise them.

    ``model`` is the ``"model"`` part of the source description (plain data, so it hashes
    reliably for the cache); ``horizon`` in years. Raises ``HedgeLibError``.
    """
    check_simulation_size(n_paths, n_steps)
    market = model_from_description(model)
    paths = market.simulate(spot, horizon, n_steps, n_paths, rng=seed)
    s = paths.spot
    quantiles = np.quantile(s, FAN_LEVELS, axis=1)
    log_r = np.diff(np.log(s), axis=0)
    dt = horizon / n_steps
    path_vol = log_r.std(axis=0, ddof=1) / math.sqrt(dt) if n_steps > 1 else np.full(n_paths, np.nan)
    return FanResult(
        days=paths.times * TRADING_DAYS_PER_YEAR,
        bands={q: quantiles[i] for i, q in enumerate(FAN_LEVELS)},
        samples=np.array(s[:, :N_SAMPLE_PATHS]),
        terminal_mean=float(s[-1].mean()),
        path_volatility=path_vol,
        model_volatility=float(market.long_run_volatility),
        horizon=horizon,
    )


def simulation_takeaway(fan: FanResult, spot: float) -> str:
    """One line reading the simulated spread at the horizon.

    >>> f = FanResult(np.array([0.0, 252.0]), {0.05: np.array([100.0, 72.0]),
    ...               0.5: np.array([100.0, 101.0]), 0.95: np.array([100.0, 139.0])},
    ...               np.zeros((2, 0)), 103.0, np.array([0.19, 0.21]), 0.2, 1.0)
    >>> simulation_takeaway(f, 100.0)
    'Takeaway: after 252 trading days, 90% of simulated paths end between 72.00 and 139.00 (-28.0% to +39.0%), median 101.00 below the mean 103.00; realised volatility along the paths averages 20.0% for a model volatility of 20.0%.'
    """
    lo, mid, hi = fan.bands[0.05][-1], fan.bands[0.5][-1], fan.bands[0.95][-1]
    where = "below" if mid < fan.terminal_mean else "above"
    vol = float(np.nanmean(fan.path_volatility))
    return (
        f"Takeaway: after {fan.days[-1]:.0f} trading days, 90% of simulated paths end between "
        f"{lo:,.2f} and {hi:,.2f} ({lo / spot - 1:+.1%} to {hi / spot - 1:+.1%}), median {mid:,.2f} "
        f"{where} the mean {fan.terminal_mean:,.2f}; realised volatility along the paths averages "
        f"{100 * vol:.1f}% for a model volatility of {100 * fan.model_volatility:.1f}%."
    )
