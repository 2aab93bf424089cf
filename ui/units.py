"""Trader units and their labels: the one place where the app rescales library numbers.

The library speaks raw units (years, decimal volatility, greeks as plain partial
derivatives: vega per 1.00 of volatility, theta per year, rho per 1.00 of rate). Traders
read vega per vol point, theta per day and rho per 1%, and count expiries in days. Every
page converts through this module, so a label and its scale never drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hedgelib.conventions import CALENDAR_DAYS_PER_YEAR, TRADING_DAYS_PER_YEAR

__all__ = [
    "DAY_UNITS",
    "GREEK_UNITS",
    "GreekUnit",
    "days_to_years",
    "dollar_gamma",
    "format_money",
    "format_number",
    "grid_text",
    "from_percent",
    "step_days",
    "to_percent",
    "trader_greeks",
    "trader_greeks_frame",
    "years_to_days",
]

# Label shown in the app -> days in one year. Trading days match the lab's 252-day year.
DAY_UNITS: dict[str, int] = {
    "calendar days": CALENDAR_DAYS_PER_YEAR,
    "trading days": TRADING_DAYS_PER_YEAR,
}


@dataclass(frozen=True)
class GreekUnit:
    """How one raw greek is shown: ``shown = raw / divisor`` under ``label``."""

    field: str
    label: str
    divisor: float
    help: str
    decimals: int = 4
    short: str = ""  # a column header for tables with many columns, the unit kept


GREEK_UNITS: dict[str, GreekUnit] = {
    g.field: g
    for g in (
        GreekUnit("delta", "Delta (shares)", 1.0,
                  "Change in book value per 1.00 move in spot: the shares that hedge it.", short="Delta"),
        GreekUnit("gamma", "Gamma per 1.00 of spot", 1.0,
                  "Change in delta per 1.00 move in spot.", short="Gamma"),
        GreekUnit("vega", "Vega per vol point", 100.0,
                  "Change in book value when volatility rises by one point (1%, e.g. 20% to 21%); raw vega / 100.",
                  decimals=3, short="Vega/pt"),
        GreekUnit("theta", "Theta per trading day", float(TRADING_DAYS_PER_YEAR),
                  "Change in book value over one trading day with nothing else moving; "
                  f"raw theta (per year) / {TRADING_DAYS_PER_YEAR}, the lab's trading year.",
                  decimals=3, short="Theta/day"),
        GreekUnit("rho", "Rho per 1%", 100.0,
                  "Change in book value when the rate rises by one percentage point; raw rho / 100.",
                  decimals=3, short="Rho/1%"),
        GreekUnit("vanna", "Vanna per vol point", 100.0,
                  "Change in delta when volatility rises by one point; raw vanna / 100.", decimals=6, short="Vanna/pt"),
        GreekUnit("volga", "Volga per vol point²", 100.0 * 100.0,
                  "Change in vega-per-vol-point when volatility rises by one point; raw volga / 10,000.",
                  decimals=6, short="Volga/pt²"),
        GreekUnit("charm", "Charm per trading day", float(TRADING_DAYS_PER_YEAR),
                  f"Change in delta over one trading day; raw charm (per year) / {TRADING_DAYS_PER_YEAR}.",
                  decimals=6, short="Charm/day"),
    )
}


def _raw(greeks: Any, field: str) -> Any:
    if isinstance(greeks, Mapping | pd.Series | pd.DataFrame):
        return greeks[field]
    return getattr(greeks, field)


def trader_greeks(greeks: Any, fields: tuple[str, ...] = ("delta", "gamma", "vega", "theta", "rho")) -> dict[str, Any]:
    """Raw greeks (an object with attributes, or a mapping) to ``{label: value}`` in trader units.

    Scalars come back as Python floats; arrays stay arrays.

    >>> trader_greeks({"delta": 0.5, "gamma": 0.02, "vega": 40.0, "theta": -63.0, "rho": 50.0})
    {'Delta (shares)': 0.5, 'Gamma per 1.00 of spot': 0.02, 'Vega per vol point': 0.4, 'Theta per trading day': -0.25, 'Rho per 1%': 0.5}
    """
    out: dict[str, Any] = {}
    for field in fields:
        unit = GREEK_UNITS[field]
        value = np.asarray(_raw(greeks, field), dtype=np.float64) / unit.divisor
        out[unit.label] = float(value) if value.ndim == 0 else value
    return out


def trader_greeks_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Rescale and rename every raw greek column of ``frame``; other columns are kept as they are."""
    out = frame.copy()
    renames = {}
    for field, unit in GREEK_UNITS.items():
        if field in out.columns:
            out[field] = out[field].astype(float) / unit.divisor
            renames[field] = unit.label
    return out.rename(columns=renames)


def dollar_gamma(gamma: Any, spot: Any) -> Any:
    """Change in dollar delta (delta x spot, currency) for a 1% move in spot: ``gamma * spot**2 / 100``."""
    value = np.asarray(gamma, dtype=np.float64) * np.asarray(spot, dtype=np.float64) ** 2 / 100.0
    return float(value) if value.ndim == 0 else value


def days_to_years(days: Any, unit: str) -> Any:
    """Days in ``unit`` (a key of :data:`DAY_UNITS`) to years; scalars give floats."""
    value = np.asarray(days, dtype=np.float64) / DAY_UNITS[unit]
    return float(value) if value.ndim == 0 else value


def years_to_days(years: Any, unit: str) -> Any:
    """Years to days in ``unit`` (a key of :data:`DAY_UNITS`); scalars give floats."""
    value = np.asarray(years, dtype=np.float64) * DAY_UNITS[unit]
    return float(value) if value.ndim == 0 else value


def to_percent(decimal: float) -> float:
    """0.2 -> 20.0 (volatility, rates and yields are typed in percent)."""
    return float(decimal) * 100.0


def from_percent(percent: float) -> float:
    """20.0 -> 0.2."""
    return float(percent) / 100.0


def format_money(value: float | None, *, unbounded: str = "unbounded") -> str:
    """Currency amount with thousands separators; None or infinite prints ``unbounded``."""
    if value is None or not np.isfinite(value):
        return unbounded
    return f"{value:,.2f}"


def format_number(x: float) -> str:
    """A number in a sentence: thousands without decimals, units with two, small ones with
    three significant digits, in fixed decimals: people read 0.0000859, not 8.59e-05.

    >>> format_number(1234.5), format_number(-2.345), format_number(0.012345)
    ('1,234', '-2.35', '0.0123')
    >>> format_number(8.59e-05), format_number(0.0), format_number(-3e-12)
    ('0.0000859', '0', '0')
    """
    a = abs(x)
    if not np.isfinite(x):
        return "n/a" if np.isnan(x) else ("-" if x < 0 else "") + "unbounded"
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 1:
        return f"{x:.2f}"
    if a < 5e-9:
        return "0"
    # Three significant digits, but never more than eight decimals: below that it is zero.
    decimals = min(2 - int(np.floor(np.log10(a))), 8)
    return f"{x:.{decimals}f}".rstrip("0").rstrip(".")


def step_days(horizon: float, n_steps: int) -> float:
    """Length of one grid step in trading days."""
    return horizon * TRADING_DAYS_PER_YEAR / n_steps


def grid_text(n_paths: int, n_steps: int, horizon: float) -> str:
    """The run's grid in words, for a caption.

    >>> grid_text(10_000, 63, 0.25)
    '10,000 paths, 63 daily steps over 63 trading days'
    >>> grid_text(1, 21, 0.25)
    '1 path, 21 steps of 3 trading days over 63 trading days'
    """
    days = step_days(horizon, n_steps)
    paths = "1 path" if n_paths == 1 else f"{n_paths:,} paths"
    steps = (f"{n_steps:,} daily steps" if abs(days - 1.0) < 1e-9
             else f"{n_steps:,} steps of {days:.3g} trading days")
    return f"{paths}, {steps} over {horizon * TRADING_DAYS_PER_YEAR:.0f} trading days"
