"""Helpers shared by the figure builders."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from hedgelib._typing import ArrayLike, FloatArray
from hedgelib.conventions import HedgeLibError

# Red for losses, blue for gains: plotly's "RdBu" runs from red (low) to blue (high).
PNL_COLORSCALE = "RdBu"


def vector(value: ArrayLike, name: str) -> FloatArray:
    # NaN is allowed here (plotly draws a gap), unlike in pricing inputs.
    if isinstance(value, str | bytes) or value is None:
        raise HedgeLibError(f"{name} must be an array of numbers, got {value!r}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise HedgeLibError(f"{name} must be an array of numbers, got {value!r}") from None
    if arr.ndim != 1:
        raise HedgeLibError(f"{name} must be one-dimensional, got an array of shape {arr.shape}")
    return arr


def same_length(reference: FloatArray, other: FloatArray, name: str) -> None:
    if other.shape != reference.shape:
        raise HedgeLibError(
            f"{name} must have the same length as spot_grid ({reference.size}), got {other.size}"
        )


def finite_values(values: Iterable[float] | None) -> list[float]:
    return [float(v) for v in (values or ()) if np.isfinite(v)]


