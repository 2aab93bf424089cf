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

# Hedged against unhedged, in every figure: Okabe and Ito's blue and orange stay apart for
# the common colour-vision deficiencies and read on light and dark backgrounds alike
# (Streamlit's own theme would otherwise draw two similar blues).
HEDGED_COLOUR = "#0072B2"
UNHEDGED_COLOUR = "#E69F00"

# Beyond these sizes, markers on a date axis merge into a band and thick lines hide each other.
MAX_MARKERS = 120
LONG_SERIES = 500

# Text sizes are guessed for a plot as narrow as a half-width Streamlit column.
_NARROW_PLOT_PX = 340.0
_CHAR_PX = 0.5  # average character width per pixel of font size (Open Sans)


def hedge_colour(name: str) -> str | None:
    """The shared colour of a series named like "hedged" or "unhedged" (or "book"), else None."""
    low = str(name).lower()
    if "unhedged" in low or "no hedge" in low or (low.startswith("book") and "hedge" not in low):
        return UNHEDGED_COLOUR
    if "hedged" in low:
        return HEDGED_COLOUR
    return None


def line_width(n_points: int, width: float) -> float:
    """A thinner line for a long series, so that several lines stay apart."""
    return width if n_points <= LONG_SERIES else max(1.0, 0.6 * width)


def label_vlines(fig: Any, lines: Iterable[tuple[float, str, str | None]], span: tuple[float, float],
                 *, font_size: int = 12) -> None:
    """Label vertical lines inside the top of the plot, in stacked rows where labels would meet.

    ``lines`` holds ``(x, text, colour)``; ``span`` is the x range shown. A label runs to
    the right of its line in the left half of the plot and to the left in the right half, so
    it stays inside; a label that would overlap one already placed drops to the next row.
    """
    lo, hi = float(span[0]), float(span[1])
    width = hi - lo if hi > lo else 1.0
    rows: list[list[tuple[float, float]]] = []
    for x, text, colour in sorted(lines, key=lambda item: item[0]):
        extent = (len(text) * _CHAR_PX * font_size + 8.0) / _NARROW_PLOT_PX * width
        leftwards = x > lo + 0.5 * width
        box = (x - extent, x) if leftwards else (x, x + extent)
        row = next((i for i, taken in enumerate(rows)
                    if all(box[1] <= a or box[0] >= b for a, b in taken)), len(rows))
        if row == len(rows):
            rows.append([])
        rows[row].append(box)
        fig.add_annotation(
            x=x, xref="x", y=1.0, yref="y domain", yanchor="top",
            xanchor="right" if leftwards else "left", yshift=-2 - row * (font_size + 8),
            text=text, showarrow=False, font={"size": font_size, "color": colour},
        )


def legend_below(names: Iterable[str]) -> tuple[dict, int]:
    """A horizontal legend at the foot of the figure and the bottom margin it needs.

    Above the plot a legend that wraps in a narrow column grows into the title; anchored to
    the figure's bottom edge, under the x-axis title, it can only push the plot up.
    """
    rows, used = 1, 0.0
    for name in names:
        item = len(str(name)) * _CHAR_PX * 12 + 40.0
        if used and used + item > _NARROW_PLOT_PX:
            rows, used = rows + 1, 0.0
        used += item
    legend = {"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom",
              "x": 0.0, "xanchor": "left"}
    return legend, 70 + 22 * rows


def log_ticks(*arrays: Any) -> dict:
    """Axis options for a log axis: ticks at 1, 2, 5 times powers of ten, each a full number.

    Plotly's own log ticks label the minor ticks "2" and "5" alone, which reads like a
    count; these print every tick in full ("20", "0.05"). Decades only when 1-2-5 would
    crowd the axis.
    """
    values = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays if a is not None] or [[]])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return {}
    k0, k1 = int(np.floor(np.log10(values.min()))), int(np.ceil(np.log10(values.max())))
    steps = (1, 2, 5) if k1 - k0 <= 4 else (1,)
    ticks = [float(f"{m}e{k}") for k in range(k0, k1 + 1) for m in steps]
    ticks = [t for t in ticks if t <= 10.0 ** k1]
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [_plain(t) for t in ticks]}


def _plain(value: float) -> str:
    if value >= 1:
        return f"{value:,.0f}"
    return f"{value:.{-int(np.floor(np.log10(value)))}f}"


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
