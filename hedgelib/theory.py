"""Closed-form diagnostics of discrete hedging: what theory predicts a simulation should show.

Formulas from the literature, or numerical integrals of them, to set beside a simulation:

=====================================  ==================================================
:func:`derman_kamal_std`               hedge-error standard deviation after ``N`` rebalances
:func:`hedge_error_std`                the same for any book, integrating its gamma
:func:`expected_rebalancing_cost_atm`  expected proportional cost, one option at the money
:func:`expected_rebalancing_cost`      the same for any book, integrating its gamma
:func:`leland_volatility`              Leland's cost-adjusted volatility
:func:`whalley_wilmott_half_width`     half-width of the optimal no-trade band in delta
:func:`gamma_pnl`                      P&L of a delta-hedged position over one step
:func:`realised_gamma_pnl`             the same summed along simulated or real paths
=====================================  ==================================================

Units are the library's: vega per 1.00 of volatility, ``proportional`` the one-way cost as a
fraction of traded notional, ``n_rebalances`` the number of equal hedging intervals over the
horizon (a daily hedge of a one-month option has 21). Book-level functions take anything
with the :class:`~hedgelib.book.Book` interface.

References
----------
Derman, E. and Kamal, M. (1999), "When you cannot hedge continuously: the corrections of
Black-Scholes", *Risk* 12(1), 82-85.
Leland, H. E. (1985), "Option pricing and replication with transactions costs",
*Journal of Finance* 40(5), 1283-1301.
Whalley, A. E. and Wilmott, P. (1997), "An asymptotic analysis of an optimal hedging model for
option pricing with transaction costs", *Mathematical Finance* 7(3), 307-324.
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed. (2021), ch. 19.
Wilmott, P., *Paul Wilmott on Quantitative Finance*, 2nd ed. (2006), ch. 47-48.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from hedgelib._typing import ArrayLike, FloatArray
from hedgelib.conventions import (
    HedgeLibError,
    check_finite,
    check_in_range,
    check_int,
    check_non_negative,
    check_positive,
    check_positive_volatility,
    check_positive_years,
    check_price,
    check_rate,
    check_scalar,
    check_volatility,
    check_years,
)

__all__ = [
    "derman_kamal_std",
    "expected_rebalancing_cost",
    "expected_rebalancing_cost_atm",
    "gamma_pnl",
    "hedge_error_std",
    "leland_volatility",
    "realised_gamma_pnl",
    "whalley_wilmott_band",
    "whalley_wilmott_half_width",
]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
# Standard-normal range covered by the numerical expectations: the mass beyond 9 is 2e-19.
_Z_MAX = 9.0
# Time rows evaluated at once in the numerical expectations, to bound memory for large N.
_TIME_BATCH = 64


def _out(arr: np.ndarray, inputs: str, *, allow_nan: bool = False) -> float | FloatArray:
    """The result as a float or an array, refused when the inputs, each valid, together
    overflow (``inputs`` names them for the message)."""
    if np.isinf(arr).any() or (not allow_nan and np.isnan(arr).any()):
        raise HedgeLibError(f"the result overflows for these inputs ({inputs}): they are too large together")
    return float(arr) if np.ndim(arr) == 0 else arr


# --------------------------------------------------------------------------------------------
# Derman-Kamal


def derman_kamal_std(
    vega: ArrayLike, volatility: ArrayLike, n_rebalances: ArrayLike
) -> float | FloatArray:
    """Standard deviation of the P&L of a delta hedge rebalanced ``N`` times (Derman-Kamal).

    Parameters
    ----------
    vega : array_like
        Vega of the hedged position today, in currency per 1.00 of volatility (the raw
        derivative, e.g. ``bs_greeks(...).vega``; for a book, the book's vega, quantities
        included). Its sign does not matter.
    volatility : array_like
        Annualised volatility, both realised and used for the deltas, >= 0.
    n_rebalances : array_like
        Number of equal hedging intervals over the option's life, > 0.

    Returns
    -------
    float or ndarray
        ``sigma_P`` in currency, broadcast over the inputs.

    Notes
    -----
    Over one interval the delta-hedged P&L is ``1/2 Gamma S^2 (sigma^2 dt - (dS/S)^2)``,
    of variance ``1/2 Gamma^2 S^4 sigma^4 dt^2``. For an option at the money, averaging
    ``Gamma^2 S^4`` over the lognormal spot and summing over the life gives

    .. math:: \\sigma_P \\approx \\sqrt{\\frac{\\pi}{4}}\\,\\frac{\\mathcal{V}\\,\\sigma}{\\sqrt N},
              \\qquad \\sqrt{\\pi/4} \\approx 0.886,

    with :math:`\\mathcal V = S\\varphi(d_1)\\sqrt T` the vega per 1.00 of volatility (the time
    integral :math:`\\int_0^T dt/\\sqrt{T^2-t^2} = \\pi/2` is where :math:`\\pi` enters). It is
    exact to leading order for one option at the money and zero rates, and a good guide near
    the money; for a book whose vega nets out (calendar spreads) use :func:`hedge_error_std`.

    References
    ----------
    Derman and Kamal (1999), "When you cannot hedge continuously", *Risk* 12(1).

    Examples
    --------
    >>> round(derman_kamal_std(vega=11.5, volatility=0.2, n_rebalances=21), 4)
    0.4448
    """
    v = check_finite(vega, "vega")
    sigma = check_volatility(volatility, "volatility")
    n = check_positive(n_rebalances, "n_rebalances")
    with np.errstate(over="ignore", invalid="ignore"):
        result = math.sqrt(math.pi / 4.0) * np.abs(v) * sigma / np.sqrt(n)
    return _out(result, "vega, volatility, n_rebalances")


# --------------------------------------------------------------------------------------------
# Numerical expectations over the lognormal spot, for any book


def _book_inputs(
    book: Any, spot: Any, volatility: Any, n_rebalances: Any, horizon: Any, rate: Any,
    dividend_yield: Any, drift: Any,
) -> tuple[float, float, int, float, float, float, float]:
    if not callable(getattr(book, "greeks", None)):
        raise HedgeLibError(
            f"book must be a Book (with a greeks method), got {type(book).__name__}"
        )
    s0 = float(check_price(spot, "spot"))
    sigma = float(check_positive_volatility(volatility, "volatility"))
    n = check_int(n_rebalances, "n_rebalances", minimum=1)
    r = float(check_rate(rate, "rate"))
    q = float(check_rate(dividend_yield, "dividend_yield"))
    mu = r if drift is None else float(check_finite(drift, "drift"))
    first = float(book.first_expiry)
    t_end = first if horizon is None else check_scalar(horizon, "horizon", check_positive_years)
    if t_end > first * (1.0 + 1e-12):
        raise HedgeLibError(
            f"horizon must not exceed the book's first expiry {first!r}, got {t_end!r}: "
            f"the formulas follow one unchanged book"
        )
    return s0, sigma, n, t_end, r, q, mu


def _default_nodes(n: int) -> int:
    # Near expiry gamma is a spike of width ~ sqrt(tau / t) standard deviations of the spot
    # distribution, at least 1 / sqrt(N) at the last rebalance. The trapezoid rule on such
    # smooth bell shapes converges geometrically once the spacing is below the width: half
    # of it gives ~1e-9 relative accuracy.
    h = min(0.05, 0.5 / math.sqrt(n))
    return int(2.0 * _Z_MAX / h) | 1


def _lognormal_expectations(
    func: Any, times: FloatArray, s0: float, sigma: float, growth: float, n_nodes: int,
) -> FloatArray:
    """``E[func(t, S_t)]`` for each ``t`` in ``times`` under a lognormal spot (trapezoid in z)."""
    z = np.linspace(-_Z_MAX, _Z_MAX, n_nodes)
    w = np.exp(-0.5 * z * z)
    w[0] *= 0.5
    w[-1] *= 0.5
    w /= w.sum()
    out = np.empty(times.size)
    for a in range(0, times.size, _TIME_BATCH):
        t = times[a : a + _TIME_BATCH, None]
        s = s0 * np.exp((growth - 0.5 * sigma * sigma) * t + sigma * np.sqrt(t) * z)
        out[a : a + _TIME_BATCH] = func(t, s) @ w
    return out


def hedge_error_std(
    book: Any, *, spot: float, volatility: float, n_rebalances: int, horizon: float | None = None,
    rate: float = 0.0, dividend_yield: float = 0.0, drift: float | None = None,
    n_nodes: int | None = None,
) -> float:
    """Standard deviation of a book's delta-hedged P&L, integrating its gamma numerically.

    The general-book version of :func:`derman_kamal_std`: it needs no at-the-money
    approximation and stays right for books whose vega nets out.

    Parameters
    ----------
    book : Book
        The position hedged (signed quantities); its legs must not expire before ``horizon``.
    spot : float
        Price today, > 0.
    volatility : float
        Annualised volatility, realised and used for the deltas, > 0.
    n_rebalances : int
        Number of equal hedging intervals over the horizon, >= 1.
    horizon : float, optional
        Years hedged; default the book's first expiry.
    rate, dividend_yield : float, default 0
        Continuously compounded; each interval's P&L is carried to the horizon at ``rate``.
    drift : float, optional
        Expected total return of the spot; default ``rate`` (the pricing measure).
    n_nodes : int, optional
        Points of the trapezoid rule over the standard-normal spot variable; default fine
        enough to resolve gamma one interval before expiry.

    Returns
    -------
    float
        ``sigma_P`` in currency.

    Notes
    -----
    With :math:`t_i = i\\,\\Delta t`, :math:`\\Delta t = T/N` and :math:`\\Gamma_i` the book's
    gamma at :math:`(t_i, S_{t_i})`,

    .. math:: \\sigma_P^2 = \\frac{\\sigma^4 \\Delta t^2}{2} \\sum_{i=0}^{N-1}
              e^{2r(T - t_{i+1})}\\, E\\big[\\Gamma_i^2 S_{t_i}^4\\big],

    the interval P&Ls being uncorrelated to leading order; the expectations are over the
    lognormal :math:`S_{t_i}` with drift ``drift - dividend_yield``.

    References
    ----------
    Derman and Kamal (1999), *Risk* 12(1); Wilmott (2006), ch. 47 ("discrete hedging").

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> call = Book([OptionLeg("call", 100.0, 1.0, 1.0)])
    >>> round(hedge_error_std(call, spot=100.0, volatility=0.2, n_rebalances=252), 3)
    0.435
    """
    s0, sigma, n, t_end, r, q, mu = _book_inputs(
        book, spot, volatility, n_rebalances, horizon, rate, dividend_yield, drift
    )
    nodes = _default_nodes(n) if n_nodes is None else check_int(n_nodes, "n_nodes", minimum=101)
    dt = t_end / n
    times = np.arange(n) * dt

    def gamma_sq(t: FloatArray, s: FloatArray) -> FloatArray:
        g = np.asarray(book.greeks(s, sigma, time=t, rate=r, dividend_yield=q).gamma)
        return (g * s * s) ** 2

    e = _lognormal_expectations(gamma_sq, times, s0, sigma, mu - q, nodes)
    carry = np.exp(2.0 * r * (t_end - (times + dt)))
    return float(math.sqrt(0.5 * sigma**4 * dt * dt * float(np.sum(carry * e))))


# --------------------------------------------------------------------------------------------
# Expected proportional rebalancing cost


def expected_rebalancing_cost_atm(
    spot: ArrayLike, proportional: ArrayLike, n_rebalances: ArrayLike, *, quantity: ArrayLike = 1.0,
    include_entry_exit: bool = True,
) -> float | FloatArray:
    """Expected proportional cost of delta-hedging one option at the money: closed form.

    Parameters
    ----------
    spot : array_like
        Price today (= the strike), > 0.
    proportional : array_like
        One-way cost as a fraction of traded notional, >= 0.
    n_rebalances : array_like
        Number of equal hedging intervals over the option's life, > 0.
    quantity : array_like, default 1
        Signed number of options; the cost scales with its absolute value.
    include_entry_exit : bool, default True
        Add the cost of setting up the hedge today (``|delta| = 1/2``) and of unwinding it
        at expiry (``E[S_T |delta_{N-1}|] = S/2``), as the engine charges both.

    Returns
    -------
    float or ndarray
        Expected total cost in currency (positive), broadcast over the inputs.

    Notes
    -----
    A rebalance after a move :math:`dS` trades :math:`|d\\Delta| \\approx |\\Gamma\\, dS|`
    shares, costing :math:`k S |\\Gamma| S \\sigma \\sqrt{\\Delta t}\\,|Z|`; with
    :math:`E|Z| = \\sqrt{2/\\pi}` and, at the money and to leading order in
    :math:`\\sigma\\sqrt T`, :math:`E[\\Gamma_t S_t^2] = S/(\\sigma\\sqrt{2\\pi T})` for every
    :math:`t` (the gamma spike near expiry is offset exactly by the spread of the spot), the
    :math:`N` intervals add up to

    .. math:: E[C] \\approx k S \\frac{\\sqrt N}{\\pi} \\;(+\\; k S \\text{ entry and exit}).

    This is Leland's volatility correction read as a cost: ``vega * (sigma_L - sigma)``
    with :func:`leland_volatility` gives the same :math:`k S \\sqrt N / \\pi` to first order.
    Rates, drift and the small offset of the at-the-money delta from 1/2 are neglected (a
    few per cent for short-dated options); :func:`expected_rebalancing_cost` keeps them.

    References
    ----------
    Leland (1985), *Journal of Finance* 40(5); Hull (2021), ch. 19; Wilmott (2006), ch. 48.

    Examples
    --------
    >>> round(expected_rebalancing_cost_atm(100.0, 0.001, 21), 4)
    0.2459
    """
    s = check_price(spot, "spot")
    k = check_non_negative(proportional, "proportional")
    n = check_positive(n_rebalances, "n_rebalances")
    qty = np.abs(check_finite(quantity, "quantity"))
    per_unit = np.sqrt(n) / math.pi + (1.0 if include_entry_exit else 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        result = k * qty * s * per_unit
    return _out(result, "spot, proportional, n_rebalances, quantity")


def expected_rebalancing_cost(
    book: Any, *, spot: float, volatility: float, proportional: float, n_rebalances: int,
    horizon: float | None = None, rate: float = 0.0, dividend_yield: float = 0.0,
    drift: float | None = None, include_entry_exit: bool = True, n_nodes: int | None = None,
) -> float:
    """Expected proportional cost of delta-hedging a book ``N`` times, integrated numerically.

    Parameters
    ----------
    book : Book
        The position hedged; its legs must not expire before ``horizon``.
    spot : float
        Price today, > 0.
    volatility : float
        Annualised volatility, realised and used for the deltas, > 0.
    proportional : float
        ONE-WAY cost as a fraction of traded notional, >= 0 (``TransactionCosts.proportional``).
    n_rebalances : int
        Number of equal hedging intervals over the horizon, >= 1.
    horizon : float, optional
        Years hedged; default the book's first expiry.
    rate, dividend_yield : float, default 0
        Continuously compounded; they enter the greeks and the spot's growth.
    drift : float, optional
        Expected total return of the spot; default ``rate``.
    include_entry_exit : bool, default True
        Add the cost of setting up the hedge at ``t_0`` and of unwinding it at the horizon.
    n_nodes : int, optional
        Points of the trapezoid rule over the standard-normal spot variable.

    Returns
    -------
    float
        Expected total cost in currency (positive), undiscounted.

    Notes
    -----
    The hedge trades :math:`\\Delta_i - \\Delta_{i-1}` at :math:`t_i` and pays
    :math:`k S_{t_i} |\\Delta_i - \\Delta_{i-1}|`. To leading order in :math:`\\sqrt{\\Delta t}`
    the trade is :math:`\\Gamma_{i-1} (S_{t_i} - S_{t_{i-1}})`, with
    :math:`E|S_{t_i} - S_{t_{i-1}}| \\approx S_{t_{i-1}} \\sigma \\sqrt{\\Delta t} \\sqrt{2/\\pi}`
    independent of the past, so

    .. math:: E[C] = k\\Big(S_0|\\Delta_0| + \\sqrt{\\tfrac{2}{\\pi}}\\,\\sigma\\sqrt{\\Delta t}
              \\sum_{i=0}^{N-2} E\\big[|\\Gamma_i| S_{t_i}^2\\big]
              + e^{(\\mu - q)\\Delta t} E\\big[S_{t_{N-1}} |\\Delta_{N-1}|\\big]\\Big),

    the first and last terms being the entry and the unwind (the unwind sells the last
    hedge at :math:`S_{t_N}`, independent of :math:`\\Delta_{N-1}` given the past). The
    expectations integrate over the lognormal spot (drift ``drift - dividend_yield``) with
    the trapezoid rule; the sum is the time integral of Leland's cost rate sampled at the
    rebalancing dates. :func:`expected_rebalancing_cost_atm` is its closed form at the money.

    References
    ----------
    Leland (1985), *Journal of Finance* 40(5); Hull (2021), ch. 19.

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> call = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])
    >>> round(expected_rebalancing_cost(call, spot=100.0, volatility=0.2, proportional=0.001,
    ...                                 n_rebalances=21, rate=0.05), 3)
    0.247
    """
    s0, sigma, n, t_end, r, q, mu = _book_inputs(
        book, spot, volatility, n_rebalances, horizon, rate, dividend_yield, drift
    )
    k = float(check_non_negative(proportional, "proportional"))
    nodes = _default_nodes(n) if n_nodes is None else check_int(n_nodes, "n_nodes", minimum=101)
    dt = t_end / n

    def greek(name: str) -> Any:
        def f(t: FloatArray, s: FloatArray) -> FloatArray:
            g = getattr(book.greeks(s, sigma, time=t, rate=r, dividend_yield=q), name)
            g = np.abs(np.asarray(g))
            return g * s * s if name == "gamma" else g * s

        return f

    total = 0.0
    if n > 1:
        e = _lognormal_expectations(greek("gamma"), np.arange(n - 1) * dt, s0, sigma, mu - q, nodes)
        total += _SQRT_2_OVER_PI * sigma * math.sqrt(dt) * float(e.sum())
    if include_entry_exit:
        ends = _lognormal_expectations(
            greek("delta"), np.array([0.0, (n - 1) * dt]), s0, sigma, mu - q, nodes
        )
        total += float(ends[0]) + math.exp((mu - q) * dt) * float(ends[1])
    return k * total


# --------------------------------------------------------------------------------------------
# Leland, Whalley-Wilmott


def leland_volatility(
    volatility: ArrayLike,
    proportional: ArrayLike,
    rebalance_interval: ArrayLike,
    position: Literal["short", "long"] = "short",
) -> float | FloatArray:
    """Leland's cost-adjusted volatility for pricing an option hedged at discrete intervals.

    Parameters
    ----------
    volatility : array_like
        Annualised volatility of the underlying, > 0.
    proportional : array_like
        ONE-WAY cost as a fraction of traded notional, >= 0 (the library's convention, as in
        ``TransactionCosts.proportional``). Leland's ``k`` is the ROUND-TRIP rate, ``2 *
        proportional``; the conversion is done here.
    rebalance_interval : array_like
        Years between rebalances, > 0 (``1/252`` for a daily hedge).
    position : {"short", "long"}, default "short"
        "short" for the option writer (gamma < 0, who pays up: volatility rises), "long" for
        the holder (volatility falls).

    Returns
    -------
    float or ndarray
        :math:`\\sigma_L`, broadcast over the inputs. For a long position with Leland number
        ``Le > 1`` the adjusted variance is negative and the model has no solution: the
        result is NaN there (like ``implied_vol`` outside its bounds), so a sweep over costs
        returns the whole curve rather than failing at its first such point.

    Notes
    -----
    With :math:`k = 2\\,\\text{proportional}` the round-trip cost rate,

    .. math:: \\sigma_L^2 = \\sigma^2\\Big(1 \\pm \\mathrm{Le}\\Big), \\qquad
              \\mathrm{Le} = \\sqrt{\\frac{2}{\\pi}}\\,\\frac{k}{\\sigma\\sqrt{\\Delta t}},

    + for a short option, - for a long one. Equivalently :math:`\\sigma_L^2 = \\sigma^2 \\pm
    2\\kappa\\sigma\\sqrt{2/(\\pi\\Delta t)}` with :math:`\\kappa` the one-way rate (Wilmott).

    References
    ----------
    Leland (1985), *Journal of Finance* 40(5), eq. (11); Hull (2021), ch. 19;
    Wilmott (2006), ch. 48.

    Examples
    --------
    >>> round(leland_volatility(0.2, 0.001, 1 / 252), 5)
    0.21229
    >>> round(leland_volatility(0.2, 0.001, 1 / 252, position="long"), 5)
    0.18691
    """
    if position not in ("short", "long"):
        raise HedgeLibError(f"position must be 'short' or 'long', got {position!r}")
    sigma = check_positive_volatility(volatility, "volatility")
    # A proportional cost is a fraction of the traded value: above 100% it means nothing.
    kappa = check_in_range(proportional, "proportional", 0.0, 1.0)
    dt = check_positive(rebalance_interval, "rebalance_interval")
    leland_number = _SQRT_2_OVER_PI * (2.0 * kappa) / (sigma * np.sqrt(dt))
    factor = 1.0 + leland_number if position == "short" else 1.0 - leland_number
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.where(factor >= 0.0, sigma * np.sqrt(np.maximum(factor, 0.0)), np.nan)
    # NaN is this function's answer where the long-option volatility does not exist.
    return _out(out, "volatility, proportional, rebalance_interval", allow_nan=True)


def whalley_wilmott_half_width(
    spot: ArrayLike, gamma: ArrayLike, proportional: ArrayLike, risk_aversion: ArrayLike,
    rate: ArrayLike = 0.0, time_to_expiry: ArrayLike = 0.0,
) -> float | FloatArray:
    """Half-width of the Whalley-Wilmott no-trade band around the Black-Scholes delta.

    Parameters
    ----------
    spot : array_like
        Underlying price, > 0.
    gamma : array_like
        Gamma of the position hedged (per share, quantities included), any sign.
    proportional : array_like
        One-way cost as a fraction of traded notional, >= 0 (Whalley-Wilmott's
        :math:`\\lambda`: trading :math:`\\nu` shares costs :math:`\\lambda S |\\nu|`).
    risk_aversion : array_like
        Absolute risk aversion :math:`\\gamma` of the hedger's exponential utility, per unit of
        currency, > 0.
    rate : array_like, default 0
        Continuously compounded rate.
    time_to_expiry : array_like, default 0
        Years to expiry, >= 0 (enters only through the discount factor).

    Returns
    -------
    float or ndarray
        ``H`` in shares: the hedge is left alone while ``|hedge + delta| <= H``.

    Notes
    -----
    .. math:: H = \\left(\\frac{3}{2}\\,\\frac{e^{-r(T-t)}\\,\\lambda\\, S\\, \\Gamma^2}
              {\\gamma}\\right)^{1/3}

    the leading-order asymptotics of the utility-indifference problem for small costs.

    References
    ----------
    Whalley and Wilmott (1997), *Mathematical Finance* 7(3), 307-324;
    Wilmott (2006), ch. 48.

    Examples
    --------
    >>> round(whalley_wilmott_half_width(100.0, 0.04, 0.001, 1.0), 5)
    0.06214
    """
    s = check_price(spot, "spot")
    g = check_finite(gamma, "gamma")
    lam = check_non_negative(proportional, "proportional")
    ra = check_positive(risk_aversion, "risk_aversion")
    r = check_rate(rate, "rate")
    tau = check_years(time_to_expiry, "time_to_expiry")
    with np.errstate(over="ignore", invalid="ignore"):
        result = whalley_wilmott_band(s, g, lam, ra, r, tau)
    return _out(result, "spot, gamma, proportional, risk_aversion")


def whalley_wilmott_band(
    spot: Any, gamma: Any, proportional: Any, risk_aversion: Any, rate: Any, time_to_expiry: Any
) -> FloatArray:
    """:func:`whalley_wilmott_half_width` on inputs already checked: no validation.

    The engine's :class:`~hedgelib.hedging.rules.WhalleyWilmott` rule calls it at every grid
    step on every path. Scalars for the cost, risk aversion, rate and time give one scale
    factor, so a step costs two passes over the paths before the cube root.
    """
    s, g, lam, ra, r, tau = spot, gamma, proportional, risk_aversion, rate, time_to_expiry
    scale = 1.5 * np.exp(-np.multiply(r, tau)) * lam / ra
    return np.cbrt(scale * (s * np.square(g)))


# --------------------------------------------------------------------------------------------
# Gamma P&L


def gamma_pnl(
    gamma: ArrayLike, spot: ArrayLike, realised_volatility: ArrayLike,
    implied_volatility: ArrayLike, dt: ArrayLike,
) -> float | FloatArray:
    """P&L of a delta-hedged position over a short interval: gamma times realised minus implied.

    Parameters
    ----------
    gamma : array_like
        Gamma of the position (per share, quantities included), any sign.
    spot : array_like
        Underlying price, > 0.
    realised_volatility, implied_volatility : array_like
        Annualised, >= 0: the volatility the spot moved with over the interval, and the one
        used for the deltas (whose theta pays for the gamma).
    dt : array_like
        Interval length in years, >= 0.

    Returns
    -------
    float or ndarray
        P&L in currency, broadcast over the inputs.

    Notes
    -----
    .. math:: \\mathrm{P\\&L} = \\tfrac12\\,\\Gamma S^2\\big(\\sigma_r^2 - \\sigma_i^2\\big)\\,dt

    the expectation of Black-Scholes's :math:`\\tfrac12\\Gamma S^2 ((dS/S)^2 - \\sigma_i^2 dt)`
    when :math:`(dS/S)^2` averages :math:`\\sigma_r^2 dt`. Long gamma earns when realised
    volatility exceeds implied.

    References
    ----------
    Hull (2021), ch. 19; Wilmott (2006), ch. 10; Derman and Kamal (1999).

    Examples
    --------
    >>> round(gamma_pnl(0.04, 100.0, 0.25, 0.20, 1 / 252), 6)
    0.017857
    """
    g = check_finite(gamma, "gamma")
    s = check_price(spot, "spot")
    sr = check_non_negative(realised_volatility, "realised_volatility")
    si = check_non_negative(implied_volatility, "implied_volatility")
    h = check_non_negative(dt, "dt")
    with np.errstate(over="ignore", invalid="ignore"):
        result = 0.5 * g * s * s * (sr * sr - si * si) * h
    return _out(result, "gamma, spot, realised_volatility, implied_volatility, dt")


def realised_gamma_pnl(
    gamma: ArrayLike,
    spot: ArrayLike,
    implied_volatility: ArrayLike,
    times: ArrayLike,
) -> float | FloatArray:
    """Gamma P&L summed along paths, from the realised squared returns step by step.

    Parameters
    ----------
    gamma : array_like, shape (n_steps, ...) or (n_steps + 1, ...)
        Gamma of the position at the start of each step (a last row, at the horizon, is
        ignored), time-major like :class:`~hedgelib.market.paths.Paths`.
    spot : array_like, shape (n_steps + 1, ...)
        Prices along the paths, > 0.
    implied_volatility : array_like
        Volatility used for the deltas, >= 0; a scalar or broadcastable to ``gamma``'s steps.
    times : array_like, shape (n_steps + 1,)
        Times of the rows of ``spot`` in years, increasing.

    Returns
    -------
    float or ndarray, shape (...)
        Total gamma P&L of each path in currency (not carried at any rate).

    Notes
    -----
    .. math:: \\sum_{i=0}^{n-1} \\tfrac12\\,\\Gamma_i S_i^2\\Big(\\big(\\tfrac{S_{i+1}-S_i}{S_i}
              \\big)^2 - \\sigma_i^2 (t_{i+1}-t_i)\\Big)

    the discrete form of :func:`gamma_pnl` whose sum is the leading-order hedge P&L of a
    delta hedge (the terms behind :func:`derman_kamal_std`).

    References
    ----------
    Derman and Kamal (1999); Wilmott (2006), ch. 47.

    Examples
    --------
    >>> days = [0.0, 1 / 252, 2 / 252]
    >>> round(realised_gamma_pnl([0.04, 0.04], [100.0, 101.0, 100.0], 0.2, days), 6)
    -0.02413
    """
    s = check_price(spot, "spot")
    t = check_finite(times, "times")
    if s.ndim == 0 or t.ndim != 1 or t.size != s.shape[0] or t.size < 2:
        raise HedgeLibError(
            f"times must be 1-D with one entry per row of spot ({s.shape[0] if s.ndim else 0}), "
            f"got shape {t.shape}"
        )
    dt = np.diff(t)
    if not (dt > 0).all():
        raise HedgeLibError("times must be strictly increasing")
    n = t.size - 1
    g = check_finite(gamma, "gamma")
    if g.ndim == 0 or g.shape[0] not in (n, n + 1):
        raise HedgeLibError(
            f"gamma must have {n} or {n + 1} rows (one per step), got shape {g.shape}"
        )
    g = g[:n]
    sig = check_non_negative(implied_volatility, "implied_volatility")
    if sig.ndim and sig.shape[0] == n + 1:
        sig = sig[:n]
    s0 = s[:-1]
    ret = s[1:] / s0 - 1.0
    dt = dt.reshape((n,) + (1,) * (s.ndim - 1))
    terms = 0.5 * g * s0 * s0 * (ret * ret - sig * sig * dt)
    with np.errstate(over="ignore", invalid="ignore"):
        result = terms.sum(axis=0)
    return _out(result, "gamma, spot, implied_volatility, times")
