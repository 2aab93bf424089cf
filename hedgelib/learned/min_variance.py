"""The minimum-variance delta of Hull and White (2017), fitted on history or on a model.

When the index falls its implied volatility tends to rise (the leverage effect), so an option
loses more vega P&L on a down move than Black-Scholes assumes, and the hedge that minimises
the variance of the hedged position holds less stock than the Black-Scholes delta. Hull and
White write the correction as a quadratic in the delta, scaled by the vega:

.. math:: \\delta_{MV} = \\delta_{BS} + \\frac{\\mathcal V_{BS}}{S\\sqrt T}
          \\left(a + b\\,\\delta_{BS} + c\\,\\delta_{BS}^2\\right),

and fit :math:`a, b, c` by least squares on daily changes of option prices,

.. math:: \\Delta V - \\delta_{BS}\\,\\Delta S = \\frac{\\mathcal V_{BS}}{\\sqrt T}\\,
          \\frac{\\Delta S}{S}\\left(a + b\\,\\delta_{BS} + c\\,\\delta_{BS}^2\\right) + \\varepsilon .

The *gain* is the fraction of the variance of the delta-hedged change
:math:`\\Delta V - \\delta_{BS}\\Delta S` that the correction removes,
:math:`1 - \\sum\\varepsilon^2 / \\sum(\\Delta V - \\delta_{BS}\\Delta S)^2`.

Data
----
On history (:meth:`MinimumVarianceDelta.fit`) every day carries a grid of options, one per
maturity and moneyness (strike = moneyness x close), priced at that day's implied
volatility (the bundled S&P 500 with the VIX / 100 by default) and again the next trading
day, one day older, at the next day's implied volatility. On a model
(:meth:`MinimumVarianceDelta.fit_model`) the same grid is priced with the model's own
closed form along simulated paths (Heston's leverage effect shows how the correction comes
about). Observations of the same day (or the same step of one path) share their shocks, so
the standard errors are clustered by day.

As a strategy
-------------
A fitted object is a :class:`~hedgelib.hedging.strategies.Strategy`. The engine hands a
strategy the book's greeks, not its legs, so there are two readings:

- **bound to a book** (:meth:`MinimumVarianceDelta.for_book`): the correction is computed
  leg by leg, exactly as in Hull and White;
- **unbound** (the ``"min-variance-delta"`` entry every page offers): the book's total vega
  times the correction of an at-the-money option,
  :math:`\\mathcal V_{book}\\,(a + b\\delta_0 + c\\delta_0^2)/(S\\sqrt\\tau)` with
  :math:`\\delta_0 = N(\\tfrac12\\sigma\\sqrt\\tau)`, the expected move of the at-the-money
  implied volatility (what the VIX measures) applied to the whole book. Exact for an
  at-the-money book when it is entered; with a correction that varies little with the delta
  (as fitted on the VIX, which has no smile) it stays close as the spot moves.

The registered entry's ``a, b, c`` default to the fit on the bundled S&P 500 and VIX over
2014-2016 (:func:`bundled_fit`, computed once per process), so a backtest over 2017-2018
with the default is out of sample.

References
----------
Hull, J. and White, A. (2017), "Optimal delta hedging for options", *Journal of Banking &
Finance* 82, 180-190. Cameron, A. C. and Miller, D. L. (2015), "A practitioner's guide to
cluster-robust inference", *Journal of Human Resources* 50(2).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from hedgelib._typing import FloatArray, OptionKind
from hedgelib.book import Book
from hedgelib.conventions import (
    EXPIRY_TOLERANCE,
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_date_range,
    check_finite,
    check_kind,
    check_positive,
    check_scalar,
)
from hedgelib.hedging.setup import STRATEGIES
from hedgelib.hedging.strategies import HedgeState
from hedgelib.market.history import implied_volatility_series, load_bundled
from hedgelib.market.models import GBM, Heston, MertonJump
from hedgelib.pricing.black_scholes import bs_greeks, bs_price
from hedgelib.pricing.heston import heston_price
from hedgelib.pricing.implied_vol import implied_vol
from hedgelib.pricing.merton import merton_price
from hedgelib.registry import parameter

__all__ = [
    "BUNDLED_FIT_WINDOW",
    "BUNDLED_TEST_WINDOW",
    "MATURITIES",
    "MONEYNESS",
    "MinimumVarianceDelta",
    "MinimumVarianceFit",
    "bundled_fit",
]

#: The default grid of Hull and White's regression: 1 to 3 months, 90% to 110% of spot.
MATURITIES: tuple[float, ...] = (1 / 12, 2 / 12, 3 / 12)
MONEYNESS: tuple[float, ...] = (0.9, 0.95, 1.0, 1.05, 1.1)
#: The bundled data's fitting and testing windows (the VIX covers 2014-2018).
BUNDLED_FIT_WINDOW = ("2014-01-01", "2016-12-31")
BUNDLED_TEST_WINDOW = ("2017-01-01", "2018-12-31")
_DAY = 1.0 / TRADING_DAYS_PER_YEAR
# Grid of the Heston price spline: log-moneyness by sqrt(variance) (see _heston_spline).
_GRID_X, _GRID_V = 40, 16


@dataclass(frozen=True)
class _Panel:
    """Regression data: the delta-hedged changes ``y``, the regressors ``x`` (n, 3) and the
    cluster (day) of each observation."""

    y: FloatArray
    x: FloatArray
    cluster: np.ndarray

    @property
    def n_obs(self) -> int:
        return int(self.y.size)


@dataclass(frozen=True)
class MinimumVarianceFit:
    """What a Hull-White fit found and on what.

    ``standard_errors`` are clustered by day (observations of one day share the index's
    move); ``gain`` is the in-sample variance reduction of the delta-hedged change;
    ``start``/``end`` are the dates of a fit on history (None on a model), ``source`` says
    which data.
    """

    a: float
    b: float
    c: float
    standard_errors: tuple[float, float, float]
    covariance: tuple[tuple[float, ...], ...]
    gain: float
    n_obs: int
    n_clusters: int
    kind: OptionKind
    maturities: tuple[float, ...]
    moneyness: tuple[float, ...]
    source: str
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def table(self) -> pd.DataFrame:
        """Coefficients, clustered standard errors and t-statistics, one row each."""
        coef = np.array([self.a, self.b, self.c])
        se = np.array(self.standard_errors)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(se > 0, coef / se, np.nan)
        return pd.DataFrame({"estimate": coef, "standard error": se, "t": t}, index=["a", "b", "c"])


def _grid(values: Any, name: str) -> tuple[float, ...]:
    arr = check_positive(values, name)
    if arr.ndim != 1 or arr.size == 0:
        raise HedgeLibError(f"{name} must be a non-empty list of positive numbers, got {values!r}")
    return tuple(float(v) for v in arr)


def _regressors(delta: FloatArray, vega: FloatArray, tau: FloatArray,
                ret: FloatArray) -> FloatArray:
    base = vega / np.sqrt(tau) * ret
    return np.stack([base, base * delta, base * delta * delta], axis=-1)


def _history_panel(spot: Any, implied: Any, start: Any, end: Any, maturities: tuple[float, ...],
                   moneyness: tuple[float, ...], kind: OptionKind, rate: float, q: float) -> _Panel:
    s_all = _series(spot, "spot")
    v_all = _series(implied, "implied_vol")
    frame = pd.concat([s_all.rename("s"), v_all.rename("v")], axis=1, join="inner").dropna()
    lo, hi = check_date_range(start, end)
    if lo is not None:
        frame = frame[frame.index >= lo]
    if hi is not None:
        frame = frame[frame.index <= hi]
    if len(frame) < 3:
        raise HedgeLibError(
            f"spot and implied_vol must share at least 3 dates between start and end, got {len(frame)}"
        )
    s = frame["s"].to_numpy()
    v = check_positive(frame["v"].to_numpy(), "implied_vol")
    s0, s1, v0, v1 = s[:-1, None, None], s[1:, None, None], v[:-1, None, None], v[1:, None, None]
    tau = np.asarray(maturities)[None, :, None]
    k = s0 * np.asarray(moneyness)[None, None, :]
    shape = np.broadcast_shapes(s0.shape, tau.shape, k.shape)
    p0 = bs_price(s0, k, tau, v0, rate, q, kind)
    p1 = bs_price(s1, k, tau - _DAY, v1, rate, q, kind)
    g = bs_greeks(s0, k, tau, v0, rate, q, kind)
    ds = s1 - s0
    y = np.broadcast_to(p1 - p0 - g.delta * ds, shape)
    x = _regressors(np.broadcast_to(g.delta, shape), np.broadcast_to(g.vega, shape),
                    np.broadcast_to(tau, shape), np.broadcast_to(ds / s0, shape))
    days = np.broadcast_to(np.arange(len(s) - 1)[:, None, None], shape)
    return _Panel(y.reshape(-1), x.reshape(-1, 3), days.reshape(-1))


def _series(value: Any, name: str) -> pd.Series:
    prices = getattr(value, "prices", value)
    if not isinstance(prices, pd.Series) or not isinstance(prices.index, pd.DatetimeIndex):
        raise HedgeLibError(f"{name} must be a pandas Series on dates (or a PriceHistory), got {type(value).__name__}")
    out = prices.astype(np.float64)
    if not out.index.is_monotonic_increasing:
        raise HedgeLibError(f"{name} must be sorted oldest first")
    check_finite(out.to_numpy(), name)
    return out


def _ols(panel: _Panel) -> tuple[FloatArray, FloatArray, float]:
    """Coefficients, cluster-robust covariance and gain of ``y = x @ beta + e``."""
    x, y = panel.x, panel.y
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    e = y - x @ beta
    xtx_inv = np.linalg.pinv(x.T @ x)
    # Cluster sums of x_i e_i: observations of one day are not independent.
    _, inverse = np.unique(panel.cluster, return_inverse=True)
    n_groups = int(inverse.max()) + 1
    scores = np.zeros((n_groups, 3))
    np.add.at(scores, inverse, x * e[:, None])
    correction = n_groups / max(n_groups - 1, 1)
    cov = correction * xtx_inv @ (scores.T @ scores) @ xtx_inv
    return beta, cov, _gain(panel, beta)


def _gain(panel: _Panel, beta: FloatArray) -> float:
    total = float(panel.y @ panel.y)
    if total == 0.0:
        return 0.0
    e = panel.y - panel.x @ beta
    return 1.0 - float(e @ e) / total


def _fit_result(panel: _Panel, kind: OptionKind, maturities, moneyness, source: str,
                start: Any = None, end: Any = None) -> MinimumVarianceFit:
    if panel.n_obs < 3:
        raise HedgeLibError(f"the fit needs at least 3 observations, got {panel.n_obs}")
    beta, cov, gain = _ols(panel)
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    return MinimumVarianceFit(
        a=float(beta[0]), b=float(beta[1]), c=float(beta[2]),
        standard_errors=(float(se[0]), float(se[1]), float(se[2])),
        covariance=tuple(tuple(float(v) for v in row) for row in cov), gain=gain,
        n_obs=panel.n_obs, n_clusters=int(np.unique(panel.cluster).size), kind=kind,
        maturities=tuple(maturities), moneyness=tuple(moneyness), source=source,
        start=start, end=end,
    )


@lru_cache(maxsize=2)
def bundled_fit(kind: OptionKind = "call") -> MinimumVarianceFit:
    """Hull-White coefficients of the bundled S&P 500 with the VIX, 2014-2016 (cached).

    The default grid (:data:`MATURITIES` x :data:`MONEYNESS`), no rate, no dividend yield.

    >>> fit = bundled_fit()
    >>> fit.a < 0 and fit.n_clusters > 700   # the leverage effect: a lower delta
    True
    """
    kind = check_kind(kind)
    spx = load_bundled("sp500")
    panel = _history_panel(spx.prices, implied_volatility_series(), *BUNDLED_FIT_WINDOW, MATURITIES,
                           MONEYNESS, kind, 0.0, 0.0)
    frame_dates = spx.prices.loc[BUNDLED_FIT_WINDOW[0]:BUNDLED_FIT_WINDOW[1]].index
    return _fit_result(panel, kind, MATURITIES, MONEYNESS, "bundled S&P 500 with the VIX / 100",
                       frame_dates[0], frame_dates[-1])


# -- pricing on a model's paths ------------------------------------------------------------------


def _heston_spline(model: Heston, tau: float, x: FloatArray, sv: FloatArray, rate: float, q: float,
                   kind: OptionKind) -> Any:
    """Heston price per unit strike as a bicubic spline in log-moneyness ``x = ln(S/K)`` and
    ``sqrt(v)``, on a grid covering the points asked for. The price is homogeneous in (S, K),
    so one grid serves every strike; pricing every (path, day, option) directly would cost a
    numerical integral each (a hundred times more)."""
    from scipy.interpolate import RectBivariateSpline  # only fits on Heston paths need it

    xg = np.linspace(float(x.min()) - 0.02, float(x.max()) + 0.02, _GRID_X)
    vg = np.linspace(max(float(sv.min()) - 0.01, 0.0), float(sv.max()) + 0.01, _GRID_V)
    grid = heston_price(np.exp(xg)[:, None], 1.0, tau, (vg ** 2)[None, :], model.kappa, model.theta,
                        model.xi, model.rho, rate, q, kind)
    return RectBivariateSpline(xg, vg, grid, kx=3, ky=3)


def _model_prices(model: Any, paths: Any, tau: float, dt: float, strikes: FloatArray, rate: float,
                  q: float, kind: OptionKind) -> tuple[FloatArray, FloatArray]:
    """Prices today and one step later of options struck at ``strikes`` (n_moneyness, n_obs)."""
    s = np.asarray(paths.spot)
    s0, s1 = s[:-1].reshape(1, -1), s[1:].reshape(1, -1)
    if isinstance(model, Heston):
        v = np.sqrt(np.asarray(paths.variance))
        sv0 = np.broadcast_to(v[:-1].reshape(1, -1), strikes.shape)
        sv1 = np.broadcast_to(v[1:].reshape(1, -1), strikes.shape)
        x0, x1 = np.log(s0 / strikes), np.log(s1 / strikes)
        p0 = strikes * _heston_spline(model, tau, x0, sv0, rate, q, kind).ev(x0, sv0)
        p1 = strikes * _heston_spline(model, tau - dt, x1, sv1, rate, q, kind).ev(x1, sv1)
        # The spline may undershoot by ~1e-7 where a price is nearly zero; such an option
        # then has no implied volatility and leaves the sample.
        return np.maximum(p0, 0.0), np.maximum(p1, 0.0)
    if isinstance(model, MertonJump):
        args = (model.volatility, model.jump_intensity, model.jump_mean, model.jump_std, rate, q, kind)
        return merton_price(s0, strikes, tau, *args), merton_price(s1, strikes, tau - dt, *args)
    return (bs_price(s0, strikes, tau, model.volatility, rate, q, kind),
            bs_price(s1, strikes, tau - dt, model.volatility, rate, q, kind))


def _model_panel(model: Any, paths: Any, maturities: tuple[float, ...], moneyness: tuple[float, ...],
                 kind: OptionKind, rate: float, q: float) -> _Panel:
    s = np.asarray(paths.spot)
    dt = float(paths.times[1] - paths.times[0])
    s0, s1 = s[:-1].reshape(1, -1), s[1:].reshape(1, -1)
    strikes = np.asarray(moneyness)[:, None] * s0
    cluster = np.broadcast_to(np.arange(s0.size), strikes.shape)
    ys, xs, clusters = [], [], []
    for tau in maturities:
        if tau - dt <= EXPIRY_TOLERANCE:
            raise HedgeLibError(f"maturities must be longer than one step ({dt:.4g} years), got {tau!r}")
        p0, p1 = _model_prices(model, paths, tau, dt, strikes, rate, q, kind)
        s_obs = np.broadcast_to(s0, strikes.shape)
        sigma = implied_vol(p0, s_obs, strikes, tau, rate, q, kind)
        ok = np.isfinite(sigma) & (sigma > 0)
        g = bs_greeks(s_obs[ok], strikes[ok], tau, sigma[ok], rate, q, kind)
        ds = np.broadcast_to(s1 - s0, strikes.shape)[ok]
        ys.append(p1[ok] - p0[ok] - g.delta * ds)
        xs.append(_regressors(g.delta, g.vega, np.full(ds.size, tau), ds / s_obs[ok]))
        clusters.append(cluster[ok])
    return _Panel(np.concatenate(ys), np.concatenate(xs), np.concatenate(clusters))


# -- the strategy -------------------------------------------------------------------------------

_DEFAULT = bundled_fit("call")
_HELP = ("Hull-White (2017) correction a + b delta + c delta^2, times vega / (S sqrt(T)); "
         "defaults fitted on the bundled S&P 500 and VIX, 2014-2016.")


@dataclass(frozen=True, eq=False)
class MinimumVarianceDelta:
    """Hull and White's minimum-variance delta hedge, with fitted ``a, b, c``.

    Parameters
    ----------
    a, b, c : float
        Coefficients of the correction :math:`a + b\\delta + c\\delta^2` (module notes);
        default the fit on the bundled S&P 500 and VIX, 2014-2016.
    kind : {"call", "put"}, default "call"
        Which delta the coefficients were fitted on: every leg's correction reads the delta
        of that kind at its strike (a call and a put of one strike share their vega and
        implied volatility).
    book : Book, optional
        Bind to a book to correct leg by leg (:meth:`for_book`); without one the at-the-money
        reading of the module notes applies.
    rate, dividend_yield : float, default 0.0
        Of the bound book's greeks (the engine's rate and yield).
    result : MinimumVarianceFit, optional
        Set by :meth:`fit` and :meth:`fit_model`.

    Examples
    --------
    >>> mv = MinimumVarianceDelta(a=-0.2, b=0.0, c=0.0)
    >>> bs = 0.5398   # Black-Scholes delta of this call
    >>> round(mv.delta(100.0, 100.0, 0.25, 0.2), 4) < bs   # leverage: a lower delta
    True
    """

    name = "min-variance-delta"
    label = "Minimum-variance delta (Hull-White)"
    uses_option = False
    needs_vega = True

    a: float = parameter(_DEFAULT.a, "Hull-White a", low=-10.0, high=10.0, step=0.01, key="hw_a",
                         help=_HELP, shown=round(_DEFAULT.a, 4))
    b: float = parameter(_DEFAULT.b, "Hull-White b", low=-10.0, high=10.0, step=0.01, key="hw_b",
                         help=_HELP, shown=round(_DEFAULT.b, 4))
    c: float = parameter(_DEFAULT.c, "Hull-White c", low=-10.0, high=10.0, step=0.01, key="hw_c",
                         help=_HELP, shown=round(_DEFAULT.c, 4))
    kind: OptionKind = "call"
    book: Book | None = None
    rate: float = 0.0
    dividend_yield: float = 0.0
    result: MinimumVarianceFit | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("a", "b", "c", "rate", "dividend_yield"):
            set_(self, name, check_scalar(getattr(self, name), name, check_finite))
        set_(self, "kind", check_kind(self.kind))
        if self.book is not None and not isinstance(self.book, Book):
            raise HedgeLibError(f"book must be a Book, got {type(self.book).__name__}")

    @property
    def gain(self) -> float:
        """In-sample variance reduction of the fit (NaN without one)."""
        return math.nan if self.result is None else self.result.gain

    def correction(self, delta: Any) -> FloatArray | float:
        """:math:`a + b\\delta + c\\delta^2`: the expected implied-volatility change per unit
        return, times :math:`\\sqrt T`."""
        d = np.asarray(delta, dtype=np.float64)
        out = self.a + self.b * d + self.c * d * d
        return float(out) if out.ndim == 0 else out

    def curve(self, delta_bs: Any, *, time_to_expiry: float = 0.25, dividend_yield: float = 0.0) -> FloatArray:
        """:math:`\\delta_{MV} - \\delta_{BS}` of one long option of the fitted kind against its
        Black-Scholes delta: :math:`e^{-q\\tau}\\varphi(d_1)(a + b\\delta + c\\delta^2)`, since
        :math:`\\mathcal V/(S\\sqrt\\tau) = e^{-q\\tau}\\varphi(d_1)`; the same for every maturity
        and volatility when there is no dividend yield."""
        d = np.asarray(delta_bs, dtype=np.float64)
        disc = math.exp(-dividend_yield * time_to_expiry)
        d1 = ndtri(np.clip(d / disc + (1.0 if self.kind == "put" else 0.0), 1e-12, 1 - 1e-12))
        return disc * np.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi) * self.correction(d)

    def delta(self, spot: Any, strike: Any, time_to_expiry: Any, volatility: Any, rate: Any = 0.0,
              dividend_yield: Any = 0.0, kind: OptionKind = "call") -> FloatArray | float:
        """Minimum-variance delta of one long option (arrays broadcast).

        :math:`\\delta_{BS} + \\mathcal V_{BS}/(S\\sqrt\\tau)\\,(a + b\\delta + c\\delta^2)`,
        with :math:`\\delta` the delta of the fitted kind at this strike.
        """
        g = bs_greeks(spot, strike, time_to_expiry, volatility, rate, dividend_yield, kind)
        conv = g.delta if check_kind(kind) == self.kind else bs_greeks(
            spot, strike, time_to_expiry, volatility, rate, dividend_yield, self.kind).delta
        tau = np.asarray(time_to_expiry, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            adj = np.where(tau > 0, np.asarray(g.vega) / (np.asarray(spot) * np.sqrt(tau)), 0.0)
        out = np.asarray(g.delta) + adj * self.correction(conv)
        return float(out) if out.ndim == 0 else out

    def for_book(self, book: Book, *, rate: float = 0.0, dividend_yield: float = 0.0) -> MinimumVarianceDelta:
        """A copy that corrects the given book leg by leg (use the engine's rate and yield)."""
        return dataclasses.replace(self, book=book, rate=rate, dividend_yield=dividend_yield)

    def target(self, state: HedgeState) -> tuple[FloatArray, float]:
        """Hold :math:`-(\\Delta_{book} + \\text{correction})` shares."""
        s = np.asarray(state.spot, dtype=np.float64)
        sig = state.volatility
        if self.book is not None:
            corr = np.zeros_like(s)
            for leg in self.book.legs:
                tau = leg.expiry - state.time
                if tau > EXPIRY_TOLERANCE:
                    g = bs_greeks(s, leg.strike, tau, sig, self.rate, self.dividend_yield, self.kind)
                    corr += leg.quantity * g.vega / (s * math.sqrt(tau)) * self.correction(g.delta)
        else:
            tau = float(state.time_to_expiry)
            if state.book_vega is None:
                raise HedgeLibError("the minimum-variance delta needs book_vega (needs_vega is True)")
            if tau <= EXPIRY_TOLERANCE:
                corr = np.zeros_like(s)
            else:
                d0 = ndtr(0.5 * np.asarray(sig) * math.sqrt(tau)) - (1.0 if self.kind == "put" else 0.0)
                corr = np.asarray(state.book_vega) / (s * math.sqrt(tau)) * self.correction(d0)
        return -(np.asarray(state.book_delta) + corr), 0.0

    def gain_on(self, spot: Any, implied_vol: Any, *, start: Any = None, end: Any = None,
                rate: float = 0.0, dividend_yield: float = 0.0) -> float:
        """Variance reduction of these coefficients on other dates (out of sample), on the
        grid of the fit (default grid without one); same data rules as :meth:`fit`."""
        mats = MATURITIES if self.result is None else self.result.maturities
        mons = MONEYNESS if self.result is None else self.result.moneyness
        panel = _history_panel(spot, implied_vol, start, end, mats, mons, self.kind,
                               check_scalar(rate, "rate"), check_scalar(dividend_yield, "dividend_yield"))
        return _gain(panel, np.array([self.a, self.b, self.c]))

    @classmethod
    def fit(cls, spot: Any, implied_vol: Any, *, start: Any = None, end: Any = None,
            maturities: Any = MATURITIES, moneyness: Any = MONEYNESS, kind: OptionKind = "call",
            rate: float = 0.0, dividend_yield: float = 0.0) -> MinimumVarianceDelta:
        """Fit ``a, b, c`` on daily closes and implied volatilities (Hull and White 2017).

        Parameters
        ----------
        spot, implied_vol : pandas.Series or PriceHistory
            Closes, and decimal implied volatilities (0.2 = 20%), on dates; only common
            dates are used (the bundled S&P 500 and ``implied_volatility_series()``).
        start, end : date-like, optional
            Window of the fit, both inclusive: the changes from each day to the next.
        maturities, moneyness : sequence of float
            The grid of options priced each day: years to expiry, strike over spot.
        kind : {"call", "put"}, default "call"
            Options of the grid, and the delta the correction reads.
        rate, dividend_yield : float, default 0.0
            Of the Black-Scholes prices and greeks.

        Returns
        -------
        MinimumVarianceDelta
            With ``result`` (coefficients, clustered standard errors, gain, sample).

        Examples
        --------
        >>> from hedgelib.market.history import load_bundled, implied_volatility_series
        >>> mv = MinimumVarianceDelta.fit(load_bundled("sp500"), implied_volatility_series(),
        ...                               start="2014-01-01", end="2016-12-31")
        >>> mv.gain > 0, mv.result.n_clusters > 700
        (True, True)
        """
        kind = check_kind(kind)
        mats, mons = _grid(maturities, "maturities"), _grid(moneyness, "moneyness")
        if min(mats) <= _DAY:
            raise HedgeLibError(f"maturities must be longer than one day ({_DAY:.4g} years), got {min(mats)!r}")
        r = check_scalar(rate, "rate")
        q = check_scalar(dividend_yield, "dividend_yield")
        panel = _history_panel(spot, implied_vol, start, end, mats, mons, kind, r, q)
        lo, hi = check_date_range(start, end)
        result = _fit_result(panel, kind, mats, mons, "history", lo, hi)
        return cls(result.a, result.b, result.c, kind=kind, result=result)

    @classmethod
    def fit_model(cls, model: Any, *, spot: float, horizon: float, n_steps: int, n_paths: int,
                  seed: int, maturities: Any = MATURITIES, moneyness: Any = MONEYNESS,
                  kind: OptionKind = "call", rate: float = 0.0, dividend_yield: float = 0.0) -> MinimumVarianceDelta:
        """Fit ``a, b, c`` on paths simulated by ``model``, priced with its closed form.

        Parameters
        ----------
        model : GBM, Heston or MertonJump
            The market; prices come from Black-Scholes at the model's volatility, Heston's
            formula at each path's variance, or Merton's series, at ``rate`` (the pricing
            measure), and the implied volatility of each price gives the Black-Scholes delta
            and vega, as on real data.
        spot, horizon, n_steps, n_paths, seed
            The simulation: ``horizon / n_steps`` should be a day (1/252) as in the paper.
        maturities, moneyness, kind, rate, dividend_yield
            As in :meth:`fit`.

        Examples
        --------
        >>> heston = Heston(0.0, v0=0.04, kappa=2.0, theta=0.04, xi=0.6, rho=-0.8)
        >>> mv = MinimumVarianceDelta.fit_model(heston, spot=100.0, horizon=20 / 252, n_steps=20,
        ...                                     n_paths=20, seed=3)
        >>> mv.a < 0    # leverage: down moves lift implied volatility, so hold less stock
        True
        """
        if not isinstance(model, GBM | Heston | MertonJump):
            raise HedgeLibError(
                f"model must have a closed-form price (GBM, Heston or MertonJump), got {type(model).__name__}"
            )
        kind = check_kind(kind)
        mats, mons = _grid(maturities, "maturities"), _grid(moneyness, "moneyness")
        r = check_scalar(rate, "rate")
        q = check_scalar(dividend_yield, "dividend_yield")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise HedgeLibError(f"seed must be a non-negative int, got {seed!r}")
        paths = model.simulate(spot, horizon, n_steps, n_paths, rng=int(seed))
        panel = _model_panel(model, paths, mats, mons, kind, r, q)
        result = _fit_result(panel, kind, mats, mons, f"{type(model).__name__} simulated paths")
        return cls(result.a, result.b, result.c, kind=kind, result=result)


STRATEGIES.register("min-variance-delta", MinimumVarianceDelta, help=_HELP)
