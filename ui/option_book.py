"""Cached runner and display helpers for the Option Book & Greeks page.

The page gathers inputs and renders; this module calls the library once per set of inputs
(cached, bounded) and shapes the results for display. It holds no pricing formula: values,
greeks, statistics and scenario grids all come from :mod:`hedgelib.book`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from hedgelib.book import Book, ExpiryStatistics, expiry_statistics, greeks_profile, scenario_pnl
from hedgelib.conventions import HedgeLibError
from ui.units import GREEK_UNITS, days_to_years, dollar_gamma, trader_greeks, years_to_days

__all__ = [
    "BookAnalysis",
    "analyse_book",
    "book_from_table",
    "book_to_table",
    "dollar_gamma_of",
    "spot_grid",
    "takeaway",
    "time_grid",
    "volatility_grid",
]

# Grid sizes: fine enough for smooth curves, small enough to stay instant.
N_CURVE = 201
N_HEAT_SPOT = 41
N_HEAT_OTHER = 31


@dataclass(frozen=True)
class BookAnalysis:
    """Everything the page shows about one book at one set of market inputs.

    Values in currency; greeks raw (library units); grids in library units (years, decimal
    volatility). ``statistics`` is None (with ``statistics_note`` saying why) for a book
    that holds only stock.
    """

    value: float
    greeks: dict[str, float]
    curve_spot: np.ndarray
    payoff: np.ndarray
    curve_value: np.ndarray
    profile: pd.DataFrame
    legs: pd.DataFrame
    statistics: ExpiryStatistics | None
    statistics_note: str
    pnl_spot_vol: pd.DataFrame
    pnl_spot_time: pd.DataFrame


def spot_grid(spot: float, volatility: float, horizon: float, strikes: tuple[float, ...], n: int) -> np.ndarray:
    """Spots covering about four standard deviations to the horizon, and every strike with room.

    The range is ``spot * exp(+-4 sigma sqrt(T))`` (at least +-10%), widened to include 0.8x
    the lowest and 1.2x the highest strike.
    """
    width = max(4.0 * volatility * math.sqrt(max(horizon, 1e-6)), 0.10)
    lo = spot * math.exp(-width)
    hi = spot * math.exp(width)
    if strikes:
        lo = min(lo, 0.8 * min(strikes))
        hi = max(hi, 1.2 * max(strikes))
    return np.linspace(max(lo, 1e-6 * spot), hi, n)


def volatility_grid(volatility: float, n: int) -> np.ndarray:
    """Volatilities from ``max(1%, sigma - 15 points)`` to ``sigma + 15 points``."""
    return np.linspace(max(0.01, volatility - 0.15), volatility + 0.15, n)


def time_grid(horizon: float, n: int) -> np.ndarray:
    """Years elapsed from today (0) to ``horizon``."""
    return np.linspace(0.0, horizon, n)


def book_to_table(book: Book, day_unit: str) -> pd.DataFrame:
    """The book's legs as an editor table, with expiry in days of ``day_unit``."""
    frame = book.to_frame()
    frame["expiry"] = years_to_days(frame["expiry"].to_numpy(dtype=float), day_unit)
    return frame


def book_from_table(table: pd.DataFrame, stock: float, day_unit: str) -> Book:
    """A ``Book`` from an edited table whose expiry is in days of ``day_unit``.

    Raises ``HedgeLibError`` naming the row (``leg n``) for a bad cell. Non-numeric days
    become blank, so a half-filled row is reported by the library as such.
    """
    frame = table.copy()
    if "expiry" in frame.columns:
        days = pd.to_numeric(frame["expiry"], errors="coerce").to_numpy(dtype=float)
        frame["expiry"] = days_to_years(days, day_unit)
    return Book.from_frame(frame, stock=stock)


@st.cache_data(max_entries=64, show_spinner=False)
def analyse_book(
    book_data: dict[str, Any],
    spot: float,
    volatility: float,
    rate: float,
    dividend_yield: float,
    valuation_time: float,
) -> BookAnalysis:
    """Value, greeks, curves, leg table, statistics and P&L grids of a book (cached).

    ``book_data`` is ``Book.to_dict()``: plain data hashes reliably for the cache. Raises
    ``HedgeLibError`` for bad inputs (Streamlit does not cache exceptions).
    """
    book = Book.from_dict(book_data)
    market = dict(rate=rate, dividend_yield=dividend_yield)
    value = float(book.value(spot, volatility, time=valuation_time, **market))
    g = book.greeks(spot, volatility, time=valuation_time, **market)
    greeks = {name: float(getattr(g, name)) for name in GREEK_UNITS}

    horizon = book.expiry if book.legs else 0.25
    curve_spot = spot_grid(spot, volatility, horizon, book.strikes, N_CURVE)
    profile = greeks_profile(
        book, spot_grid=curve_spot, volatility=volatility, time=valuation_time, **market
    )
    payoff = np.asarray(book.payoff(curve_spot), dtype=float)
    legs = book.leg_table(spot, volatility, time=valuation_time, **market)

    statistics: ExpiryStatistics | None = None
    note = ""
    try:
        statistics = expiry_statistics(book, spot=spot, volatility=volatility, **market)
    except HedgeLibError as exc:
        note = str(exc)

    heat_spot = spot_grid(spot, volatility, horizon, book.strikes, N_HEAT_SPOT)
    pnl_vol = scenario_pnl(
        book, spot=spot, volatility=volatility, spot_grid=heat_spot,
        volatility_grid=volatility_grid(volatility, N_HEAT_OTHER), **market,
    )
    pnl_time = scenario_pnl(
        book, spot=spot, volatility=volatility, spot_grid=heat_spot,
        time_grid=time_grid(horizon, N_HEAT_OTHER), **market,
    )
    return BookAnalysis(
        value=value, greeks=greeks, curve_spot=curve_spot, payoff=payoff,
        curve_value=profile["value"].to_numpy(dtype=float), profile=profile, legs=legs,
        statistics=statistics, statistics_note=note, pnl_spot_vol=pnl_vol, pnl_spot_time=pnl_time,
    )


def _side(value: float, positive: str, negative: str, tol: float) -> str | None:
    if value > tol:
        return positive
    if value < -tol:
        return negative
    return None


def takeaway(greeks: dict[str, float], spot: float) -> str:
    """One line reading the book's net greeks (raw units) in plain words.

    >>> takeaway({"delta": 0.1, "gamma": 0.08, "vega": 40.0, "theta": -15.0, "rho": 0.0}, 100.0)
    'Takeaway: long gamma (large moves either way help), long vega (+0.40 per vol point), time decay costs 0.06 per trading day, delta +0.10 (a 1.00 rise in spot gains about 0.10).'
    """
    shown = trader_greeks(greeks)
    delta = shown[GREEK_UNITS["delta"].label]
    vega = shown[GREEK_UNITS["vega"].label]
    theta = shown[GREEK_UNITS["theta"].label]
    # Greeks below a millionth of the book's own scale are rounding noise: read them as flat.
    tol = 1e-6 * max(abs(delta), abs(vega), abs(theta), abs(greeks["gamma"]) * spot, 1e-12)
    parts = [
        _side(greeks["gamma"] * spot, "long gamma (large moves either way help)",
              "short gamma (large moves either way hurt)", tol),
        _side(vega, f"long vega ({vega:+.2f} per vol point)", f"short vega ({vega:+.2f} per vol point)", tol),
        _side(theta, f"time decay earns {theta:.2f} per trading day",
              f"time decay costs {-theta:.2f} per trading day", tol),
        _side(delta, f"delta {delta:+.2f} (a 1.00 rise in spot gains about {delta:.2f})",
              f"delta {delta:+.2f} (a 1.00 rise in spot loses about {-delta:.2f})", tol),
    ]
    said = [p for p in parts if p]
    if not said:
        return "Takeaway: the book is flat in every greek here; small moves leave its value unchanged."
    return "Takeaway: " + ", ".join(said) + "."


def dollar_gamma_of(greeks: dict[str, float], spot: float) -> float:
    """Dollar gamma of the book for a 1% move (see :func:`ui.units.dollar_gamma`)."""
    return float(dollar_gamma(greeks["gamma"], spot))
