"""Figures for the risk of a book: VaR and ES bars, stress heatmaps, scenario histograms.

Data in, ``go.Figure`` out (see :mod:`hedgelib.charts`): the builders take arrays and
mappings, for instance from :class:`hedgelib.stress.StressGrid` or
:class:`hedgelib.stress.HistoricalVaR`, and know nothing of how they were computed. Losses
are red, gains blue; axis titles carry units, and callers that rescale (percent, vol points)
pass their own titles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hedgelib._typing import ArrayLike
from hedgelib.charts._common import (
    HEDGED_COLOUR,
    LEGEND_ABOVE,
    PNL_COLORSCALE,
    UNHEDGED_COLOUR,
    finish,
    hedge_colour,
    label_vlines,
    vector,
)
from hedgelib.conventions import HedgeLibError, check_int

__all__ = [
    "revaluation_figure",
    "risk_bars_figure",
    "scenario_histogram_figure",
    "stress_heatmaps_figure",
]

# Cell text: readable at this size up to this many cells across all panels (or down), smaller
# beyond, for a full-width chart.
_CELL_FONT = 12
_CELLS_AT_FULL_SIZE = 22


def _cell_format(largest: float) -> str:
    # Three significant digits of the largest cell, and never fewer than whole units.
    decimals = int(np.clip(2 - np.floor(np.log10(largest)), 0, 4)) if largest > 0 else 2
    return f"%{{z:,.{decimals}f}}"


def _cell_font(n_across: int, n_down: int) -> int:
    crowd = max(n_across / _CELLS_AT_FULL_SIZE, n_down / _CELLS_AT_FULL_SIZE, 1.0)
    return max(7, int(round(_CELL_FONT / crowd)))


def risk_bars_figure(
    measures: Mapping[str, Mapping[str, float]],
    *,
    title: str = "Value at risk and expected shortfall",
    y_title: str = "Loss (currency)",
) -> go.Figure:
    """Grouped bars of risk measures, one group per measure and one colour per position.

    Parameters
    ----------
    measures : mapping of str to mapping of str to float
        Position name to ``{measure name: loss}``, e.g. ``{"Unhedged": {"VaR 95%": 4.1,
        "ES 95%": 5.2}, "Hedged": {...}}``; losses are positive numbers (house convention).
        Every position must list the same measures.
    title, y_title : str
        Figure and axis titles (with units).

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` trace per position (``barmode="group"``), values printed on the bars.

    Examples
    --------
    >>> fig = risk_bars_figure({"Unhedged": {"VaR 99%": 5.0}, "Hedged": {"VaR 99%": 1.0}})
    >>> [t.name for t in fig.data], fig.layout.barmode
    (['Unhedged', 'Hedged'], 'group')
    """
    if not isinstance(measures, Mapping) or not measures:
        raise HedgeLibError(f"measures must be a non-empty mapping of positions, got {measures!r}")
    names = None
    fig = go.Figure()
    palette = (UNHEDGED_COLOUR, HEDGED_COLOUR)
    for i, (position, values) in enumerate(measures.items()):
        if not isinstance(values, Mapping) or not values:
            raise HedgeLibError(f"measures[{position!r}] must be a non-empty mapping, got {values!r}")
        if names is None:
            names = list(values)
        elif list(values) != names:
            raise HedgeLibError(
                f"every position must list the same measures {names}, got {list(values)} for {position!r}"
            )
        y = vector([values[n] for n in names], f"measures[{position!r}]")
        fig.add_trace(
            go.Bar(
                x=names, y=y, name=str(position), marker={"color": hedge_colour(position) or palette[i % 2]},
                text=[f"{v:,.3g}" for v in y], textposition="outside",
                hovertemplate="%{x}: %{y:,.4f}<extra>" + str(position) + "</extra>",
            )
        )
    return finish(
        fig, title, "Measure", y_title, barmode="group", legend=LEGEND_ABOVE, margin={"t": 90},
    )


def stress_heatmaps_figure(
    spot_shocks: ArrayLike, vol_shocks: ArrayLike, panels: Mapping[str, ArrayLike], *,
    x_title: str = "Spot shock (relative)", y_title: str = "Volatility shock (decimal)",
    colorbar_title: str = "P&L (currency)", title: str = "Stress grid",
) -> go.Figure:
    """Side-by-side P&L heatmaps over spot x volatility shocks, on one shared colour scale.

    Parameters
    ----------
    spot_shocks : array_like, shape (n_spot,)
        Horizontal axis (e.g. relative spot shocks, or the same in percent).
    vol_shocks : array_like, shape (n_vol,)
        Vertical axis (e.g. volatility shocks, or the same in vol points).
    panels : mapping of str to array_like, each shape (n_spot, n_vol)
        Panel title to P&L grid, rows by spot shock and columns by volatility shock (the
        orientation of :class:`hedgelib.stress.StressGrid` frames), in currency.
    x_title, y_title, colorbar_title, title : str
        Axis, colour-bar and figure titles, with units.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Heatmap`` per panel sharing one colour axis: red losses, blue gains, white
        at zero, the same colour meaning the same P&L in every panel; each cell is printed.

    Notes
    -----
    The shared scale is symmetric, :math:`[-m, m]` with :math:`m` the largest absolute P&L
    of all panels, so a hedged position that is nearly white is visibly flat next to a red
    and blue book.

    Examples
    --------
    >>> import numpy as np
    >>> fig = stress_heatmaps_figure([-0.1, 0.0, 0.1], [0.0, 0.05],
    ...                              {"Book": np.ones((3, 2)), "Hedged": np.zeros((3, 2))})
    >>> [t.type for t in fig.data], fig.layout.coloraxis.cmax
    (['heatmap', 'heatmap'], 1.0)
    """
    xs = vector(spot_shocks, "spot_shocks")
    ys = vector(vol_shocks, "vol_shocks")
    if not isinstance(panels, Mapping) or not panels:
        raise HedgeLibError(f"panels must be a non-empty mapping of title to grid, got {panels!r}")
    grids = {}
    for name, grid in panels.items():
        z = np.asarray(grid, dtype=np.float64)
        if z.shape != (xs.size, ys.size):
            raise HedgeLibError(
                f"panel {name!r} must have shape (len(spot_shocks), len(vol_shocks)) = "
                f"{(xs.size, ys.size)}, got {z.shape}"
            )
        grids[str(name)] = z
    finite = [np.abs(z[np.isfinite(z)]) for z in grids.values()]
    m = max((float(a.max()) for a in finite if a.size), default=0.0)
    template = _cell_format(m)
    font = _cell_font(xs.size * len(grids), ys.size)
    m = m if m > 0 else 1.0
    fig = make_subplots(rows=1, cols=len(grids), subplot_titles=list(grids),
                        shared_yaxes=True, horizontal_spacing=0.06)
    for i, (name, z) in enumerate(grids.items(), start=1):
        fig.add_trace(
            go.Heatmap(
                x=xs, y=ys, z=z.T, coloraxis="coloraxis", name=name,
                texttemplate=template, textfont={"size": font},
                hovertemplate=(
                    f"<b>{name}</b><br>{x_title}: %{{x:.4g}}<br>{y_title}: %{{y:.4g}}<br>"
                    f"{colorbar_title}: %{{z:,.4f}}<extra></extra>"
                ),
            ),
            row=1, col=i,
        )
        fig.update_xaxes(title_text=x_title, row=1, col=i)
    fig.update_yaxes(title_text=y_title, row=1, col=1)
    fig.update_layout(
        title={"text": title},
        coloraxis={"colorscale": PNL_COLORSCALE, "cmin": -m, "cmax": m, "cmid": 0.0,
                   "colorbar": {"title": {"text": colorbar_title}}},
    )
    return fig


def revaluation_figure(
    spot_shocks: ArrayLike, lines: Mapping[str, ArrayLike], *,
    x_title: str = "Spot shock (relative)", y_title: str = "P&L (currency)",
    title: str = "Full revaluation against the greek approximation",
) -> go.Figure:
    """P&L against the spot shock: full revaluation as solid lines, approximations dashed.

    Parameters
    ----------
    spot_shocks : array_like, shape (n,)
        Horizontal axis.
    lines : mapping of str to array_like, shape (n,)
        Legend name to P&L. Names containing ``"approx"`` (any case) are drawn dashed; the
        colour follows ``"hedged"`` (blue) or else the book (orange).
    x_title, y_title, title : str
        Axis and figure titles, with units.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Scatter`` line per entry, and a zero line.

    Examples
    --------
    >>> fig = revaluation_figure([-0.1, 0.0, 0.1], {"Book": [1, 0, 1], "Book (approx)": [1, 0, 1]})
    >>> [t.line.dash for t in fig.data]
    ['solid', 'dash']
    """
    xs = vector(spot_shocks, "spot_shocks")
    if not isinstance(lines, Mapping) or not lines:
        raise HedgeLibError(f"lines must be a non-empty mapping of name to P&L, got {lines!r}")
    fig = go.Figure()
    for name, values in lines.items():
        y = vector(values, f"lines[{name!r}]")
        if y.shape != xs.shape:
            raise HedgeLibError(
                f"lines[{name!r}] must have the same length as spot_shocks ({xs.size}), got {y.size}"
            )
        label = str(name)
        colour = HEDGED_COLOUR if hedge_colour(label) == HEDGED_COLOUR else UNHEDGED_COLOUR
        fig.add_trace(
            go.Scatter(
                x=xs, y=y, mode="lines+markers", name=label,
                line={"color": colour, "dash": "dash" if "approx" in label.lower() else "solid"},
                hovertemplate=f"{x_title}: %{{x:.4g}}<br>{y_title}: %{{y:,.4f}}<extra>{label}</extra>",
            )
        )
    fig.add_hline(y=0.0, line={"width": 1, "color": "gray"})
    return finish(fig, title, x_title, y_title, legend=LEGEND_ABOVE, margin={"t": 90})


def scenario_histogram_figure(
    samples: Mapping[str, ArrayLike], *, var: Mapping[str, float] | None = None,
    es: Mapping[str, float] | None = None, bins: int = 60, title: str = "Historical scenario P&L",
    x_title: str = "P&L over the horizon (currency)", y_title: str = "Share of scenarios (%)",
    level_label: str = "",
) -> go.Figure:
    """Overlaid histograms of scenario P&Ls on shared bins, with VaR and ES lines.

    Parameters
    ----------
    samples : mapping of str to array_like, shape (n,)
        Position name to its P&L per scenario (currency), e.g. ``{"Book": ..., "Hedged":
        ...}``; at most two positions (book orange, hedged blue).
    var, es : mapping of str to float, optional
        Position name to its VaR and ES (positive losses); each is drawn at ``-value`` in the
        position's colour, VaR dashed and ES dotted.
    bins : int, default 60
        Number of equal bins over the range of all the samples.
    title, x_title, y_title : str
        Figure and axis titles, with units.
    level_label : str
        Text added to the line labels, e.g. ``"99%"``.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` trace per position (overlaid, semi-transparent, heights in percent of
        scenarios) and one vertical line per VaR and ES.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> fig = scenario_histogram_figure({"Book": rng.normal(size=500)}, var={"Book": 2.3},
    ...                                 es={"Book": 2.7}, level_label="99%")
    >>> len(fig.data), len(fig.layout.shapes)
    (1, 2)
    """
    n_bins = check_int(bins, "bins", minimum=1)
    if not isinstance(samples, Mapping) or not 1 <= len(samples) <= 2:
        raise HedgeLibError(f"samples must map one or two position names to P&L, got {samples!r}")
    arrays = {str(k): vector(v, f"samples[{k!r}]") for k, v in samples.items()}
    finite = np.concatenate([a[np.isfinite(a)] for a in arrays.values()])
    if finite.size == 0:
        raise HedgeLibError("the scenario samples hold no finite value to plot")
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        pad = max(abs(lo), 1.0) * 1e-3
        lo, hi = lo - pad, hi + pad
    edges = np.linspace(lo, hi, n_bins + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    colours = {}
    fig = go.Figure()
    for i, (name, a) in enumerate(arrays.items()):
        colour = hedge_colour(name) or (UNHEDGED_COLOUR if i == 0 else HEDGED_COLOUR)
        colours[name] = colour
        counts, _ = np.histogram(a[np.isfinite(a)], bins=edges)
        fig.add_trace(
            go.Bar(
                x=centres, y=100.0 * counts / max(a.size, 1), width=float(edges[1] - edges[0]),
                name=name, opacity=0.6, marker={"color": colour, "line": {"width": 0}},
                hovertemplate="P&L %{x:.4g}<br>%{y:.2f}% of scenarios<extra>" + name + "</extra>",
            )
        )
    suffix = f" {level_label}" if level_label else ""
    positions: Sequence[tuple[str, Mapping[str, float] | None, str]] = (("VaR", var, "dash"), ("ES", es, "dot"))
    labels = []
    for label, values, dash in positions:
        for name, value in (values or {}).items():
            if str(name) not in arrays:
                raise HedgeLibError(f"{label} given for {name!r}, which is not in samples")
            if np.isfinite(value):
                fig.add_vline(x=-float(value), line={"width": 2, "dash": dash, "color": colours[str(name)]})
                labels.append((-float(value), f"{label}{suffix} {name.lower()}", colours[str(name)]))
    # VaR and ES often sit close together: labels in rows inside the plot, not over each other.
    label_vlines(fig, labels, (lo, hi))
    return finish(
        fig, title, x_title, y_title, barmode="overlay", bargap=0.0, legend=LEGEND_ABOVE,
        margin={"t": 90},
    )
