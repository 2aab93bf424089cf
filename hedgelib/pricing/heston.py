"""European options under the Heston (1993) stochastic-volatility model, semi-closed form.

The model, under the pricing measure::

    dS / S = (r - q) dt + sqrt(v) dW1
    dv     = kappa (theta - v) dt + xi sqrt(v) dW2,      d<W1, W2> = rho dt

``theta`` is the long-run *variance* and ``xi`` the volatility of variance (vol of vol).

Prices come from one real integral of the characteristic function along the line
``Im(z) = -1/2`` (Lewis 2001), with a Black-Scholes control variate and the "little Heston
trap" form of the characteristic function, evaluated so that nothing is divided by ``xi**2``
and nothing cancels as ``xi -> 0``. The integral is truncated where the tail of the integrand
is provably (up to monotone decay) below tolerance, and integrated by composite Gauss-Legendre
rules whose panels are doubled until two successive estimates agree.
"""

from __future__ import annotations

import numpy as np

from hedgelib._typing import ArrayLike, FloatArray, OptionKind
from hedgelib.conventions import (
    HedgeLibError,
    check_in_range,
    check_kind,
    check_mean_reversion,
    check_price,
    check_rate,
    check_variance,
    check_volatility,
    check_years,
)
from hedgelib.pricing.black_scholes import bs_price_of_term

__all__ = ["heston_price"]

# Absolute tolerance on the Lewis integral (dimensionless). The price error is at most about
# sqrt(F K) exp(-r T) / pi times this: ~3e-11 for a spot of 100.
_INTEGRAL_TOL = 1e-12
_GL_ORDER = 16
_FIRST_PANELS = 4
_MAX_PANELS = 1 << 15  # per option and part of the integral: about 5e5 nodes
_CHUNK_NODES = 1 << 21  # complex values held at once, to bound memory

_gl_x, _gl_w = np.polynomial.legendre.leggauss(_GL_ORDER)
_GL_NODES = 0.5 * (_gl_x + 1.0)  # on [0, 1]
_GL_WEIGHTS = 0.5 * _gl_w

# Geometric grid on which the modulus of the integrand is sampled to place the truncation.
_TAIL_GRID = np.concatenate(([0.0], np.geomspace(1e-4, 1e9, 4 * 43 + 1)))


def _cexpm1(z: np.ndarray) -> np.ndarray:
    """exp(z) - 1 for complex z, accurate when |z| is small (numpy's is not, for complex)."""
    a, b = z.real, z.imag
    re = np.expm1(a) * np.cos(b) - 2.0 * np.sin(0.5 * b) ** 2
    im = np.exp(a) * np.sin(b)
    return re + 1j * im


def _clog1p_ratio(w: np.ndarray) -> np.ndarray:
    """log(1 + w) / w on the principal branch, accurate for small |w|, and 1 at w = 0."""
    a, b = w.real, w.imag
    re = 0.5 * np.log1p(a * (2.0 + a) + b * b)
    im = np.arctan2(b, 1.0 + a)
    tiny = np.abs(w) < 1e-300
    safe = np.where(tiny, 1.0, w)
    return np.where(tiny, 1.0, (re + 1j * im) / safe)


def _heston_cf_lewis(u, t, v0, kappa, theta, xi, rho):
    """Characteristic function of ln(S_T / F) at z = u - i/2, u real.

    Little-trap form (Albrecher et al. 2007). With s = i z + z**2 = u**2 + 1/4 (real on this
    line), beta = kappa - rho xi i z, d = sqrt(beta**2 + xi**2 s), the differences beta - d
    and g = (beta - d) / (beta + d) are written as -xi**2 s / (beta + d) and its ratio, and
    the logarithm as log1p, so the form stays exact as xi -> 0 (where it tends to the
    deterministic-variance characteristic function) and never divides by xi**2.
    """
    s = u * u + 0.25
    beta = kappa - rho * xi * (0.5 + 1j * u)
    d = np.sqrt(beta * beta + (xi * xi) * s)
    bpd = beta + d
    g = -(xi * xi) * s / (bpd * bpd)
    one_minus_e = -_cexpm1(-d * t)
    big_d = -s / bpd * one_minus_e / (1.0 - g * np.exp(-d * t))
    # log((1 - g e) / (1 - g)) = log1p(xi^2 q) with q below; divide by xi^2 analytically.
    q = -s / (bpd * bpd) * one_minus_e / (1.0 - g)
    log_term = q * _clog1p_ratio((xi * xi) * q)
    big_c = kappa * theta * (-s * t / bpd - 2.0 * log_term)
    return np.exp(big_c + big_d * v0)


def _integrand(u, x, t, v0, kappa, theta, xi, rho, w):
    """Re[exp(i u x) (phi_H - phi_BS)(u - i/2)] / (u**2 + 1/4), phi_BS at total variance w."""
    phi_h = _heston_cf_lewis(u, t, v0, kappa, theta, xi, rho)
    s = u * u + 0.25
    phi_bs = np.exp(-0.5 * w * s)
    ux = u * x
    return (np.cos(ux) * (phi_h.real - phi_bs) - np.sin(ux) * phi_h.imag) / s


def _truncation(par: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Upper limit U of the integral for each option, from the sampled modulus of the integrand.

    The tail beyond each grid point is bounded by a Riemann sum of the larger endpoint modulus
    on every grid interval (plus |phi_H - phi_BS|(u_max) / u_max beyond the grid, where the
    integrand is below that over u**2); U is the first grid point whose tail is below a
    quarter of the tolerance. U = 0 means the whole integral is negligible. The mask is False
    where even the grid's end leaves too large a tail.
    """
    _, t, v0, kappa, theta, xi, rho, w = par
    u = _TAIL_GRID[None, :]
    phi_h = _heston_cf_lewis(u, t, v0, kappa, theta, xi, rho)
    s = u * u + 0.25
    bound = np.abs(phi_h - np.exp(-0.5 * w * s)) / s
    du = np.diff(_TAIL_GRID)[None, :]
    piece = np.maximum(bound[:, 1:], bound[:, :-1]) * du
    beyond = bound[:, -1] * _TAIL_GRID[-1]
    tail = np.cumsum(piece[:, ::-1], axis=1)[:, ::-1] + beyond[:, None]
    tail = np.concatenate((tail, beyond[:, None]), axis=1)
    ok = tail <= 0.25 * _INTEGRAL_TOL
    found = ok.any(axis=1)
    first = np.where(found, ok.argmax(axis=1), _TAIL_GRID.size - 1)
    return _TAIL_GRID[first], found


def _gauss_legendre(par, lo, width, n_panels: int, sinh: bool) -> np.ndarray:
    """Composite Gauss-Legendre with ``n_panels`` equal panels in t over [0, 1].

    The map is u = lo + width * t (``sinh=False``) or u = lo * sinh(width * t) (``sinh=True``,
    where ``lo`` is the scale of the sinh stretch); ``lo`` and ``width`` are columns.
    """
    nodes = ((np.arange(n_panels)[:, None] + _GL_NODES[None, :]).ravel() / n_panels)[None, :]
    weights = np.tile(_GL_WEIGHTS, n_panels)[None, :] / n_panels
    if sinh:
        tt = width * nodes
        u = lo * np.sinh(tt)
        jac = lo * np.cosh(tt) * width
    else:
        u = lo + width * nodes
        jac = width
    return np.sum(_integrand(u, *par) * jac * weights, axis=1)


def _adaptive(par, lo, width, first_panels: int, sinh: bool, tol: float):
    """Double the panels of :func:`_gauss_legendre` until two estimates agree to ``tol``.

    Works on 1-D parameter arrays (one entry per option); returns the estimates and a mask of
    the options that converged within ``_MAX_PANELS``.
    """
    col = tuple(p[:, None] for p in par)
    lo, width = lo[:, None], width[:, None]
    n = lo.shape[0]
    out = np.zeros(n)
    ok = np.zeros(n, dtype=bool)
    active = np.arange(n)
    prev = None
    n_panels = first_panels
    while active.size and n_panels <= _MAX_PANELS:
        step = max(1, _CHUNK_NODES // (n_panels * _GL_ORDER))
        cur = np.empty(active.size)
        for start in range(0, active.size, step):
            idx = active[start:start + step]
            cur[start:start + step] = _gauss_legendre(
                tuple(c[idx] for c in col), lo[idx], width[idx], n_panels, sinh
            )
        out[active] = cur
        if prev is not None:
            done = np.abs(cur - prev) <= tol
            ok[active[done]] = True
            active, cur = active[~done], cur[~done]
        prev = cur
        n_panels *= 2
    return out, ok


def _lewis_integral(par: tuple[np.ndarray, ...]) -> np.ndarray:
    """Integral over [0, inf) of the control-variate integrand for every option (1-D params).

    The bulk, [0, u_b] with u_b = min(U, 40 / sqrt(w)), is integrated on a sinh-stretched
    grid: uniform near 0, where the Black-Scholes-like part of width ~1/sqrt(w) lives, and
    geometric beyond. The rest, [u_b, U], holds only the Heston tail, which oscillates at
    the asymptotic frequency |x - rho (v0 + kappa theta T) / xi|; it gets uniform panels no
    wider than one period, grouped by panel count so each group is one vectorised pass.
    """
    x, t, v0, kappa, theta, xi, rho, w = par
    n = x.shape[0]
    upper, tail_ok = _truncation(tuple(p[:, None] for p in par))
    scale = 1.0 / np.sqrt(np.maximum(w, 1e-300))
    split = np.minimum(upper, 40.0 * scale)
    scale = np.minimum(scale, np.maximum(split, 1e-300))
    out = np.zeros(n)
    ok = tail_ok.copy()

    head = np.flatnonzero(split > 0.0)
    if head.size:
        val, conv = _adaptive(tuple(p[head] for p in par), scale[head],
                              np.arcsinh(split[head] / scale[head]), _FIRST_PANELS, True,
                              0.5 * _INTEGRAL_TOL)
        out[head] += val
        ok[head] &= conv

    length = upper - split
    tail = np.flatnonzero(length > 0.0)
    if tail.size:
        freq = np.abs(x) + np.abs(rho) * (v0 + kappa * theta * t) / np.where(xi > 0, xi, 1.0)
        period = np.minimum(2.0 * np.pi / np.maximum(freq, 1e-300), np.maximum(split, 1.0))
        need = np.ceil(length[tail] / period[tail])
        first = np.maximum(_FIRST_PANELS, 2 ** np.ceil(np.log2(np.maximum(need, 1.0))))
        for n_first in np.unique(first):
            grp = tail[first == n_first]
            if n_first > _MAX_PANELS // 2:
                ok[grp] = False
                continue
            val, conv = _adaptive(tuple(p[grp] for p in par), split[grp], length[grp],
                                  int(n_first), False, 0.5 * _INTEGRAL_TOL)
            out[grp] += val
            ok[grp] &= conv
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        names = ("time_to_expiry", "v0", "kappa", "theta", "xi", "rho")
        desc = ", ".join(f"{nm}={float(p[i])!r}" for nm, p in zip(names, par[1:7], strict=True))
        raise HedgeLibError(
            "heston_price: the Fourier integral cannot be brought to tolerance for "
            f"{desc} (the characteristic function decays too slowly; this happens with "
            "|rho| = 1 or a variance v0 + kappa theta T tiny next to xi)"
        )
    return out


def heston_price(
    spot: ArrayLike, strike: ArrayLike, time_to_expiry: ArrayLike, v0: ArrayLike, kappa: ArrayLike,
    theta: ArrayLike, xi: ArrayLike, rho: ArrayLike, rate: ArrayLike = 0.0,
    dividend_yield: ArrayLike = 0.0, kind: OptionKind = "call",
) -> float | FloatArray:
    """Price a European call or put under the Heston (1993) model.

    Parameters
    ----------
    spot, strike, time_to_expiry : array_like
        As in :func:`~hedgelib.pricing.black_scholes.bs_price` (``time_to_expiry = 0`` gives
        the intrinsic value).
    v0 : array_like
        Current instantaneous variance (volatility squared), >= 0.
    kappa : array_like
        Speed of mean reversion of the variance, per year, > 0.
    theta : array_like
        Long-run variance (not volatility), >= 0.
    xi : array_like
        Volatility of variance ("vol of vol"), >= 0. ``xi = 0`` is allowed and is exactly
        Black-Scholes at the integrated variance ``theta T + (v0 - theta)(1 - exp(-kappa T))
        / kappa``.
    rho : array_like
        Correlation between the price and variance shocks, in [-1, 1].
    rate, dividend_yield, kind
        As in :func:`~hedgelib.pricing.black_scholes.bs_price`.

    All array arguments broadcast against each other (any of them may vary per element).

    Returns
    -------
    float or numpy.ndarray
        Option value in currency per unit of underlying; a float when every input is a
        scalar, otherwise an array of the broadcast shape.

    Raises
    ------
    HedgeLibError
        If an argument is out of range, NaN, or the shapes do not broadcast; or if the
        integral cannot be brought to tolerance within its node budget, which happens only
        when the characteristic function barely decays: |rho| = 1, or v0 = 0 with
        ``kappa * theta * T`` tiny next to ``xi`` (expiries of days, far strikes). No
        inaccurate number is returned silently.

    Notes
    -----
    With forward :math:`F = S e^{(r-q)T}`, :math:`x = \\ln(F/K)` and :math:`\\varphi` the
    characteristic function of :math:`\\ln(S_T/F)`, the Lewis (2001) formula reads

    .. math::

        C = e^{-rT}\\Big[F - \\frac{\\sqrt{FK}}{\\pi}\\int_0^\\infty
            \\mathrm{Re}\\big[e^{iux}\\varphi(u - \\tfrac{i}{2})\\big]
            \\frac{du}{u^2 + 1/4}\\Big].

    The same formula holds for Black-Scholes with :math:`\\varphi_{BS}(u - i/2) =
    e^{-w(u^2+1/4)/2}`; subtracting it with :math:`w = \\theta T + (v_0-\\theta)(1-e^{-\\kappa
    T})/\\kappa`, the expected integrated variance, gives

    .. math::

        V = V_{BS}(w) - e^{-rT}\\frac{\\sqrt{FK}}{\\pi}\\int_0^\\infty
            \\mathrm{Re}\\big[e^{iux}(\\varphi - \\varphi_{BS})(u - \\tfrac{i}{2})\\big]
            \\frac{du}{u^2 + 1/4},

    valid for calls and puts alike (the integral is parity-invariant), so puts come with the
    same accuracy as calls. With :math:`s = u^2 + 1/4`, :math:`\\beta = \\kappa - \\rho\\xi
    (1/2 + iu)`, :math:`d = \\sqrt{\\beta^2 + \\xi^2 s}` and :math:`g = (\\beta-d)/(\\beta+d)`,
    the "little trap" form (Albrecher, Mayer, Schoutens and Tistaert 2007) is
    :math:`\\varphi = \\exp(C + D v_0)` with

    .. math::

        D = \\frac{\\beta - d}{\\xi^2}\\frac{1 - e^{-dT}}{1 - g e^{-dT}},\\qquad
        C = \\frac{\\kappa\\theta}{\\xi^2}\\Big[(\\beta - d)T
            - 2\\ln\\frac{1 - g e^{-dT}}{1 - g}\\Big],

    which stays on the principal branch of the logarithm for long expiries and large
    :math:`\\xi` (Lord and Kahl 2010). The integral is truncated where the sampled tail
    bound falls below tolerance and integrated by composite 16-point Gauss-Legendre rules on
    a sinh-stretched grid (the slowly decaying tail, if any, on panels one oscillation
    period wide), doubling the panels until two estimates agree to 1e-12; the price error is
    then of order 1e-11 per 100 of spot.

    References
    ----------
    Heston, S. L. (1993). A closed-form solution for options with stochastic volatility with
    applications to bond and currency options. Review of Financial Studies 6(2), 327-343.

    Lewis, A. L. (2001). A simple option formula for general jump-diffusion and other
    exponential Levy processes. SSRN 282110.

    Albrecher, H., Mayer, P., Schoutens, W. and Tistaert, J. (2007). The little Heston trap.
    Wilmott Magazine, January, 83-92.

    Lord, R. and Kahl, C. (2010). Complex logarithms in Heston-like models. Mathematical
    Finance 20(4), 671-694.

    Examples
    --------
    >>> from hedgelib.pricing.heston import heston_price
    >>> round(heston_price(100.0, 100.0, 1.0, 0.04, 4.0, 0.25, 1.0, -0.5, 0.01, 0.02), 10)
    16.070154917
    """
    kind = check_kind(kind)
    args = (
        check_price(spot, "spot"),
        check_price(strike, "strike"),
        check_years(time_to_expiry, "time_to_expiry"),
        check_rate(rate, "rate"),
        check_rate(dividend_yield, "dividend_yield"),
        check_variance(v0, "v0"),
        check_mean_reversion(kappa, "kappa"),
        check_variance(theta, "theta"),
        check_volatility(xi, "xi"),
        check_in_range(rho, "rho", -1.0, 1.0),
    )
    try:
        shape = np.broadcast_shapes(*(a.shape for a in args))
    except ValueError:
        names = ("spot", "strike", "time_to_expiry", "rate", "dividend_yield", "v0", "kappa",
                 "theta", "xi", "rho")
        shapes = ", ".join(f"{n}{a.shape}" for n, a in zip(names, args, strict=True))
        raise HedgeLibError(f"heston_price inputs do not broadcast: {shapes}") from None
    s, k, t, r, q, v0_, kap, th, vv, rh = (np.broadcast_to(a, shape).ravel() for a in args)

    # Expected integrated variance; kappa T -> 0 uses the series of (1 - exp(-x)) / x.
    kt = kap * t
    frac = np.where(kt > 1e-8, -np.expm1(-kt) / np.where(kt > 0, kt, 1.0), 1.0 - 0.5 * kt)
    w = th * t + (v0_ - th) * t * frac
    w = np.maximum(w, 0.0)

    fwd_log_moneyness = np.log(s / k) + (r - q) * t
    par = (fwd_log_moneyness, t, v0_, kap, th, vv, rh, w)
    integral = np.zeros(s.shape)
    live = (t > 0) & (vv > 0)
    if live.any():
        integral[live] = _lewis_integral(tuple(p[live] for p in par))

    # The control variate: Black-Scholes at the expected integrated variance (zero when no
    # variance is to come, where bs_price takes its exact zero-volatility limit).
    sigma = np.sqrt(w / np.where(t > 0, t, 1.0))
    base = np.asarray(bs_price_of_term(s, k, t, sigma, r, q, kind), dtype=np.float64)
    disc_root = np.sqrt(s * k) * np.exp(-0.5 * (r + q) * t)
    price = base - disc_root / np.pi * integral
    price = price.reshape(shape)
    return float(price) if price.ndim == 0 else price
