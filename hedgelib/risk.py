"""Risk measures on a sample of P&L: value at risk, expected shortfall, entropic risk.

All measures take P&L in the holder's view (a loss is negative) and report risk as a
positive loss, the house convention.

Quantile convention
-------------------
Sort the sample ascending, :math:`x_{(1)} \\le \\dots \\le x_{(n)}`, and let
:math:`m = n(1 - \\alpha)` be the size of the tail at level :math:`\\alpha` (for instance
0.99); :math:`m` is rounded to the nearest integer when within 1e-9 of it, so that
``1 - 0.99`` does not turn 100 observations into a tail of 1.0000000000000009.

- **VaR** is minus the lower empirical quantile, without interpolation (numpy's
  ``method="inverted_cdf"``): :math:`\\mathrm{VaR}_\\alpha = -x_{(\\lceil m \\rceil)}`
  (with :math:`\\lceil m \\rceil \\ge 1`).
- **ES** is minus the mean of the worst fraction :math:`1-\\alpha` of the outcomes, the
  boundary observation entering with its fractional weight (Acerbi and Tasche 2002):

  .. math:: \\mathrm{ES}_\\alpha = -\\frac{1}{m}\\Big(\\sum_{i=1}^{\\lfloor m \\rfloor} x_{(i)}
            + (m - \\lfloor m \\rfloor)\\,x_{(\\lfloor m \\rfloor + 1)}\\Big),

  and :math:`-x_{(1)}` when :math:`m < 1`. Ties need no special care: the formula uses
  ranks, not distinct values, so it is coherent and :math:`\\mathrm{ES} \\ge \\mathrm{VaR}`.

References
----------
Acerbi, C. and Tasche, D. (2002), "On the coherence of expected shortfall", *Journal of
Banking & Finance* 26(7), 1487-1503. Föllmer, H. and Schied, A. (2016), *Stochastic
Finance*, 4th ed., de Gruyter, section 4.9 (entropic risk measure).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import logsumexp

from hedgelib._typing import FloatArray
from hedgelib.conventions import (
    HedgeLibError,
    check_finite,
    check_in_range,
    check_positive,
    check_scalar,
    check_values,
)

__all__ = ["entropic_risk", "expected_shortfall", "risk_summary", "value_at_risk"]


def _sample(pnl: Any) -> FloatArray:
    x = check_finite(pnl, "pnl")
    if x.ndim > 1:
        raise HedgeLibError(f"pnl must be a 1-D sample, got shape {x.shape}")
    x = x.reshape(-1)
    if x.size == 0:
        raise HedgeLibError("pnl must not be empty, got an empty array")
    return x


def _level(level: Any, name: str = "level") -> float:
    arr = check_in_range(level, name, 0.0, 1.0, inclusive=(False, False))
    if arr.ndim != 0:
        raise HedgeLibError(f"{name} must be a single number, got shape {arr.shape}")
    return float(arr)


def _tail_size(n: int, level: float) -> float:
    m = n * (1.0 - level)
    nearest = round(m)
    if abs(m - nearest) <= 1e-9 * max(1.0, m):
        m = float(nearest)
    return m


def value_at_risk(pnl: Any, level: float = 0.99) -> float:
    """Historical value at risk of a P&L sample, as a positive loss.

    Parameters
    ----------
    pnl : array_like, shape (n,)
        P&L sample (holder's view, losses negative), finite, non-empty.
    level : float, default 0.99
        Confidence level in (0, 1).

    Returns
    -------
    float
        :math:`-x_{(\\lceil n(1-\\alpha) \\rceil)}` (module notes); negative when even the
        tail is a gain.

    Examples
    --------
    >>> value_at_risk([-5.0, -1.0, 0.0, 2.0, 3.0], level=0.8)
    5.0
    >>> value_at_risk([-5.0, -1.0, 0.0, 2.0, 3.0], level=0.6)
    1.0
    """
    x = _sample(pnl)
    m = _tail_size(x.size, _level(level))
    k = max(1, math.ceil(m))
    return float(-np.partition(x, k - 1)[k - 1])


def expected_shortfall(pnl: Any, level: float = 0.99) -> float:
    """Historical expected shortfall (mean loss in the worst ``1 - level`` of outcomes).

    Parameters
    ----------
    pnl : array_like, shape (n,)
        P&L sample (holder's view), finite, non-empty.
    level : float, default 0.99
        Confidence level in (0, 1).

    Returns
    -------
    float
        Positive loss; always >= :func:`value_at_risk` at the same level.

    Notes
    -----
    Acerbi-Tasche estimator with a fractional boundary weight (module notes).

    Examples
    --------
    >>> expected_shortfall([-5.0, -1.0, 0.0, 2.0, 3.0], level=0.6)
    3.0
    >>> expected_shortfall([-5.0, -1.0, 0.0, 2.0, 3.0], level=0.5)
    2.4
    """
    x = _sample(pnl)
    m = _tail_size(x.size, _level(level))
    if m < 1.0:
        return float(-x.min())
    whole = math.floor(m)
    frac = m - whole
    kth = min(whole, x.size - 1)
    part = np.partition(x, kth)
    tail = np.sort(part[: whole + (1 if frac > 0 else 0)])
    total = tail[:whole].sum() + (frac * tail[whole] if frac > 0 else 0.0)
    return float(-total / m)


def entropic_risk(pnl: Any, risk_aversion: float) -> float:
    """Entropic risk :math:`\\rho_a(X) = \\frac{1}{a}\\log E[e^{-aX}]` of a P&L sample.

    Parameters
    ----------
    pnl : array_like, shape (n,)
        P&L sample (holder's view), finite, non-empty; each outcome weighs ``1/n``.
    risk_aversion : float
        :math:`a > 0`, per unit of currency.

    Returns
    -------
    float
        A positive number is a loss-equivalent. Tends to ``-mean(pnl)`` as ``a -> 0`` and to
        the largest loss ``-min(pnl)`` as ``a -> inf``.

    Notes
    -----
    Computed as :math:`\\frac{1}{a}\\big(\\operatorname{logsumexp}(-aX) - \\log n\\big)`, which
    does not overflow for large :math:`a|X|` (Föllmer and Schied, section 4.9).

    Examples
    --------
    >>> round(entropic_risk([-1.0, 1.0], 1.0), 6)
    0.433781
    """
    x = _sample(pnl)
    a = check_scalar(risk_aversion, "risk_aversion", check_positive)
    # a times the P&L may overflow for absurd risk aversions: then the largest loss is the
    # measure's limit, and logsumexp(-a x) / a is computed without forming -a x.
    with np.errstate(over="ignore"):
        scaled = -a * x
    if not np.isfinite(scaled).all():
        return float(-x.min())
    return float((logsumexp(scaled) - math.log(x.size)) / a)


def risk_summary(pnl: Any, levels: tuple[float, ...] = (0.95, 0.99)) -> dict[str, float]:
    """Mean, standard deviation, and VaR and ES at each level, of a P&L sample.

    Keys: ``mean``, ``std`` (ddof=1; 0.0 for one observation), ``var_95``, ``es_95``, ...
    (the level in percent, as in ``var_99``; ``var_97.5`` for 0.975).

    Examples
    --------
    >>> risk_summary([-5.0, -1.0, 0.0, 2.0, 3.0], levels=(0.6,))["es_60"]
    3.0
    """
    x = _sample(pnl)
    levels = tuple(_level(level, "levels") for level in check_values(levels, "levels"))
    out = {"mean": float(x.mean()), "std": float(x.std(ddof=1)) if x.size > 1 else 0.0}
    for level in levels:
        tag = f"{100 * level:g}"
        out[f"var_{tag}"] = value_at_risk(x, level)
        out[f"es_{tag}"] = expected_shortfall(x, level)
    return out
