"""Black-Scholes-Merton prices and greeks of European options with a continuous dividend yield.

Every function here is vectorised: each numeric argument may be a scalar or an array, and
all of them broadcast together. Scalar inputs give Python floats.

Units follow :mod:`hedgelib.conventions`: time in years, volatility, rate and dividend yield
annualised and continuously compounded, greeks as raw partial derivatives (vega per 1.00 of
volatility, theta per year of calendar time passing, rho per 1.00 of rate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import numpy as np

from hedgelib._parallel import for_each_block
from hedgelib._typing import ArrayLike, FloatArray, OptionKind
from hedgelib.conventions import (
    HedgeLibError,
    check_finite,
    check_kind,
    check_non_negative,
    check_positive,
    check_price,
    check_rate,
    check_volatility,
    check_years,
)
from hedgelib.pricing.kernel import INV_SQRT_2PI, ndtr

__all__ = ["Greeks", "bs_greeks", "bs_price", "bs_price_and_greeks", "bs_price_of_term"]

# Below this total standard deviation sigma*sqrt(T) the option is worth its discounted forward
# intrinsic value to double precision (the time value is at most S * 0.4 * sigma*sqrt(T)), and
# dividing by it could overflow; such options take the exact zero-volatility limit instead.
_MIN_STD_DEV = 1e-150


@dataclass(frozen=True, eq=False)
class Greeks:
    """Black-Scholes-Merton sensitivities of an option (or a sum of options).

    Each field is a float for scalar input, else an array of the broadcast input shape.
    All are raw partial derivatives in the units of :mod:`hedgelib.conventions`.

    Attributes
    ----------
    delta : float or ndarray
        dV/dS.
    gamma : float or ndarray
        d2V/dS2, per unit of spot squared.
    vega : float or ndarray
        dV/dsigma, per 1.00 of volatility (divide by 100 for "per vol point").
    theta : float or ndarray
        dV/dt for the passage of calendar time, per year (= -dV/dT; divide by 365 for a
        calendar day). Negative for a long at-the-money call with r = q = 0.
    rho : float or ndarray
        dV/dr, per 1.00 of rate.
    vanna : float or ndarray
        d2V/dS dsigma.
    volga : float or ndarray
        d2V/dsigma2 (also called vomma).
    charm : float or ndarray
        d(delta)/dt for the passage of calendar time, per year.

    Notes
    -----
    Greeks are linear in the position, so a book's greeks are the quantity-weighted sum of
    its legs' greeks: ``Greeks`` supports ``g1 + g2``, ``g1 - g2``, ``-g``, ``q * g`` and
    ``g * q`` (``q`` a number or an array that broadcasts), and ``sum(list_of_greeks)``.

    Examples
    --------
    >>> from hedgelib.pricing.black_scholes import Greeks, bs_greeks
    >>> call = bs_greeks(100.0, 100.0, 1.0, 0.2, kind="call")
    >>> put = bs_greeks(100.0, 100.0, 1.0, 0.2, kind="put")
    >>> straddle = call + put
    >>> round(straddle.delta, 6), round((2 * call).gamma / call.gamma, 12)
    (0.079656, 2.0)
    >>> Greeks.zeros().as_dict()["vega"]
    0.0
    """

    delta: Any
    gamma: Any
    vega: Any
    theta: Any
    rho: Any
    vanna: Any
    volga: Any
    charm: Any

    # Makes ``quantities_array * greeks`` reach __rmul__ instead of numpy building an object
    # array element by element.
    __array_ufunc__ = None

    @classmethod
    def zeros(cls, shape: int | tuple[int, ...] = ()) -> Greeks:
        """All-zero greeks: floats for ``shape=()``, else float arrays of ``shape``."""
        if shape == ():
            return cls(*([0.0] * len(fields(cls))))
        return cls(*(np.zeros(shape) for _ in fields(cls)))

    def as_dict(self) -> dict[str, Any]:
        """The greeks as ``{"delta": ..., "gamma": ..., ...}`` in field order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def _map(self, func: Any) -> Greeks:
        # A field left out (None, from ``order=1``) stays out.
        return type(self)(
            *(None if (v := getattr(self, f.name)) is None else func(v) for f in fields(self))
        )

    def __add__(self, other: Any) -> Greeks:
        if isinstance(other, Greeks):
            return type(self)(*(_add_field(getattr(self, f.name), getattr(other, f.name))
                                for f in fields(self)))
        # Python's sum() starts from the integer 0.
        if isinstance(other, int | float) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    __radd__ = __add__

    def __neg__(self) -> Greeks:
        return self._map(lambda v: -v)

    def __sub__(self, other: Any) -> Greeks:
        if isinstance(other, Greeks):
            return self + (-other)
        return NotImplemented

    def __mul__(self, factor: Any) -> Greeks:
        if isinstance(factor, Greeks) or isinstance(factor, str | bytes | bool):
            return NotImplemented
        try:
            f = np.asarray(factor, dtype=np.float64)
        except (TypeError, ValueError):
            return NotImplemented
        if f.ndim == 0:
            scalar = float(f)
            return self._map(lambda v: v * scalar)
        return self._map(lambda v: v * f)

    __rmul__ = __mul__


def _add_field(a: Any, b: Any) -> Any:
    # A greek that one side did not compute is unknown in the sum, not zero.
    if a is None or b is None:
        return None
    return a + b


class _BSParts(NamedTuple):
    """Validated inputs and the intermediate quantities every output shares."""

    s: FloatArray
    k: FloatArray
    t: FloatArray
    sigma: FloatArray
    r: FloatArray
    q: FloatArray
    w: float
    sqrt_t: FloatArray
    sd: FloatArray  # sigma * sqrt(T)
    sdq: FloatArray  # S exp(-qT)
    kdr: FloatArray  # K exp(-rT)
    d1: FloatArray
    d2: FloatArray
    n_wd1: FloatArray  # N(w d1)
    n_wd2: FloatArray  # N(w d2)
    pdf_d1: FloatArray  # n(d1)
    ok: FloatArray | None  # None when every option has sigma*sqrt(T) > 0; else the mask


def _validate(
    spot: ArrayLike, strike: ArrayLike, time_to_expiry: ArrayLike, volatility: ArrayLike,
    rate: ArrayLike, dividend_yield: ArrayLike, kind: Any, bounded: bool = True,
) -> tuple[list[FloatArray], float, tuple[int, ...]]:
    kind = check_kind(kind)
    # User input is held to the conventions' bounds; a term of another model's series (an
    # effective carry or volatility beyond them) only needs to be finite.
    price, years, vol, carry = ((check_price, check_years, check_volatility, check_rate) if bounded
                                else (check_positive, check_non_negative, check_non_negative, check_finite))
    arrays = [
        price(spot, "spot"),
        price(strike, "strike"),
        years(time_to_expiry, "time_to_expiry"),
        vol(volatility, "volatility"),
        carry(rate, "rate"),
        carry(dividend_yield, "dividend_yield"),
    ]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise HedgeLibError(
            "spot, strike, time_to_expiry, volatility, rate and dividend_yield must broadcast "
            f"together, got shapes {shapes}"
        ) from None
    return arrays, (1.0 if kind == "call" else -1.0), shape


def _parts(
    s: FloatArray, k: FloatArray, t: FloatArray, sigma: FloatArray, r: FloatArray, q: FloatArray,
    w: float,
) -> _BSParts:
    sqrt_t = np.sqrt(t)
    sd = sigma * sqrt_t
    sdq = s * np.exp(-q * t)
    kdr = k * np.exp(-r * t)
    ok_mask = sd > _MIN_STD_DEV
    all_ok = bool(ok_mask.all())
    sd_safe = sd if all_ok else np.where(ok_mask, sd, 1.0)

    d1 = (np.log(s / k) + (r - q) * t) / sd_safe + 0.5 * sd_safe
    d2 = d1 - sd_safe
    n_wd1 = ndtr(d1 if w > 0 else -d1)
    n_wd2 = ndtr(d2 if w > 0 else -d2)
    pdf_d1 = np.exp(-0.5 * d1 * d1) * INV_SQRT_2PI

    ok = None
    if not all_ok:
        # Zero-volatility (or expired) limit: N(w d) becomes a step in the forward moneyness,
        # one half exactly at the forward, and n(d1) vanishes except exactly there.
        fwd_intrinsic = sdq - kdr
        step = np.where(w * fwd_intrinsic > 0, 1.0, np.where(fwd_intrinsic == 0, 0.5, 0.0))
        n_wd1 = np.where(ok_mask, n_wd1, step)
        n_wd2 = np.where(ok_mask, n_wd2, step)
        pdf_d1 = np.where(ok_mask, pdf_d1, np.where(fwd_intrinsic == 0, INV_SQRT_2PI, 0.0))
        d1 = np.where(ok_mask, d1, 0.0)
        d2 = np.where(ok_mask, d2, 0.0)
        ok = ok_mask
    return _BSParts(
        s, k, t, sigma, r, q, w, sqrt_t, sd, sdq, kdr, d1, d2, n_wd1, n_wd2, pdf_d1, ok
    )


def _price_from(p: _BSParts) -> FloatArray:
    price = p.sdq * p.n_wd1 - p.kdr * p.n_wd2
    fwd_intrinsic = p.sdq - p.kdr
    if p.w < 0:
        price = -price
        fwd_intrinsic = -fwd_intrinsic
    # Rounding can push a far out-of-the-money value a hair below zero, or a deep
    # in-the-money one a hair below the discounted forward intrinsic; the true value is
    # never below either.
    return np.maximum(price, np.maximum(fwd_intrinsic, 0.0))


_GREEK_NAMES = ("delta", "gamma", "vega", "theta", "rho", "vanna", "volga", "charm")


def _greeks_from(p: _BSParts) -> tuple[FloatArray, ...]:
    s, t, sigma, r, q, sd = p.s, p.t, p.sigma, p.r, p.q, p.sd
    dq = p.sdq / s
    dq_pdf = dq * p.pdf_d1  # e^{-qT} n(d1)
    vega = s * dq_pdf * p.sqrt_t
    delta = dq * p.n_wd1
    kn2 = p.kdr * p.n_wd2
    rho = kn2 * t
    carry = q * (s * delta) - r * kn2
    if p.w < 0:
        # + 0.0 turns -0.0 into 0.0
        delta = 0.0 - delta
        rho = 0.0 - rho
        carry = -carry
    if p.ok is None:
        gamma = dq_pdf / (s * sd)
        theta = carry - 0.5 * vega * sigma / t
        vanna = -dq_pdf * p.d2 / sigma
        volga = vega * p.d1 * p.d2 / sigma
        charm = q * delta - dq_pdf * ((r - q) / sd - p.d2 / (2.0 * t))
    else:
        ok = p.ok
        sd = np.where(ok, sd, 1.0)
        sigma_safe = np.where(ok, sigma, 1.0)
        t_safe = np.where(ok, t, 1.0)
        gamma = np.where(ok, dq_pdf / (s * sd), 0.0)
        theta = carry - np.where(ok, 0.5 * vega * sigma / t_safe, 0.0)
        vanna = np.where(ok, -dq_pdf * p.d2 / sigma_safe, 0.0)
        volga = np.where(ok, vega * p.d1 * p.d2 / sigma_safe, 0.0)
        charm = q * delta - np.where(ok, dq_pdf * ((r - q) / sd - p.d2 / (2.0 * t_safe)), 0.0)
        # An expired option has no time or volatility left to be sensitive to.
        expired = t == 0
        if expired.any():
            theta = np.where(expired, 0.0, theta)
            charm = np.where(expired, 0.0, charm)
    return delta, gamma, vega, theta, rho, vanna, volga, charm


def _evaluate(
    args: tuple[Any, ...], kind: Any, want_price: bool, order: int, bounded: bool = True,
) -> tuple[Any, Greeks | None]:
    """Validate, then evaluate in blocks; floats for scalar input, else full-shape arrays.

    ``order`` is 0 for no greeks, 1 for the five first-order ones (the second-order fields of
    the result are None) and 2 for all eight.
    """
    arrays, w, shape = _validate(*args, kind, bounded)
    size = math.prod(shape)
    flat = [np.broadcast_to(a, shape).reshape(-1) for a in arrays]
    price_out = np.empty(size) if want_price else None
    n_greeks = (0, 5, 8)[order]
    greek_out = [np.empty(size) for _ in range(n_greeks)]

    def run(a: int, b: int) -> None:
        block = slice(a, b)
        ins = [x[block] for x in flat]
        p_out = None if price_out is None else price_out[block]
        g_out = [g[block] for g in greek_out]
        if _fast_block(*ins, w, p_out, g_out):
            return
        p = _parts(*ins, w)
        if p_out is not None:
            p_out[...] = _price_from(p)
        if g_out:
            for out, value in zip(g_out, _greeks_from(p), strict=False):
                out[...] = value

    for_each_block(size, run)
    if shape == ():
        price = None if price_out is None else float(price_out[0])
        values = [float(g[0]) for g in greek_out]
    else:
        price = None if price_out is None else price_out.reshape(shape)
        values = [g.reshape(shape) for g in greek_out]
    if order == 0:
        return price, None
    return price, Greeks(*values, *([None] * (len(_GREEK_NAMES) - n_greeks)))


def _fast_block(
    s: FloatArray, k: FloatArray, t: FloatArray, sigma: FloatArray, r: FloatArray, q: FloatArray,
    w: float, price_out: FloatArray | None, greek_out: list[FloatArray],
) -> bool:
    """Price and greeks of a 1-D block into the outputs; False, untouched, if it has a limit.

    A block qualifies when every sigma*sqrt(T) > _MIN_STD_DEV. The same formulas as _parts, _price_from and _greeks_from, evaluated in place: exp, sqrt,
    the normal density and distribution are computed once and shared, and each output is
    written straight into its slice, so a block allocates only a handful of temporaries.
    """
    sqrt_t = np.sqrt(t)
    sd = sigma * sqrt_t
    if not bool((sd > _MIN_STD_DEV).all()):
        return False
    neg_t = np.negative(t)
    dq = np.multiply(q, neg_t)
    np.exp(dq, out=dq)  # e^{-qT}
    sdq = s * dq
    kdr = np.multiply(r, neg_t, out=neg_t)
    np.exp(kdr, out=kdr)
    kdr *= k
    carry_t = np.subtract(r, q)
    carry_t *= t
    d1 = np.divide(s, k)
    np.log(d1, out=d1)
    d1 += carry_t
    d1 /= sd
    buf = np.multiply(sd, 0.5)
    d1 += buf
    d2 = np.subtract(d1, sd)
    n1 = np.empty_like(d1)
    n2 = np.empty_like(d1)
    if w > 0:
        ndtr(d1, out=n1)
        ndtr(d2, out=n2)
    else:
        ndtr(np.negative(d1, out=buf), out=n1)
        ndtr(np.negative(d2, out=buf), out=n2)
    kn2 = np.multiply(kdr, n2, out=n2)  # K e^{-rT} N(w d2); n2 itself is not needed again
    if price_out is not None:
        np.multiply(sdq, n1, out=price_out)
        if w > 0:
            price_out -= kn2
            np.subtract(sdq, kdr, out=buf)
        else:
            np.subtract(kn2, price_out, out=price_out)
            np.subtract(kdr, sdq, out=buf)
        # As in _price_from: never below the discounted forward intrinsic value, nor zero.
        np.maximum(buf, 0.0, out=buf)
        np.maximum(price_out, buf, out=price_out)
    if not greek_out:
        return True
    delta, gamma, vega, theta, rho = greek_out[:5]
    dq_pdf = np.multiply(d1, -0.5)
    dq_pdf *= d1
    np.exp(dq_pdf, out=dq_pdf)
    dq_pdf *= INV_SQRT_2PI
    dq_pdf *= dq  # e^{-qT} n(d1)
    np.multiply(s, dq_pdf, out=vega)
    vega *= sqrt_t
    np.multiply(dq, n1, out=delta)  # N(w d1) e^{-qT}, the sign comes below
    carry = np.multiply(s, delta, out=n1)
    carry *= q
    np.multiply(r, kn2, out=buf)
    np.multiply(kn2, t, out=rho)
    if w > 0:
        carry -= buf
    else:
        np.subtract(buf, carry, out=carry)
        # 0.0 - x turns -0.0 into 0.0
        np.subtract(0.0, delta, out=delta)
        np.subtract(0.0, rho, out=rho)
    np.multiply(s, sd, out=gamma)
    np.divide(dq_pdf, gamma, out=gamma)
    np.multiply(vega, 0.5, out=theta)
    theta *= sigma
    theta /= t
    np.subtract(carry, theta, out=theta)
    if len(greek_out) == 5:
        return True
    vanna, volga, charm = greek_out[5:]
    np.negative(dq_pdf, out=vanna)
    vanna *= d2
    vanna /= sigma
    np.multiply(vega, d1, out=volga)
    volga *= d2
    volga /= sigma
    # charm = q delta - e^{-qT} n(d1) ((r - q)/sd - d2/(2T))
    np.subtract(r, q, out=charm)
    charm /= sd
    np.multiply(t, 2.0, out=buf)
    np.divide(d2, buf, out=buf)
    charm -= buf
    charm *= dq_pdf
    np.multiply(q, delta, out=buf)
    np.subtract(buf, charm, out=charm)
    return True



def bs_price(
    spot: ArrayLike, strike: ArrayLike, time_to_expiry: ArrayLike, volatility: ArrayLike,
    rate: ArrayLike = 0.0, dividend_yield: ArrayLike = 0.0, kind: OptionKind = "call",
) -> float | FloatArray:
    """Black-Scholes-Merton price of a European call or put with a continuous dividend yield.

    Parameters
    ----------
    spot : float or array_like
        Price of the underlying today, > 0 (currency).
    strike : float or array_like
        Strike, > 0 (currency).
    time_to_expiry : float or array_like
        Time to expiry T in years, >= 0.
    volatility : float or array_like
        Annualised volatility sigma, decimal (0.2 = 20%), >= 0.
    rate : float or array_like, default 0.0
        Continuously compounded risk-free rate r, decimal; may be negative.
    dividend_yield : float or array_like, default 0.0
        Continuous dividend yield (or foreign rate, or cost of carry offset) q, decimal.
    kind : {"call", "put"}, default "call"

    Returns
    -------
    float or ndarray
        Option value in currency per unit of underlying; a float when every input is a
        scalar, else an array of the broadcast shape.

    Raises
    ------
    HedgeLibError
        For a non-positive spot or strike, a negative time or volatility, NaN or infinite
        input, arrays that do not broadcast, or an unknown ``kind``.

    Notes
    -----
    With :math:`w = +1` for a call and :math:`-1` for a put,

    .. math::

        V = w\\left(S e^{-qT} N(w d_1) - K e^{-rT} N(w d_2)\\right),\\quad
        d_{1,2} = \\frac{\\ln(S/K) + (r - q \\pm \\sigma^2/2) T}{\\sigma\\sqrt{T}}.

    When :math:`\\sigma\\sqrt{T} = 0` (expiry, or zero volatility) the value is its limit, the
    discounted forward intrinsic value :math:`\\max(w(S e^{-qT} - K e^{-rT}), 0)`; at
    :math:`T = 0` that is the payoff.

    References
    ----------
    Merton, R. C. (1973), "Theory of Rational Option Pricing", Bell J. Econ. 4(1).
    Hull, J. C., *Options, Futures, and Other Derivatives*, ch. "The Black-Scholes-Merton
    model" and "Options on stock indices and currencies".
    Haug, E. G. (2007), *The Complete Guide to Option Pricing Formulas*, 2nd ed., 1.1.6.

    Examples
    --------
    Hull's example (S = 42, K = 40, r = 10%, sigma = 20%, T = 0.5):

    >>> from hedgelib.pricing.black_scholes import bs_price
    >>> round(bs_price(42.0, 40.0, 0.5, 0.2, rate=0.1), 4)
    4.7594
    >>> round(bs_price(42.0, 40.0, 0.5, 0.2, rate=0.1, kind="put"), 4)
    0.8086
    >>> bs_price(100.0, [90.0, 100.0, 110.0], 0.0, 0.2)
    array([10.,  0.,  0.])
    """
    args = (spot, strike, time_to_expiry, volatility, rate, dividend_yield)
    return _evaluate(args, kind, want_price=True, order=0)[0]


def bs_price_of_term(
    spot: ArrayLike, strike: ArrayLike, time_to_expiry: ArrayLike, volatility: ArrayLike,
    rate: ArrayLike, dividend_yield: ArrayLike, kind: OptionKind = "call",
) -> float | FloatArray:
    """:func:`bs_price` for a term of another model's series, whose effective carry or
    volatility (Merton's ``q + lambda k - n log(1 + k) / T``) may lie beyond the bounds user
    input is held to: they need only be finite. Not for user input."""
    args = (spot, strike, time_to_expiry, volatility, rate, dividend_yield)
    return _evaluate(args, kind, want_price=True, order=0, bounded=False)[0]


def bs_greeks(
    spot: ArrayLike, strike: ArrayLike, time_to_expiry: ArrayLike, volatility: ArrayLike,
    rate: ArrayLike = 0.0, dividend_yield: ArrayLike = 0.0, kind: OptionKind = "call",
) -> Greeks:
    """Black-Scholes-Merton greeks of a European call or put with a continuous dividend yield.

    Parameters
    ----------
    spot, strike, time_to_expiry, volatility, rate, dividend_yield, kind
        As in :func:`bs_price` (currency, currency, years, decimal, decimal, decimal).

    Returns
    -------
    Greeks
        ``delta gamma vega theta rho vanna volga charm``: floats for scalar input, else
        arrays of the broadcast shape. Raw units: vega and volga per 1.00 of volatility,
        theta and charm per year of calendar time passing, rho per 1.00 of rate.

    Raises
    ------
    HedgeLibError
        As :func:`bs_price`.

    Notes
    -----
    With :math:`w = \\pm 1`, :math:`D_q = e^{-qT}`, :math:`D_r = e^{-rT}`, :math:`n` the normal
    density and :math:`N` its distribution function:

    .. math::

        \\Delta &= w D_q N(w d_1), \\qquad
        \\Gamma = \\frac{D_q n(d_1)}{S \\sigma \\sqrt{T}}, \\qquad
        \\mathcal{V} = S D_q n(d_1) \\sqrt{T},\\\\
        \\Theta &= -\\frac{S D_q n(d_1) \\sigma}{2\\sqrt{T}}
                 + w\\left(q S D_q N(w d_1) - r K D_r N(w d_2)\\right), \\qquad
        \\rho = w K T D_r N(w d_2),\\\\
        \\text{vanna} &= -D_q n(d_1) \\frac{d_2}{\\sigma}, \\qquad
        \\text{volga} = \\mathcal{V} \\frac{d_1 d_2}{\\sigma},\\\\
        \\text{charm} &= w q D_q N(w d_1)
                 - D_q n(d_1) \\frac{2 (r - q) T - d_2 \\sigma\\sqrt{T}}{2 T \\sigma\\sqrt{T}}.

    :math:`d_1, d_2` and the normal density and distribution are computed once and shared.

    Limits. At :math:`T = 0`: delta is the step :math:`w` in the money, 0 out of the money
    and :math:`w/2` exactly at the money (the conventional midpoint); every other greek is 0.
    With zero volatility and :math:`T > 0` the value is the discounted forward intrinsic;
    delta is the step :math:`w D_q` (:math:`w D_q/2` exactly at the forward), theta, rho and
    charm are the derivatives of that value, gamma, vanna and volga are 0, and vega is the
    one-sided derivative :math:`S D_q \\sqrt{T} n(0)` exactly at the forward, else 0.

    References
    ----------
    Haug, E. G. (2007), *The Complete Guide to Option Pricing Formulas*, 2nd ed., ch. 2
    (generalised Black-Scholes-Merton greeks with cost of carry b = r - q).
    Hull, J. C., *Options, Futures, and Other Derivatives*, ch. "The Greek letters".

    Examples
    --------
    >>> from hedgelib.pricing.black_scholes import bs_greeks
    >>> g = bs_greeks(100.0, 100.0, 1.0, 0.2)
    >>> round(g.delta, 6), round(g.gamma, 6), round(g.vega, 4), round(g.theta, 4)
    (0.539828, 0.019848, 39.6953, -3.9695)
    >>> bs_greeks(100.0, [90.0, 100.0, 110.0], 0.0, 0.2).delta
    array([1. , 0.5, 0. ])
    """
    args = (spot, strike, time_to_expiry, volatility, rate, dividend_yield)
    return _evaluate(args, kind, want_price=False, order=2)[1]


def bs_price_and_greeks(
    spot: ArrayLike, strike: ArrayLike, time_to_expiry: ArrayLike, volatility: ArrayLike,
    rate: ArrayLike = 0.0, dividend_yield: ArrayLike = 0.0, kind: OptionKind = "call", *,
    order: int = 2,
) -> tuple[float | FloatArray, Greeks]:
    """Price and greeks in one pass, sharing d1, d2 and the normal density and distribution.

    Same parameters, units and limits as :func:`bs_price` and :func:`bs_greeks`; cheaper than
    calling both, which matters inside a hedging loop.

    Parameters
    ----------
    spot, strike, time_to_expiry, volatility, rate, dividend_yield, kind
        As in :func:`bs_price`.
    order : {2, 1}, keyword-only, default 2
        2 for all eight greeks; 1 for delta, gamma, vega, theta and rho only (about a quarter
        faster), with ``vanna``, ``volga`` and ``charm`` set to None.

    Returns
    -------
    price : float or ndarray
        As :func:`bs_price`.
    greeks : Greeks
        As :func:`bs_greeks` (second-order fields None when ``order=1``; sums of such greeks
        keep them None).

    Notes
    -----
    Inputs of 200,000 options or more are split into blocks run on the library's thread pool;
    every operation is elementwise, so the numbers are the same as on one thread.

    References
    ----------
    Hull, J. C., *Options, Futures, and Other Derivatives*; Haug (2007), ch. 1-2.

    Examples
    --------
    >>> from hedgelib.pricing.black_scholes import bs_price_and_greeks
    >>> value, g = bs_price_and_greeks(42.0, 40.0, 0.5, 0.2, rate=0.1)
    >>> round(value, 4), round(g.delta, 4)
    (4.7594, 0.7791)
    >>> _, g1 = bs_price_and_greeks(42.0, 40.0, 0.5, 0.2, rate=0.1, order=1)
    >>> g1.gamma == g.gamma, g1.vanna
    (True, None)
    """
    args = (spot, strike, time_to_expiry, volatility, rate, dividend_yield)
    if not isinstance(order, int) or isinstance(order, bool) or order not in (1, 2):
        raise HedgeLibError(f"order must be 1 or 2, got {order!r}")
    return _evaluate(args, kind, want_price=True, order=order)
