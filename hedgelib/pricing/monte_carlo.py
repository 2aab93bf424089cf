"""Monte Carlo prices of European payoffs under any simulated market model."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from hedgelib._typing import FloatArray, OptionKind, RandomState
from hedgelib.conventions import (
    MAX_ELEMENTS,
    HedgeLibError,
    check_finite,
    check_in_range,
    check_int,
    check_kind,
    check_positive_years,
    check_price,
    check_rate,
    check_scalar,
)
from hedgelib.market.base import MarketModel

__all__ = ["MonteCarloResult", "monte_carlo_price"]


@dataclass(frozen=True)
class MonteCarloResult:
    """A Monte Carlo estimate and its sampling error.

    Attributes
    ----------
    price : float
        The estimate: mean discounted payoff.
    standard_error : float
        Standard error of ``price``: sample standard deviation (ddof=1) of the independent
        samples over the square root of their number. With antithetic variates the
        independent samples are the pair averages, not the paths.
    n_paths : int
        Simulated paths.
    n_samples : int
        Independent samples behind ``standard_error``: ``n_paths``, or ``n_paths / 2``
        pairs with antithetic variates.
    antithetic : bool
        Whether antithetic variates were used.

    Examples
    --------
    >>> r = MonteCarloResult(price=10.0, standard_error=0.1, n_paths=1000, n_samples=1000,
    ...                      antithetic=False)
    >>> [round(x, 4) for x in r.confidence_interval(0.95)]
    [9.804, 10.196]
    """

    price: float
    standard_error: float
    n_paths: int
    n_samples: int
    antithetic: bool

    def confidence_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided normal confidence interval ``price -/+ z_{(1+level)/2} * standard_error``."""
        lvl = float(check_in_range(level, "level", 0.0, 1.0, inclusive=(False, False)))
        half = float(ndtri(0.5 + 0.5 * lvl)) * self.standard_error
        return self.price - half, self.price + half


def monte_carlo_price(
    model: MarketModel, *, spot: float, time_to_expiry: float, n_paths: int,
    strike: float | None = None, rate: float = 0.0, kind: OptionKind = "call", n_steps: int = 1,
    rng: RandomState = None, antithetic: bool = False,
    payoff: Callable[[FloatArray], FloatArray] | None = None,
) -> MonteCarloResult:
    """Price a European payoff by simulating the model under the pricing measure.

    Parameters
    ----------
    model : MarketModel
        Any simulated market (GBM, Heston, MertonJump, GARCH, ...). Its drift is replaced by
        ``rate`` (the pricing measure); its other parameters, the dividend yield included,
        are used as given, i.e. taken to be risk-neutral ones.
    spot : float
        Price today, > 0.
    time_to_expiry : float
        Years to expiry, > 0.
    n_paths : int
        Number of simulated paths (even with ``antithetic``).
    strike : float, optional
        Strike, > 0; required for the vanilla payoff (when ``payoff`` is None).
    rate : float, default 0
        Continuously compounded risk-free rate.
    kind : {"call", "put"}, default "call"
        Vanilla payoff ``max(S_T - K, 0)`` or ``max(K - S_T, 0)``.
    n_steps : int, default 1
        Time steps to expiry. One step is exact for GBM and Merton; Heston and GARCH need
        more (their dynamics are path-dependent).
    rng : int, numpy Generator or None
        Seed or generator.
    antithetic : bool, default False
        Antithetic variates; the standard error is then computed from pair averages.
    payoff : callable, optional
        ``payoff(terminal_spot) -> array`` with ``terminal_spot`` of shape (n_paths,),
        returning the undiscounted payoff per path, shape (n_paths,). Overrides ``strike``
        and ``kind``.

    Returns
    -------
    MonteCarloResult
        Price, standard error, path counts.

    Notes
    -----
    .. math:: \\hat V = e^{-rT}\\frac1N\\sum_{i=1}^N f(S_T^{(i)}), \\qquad
              \\mathrm{SE} = \\frac{\\hat\\sigma}{\\sqrt N},

    with ``N`` independent samples (pair averages ``(f_i + f_{i+N})/2`` under antithetic
    variates, since a pair's members are dependent). Only terminal prices are kept
    (``MarketModel.simulate_terminal``), so memory is O(n_paths) whatever ``n_steps``.
    See Glasserman, *Monte Carlo Methods in Financial Engineering* (2004), 1.1 and 4.2.

    Examples
    --------
    >>> from hedgelib.market.models import GBM
    >>> res = monte_carlo_price(GBM(0.0, 0.2), spot=100.0, strike=100.0, time_to_expiry=1.0,
    ...                         rate=0.05, n_paths=100_000, rng=7, antithetic=True)
    >>> abs(res.price - 10.4506) < 3 * res.standard_error  # Black-Scholes: 10.4506
    True
    """
    if not isinstance(model, MarketModel):
        raise HedgeLibError(f"model must be a MarketModel (GBM, Heston, ...), got {model!r}")
    if not isinstance(antithetic, bool | np.bool_):
        raise HedgeLibError(f"antithetic must be True or False, got {antithetic!r}")
    r = check_scalar(rate, "rate", check_rate)
    t = check_scalar(time_to_expiry, "time_to_expiry", check_positive_years)
    # At least two independent samples, or there is no standard error.
    m = check_int(n_paths, "n_paths", minimum=4 if antithetic else 2, maximum=MAX_ELEMENTS // 2)
    if payoff is None:
        if strike is None:
            raise HedgeLibError("strike is required for a vanilla payoff, got None")
        k = check_scalar(strike, "strike", check_price)
        sign = 1.0 if check_kind(kind) == "call" else -1.0

        def payoff(s: FloatArray) -> FloatArray:
            return np.maximum(sign * (s - k), 0.0)

    elif not callable(payoff):
        raise HedgeLibError(f"payoff must be a callable of the terminal spot, got {payoff!r}")

    terminal = model.with_drift(r).simulate_terminal(spot, t, n_steps, m, rng, antithetic)
    values = np.asarray(payoff(terminal), dtype=np.float64)
    if values.shape != terminal.shape:
        raise HedgeLibError(
            f"payoff must return one value per path, shape {terminal.shape}, got {values.shape}"
        )
    check_finite(values, "payoff")
    values = values * math.exp(-r * t)
    if antithetic:
        h = m // 2
        samples = 0.5 * (values[:h] + values[h:])
    else:
        samples = values
    n = samples.size
    se = float(samples.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
    return MonteCarloResult(
        price=float(values.mean()),
        standard_error=se,
        n_paths=m,
        n_samples=n,
        antithetic=bool(antithetic),
    )
