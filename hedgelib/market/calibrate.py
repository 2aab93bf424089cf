"""Calibrate simulated markets to a price history: realised volatility, GBM, GARCH(1,1).

Inputs are daily closes: a ``pd.Series`` (usually with a DatetimeIndex, oldest first) or a
1-D array, with ``periods_per_year`` observations a year (252 trading days by default).
Returns are log returns ``log(S[i] / S[i-1])``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from hedgelib._typing import FloatArray
from hedgelib.conventions import (
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    as_array,
    check_int,
    check_rate,
    check_scalar,
)
from hedgelib.market.models import GARCH, GBM

__all__ = ["GarchFit", "estimate_gbm", "fit_garch", "realised_volatility"]

# Fewer daily returns than this leave GARCH parameters essentially unidentified.
MIN_GARCH_OBSERVATIONS = 100


def _price_series(prices: Any, name: str = "prices") -> pd.Series:
    """Validate prices and return them as a float Series (RangeIndex for arrays)."""
    if isinstance(prices, pd.DataFrame):
        if prices.shape[1] != 1:
            raise HedgeLibError(
                f"{name} must be a Series or a one-column DataFrame, got {prices.shape[1]} columns"
            )
        prices = prices.iloc[:, 0]
    if isinstance(prices, pd.Series):
        missing = prices.isna().to_numpy()
        if missing.any():
            where = prices.index[int(np.argmax(missing))]
            raise HedgeLibError(f"{name} must not contain missing values, got NaN at {where!r}")
        values = as_array(prices.to_numpy(), name)
        index = prices.index
        if not index.is_unique:
            repeated = index[index.duplicated()][0]
            raise HedgeLibError(f"{name} index must be unique, got {repeated!r} more than once")
        if not index.is_monotonic_increasing:
            raise HedgeLibError(f"{name} must be in increasing time order (oldest first)")
    else:
        values = as_array(prices, name)
        index = pd.RangeIndex(values.size) if values.ndim == 1 else None
    if values.ndim != 1:
        raise HedgeLibError(f"{name} must be one series of prices, got shape {values.shape}")
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise HedgeLibError(
            f"{name} must be positive and finite, got {float(values[i])!r} at {index[i]!r}"
        )
    return pd.Series(values, index=index, name=getattr(prices, "name", None))


def _log_returns(prices: pd.Series, min_returns: int, name: str = "prices") -> pd.Series:
    if prices.size - 1 < min_returns:
        raise HedgeLibError(
            f"{name} must hold at least {min_returns + 1} prices ({min_returns} returns), "
            f"got {prices.size}"
        )
    values = prices.to_numpy()
    return pd.Series(np.log(values[1:] / values[:-1]), index=prices.index[1:], name="log_return")


def realised_volatility(
    prices: Any, window: int | None = None, periods_per_year: int = TRADING_DAYS_PER_YEAR
) -> float | pd.Series:
    """Annualised realised volatility of log returns.

    Parameters
    ----------
    prices : pd.Series or array_like, shape (n,)
        Closes, oldest first, positive and finite.
    window : int, optional
        Rolling window in returns (>= 2). None: one number over the whole series.
    periods_per_year : int, default 252
        Observations per year.

    Returns
    -------
    float or pd.Series
        ``sqrt(periods_per_year) * std(log returns, ddof=1)``; with ``window``, a Series
        indexed by the date ending each window (the first ``window`` prices give the first
        value), with no leading NaN.

    Notes
    -----
    .. math:: \\hat\\sigma = \\sqrt{P}\\,\\sqrt{\\frac{1}{n-1}\\sum_{i=1}^{n}(r_i - \\bar r)^2},
              \\quad r_i = \\log(S_i / S_{i-1}),

    the sample standard deviation (Hull, *Options, Futures, and Other Derivatives*, 15.4).
    Demeaning matters little at daily frequency. Its standard error is about
    ``sigma / sqrt(2 (n - 1))`` for normal returns.

    Examples
    --------
    >>> round(realised_volatility([100.0, 101.0, 99.0, 100.5, 100.0]), 4)
    0.251
    """
    s = _price_series(prices)
    ppy = check_int(periods_per_year, "periods_per_year")
    if window is None:
        r = _log_returns(s, 2)
        return float(r.std(ddof=1) * math.sqrt(ppy))
    w = check_int(window, "window", minimum=2)
    if w > s.size - 1:
        raise HedgeLibError(f"window must be at most the {s.size - 1} returns of the prices, got {w}")
    r = _log_returns(s, w)
    return (r.rolling(w).std(ddof=1) * math.sqrt(ppy)).iloc[w - 1 :].rename("realised_volatility")


def estimate_gbm(
    prices: Any,
    *,
    dividend_yield: float = 0.0,
    periods_per_year: int = TRADING_DAYS_PER_YEAR,
) -> GBM:
    """Fit a GBM to a price history by moments of the log returns.

    Parameters
    ----------
    prices : pd.Series or array_like, shape (n,)
        Closes, oldest first. If they are dividend-adjusted (total return, e.g. "Adj
        Close") leave ``dividend_yield`` at 0.
    dividend_yield : float, default 0
        Dividend yield ``q`` of the underlying, stored in the model.
    periods_per_year : int, default 252
        Observations per year.

    Returns
    -------
    GBM
        ``volatility = sqrt(P) * std(r, ddof=1)`` and
        ``drift = P * mean(r) + volatility^2 / 2 + dividend_yield``.

    Notes
    -----
    For GBM the mean log return per year is ``mu - q - sigma^2 / 2``; adding back
    ``sigma^2 / 2`` makes the fitted ``E[S_T] = S_0 exp((mu - q) T)`` match the data's
    growth. The drift estimate is very noisy: its standard error is ``sigma / sqrt(T)`` for
    ``T`` years of data (Hull 15.4; Campbell, Lo and MacKinlay 1997, ch. 9).

    Examples
    --------
    >>> import numpy as np
    >>> m = estimate_gbm(100.0 * np.exp(0.05 * np.arange(253) / 252))
    >>> round(m.drift, 6), round(m.volatility, 6)
    (0.05, 0.0)
    """
    s = _price_series(prices)
    ppy = check_int(periods_per_year, "periods_per_year")
    q = check_scalar(dividend_yield, "dividend_yield", check_rate)
    r = _log_returns(s, 2).to_numpy()
    sigma = float(r.std(ddof=1)) * math.sqrt(ppy)
    # Constant returns give a tiny rounding noise; a standard deviation below 1e-12 of the
    # mean return is zero volatility.
    if sigma <= 1e-12 * max(1.0, abs(float(r.mean())) * ppy):
        sigma = 0.0
    try:
        return GBM(drift=float(r.mean()) * ppy + 0.5 * sigma * sigma + q, volatility=sigma,
                   dividend_yield=q)
    except HedgeLibError as exc:
        raise HedgeLibError(f"the prices, read at periods_per_year={ppy}, give no valid GBM: {exc}") from None


@dataclass(frozen=True, eq=False)
class GarchFit:
    """A GARCH(1,1) fitted to daily returns up to ``as_of``.

    Attributes
    ----------
    mean_return : float
        Constant mean ``mu`` of the daily log return (decimal; 0 for a zero-mean fit).
    omega : float
        Variance constant per day, in decimal units (``arch``'s percent omega / 1e4).
    alpha, beta : float
        ARCH and GARCH coefficients.
    conditional_volatility : pd.Series
        Annualised in-sample conditional volatility ``sqrt(P h_t)``, indexed by the date of
        each return.
    next_variance : float
        Per-day variance forecast for the first day after ``as_of``,
        ``omega + alpha eps_T^2 + beta h_T``.
    as_of : Any
        Label of the last price used; nothing after it influenced the fit.
    log_likelihood : float
        Maximised log-likelihood (of percent returns, as ``arch`` reports it).
    n_observations : int
        Returns used.
    periods_per_year : int
        Trading days per year used to annualise.
    warning : str
        Empty for a clean convergence; else why the fit was accepted anyway (see
        :func:`fit_garch`).

    Notes
    -----
    .. math:: r_t = \\mu + \\varepsilon_t,\\ \\varepsilon_t = \\sqrt{h_t} z_t,\\quad
              h_{t} = \\omega + \\alpha\\varepsilon_{t-1}^2 + \\beta h_{t-1},

    and the k-day-ahead variance forecast from ``as_of`` is
    ``E[h_{T+k}] = hbar + (alpha + beta)^{k-1} (h_{T+1} - hbar)``, ``hbar = omega / (1 -
    alpha - beta)`` (Bollerslev 1986; Hull, ch. 23).
    """

    mean_return: float
    omega: float
    alpha: float
    beta: float
    conditional_volatility: pd.Series
    next_variance: float
    as_of: Any
    log_likelihood: float
    n_observations: int
    periods_per_year: int = TRADING_DAYS_PER_YEAR
    warning: str = ""

    def __repr__(self) -> str:
        return (
            f"GarchFit(omega={self.omega:.3g}, alpha={self.alpha:.4f}, beta={self.beta:.4f}, "
            f"long_run_volatility={self.long_run_volatility:.4f}, as_of={self.as_of!r}, "
            f"n_observations={self.n_observations})"
        )

    @property
    def persistence(self) -> float:
        """``alpha + beta``."""
        return self.alpha + self.beta

    @property
    def is_stationary(self) -> bool:
        """Whether ``alpha + beta < 1`` (a finite long-run variance exists)."""
        return self.persistence < 1.0

    @property
    def long_run_variance(self) -> float:
        """Unconditional daily variance ``omega / (1 - alpha - beta)`` (inf if not stationary)."""
        return self.omega / (1.0 - self.persistence) if self.is_stationary else math.inf

    @property
    def long_run_volatility(self) -> float:
        """Unconditional volatility, annualised."""
        return math.sqrt(self.periods_per_year * self.long_run_variance)

    def variance_forecast(self, horizon_days: int) -> FloatArray:
        """Per-day variance forecasts ``E[h_{T+k}]`` for k = 1..horizon_days, shape (horizon_days,)."""
        n = check_int(horizon_days, "horizon_days")
        k = np.arange(n, dtype=np.float64)
        p = self.persistence
        pk = p**k
        # E[h_{T+1+j}] = omega (1 + p + ... + p^{j-1}) + p^j h_{T+1}; equal to
        # hbar + p^j (h_{T+1} - hbar) when p < 1, and linear growth when p == 1. The sum is
        # (p^j - 1) / (p - 1), written with expm1 and log1p so that it keeps its digits for
        # p within rounding of 1, where a fit on the stationarity bound lands.
        geometric = k if p == 1.0 else np.expm1(k * math.log1p(p - 1.0)) / (p - 1.0)
        return self.omega * geometric + pk * self.next_variance

    def forecast_volatility(
        self, horizon_days: int, *, term_structure: bool = False
    ) -> float | FloatArray:
        """Annualised volatility forecast from ``as_of`` over the next ``horizon_days`` days.

        Parameters
        ----------
        horizon_days : int
            Trading days ahead, >= 1.
        term_structure : bool, default False
            False: one number, the volatility of the whole horizon,
            ``sqrt(P / H * sum_k E[h_{T+k}])``, which is what an option expiring in ``H``
            days should be priced with. True: the instantaneous forecast per day,
            ``sqrt(P E[h_{T+k}])`` for k = 1..H, shape (H,).

        Examples
        --------
        >>> fit = GarchFit(0.0, 2e-6, 0.1, 0.88, pd.Series(dtype=float), 4e-4, None, 0.0, 0)
        >>> round(fit.forecast_volatility(1), 4)  # sqrt(252 * 4e-4)
        0.3175
        """
        h = self.variance_forecast(horizon_days)
        if term_structure:
            return np.sqrt(self.periods_per_year * h)
        return math.sqrt(self.periods_per_year * float(h.mean()))

    def to_model(
        self,
        drift: float | None = None,
        dividend_yield: float = 0.0,
        *,
        start: Literal["current", "long_run"] = "current",
    ) -> GARCH:
        """The fitted GARCH as a market model to simulate.

        Parameters
        ----------
        drift : float, optional
            Expected total return per year. Default: the fitted one,
            ``P (mu + hbar / 2) + dividend_yield`` (the data's mean growth); pass the rate
            for the pricing measure.
        dividend_yield : float, default 0
            Dividend yield of the simulated market.
        start : {"current", "long_run"}, default "current"
            First day's variance: the forecast for the day after ``as_of`` (simulate "from
            where the market is now"), or the unconditional one.
        """
        if not self.is_stationary:
            raise HedgeLibError(
                f"the fitted GARCH is not stationary (alpha + beta = {self.persistence!r}), "
                f"it cannot be simulated as a market"
            )
        if start not in ("current", "long_run"):
            raise HedgeLibError(f"start must be 'current' or 'long_run', got {start!r}")
        q = float(check_rate(dividend_yield, "dividend_yield"))
        if drift is None:
            drift = self.periods_per_year * (self.mean_return + 0.5 * self.long_run_variance) + q
        return GARCH(
            drift=drift,
            omega=self.omega,
            alpha=self.alpha,
            beta=self.beta,
            dividend_yield=q,
            initial_variance=self.next_variance if start == "current" else None,
            periods_per_year=self.periods_per_year,
        )


# Starting (alpha, beta) pairs tried, with variance targeting, when a fit fails: the usual
# daily-equity region first, then lower persistence and a nearly integrated one.
_GARCH_STARTS = ((0.05, 0.90), (0.10, 0.85), (0.03, 0.96), (0.15, 0.70), (0.20, 0.40))


def _admissible(res: Any) -> bool:
    p = res.params
    omega, alpha, beta = float(p["omega"]), float(p["alpha[1]"]), float(p["beta[1]"])
    return (
        math.isfinite(float(res.loglikelihood))
        and np.isfinite(p.to_numpy()).all()
        and omega > 0
        and alpha >= 0
        and beta >= 0
        and alpha + beta < 1
    )


def _optimise(model: Any, starting_values: np.ndarray | None) -> Any:
    """One maximum-likelihood run of ``arch`` from the given start (None: its own)."""
    from arch.utility.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # Non-convergence is read from the result's flag by the caller.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(disp="off", show_warning=False, starting_values=starting_values)


def _fit_with_retries(model: Any, mean: str, previous: GarchFit | None) -> tuple[Any, str]:
    """The first clean fit over a list of starts, else the best admissible one with a warning.

    Returns ``(result, warning)``; ``(None, reason)`` when nothing admissible was found.
    """
    res = _optimise(model, None)
    if res.convergence_flag == 0:
        return res, ""
    y = np.asarray(model.y, dtype=np.float64)
    mu = float(y.mean()) if mean == "constant" else 0.0
    var = float(np.var(y - mu))
    starts = []
    if previous is not None:
        starts.append((100.0 * previous.mean_return, 1e4 * previous.omega, previous.alpha, previous.beta))
    starts += [(mu, max(var * (1.0 - a - b), 1e-8), a, b) for a, b in _GARCH_STARTS]
    tried = [res]
    for start in starts:
        values = np.array(start if mean == "constant" else start[1:], dtype=np.float64)
        res = _optimise(model, values)
        if res.convergence_flag == 0:
            return res, ""
        tried.append(res)
    usable = [r for r in tried if _admissible(r)]
    flags = sorted({int(r.convergence_flag) for r in tried})
    if not usable:
        return None, (
            f"{len(tried)} starting points all ended with optimizer flags {flags} and no "
            "admissible parameters"
        )
    best = max(usable, key=lambda r: float(r.loglikelihood))
    return best, (
        f"the optimizer did not report convergence from any of {len(tried)} starting points "
        f"(flags {flags}); the admissible fit with the highest likelihood is used"
    )


def fit_garch(
    prices: Any,
    *,
    as_of: Any = None,
    start: Any = None,
    mean: Literal["constant", "zero"] = "constant",
    periods_per_year: int = TRADING_DAYS_PER_YEAR,
    previous: GarchFit | None = None,
) -> GarchFit:
    """Fit a Gaussian GARCH(1,1) to daily log returns by maximum likelihood (``arch``).

    Parameters
    ----------
    prices : pd.Series or array_like, shape (n,)
        Daily closes, oldest first. A DatetimeIndex lets ``as_of`` and ``start`` be dates.
    as_of : label, optional
        Last price to use (inclusive, e.g. ``"2008-12-31"``; a position for arrays). The fit
        and every forecast use no data after it, so a backtest can ask what was knowable
        on that day. Default: the last price.
    start : label, optional
        First price to use (inclusive). Default: the first price.
    mean : {"constant", "zero"}, default "constant"
        Constant mean return, or none.
    periods_per_year : int, default 252
        Trading days per year, for annualising.
    previous : GarchFit, optional
        An earlier fit (say, of the window a refit ago): its parameters are the first
        starting point tried should the optimizer fail from ``arch``'s own.

    Returns
    -------
    GarchFit
        ``warning`` is empty for a clean convergence; otherwise it says which optimizer flag
        the accepted (admissible) fit ended with.

    Raises
    ------
    HedgeLibError
        Too few returns, or no starting point gives a fit with a finite likelihood and
        admissible parameters.

    Notes
    -----
    ``arch`` fits percent returns (``100 r``) for numerical stability; the parameters are
    rescaled to decimal units (``omega / 1e4``, ``mu / 100``). At least 100 returns are
    required. A quasi-Newton optimizer can stop short on a flat or awkward likelihood, and
    where it does depends on the machine's floating point, so a failed start is retried from
    ``previous``, a variance-targeting start (:math:`\\alpha = 0.05, \\beta = 0.90`,
    :math:`\\omega = (1 - \\alpha - \\beta)\\,\\mathrm{var}(r)`) and a small grid of
    :math:`(\\alpha, \\beta)` with the same targeting. The first clean convergence wins; if
    none converges, the admissible end point (:math:`\\omega > 0`, :math:`\\alpha, \\beta
    \\ge 0`, :math:`\\alpha + \\beta < 1`, finite likelihood) with the highest likelihood is
    accepted with a warning. References: Bollerslev (1986); Sheppard, K., ``arch``
    documentation; Francq and Zakoian (2019), *GARCH Models*, 2nd ed., ch. 7.

    Examples
    --------
    >>> from arch.data import sp500
    >>> close = sp500.load()["Adj Close"]
    >>> fit = fit_garch(close, start="2008-01-01", as_of="2008-12-31")
    >>> fit.alpha + fit.beta < 1
    True
    """
    from arch import arch_model

    s = _price_series(prices)
    ppy = check_int(periods_per_year, "periods_per_year")
    if mean not in ("constant", "zero"):
        raise HedgeLibError(f"mean must be 'constant' or 'zero', got {mean!r}")
    if previous is not None and not isinstance(previous, GarchFit):
        raise HedgeLibError(f"previous must be a GarchFit or None, got {type(previous).__name__}")
    try:
        window = s.loc[start:as_of]
    except (TypeError, KeyError, ValueError) as exc:
        raise HedgeLibError(
            f"start/as_of must be labels of the prices' index, got start={start!r}, "
            f"as_of={as_of!r} ({exc})"
        ) from None
    if window.size - 1 < MIN_GARCH_OBSERVATIONS:
        raise HedgeLibError(
            f"fit_garch needs at least {MIN_GARCH_OBSERVATIONS} returns between start and "
            f"as_of, got {max(window.size - 1, 0)} (start={start!r}, as_of={as_of!r})"
        )
    r = _log_returns(window, MIN_GARCH_OBSERVATIONS)
    model = arch_model(
        100.0 * r,
        mean="Constant" if mean == "constant" else "Zero",
        vol="GARCH",
        p=1,
        q=1,
        dist="normal",
        rescale=False,
    )
    res, warning = _fit_with_retries(model, mean, previous)
    if res is None:
        raise HedgeLibError(
            f"the GARCH fit of prices up to as_of={window.index[-1]!r} did not converge: {warning}"
        )
    params = res.params
    mu_pct = float(params["mu"]) if mean == "constant" else 0.0
    omega_pct, alpha, beta = (
        float(params["omega"]),
        float(params["alpha[1]"]),
        float(params["beta[1]"]),
    )
    if not warning and alpha + beta >= 1.0:
        warning = (
            f"alpha + beta = {alpha + beta:.12g} is on the stationarity bound (an integrated "
            "GARCH): the variance has no long-run level and forecasts grow with the horizon"
        )
    h_last = float(res.conditional_volatility.iloc[-1]) ** 2
    eps_last = float(res.resid.iloc[-1])
    next_var_pct = omega_pct + alpha * eps_last**2 + beta * h_last
    cond_vol = (res.conditional_volatility / 100.0 * math.sqrt(ppy)).rename(
        "conditional_volatility"
    )
    return GarchFit(
        mean_return=mu_pct / 100.0,
        omega=omega_pct / 1e4,
        alpha=alpha,
        beta=beta,
        conditional_volatility=cond_vol,
        next_variance=next_var_pct / 1e4,
        as_of=window.index[-1],
        log_likelihood=float(res.loglikelihood),
        n_observations=int(res.nobs),
        periods_per_year=ppy,
        warning=warning,
    )
