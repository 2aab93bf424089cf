"""Helpers shared by the figure builders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from hedgelib._typing import ArrayLike, FloatArray
from hedgelib.conventions import HedgeLibError

# Red for losses, blue for gains: plotly's "RdBu" runs from red (low) to blue (high).
PNL_COLORSCALE = "RdBu"
# A horizontal legend above the plot, where it never covers the data.
LEGEND_ABOVE = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0.0}


def finish(fig: Any, title: str, x_title: str, y_title: str, *, x: dict | None = None,
           y: dict | None = None, **layout: Any) -> Any:
    """Give a figure its title, axis titles (with axis options ``x``, ``y``) and layout."""
    fig.update_layout(title={"text": title}, **layout)
    fig.update_xaxes(title_text=x_title, **(x or {}))
    fig.update_yaxes(title_text=y_title, **(y or {}))
    return fig


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


def shared_edges(samples: list[FloatArray], bins: int, x_range: tuple[float, float] | None) -> FloatArray:
    if x_range is not None:
        lo, hi = float(x_range[0]), float(x_range[1])
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise HedgeLibError(f"x_range must be two finite numbers (low < high), got {x_range!r}")
    else:
        finite = [s[np.isfinite(s)] for s in samples]
        finite = [s for s in finite if s.size]
        if not finite:
            raise HedgeLibError("the P&L samples hold no finite value to plot")
        lo = min(float(s.min()) for s in finite)
        hi = max(float(s.max()) for s in finite)
        if hi <= lo:
            # Every path gave the same P&L: one visible bin around it.
            pad = max(abs(lo), 1.0) * 1e-3
            lo, hi = lo - pad, hi + pad
    return np.linspace(lo, hi, bins + 1)
