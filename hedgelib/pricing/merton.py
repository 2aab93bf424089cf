"""European options under Merton's (1976) jump-diffusion, by its Poisson series.

Under the pricing measure the price diffuses with volatility ``volatility`` and, at the
times of a Poisson process of intensity ``jump_intensity`` per year, is multiplied by
``exp(Y)`` with ``Y ~ N(jump_mean, jump_std**2)``; the drift is compensated so that the
discounted price (with dividends) is a martingale. These are the parameters of
:class:`hedgelib.market.models.MertonJump`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, xlogy

from hedgelib._typing import ArrayLike, FloatArray, OptionKind
from hedgelib.conventions import (
    MAX_JUMP_INTENSITY,
    MAX_LOG_JUMP,
    HedgeLibError,
    check_in_range,
    check_kind,
    check_price,
    check_rate,
    check_volatility,
    check_years,
)
from hedgelib.pricing.black_scholes import bs_price_of_term

__all__ = ["MERTON_SERIES_TOL", "merton_price"]

#: The series stops once the Poisson mass left out, under both the jump-count law and its
#: size-biased version, is below this. The truncation error is then at most
#: ``MERTON_SERIES_TOL * exp(-r T) * max(F, K)`` (see :func:`merton_price`).
MERTON_SERIES_TOL = 1e-16
_MAX_TERMS = 100_000


def _poisson_range(mean: np.ndarray, tol: float) -> tuple[int, int]:
    """[lo, hi] leaving out less than ``tol`` of the mass of Poisson(m), for every m given.

    Bernstein's inequality for the Poisson law: P(N >= m + a) <= exp(-a^2 / (2 (m + a/3)))
    and P(N <= m - a) <= exp(-a^2 / (2 m)); each tail is held below tol / 2.
    """
    if mean.size == 0:
        return 0, 0
    big_l = np.log(2.0 / tol)
    up = mean + big_l / 3.0 + np.sqrt(big_l * big_l / 9.0 + 2.0 * big_l * mean)
    down = mean - np.sqrt(2.0 * big_l * mean)
    return max(int(np.floor(np.min(down))), 0), int(np.ceil(np.max(up)))


def merton_price(
    spot: ArrayLike, strike: ArrayLike, time_to_expiry: ArrayLike, volatility: ArrayLike,
    jump_intensity: ArrayLike, jump_mean: ArrayLike, jump_std: ArrayLike, rate: ArrayLike = 0.0,
    dividend_yield: ArrayLike = 0.0, kind: OptionKind = "call",
) -> float | FloatArray:
    """Price a European call or put under Merton's (1976) jump-diffusion model.

    Parameters
    ----------
    spot, strike, time_to_expiry : array_like
        As in :func:`~hedgelib.pricing.black_scholes.bs_price` (``time_to_expiry = 0`` gives
        the intrinsic value).
    volatility : array_like
        Volatility of the diffusion part, annualised, >= 0.
    jump_intensity : array_like
        Expected number of jumps per year, >= 0.
    jump_mean : array_like
        Mean of the log jump ``Y`` (a jump multiplies the price by ``exp(Y)``).
    jump_std : array_like
        Standard deviation of the log jump, >= 0.
    rate, dividend_yield, kind
        As in :func:`~hedgelib.pricing.black_scholes.bs_price`.

    All array arguments broadcast against each other.

    Returns
    -------
    float or numpy.ndarray
        Option value in currency per unit of underlying; a float when every input is a
        scalar, otherwise an array of the broadcast shape.

    Raises
    ------
    HedgeLibError
        If an argument is out of range, NaN, or the shapes do not broadcast, or if the series
        would need more than 100,000 terms (``jump_intensity * time_to_expiry`` in the tens
        of thousands).

    Notes
    -----
    With :math:`\\bar k = E[e^Y] - 1 = e^{\\mu_J + \\delta^2/2} - 1`, forward
    :math:`F = S e^{(r-q)T}` and :math:`N \\sim \\mathrm{Poisson}(\\lambda T)` jumps,
    conditioning on :math:`N = n` leaves a lognormal price with

    .. math::

        F_n = F e^{-\\lambda \\bar k T + n(\\mu_J + \\delta^2/2)},\\qquad
        \\sigma_n^2 T = \\sigma^2 T + n\\delta^2,

    so that

    .. math::

        V = \\sum_{n \\ge 0} e^{-\\lambda T}\\frac{(\\lambda T)^n}{n!}\\,
            V_{BS}(F_n, K, \\sigma_n, T),

    each term a Black-Scholes price (here through ``bs_price`` with the rate kept and the
    dividend yield shifted to :math:`q + \\lambda\\bar k - n(\\mu_J + \\delta^2/2)/T`). Since
    a call term is at most :math:`e^{-rT}F_n` and a put term at most :math:`e^{-rT}K`, and
    :math:`\\sum_{n>M} p_n F_n = F\\,P(N' > M)` with :math:`N' \\sim
    \\mathrm{Poisson}(\\lambda(1+\\bar k)T)`, summing over every n outside which both Poisson
    laws have less than ``MERTON_SERIES_TOL`` (1e-16) of their mass (by Bernstein's
    inequality for the Poisson law) bounds the truncation
    error by ``1e-16 * exp(-r T) * max(F, K)``.

    References
    ----------
    Merton, R. C. (1976). Option pricing when underlying stock returns are discontinuous.
    Journal of Financial Economics 3, 125-144.

    Hull, J. C. Options, Futures, and Other Derivatives, chapter "More on models and
    numerical procedures" (Merton's mixed jump-diffusion model).

    Examples
    --------
    >>> from hedgelib.pricing.merton import merton_price
    >>> round(merton_price(100.0, 100.0, 1.0, 0.2, 0.0, 0.0, 0.0, 0.05), 6)  # no jumps: BS
    10.450584
    >>> round(merton_price(100.0, 100.0, 1.0, 0.2, 1.0, -0.1, 0.15, 0.05), 6)
    12.761289
    """
    kind = check_kind(kind)
    names = ("spot", "strike", "time_to_expiry", "rate", "dividend_yield", "volatility",
             "jump_intensity", "jump_mean", "jump_std")
    args = (
        check_price(spot, "spot"),
        check_price(strike, "strike"),
        check_years(time_to_expiry, "time_to_expiry"),
        check_rate(rate, "rate"),
        check_rate(dividend_yield, "dividend_yield"),
        check_volatility(volatility, "volatility"),
        check_in_range(jump_intensity, "jump_intensity", 0.0, MAX_JUMP_INTENSITY),
        check_in_range(jump_mean, "jump_mean", -MAX_LOG_JUMP, MAX_LOG_JUMP),
        check_volatility(jump_std, "jump_std"),
    )
    try:
        shape = np.broadcast_shapes(*(a.shape for a in args))
    except ValueError:
        shapes = ", ".join(f"{n}{a.shape}" for n, a in zip(names, args, strict=True))
        raise HedgeLibError(f"merton_price inputs do not broadcast: {shapes}") from None
    s, k, t, r, q, sigma, lam, mu, delta = (np.broadcast_to(a, shape).ravel() for a in args)

    half_var = mu + 0.5 * delta * delta
    if np.any(half_var > 700.0):
        i = int(np.argmax(half_var))
        raise HedgeLibError(
            f"jump_mean + jump_std**2 / 2 must be at most 700 (E[exp(Y)] overflows), "
            f"got jump_mean={float(mu[i])!r}, jump_std={float(delta[i])!r}"
        )
    kbar = np.expm1(half_var)
    mean_jumps = lam * t
    # Size-biased law: weights p_n * F_n / F are Poisson with mean lambda (1 + kbar) T.
    lo, hi = _poisson_range(np.concatenate((mean_jumps, mean_jumps * (1.0 + kbar))),
                            MERTON_SERIES_TOL)
    if hi - lo > _MAX_TERMS:
        raise HedgeLibError(
            f"merton_price needs {hi - lo} series terms (jump_intensity * time_to_expiry up to "
            f"{float(np.max(mean_jumps))!r}, times 1 + the mean jump from jump_mean and jump_std "
            f"up to {float(np.max(1.0 + kbar))!r}); at most {_MAX_TERMS} are allowed"
        )

    live = t > 0
    t_safe = np.where(live, t, 1.0)
    price = np.zeros(s.shape)
    for n in range(lo, hi + 1):
        # Poisson weight in log space; xlogy(0, 0) = 0 keeps lambda T = 0 exact.
        weight = np.exp(xlogy(n, mean_jumps) - mean_jumps - gammaln(n + 1.0))
        # A term whose weight underflows adds nothing; skipping it also keeps n delta^2 / T
        # finite when T is tiny (the weight (lambda T)^n / n! is then tiny too).
        use = weight > 1e-300
        if not use.any():
            continue
        t_n = np.where(use, t_safe, 1.0)
        vol_n = np.sqrt(sigma * sigma + n * delta * delta / t_n)
        q_n = q + lam * kbar - n * half_var / t_n
        term = np.asarray(bs_price_of_term(s, k, t, vol_n, r, q_n, kind), dtype=np.float64)
        price += np.where(use, weight * term, 0.0)
    # At expiry every term is the intrinsic value and the weights sum to one.
    if not live.all():
        dead = ~live
        payoff = s[dead] - k[dead] if kind == "call" else k[dead] - s[dead]
        price[dead] = np.maximum(payoff, 0.0)
    price = price.reshape(shape)
    return float(price) if price.ndim == 0 else price
