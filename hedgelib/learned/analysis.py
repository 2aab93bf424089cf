"""Judging learned hedges: on fresh paths against the classical ones, and what they learned.

- :func:`compare_hedges` hedges one book on the same fresh paths under several set-ups
  (through :func:`~hedgelib.hedging.experiment.run_setups`, so the learned hedge runs in the
  engine like any strategy) and reports risk measures with bootstrap standard errors,
  turnover and costs (:class:`HedgeComparison`).
- :func:`learned_setups` builds the usual line-up: the learned hedge, the Black-Scholes delta,
  Whalley-Wilmott's band (with costs), the minimum-variance delta and no hedge.
- :func:`policy_surface` and :func:`no_trade_band` read the trained network: the hedge it
  holds over (moneyness, time to expiry), and the range of current hedges it leaves alone;
  :func:`whalley_wilmott_band` gives the asymptotic band to compare with.

References
----------
Buehler, Gonon, Teichmann and Wood (2019), "Deep hedging", *Quantitative Finance* 19(8),
section 5 (the no-trade band of a learned hedge against Whalley-Wilmott's). Whalley, A. E.
and Wilmott, P. (1997), *Mathematical Finance* 7(3). Efron, B. and Tibshirani, R. (1993),
*An Introduction to the Bootstrap*, ch. 6.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hedgelib._typing import FloatArray
from hedgelib.conventions import HedgeLibError, check_int, check_positive, check_scalar
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.experiment import run_setups
from hedgelib.hedging.rules import EveryNSteps, WhalleyWilmott
from hedgelib.hedging.setup import HedgeSetup
from hedgelib.learned.deep import DeepHedge
from hedgelib.learned.min_variance import MinimumVarianceDelta
from hedgelib.learned.policy import Policy
from hedgelib.theory import whalley_wilmott_half_width

__all__ = [
    "MEASURES",
    "HedgeComparison",
    "compare_hedges",
    "learned_setups",
    "no_trade_band",
    "policy_surface",
    "whalley_wilmott_band",
]

#: Columns of :meth:`HedgeComparison.table` that carry a standard error.
MEASURES: tuple[str, ...] = ("mean", "std", "entropic", "es", "var")


@dataclass(frozen=True)
class HedgeComparison:
    """Per-path results of several set-ups on the same paths, and how to read them.

    ``pnl``, ``costs``, ``turnover`` and ``n_trades`` map a set-up's name to one value per
    path; ``labels`` names them for people. ``risk_aversion`` and ``level`` are those of the
    entropic risk and of the expected shortfall and VaR in :meth:`table`.
    """

    labels: dict[str, str]
    pnl: dict[str, FloatArray]
    costs: dict[str, FloatArray]
    turnover: dict[str, FloatArray]
    n_trades: dict[str, FloatArray]
    premium: float
    risk_aversion: float
    level: float

    @property
    def n_paths(self) -> int:
        return int(next(iter(self.pnl.values())).size)

    def table(self, *, n_boot: int = 200, seed: int = 0) -> pd.DataFrame:
        """One row per set-up: mean, std, entropic risk, ES and VaR of the P&L with bootstrap
        standard errors (``<measure>_se``), mean turnover (shares) and costs, trades.

        Risks are positive losses. The standard errors resample paths ``n_boot`` times with a
        generator seeded by ``seed`` (the same rows for every set-up, so differences between
        set-ups on common paths are not blurred by independent draws).
        """
        b = check_int(n_boot, "n_boot", minimum=2, maximum=10_000)
        idx = np.random.default_rng(seed).integers(0, self.n_paths, size=(b, self.n_paths))
        rows = []
        for name, pnl in self.pnl.items():
            point = _measures(pnl[None, :], self.risk_aversion, self.level)
            boot = _measures(pnl[idx], self.risk_aversion, self.level)
            row: dict[str, Any] = {"set-up": self.labels[name]}
            for k in MEASURES:
                row[k] = float(point[k][0])
                row[f"{k}_se"] = float(np.std(boot[k], ddof=1))
            row["turnover"] = float(self.turnover[name].mean())
            row["costs"] = float(self.costs[name].mean())
            row["trades"] = float(self.n_trades[name].mean())
            rows.append(row)
        return pd.DataFrame(rows, index=list(self.pnl)).rename_axis("name")


def _measures(x: FloatArray, a: float, level: float) -> dict[str, FloatArray]:
    """Row-wise measures of samples ``x`` (k, n): risks as positive losses."""
    n = x.shape[1]
    m = max(1, math.ceil((1.0 - level) * n - 1e-9))
    part = np.partition(x, m - 1, axis=1)
    worst = part[:, :m]
    z = -a * x
    top = z.max(axis=1, keepdims=True)
    entropic = (np.log(np.mean(np.exp(z - top), axis=1)) + top[:, 0]) / a
    return {"mean": x.mean(axis=1), "std": x.std(axis=1, ddof=1), "entropic": entropic,
            "es": -worst.mean(axis=1), "var": -worst.max(axis=1)}


def learned_setups(
    *, hedge_volatility: float, rate: float = 0.0, dividend_yield: float = 0.0, costs: Any = None,
    deep: DeepHedge | None = None, min_variance: MinimumVarianceDelta | None = None,
    ww_risk_aversion: float | None = None,
) -> tuple[dict[str, HedgeSetup], dict[str, str]]:
    """The usual line-up and its labels: ``learned`` (if given), ``delta``, ``whalley_wilmott``
    (when ``ww_risk_aversion`` is given and the costs are proportional), ``min_variance`` (if
    given; bind it to the book first) and ``none``, all on the same costs. Every set-up
    rebalances at every step except Whalley-Wilmott's band."""
    c = TransactionCosts() if costs is None else costs
    base = HedgeSetup(hedge_volatility, rate=rate, dividend_yield=dividend_yield, costs=c,
                      rule=EveryNSteps(1))
    setups: dict[str, HedgeSetup] = {}
    labels: dict[str, str] = {}
    if deep is not None:
        setups["learned"], labels["learned"] = base.replace(strategy=deep), "Learned (deep hedge)"
    setups["delta"], labels["delta"] = base, "Black-Scholes delta"
    if ww_risk_aversion is not None and base.proportional > 0:
        setups["whalley_wilmott"] = base.replace(rule=WhalleyWilmott(ww_risk_aversion))
        labels["whalley_wilmott"] = "Whalley-Wilmott band"
    if min_variance is not None:
        setups["min_variance"] = base.replace(strategy=min_variance)
        labels["min_variance"] = "Minimum-variance delta"
    setups["none"], labels["none"] = base.replace(strategy="none"), "No hedge"
    return setups, labels


def compare_hedges(
    model: Any, book: Any, setups: Mapping[str, HedgeSetup], *, spot: float, horizon: float,
    n_steps: int, n_paths: int, seed: int, labels: Mapping[str, str] | None = None,
    risk_aversion: float = 1.0, level: float = 0.95, progress: Any = None,
) -> HedgeComparison:
    """Hedge ``book`` on the same fresh paths under every set-up (in the engine).

    Arguments as in :func:`~hedgelib.hedging.experiment.run_setups`; ``risk_aversion`` and
    ``level`` set the entropic risk and the ES / VaR of :meth:`HedgeComparison.table`.
    Use a ``seed`` other than training's, so that the paths are new to the learned hedge.

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> from hedgelib.market.models import GBM
    >>> book = Book([OptionLeg("call", 100.0, 20 / 252, -1.0)])
    >>> setups, labels = learned_setups(hedge_volatility=0.2)
    >>> cmp = compare_hedges(GBM(0.0, 0.2), book, setups, spot=100.0, horizon=20 / 252,
    ...                      n_steps=20, n_paths=2000, seed=5, labels=labels)
    >>> t = cmp.table()
    >>> bool(t.loc["delta", "std"] < t.loc["none", "std"] / 4)
    True
    """
    a = check_scalar(risk_aversion, "risk_aversion", check_positive)
    lvl = check_scalar(level, "level")
    if not 0.0 < lvl < 1.0:
        raise HedgeLibError(f"level must lie in (0, 1), got {level!r}")
    results = run_setups(model, book, setups, spot=spot, horizon=horizon, n_steps=n_steps,
                         n_paths=n_paths, seed=seed, progress=progress)
    names = dict(labels or {})
    return HedgeComparison(
        labels={k: names.get(k, k) for k in results},
        pnl={k: np.asarray(r.pnl) for k, r in results.items()},
        costs={k: np.asarray(r.costs) for k, r in results.items()},
        turnover={k: np.asarray(r.turnover) for k, r in results.items()},
        n_trades={k: np.asarray(r.n_trades, dtype=np.float64) for k, r in results.items()},
        premium=float(next(iter(results.values())).premium), risk_aversion=a, level=lvl,
    )


def _policy(hedge: Any) -> Policy:
    if not isinstance(hedge, DeepHedge):
        raise HedgeLibError(f"hedge must be a DeepHedge, got {type(hedge).__name__}")
    return hedge._policy()


def _times(policy: Policy, time_to_expiry: Any) -> FloatArray:
    tau = check_positive(time_to_expiry, "time_to_expiry").reshape(-1)
    if np.any(tau > policy.horizon + 1e-12):
        raise HedgeLibError(
            f"time_to_expiry must not exceed the book's life ({policy.horizon:.4g} years), got {tau.max()!r}"
        )
    return tau


def policy_surface(hedge: DeepHedge, moneyness: Any, time_to_expiry: Any, *, prev_hedge: str = "delta") -> FloatArray:
    """The hedge the policy holds, per unit of the book, shape (len(time_to_expiry), len(moneyness)).

    ``moneyness`` is spot over the book's reference strike; ``time_to_expiry`` in years to
    the book's last expiry. The network also reads its previous hedge: ``prev_hedge="delta"``
    starts it from the Black-Scholes delta (where a no-cost hedge would be), ``"zero"`` from
    no position.
    """
    p = _policy(hedge)
    m = check_positive(moneyness, "moneyness").reshape(-1)
    tau = _times(p, time_to_expiry)
    if prev_hedge not in ("delta", "zero"):
        raise HedgeLibError(f"prev_hedge must be 'delta' or 'zero', got {prev_hedge!r}")
    out = np.empty((tau.size, m.size))
    spot = m * p.strike
    for i, t in enumerate(tau):
        time = p.horizon - t
        prev = p.bs_delta(spot, time, p.volatility) if prev_hedge == "delta" else 0.0
        out[i] = p.hedge(spot, time, prev_hedge=prev)
    return out


def no_trade_band(hedge: DeepHedge, moneyness: Any, time_to_expiry: float, *, tolerance: float = 0.01,
                  width: float = 0.6, n_grid: int = 241) -> tuple[FloatArray, FloatArray]:
    """Lower and upper edges (per unit of the book) of the hedges the policy leaves alone.

    For each moneyness, the policy is asked what it does from every current hedge ``p`` on
    a grid of ``width`` either side of the Black-Scholes delta; the band is the range of ``p``
    whose trade ``|policy(p) - p|`` is at most ``tolerance`` (shares per unit). NaN where no
    current hedge is left alone.

    Notes
    -----
    With proportional costs the optimal policy is a band: inside it, trading costs more than
    the risk it removes; outside, it trades to the nearest edge (Whalley and Wilmott 1997;
    Buehler et al. 2019, section 5). A policy that reads ``prev_hedge`` can learn this shape.
    """
    p = _policy(hedge)
    m = check_positive(moneyness, "moneyness").reshape(-1)
    tau = float(_times(p, time_to_expiry)[0])
    tol = check_scalar(tolerance, "tolerance", check_positive)
    k = check_int(n_grid, "n_grid", minimum=3)
    spot = m * p.strike
    time = p.horizon - tau
    delta = p.bs_delta(spot, time, p.volatility)
    grid = delta[:, None] + np.linspace(-width, width, k)[None, :]
    moved = p.hedge(np.broadcast_to(spot[:, None], grid.shape), time, prev_hedge=grid) - grid
    still = np.abs(moved) <= tol
    lower = np.where(still.any(axis=1), np.where(still, grid, np.inf).min(axis=1), np.nan)
    upper = np.where(still.any(axis=1), np.where(still, grid, -np.inf).max(axis=1), np.nan)
    return lower, upper


def whalley_wilmott_band(book: Any, moneyness: Any, time_to_expiry: float, *, strike: float,
                         unit: float, volatility: float, proportional: float, risk_aversion: float,
                         rate: float = 0.0, dividend_yield: float = 0.0) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Whalley-Wilmott's band per unit of the book: (delta, lower, upper) against moneyness.

    ``delta`` is the Black-Scholes delta hedge per unit, the band
    :math:`\\pm H/\\text{unit}` around it with
    :math:`H = (\\tfrac32 e^{-r\\tau}\\lambda S\\Gamma^2/\\gamma)^{1/3}`
    (:func:`hedgelib.theory.whalley_wilmott_half_width`).
    """
    m = check_positive(moneyness, "moneyness").reshape(-1)
    tau = check_scalar(time_to_expiry, "time_to_expiry", check_positive)
    horizon = max(leg.expiry for leg in book.legs)
    spot = m * strike
    g = book.greeks(spot, volatility, time=horizon - tau, rate=rate, dividend_yield=dividend_yield)
    delta = -np.asarray(g.delta) / unit
    if proportional <= 0:
        return delta, delta.copy(), delta.copy()
    h = np.asarray(whalley_wilmott_half_width(spot, np.asarray(g.gamma), proportional, risk_aversion,
                                              rate, tau)) / unit
    return delta, delta - h, delta + h
