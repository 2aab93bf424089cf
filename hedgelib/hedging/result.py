"""The result of a hedge simulation: per-path P&L, costs, trades and exact attribution."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgelib._typing import FloatArray
from hedgelib.conventions import HedgeLibError
from hedgelib.risk import expected_shortfall, value_at_risk

__all__ = ["STEP_COLUMNS", "HedgeResult"]

#: Columns of :attr:`HedgeResult.steps`: positions and cash after the step's trade; ``gamma``
#: of the whole position then; the explain terms and financing accumulated up to the step's
#: time (the step's own terms come after it); the hedge option's strike and expiry (NaN
#: without one).
STEP_COLUMNS: tuple[str, ...] = (
    "path",
    "step",
    "time",
    "spot",
    "volatility",
    "stock",
    "option",
    "stock_trade",
    "option_trade",
    "cash",
    "book_value",
    "option_price",
    "pnl",
    "costs",
    "gamma",
    "explain_delta",
    "explain_gamma",
    "explain_theta",
    "explain_vega",
    "interest",
    "dividends",
    "option_strike",
    "option_expiry",
)

_PER_PATH = ("pnl", "costs", "n_trades", "turnover", "option_turnover", "unhedged_pnl")


def _frozen(arr: Any, dtype: Any = np.float64) -> np.ndarray:
    out = np.array(arr, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class HedgeResult:
    """Outcome of :func:`~hedgelib.hedging.engine.simulate_hedge` on a set of paths.

    Attributes
    ----------
    pnl : ndarray, shape (n_paths,)
        Terminal P&L of book plus hedge at the horizon, premium included, in currency of the
        horizon date (cash accrued at the rate).
    premium : float
        The book's value at the pricing volatility at t = 0, holder's sign: a long book has a
        positive premium, paid in cash; a short book a negative one, received.
    costs : ndarray, shape (n_paths,)
        Total transaction costs paid (positive), the sum of ``cost_breakdown``.
    cost_breakdown : dict of str to ndarray
        Cost per component (``proportional``, ``per_trade``, ``impact``, ``option_spread``).
    n_trades : ndarray of int, shape (n_paths,)
        Number of steps at which the path traded (liquidation included).
    turnover : ndarray, shape (n_paths,)
        Shares of the underlying traded, :math:`\\sum |q|`.
    option_turnover : ndarray, shape (n_paths,)
        Units of hedge options traded (settlement at expiry is not a trade).
    unhedged_pnl : ndarray, shape (n_paths,)
        P&L of the same book on the same paths with no hedge.
    attribution : dict of str to ndarray
        Bookkeeping of the P&L, summing to ``pnl`` to rounding: ``entry`` (value at the hedge
        volatility minus premium), ``option_mtm`` (book value change plus settlements, at
        the hedge volatility), ``hedge_stock``, ``hedge_options`` (trading gains of the
        hedges at model prices), ``interest``, ``dividends`` (financing), and
        ``cost_<component>`` (negative).
    explain : dict of str to ndarray
        Greek explain of the same P&L, per step for the whole position at the hedge
        volatility, summed over steps: ``delta`` (:math:`\\Delta\\,dS`), ``gamma``
        (:math:`\\tfrac12\\Gamma\\,dS^2`), ``theta`` (:math:`\\Theta\\,dt`), ``vega``
        (:math:`\\mathcal{V}\\,d\\sigma`), ``residual`` (the rest of the value change), plus
        ``entry``, ``interest``, ``dividends`` and the cost terms; also sums to ``pnl``.
    steps : pandas.DataFrame
        One row per path and grid time for the first ``record_paths`` paths (columns
        :data:`STEP_COLUMNS`); empty if none.
    n_steps : int
        Number of grid steps.
    horizon : float
        Last time of the grid, in years.
    """

    pnl: FloatArray
    premium: float
    costs: FloatArray
    cost_breakdown: Mapping[str, FloatArray]
    n_trades: np.ndarray
    turnover: FloatArray
    option_turnover: FloatArray
    unhedged_pnl: FloatArray
    attribution: Mapping[str, FloatArray]
    explain: Mapping[str, FloatArray]
    steps: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(STEP_COLUMNS)))
    n_steps: int = 0
    horizon: float = 0.0

    def __post_init__(self) -> None:
        for name in _PER_PATH:
            dtype = np.int64 if name == "n_trades" else np.float64
            object.__setattr__(self, name, _frozen(getattr(self, name), dtype))
        n = self.pnl.shape
        for name in _PER_PATH:
            if getattr(self, name).shape != n:
                raise HedgeLibError(f"{name} must have shape {n}, got {getattr(self, name).shape}")
        for name in ("cost_breakdown", "attribution", "explain"):
            object.__setattr__(
                self, name, {k: _frozen(v) for k, v in getattr(self, name).items()}
            )
        object.__setattr__(self, "premium", float(self.premium))

    @property
    def n_paths(self) -> int:
        return int(self.pnl.size)

    def __repr__(self) -> str:
        return (
            f"HedgeResult(n_paths={self.n_paths}, n_steps={self.n_steps}, "
            f"premium={self.premium:.6g}, mean_pnl={float(self.pnl.mean()):.6g})"
        )

    def summary(self) -> dict[str, float]:
        """Headline statistics of the P&L distribution.

        Returns
        -------
        dict
            ``mean``, ``std`` (ddof=1), ``se_mean`` (std / sqrt(n)), ``hedge_error``
            (std / |premium|; NaN for a zero premium), ``var_95``, ``es_95``, ``var_99``,
            ``es_99`` (positive losses, :mod:`hedgelib.risk` conventions), ``mean_cost``,
            ``mean_trades``, ``mean_turnover``, ``unhedged_std`` and
            ``variance_reduction`` (:math:`1 - \\mathrm{var}(pnl)/\\mathrm{var}(unhedged)`;
            NaN when the unhedged P&L does not vary).

        Examples
        --------
        >>> import numpy as np
        >>> z = np.zeros(3)
        >>> r = HedgeResult(np.array([1.0, -1.0, 0.0]), 2.0, z, {}, z, z, z,
        ...                 np.array([3.0, -3.0, 0.0]), {}, {})
        >>> r.summary()["variance_reduction"]
        0.8888888888888888
        """
        x = self.pnl
        n = x.size
        std = float(x.std(ddof=1)) if n > 1 else 0.0
        ustd = float(self.unhedged_pnl.std(ddof=1)) if n > 1 else 0.0
        out = {
            "mean": float(x.mean()),
            "std": std,
            "se_mean": std / math.sqrt(n),
            "hedge_error": std / abs(self.premium) if self.premium != 0 else float("nan"),
        }
        for level in (0.95, 0.99):
            tag = f"{round(100 * level)}"
            out[f"var_{tag}"] = value_at_risk(x, level)
            out[f"es_{tag}"] = expected_shortfall(x, level)
        out.update(
            mean_cost=float(self.costs.mean()),
            mean_trades=float(self.n_trades.mean()),
            mean_turnover=float(self.turnover.mean()),
            unhedged_std=ustd,
            variance_reduction=1.0 - std**2 / ustd**2 if ustd > 0 else float("nan"),
        )
        return out

    def attribution_frame(self) -> pd.DataFrame:
        """Both decompositions as one DataFrame of per-path columns (``explain_`` prefix)."""
        cols = {k: v for k, v in self.attribution.items()}
        cols.update({f"explain_{k}": v for k, v in self.explain.items()})
        cols["pnl"] = self.pnl
        return pd.DataFrame(cols)

    @staticmethod
    def concatenate(results: Iterable[HedgeResult]) -> HedgeResult:
        """Merge results on disjoint sets of paths, in the given (path) order.

        Per-path arrays are concatenated exactly (no arithmetic); the recorded step tables
        are stacked with their ``path`` numbers shifted by the paths before them. All parts
        must share the premium, the grid length and the decomposition keys.

        Examples
        --------
        >>> import numpy as np
        >>> z = np.zeros(2)
        >>> r = HedgeResult(np.array([1.0, 2.0]), 1.0, z, {}, z, z, z, z, {}, {})
        >>> HedgeResult.concatenate([r, r]).pnl
        array([1., 2., 1., 2.])
        """
        parts = list(results)
        if not parts:
            raise HedgeLibError("results must hold at least one HedgeResult, got none")
        for i, r in enumerate(parts):
            if not isinstance(r, HedgeResult):
                raise HedgeLibError(f"results[{i}] must be a HedgeResult, got {type(r).__name__}")
        first = parts[0]
        if len(parts) == 1:
            return first
        for i, r in enumerate(parts[1:], start=1):
            if r.premium != first.premium:
                raise HedgeLibError(
                    f"results[{i}] has premium {r.premium!r}, the first has {first.premium!r}: "
                    "not the same book and start"
                )
            if r.n_steps != first.n_steps:
                raise HedgeLibError(f"results[{i}] has n_steps {r.n_steps}, the first has {first.n_steps}")
            for name in ("cost_breakdown", "attribution", "explain"):
                if set(getattr(r, name)) != set(getattr(first, name)):
                    raise HedgeLibError(f"results[{i}] has different {name} keys from the first")

        def cat(name: str) -> np.ndarray:
            return np.concatenate([getattr(r, name) for r in parts])

        def cat_dict(name: str) -> dict[str, np.ndarray]:
            return {k: np.concatenate([getattr(r, name)[k] for r in parts]) for k in getattr(first, name)}

        frames = []
        offset = 0
        for r in parts:
            if len(r.steps):
                f = r.steps.copy()
                f["path"] = f["path"] + offset
                frames.append(f)
            offset += r.n_paths
        steps = pd.concat(frames, ignore_index=True) if frames else first.steps.iloc[0:0].copy()
        return HedgeResult(
            pnl=cat("pnl"),
            premium=first.premium,
            costs=cat("costs"),
            cost_breakdown=cat_dict("cost_breakdown"),
            n_trades=cat("n_trades"),
            turnover=cat("turnover"),
            option_turnover=cat("option_turnover"),
            unhedged_pnl=cat("unhedged_pnl"),
            attribution=cat_dict("attribution"),
            explain=cat_dict("explain"),
            steps=steps,
            n_steps=first.n_steps,
            horizon=first.horizon,
        )
