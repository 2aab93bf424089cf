"""Black-Scholes-Merton implied volatility and the no-arbitrage bounds of European prices.

The solver works in Jaeckel's normalised coordinates: log-moneyness against the forward
:math:`x = \\ln(F/K)`, total standard deviation :math:`s = \\sigma\\sqrt{T}` and the
undiscounted price per :math:`\\sqrt{FK}`. In those coordinates every price reduces, by
put-call parity and the call-put symmetry, to an out-of-the-money call, whose value is
evaluated without cancellation in the tails. A vectorised Halley iteration in
:math:`\\ln s`, kept inside a bracket that bisection falls back on, then converges for
every price strictly inside the bounds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import erf, erfcx, ndtr, ndtri

from hedgelib._parallel import for_each_block
from hedgelib._typing import ArrayLike, FloatArray, OptionKind
from hedgelib.conventions import (
    HedgeLibError,
    check_kind,
    check_non_negative,
    check_price,
    check_rate,
    check_years,
)

__all__ = ["implied_vol", "no_arbitrage_bounds"]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)

_MAX_ITERATIONS = 100
# Halley's error after a step of size e in ln s is of order e^3: past this, s is exact.
_STEP_TOL = 1e-5
# Below this, D in the tail formula has lost all its digits to cancellation: bisect instead.
_MIN_TAIL_DIFFERENCE = 1e-280
_EPS = float(np.finfo(np.float64).eps)
_TINY = float(np.finfo(np.float64).smallest_subnormal)


def _validate_market(
    spot: ArrayLike, strike: ArrayLike, time_to_expiry: ArrayLike, rate: ArrayLike,
    dividend_yield: ArrayLike, kind: Any,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, float]:
    kind = check_kind(kind)
    s = check_price(spot, "spot")
    k = check_price(strike, "strike")
    t = check_years(time_to_expiry, "time_to_expiry")
    r = check_rate(rate, "rate")
    q = check_rate(dividend_yield, "dividend_yield")
    return s, k, t, r, q, (1.0 if kind == "call" else -1.0)


def _broadcast(names: str, *arrays: FloatArray) -> list[FloatArray]:
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise HedgeLibError(f"{names} must broadcast together, got shapes {shapes}") from None


def _bounds(sdq: FloatArray, kdr: FloatArray, w: float) -> tuple[FloatArray, FloatArray]:
    lower = np.maximum(w * (sdq - kdr), 0.0)
    upper = sdq if w > 0 else kdr
    return lower, upper


def no_arbitrage_bounds(
    spot: ArrayLike, strike: ArrayLike, time_to_expiry: ArrayLike, rate: ArrayLike = 0.0,
    dividend_yield: ArrayLike = 0.0, kind: OptionKind = "call",
) -> tuple[float | FloatArray, float | FloatArray]:
    """Model-free bounds on the price of a European option.

    Parameters
    ----------
    spot, strike, time_to_expiry, rate, dividend_yield, kind
        As in :func:`~hedgelib.pricing.black_scholes.bs_price`.

    Returns
    -------
    lower, upper : float or ndarray
        Floats for scalar input, else arrays of the broadcast shape. A price strictly between
        them has exactly one Black-Scholes-Merton implied volatility; at or outside them it
        has none.

    Notes
    -----
    For a call :math:`\\max(S e^{-qT} - K e^{-rT}, 0) \\le C \\le S e^{-qT}`; for a put
    :math:`\\max(K e^{-rT} - S e^{-qT}, 0) \\le P \\le K e^{-rT}`. The lower bound is the
    zero-volatility price, the upper the infinite-volatility price.

    References
    ----------
    Merton, R. C. (1973), "Theory of Rational Option Pricing", Bell J. Econ. 4(1).
    Hull, J. C., *Options, Futures, and Other Derivatives*, ch. "Properties of stock options".

    Examples
    --------
    >>> from hedgelib.pricing.implied_vol import no_arbitrage_bounds
    >>> lower, upper = no_arbitrage_bounds(42.0, 40.0, 0.5, rate=0.1)
    >>> round(lower, 4), upper
    (3.9508, 42.0)
    """
    s, k, t, r, q, w = _validate_market(spot, strike, time_to_expiry, rate, dividend_yield, kind)
    s, k, t, r, q = _broadcast(
        "spot, strike, time_to_expiry, rate and dividend_yield", s, k, t, r, q
    )
    lower, upper = _bounds(s * np.exp(-q * t), k * np.exp(-r * t), w)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, np.array(upper, dtype=np.float64)


def _log_black(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ln b(x, s) and s b'(s)/b(s) of the normalised out-of-the-money call, x <= 0, s > 0.

    b(x, s) = exp(x/2) N(x/s + s/2) - exp(-x/2) N(x/s - s/2), with h = x/s, t = s/2 and
    d1,2 = h +- t. Three evaluations, each used where it loses the fewest digits to
    cancellation: error functions near the money (|h| < 1, s < 1), where N(d1) and N(d2) are
    both close to 1/2; the scaled complementary error function in the lower tail (d1 <= 0),
    where both terms are tiny; the plain formula elsewhere. The third result is 0 where the
    value is usable, -1 where s is so small that b has underflowed or lost its digits, +1
    where s is so large that b has rounded to its supremum.
    """
    h = x / s
    t = 0.5 * s
    d1 = h + t
    lnb = np.empty_like(s)
    dlnb = np.empty_like(s)
    flag = np.zeros(s.shape)

    near = (s < 1.0) & (h > -1.0)
    tail = ~near & (d1 <= 0.0)
    far = ~(near | tail)
    n_tail = np.count_nonzero(tail)
    if n_tail:
        # Integer indices gather and scatter several times faster than a boolean mask.
        tail = slice(None) if n_tail == s.size else np.flatnonzero(tail)
        # b = exp(-(h^2 + t^2)/2) * (erfcx(-(h+t)/sqrt2) - erfcx(-(h-t)/sqrt2)) / 2, and
        # b' = exp(x/2) n(d1) = exp(-(h^2 + t^2)/2) / sqrt(2 pi): the exponentials cancel in
        # b'/b, and ln b needs no exponential, so nothing underflows however deep the wing.
        ht, tt = h[tail], t[tail]
        diff = erfcx(-(ht + tt) * _INV_SQRT2) - erfcx(-(ht - tt) * _INV_SQRT2)
        good = diff > _MIN_TAIL_DIFFERENCE
        diff = np.where(good, diff, 1.0)
        lnb[tail] = np.log(0.5 * diff) - 0.5 * (ht * ht + tt * tt)
        dlnb[tail] = 2.0 * tt * _SQRT_2_OVER_PI / diff
        flag[tail] = np.where(good, 0.0, -1.0)
    for part, is_near in ((near, True), (far, False)):
        n_part = np.count_nonzero(part)
        if n_part == 0:
            continue
        # One branch often covers a whole block: skip the gather and scatter then.
        part = slice(None) if n_part == s.size else np.flatnonzero(part)
        xr, sr, d1r = x[part], s[part], d1[part]
        d2r = d1r - sr
        ep, em = np.exp(0.5 * xr), np.exp(-0.5 * xr)
        if is_near:
            # N(d) = (1 + erf(d/sqrt2))/2 turns the difference of two near-halves into
            # sinh(x/2), small here, plus a difference of error functions of small arguments.
            b = np.sinh(0.5 * xr) + 0.5 * (
                ep * erf(d1r * _INV_SQRT2) - em * erf(d2r * _INV_SQRT2)
            )
        else:
            b = ep * ndtr(d1r) - em * ndtr(d2r)
        positive = b > 0.0
        usable = positive & (b < 1.0)
        b = np.where(usable, b, 0.5)
        lnb[part] = np.log(b)
        dlnb[part] = sr * ep * np.exp(-0.5 * d1r * d1r) * _INV_SQRT_2PI / b
        flag[part] = np.where(usable, 0.0, np.where(positive, 1.0, -1.0))
    return lnb, dlnb, flag


def _bachelier_table() -> tuple[float, float, FloatArray]:
    """ln z as a function of v = -ln psi(-z) on a uniform grid of v, for z = -h > 0.

    psi(h) = (n(h) + h N(h)) / |h| is the normalised Bachelier price per unit of |x| as a
    function of h = x/s alone, so inverting it gives a starting s for the lower branch, where
    the Black price is the Bachelier one to first order in s. ln z is close to linear in v
    at both ends (v ~ ln z near the money, v ~ z^2/2 in the wing), so a uniform grid in v
    with linear interpolation (an index computed, not searched) is accurate and fast.

    Returns the first grid value of v, the grid step and ln z at the grid points.
    """
    z = np.exp(np.linspace(math.log(1e-9), math.log(45.0), 200_001))
    zz = z * z
    # 1 - z M(z) with M the Mills ratio; past z = 8 its asymptotic series avoids cancellation.
    direct = 1.0 - z * erfcx(z * _INV_SQRT2) * math.sqrt(0.5 * math.pi)
    series = (1.0 - 3.0 / zz * (1.0 - 5.0 / zz * (1.0 - 7.0 / zz * (1.0 - 9.0 / zz * (
        1.0 - 11.0 / zz))))) / zz
    one_minus = np.where(z < 8.0, direct, series)
    v = 0.5 * zz - np.log(one_minus * _INV_SQRT_2PI) + np.log(z)
    v0, step = -17.0, 0.05
    grid = v0 + step * np.arange(int((900.0 - v0) / step) + 1)
    return v0, step, np.interp(grid, v, np.log(z))


_PSI_V0, _PSI_STEP, _PSI_LOG_Z = _bachelier_table()


def _bachelier_h(log_psi: FloatArray) -> FloatArray:
    """h < 0 with ln psi(h) = log_psi, by linear interpolation in the table above."""
    pos = np.clip((-log_psi - _PSI_V0) / _PSI_STEP, 0.0, _PSI_LOG_Z.size - 1.0001)
    i = pos.astype(np.intp)
    frac = pos - i
    log_z = _PSI_LOG_Z[i] * (1.0 - frac) + _PSI_LOG_Z[i + 1] * frac
    return -np.exp(log_z)


def _initial_guess(x: FloatArray, ln_beta: FloatArray, beta: FloatArray) -> tuple[
    FloatArray, FloatArray, FloatArray
]:
    """Starting s and bracket [lo, hi], split at the inflection point s_c = sqrt(2|x|)."""
    n = x.size
    s_c = np.sqrt(-2.0 * x)
    s0 = np.empty(n)
    lower = np.zeros(n, dtype=bool)
    inner = np.flatnonzero(x < 0.0)
    if inner.size:
        # Invert the Bachelier approximation b ~ |x| psi(x/s), then once more with the
        # exp(-s^2/8) factor by which Black falls below it. It is meant for the convex part
        # below s_c; a guess beyond s_c means the root lies where the other guess is better.
        xl = x[inner]
        target = ln_beta[inner] - np.log(-xl)
        sl = xl / _bachelier_h(target)
        sl = xl / _bachelier_h(target + 0.125 * sl * sl)
        # Off the near-the-money end of the table the price is too large for the wing: that
        # is the at-the-money regime, where the other guess is the better one.
        is_lower = (sl < s_c[inner]) & (-target > _PSI_V0)
        lower[inner] = is_lower
        s0[inner[is_lower]] = sl[is_lower]
    up_idx = np.flatnonzero(~lower)
    if up_idx.size:
        # Above it, b_max - b ~ (e^{x/2} + e^{-x/2}) N(-s/2); exact at x = 0.
        xu = x[up_idx]
        ep, em = np.exp(0.5 * xu), np.exp(-0.5 * xu)
        gap = np.clip((ep - beta[up_idx]) / (ep + em), 1e-300, 0.5)
        su = np.maximum(-2.0 * ndtri(gap), s_c[up_idx])
        s0[up_idx] = np.where(su > 0.0, su, 1e-8)
    # The bracket starts open; the first evaluation closes one side of it.
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    return s0, lo, hi


def _solve_normalised(x: FloatArray, beta: FloatArray) -> FloatArray:
    """s > 0 with b(x, s) = beta, for 1-D arrays with x <= 0 and 0 < beta < exp(x/2).

    Halley's method on G(y) = ln(-ln b) - ln(-ln beta) in y = ln s: G is close to linear in
    y both deep in the wing (where -ln b ~ x^2 / (2 s^2)) and near the top (where
    -ln b ~ b_max - b at the money), so from the starting guesses it converges in two or
    three steps. A bracket [lo, hi] on s is kept from the signs of G; a step that leaves it,
    or an unusable evaluation, falls back to bisection in y.
    """
    target = np.log(-np.log(beta))
    s, lo, hi = _initial_guess(x, np.log(beta), beta)
    y = np.log(s)
    ylo = np.full(x.shape, -np.inf)
    np.log(lo, out=ylo, where=lo > 0.0)
    yhi = np.log(hi)
    result = np.empty_like(s)
    idx = np.arange(x.size)
    for _ in range(_MAX_ITERATIONS):
        if idx.size == 0:
            break
        # The first pass covers every element: views then, not gathered copies.
        sel = slice(None) if idx.size == x.size else idx
        xi, yi, li, ui = x[sel], y[sel], ylo[sel], yhi[sel]
        si = np.exp(yi)
        lnb, ly, flag = _log_black(xi, si)
        ok = flag == 0.0
        g = np.log(-lnb) - target[sel]
        # G falls as y rises (ln b rises towards 0): G > 0 means s is still too small.
        li = np.where((ok & (g > 0.0)) | (flag < 0.0), yi, li)
        ui = np.where((ok & (g < 0.0)) | (flag > 0.0), yi, ui)

        # G' = Ly/L and G''/G' = (1 + h^2 - s^2/4) - Ly - Ly/L with L = ln b, Ly = dL/dy.
        gy = ly / lnb
        h = xi / si
        newton = -g / np.where(gy < 0.0, gy, -1.0)
        denom = 1.0 + 0.5 * newton * ((1.0 + h * h - 0.25 * si * si) - ly - gy)
        step = np.where(denom >= 0.1, newton / np.where(denom >= 0.1, denom, 1.0), newton)
        y_new = yi + step
        usable = ok & (gy < 0.0) & np.isfinite(y_new) & (y_new > li) & (y_new < ui)
        if not usable.all():
            closed = np.isfinite(li) & np.isfinite(ui)
            bisect = np.where(
                closed,
                0.5 * (np.where(closed, li, 0.0) + np.where(closed, ui, 0.0)),
                # Open bracket: step out by e^2 in s, far enough to close it soon.
                np.where(np.isfinite(ui), np.minimum(yi, ui) - 2.0, np.maximum(yi, li) + 2.0),
            )
            y_new = np.where(usable, y_new, bisect)

        done = ok & (g == 0.0)
        done |= usable & (np.abs(step) <= _STEP_TOL)
        done |= ui - li <= 4.0 * np.finfo(float).eps
        final = np.where(ok & (g == 0.0), yi, y_new)
        finished = np.flatnonzero(done)
        result[idx[finished]] = final[finished]
        keep = np.flatnonzero(~done)  # integer indices: several times faster than a mask
        idx = idx[keep]
        y[idx], ylo[idx], yhi[idx] = y_new[keep], li[keep], ui[keep]
    # Past the cap (never reached in testing) the bracket is a few ulps wide: take its point.
    result[idx] = y[idx]
    return np.exp(result)


def implied_vol(
    price: ArrayLike, spot: ArrayLike, strike: ArrayLike, time_to_expiry: ArrayLike,
    rate: ArrayLike = 0.0, dividend_yield: ArrayLike = 0.0, kind: OptionKind = "call",
) -> float | FloatArray:
    """Black-Scholes-Merton implied volatility of European option prices.

    Parameters
    ----------
    price : float or array_like
        Option prices, >= 0 (currency per unit of underlying).
    spot, strike, time_to_expiry, rate, dividend_yield, kind
        As in :func:`~hedgelib.pricing.black_scholes.bs_price`.

    Returns
    -------
    float or ndarray
        Annualised volatility (decimal) with ``bs_price(spot, strike, time_to_expiry,
        vol, rate, dividend_yield, kind) == price``; NaN where the price is at or outside
        :func:`no_arbitrage_bounds` (and at ``time_to_expiry == 0``, where no volatility
        changes the value). A float for scalar input, else an array of the broadcast shape.

    Raises
    ------
    HedgeLibError
        For a negative, NaN or infinite price, and for bad market inputs as in
        :func:`~hedgelib.pricing.black_scholes.bs_price`.

    Notes
    -----
    With :math:`F = S e^{(r-q)T}`, :math:`x = \\ln(F/K)` and :math:`s = \\sigma\\sqrt{T}`, the
    normalised price :math:`\\beta = V / (e^{-rT}\\sqrt{FK})` of a call is

    .. math::

        b(x, s) = e^{x/2} N\\!\\left(\\frac{x}{s} + \\frac{s}{2}\\right)
                - e^{-x/2} N\\!\\left(\\frac{x}{s} - \\frac{s}{2}\\right).

    In-the-money options map to out-of-the-money ones by put-call parity (subtracting the
    discounted forward intrinsic value), and puts to calls by
    :math:`b_{put}(x, s) = b_{call}(-x, s)`, so only :math:`x \\le 0` and
    :math:`0 < \\beta < e^{x/2}` remain, where :math:`b` rises strictly in :math:`s`.
    Halley's method solves :math:`\\ln(-\\ln b(s)) = \\ln(-\\ln \\beta)` in :math:`\\ln s`
    (nearly linear both deep in the wing and near the top) from an inverted Bachelier
    approximation below the inflection point :math:`s_c = \\sqrt{2|x|}` or a normal-quantile
    guess above it, inside a bracket that bisection falls back on; two or three
    evaluations suffice almost everywhere. Deep-wing values use
    :math:`N(-z) = \\tfrac12 \\mathrm{erfcx}(z/\\sqrt2) e^{-z^2/2}`, so nothing underflows.
    Inputs of 200,000 prices or more are solved in blocks shared between two threads when
    called from the main thread. Accuracy is limited only by the information in the price: the
    volatility error is about the price's rounding error divided by vega, which is far below
    1e-10 for out-of-the-money and at-the-money options; deep in the money the price carries
    the intrinsic value and resolves the volatility only to ulp(price) / vega.

    References
    ----------
    Jaeckel, P. (2006), "By Implication", Wilmott, 60-66.
    Jaeckel, P. (2015), "Let's Be Rational", Wilmott 2015(75), 40-53 (normalised coordinates
    and the tail formulas; this solver is a simpler safeguarded Halley iteration).

    Examples
    --------
    >>> from hedgelib.pricing.black_scholes import bs_price
    >>> from hedgelib.pricing.implied_vol import implied_vol
    >>> price = bs_price(42.0, 40.0, 0.5, 0.2, rate=0.1)
    >>> round(implied_vol(price, 42.0, 40.0, 0.5, rate=0.1), 12)
    0.2
    >>> implied_vol([1.0, 50.0], 42.0, 40.0, 0.5, rate=0.1)  # below, above the bounds
    array([nan, nan])
    """
    s, k, t, r, q, w = _validate_market(spot, strike, time_to_expiry, rate, dividend_yield, kind)
    p = check_non_negative(price, "price")
    p, s, k, t, r, q = _broadcast(
        "price, spot, strike, time_to_expiry, rate and dividend_yield", p, s, k, t, r, q
    )
    shape = p.shape
    if p.ndim == 0:
        return float(_implied_vol_block(p, s, k, t, r, q, w))
    flat = [a.reshape(-1) for a in (p, s, k, t, r, q)]
    out = np.empty(p.size)

    def run(a: int, b: int) -> None:
        block = slice(a, b)
        out[block] = _implied_vol_block(*(x[block] for x in flat), w)

    # Blocks are independent, so sharing them between threads never changes a number.
    for_each_block(p.size, run)
    return out.reshape(shape)


def _implied_vol_block(
    p: FloatArray, s: FloatArray, k: FloatArray, t: FloatArray, r: FloatArray, q: FloatArray,
    w: float,
) -> FloatArray:
    """implied_vol on validated arrays of one shape (a block: temporaries stay in cache)."""
    sdq = s * np.exp(-q * t)
    kdr = k * np.exp(-r * t)
    lower, upper = _bounds(sdq, kdr, w)
    out = np.full(p.shape, np.nan)
    inside = (p > lower) & (p < upper) & (t > 0.0)
    if not inside.any():
        return out
    if inside.ndim == 1 and inside.all():
        # The usual case for a block: skip the gathers and the scatter.
        inside = slice(None)
    ps, si, ki, ti = p[inside], s[inside], k[inside], t[inside]
    sdq_i, kdr_i = sdq[inside], kdr[inside]
    # In the money -> out of the money by parity, in currency: p is strictly above the
    # intrinsic part, so the difference is positive however close they are.
    fwd_intrinsic = w * (sdq_i - kdr_i)
    p_otm = np.where(fwd_intrinsic > 0.0, ps - fwd_intrinsic, ps)
    # Then as a call with x <= 0 (b_put(x) = b_call(-x)). |x| this small changes no price
    # by a representable amount, and squaring it would underflow in the starting guess.
    x = np.abs(np.log(si / ki) + (r[inside] - q[inside]) * ti)
    x_otm = np.where(x < 1e-150, 0.0, -x)
    beta = p_otm / np.sqrt(sdq_i * kdr_i)
    # A price within rounding of a bound still has a volatility: keep beta inside
    # (0, e^{x/2}) rather than return NaN for it.
    beta = np.clip(beta, _TINY, np.exp(0.5 * x_otm) * (1.0 - 4.0 * _EPS))
    out[inside] = _solve_normalised(x_otm, beta) / np.sqrt(ti)
    return out
