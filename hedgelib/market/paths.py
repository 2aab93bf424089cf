"""Prices on a time grid, time-major (row 0 is today), from a model or from history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hedgelib._typing import FloatArray
from hedgelib.conventions import (
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    as_array,
    check_finite,
    check_int,
    check_positive,
)

__all__ = [
    "Paths",
]


def _read_only(arr: np.ndarray) -> np.ndarray:
    # A view, so the caller's own array keeps its write flag; the Paths object cannot be
    # changed through its attributes.
    view = arr.view()
    view.flags.writeable = False
    return view


def _check_grid_values(arr: FloatArray, name: str, *, allow_zero: bool) -> None:
    """Check a large 2-D array is finite and positive (or >= 0) without big temporaries.

    ``min`` and ``max`` reduce without allocating; NaN propagates through both, so one
    pass each is enough. Only when something is wrong is the first bad element located,
    row by row.
    """
    lo, hi = float(arr.min()), float(arr.max())
    ok_low = lo >= 0.0 if allow_zero else lo > 0.0
    if ok_low and math.isfinite(hi):
        return
    for i, row in enumerate(arr):
        bad = ~np.isfinite(row) | ((row < 0.0) if allow_zero else (row <= 0.0))
        if bad.any():
            j = int(np.argmax(bad))
            what = "non-negative and finite" if allow_zero else "positive and finite"
            # Rows are times and columns paths: say so rather than print a numpy index.
            raise HedgeLibError(f"{name} must be {what}, got {float(row[j])!r} at step {i} of path {j}")


@dataclass(frozen=True, eq=False)
class Paths:
    """Prices on a time grid: simulated scenarios or one replayed history.

    Parameters
    ----------
    times : array_like, shape (n_steps + 1,)
        Times in years from today: ``times[0] == 0`` and strictly increasing.
    spot : array_like, shape (n_steps + 1, n_paths)
        Prices, positive and finite. Time-major: row ``i`` is every path at ``times[i]``,
        row 0 is today. A 1-D array is taken as a single path.
    variance : array_like, shape (n_steps + 1, n_paths), optional
        Annualised instantaneous variance along each path, for stochastic-volatility
        models (row ``i`` is the variance in force from ``times[i]``); None otherwise.

    Attributes
    ----------
    n_steps, n_paths : int
        Grid size.
    horizon : float
        ``times[-1]``, in years.

    Notes
    -----
    The arrays are stored as read-only float64, C-contiguous, so one time step's slice
    ``spot[i]`` is contiguous and ``pd.DataFrame(spot, index=times)`` reads naturally.
    Equality is identity (the arrays are not compared).

    Examples
    --------
    >>> import numpy as np
    >>> p = Paths(np.array([0.0, 0.5, 1.0]), np.array([[100.0, 100.0], [101.0, 98.0], [103.0, 97.0]]))
    >>> p.n_steps, p.n_paths, p.horizon
    (2, 2, 1.0)
    """

    times: FloatArray
    spot: FloatArray
    variance: FloatArray | None = None

    def __post_init__(self) -> None:
        t = as_array(self.times, "times")
        if t.ndim != 1 or t.size < 2:
            raise HedgeLibError(
                f"times must be a 1-D array of at least 2 times, got shape {t.shape}"
            )
        check_finite(t, "times")
        if t[0] != 0.0:
            raise HedgeLibError(f"times must start at 0 (today), got {float(t[0])!r}")
        steps = np.diff(t)
        if not (steps > 0).all():
            i = int(np.argmax(~(steps > 0)))
            raise HedgeLibError(
                f"times must be strictly increasing, got {float(t[i + 1])!r} after "
                f"{float(t[i])!r} at index {i + 1}"
            )
        s = self._as_grid(self.spot, "spot", t.size)
        _check_grid_values(s, "spot", allow_zero=False)
        v = None
        if self.variance is not None:
            v = self._as_grid(self.variance, "variance", t.size)
            if v.shape != s.shape:
                raise HedgeLibError(
                    f"variance must have the shape of spot {s.shape}, got {v.shape}"
                )
            _check_grid_values(v, "variance", allow_zero=True)
        object.__setattr__(self, "times", _read_only(t))
        object.__setattr__(self, "spot", _read_only(s))
        object.__setattr__(self, "variance", None if v is None else _read_only(v))

    @staticmethod
    def _as_grid(value: Any, name: str, n_times: int) -> FloatArray:
        if isinstance(value, str | bytes) or value is None:
            raise HedgeLibError(f"{name} must be an array of numbers, got {value!r}")
        try:
            arr = np.ascontiguousarray(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise HedgeLibError(f"{name} must be an array of numbers, got {str(value)[:80]}") from None
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2 or arr.shape[0] != n_times or arr.shape[1] < 1:
            raise HedgeLibError(
                f"{name} must have shape (len(times), n_paths) = ({n_times}, n_paths), "
                f"got {arr.shape}"
            )
        return arr

    @property
    def n_steps(self) -> int:
        return int(self.times.size - 1)

    @property
    def n_paths(self) -> int:
        return int(self.spot.shape[1])

    @property
    def horizon(self) -> float:
        return float(self.times[-1])

    @property
    def time_steps(self) -> FloatArray:
        """Step lengths ``diff(times)`` in years, shape (n_steps,)."""
        return np.diff(self.times)

    @property
    def terminal(self) -> FloatArray:
        """Prices at the horizon, shape (n_paths,)."""
        return self.spot[-1]

    def __repr__(self) -> str:
        stoch = ", with variance" if self.variance is not None else ""
        return (
            f"Paths(n_steps={self.n_steps}, n_paths={self.n_paths}, "
            f"horizon={self.horizon:g}{stoch})"
        )

    def to_frame(self) -> pd.DataFrame:
        """Prices as a DataFrame: index ``time`` (years), one column per path."""
        return pd.DataFrame(self.spot, index=pd.Index(self.times, name="time"))

    def log_returns(self) -> FloatArray:
        """Log returns ``log(S[i+1] / S[i])``, shape (n_steps, n_paths)."""
        return np.diff(np.log(self.spot), axis=0)

    @classmethod
    def from_prices(
        cls,
        prices: Any,
        times: Any = None,
        *,
        periods_per_year: int = TRADING_DAYS_PER_YEAR,
    ) -> Paths:
        """One path from a price history (a pd.Series, a one-column DataFrame or an array).

        Parameters
        ----------
        prices : pd.Series, pd.DataFrame with one column, or array_like, shape (n,)
            Prices in time order, positive and finite, ``n >= 2``.
        times : array_like, shape (n,), optional
            Times in years, starting at 0. Default ``arange(n) / periods_per_year``:
            one trading period per observation, whatever the calendar dates.
        periods_per_year : int, default 252
            Observations per year when ``times`` is not given.

        Returns
        -------
        Paths
            ``n_paths == 1`` and ``n_steps == n - 1``.

        Examples
        --------
        >>> Paths.from_prices([100.0, 101.0, 99.5]).times.tolist()
        [0.0, 0.003968253968253968, 0.007936507936507936]
        """
        if isinstance(prices, pd.DataFrame):
            if prices.shape[1] != 1:
                raise HedgeLibError(
                    f"prices must be a Series or a one-column DataFrame, got "
                    f"{prices.shape[1]} columns"
                )
            prices = prices.iloc[:, 0]
        values = as_array(prices.to_numpy() if isinstance(prices, pd.Series) else prices, "prices")
        if values.ndim != 1 or values.size < 2:
            raise HedgeLibError(
                f"prices must be one series of at least 2 prices, got shape {values.shape}"
            )
        check_positive(values, "prices")
        ppy = check_int(periods_per_year, "periods_per_year")
        if times is None:
            t = np.arange(values.size, dtype=np.float64) / ppy
        else:
            t = as_array(times, "times")
            if t.shape != values.shape:
                raise HedgeLibError(
                    f"times must have the shape of prices {values.shape}, got {t.shape}"
                )
        return cls(t, values.reshape(-1, 1))
