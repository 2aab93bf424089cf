"""Hedging on real history: replay one book over a price series, and rolling programmes.

The hedging engine (:func:`~hedgelib.hedging.engine.simulate_hedge`) runs unchanged: a
historical series is one path. This module turns dates into a time grid, chooses the
volatility used for the premium and the deltas on each date, and dates the engine's output.

Time
----
``time_basis="trading"`` (the default) puts row ``i`` of the series at ``i /
periods_per_year`` years after the start (252 for daily closes, 52 for weekly ones), the
convention of Hull (ch. 15) for volatility measured on trading days. ``"calendar"`` uses
actual/365 from the dates. A book's expiries are in years from the start date on that
basis; a leg expiring between two closes settles at the first close at or after its expiry.

Volatility sources
------------------
Small frozen specs, each answering "which volatility on each of these dates, knowing only
what was known then?": :class:`ConstantVol`, :class:`ImpliedVolSeries` (the bundled VIX for
the S&P 500, or a user's series), :class:`RealisedVol` (trailing window) and
:class:`GarchVol` (GARCH(1,1) refitted as of each date, no look-ahead).

References
----------
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed. (2021), ch. 15, 19, 23.
Bollerslev, T. (1986), "Generalized autoregressive conditional heteroskedasticity",
*Journal of Econometrics* 31(3). Carr, P. and Madan, D. (1998), "Towards a theory of
volatility trading", in *Volatility*, Risk Books (the P&L of a delta hedge as gamma-weighted
implied minus realised variance).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from hedgelib._typing import FloatArray
from hedgelib.book import Book, OptionLeg, preset_book
from hedgelib.conventions import (
    CALENDAR_DAYS_PER_YEAR,
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_finite,
    check_int,
    check_positive,
)
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.hedging.result import HedgeResult
from hedgelib.hedging.rules import EveryNSteps
from hedgelib.hedging.strategies import HedgeOption
from hedgelib.market.data import PriceHistory, implied_volatility_series
from hedgelib.market.models import Paths
from hedgelib.pricing.black_scholes import bs_greeks
from hedgelib.theory import realised_gamma_pnl

__all__ = [
    "ATTRIBUTION_OVER_TIME_COLUMNS",
    "ConstantVol",
    "GarchVol",
    "ImpliedVolSeries",
    "RealisedVol",
    "Replay",
    "RollingResult",
    "VolatilitySource",
    "replay",
    "rolling_programme",
]

TimeBasis = Literal["trading", "calendar"]
#: Columns of :attr:`Replay.attribution_over_time` (cumulative, in currency).
ATTRIBUTION_OVER_TIME_COLUMNS: tuple[str, ...] = (
    "entry",
    "delta",
    "gamma",
    "theta",
    "vega",
    "residual",
    "interest",
    "dividends",
    "costs",
    "pnl",
)
# Same tolerance as the engine: a leg counts as expired within this many years of expiry.
_EXPIRY_TOL = 1e-9
_EVERY_STEP = EveryNSteps(1)
_NO_COSTS = TransactionCosts()
_ROLLS = ("weekly", "monthly", "quarterly")


class _PastDataEnd(HedgeLibError):
    """A trade that would need closes after the data end (a rolling programme skips it)."""


def _iso(d: pd.Timestamp) -> str:
    return d.date().isoformat()


def _to_date(value: Any, name: str) -> pd.Timestamp:
    if value is None or isinstance(value, bool | int | float | np.number):
        raise HedgeLibError(f"{name} must be a date such as '2018-02-01', got {value!r}")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        raise HedgeLibError(f"{name} must be a date such as '2018-02-01', got {value!r}") from None
    if pd.isna(ts):
        raise HedgeLibError(f"{name} must be a date such as '2018-02-01', got {value!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _prices_of(history: Any) -> tuple[pd.Series, str]:
    """Closes as a validated float Series on dates, and a display name."""
    if isinstance(history, PriceHistory):
        return history.prices, history.name
    if isinstance(history, pd.Series):
        name = str(history.name) if history.name is not None else "prices"
        try:
            h = PriceHistory(history, name=name, source="user series", as_of=history.index[-1])
        except (IndexError, TypeError):
            raise HedgeLibError(
                f"history must be a PriceHistory or a Series of closes on dates, got {len(history)} rows"
            ) from None
        return h.prices, h.name
    raise HedgeLibError(
        f"history must be a PriceHistory or a pandas Series of closes on dates, got {type(history).__name__}"
    )


def _dates_positions(prices: pd.Series, dates: pd.DatetimeIndex, who: str) -> np.ndarray:
    pos = prices.index.get_indexer(dates)
    if (pos < 0).any():
        d = dates[int(np.argmax(pos < 0))]
        raise HedgeLibError(f"dates must be dates of the price series for {who}, got {_iso(d)}")
    return pos


def _single(value: Any, name: str, check: Callable[[Any, str], FloatArray]) -> float:
    arr = check(value, name)
    if arr.ndim != 0:
        raise HedgeLibError(f"{name} must be a single number, got an array of shape {arr.shape}")
    return float(arr)


# ---------------------------------------------------------------------------------------
# volatility sources
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConstantVol:
    """One volatility on every date.

    Parameters
    ----------
    volatility : float
        Annualised, decimal, > 0.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.bdate_range("2020-01-01", periods=3)
    >>> ConstantVol(0.2).volatility_on(pd.Series(1.0, index=idx), idx).tolist()
    [0.2, 0.2, 0.2]
    """

    volatility: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "volatility", _single(self.volatility, "volatility", check_positive))

    @property
    def label(self) -> str:
        return f"constant {100 * self.volatility:.4g}%"

    def volatility_on(
        self, prices: pd.Series, dates: pd.DatetimeIndex, *, remaining_years: Any = None
    ) -> pd.Series:
        """The constant on each of ``dates`` (decimal, annualised)."""
        return pd.Series(self.volatility, index=pd.DatetimeIndex(dates, name="date"), name="volatility")


@dataclass(frozen=True, eq=False)
class ImpliedVolSeries:
    """A series of implied volatilities, aligned to the hedge dates.

    Parameters
    ----------
    series : pandas.Series, optional
        Implied volatility on dates (a DatetimeIndex). ``None``: the bundled CBOE VIX, the
        30-day implied volatility of the S&P 500 (2014-2018), through
        :func:`~hedgelib.market.data.implied_volatility_series`.
    percent : bool, default False
        Whether ``series`` is in vol points (20 = 20%) rather than decimal.
    max_stale_days : int, default 5
        A date without its own value takes the last one at most this many calendar days
        earlier (never a later one); older than that is an error naming the date.

    Notes
    -----
    Using the VIX for the deltas of 1-month S&P 500 options is the usual stand-in for the
    at-the-money implied volatility (it sits a little above it, because of the skew; Carr
    and Wu 2006).

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.to_datetime(["2018-02-02", "2018-02-05"])
    >>> ImpliedVolSeries().volatility_on(pd.Series(1.0, index=idx), idx).round(4).tolist()
    [0.1731, 0.3732]
    """

    series: pd.Series | None = None
    percent: bool = False
    max_stale_days: int = 5

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_stale_days", check_int(self.max_stale_days, "max_stale_days", minimum=0))
        if not isinstance(self.percent, bool):
            raise HedgeLibError(f"percent must be True or False, got {self.percent!r}")
        s = self.series
        if s is None:
            return
        if isinstance(s, pd.DataFrame) and s.shape[1] == 1:
            s = s.iloc[:, 0]
        if not isinstance(s, pd.Series) or not isinstance(s.index, pd.DatetimeIndex):
            raise HedgeLibError(
                f"series must be a pandas Series indexed by dates, got {type(self.series).__name__}"
            )
        values = check_positive(s.to_numpy(dtype=np.float64, na_value=np.nan), "series")
        if self.percent:
            values = values / 100.0
        idx = s.index.tz_localize(None) if s.index.tz is not None else s.index
        idx = idx.normalize()
        if not idx.is_unique or not idx.is_monotonic_increasing:
            raise HedgeLibError("series must be indexed by unique dates, oldest first")
        object.__setattr__(self, "series", pd.Series(values, index=idx, name="implied volatility"))

    @property
    def label(self) -> str:
        return "VIX / 100" if self.series is None else "implied volatility series"

    def volatility_on(
        self, prices: pd.Series, dates: pd.DatetimeIndex, *, remaining_years: Any = None
    ) -> pd.Series:
        """The implied volatility on each of ``dates`` (decimal), last value carried forward."""
        want = pd.DatetimeIndex(dates, name="date")
        if self.series is None:
            out = implied_volatility_series(want, max_stale_days=self.max_stale_days)
        else:
            out = self.series.reindex(
                want, method="ffill", tolerance=pd.Timedelta(days=self.max_stale_days)
            )
            missing = out.isna().to_numpy()
            if missing.any():
                d = want[int(np.argmax(missing))]
                raise HedgeLibError(
                    f"series has no implied volatility on or within {self.max_stale_days} days "
                    f"before {_iso(d)}; it covers {_iso(self.series.index[0])} to "
                    f"{_iso(self.series.index[-1])}"
                )
        return pd.Series(out.to_numpy(dtype=np.float64), index=want, name="volatility")


@dataclass(frozen=True)
class RealisedVol:
    """Trailing realised volatility: on each date, from the last ``window`` returns only.

    Parameters
    ----------
    window : int, default 21
        Number of log returns in the window (>= 2); the value on date ``t`` uses the closes
        from ``t - window`` rows to ``t`` inclusive (the close of ``t`` is known when the
        hedge is set at that close).
    periods_per_year : int, default 252
        Observations per year, to annualise.

    Notes
    -----
    .. math:: \\hat\\sigma_t = \\sqrt{P}\\,\\mathrm{std}(r_{t-w+1}, \\dots, r_t),\\quad
              r_j = \\log(S_j / S_{j-1}),

    the sample standard deviation (ddof = 1) as in
    :func:`~hedgelib.market.calibrate.realised_volatility` (Hull, 15.4).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> idx = pd.bdate_range("2020-01-01", periods=5)
    >>> s = pd.Series([100.0, 101.0, 99.0, 100.5, 100.0], index=idx)
    >>> round(float(RealisedVol(4).volatility_on(s, idx[-1:]).iloc[0]), 4)
    0.251
    """

    window: int = 21
    periods_per_year: int = TRADING_DAYS_PER_YEAR

    def __post_init__(self) -> None:
        object.__setattr__(self, "window", check_int(self.window, "window", minimum=2))
        object.__setattr__(self, "periods_per_year", check_int(self.periods_per_year, "periods_per_year"))

    @property
    def label(self) -> str:
        return f"realised, {self.window}-day window"

    def volatility_on(
        self, prices: pd.Series, dates: pd.DatetimeIndex, *, remaining_years: Any = None
    ) -> pd.Series:
        """Trailing realised volatility on each of ``dates`` (decimal, annualised)."""
        want = pd.DatetimeIndex(dates, name="date")
        pos = _dates_positions(prices, want, "RealisedVol")
        w = self.window
        if pos.min() < w:
            first = want[int(np.argmin(pos))]
            raise HedgeLibError(
                f"window of {w} returns needs {w + 1} closes up to {_iso(first)}, but the data "
                f"hold only {int(pos.min()) + 1} (they start on {_iso(prices.index[0])}); "
                + (
                    f"start on or after {_iso(prices.index[w])} or shorten the window"
                    if w < len(prices)
                    else f"the whole series has {len(prices)} closes: shorten the window"
                )
            )
        logp = np.log(prices.to_numpy(dtype=np.float64)[: int(pos.max()) + 1])
        r = np.diff(logp)
        # row h's window is r[h - w .. h - 1]: returns up to the close of that date only
        windows = np.lib.stride_tricks.sliding_window_view(r, w)[pos - w]
        var = windows.var(axis=1, ddof=1)
        return pd.Series(np.sqrt(var * self.periods_per_year), index=want, name="volatility")


@dataclass(frozen=True)
class GarchVol:
    """GARCH(1,1) volatility forecast as of each date, refitted every ``refit_every`` rows.

    Parameters
    ----------
    refit_every : int, default 21
        Rows (trading days) between refits, counted from the first date asked for. Between
        refits the variance recursion is rolled forward daily with the last fitted
        parameters and the returns observed so far.
    horizon_days : int or "expiry", default "expiry"
        Forecast horizon in trading days: a fixed number, or the days left to the book's last
        expiry on each date (the volatility an option with that life should carry).
    fit_window : int or None, default 1000
        Most returns used by a fit (the latest ones up to the refit date); None: all history.
    min_observations : int, default 250
        Fewest returns a fit needs (at least 100).
    mean : {"constant", "zero"}, default "constant"
        Mean of the daily return in the fitted model.
    periods_per_year : int, default 252
        Trading days per year, to annualise and to count days to expiry.

    Notes
    -----
    At a refit date :math:`k` the model :math:`h_{t+1} = \\omega + \\alpha\\varepsilon_t^2 +
    \\beta h_t` is fitted by :func:`~hedgelib.market.calibrate.fit_garch` to returns up to
    :math:`k` only, giving :math:`h_{k+1}`. On a later date :math:`t` before the next refit,
    :math:`h_{t+1}` is rolled forward from :math:`h_{k+1}` through
    :math:`\\varepsilon_j = r_j - \\mu`, :math:`j = k+1..t`: returns known at the close of
    :math:`t`. The volatility over the next :math:`H` days is
    :math:`\\sqrt{P\\,\\tfrac1H\\sum_{k=1}^H E[h_{t+k}]}` with
    :math:`E[h_{t+k}] = \\bar h + (\\alpha+\\beta)^{k-1}(h_{t+1} - \\bar h)` (Bollerslev 1986;
    Hull, ch. 23). Nothing after :math:`t` enters the value on :math:`t`: deleting or
    changing later data leaves it unchanged. Refitting daily would cost one maximum-
    likelihood fit per date; rolling the recursion keeps the forecast daily at the cost of
    parameters up to ``refit_every - 1`` days stale.

    Examples
    --------
    >>> from hedgelib.market.data import load_bundled
    >>> spx = load_bundled("sp500", end="2018-02-09").prices
    >>> v = GarchVol(horizon_days=21).volatility_on(spx, spx.index[-6:])
    >>> v.round(2).tolist()[:2]  # Friday 2 and Monday 5 February 2018: the shock
    [0.16, 0.25]
    """

    refit_every: int = 21
    horizon_days: int | Literal["expiry"] = "expiry"
    fit_window: int | None = 1000
    min_observations: int = 250
    mean: Literal["constant", "zero"] = "constant"
    periods_per_year: int = TRADING_DAYS_PER_YEAR

    def __post_init__(self) -> None:
        object.__setattr__(self, "refit_every", check_int(self.refit_every, "refit_every"))
        if self.horizon_days != "expiry":
            object.__setattr__(self, "horizon_days", check_int(self.horizon_days, "horizon_days"))
        object.__setattr__(self, "min_observations", check_int(self.min_observations, "min_observations", minimum=100))
        if self.fit_window is not None:
            fw = check_int(self.fit_window, "fit_window", minimum=100)
            if fw < self.min_observations:
                raise HedgeLibError(
                    f"fit_window must be at least min_observations ({self.min_observations}), got {fw}"
                )
            object.__setattr__(self, "fit_window", fw)
        if self.mean not in ("constant", "zero"):
            raise HedgeLibError(f"mean must be 'constant' or 'zero', got {self.mean!r}")
        object.__setattr__(self, "periods_per_year", check_int(self.periods_per_year, "periods_per_year"))

    @property
    def label(self) -> str:
        return f"GARCH(1,1), refit every {self.refit_every} days"

    def volatility_on(
        self, prices: pd.Series, dates: pd.DatetimeIndex, *, remaining_years: Any = None
    ) -> pd.Series:
        """GARCH volatility forecast on each of ``dates`` (decimal, annualised).

        ``remaining_years`` (one per date) is required when ``horizon_days="expiry"``.
        """
        from hedgelib.market.calibrate import fit_garch

        want = pd.DatetimeIndex(dates, name="date")
        pos = _dates_positions(prices, want, "GarchVol")
        if want.size and not (np.diff(pos) > 0).all():
            raise HedgeLibError("dates must be increasing")
        if self.horizon_days == "expiry":
            if remaining_years is None:
                raise HedgeLibError(
                    "remaining_years must be given when horizon_days='expiry', got None"
                )
            rem = check_finite(remaining_years, "remaining_years")
            horizons = np.maximum(np.ceil(np.broadcast_to(rem, want.shape) * self.periods_per_year - 1e-9), 1)
            horizons = horizons.astype(np.int64)
        else:
            horizons = np.full(want.size, int(self.horizon_days), dtype=np.int64)
        m = self.min_observations
        if want.size and pos[0] < m:
            hint = (
                f"start on or after {_iso(prices.index[m])}" if len(prices) > m
                else f"the data hold only {len(prices) - 1} returns in all"
            )
            raise HedgeLibError(
                f"GarchVol needs at least {m} daily returns up to {_iso(want[0])} to fit, but the "
                f"data start on {_iso(prices.index[0])} ({int(pos[0])} returns): {hint}, or lower "
                f"min_observations"
            )
        values = prices.to_numpy(dtype=np.float64)
        logp = np.log(values[: int(pos.max()) + 1]) if want.size else np.empty(0)
        r = np.diff(logp)
        out = np.empty(want.size)
        fit = None
        notes: list[str] = []
        k = -1
        h = 0.0
        last = -1
        for j, p in enumerate(pos):
            if fit is None or p - k >= self.refit_every:
                # refit dates are the first date and every refit_every rows after it
                k = int(pos[0]) + ((int(p) - int(pos[0])) // self.refit_every) * self.refit_every
                lo = 0 if self.fit_window is None else max(0, k - self.fit_window)
                window = pd.Series(values[lo : k + 1], index=prices.index[lo : k + 1])
                fit = fit_garch(window, mean=self.mean, periods_per_year=self.periods_per_year,
                                previous=fit)
                if fit.warning:
                    notes.append(f"GARCH refit on {_iso(want[j])}: {fit.warning}")
                h = fit.next_variance
                last = k
            # roll h_{t+1} forward through the returns between the last update and p
            for i in range(last + 1, int(p) + 1):
                eps = r[i - 1] - fit.mean_return
                h = fit.omega + fit.alpha * eps * eps + fit.beta * h
            last = int(p)
            now = dataclasses.replace(fit, next_variance=h, as_of=want[j])
            out[j] = now.forecast_volatility(int(horizons[j]))
        series = pd.Series(out, index=want, name="volatility")
        series.attrs["warnings"] = tuple(notes)
        return series


VolatilitySource = ConstantVol | ImpliedVolSeries | RealisedVol | GarchVol


def _as_source(volatility: Any) -> Any:
    if isinstance(volatility, ConstantVol | ImpliedVolSeries | RealisedVol | GarchVol):
        return volatility
    if callable(getattr(volatility, "volatility_on", None)):
        return volatility
    if isinstance(volatility, int | float | np.floating) and not isinstance(volatility, bool):
        return ConstantVol(float(volatility))
    raise HedgeLibError(
        "volatility must be a number or a volatility source (ConstantVol, ImpliedVolSeries, "
        f"RealisedVol, GarchVol), got {volatility!r}"
    )


# ---------------------------------------------------------------------------------------
# one replay
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Replay:
    """The hedge of one book over one stretch of real history.

    Attributes
    ----------
    result : HedgeResult
        The engine's result on the one path (``result.pnl[0]`` is the P&L).
    ledger : pandas.DataFrame
        One row per date (index ``date``): ``time`` (years), ``spot``, ``volatility`` (used
        for the deltas), ``stock`` (hedge shares held after the day's trade),
        ``stock_trade``, ``cash`` (after the trade, interest included), ``book_value``
        (live legs at the hedge volatility, plus the book's stock), ``pnl`` (mark-to-market
        P&L so far, premium included), ``costs`` (cumulative); with a hedge option also
        ``option``, ``option_trade``, ``option_price``. The last row is after liquidation.
    trades : pandas.DataFrame
        One row per hedge trade: ``date``, ``shares`` (signed), ``price``, ``notional``,
        ``cost``, ``position`` (shares after); with a hedge option also ``options``,
        ``option_price``, ``option_position``.
    attribution_over_time : pandas.DataFrame
        Cumulative greek explain by date (:data:`ATTRIBUTION_OVER_TIME_COLUMNS`): ``delta``
        :math:`\\sum\\Delta\\,\\delta S`, ``gamma`` :math:`\\sum\\tfrac12\\Gamma\\,\\delta S^2`,
        ``theta`` :math:`\\sum\\Theta\\,\\delta t`, ``vega`` :math:`\\sum\\mathcal V\\,\\delta
        \\sigma`, ``residual``, ``interest``, ``dividends``, ``costs`` (negative) and
        ``entry``; each row sums to ``pnl``, and the last row equals ``result.explain``.
    volatility : pandas.Series
        The hedge volatility on each date.
    gamma : pandas.Series
        Gamma of the whole position (book plus hedge options) after each date's trade.
    book : Book
        The book, expiries in years from ``start``.
    start, end : pandas.Timestamp
        First and last dates of the replay.
    time_basis : {"trading", "calendar"}
    volatility_label : str
        Where the volatility came from, for display.
    warnings : tuple of str
        Notes from the volatility source (e.g. a GARCH refit accepted without a clean
        optimizer convergence).
    """

    result: HedgeResult
    ledger: pd.DataFrame
    trades: pd.DataFrame
    attribution_over_time: pd.DataFrame
    volatility: pd.Series
    gamma: pd.Series
    book: Book
    start: pd.Timestamp
    end: pd.Timestamp
    time_basis: str
    volatility_label: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def pnl(self) -> float:
        """Final P&L of book plus hedge, premium included."""
        return float(self.result.pnl[0])

    def __repr__(self) -> str:
        return (
            f"Replay({_iso(self.start)}..{_iso(self.end)}, steps={self.result.n_steps}, "
            f"premium={self.result.premium:.6g}, pnl={self.pnl:.6g})"
        )

    def realised_volatility(self) -> float:
        """Realised volatility over the replay, zero mean: :math:`\\sqrt{\\sum r_i^2 / T}`.

        With ``T`` the replay's length in years (``result.horizon``) on its time basis.
        """
        s = self.ledger["spot"].to_numpy()
        r = np.diff(np.log(s))
        return math.sqrt(float(np.sum(r * r)) / self.result.horizon)

    def gamma_exposure(self) -> float:
        """:math:`\\tfrac12\\sum_i \\Gamma_i S_i^2\\,\\delta t_i`: P&L per unit of realised minus
        implied variance (:func:`hedgelib.theory.gamma_pnl` summed over the steps)."""
        g = self.gamma.to_numpy()[:-1]
        s = self.ledger["spot"].to_numpy()[:-1]
        dt = np.diff(self.ledger["time"].to_numpy())
        return float(0.5 * np.sum(g * s * s * dt))

    def summary(self) -> dict[str, Any]:
        """Headline figures: dates, premium, P&L, unhedged P&L, costs, trades, volatilities."""
        res = self.result
        return {
            "start": self.start,
            "end": self.end,
            "entry_spot": float(self.ledger["spot"].iloc[0]),
            "exit_spot": float(self.ledger["spot"].iloc[-1]),
            "premium": res.premium,
            "pnl": self.pnl,
            "unhedged_pnl": float(res.unhedged_pnl[0]),
            "costs": float(res.costs[0]),
            "n_trades": int(res.n_trades[0]),
            "turnover": float(res.turnover[0]),
            "implied_vol": float(self.volatility.iloc[0]),
            "realised_vol": self.realised_volatility(),
        }


def _locate_range(
    prices: pd.Series,
    name: str,
    start: Any,
    end: Any,
    expiry: float,
    time_basis: str,
    ppy: int,
) -> tuple[int, int]:
    """Rows of the first and last date of a replay."""
    idx = prices.index
    first, last = idx[0], idx[-1]
    d0 = _to_date(start, "start")
    if d0 < first or d0 > last:
        raise HedgeLibError(
            f"start must lie within the data of {name} ({_iso(first)} to {_iso(last)}), got {_iso(d0)}"
        )
    i0 = int(idx.searchsorted(d0, side="left"))
    if i0 >= len(idx) - 1:
        raise _PastDataEnd(
            f"start {_iso(d0)} leaves no later close of {name} to hedge on (the data end on {_iso(last)})"
        )
    d_start = idx[i0]
    if end is not None:
        d1 = _to_date(end, "end")
        if d1 > last:
            raise HedgeLibError(
                f"end must not be after the data end ({_iso(last)}), got {_iso(d1)}"
            )
        i1 = int(idx.searchsorted(d1, side="right")) - 1
        if i1 <= i0:
            raise HedgeLibError(
                f"the range from start={_iso(d_start)} to end={_iso(d1)} holds no later close of "
                f"{name}: nothing to hedge"
            )
        return i0, i1
    if expiry <= 0:
        raise HedgeLibError("end must be given for a book with no option legs, got None")
    if time_basis == "trading":
        n = int(math.ceil(expiry * ppy - 1e-9))
        i1 = i0 + n
        if i1 > len(idx) - 1:
            short = i1 - (len(idx) - 1)
            raise _PastDataEnd(
                f"book expires {n} trading days after start ({_iso(d_start)}), but the data of "
                f"{name} end on {_iso(last)}: {short} more trading day(s) of data are missing"
            )
        return i0, i1
    days = (idx[i0:] - d_start).days.to_numpy() / CALENDAR_DAYS_PER_YEAR
    after = np.nonzero(days >= expiry - _EXPIRY_TOL)[0]
    if after.size == 0:
        expiry_date = d_start + pd.Timedelta(days=expiry * CALENDAR_DAYS_PER_YEAR)
        missing = (expiry_date.normalize() - last).days
        raise _PastDataEnd(
            f"book expires on {_iso(expiry_date)} ({expiry:.6g} years after {_iso(d_start)}), but "
            f"the data of {name} end on {_iso(last)}: about {missing} calendar day(s) of data are missing"
        )
    return i0, i0 + int(after[0])


def _position_greeks(
    book: Book,
    times: FloatArray,
    spot: FloatArray,
    sig: FloatArray,
    r: float,
    q: float,
    hedge_option: HedgeOption | None,
    option_held: FloatArray | None,
) -> dict[str, FloatArray]:
    """Greeks at each step start (rows 0..n-1) of the live book and of the hedge options held.

    Mirrors the engine's bookkeeping: legs within 1e-9 years of expiry have settled; the
    hedge option is bought at ``moneyness * spot`` and replaced when it expires.
    """
    n = times.size - 1
    t, s, v = times[:n], spot[:n], sig[:n]
    out = {k: np.zeros(n) for k in ("delta", "gamma", "theta", "vega")}
    out["delta"] += float(book.stock)
    for leg in book.legs:
        tau = leg.expiry - t
        live = tau > _EXPIRY_TOL
        if not live.any():
            continue
        g = bs_greeks(s, leg.strike, np.where(live, tau, 1.0), v, r, q, leg.kind)
        for k in out:
            out[k] += np.where(live, leg.quantity * np.asarray(getattr(g, k)), 0.0)
    if hedge_option is not None and option_held is not None:
        strike = np.empty(n)
        expiry = np.empty(n)
        k_cur = e_cur = None
        for i in range(n):
            if e_cur is not None and e_cur - t[i] <= _EXPIRY_TOL:
                k_cur = e_cur = None
            if e_cur is None:
                k_cur, e_cur = hedge_option.moneyness * s[i], t[i] + hedge_option.tenor
            strike[i], expiry[i] = k_cur, e_cur
        g = bs_greeks(s, strike, expiry - t, v, r, q, hedge_option.kind)
        u = option_held[:n]
        for k in out:
            out[k] += u * np.asarray(getattr(g, k))
    return out


def _attribution_over_time(
    ledger: pd.DataFrame,
    greeks: dict[str, FloatArray],
    entry: float,
    book_stock: float,
    r: float,
    q: float,
) -> pd.DataFrame:
    """Cumulative greek explain by date; the residual closes each row onto the ledger P&L."""
    s = ledger["spot"].to_numpy()
    t = ledger["time"].to_numpy()
    sig = ledger["volatility"].to_numpy()
    x = ledger["stock"].to_numpy()[:-1]
    cash = ledger["cash"].to_numpy()[:-1]
    ds = np.diff(s)
    dt = np.diff(t)

    def cum(step_terms: FloatArray) -> FloatArray:
        return np.concatenate(([0.0], np.cumsum(step_terms)))

    delta = cum((greeks["delta"] + x) * ds)
    gamma = cum(0.5 * greeks["gamma"] * ds * ds)
    theta = cum(greeks["theta"] * dt)
    vega = cum(greeks["vega"] * np.diff(sig))
    interest = cum(cash * np.expm1(r * dt)) if r != 0.0 else np.zeros(t.size)
    dividends = cum((x + book_stock) * np.expm1(q * dt) * s[1:]) if q != 0.0 else np.zeros(t.size)
    costs = -ledger["costs"].to_numpy()
    pnl = ledger["pnl"].to_numpy()
    residual = pnl - entry - interest - dividends - costs - (delta + gamma + theta + vega)
    frame = pd.DataFrame(
        {
            "entry": np.full(t.size, entry),
            "delta": delta,
            "gamma": gamma,
            "theta": theta,
            "vega": vega,
            "residual": residual,
            "interest": interest,
            "dividends": dividends,
            "costs": costs,
            "pnl": pnl,
        },
        index=ledger.index,
    )
    return frame


def replay(
    history: Any,
    book: Book,
    *,
    start: Any,
    end: Any = None,
    volatility: Any = 0.2,
    pricing_volatility: float | None = None,
    rate: float = 0.0,
    dividend_yield: float = 0.0,
    rule: Any = _EVERY_STEP,
    costs: Any = _NO_COSTS,
    strategy: Any = "delta",
    hedge_option: HedgeOption | None = None,
    time_basis: TimeBasis = "trading",
    periods_per_year: int = TRADING_DAYS_PER_YEAR,
) -> Replay:
    """Hedge one book over real closes, from ``start`` to its last expiry (or ``end``).

    Parameters
    ----------
    history : PriceHistory or pandas.Series
        Closes on dates (oldest first). The series is one path of the engine.
    book : Book
        The position, entered at the close of ``start``; leg expiries are in years from
        ``start`` on the chosen time basis.
    start : date-like
        First date; a non-trading day moves to the next close.
    end : date-like, optional
        Last date (the last close on or before it). Default: the first close at or after
        the book's last expiry, which must lie within the data.
    volatility : float or volatility source, default 0.2
        Volatility for the deltas and the marks on each date: a number (constant),
        :class:`ConstantVol`, :class:`ImpliedVolSeries`, :class:`RealisedVol`,
        :class:`GarchVol`, or any object with the same ``volatility_on`` method.
    pricing_volatility : float, optional
        Volatility of the premium; default the source's value on ``start``.
    rate, dividend_yield : float, default 0.0
        Continuously compounded, decimal: cash earns ``rate``; stock held earns the yield.
    rule, costs, strategy, hedge_option
        As in :func:`~hedgelib.hedging.engine.simulate_hedge`.
    time_basis : {"trading", "calendar"}, default "trading"
        ``"trading"``: row ``i`` after the start is ``i / periods_per_year`` years;
        ``"calendar"``: actual/365 from the dates.
    periods_per_year : int, default 252
        Rows per year on the trading basis (52 for weekly closes).

    Returns
    -------
    Replay
        The engine's :class:`~hedgelib.hedging.result.HedgeResult` plus the dated ledger,
        the trade log, the attribution over time and the volatility used.

    Raises
    ------
    HedgeLibError
        Dates outside the data, an empty range, a book expiring after the data end (with how
        much data is missing), too little history for the volatility source.

    Notes
    -----
    The engine's bookkeeping (Hull 2021, ch. 19): the book is bought at its value at the
    pricing volatility, the hedge is set at each close to the strategy's target when the
    rule says so, cash earns :math:`e^{r\\delta t} - 1` per step, legs settle at their payoff
    and the hedge is liquidated at the end. The attribution over time accumulates the
    engine's explain step by step, :math:`\\Delta\\,\\delta S + \\tfrac12\\Gamma\\,\\delta S^2
    + \\Theta\\,\\delta t + \\mathcal V\\,\\delta\\sigma` plus a residual, so that each date's
    row sums to the mark-to-market P&L of that date.

    Examples
    --------
    >>> from hedgelib.market.data import load_bundled
    >>> spx = load_bundled("sp500")
    >>> book = Book([OptionLeg("call", 2800.0, 21 / 252, -1.0)])
    >>> rp = replay(spx, book, start="2018-02-01", volatility=ImpliedVolSeries())
    >>> rp.end.date().isoformat(), len(rp.ledger)
    ('2018-03-05', 22)
    >>> bool(abs(rp.attribution_over_time.iloc[-1, :-1].sum() - rp.pnl) < 1e-6)
    True
    """
    prices, name = _prices_of(history)
    if not isinstance(book, Book):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    if book.is_empty:
        raise HedgeLibError("book must hold at least one option leg or some stock, got an empty book")
    if time_basis not in ("trading", "calendar"):
        raise HedgeLibError(f"time_basis must be 'trading' or 'calendar', got {time_basis!r}")
    ppy = check_int(periods_per_year, "periods_per_year")
    source = _as_source(volatility)
    r = _single(rate, "rate", check_finite)
    q = _single(dividend_yield, "dividend_yield", check_finite)
    expiry = max((float(leg.expiry) for leg in book.legs), default=0.0)
    i0, i1 = _locate_range(prices, name, start, end, expiry, time_basis, ppy)
    dates = prices.index[i0 : i1 + 1]
    spot = prices.to_numpy(dtype=np.float64)[i0 : i1 + 1]
    if time_basis == "trading":
        times = np.arange(i1 - i0 + 1, dtype=np.float64) / ppy
    else:
        times = (dates - dates[0]).days.to_numpy().astype(np.float64) / CALENDAR_DAYS_PER_YEAR
    vol_series = source.volatility_on(prices, dates, remaining_years=np.maximum(expiry - times, 0.0))
    if not isinstance(vol_series, pd.Series) or len(vol_series) != len(dates):
        raise HedgeLibError(f"volatility source {source!r} must give one value per date")
    source_notes = tuple(vol_series.attrs.get("warnings", ()))
    sig = check_positive(vol_series.to_numpy(dtype=np.float64, na_value=np.nan), "volatility")
    vol_series = pd.Series(sig, index=pd.DatetimeIndex(dates, name="date"), name="volatility")

    paths = Paths(times=times, spot=spot.reshape(-1, 1))
    res = simulate_hedge(
        book,
        paths,
        hedge_volatility=sig,
        rate=r,
        dividend_yield=q,
        rule=rule,
        costs=costs,
        strategy=strategy,
        hedge_option=hedge_option,
        pricing_volatility=pricing_volatility,
        record_paths=1,
    )
    steps = res.steps
    ledger = steps.drop(columns=["path", "step"]).set_index(pd.DatetimeIndex(dates, name="date"))
    uses_option = bool(np.any(ledger["option"].to_numpy() != 0.0))
    if not uses_option:
        ledger = ledger.drop(columns=["option", "option_trade", "option_price"])
    greeks = _position_greeks(
        book, times, spot, sig, r, q, hedge_option if uses_option else None,
        ledger["option"].to_numpy() if uses_option else None,
    )
    attribution = _attribution_over_time(ledger, greeks, float(res.explain["entry"][0]), float(book.stock), r, q)

    step_cost = np.diff(np.concatenate(([0.0], ledger["costs"].to_numpy())))
    traded = ledger["stock_trade"].to_numpy() != 0.0
    if uses_option:
        traded |= ledger["option_trade"].to_numpy() != 0.0
    trades = pd.DataFrame(
        {
            "date": dates[traded],
            "shares": ledger["stock_trade"].to_numpy()[traded],
            "price": spot[traded],
            "notional": ledger["stock_trade"].to_numpy()[traded] * spot[traded],
            "cost": step_cost[traded],
            "position": ledger["stock"].to_numpy()[traded],
        }
    )
    if uses_option:
        trades["options"] = ledger["option_trade"].to_numpy()[traded]
        trades["option_price"] = ledger["option_price"].to_numpy()[traded]
        trades["option_position"] = ledger["option"].to_numpy()[traded]
    gamma = np.concatenate((greeks["gamma"], [0.0]))
    return Replay(
        result=res,
        ledger=ledger,
        trades=trades,
        attribution_over_time=attribution,
        volatility=vol_series,
        gamma=pd.Series(gamma, index=vol_series.index, name="gamma"),
        book=book,
        start=dates[0],
        end=dates[-1],
        time_basis=time_basis,
        volatility_label=str(getattr(source, "label", type(source).__name__)),
        warnings=source_notes,
    )


# ---------------------------------------------------------------------------------------
# rolling programmes
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RollingResult:
    """A trade repeated over a period: one replay per entry date.

    Attributes
    ----------
    trades : pandas.DataFrame
        One row per trade: ``entry_date``, ``expiry_date`` (last date of the replay),
        ``entry_spot``, ``exit_spot``, ``premium`` (holder's sign), ``implied_vol`` (the
        source's value at entry), ``realised_vol`` (zero-mean, over the life),
        ``variance_spread`` (implied² - realised²), ``pnl``, ``unhedged_pnl``, ``costs``,
        ``n_trades``, ``turnover``, the explain terms ``entry``, ``delta``, ``gamma``,
        ``theta``, ``vega``, ``residual``, ``interest``, ``dividends``, ``cost_<component>``
        (summing to ``pnl``), ``gamma_exposure`` (:math:`\\tfrac12\\sum\\Gamma S^2\\delta t`),
        ``theory_pnl`` (:math:`-\\text{gamma\\_exposure}\\times\\text{variance\\_spread}`) and
        ``gamma_pnl_realised`` (:func:`hedgelib.theory.realised_gamma_pnl` along the path).
    cumulative_pnl : pandas.Series
        Sum over trades of each trade's mark-to-market P&L by date (a finished trade keeps
        its final P&L), from the first entry to the last expiry.
    replays : tuple of Replay
        The trades themselves, for drilling into one.
    warnings : tuple of str
        Notes, e.g. entries skipped because their expiry is after the data end.
    volatility_label : str
        Where the volatility came from.
    """

    trades: pd.DataFrame
    cumulative_pnl: pd.Series
    replays: tuple[Replay, ...]
    warnings: tuple[str, ...] = field(default=())
    volatility_label: str = ""

    def __repr__(self) -> str:
        return (
            f"RollingResult(trades={len(self.trades)}, total_pnl={float(self.trades['pnl'].sum()):.6g}, "
            f"volatility={self.volatility_label!r})"
        )

    @property
    def theory_slope(self) -> float:
        """Slope of the theory line P&L = slope x (implied² - realised²): minus the mean
        gamma exposure of the trades."""
        return -float(self.trades["gamma_exposure"].mean())

    def variance_relation(self) -> pd.DataFrame:
        """P&L against implied minus realised variance, with the theory line.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``entry_date``: ``variance_spread`` :math:`x = \\sigma_i^2 - \\sigma_r^2`,
            ``pnl``, ``theory_pnl`` (per trade, its own gamma exposure times ``-x``),
            ``theory_line`` (``theory_slope * x``, one common slope) and ``gamma_exposure``.

        Notes
        -----
        A delta hedge at volatility :math:`\\sigma_i` earns to leading order
        :math:`\\tfrac12\\sum_t\\Gamma_t S_t^2(\\sigma_r^2 - \\sigma_i^2)\\,\\delta t`
        (:func:`hedgelib.theory.gamma_pnl`; Carr and Madan 1998): a short-gamma trade gains
        when implied exceeds realised variance, in proportion to its dollar gamma.
        """
        t = self.trades
        return pd.DataFrame(
            {
                "variance_spread": t["variance_spread"].to_numpy(),
                "pnl": t["pnl"].to_numpy(),
                "theory_pnl": t["theory_pnl"].to_numpy(),
                "theory_line": self.theory_slope * t["variance_spread"].to_numpy(),
                "gamma_exposure": t["gamma_exposure"].to_numpy(),
            },
            index=pd.DatetimeIndex(t["entry_date"], name="entry_date"),
        )

    def summary(self) -> dict[str, float]:
        """Totals and averages over the trades."""
        t = self.trades
        pnl = t["pnl"].to_numpy()
        return {
            "n_trades": float(len(t)),
            "total_pnl": float(pnl.sum()),
            "mean_pnl": float(pnl.mean()),
            "std_pnl": float(pnl.std(ddof=1)) if pnl.size > 1 else 0.0,
            "hit_rate": float((pnl > 0).mean()),
            "worst_pnl": float(pnl.min()),
            "best_pnl": float(pnl.max()),
            "total_unhedged_pnl": float(t["unhedged_pnl"].sum()),
            "total_costs": float(t["costs"].sum()),
            "mean_implied_vol": float(t["implied_vol"].mean()),
            "mean_realised_vol": float(t["realised_vol"].mean()),
        }


def _entry_rows(
    idx: pd.DatetimeIndex, i_lo: int, i_hi: int, roll: Any
) -> list[int]:
    if isinstance(roll, str):
        if roll not in _ROLLS:
            raise HedgeLibError(f"roll must be a number of rows or one of {list(_ROLLS)}, got {roll!r}")
        window = idx[i_lo : i_hi + 1]
        if roll == "weekly":
            key = window.to_period("W")
        elif roll == "monthly":
            key = window.to_period("M")
        else:
            key = window.to_period("Q")
        # the first close of each period in the range
        first = ~pd.Series(key).duplicated().to_numpy()
        return [i_lo + int(i) for i in np.nonzero(first)[0]]
    n = check_int(roll, "roll")
    return list(range(i_lo, i_hi + 1, n))


def _book_builder(
    book: Any, tenor: float | None, quantity: float, width: float
) -> Callable[[float], Book]:
    sign = 1.0 if quantity > 0 else -1.0
    size = abs(quantity)
    if isinstance(book, str):
        if tenor is None:
            raise HedgeLibError(f"tenor must be given with a preset book ({book!r}), got None")
        preset_book(book, 100.0, tenor, width=width, quantity=size)  # validate once, early

        def build(spot: float) -> Book:
            b = preset_book(book, spot, tenor, width=width, quantity=size)
            return b if sign > 0 else b.scaled(-1.0)

        return build
    if isinstance(book, Book):
        if book.is_empty or not book.legs:
            raise HedgeLibError("book must hold at least one option leg, got none")
        if tenor is not None and abs(tenor - book.expiry) > 1e-12:
            raise HedgeLibError(
                f"tenor must be None or the template book's last expiry ({book.expiry!r}), got {tenor!r}"
            )
        template = book

        def build(spot: float) -> Book:
            legs = [
                OptionLeg(leg.kind, leg.strike * spot, leg.expiry, leg.quantity * quantity)
                for leg in template.legs
            ]
            return Book(legs, stock=template.stock * quantity)

        return build
    if callable(book):
        def build(spot: float) -> Book:
            b = book(spot)
            if not isinstance(b, Book):
                raise HedgeLibError(f"book(entry_spot) must return a Book, got {type(b).__name__}")
            if tenor is not None and abs(tenor - b.expiry) > 1e-12:
                raise HedgeLibError(
                    f"tenor must be None or the built book's last expiry ({b.expiry!r}), got {tenor!r}"
                )
            return b if quantity == 1.0 else b.scaled(quantity)

        return build
    raise HedgeLibError(
        f"book must be a preset name, a Book with strikes as moneyness, or a function of the "
        f"entry spot, got {book!r}"
    )


def rolling_programme(
    history: Any,
    book: str | Book | Callable[[float], Book],
    *,
    tenor: float | None = None,
    start: Any = None,
    end: Any = None,
    roll: int | Literal["weekly", "monthly", "quarterly"] = "monthly",
    volatility: Any = 0.2,
    quantity: float = 1.0,
    width: float = 0.10,
    rate: float = 0.0,
    dividend_yield: float = 0.0,
    rule: Any = _EVERY_STEP,
    costs: Any = _NO_COSTS,
    strategy: Any = "delta",
    hedge_option: HedgeOption | None = None,
    time_basis: TimeBasis = "trading",
    periods_per_year: int = TRADING_DAYS_PER_YEAR,
    progress: Callable[[int, int], Any] | None = None,
) -> RollingResult:
    """Repeat one trade over a period: enter at each roll date, hedge, hold to expiry.

    Parameters
    ----------
    history : PriceHistory or pandas.Series
        Closes on dates.
    book : str, Book or callable
        The trade, built afresh at each entry: a preset name of
        :func:`~hedgelib.book.preset_book` (at the money at the entry spot, strikes
        ``spot * (1 +- width)``); a Book whose strikes are fractions of the entry spot
        (``OptionLeg("put", 0.9, 0.25, 1.0)`` is a 3-month 90% put) and whose expiries are
        years from entry; or a function ``book(entry_spot) -> Book``.
    tenor : float, optional
        Years to expiry, required for a preset (``1 / 12`` for one month on the trading
        basis); for the other forms it defaults to the book's last expiry.
    start, end : date-like, optional
        Entry dates lie between them (inclusive); default the whole data. A trade runs to
        its expiry even past ``end``; trades whose expiry is after the data end are skipped
        (noted in ``warnings``).
    roll : int or {"weekly", "monthly", "quarterly"}, default "monthly"
        Enter every ``roll`` rows (trading days), or on the first close of each calendar
        week, month or quarter.
    volatility : float or volatility source, default 0.2
        As in :func:`replay`; its value at entry is the premium's volatility.
    quantity : float, default 1.0
        Signed size: -1 sells the book (a short straddle from ``"straddle"``).
    width : float, default 0.10
        Strike spacing of presets.
    rate, dividend_yield, rule, costs, strategy, hedge_option, time_basis, periods_per_year
        As in :func:`replay`.
    progress : callable, optional
        Called as ``progress(done, total)`` after each trade.

    Returns
    -------
    RollingResult

    Notes
    -----
    Each trade is an independent :func:`replay`; trades may overlap (rolling more often than
    the tenor). The P&L of a delta-hedged trade is about
    :math:`\\tfrac12\\sum\\Gamma S^2(\\sigma_r^2 - \\sigma_i^2)\\delta t` (Hull 2021, ch. 19;
    Carr and Madan 1998), shown per trade as ``theory_pnl`` and by
    :meth:`RollingResult.variance_relation`.

    Examples
    --------
    >>> from hedgelib.market.data import load_bundled
    >>> spx = load_bundled("sp500")
    >>> prog = rolling_programme(spx, "straddle", tenor=21 / 252, quantity=-1.0,
    ...                          start="2017-01-01", end="2017-06-30",
    ...                          volatility=ImpliedVolSeries())
    >>> len(prog.trades), prog.trades["entry_date"].iloc[0].date().isoformat()
    (6, '2017-01-03')
    """
    prices, name = _prices_of(history)
    q_size = _single(quantity, "quantity", check_finite)
    if q_size == 0.0:
        raise HedgeLibError("quantity must not be zero, got 0.0")
    if tenor is not None:
        tenor = _single(tenor, "tenor", check_positive)
    build = _book_builder(book, tenor, q_size, width)
    if progress is not None and not callable(progress):
        raise HedgeLibError(f"progress must be callable(done, total), got {progress!r}")
    idx = prices.index
    lo = idx[0] if start is None else _to_date(start, "start")
    hi = idx[-1] if end is None else _to_date(end, "end")
    if lo > hi:
        raise HedgeLibError(f"start must not be after end, got start={_iso(lo)} and end={_iso(hi)}")
    if lo > idx[-1] or hi < idx[0]:
        raise HedgeLibError(
            f"start and end must overlap the data of {name} ({_iso(idx[0])} to {_iso(idx[-1])}), "
            f"got {_iso(lo)} to {_iso(hi)}"
        )
    i_lo = int(idx.searchsorted(lo, side="left"))
    i_hi = int(idx.searchsorted(hi, side="right")) - 1
    if i_hi < i_lo:
        raise HedgeLibError(f"no close of {name} between {_iso(lo)} and {_iso(hi)}")
    rows = _entry_rows(idx, i_lo, i_hi, roll)
    values = prices.to_numpy(dtype=np.float64)
    replays: list[Replay] = []
    notes: list[str] = []
    skipped: list[pd.Timestamp] = []
    total = len(rows)
    for done, i in enumerate(rows, start=1):
        b = build(float(values[i]))
        try:
            rp = replay(
                prices, b, start=idx[i], volatility=volatility, rate=rate,
                dividend_yield=dividend_yield, rule=rule, costs=costs, strategy=strategy,
                hedge_option=hedge_option, time_basis=time_basis, periods_per_year=periods_per_year,
            )
        except _PastDataEnd:
            # only a trade that runs past the data end is skipped; every other error stands
            skipped.append(idx[i])
        else:
            replays.append(rp)
            notes.extend(rp.warnings)
        if progress is not None:
            progress(done, total)
    if skipped:
        notes.append(
            f"{len(skipped)} entr{'y' if len(skipped) == 1 else 'ies'} from {_iso(skipped[0])} "
            f"skipped: the trade would expire after the data end ({_iso(idx[-1])})"
        )
    if not replays:
        raise HedgeLibError(
            f"no trade of the programme fits in the data of {name}: entries from {_iso(idx[i_lo])} "
            f"to {_iso(idx[i_hi])} all expire after {_iso(idx[-1])}"
        )
    table = pd.DataFrame([_trade_row(rp) for rp in replays])
    curves = []
    for rp in replays:
        curves.append(rp.ledger["pnl"])
    span = idx[idx.get_loc(replays[0].start) : idx.get_loc(max(rp.end for rp in replays)) + 1]
    cum = np.zeros(len(span))
    for c in curves:
        cur = c.reindex(span)
        # before entry a trade contributes nothing; after expiry its final P&L stays
        cur = cur.ffill().fillna(0.0)
        cum += cur.to_numpy()
    cumulative = pd.Series(cum, index=pd.DatetimeIndex(span, name="date"), name="cumulative_pnl")
    label = replays[0].volatility_label
    return RollingResult(
        trades=table,
        cumulative_pnl=cumulative,
        replays=tuple(replays),
        warnings=tuple(notes),
        volatility_label=label,
    )


def _trade_row(rp: Replay) -> dict[str, Any]:
    res = rp.result
    iv = float(rp.volatility.iloc[0])
    rv = rp.realised_volatility()
    g_exp = rp.gamma_exposure()
    spread = iv * iv - rv * rv
    led = rp.ledger
    row: dict[str, Any] = {
        "entry_date": rp.start,
        "expiry_date": rp.end,
        "entry_spot": float(led["spot"].iloc[0]),
        "exit_spot": float(led["spot"].iloc[-1]),
        "premium": res.premium,
        "implied_vol": iv,
        "realised_vol": rv,
        "variance_spread": spread,
        "pnl": float(res.pnl[0]),
        "unhedged_pnl": float(res.unhedged_pnl[0]),
        "costs": float(res.costs[0]),
        "n_trades": int(res.n_trades[0]),
        "turnover": float(res.turnover[0]),
    }
    for k, v in res.explain.items():
        row[k] = float(v[0])
    row["gamma_exposure"] = g_exp
    row["theory_pnl"] = -g_exp * spread
    row["gamma_pnl_realised"] = float(
        realised_gamma_pnl(
            rp.gamma.to_numpy()[:-1], led["spot"].to_numpy(), rp.volatility.to_numpy()[:-1],
            led["time"].to_numpy(),
        )
    )
    return row
