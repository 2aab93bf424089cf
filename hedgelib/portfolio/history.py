"""Portfolio insurance on real history: one stretch as one path, and a yearly programme.

A historical series is one path, as in :mod:`hedgelib.backtest`: row ``i`` of the closes from the
start date sits at ``i / 252`` years (trading-day time, Hull ch. 15). :func:`insurance_backtest`
insures a capital from a start date for a horizon; :func:`insurance_programme` starts a fresh
one-year programme at the first close of every calendar year, the way a pension fund renews its
insurance each year, so that the crashes of 2000-2002 and 2008 can be replayed strategy by
strategy, one bar per year.

References
----------
Leland and Rubinstein (1988) and the Brady report (1988) on portfolio insurance in October 1987;
Hull, *Options, Futures, and Other Derivatives*, 11th ed., ch. 17.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hedgelib.conventions import (
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_date,
    check_positive_years,
    check_price,
    check_scalar,
    iso_date,
)
from hedgelib.market.history import data_window, price_series
from hedgelib.market.paths import Paths
from hedgelib.portfolio.insurance import InsuranceResult, compare_insurance

__all__ = [
    "InsuranceProgramme",
    "compare_backtest",
    "insurance_backtest",
    "insurance_programme",
]


def _as_mapping(strategies: Any) -> dict[str, Any]:
    if isinstance(strategies, Mapping):
        return dict(strategies)
    return {"strategy": strategies}


def compare_backtest(
    strategies: Mapping[str, Any], history: Any, *, start: Any, horizon: float, capital: float,
    rate: float = 0.0, dividend_yield: float = 0.0, rule: Any = None, costs: Any = None,
) -> dict[str, InsuranceResult]:
    """Several strategies on the same stretch of history; arguments as :func:`insurance_backtest`."""
    prices, name = price_series(history)
    t = check_scalar(horizon, "horizon", check_positive_years)
    n = max(1, round(t * TRADING_DAYS_PER_YEAR))
    d0 = check_date(start, "start")
    idx = prices.index
    i0 = int(idx.searchsorted(d0, side="left"))
    if i0 >= len(idx):
        raise HedgeLibError(
            f"start must be on or before the last close of {name} ({iso_date(idx[-1])}), got {iso_date(d0)}"
        )
    if i0 + n >= len(idx):
        raise HedgeLibError(
            f"horizon of {n} trading days from {iso_date(idx[i0])} runs past the last close of "
            f"{name} ({iso_date(idx[-1])}, {len(idx) - 1 - i0} trading days later): start earlier "
            f"or shorten the horizon, got horizon={t!r}"
        )
    window = prices.iloc[i0 : i0 + n + 1]
    paths = Paths(np.arange(n + 1, dtype=np.float64) / TRADING_DAYS_PER_YEAR,
                  window.to_numpy(dtype=np.float64).reshape(-1, 1))
    out = compare_insurance(strategies, paths, capital=capital, rate=rate,
                            dividend_yield=dividend_yield, rule=rule, costs=costs)
    dates = pd.DatetimeIndex(window.index, name="date")
    return {k: dataclasses.replace(v, dates=dates) for k, v in out.items()}


def insurance_backtest(
    strategy: Any, history: Any, *, start: Any, horizon: float, capital: float,
    rate: float = 0.0, dividend_yield: float = 0.0, rule: Any = None, costs: Any = None,
) -> InsuranceResult:
    """Insure a capital on one stretch of real history (one path).

    Parameters
    ----------
    strategy : CPPI, SyntheticPut, ProtectivePut or BuyAndHold
        The insurance.
    history : PriceHistory or pandas.Series
        Daily closes of the risky asset on dates.
    start : date-like
        The programme starts at the first close on or after it.
    horizon : float
        Years insured, ``round(252 horizon)`` trading days; the data must reach that far.
    capital : float
        Initial capital, currency.
    rate, dividend_yield, rule, costs
        As in :func:`~hedgelib.portfolio.insurance.run_insurance`.

    Returns
    -------
    InsuranceResult
        One path; ``dates`` holds the dates of the grid.

    Examples
    --------
    >>> from hedgelib.market.history import load_bundled
    >>> from hedgelib.portfolio.strategies import CPPI
    >>> res = insurance_backtest(CPPI(3.0, 0.9), load_bundled("sp500"), start="2008-01-01",
    ...                          horizon=1.0, capital=100.0)
    >>> res.dates[0].date().isoformat(), round(float(res.terminal_value[0]), 2) > 90.0
    ('2008-01-02', True)
    """
    return compare_backtest({"strategy": strategy}, history, start=start, horizon=horizon,
                            capital=capital, rate=rate, dividend_yield=dividend_yield, rule=rule,
                            costs=costs)["strategy"]


@dataclass(frozen=True, eq=False)
class InsuranceProgramme:
    """A yearly insurance programme: one row per strategy and year.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``strategy`` (name), ``label``, ``year``, ``entry_date``, ``exit_date``,
        ``days`` (trading days), ``return`` (:math:`V_T/C_0 - 1`), ``benchmark_return``
        (buy-and-hold with dividends, no costs), ``index_return`` (:math:`S_T/S_0 - 1`),
        ``floor_return`` (:math:`F_T/C_0 - 1`), ``breached`` (below the floor at some close),
        ``max_drawdown`` and ``costs`` (fraction of the capital).
    labels : dict of str to str
        Display label of each strategy.
    warnings : tuple of str
        Notes (a short last year).
    """

    table: pd.DataFrame
    labels: dict[str, str]
    warnings: tuple[str, ...] = ()

    def returns(self) -> pd.DataFrame:
        """Yearly returns, index ``year``, one column per strategy (decimal)."""
        wide = self.table.pivot(index="year", columns="strategy", values="return")
        return wide[[k for k in self.labels if k in wide.columns]]

    def summary(self) -> pd.DataFrame:
        """Per strategy: mean and worst yearly return, years below the floor, mean costs."""
        g = self.table.groupby("strategy", sort=False)
        return pd.DataFrame({
            "label": g["label"].first(), "mean_return": g["return"].mean(),
            "worst_return": g["return"].min(), "best_return": g["return"].max(),
            "years_breached": g["breached"].sum().astype(int), "mean_costs": g["costs"].mean(),
        })


def insurance_programme(
    strategies: Any, history: Any, *, start: Any = None, end: Any = None, capital: float = 100.0,
    rate: float = 0.0, dividend_yield: float = 0.0, rule: Any = None, costs: Any = None,
) -> InsuranceProgramme:
    """Renew the insurance every calendar year: one fresh programme per year and strategy.

    Parameters
    ----------
    strategies : strategy or mapping of str to strategy
        The insurance (or several, compared year by year on the same closes).
    history : PriceHistory or pandas.Series
        Daily closes on dates.
    start, end : date-like, optional
        Programmes start at the first close of each calendar year from ``start`` to ``end``
        (default the whole data); each runs to the first close of the next year (the last
        one to the last close of the data), so its floor and its put expire then.
    capital : float, default 100.0
        Capital of each programme; returns are per unit of capital.
    rate, dividend_yield, rule, costs
        As in :func:`~hedgelib.portfolio.insurance.run_insurance`.

    Returns
    -------
    InsuranceProgramme

    Notes
    -----
    Years of the same length (in trading days) run as paths of one
    :func:`~hedgelib.portfolio.insurance.compare_insurance` call, each starting from its own
    close: the strategies act per path and are homogeneous in the spot.

    Examples
    --------
    >>> from hedgelib.market.history import load_bundled
    >>> from hedgelib.portfolio.strategies import CPPI, BuyAndHold
    >>> prog = insurance_programme({"cppi": CPPI(4.0, 0.9), "hold": BuyAndHold(0.9)},
    ...                            load_bundled("sp500"), start="2007-01-01", end="2009-12-31")
    >>> r = prog.returns()
    >>> list(r.index), bool(r.loc[2008, "cppi"] > r.loc[2008, "hold"])
    ([2007, 2008, 2009], True)
    """
    specs = _as_mapping(strategies)
    prices, name = price_series(history)
    c0 = check_scalar(capital, "capital", check_price)
    idx = prices.index
    lo, hi = data_window(idx, name, start, end)
    years = idx.year.to_numpy()
    first = np.flatnonzero(np.r_[True, years[1:] != years[:-1]])
    entries = [int(i) for i in first if lo <= idx[i] <= hi]
    if not entries:
        raise HedgeLibError(f"no first close of a calendar year of {name} between {iso_date(lo)} and {iso_date(hi)}")
    values = prices.to_numpy(dtype=np.float64)
    spans: list[tuple[int, int]] = []
    notes: list[str] = []
    for i in entries:
        later = first[first > i]
        j = int(later[0]) if later.size else len(idx) - 1
        if j - i < 2:
            notes.append(f"the programme entered on {iso_date(idx[i])} has fewer than 2 trading days: skipped")
            continue
        if not later.size:
            notes.append(f"the last programme, entered on {iso_date(idx[i])}, ends at the last close "
                         f"({iso_date(idx[j])}, {j - i} trading days)")
        spans.append((i, j))
    if not spans:
        raise HedgeLibError(f"no yearly programme of {name} fits between {iso_date(lo)} and {iso_date(hi)}")
    rows = []
    labels = {k: str(getattr(v, "label", k)) for k, v in specs.items()}
    by_length: dict[int, list[tuple[int, int]]] = {}
    for i, j in spans:
        by_length.setdefault(j - i, []).append((i, j))
    for n, group in by_length.items():
        grid = np.stack([values[i : j + 1] for i, j in group], axis=1)
        paths = Paths(np.arange(n + 1, dtype=np.float64) / TRADING_DAYS_PER_YEAR, grid)
        results = compare_insurance(specs, paths, capital=c0, rate=rate, dividend_yield=dividend_yield,
                                    rule=rule, costs=costs)
        for key, res in results.items():
            for p, (i, j) in enumerate(group):
                rows.append({
                    "strategy": key, "label": labels[key], "year": int(idx[i].year),
                    "entry_date": idx[i], "exit_date": idx[j], "days": n,
                    "return": float(res.terminal_value[p] / c0 - 1.0),
                    "benchmark_return": float(res.benchmark[p] / c0 - 1.0),
                    "index_return": float(res.spot_end[p] / res.spot_start[p] - 1.0),
                    "floor_return": float(res.terminal_floor / c0 - 1.0),
                    "breached": bool(res.floor_breached[p]),
                    "max_drawdown": float(res.max_drawdown[p]),
                    "costs": float(res.costs[p] / c0),
                })
    order = {k: n for n, k in enumerate(specs)}
    table = pd.DataFrame(rows)
    table = table.sort_values(["year", "strategy"], key=lambda c: c.map(order) if c.name == "strategy" else c,
                              kind="stable", ignore_index=True)
    return InsuranceProgramme(table=table, labels=labels, warnings=tuple(notes))
