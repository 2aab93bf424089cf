"""A stock portfolio hedged with index futures, the hedge ratio re-estimated as data arrive.

:func:`futures_hedge` sells index futures against a portfolio on real closes. Every
``rebalance_every`` trading days the hedge ratio is estimated from daily returns **strictly
before** that day (no look-ahead), and the position is reset at that day's close:

- ``"none"``: no hedge (the benchmark);
- ``"beta"``: the portfolio's beta to the index by OLS over the last ``window`` returns;
- ``"min_variance"``: :math:`h^* = \\rho\\,\\sigma_P/\\sigma_F` from exponentially weighted
  (RiskMetrics) covariances of the portfolio and of the futures actually held, with
  :math:`\\lambda = 1 - 2/(\\text{window} + 1)`;
- ``"static"``: one beta fitted on a stated period before the start, held throughout.

The futures are priced at fair value :math:`F = S\\,e^{(r - q)(T - t)}` (calendar time,
actual/365), expire on the third Friday of March, June, September and December, and are rolled
into the next contract ``roll_days`` trading days before expiry. Their daily P&L is split into
the index move :math:`N\\,\\delta S` and the **basis** move :math:`N\\,\\delta(F - S)`; roll and
rebalancing costs are charged by the cost model on the futures notional.

References
----------
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed., ch. 3 (the minimum-variance
hedge ratio and stock-index futures hedges, with rolling) and ch. 5 (futures prices of stock
indices). Ederington, L. H. (1979), "The hedging performance of the new futures markets",
*Journal of Finance* 34(1) (hedging effectiveness as variance reduction). J.P. Morgan/Reuters
(1996), *RiskMetrics Technical Document*, 4th ed. (exponentially weighted covariances).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgelib.conventions import (
    CALENDAR_DAYS_PER_YEAR,
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_choice,
    check_date,
    check_date_range,
    check_int,
    check_positive,
    check_rate,
    check_scalar,
    iso_date,
)
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.market.history import price_series

__all__ = [
    "HEDGE_METHODS",
    "FuturesContract",
    "FuturesHedge",
    "futures_hedge",
]

#: The hedge-ratio estimators, with a label each.
HEDGE_METHODS: dict[str, str] = {
    "none": "No hedge",
    "beta": "Rolling beta (OLS)",
    "min_variance": "Minimum variance (EWMA)",
    "static": "Static beta (fitted once)",
}


@dataclass(frozen=True)
class FuturesContract:
    """An index futures contract: its size, its expiries and when it is rolled.

    Parameters
    ----------
    multiplier : float or None, default None
        Currency per index point of one contract (250 for the big S&P 500 contract, 50 for the
        E-mini); contracts are then whole numbers. None: fractional positions, in index units.
    notional : float, default 1.0
        Value of the portfolio at the start, currency (results in currency scale with it).
    roll_days : int, default 5
        Roll into the next contract at the close this many trading days before expiry.
    months : tuple of int, default (3, 6, 9, 12)
        Expiry months; a contract expires on the third Friday of its month.

    Examples
    --------
    >>> FuturesContract().expiries("2018-01-01", "2018-12-31").strftime("%Y-%m-%d").tolist()[:2]
    ['2018-03-16', '2018-06-15']
    """

    multiplier: float | None = None
    notional: float = 1.0
    roll_days: int = 5
    months: tuple[int, ...] = (3, 6, 9, 12)

    def __post_init__(self) -> None:
        if self.multiplier is not None:
            object.__setattr__(self, "multiplier",
                               check_scalar(self.multiplier, "multiplier", check_positive))
        object.__setattr__(self, "notional", check_scalar(self.notional, "notional", check_positive))
        object.__setattr__(self, "roll_days", check_int(self.roll_days, "roll_days", minimum=0,
                                                        maximum=60))
        months = tuple(self.months) if isinstance(self.months, tuple | list) else ()
        if not months or any(not isinstance(m, int) or isinstance(m, bool) or not 1 <= m <= 12
                             for m in months):
            raise HedgeLibError(f"months must be whole months from 1 to 12, got {self.months!r}")
        object.__setattr__(self, "months", tuple(sorted(set(months))))

    def expiries(self, first: Any, last: Any) -> pd.DatetimeIndex:
        """Expiry dates (third Fridays) from ``first``'s year to the year after ``last``."""
        lo, hi = check_date(first, "first"), check_date(last, "last")
        out = []
        for year in range(lo.year, hi.year + 2):
            for month in self.months:
                day1 = pd.Timestamp(year, month, 1)
                out.append(day1 + pd.Timedelta(days=(4 - day1.weekday()) % 7 + 14))
        return pd.DatetimeIndex(out)


@dataclass(frozen=True, eq=False)
class FuturesHedge:
    """A portfolio hedged with index futures over a period, day by day.

    Attributes
    ----------
    hedged, unhedged : pandas.Series
        Daily returns (decimal) of the hedged and of the unhedged portfolio, indexed by the
        date of each close from the day after the start.
    index_returns : pandas.Series
        Daily returns of the index over the same days.
    hedge_ratio : pandas.Series
        The estimated ratio in force after each close (futures notional sold per unit of
        portfolio value), from the start to the day before the end.
    ledger : pandas.DataFrame
        One row per date: ``portfolio``, ``index``, ``futures`` (price of the contract held
        after the close), ``expiry``, ``basis`` (futures minus index), ``contracts`` (signed,
        short < 0, after the close), ``ratio``, ``futures_pnl``, ``index_pnl``, ``basis_pnl``,
        ``roll_cost``, ``rebalance_cost``, ``rolled``, ``rebalanced``, ``value_unhedged``,
        ``value_hedged`` (currency).
    method, label : str
        The estimator and a display label.
    portfolio_name, index_name : str
    rate, dividend_yield : float
    contract : FuturesContract
    warnings : tuple of str
    """

    hedged: pd.Series
    unhedged: pd.Series
    index_returns: pd.Series
    hedge_ratio: pd.Series
    ledger: pd.DataFrame
    method: str
    portfolio_name: str
    index_name: str
    rate: float
    dividend_yield: float
    contract: FuturesContract
    warnings: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        return (f"FuturesHedge({self.method!r}, {self.portfolio_name!r} with {self.index_name!r}, "
                f"{iso_date(self.hedged.index[0])}..{iso_date(self.hedged.index[-1])}, "
                f"variance_reduction={self.variance_reduction:.4f})")

    @property
    def label(self) -> str:
        return HEDGE_METHODS[self.method]

    @property
    def variance_reduction(self) -> float:
        """:math:`1 - \\mathrm{Var}(r_H)/\\mathrm{Var}(r_P)` over the period (Ederington 1979)."""
        return float(1.0 - self.hedged.var() / self.unhedged.var())

    def cumulative(self) -> pd.DataFrame:
        """Growth of one unit of capital, hedged and unhedged, from the start (columns
        ``unhedged``, ``hedged``; the first row is the start date at 1.0)."""
        led = self.ledger
        n0 = self.contract.notional
        return pd.DataFrame({"unhedged": led["value_unhedged"] / n0, "hedged": led["value_hedged"] / n0})

    def rolling_volatility(self, window: int = 63) -> pd.DataFrame:
        """Annualised volatility over the trailing ``window`` trading days, before and after."""
        w = check_int(window, "window", minimum=2)
        scale = math.sqrt(TRADING_DAYS_PER_YEAR)
        return pd.DataFrame({"unhedged": self.unhedged.rolling(w).std() * scale,
                             "hedged": self.hedged.rolling(w).std() * scale}).dropna()

    def variance_by_year(self) -> pd.DataFrame:
        """Per calendar year: annualised volatility before and after, variance reduction."""
        frame = pd.DataFrame({"unhedged": self.unhedged, "hedged": self.hedged})
        g = frame.groupby(frame.index.year)
        scale = math.sqrt(TRADING_DAYS_PER_YEAR)
        out = pd.DataFrame({
            "volatility_unhedged": g["unhedged"].std() * scale,
            "volatility_hedged": g["hedged"].std() * scale,
            "days": g["unhedged"].count(),
        })
        out["variance_reduction"] = 1.0 - (out["volatility_hedged"] / out["volatility_unhedged"]) ** 2
        out.index.name = "year"
        return out[out["days"] >= 2]

    def summary(self) -> dict[str, float]:
        """Headline numbers over the period.

        Keys: ``volatility_unhedged``, ``volatility_hedged`` (annualised), ``variance_reduction``,
        ``max_drawdown_unhedged``, ``max_drawdown_hedged`` (fractions), ``beta_unhedged``,
        ``beta_hedged`` (OLS slope on the index's daily returns), ``tracking_error_unhedged``
        (annualised std of portfolio minus index returns), ``tracking_error_hedged``
        (annualised std of hedged minus cash returns: the distance from a perfect hedge),
        ``return_unhedged``, ``return_hedged`` (annualised, geometric), ``mean_hedge_ratio``,
        ``futures_pnl``, ``index_pnl``, ``basis_pnl``, ``roll_costs``, ``rebalance_costs``,
        ``costs`` (fractions of the starting notional), ``n_rolls``, ``n_rebalances``, ``days``.
        """
        scale = math.sqrt(TRADING_DAYS_PER_YEAR)
        h, u, s = self.hedged.to_numpy(), self.unhedged.to_numpy(), self.index_returns.to_numpy()
        led = self.ledger
        n0 = self.contract.notional
        days = np.diff(led.index.to_numpy()).astype("timedelta64[D]").astype(np.float64)
        cash = np.expm1(self.rate * days / CALENDAR_DAYS_PER_YEAR)
        years = h.size / TRADING_DAYS_PER_YEAR

        def beta(y: np.ndarray) -> float:
            v = float(np.var(s, ddof=1))
            return float(np.cov(y, s, ddof=1)[0, 1] / v) if v > 0 else math.nan

        def drawdown(values: pd.Series) -> float:
            x = values.to_numpy()
            return float(np.max(1.0 - x / np.maximum.accumulate(x)))

        roll, reb = float(led["roll_cost"].sum()), float(led["rebalance_cost"].sum())
        return {
            "volatility_unhedged": float(u.std(ddof=1) * scale),
            "volatility_hedged": float(h.std(ddof=1) * scale),
            "variance_reduction": self.variance_reduction,
            "max_drawdown_unhedged": drawdown(led["value_unhedged"]),
            "max_drawdown_hedged": drawdown(led["value_hedged"]),
            "beta_unhedged": beta(u), "beta_hedged": beta(h),
            "tracking_error_unhedged": float(np.std(u - s, ddof=1) * scale),
            "tracking_error_hedged": float(np.std(h - cash, ddof=1) * scale),
            "return_unhedged": float(np.prod(1.0 + u) ** (1.0 / years) - 1.0),
            "return_hedged": float(np.prod(1.0 + h) ** (1.0 / years) - 1.0),
            "mean_hedge_ratio": float(self.hedge_ratio.mean()),
            "futures_pnl": float(led["futures_pnl"].sum() / n0),
            "index_pnl": float(led["index_pnl"].sum() / n0),
            "basis_pnl": float(led["basis_pnl"].sum() / n0),
            "roll_costs": roll / n0, "rebalance_costs": reb / n0, "costs": (roll + reb) / n0,
            "n_rolls": float(led["rolled"].sum()), "n_rebalances": float(led["rebalanced"].sum()),
            "days": float(h.size),
        }


# --------------------------------------------------------------------------------------------
# inputs


def _aligned(portfolio: Any, index: Any, max_gap_days: int) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray, str, str]:
    """The common dates of the two series, refusing dates in one but not the other, and gaps."""
    p, p_name = price_series(portfolio, "portfolio")
    s, s_name = price_series(index, "index")
    lo, hi = max(p.index[0], s.index[0]), min(p.index[-1], s.index[-1])
    if lo > hi:
        raise HedgeLibError(
            f"portfolio and index must overlap in time, got portfolio {p_name} from "
            f"{iso_date(p.index[0])} to {iso_date(p.index[-1])} and index {s_name} from "
            f"{iso_date(s.index[0])} to {iso_date(s.index[-1])}"
        )
    p, s = p.loc[lo:hi], s.loc[lo:hi]
    for a, b, a_name, b_name in ((p, s, "portfolio", "index"), (s, p, "index", "portfolio")):
        extra = a.index.difference(b.index)
        if len(extra):
            raise HedgeLibError(
                f"portfolio and index must have the same trading dates where they overlap: "
                f"{iso_date(extra[0])} is in the {a_name} ({len(extra)} such date(s)) but not in "
                f"the {b_name}; align the two series (the same exchange calendar) first"
            )
    dates = pd.DatetimeIndex(p.index)
    if len(dates) < 3:
        raise HedgeLibError(f"portfolio and index must share at least 3 closes, got {len(dates)}")
    gaps = np.asarray((dates[1:] - dates[:-1]).days)
    if gaps.max() > max_gap_days:
        i = int(np.argmax(gaps))
        raise HedgeLibError(
            f"index has a gap of {int(gaps[i])} calendar days between {iso_date(dates[i])} and "
            f"{iso_date(dates[i + 1])} (more than max_gap_days={max_gap_days}): missing data; "
            "fill or cut the series"
        )
    return dates, p.to_numpy(dtype=np.float64), s.to_numpy(dtype=np.float64), p_name, s_name


def _contracts(dates: pd.DatetimeIndex, contract: FuturesContract) -> np.ndarray:
    """Expiry of the contract held after each close (as datetime64[ns])."""
    exp = contract.expiries(dates[0], dates[-1]).to_numpy()
    d = dates.to_numpy()
    # Trading days left after date i until the expiry e: closes in (d_i, e].
    pos = np.arange(d.size)
    held = np.empty(d.size, dtype=exp.dtype)
    j = 0
    for i in pos:
        while True:
            e = exp[j]
            if e > d[-1]:
                break  # beyond the data: far enough
            left = int(np.searchsorted(d, e, side="right")) - 1 - i
            if left > contract.roll_days:
                break
            j += 1
        held[i] = exp[j]
    return held


def _ols_betas(x: np.ndarray, y: np.ndarray, window: int) -> np.ndarray:
    """``b[d]`` = OLS slope of y on x over returns ``d - window .. d - 1`` (NaN before)."""
    n = x.size
    out = np.full(n + 1, np.nan)
    cx, cy = np.r_[0.0, np.cumsum(x)], np.r_[0.0, np.cumsum(y)]
    cxx, cxy = np.r_[0.0, np.cumsum(x * x)], np.r_[0.0, np.cumsum(x * y)]
    d = np.arange(window, n + 1)
    sx, sy = cx[d] - cx[d - window], cy[d] - cy[d - window]
    sxx, sxy = cxx[d] - cxx[d - window], cxy[d] - cxy[d - window]
    var = sxx - sx * sx / window
    cov = sxy - sx * sy / window
    out[d] = np.where(var > 0, cov / np.where(var > 0, var, 1.0), np.nan)
    return out


def _ewma_ratios(x: np.ndarray, y: np.ndarray, window: int) -> np.ndarray:
    """``h[d]`` = EWMA cov(y, x) / var(x) from returns up to ``d - 1``, RiskMetrics zero means,
    started from the plain averages of the first ``window`` returns."""
    n = x.size
    lam = 1.0 - 2.0 / (window + 1.0)
    out = np.full(n + 1, np.nan)
    if n < window:
        return out
    sxy = float(np.mean(x[:window] * y[:window]))
    sxx = float(np.mean(x[:window] * x[:window]))
    out[window] = sxy / sxx if sxx > 0 else np.nan
    for k in range(window, n):
        sxy = lam * sxy + (1.0 - lam) * x[k] * y[k]
        sxx = lam * sxx + (1.0 - lam) * x[k] * x[k]
        out[k + 1] = sxy / sxx if sxx > 0 else np.nan
    return out


def futures_hedge(
    portfolio: Any, index: Any, *, start: Any, end: Any = None, method: str = "beta",
    window: int = 60, rebalance_every: int = 5, rate: float = 0.0, dividend_yield: float = 0.0,
    costs: Any = None, contract: FuturesContract | None = None, static_period: Any = None,
    max_gap_days: int = 10,
) -> FuturesHedge:
    """Hedge a portfolio with index futures over real closes, re-estimating the ratio as data arrive.

    Parameters
    ----------
    portfolio, index : PriceHistory or pandas.Series
        Daily closes of the portfolio and of the index the futures are on, on the same
        trading dates where they overlap.
    start, end : date-like
        The hedge runs from the first common close on or after ``start`` to the last on or
        before ``end`` (default the last common close). Estimates look back before ``start``.
    method : {"none", "beta", "min_variance", "static"}, default "beta"
        The hedge-ratio estimator (module notes).
    window : int, default 60
        Returns in a rolling beta, the EWMA span (:math:`\\lambda = 1 - 2/(w+1)`), and the
        static fit's returns by default. If fewer returns precede ``start`` the hedge starts
        later (noted in ``warnings``).
    rebalance_every : int, default 5
        Trading days between re-estimations (and resets of the position).
    rate, dividend_yield : float, default 0.0
        Continuously compounded: the futures' cost of carry :math:`F = S e^{(r-q)(T-t)}`.
    costs : CostModel, default free
        Charged on the futures notional traded (``TransactionCosts(proportional=1e-4)``: 1 bp).
    contract : FuturesContract, optional
        Size, expiries and roll (default: fractional contracts, quarterly, rolled 5 days before).
    static_period : (start, end), optional
        Dates of the returns the ``"static"`` ratio is fitted on; they must end before
        ``start``. Default: the ``window`` returns just before ``start``.
    max_gap_days : int, default 10
        Longest calendar gap between two closes accepted (the 2001 closure was 7 days).

    Returns
    -------
    FuturesHedge

    Raises
    ------
    HedgeLibError
        Naming the input: an unknown method, a window or period longer than the data,
        series that do not overlap or whose dates differ, a gap in the data, a static period
        that is not before the start.

    Notes
    -----
    With :math:`N` contracts (short: :math:`N < 0`) set at the close of day :math:`d` to

    .. math:: N_d = -\\frac{h_d\\,V_d}{F_d\\,M},

    :math:`h_d` the estimate from returns dated before :math:`d`, :math:`V_d` the hedged value
    and :math:`M` the multiplier, the hedged value moves as
    :math:`V_{k} = V_{k-1}(1 + r^P_k) + N M (F_k - F_{k-1}) - \\text{costs}_k` (futures settled
    daily). The minimum-variance ratio of Hull (ch. 3) is
    :math:`h^* = \\rho\\,\\sigma_P/\\sigma_F = \\mathrm{Cov}(r_P, r_F)/\\mathrm{Var}(r_F)`;
    the variance reduction :math:`1 - \\mathrm{Var}(r_H)/\\mathrm{Var}(r_P)` is Ederington's
    measure of hedging effectiveness (:math:`\\rho^2` for a perfect estimate).

    Examples
    --------
    >>> from hedgelib.market.history import load_bundled
    >>> nq, spx = load_bundled("nasdaq"), load_bundled("sp500")
    >>> h = futures_hedge(nq, spx, start="2010-01-01", end="2012-12-31", method="beta")
    >>> round(h.variance_reduction, 2), len(h.hedged)
    (0.93, 753)
    """
    check_choice(method, "method", tuple(HEDGE_METHODS))
    w = check_int(window, "window", minimum=2)
    every = check_int(rebalance_every, "rebalance_every", minimum=1)
    r = check_scalar(rate, "rate", check_rate)
    q = check_scalar(dividend_yield, "dividend_yield", check_rate)
    gap = check_int(max_gap_days, "max_gap_days", minimum=1)
    costs = TransactionCosts() if costs is None else costs
    if not callable(getattr(costs, "charge", None)):
        raise HedgeLibError(f"costs must be a cost model with a charge method, got {costs!r}")
    contract = FuturesContract() if contract is None else contract
    if not isinstance(contract, FuturesContract):
        raise HedgeLibError(f"contract must be a FuturesContract, got {contract!r}")
    if start is None:
        raise HedgeLibError("start must be a date such as '2001-01-02', got None")
    lo, hi = check_date_range(start, end)
    dates, p, s, p_name, s_name = _aligned(portfolio, index, gap)
    if lo > dates[-1] or (hi is not None and hi < dates[0]):
        raise HedgeLibError(
            f"start and end must lie within the common dates of {p_name} and {s_name} "
            f"({iso_date(dates[0])} to {iso_date(dates[-1])}), got {iso_date(lo)} to "
            f"{iso_date(dates[-1] if hi is None else hi)}"
        )
    h0 = int(dates.searchsorted(lo, side="left"))
    h1 = (len(dates) if hi is None else int(dates.searchsorted(hi, side="right"))) - 1
    notes: list[str] = []
    # The return dated row k is close k-1 to close k; rows 1..d-1 are dated before row d, so
    # an estimate at row d from `window` of them needs d >= window + 1. Every method starts
    # there, so that methods compare on the same days.
    need = 1 if (method == "static" and static_period is not None) else w + 1
    if h0 < need:
        if need < len(dates):
            notes.append(
                f"the hedge starts on {iso_date(dates[need])}, not {iso_date(dates[h0])}: the "
                f"first estimate needs window={w} daily returns before it"
            )
        h0 = need
    if h1 - h0 < 2:
        raise HedgeLibError(
            f"window must leave at least 2 hedged days between start and end: window={w} returns "
            f"before the start, with {len(dates) - 1} returns in the common data of {p_name} and "
            f"{s_name} ({iso_date(dates[0])} to {iso_date(dates[-1])}) and the period "
            f"{iso_date(lo)} to {iso_date(dates[h1] if h1 >= 0 else dates[-1])}"
        )

    held = _contracts(dates, contract)
    d64 = dates.to_numpy()
    tau = (held - d64).astype("timedelta64[D]").astype(np.float64) / CALENDAR_DAYS_PER_YEAR
    fut = s * np.exp((r - q) * tau)  # price of the contract held after each close
    # The same contract's price the next day, for the daily P&L and the futures' returns.
    tau_next = (held[:-1] - d64[1:]).astype("timedelta64[D]").astype(np.float64) / CALENDAR_DAYS_PER_YEAR
    fut_next = s[1:] * np.exp((r - q) * np.maximum(tau_next, 0.0))
    r_p = p[1:] / p[:-1] - 1.0
    r_s = s[1:] / s[:-1] - 1.0
    r_f = fut_next / fut[:-1] - 1.0

    # Estimators index their output by the number of returns used (returns array [0, e));
    # the estimate in force at row d may use returns dated before row d: e = d - 1.
    if method == "beta":
        est = np.r_[np.nan, _ols_betas(r_s, r_p, w)[:-1]]
    elif method == "min_variance":
        est = np.r_[np.nan, _ewma_ratios(r_f, r_p, w)[:-1]]
    elif method == "static":
        if static_period is None:
            a, b = h0 - 1 - w, h0 - 1  # the `window` returns dated just before the start
        else:
            try:
                fa, fb = static_period
            except (TypeError, ValueError):
                raise HedgeLibError(f"static_period must be (start, end) dates, got {static_period!r}") from None
            fa, fb = check_date_range(fa, fb)
            if fb >= dates[h0]:
                raise HedgeLibError(
                    f"static_period must end before the hedge starts ({iso_date(dates[h0])}): "
                    f"fitting on later data would look ahead, got end {iso_date(fb)}"
                )
            # Returns dated within [fa, fb]: rows k >= 1, returns array index k - 1.
            a = max(int(dates.searchsorted(fa, side="left")), 1) - 1
            b = int(dates.searchsorted(fb, side="right")) - 1
            if b - a < 2:
                raise HedgeLibError(f"static_period must hold at least 2 daily returns, got {b - a}")
        beta = _ols_betas(r_s[a:b], r_p[a:b], b - a)[-1]
        est = np.full(len(dates), beta)
    else:
        est = np.zeros(len(dates))
    if method in ("beta", "min_variance", "static") and not np.isfinite(est[h0:h1]).all():
        k = h0 + int(np.argmax(~np.isfinite(est[h0:h1])))
        raise HedgeLibError(
            f"index must move over the estimation window: its returns before {iso_date(dates[k])} "
            "have no variance, so no hedge ratio can be estimated"
        )

    mult = contract.multiplier or 1.0
    n_rows = h1 - h0 + 1
    cols = {k: np.zeros(n_rows) for k in ("contracts", "ratio", "futures_pnl", "index_pnl", "basis_pnl",
                                          "roll_cost", "rebalance_cost", "value_unhedged", "value_hedged")}
    rolled = np.zeros(n_rows, dtype=bool)
    rebalanced = np.zeros(n_rows, dtype=bool)
    v = u = contract.notional
    n_held = 0.0
    ratio = 0.0
    hedged_r = np.empty(n_rows - 1)

    def cost(quantity: float, price: float) -> float:
        if quantity == 0.0:
            return 0.0
        charged = costs.charge(np.array([quantity * mult]), np.array([price]), 0.2)
        return float(sum(float(c[0]) for c in charged.values()))

    for k in range(h0, h1 + 1):
        j = k - h0
        if k > h0:
            fpnl = n_held * mult * (fut_next[k - 1] - fut[k - 1])
            ipnl = n_held * mult * (s[k] - s[k - 1])
            cols["futures_pnl"][j], cols["index_pnl"][j] = fpnl, ipnl
            cols["basis_pnl"][j] = fpnl - ipnl
            v_prev = v
            v = v * (1.0 + r_p[k - 1]) + fpnl
            u = u * (1.0 + r_p[k - 1])
            if k < h1 and held[k] != held[k - 1] and n_held != 0.0:
                # Roll: close the old contract at its price, open the same size in the next.
                c = cost(n_held, fut_next[k - 1]) + cost(n_held, fut[k])
                cols["roll_cost"][j] = c
                v -= c
                rolled[j] = True
        if k < h1 and (k - h0) % every == 0:
            ratio = float(est[k])
            target = -ratio * v / (fut[k] * mult)
            if contract.multiplier is not None:
                target = float(round(target))
            c = cost(target - n_held, fut[k])
            cols["rebalance_cost"][j] = c
            v -= c
            n_held = target
            rebalanced[j] = True
        elif k == h1:
            n_held = 0.0
        if k > h0:
            hedged_r[j - 1] = v / v_prev - 1.0
        cols["contracts"][j], cols["ratio"][j] = n_held, ratio
        cols["value_unhedged"][j], cols["value_hedged"][j] = u, v

    idx = pd.DatetimeIndex(dates[h0 : h1 + 1], name="date")
    ledger = pd.DataFrame({
        "portfolio": p[h0 : h1 + 1], "index": s[h0 : h1 + 1], "futures": fut[h0 : h1 + 1],
        "expiry": pd.DatetimeIndex(held[h0 : h1 + 1]), "basis": fut[h0 : h1 + 1] - s[h0 : h1 + 1],
        **cols, "rolled": rolled, "rebalanced": rebalanced,
    }, index=idx)
    days = idx[1:]
    return FuturesHedge(
        hedged=pd.Series(hedged_r, index=days, name="hedged"),
        unhedged=pd.Series(r_p[h0:h1], index=days, name="unhedged"),
        index_returns=pd.Series(r_s[h0:h1], index=days, name="index"),
        hedge_ratio=pd.Series(cols["ratio"][:-1], index=idx[:-1], name="hedge_ratio"),
        ledger=ledger, method=method, portfolio_name=p_name, index_name=s_name, rate=r,
        dividend_yield=q, contract=contract, warnings=tuple(notes),
    )
