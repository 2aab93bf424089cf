"""What a book does: P&L facts at expiry, P&L over scenario grids, greeks against spot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from hedgelib._typing import ArrayLike, FloatArray
from hedgelib.book.book import GREEK_NAMES, Book, OptionLeg
from hedgelib.conventions import (
    HedgeLibError,
    check_non_negative,
    check_positive,
    check_positive_volatility,
    check_price,
    check_rate,
    check_scalar,
    check_volatility,
    check_years,
)
from hedgelib.pricing.black_scholes import bs_price

__all__ = [
    "ExpiryStatistics",
    "expiry_statistics",
    "greeks_profile",
    "scenario_pnl",
]

# Points on the numerical grid of a multi-expiry book (first expiry and later legs valued by
# Black-Scholes): fine enough that two breakevens never share a cell for sensible books.
_N_GRID = 4001


# Relative tolerance for "this slope is zero" and "these expiries are the same": quantities
# are user-typed decimals, so sums such as 0.1 - 0.2 + 0.1 may miss zero by a few ulps.
_REL_TOL = 1e-12


@dataclass(frozen=True)
class ExpiryStatistics:
    """Profit-and-loss facts of a book held to its (first) expiry.

    Attributes
    ----------
    premium : float
        Today's value of the book at the given inputs (holder's sign: paid if > 0, received
        if < 0), stock included.
    max_profit : float
        Largest P&L at the horizon; ``math.inf`` when unbounded (see ``profit_unbounded``).
    max_loss : float
        Largest loss at the horizon as a positive number (``-min P&L``); ``math.inf`` when
        unbounded. Negative only if the book cannot lose (an arbitrage at these inputs).
    breakevens : tuple of float
        Sorted underlying prices at the horizon where the P&L is zero.
    horizon : float
        Years to the date the statistics refer to: the book's expiry, or its first expiry.
    cost_at_horizon : float
        The premium carried to the horizon (options at the rate, stock at rate minus
        dividend yield): the P&L is the horizon value minus this.
    probability_of_profit : float
        Probability that the P&L is positive at the horizon under the risk-neutral lognormal
        law (drift ``rate - dividend_yield``, the given volatility). Not a forecast.
    exact : bool
        True for single-expiry books (piecewise-linear payoff, exact); False when later legs
        are valued by Black-Scholes on a grid.
    """

    premium: float
    max_profit: float
    max_loss: float
    breakevens: tuple[float, ...]
    horizon: float
    cost_at_horizon: float
    probability_of_profit: float
    exact: bool

    @property
    def profit_unbounded(self) -> bool:
        return math.isinf(self.max_profit)

    @property
    def loss_unbounded(self) -> bool:
        return math.isinf(self.max_loss)

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping of the fields (breakevens as a list), for tables and JSON."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["breakevens"] = list(self.breakevens)
        return d


def _bs_value_at(leg: OptionLeg, s: np.ndarray, tau: float, sigma: float, r: float, q: float):
    """Leg value (quantity included) at remaining life ``tau > 0`` for spots that may be 0."""
    pos = s > 0
    v = np.asarray(
        bs_price(np.where(pos, s, 1.0), leg.strike, tau, sigma, r, q, kind=leg.kind), dtype=float
    )
    # The S -> 0 limits: a call is worthless, a put is worth the discounted strike.
    at_zero = 0.0 if leg.kind == "call" else leg.strike * math.exp(-r * tau)
    return leg.quantity * np.where(pos, v, at_zero)


def _lognormal_cdf(x: np.ndarray, spot: float, sigma: float, horizon: float, drift: float):
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    out[np.isposinf(x)] = 1.0
    fin = np.isfinite(x) & (x > 0)
    sd = sigma * math.sqrt(horizon)
    z = (np.log(x[fin] / spot) - (drift - 0.5 * sigma**2) * horizon) / sd
    out[fin] = special.ndtr(z)
    return out


def expiry_statistics(
    book: Book, *, spot: float, volatility: float, rate: float = 0.0, dividend_yield: float = 0.0,
) -> ExpiryStatistics:
    """Premium, maximum profit and loss, and breakevens of a book held to expiry.

    Parameters
    ----------
    book : Book
        Non-empty book with at least one option leg.
    spot : float
        Underlying price today, > 0.
    volatility : float
        Black-Scholes volatility for today's premium (and for later legs of a multi-expiry
        book at its first expiry), > 0.
    rate, dividend_yield : float, default 0.0
        Continuously compounded.

    Returns
    -------
    ExpiryStatistics

    Notes
    -----
    The P&L at horizon :math:`T` (the expiry; the first expiry when legs expire at different
    dates) is

    .. math:: \\Pi(S_T) = \\sum_i n_i V_i(S_T) + n_S S_T - \\big(P_{opt} e^{rT}
              + n_S S_0 e^{(r-q)T}\\big),

    where :math:`P_{opt}` is today's value of the options: the premium is carried at the
    rate (its time value is included), and the stock at its cost of carry, financed at
    :math:`r` and earning the dividend yield :math:`q`. With that convention a covered call and
    the short put of the same strike have identical statistics, as put-call parity requires
    (Hull 2021, ch. 11).

    *Single expiry* (exact): :math:`\\Pi` is piecewise linear with kinks at the strikes, so it
    is evaluated at 0 and at each strike, its slope beyond the last strike is
    :math:`\\sum_{calls} n_i + n_S`, and the breakevens are the exact zeros of each linear
    piece. A positive final slope makes the profit unbounded, a negative one the loss.

    *Several expiries* (numerical): legs expiring at the first expiry pay their intrinsic
    value and later legs are valued by Black-Scholes with the remaining life at the same
    volatility, rate and dividend yield. :math:`\\Pi` is evaluated on a grid (4001 points
    evenly spaced from 0 to three times the highest strike, 4001 geometrically spaced out to
    eight standard deviations beyond it, and every strike), extremes are refined by a bounded
    scalar search, breakevens by Brent's method between sign changes. Tangential zeros are
    not reported. Boundedness follows from the slope at infinity,
    :math:`\\sum_{calls} n_i e^{-q\\tau_i} + n_S`.

    Unbounded extremes are ``math.inf`` (a loss is reported as a positive number).

    Examples
    --------
    >>> from hedgelib.book import preset_book
    >>> st = expiry_statistics(preset_book("straddle", 100.0, 1.0), spot=100.0, volatility=0.2)
    >>> round(st.premium, 4), [round(b, 4) for b in st.breakevens], st.max_profit
    (15.9311, [84.0689, 115.9311], inf)
    """
    if not isinstance(book, Book):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    book._require_legs("expiry statistics")
    s0 = check_scalar(spot, "spot", check_price)
    sigma = check_scalar(volatility, "volatility", check_positive_volatility)
    r = check_scalar(rate, "rate", check_rate)
    q = check_scalar(dividend_yield, "dividend_yield", check_rate)

    premium = float(book.value(s0, sigma, rate=r, dividend_yield=q))
    horizon = book.first_expiry
    option_premium = premium - book.stock * s0
    cost = option_premium * math.exp(r * horizon) + book.stock * s0 * math.exp((r - q) * horizon)

    tol_h = _REL_TOL * max(1.0, horizon)
    expiring = [g for g in book.legs if g.expiry <= horizon + tol_h]
    later = [g for g in book.legs if g.expiry > horizon + tol_h]
    scale = sum(abs(g.quantity) for g in book.legs) + abs(book.stock)
    slope_tol = _REL_TOL * scale
    final_slope = (
        sum(g.quantity for g in expiring if g.kind == "call")
        + sum(g.quantity * math.exp(-q * (g.expiry - horizon)) for g in later if g.kind == "call")
        + book.stock
    )
    if abs(final_slope) <= slope_tol:
        final_slope = 0.0

    def pnl(x: ArrayLike) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        total = book.stock * x - cost
        for g in expiring:
            total = total + g.payoff(x)
        for g in later:
            total = total + _bs_value_at(g, x, g.expiry - horizon, sigma, r, q)
        return total

    zero_tol = _REL_TOL * _money_scale(book, s0, cost)
    if not later:
        nodes = np.array([0.0, *book.strikes])
        values = pnl(nodes)
        roots = _linear_roots(nodes, values, final_slope, zero_tol)
        max_p = math.inf if final_slope > 0 else float(values.max())
        min_p = -math.inf if final_slope < 0 else float(values.min())
        exact = True
    else:
        t_max = book.expiry - horizon
        low, high = min(s0, *book.strikes), max(s0, *book.strikes)
        # Far enough out (8 standard deviations of the longest remaining life) that every
        # later leg sits on its linear asymptote; linear spacing resolves the strike region,
        # geometric spacing the tails, whatever the volatility.
        top = 4.0 * high * math.exp(8.0 * sigma * math.sqrt(t_max) + abs(r - q) * t_max)
        nodes = np.union1d(
            np.union1d(
                np.linspace(0.0, 3.0 * high, _N_GRID), np.geomspace(1e-3 * low, top, _N_GRID)
            ),
            book.strikes,
        )
        values = pnl(nodes)
        roots = _grid_roots(pnl, nodes, values, final_slope, zero_tol)
        kinks = set(book.strikes)
        max_p = math.inf if final_slope > 0 else _refined_extreme(pnl, nodes, values, kinks, +1)
        min_p = -math.inf if final_slope < 0 else _refined_extreme(pnl, nodes, values, kinks, -1)
        exact = False

    pop = _probability_positive(pnl, roots, s0, sigma, horizon, r - q)
    return ExpiryStatistics(
        premium=premium,
        max_profit=max_p,
        max_loss=-min_p,
        breakevens=tuple(float(x) for x in roots),
        horizon=horizon,
        cost_at_horizon=cost,
        probability_of_profit=pop,
        exact=exact,
    )


def _money_scale(book: Book, spot: float, cost: float) -> float:
    """Typical size of the book's P&L in currency, the yardstick for "this P&L is zero".

    Far-out grid values can be huge, so the tolerance must not scale with them.
    """
    size = sum(abs(g.quantity) for g in book.legs) + abs(book.stock)
    return max(1.0, size * max(spot, *book.strikes), abs(cost))


def _linear_roots(
    nodes: np.ndarray, values: np.ndarray, final_slope: float, tol: float
) -> list[float]:
    """Zeros of the piecewise-linear function through (nodes, values), extended with
    ``final_slope`` beyond the last node."""
    y = np.where(np.abs(values) <= tol, 0.0, values)
    roots = [float(x) for x, v in zip(nodes, y, strict=True) if v == 0.0]
    for i in range(len(nodes) - 1):
        y0, y1 = y[i], y[i + 1]
        if y0 * y1 < 0:
            roots.append(float(nodes[i] - y0 * (nodes[i + 1] - nodes[i]) / (y1 - y0)))
    if final_slope != 0.0 and y[-1] * final_slope < 0:
        roots.append(float(nodes[-1] - y[-1] / final_slope))
    return sorted(set(roots))


def _grid_roots(
    pnl, nodes: np.ndarray, values: np.ndarray, final_slope: float, tol: float
) -> list[float]:
    y = np.where(np.abs(values) <= tol, 0.0, values)
    roots = [float(x) for x, v in zip(nodes, y, strict=True) if v == 0.0]
    for i in np.flatnonzero(y[:-1] * y[1:] < 0):
        roots.append(optimize.brentq(lambda x: float(pnl(x)), nodes[i], nodes[i + 1], xtol=1e-12))
    if final_slope != 0.0 and y[-1] * final_slope < 0:
        # The P&L is heading for zero beyond the grid: bracket it by doubling.
        lo, hi = float(nodes[-1]), float(nodes[-1]) * 2.0
        for _ in range(200):
            if float(pnl(hi)) * y[-1] <= 0:
                roots.append(optimize.brentq(lambda x: float(pnl(x)), lo, hi, xtol=1e-12))
                break
            lo, hi = hi, hi * 2.0
    return sorted(set(roots))


def _refined_extreme(pnl, nodes: np.ndarray, values: np.ndarray, kinks: set[float], sign: int):
    """Grid maximum (sign=+1) or minimum (sign=-1), polished by a bounded scalar search."""
    i = int(np.argmax(sign * values))
    best = float(values[i])
    if 0 < i < len(nodes) - 1 and float(nodes[i]) not in kinks:
        res = optimize.minimize_scalar(
            lambda x: -sign * float(pnl(x)),
            bounds=(float(nodes[i - 1]), float(nodes[i + 1])),
            method="bounded",
            options={"xatol": 1e-10},
        )
        best = sign * max(sign * best, -float(res.fun))
    return best


def _probability_positive(pnl, roots, spot, sigma, horizon, drift) -> float:
    """Lognormal probability of the intervals between breakevens where the P&L is positive.

    The P&L keeps one sign between consecutive breakevens, so one probe per interval decides.
    """
    edges = np.array([0.0, *roots, math.inf])
    prob = 0.0
    cdf = _lognormal_cdf(edges, spot, sigma, horizon, drift)
    for a, b, ca, cb in zip(edges[:-1], edges[1:], cdf[:-1], cdf[1:], strict=True):
        probe = a + 1.0 + abs(a) if math.isinf(b) else 0.5 * (a + b)
        if float(pnl(probe)) > 0:
            prob += cb - ca
    return float(min(max(prob, 0.0), 1.0))


def _grid(values: Any, name: str, check) -> FloatArray:
    arr = check(values, name)
    if arr.ndim != 1 or arr.size == 0:
        raise HedgeLibError(f"{name} must be a non-empty 1-D sequence, got shape {arr.shape}")
    return arr


def scenario_pnl(
    book: Book, *, spot: float, volatility: float, rate: float = 0.0, dividend_yield: float = 0.0,
    spot_grid: ArrayLike, volatility_grid: ArrayLike | None = None,
    time_grid: ArrayLike | None = None,
) -> pd.DataFrame:
    """P&L of the book against today's value, over spot x volatility or spot x time.

    Parameters
    ----------
    book : Book
        Non-empty book.
    spot, volatility : float
        Today's market (spot > 0, volatility >= 0): the reference value is
        ``book.value(spot, volatility)``.
    rate, dividend_yield : float, default 0.0
        Continuously compounded, held fixed across the grid.
    spot_grid : array_like, shape (n_spot,)
        Underlying prices, > 0.
    volatility_grid : array_like, shape (n_vol,), optional
        Volatilities, >= 0, applied instantly (time 0).
    time_grid : array_like, shape (n_time,), optional
        Years elapsed, >= 0, at the base ``volatility``; legs past expiry count at intrinsic.

    Exactly one of ``volatility_grid`` and ``time_grid`` must be given.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_spot, n_vol)`` or ``(n_spot, n_time)``: index ``spot``, columns
        ``volatility`` or ``time``; values in currency, holder's view.

    Notes
    -----
    :math:`\\Pi(S, x) = V(S, x) - V(S_0, \\sigma_0, t=0)`. Financing of the premium over the
    elapsed time is not included: this is the mark-to-market move, as on a trader's risk
    ladder (Hull 2021, ch. 19, scenario analysis).

    Examples
    --------
    >>> from hedgelib.book import preset_book
    >>> book = preset_book("straddle", 100.0, 0.5)
    >>> grid = scenario_pnl(book, spot=100.0, volatility=0.2, spot_grid=[90, 100, 110],
    ...                     volatility_grid=[0.1, 0.2, 0.3])
    >>> float(grid.loc[100.0, 0.2])
    0.0
    """
    if not isinstance(book, Book):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    book._require_content()
    if (volatility_grid is None) == (time_grid is None):
        raise HedgeLibError(
            "give exactly one of volatility_grid and time_grid, got "
            + ("neither" if volatility_grid is None else "both")
        )
    s0 = check_scalar(spot, "spot", check_price)
    sigma0 = check_scalar(volatility, "volatility", check_volatility)
    r = check_scalar(rate, "rate", check_rate)
    q = check_scalar(dividend_yield, "dividend_yield", check_rate)
    s = _grid(spot_grid, "spot_grid", check_positive)
    base = float(book.value(s0, sigma0, rate=r, dividend_yield=q))
    if volatility_grid is not None:
        cols = _grid(volatility_grid, "volatility_grid", check_non_negative)
        v = book.value(s[:, None], cols[None, :], rate=r, dividend_yield=q)
        col_name = "volatility"
    else:
        cols = _grid(time_grid, "time_grid", check_non_negative)
        v = book.value(s[:, None], sigma0, time=cols[None, :], rate=r, dividend_yield=q)
        col_name = "time"
    return pd.DataFrame(
        np.asarray(v) - base,
        index=pd.Index(s, name="spot"),
        columns=pd.Index(cols, name=col_name),
    )


def greeks_profile(
    book: Book, *, spot_grid: ArrayLike, volatility: float, time: float = 0.0, rate: float = 0.0,
    dividend_yield: float = 0.0,
) -> pd.DataFrame:
    """Value and greeks of the book against spot, for the "greeks against spot" chart.

    Parameters
    ----------
    book : Book
        Non-empty book.
    spot_grid : array_like, shape (n_spot,)
        Underlying prices, > 0.
    volatility : float
        Annualised volatility, >= 0.
    time : float, default 0.0
        Years elapsed since today, >= 0.
    rate, dividend_yield : float, default 0.0
        Continuously compounded.

    Returns
    -------
    pandas.DataFrame
        Index ``spot``; columns ``value, delta, gamma, vega, theta, rho, vanna, volga, charm``
        (raw partial derivatives, as in :func:`~hedgelib.pricing.black_scholes.bs_greeks`).

    Notes
    -----
    Each column is the quantity-weighted sum over legs of the Black-Scholes value or greek
    (Hull 2021, ch. 19), the stock adding its value and delta.

    Examples
    --------
    >>> from hedgelib.book import preset_book
    >>> prof = greeks_profile(preset_book("long_call", 100.0, 1.0), spot_grid=[80, 100, 120],
    ...                       volatility=0.2)
    >>> prof["delta"].round(3).tolist()
    [0.155, 0.54, 0.844]
    """
    if not isinstance(book, Book):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    book._require_content()
    s = _grid(spot_grid, "spot_grid", check_positive)
    volatility = check_scalar(volatility, "volatility", check_volatility)
    kw = dict(time=check_scalar(time, "time", check_years), rate=check_scalar(rate, "rate", check_rate),
              dividend_yield=check_scalar(dividend_yield, "dividend_yield", check_rate))
    value = np.asarray(book.value(s, volatility, **kw))
    g = book.greeks(s, volatility, **kw)
    data = {"value": value}
    data.update(
        {n: np.broadcast_to(np.asarray(getattr(g, n), dtype=float), s.shape) for n in GREEK_NAMES}
    )
    return pd.DataFrame(data, index=pd.Index(s, name="spot"))
