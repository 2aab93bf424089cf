"""Volatility sources: which volatility on each date, knowing only what was known then.

Small frozen specs with one method, ``volatility_on(prices, dates, *, remaining_years)``:
:class:`ConstantVol`, :class:`ImpliedVolSeries` (the bundled VIX for the S&P 500, or a user's
series), :class:`RealisedVol` (trailing window) and :class:`GarchVol` (GARCH(1,1) refitted as of
each date, no look-ahead). Any object with that method is a source too.

References
----------
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed. (2021), ch. 15 and 23.
Bollerslev, T. (1986), *Journal of Econometrics* 31(3).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from hedgelib.conventions import (
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_choice,
    check_finite,
    check_int,
    check_positive,
    check_positive_volatility,
    check_scalar,
    iso_date,
)
from hedgelib.market.history import implied_volatility_series

__all__ = [
    "ConstantVol",
    "GarchVol",
    "ImpliedVolSeries",
    "RealisedVol",
    "VolatilitySource",
    "as_volatility_source",
]


def _dates_positions(prices: pd.Series, dates: pd.DatetimeIndex, who: str) -> np.ndarray:
    pos = prices.index.get_indexer(dates)
    if (pos < 0).any():
        d = dates[int(np.argmax(pos < 0))]
        raise HedgeLibError(f"dates must be dates of the price series for {who}, got {iso_date(d)}")
    return pos


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
        object.__setattr__(self, "volatility", check_scalar(self.volatility, "volatility", check_positive_volatility))

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
        :func:`~hedgelib.market.history.implied_volatility_series`.
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
                    f"before {iso_date(d)}; it covers {iso_date(self.series.index[0])} to "
                    f"{iso_date(self.series.index[-1])}"
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
                f"window of {w} returns needs {w + 1} closes up to {iso_date(first)}, but the data "
                f"hold only {int(pos.min()) + 1} (they start on {iso_date(prices.index[0])}); "
                + (
                    f"start on or after {iso_date(prices.index[w])} or shorten the window"
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
    >>> from hedgelib.market.history import load_bundled
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
        if not (isinstance(self.horizon_days, str) and self.horizon_days == "expiry"):
            object.__setattr__(self, "horizon_days", check_int(self.horizon_days, "horizon_days"))
        object.__setattr__(self, "min_observations", check_int(self.min_observations, "min_observations", minimum=100))
        if self.fit_window is not None:
            fw = check_int(self.fit_window, "fit_window", minimum=100)
            if fw < self.min_observations:
                raise HedgeLibError(
                    f"fit_window must be at least min_observations ({self.min_observations}), got {fw}"
                )
            object.__setattr__(self, "fit_window", fw)
        check_choice(self.mean, "mean", ("constant", "zero"))
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
                f"start on or after {iso_date(prices.index[m])}" if len(prices) > m
                else f"the data hold only {len(prices) - 1} returns in all"
            )
            raise HedgeLibError(
                f"GarchVol needs at least {m} daily returns up to {iso_date(want[0])} to fit, but the "
                f"data start on {iso_date(prices.index[0])} ({int(pos[0])} returns): {hint}, or lower "
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
                    notes.append(f"GARCH refit on {iso_date(want[j])}: {fit.warning}")
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


def as_volatility_source(volatility: Any, name: str = "hedge_volatility") -> Any:
    """A volatility source from a number (:class:`ConstantVol`) or a source, returned as is."""
    if callable(getattr(volatility, "volatility_on", None)):
        return volatility
    if isinstance(volatility, int | float | np.floating) and not isinstance(volatility, bool):
        return ConstantVol(check_scalar(volatility, name, check_positive_volatility))
    raise HedgeLibError(
        f"{name} must be a number or a volatility source (ConstantVol, ImpliedVolSeries, "
        f"RealisedVol, GarchVol), got {volatility!r}"
    )
