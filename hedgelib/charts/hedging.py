"""Figures for hedging experiments: P&L distributions, attribution, costs and sample paths.

Data in, ``go.Figure`` out: the builders take arrays and mappings (for instance from a
:class:`~hedgelib.hedging.result.HedgeResult`), never a result object, so they serve
simulated and historical hedges alike. Axis titles carry units; the defaults assume
currency and trading days, and callers that rescale pass their own titles.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hedgelib._typing import ArrayLike, FloatArray
from hedgelib.charts._common import (
    HEDGED_COLOUR,
    LEGEND_ABOVE,
    UNHEDGED_COLOUR,
    finish,
    finite_values,
    hedge_colour,
    label_vlines,
    shared_edges,
    vector,
)
from hedgelib.conventions import HedgeLibError, check_int

__all__ = [
    "attribution_waterfall_figure",
    "cost_breakdown_figure",
    "pnl_histogram_figure",
    "sample_paths_figure",
]

# The quantiles that bound the default view: wide enough for VaR 99%, narrow enough that a
# few crash paths do not squash the body of the distribution into one bar.
_VIEW_QUANTILES = (0.005, 0.995)


def _robust_view(samples: list[FloatArray]) -> tuple[float, float]:
    spans = [np.quantile(s[np.isfinite(s)], _VIEW_QUANTILES) for s in samples if np.isfinite(s).any()]
    if not spans:
        raise HedgeLibError("the P&L samples hold no finite value to plot")
    lo, hi = min(float(a) for a, _ in spans), max(float(b) for _, b in spans)
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(lo), 1.0) * 1e-3
    return lo - pad, hi + pad


def _own_edges(sample: FloatArray, n_bins: int, view: tuple[float, float]) -> FloatArray:
    # Bins as wide as the sample's own robust spread over n_bins, covering all its values in
    # the view: a tight hedged P&L gets fine bins instead of one spike.
    finite = sample[np.isfinite(sample)]
    inside = finite[(finite >= view[0]) & (finite <= view[1])]
    if inside.size == 0:
        return np.linspace(view[0], view[1], n_bins + 1)
    q_lo, q_hi = np.quantile(finite, _VIEW_QUANTILES)
    lo, hi = float(inside.min()), float(inside.max())
    width = float(q_hi - q_lo if q_hi > q_lo else hi - lo) / n_bins
    if width <= 0:
        pad = max(abs(lo), 1.0) * 1e-3
        return np.array([lo - pad, hi + pad])
    count = int(np.ceil((hi - lo) / width))
    if count > 4 * n_bins:
        # Far outliers inside the view would ask for very many bins: widen them instead.
        return np.linspace(lo, hi, 4 * n_bins + 1)
    return lo + width * np.arange(max(count, 1) + 1)


def pnl_histogram_figure(
    hedged: ArrayLike, unhedged: ArrayLike | None = None, *, bins: int = 80,
    x_range: tuple[float, float] | None = None, markers: Mapping[str, float] | None = None,
    names: tuple[str, str] = ("Hedged", "Unhedged"), title: str = "P&L per path at the horizon",
    x_title: str = "P&L (currency)", y_title: str = "Paths in each bin (%)",
) -> go.Figure:
    """Histograms of the hedged and the unhedged P&L, one panel each on a shared P&L axis.

    Parameters
    ----------
    hedged : array_like, shape (n_paths,)
        P&L of book plus hedge per path, in currency.
    unhedged : array_like, shape (n_paths,), optional
        P&L of the book alone on the same paths: drawn in a second panel below.
    bins : int, default 80
        Number of bins across each sample's robust spread (its 0.5% to 99.5% quantiles), so
        a tight hedged P&L gets fine bins and a wide unhedged one coarse bins; with
        ``x_range``, the number of equal bins both samples share over that range.
    x_range : (float, float), optional
        Range binned and shown, on shared bins (a zoom). By default the view spans the 0.5%
        to 99.5% quantiles of both samples; paths outside it are left out of the bars, and a
        note under the plot says how many.
    markers : mapping of str to float, optional
        Vertical reference lines on the first panel, label to P&L (e.g.
        ``{"mean": -0.02, "VaR 99%": -1.3}``), labelled inside its top, in rows where labels
        would overlap.
    names : (str, str)
        Panel titles of the two samples; a name with "unhedged" gets the unhedged colour.
    title, x_title, y_title : str
        Figure and axis titles (with units).

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` trace per sample, each in its own panel (rows sharing the x axis),
        bar heights in percent of all paths; one dotted line per marker.

    Notes
    -----
    Counts are binned in numpy and drawn as bars, so the figure's size does not grow with
    the number of paths. A perfect hedge of a book sold at its fair value concentrates
    the P&L at zero; its spread, the *hedge error*, shrinks like :math:`1/\\sqrt{N}` with
    the number of rebalances :math:`N` (Derman and Kamal 1999, *Risk* 12(1)). Each panel
    has its own height scale: on one shared axis a short option's unhedged P&L, which
    puts half the paths in the single bin of the premium kept, flattens the hedged
    histogram into a sliver. The shared P&L axis keeps the comparison that matters, the
    widths.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> fig = pnl_histogram_figure(rng.normal(0, 0.4, 1000), rng.normal(0, 6, 1000), bins=40)
    >>> [(t.name, t.yaxis) for t in fig.data]
    [('Hedged', 'y'), ('Unhedged', 'y2')]
    """
    n_bins = check_int(bins, "bins", minimum=1)
    samples = [vector(hedged, "hedged")]
    if unhedged is not None:
        samples.append(vector(unhedged, "unhedged"))
    if x_range is not None:
        edges = shared_edges(samples, n_bins, x_range)
        view = (float(edges[0]), float(edges[-1]))
        per_sample = [edges] * len(samples)
    else:
        view = _robust_view(samples)
        per_sample = [_own_edges(s, n_bins, view) for s in samples]
    panels = len(samples)
    fig = make_subplots(rows=panels, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=list(names[:panels]) if panels > 1 else None)
    outside = []
    defaults = (HEDGED_COLOUR, UNHEDGED_COLOUR)
    for i, (sample, name, edges) in enumerate(zip(samples, names, per_sample, strict=False)):
        finite = sample[np.isfinite(sample)]
        shown = (finite >= view[0]) & (finite <= view[1])
        counts, _ = np.histogram(finite[shown], bins=edges)
        share = 100.0 * counts / max(sample.size, 1)
        colour = hedge_colour(name) or defaults[i]
        fig.add_trace(
            go.Bar(
                x=0.5 * (edges[:-1] + edges[1:]), y=share, width=float(edges[1] - edges[0]),
                name=name, opacity=0.75, marker={"color": colour, "line": {"width": 0}},
                customdata=np.column_stack([edges[:-1], edges[1:]]),
                hovertemplate="P&L %{customdata[0]:.3g} to %{customdata[1]:.3g}<br>"
                              "%{y:.2f}% of paths<extra>" + name + "</extra>",
            ),
            row=i + 1, col=1,
        )
        left_out = 1.0 - shown.mean() if finite.size else 0.0
        if x_range is None and left_out > 0:
            outside.append(f"{100 * left_out:.1f}% of {name.lower()} paths")
    lines = [(float(v), str(k), None) for k, v in (markers or {}).items() if np.isfinite(v)]
    for x, _, _ in lines:
        fig.add_vline(x=x, line={"width": 1, "dash": "dot", "color": "gray"}, row=1, col=1)
    label_vlines(fig, lines, view)
    margin = {"t": 90}
    if outside:
        fig.add_annotation(
            text=f"View trimmed to the 0.5%-99.5% quantiles: {' and '.join(outside)} lie outside "
                 "(zoom out or set a range to see them).",
            xref="paper", x=0.0, xanchor="left", yref="paper", y=0.0, yanchor="top", yshift=-58,
            showarrow=False, font={"size": 11, "color": "gray"},
        )
        margin["b"] = 100
    # Two panels are named by their titles; one keeps its legend entry above the plot.
    finish(fig, title, x_title, y_title, bargap=0.0, legend=LEGEND_ABOVE, showlegend=panels == 1,
           margin=margin, height=300 + 200 * panels, x={"range": list(view)})
    if panels > 1:
        fig.update_xaxes(title_text=None, row=1, col=1)
    return fig


def _signed(value: float, scale: float) -> str:
    # Terms a billion times smaller than the largest are float rounding of an exact zero
    # (a delta-neutral book's delta P&L): label them 0 rather than "-1.6e-18".
    return "0" if abs(value) <= 1e-9 * scale else f"{value:+.3g}"


def attribution_waterfall_figure(
    terms: Mapping[str, float], *, total: float | None = None, total_name: str = "P&L",
    title: str = "Where the P&L comes from (mean per path)",
    y_title: str = "Mean P&L per path (currency)",
) -> go.Figure:
    """A waterfall of P&L terms ending in their total.

    Parameters
    ----------
    terms : mapping of str to float
        Label to contribution, in currency, in display order (e.g. the means over paths of
        ``HedgeResult.attribution`` or ``HedgeResult.explain``).
    total : float, optional
        The total drawn as the last bar; default the sum of the terms. When the terms are
        an exact decomposition (as the engine's are) the two agree to rounding.
    total_name : str
        Label of the total bar.
    title, y_title : str
        Figure and y-axis titles (with units).

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Waterfall`` trace: a relative bar per term, then an absolute total bar.

    Notes
    -----
    Bookkeeping view: :math:`\\mathrm{P\\&L} = \\mathrm{entry} + \\mathrm{option\\ MtM} +
    \\mathrm{hedge\\ gains} + \\mathrm{financing} - \\mathrm{costs}`. Greek view (the
    "P&L explain" of a trading desk): :math:`\\sum_i \\Delta_i\\,\\delta S_i +
    \\tfrac12\\Gamma_i\\,\\delta S_i^2 + \\Theta_i\\,\\delta t + \\mathcal V_i\\,\\delta\\sigma_i`
    plus a residual (Hull 2021, ch. 19: Taylor expansion of the position's value).

    Examples
    --------
    >>> fig = attribution_waterfall_figure({"entry": 0.0, "gamma": -1.5, "theta": 1.6})
    >>> list(fig.data[0].measure), round(float(fig.data[0].y[-1]), 6)
    (['relative', 'relative', 'relative', 'total'], 0.1)
    """
    if not terms:
        raise HedgeLibError("terms must hold at least one P&L term, got an empty mapping")
    labels = [str(k) for k in terms]
    values = [float(v) for v in terms.values()]
    if not all(np.isfinite(values)):
        raise HedgeLibError(f"terms must be finite numbers, got {dict(zip(labels, values, strict=True))!r}")
    end = float(np.sum(values)) if total is None else float(total)
    scale = max(max(abs(v) for v in values), abs(end))
    fig = go.Figure(
        go.Waterfall(
            x=[*labels, total_name],
            y=[*values, end],
            measure=["relative"] * len(values) + ["total"],
            text=[_signed(v, scale) for v in values] + [f"{end:.3g}"],
            textposition="outside",
            connector={"line": {"width": 1, "color": "gray"}},
            increasing={"marker": {"color": "#2c7fb8"}},
            decreasing={"marker": {"color": "#d7301f"}},
            totals={"marker": {"color": "#7f7f7f"}},
            hovertemplate="%{x}: %{y:.4g}<extra></extra>",
        )
    )
    return finish(
        fig, title, "Term", y_title, showlegend=False, margin={"t": 70}, height=480,
        x={"tickangle": -30, "automargin": True},
    )


def cost_breakdown_figure(
    costs: Mapping[str, float],
    *,
    title: str = "Mean transaction cost by component",
    x_title: str = "Mean cost per path (currency)",
) -> go.Figure:
    """Horizontal bars: the mean cost of each component (proportional, fixed, impact, ...).

    Parameters
    ----------
    costs : mapping of str to float
        Component label to mean cost per path (positive = paid), in currency.
    title, x_title : str
        Figure and value-axis titles.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` trace (``orientation="h"``), components in the given order from the
        top, each bar labelled with its value and share of the total.

    Notes
    -----
    For a trade of :math:`q` shares at :math:`S`: proportional :math:`k|q|S`, fixed
    :math:`F` per rebalance, square-root impact :math:`\\eta\\sigma_d S|q|\\sqrt{|q|/V_d}`
    (Almgren et al. 2005), option spread :math:`s\\,O\\,|u|`.

    Examples
    --------
    >>> fig = cost_breakdown_figure({"proportional": 0.12, "per trade": 0.0})
    >>> list(fig.data[0].y), fig.data[0].orientation
    (['proportional', 'per trade'], 'h')
    """
    if not costs:
        raise HedgeLibError("costs must hold at least one component, got an empty mapping")
    labels = [str(k) for k in costs]
    values = np.array([float(v) for v in costs.values()])
    if not np.isfinite(values).all():
        raise HedgeLibError(f"costs must be finite numbers, got {dict(zip(labels, values.tolist(), strict=True))!r}")
    total = float(values.sum())
    text = [f"{v:.4g}" + (f" ({100 * v / total:.0f}%)" if total > 0 else "") for v in values]
    fig = go.Figure(
        go.Bar(
            x=values, y=labels, orientation="h", text=text, textposition="auto",
            marker={"color": "#d7301f"}, hovertemplate="%{y}: %{x:.4g}<extra></extra>",
        )
    )
    fig.update_layout(title={"text": title}, showlegend=False, height=max(260, 70 * len(labels) + 140))
    fig.update_yaxes(title_text="Component", autorange="reversed")
    fig.update_xaxes(title_text=x_title, rangemode="tozero")
    return fig


def _matrix(value: ArrayLike, name: str, n_times: int) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n_times:
        raise HedgeLibError(
            f"{name} must have shape (len(times), n_paths) = ({n_times}, k), got {np.shape(value)}"
        )
    return arr


def sample_paths_figure(
    times: ArrayLike, spot: ArrayLike, stock: ArrayLike, pnl: ArrayLike, *,
    option: ArrayLike | None = None, labels: list[str] | None = None,
    strikes: tuple[float, ...] = (), title: str = "Sample paths: spot, hedge and running P&L",
    x_title: str = "Time (trading days)", spot_title: str = "Spot (currency)",
    stock_title: str = "Stock held (shares)", option_title: str = "Hedge options held (units)",
    pnl_title: str = "Running P&L (currency)",
) -> go.Figure:
    """A few paths, stacked: spot, hedge positions and running P&L against time.

    Parameters
    ----------
    times : array_like, shape (n_times,)
        Grid times (in the unit of ``x_title``).
    spot : array_like, shape (n_times, k)
        Spot of each of the ``k`` paths, time-major (a 1-D array is one path).
    stock : array_like, shape (n_times, k)
        Shares of the underlying held after each step's trade.
    pnl : array_like, shape (n_times, k)
        Mark-to-market P&L of book plus hedge (premium included) after each step.
    option : array_like, shape (n_times, k), optional
        Units of the hedge option held; adds a subplot when given.
    labels : list of str, optional
        Legend name per path; default "path 1", "path 2", ...
    strikes : tuple of float
        Strikes drawn as faint lines on the spot subplot.
    title, x_title, spot_title, stock_title, option_title, pnl_title : str
        Figure and axis titles (with units).

    Returns
    -------
    plotly.graph_objects.Figure
        Three (or four) subplots sharing the time axis; one line per path on each, the same
        colour for a path throughout, one legend entry per path.

    Notes
    -----
    A delta hedge holds :math:`x_t = -\\Delta_{book}(t, S_t)` shares: the stock line mirrors
    the book's delta, stepping only when the rule trades. The running P&L is the value of
    cash, hedge and book, :math:`C_t + x_t S_t + V_t`; a good hedge keeps it flat (Hull
    2021, ch. 19).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(4.0)
    >>> fig = sample_paths_figure(t, np.full((4, 2), 100.0), np.zeros((4, 2)), np.zeros((4, 2)))
    >>> len(fig.data), fig.layout.yaxis.title.text
    (6, 'Spot (currency)')
    """
    t = vector(times, "times")
    n = t.size
    series = [(_matrix(spot, "spot", n), spot_title), (_matrix(stock, "stock", n), stock_title)]
    if option is not None:
        series.append((_matrix(option, "option", n), option_title))
    series.append((_matrix(pnl, "pnl", n), pnl_title))
    k = series[0][0].shape[1]
    for arr, name in series[1:]:
        if arr.shape[1] != k:
            raise HedgeLibError(f"{name} must have {k} paths like spot, got {arr.shape[1]}")
    if labels is None:
        labels = [f"path {j + 1}" for j in range(k)]
    if len(labels) != k:
        raise HedgeLibError(f"labels must name the {k} paths, got {len(labels)}")
    rows = len(series)
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.05)
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
               "#7f7f7f", "#bcbd22", "#17becf"]
    for row, (arr, name) in enumerate(series, start=1):
        for j in range(k):
            fig.add_trace(
                go.Scatter(
                    x=t, y=arr[:, j], mode="lines", name=labels[j], legendgroup=labels[j],
                    showlegend=row == 1, line={"color": palette[j % len(palette)], "width": 1.5},
                    hovertemplate="%{x:.4g}: %{y:.4g}<extra>" + labels[j] + "</extra>",
                    line_shape="hv" if row not in (1, rows) else "linear",
                ),
                row=row, col=1,
            )
        fig.update_yaxes(title_text=name, row=row, col=1)
    for strike in finite_values(strikes):
        fig.add_hline(y=strike, line={"width": 1, "dash": "dot", "color": "gray"}, opacity=0.5,
                      row=1, col=1)
    fig.update_xaxes(title_text=x_title, row=rows, col=1)
    fig.update_layout(
        title={"text": title}, height=260 * rows + 80, margin={"t": 90},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0.0},
    )
    return fig
