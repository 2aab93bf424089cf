"""What every simulated market shares: the argument checks, the seeded time loop and the
O(n_paths) working memory; a model supplies one time step.

The models (:mod:`hedgelib.market.models`) share one drift convention: ``drift`` is the expected
total return, so the price grows in expectation at ``drift - dividend_yield``,

.. math:: E[S_T] = S_0 \\exp\\big((\\mu - q) T\\big),

and ``drift = rate`` gives the pricing (risk-neutral) measure.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from hedgelib._typing import FloatArray, RandomState
from hedgelib.conventions import (
    MAX_ELEMENTS,
    MAX_STEPS,
    HedgeLibError,
    as_rng,
    check_int,
    check_positive_years,
    check_price,
    check_scalar,
    check_size,
    check_years,
)
from hedgelib.market.paths import Paths, _check_grid_values

__all__ = ["MarketModel", "Stepper", "draw_normals"]


def draw_normals(rng: np.random.Generator, out: FloatArray, antithetic: bool) -> FloatArray:
    """Fill ``out`` with standard normals; antithetic: second half is minus the first."""
    if antithetic:
        h = out.size // 2
        rng.standard_normal(out=out[:h])
        np.negative(out[:h], out=out[h:])
    else:
        rng.standard_normal(out=out)
    return out


class Stepper(ABC):
    """Advances every path by one grid step, in place, O(n_paths) state."""

    #: Annualised variance in force from the current time, shape (n_paths,), or None.
    variance: FloatArray | None = None

    @abstractmethod
    def __call__(self, s_prev: FloatArray, s_next: FloatArray) -> None:
        """Write the next row of prices into ``s_next`` from ``s_prev``."""


class MarketModel(ABC):
    """Common base of the simulated markets: anything with ``simulate`` is a market.

    Subclasses are frozen dataclasses with at least the fields ``drift`` (expected total
    return, annualised) and ``dividend_yield``; they supply one time step through
    ``_stepper``. The base class checks the arguments, allocates the output once and loops
    over time, so every model obeys the same rules: the same seed gives the same paths, each
    step's random numbers are drawn when the step is taken, and the working memory is
    O(n_paths) beyond the output.
    """

    drift: float
    dividend_yield: float
    #: Whether ``simulate`` fills ``Paths.variance``.
    has_variance: bool = False
    #: Annualised volatility of log returns in the long run (each model says how).
    long_run_volatility: float

    @abstractmethod
    def _stepper(
        self, spot: float, dt: float, n_paths: int, rng: np.random.Generator, antithetic: bool
    ) -> Stepper:
        """Return a stepper for a grid of step ``dt`` years, starting at ``spot``."""

    def with_drift(self, drift: float) -> Self:
        """The same model with another drift; ``model.with_drift(rate)`` prices options."""
        return dataclasses.replace(self, drift=drift)  # type: ignore[type-var]

    def expected_spot(self, spot: Any, time: Any) -> FloatArray | float:
        """``E[S_t] = S_0 exp((drift - dividend_yield) t)``, the same for every model."""
        s = check_price(spot, "spot")
        t = check_years(time, "time")
        out = s * np.exp((self.drift - self.dividend_yield) * t)
        return float(out) if out.ndim == 0 else out

    @staticmethod
    def _check_run(
        spot: Any, horizon: Any, n_steps: Any, n_paths: Any, antithetic: Any
    ) -> tuple[float, float, int, int]:
        s0 = check_scalar(spot, "spot", check_price)
        t = check_scalar(horizon, "horizon", check_positive_years)
        n = check_int(n_steps, "n_steps", maximum=MAX_STEPS)
        m = check_int(n_paths, "n_paths", maximum=MAX_ELEMENTS)
        if not isinstance(antithetic, bool | np.bool_):
            raise HedgeLibError(f"antithetic must be True or False, got {antithetic!r}")
        if antithetic and m % 2:
            raise HedgeLibError(
                f"n_paths must be even with antithetic=True (paths j and j + n_paths/2 are "
                f"a pair), got {m}"
            )
        return s0, t, n, m

    def simulate(
        self, spot: float, horizon: float, n_steps: int, n_paths: int, rng: RandomState = None,
        antithetic: bool = False,
    ) -> Paths:
        """Simulate price paths on an equal time grid.

        Parameters
        ----------
        spot : float
            Price today, > 0.
        horizon : float
            Length of the grid in years, > 0.
        n_steps : int
            Number of equal steps, >= 1; the step is ``horizon / n_steps`` years.
        n_paths : int
            Number of paths, >= 1 (even when ``antithetic``).
        rng : int, numpy Generator or None
            Seed or generator; the same seed gives the same paths.
        antithetic : bool, default False
            Antithetic variates: path ``j + n_paths/2`` is driven by the negated normal draws
            of path ``j`` (jump counts, where there are any, are shared by the pair).

        Returns
        -------
        Paths
            ``times`` = ``linspace(0, horizon, n_steps + 1)``; ``spot`` of shape
            ``(n_steps + 1, n_paths)``; ``variance`` for stochastic-volatility models.
        """
        s0, t, n, m = self._check_run(spot, horizon, n_steps, n_paths, antithetic)
        check_size((n + 1) * m * (2 if self.has_variance else 1),
                   f"{type(self).__name__}.simulate with n_paths={m:,} and n_steps={n:,}")
        out = np.empty((n + 1, m))
        var = np.empty((n + 1, m)) if self.has_variance else None
        self._simulate_into(out, var, s0, t, rng, bool(antithetic))
        return self._paths(np.linspace(0.0, t, n + 1), out, var)

    def simulate_blocks(
        self, spot: float, horizon: float, n_steps: int, blocks: Sequence[tuple[int, Any]]
    ) -> Paths:
        """Independently seeded blocks of paths, side by side in one grid.

        ``blocks`` holds ``(n_paths, rng)`` pairs; block k's columns are exactly
        ``simulate(spot, horizon, n_steps, n_paths_k, rng=rng_k).spot``, written in place (no
        copy), so a seeded experiment gets the same digits however it groups its blocks.
        """
        if not blocks:
            raise HedgeLibError("blocks must hold at least one (n_paths, rng) pair, got none")
        sizes = [check_int(size, "n_paths") for size, _ in blocks]
        s0, t, n, m = self._check_run(spot, horizon, n_steps, sum(sizes), False)
        check_size((n + 1) * m * (2 if self.has_variance else 1),
                   f"{type(self).__name__}.simulate_blocks with n_paths={m:,} and n_steps={n:,}")
        out = np.empty((n + 1, m))
        var = np.empty((n + 1, m)) if self.has_variance else None
        a = 0
        for size, (_, rng) in zip(sizes, blocks, strict=True):
            part = None if var is None else var[:, a : a + size]
            self._simulate_into(out[:, a : a + size], part, s0, t, rng, False)
            a += size
        return self._paths(np.linspace(0.0, t, n + 1), out, var)

    def _simulate_into(
        self, out: FloatArray, variance: FloatArray | None, spot: float, horizon: float,
        rng: RandomState, antithetic: bool,
    ) -> None:
        """Fill ``out`` (and ``variance`` for stochastic-volatility models), shape
        (n_steps + 1, n_paths), from validated arguments; the arrays may be column slices of
        a wider grid. Overflow is left for :meth:`_paths` to report.

        :meth:`simulate` and :meth:`simulate_blocks` both fill their grids with it, so they
        get the very same digits.
        """
        n, m = out.shape[0] - 1, out.shape[1]
        step = self._stepper(spot, horizon / n, m, as_rng(rng), antithetic)
        out[0] = spot
        if variance is not None:
            variance[0] = step.variance
        with np.errstate(over="ignore"):
            for i in range(n):
                step(out[i], out[i + 1])
                if variance is not None:
                    variance[i + 1] = step.variance

    def _paths(self, times: FloatArray, spot: FloatArray, variance: FloatArray | None) -> Paths:
        """Wrap a filled grid in :class:`Paths`, whose check reports overflow for absurd inputs."""
        try:
            return Paths(times, spot, variance)
        except HedgeLibError as exc:
            raise HedgeLibError(
                f"{type(self).__name__} simulation left the representable range ({exc}); "
                f"the parameters or horizon are too extreme"
            ) from None

    def simulate_terminal(
        self, spot: float, horizon: float, n_steps: int, n_paths: int, rng: RandomState = None,
        antithetic: bool = False,
    ) -> FloatArray:
        """Prices at the horizon only, shape (n_paths,), in O(n_paths) memory.

        Same arguments and the same random stream as :meth:`simulate`, so the result equals
        ``simulate(...).spot[-1]`` exactly; use it when only ``S_T`` matters (European
        pricing) and the whole grid would not fit in memory.
        """
        s0, t, n, m = self._check_run(spot, horizon, n_steps, n_paths, antithetic)
        step = self._stepper(s0, t / n, m, as_rng(rng), bool(antithetic))
        cur, nxt = np.full(m, s0), np.empty(m)
        with np.errstate(over="ignore"):
            for _ in range(n):
                step(cur, nxt)
                cur, nxt = nxt, cur
        _check_grid_values(cur.reshape(1, -1), "spot", allow_zero=False)
        return cur
