"""Figures for comparing hedging set-ups: overlaid P&L, frequency sweep, cost-risk frontier.

Data in, ``go.Figure`` out: the builders take arrays and mappings (for instance the columns
of :meth:`~hedgelib.hedging.experiment.Comparison.table`,
:func:`~hedgelib.hedging.experiment.frequency_sweep` or
:func:`~hedgelib.hedging.experiment.cost_risk_frontier`), never a result object. Axis titles
carry units; the defaults assume currency, and callers that rescale pass their own titles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hedgelib._typing import ArrayLike, FloatArray
from hedgelib.charts._common import (
    HEDGED_COLOUR,
    LEGEND_ABOVE,
    UNHEDGED_COLOUR,
    finish,
    hedge_colour,
    legend_below,
    log_ticks,
    shared_edges,
    vector,
)
from hedgelib.conventions import HedgeLibError, check_int

__all__ = [
    "cost_risk_frontier_figure",
    "frequency_sweep_figure",
    "pnl_overlay_figure",
]

# Plotly's qualitative palette, fixed so that a set-up keeps its colour across the page's
# charts, and readable on light and dark backgrounds.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
_THEORY = "#7f7f7f"
# Outline of efficient points: dark enough on white and on Streamlit's dark background.
_OUTLINE = "#9467bd"
# The user's own set-ups: a colour that no rule family, nor hedged or unhedged, uses.
_SETUP = "#CC79A7"
# Marker symbol and legend name of each rule family of cost_risk_frontier.
_FAMILIES = {
    "every_n_steps": ("circle", "Every N steps", "#1f77b4"),
    "delta_band": ("square", "Delta band", "#2ca02c"),
    "whalley_wilmott": ("star", "Whalley-Wilmott band", "#d62728"),
}


def _optional(value: ArrayLike | None, name: str, size: int) -> FloatArray | None:
    if value is None:
        return None
    arr = vector(value, name)
    if arr.size != size:
        raise HedgeLibError(f"{name} must have {size} values like the others, got {arr.size}")
    return arr


# Text labels of the frontier are placed in pixels of a typical plot area (the figure is 600 px
# high with 210 px of margins; width about that of a wide column), trying positions in turn
# until the label covers no other label, marker of a set-up, or the highlighted rule's note.
_PLOT_PX = (560.0, 390.0)
_TEXT_POSITIONS = ("top center", "bottom center", "middle right", "middle left", "top right", "bottom left")
_ARROWS = ((40, -40), (40, 40), (-40, -40), (-40, 40))  # (ax, ay) of the highlight, screen pixels
_FONT_PX = 12.0
Box = tuple[float, float, float, float]


def _to_px(x: float, y: float, x_max: float, y_max: float) -> tuple[float, float]:
    return x / x_max * _PLOT_PX[0], y / y_max * _PLOT_PX[1]


def _text_box(cx: float, cy: float, text: str, position: str, gap: float = 8.0) -> Box:
    w, h = 0.6 * _FONT_PX * len(text), 1.3 * _FONT_PX
    vertical, horizontal = position.split()
    y0 = {"top": cy + gap, "bottom": cy - gap - h}.get(vertical, cy - h / 2)
    x0 = {"right": cx + gap, "left": cx - gap - w}.get(horizontal, cx - w / 2)
    return x0, y0, x0 + w, y0 + h


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _marker_boxes(points: FloatArray, x_max: float, y_max: float) -> list[Box]:
    px = [_to_px(x, y, x_max, y_max) for x, y in points]
    return [(cx - 7, cy - 7, cx + 7, cy + 7) for cx, cy in px]


def _place_labels(points: FloatArray, names: list[str], x_max: float, y_max: float,
                  taken: list[Box], rules: FloatArray) -> list[str]:
    px = [_to_px(x, y, x_max, y_max) for x, y in points]
    markers = _marker_boxes(points, x_max, y_max)
    fixed = taken + _marker_boxes(rules, x_max, y_max)
    positions = []
    for i, ((cx, cy), name) in enumerate(zip(px, names, strict=True)):
        others = fixed + [m for j, m in enumerate(markers) if j != i]
        choice = next((p for p in _TEXT_POSITIONS
                       if not any(_overlaps(_text_box(cx, cy, name, p), o) for o in others)),
                      _TEXT_POSITIONS[i % len(_TEXT_POSITIONS)])
        positions.append(choice)
        fixed = [*fixed, _text_box(cx, cy, name, choice)]
    return positions


def _highlight_arrow(point: tuple[float, float], text: str, setups: FloatArray, rules: FloatArray,
                     x_max: float, y_max: float) -> tuple[tuple[int, int], Box]:
    cx, cy = _to_px(*point, x_max, y_max)
    # A set-up's box reaches up over its label's likeliest place, above the diamond.
    near = [_to_px(x, y, x_max, y_max) for x, y in setups]
    near_boxes = [(x - 7, y - 7, x + 7, y + 7 + 1.6 * _FONT_PX) for x, y in near]
    near_boxes += _marker_boxes(rules, x_max, y_max)
    for ax, ay in _ARROWS:
        box = _text_box(cx + ax, cy - ay, text, "middle center", gap=0.0)
        if not any(_overlaps(box, b) for b in near_boxes):
            return (ax, ay), box
    ax, ay = _ARROWS[0]
    return (ax, ay), _text_box(cx + ax, cy - ay, text, "middle center", gap=0.0)


def pnl_overlay_figure(
    samples: Mapping[str, ArrayLike], *, bins: int = 80, x_range: tuple[float, float] | None = None,
    title: str = "P&L per path at the horizon, by set-up (same paths)",
    x_title: str = "P&L (currency)", y_title: str = "Share of paths (%)",
) -> go.Figure:
    """Overlaid P&L histograms of several set-ups, on shared bins.

    Parameters
    ----------
    samples : mapping of str to array_like, each shape (n_paths,)
        Set-up name to its P&L per path, in currency, in legend order. Sizes may differ.
    bins : int, default 80
        Number of equal bins spanning ``x_range``, shared by every sample so that bar
        heights compare directly.
    x_range : (float, float), optional
        Range binned and shown; default the range of all the values. Values outside are
        left out of the bars (a zoom), so the shares then sum to less than 100%.
    title, x_title, y_title : str
        Figure and axis titles (with units).

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` per set-up (``barmode="overlay"``, semi-transparent), heights in
        percent of that set-up's paths, each with a dotted line at its mean.

    Notes
    -----
    On common paths the histograms differ only through the set-ups: the spread of each is
    its hedge error, of order :math:`\\sqrt{\\pi/4}\\,\\mathcal V\\sigma/\\sqrt N` for a delta
    hedge rebalanced :math:`N` times (Derman and Kamal 1999, *Risk* 12(1)), and costs shift
    it to the left. Counts are binned in numpy, so the figure does not grow with the paths.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> fig = pnl_overlay_figure({"daily": rng.normal(0, 0.4, 500),
    ...                           "weekly": rng.normal(0, 0.9, 500)}, bins=30)
    >>> [t.name for t in fig.data], fig.layout.barmode
    (['daily', 'weekly'], 'overlay')
    """
    if not samples:
        raise HedgeLibError("samples must hold at least one set-up's P&L, got an empty mapping")
    n_bins = check_int(bins, "bins", minimum=1)
    names = [str(k) for k in samples]
    arrays = [vector(v, f"samples[{k!r}]") for k, v in zip(names, samples.values(), strict=True)]
    edges = shared_edges(arrays, n_bins, x_range)
    centres = 0.5 * (edges[:-1] + edges[1:])
    width = float(edges[1] - edges[0])
    # Many overlaid bars blur into one colour: fainter when there are more of them.
    opacity = max(0.3, 0.75 - 0.1 * len(arrays))
    fig = go.Figure()
    # The unhedged sample keeps its shared colour; the set-ups take the palette without it.
    palette = [c for c in PALETTE if c.upper() not in (HEDGED_COLOUR, UNHEDGED_COLOUR)]
    next_colour = iter(palette * (len(arrays) // len(palette) + 1))
    for name, x in zip(names, arrays, strict=True):
        colour = UNHEDGED_COLOUR if hedge_colour(name) == UNHEDGED_COLOUR else next(next_colour)
        finite = x[np.isfinite(x)]
        counts, _ = np.histogram(finite, bins=edges)
        fig.add_trace(
            go.Bar(
                x=centres, y=100.0 * counts / max(x.size, 1), width=width, name=name,
                opacity=opacity, marker={"color": colour, "line": {"width": 0}},
                hovertemplate="P&L %{x:.3g}<br>%{y:.2f}% of paths<extra>" + name + "</extra>",
            )
        )
        if finite.size:
            fig.add_vline(x=float(finite.mean()), line={"width": 1.5, "dash": "dot", "color": colour})
    if len(names) <= 3:
        return finish(fig, title, x_title, y_title, barmode="overlay", bargap=0.0, margin={"t": 90},
                      legend=LEGEND_ABOVE)
    # More set-ups wrap the legend into rows; above the plot they would cover the title.
    legend, bottom = legend_below(names)
    return finish(fig, title, x_title, y_title, barmode="overlay", bargap=0.0, legend=legend,
                  margin={"t": 60, "b": bottom}, height=420 + bottom)


def frequency_sweep_figure(
    n_rebalances: ArrayLike, pnl_std: ArrayLike, mean_cost: ArrayLike, *,
    pnl_std_se: ArrayLike | None = None, mean_cost_se: ArrayLike | None = None,
    derman_kamal_std: ArrayLike | None = None, theory_std: ArrayLike | None = None,
    expected_cost: ArrayLike | None = None,
    title: str = "Hedge error and cost against the number of rebalances",
    x_title: str = "Rebalances over the horizon (log scale)",
    std_title: str = "Std of P&L (currency, log scale)",
    cost_title: str = "Mean cost per path (currency, log scale)",
) -> go.Figure:
    """Two log-log panels: P&L standard deviation, and mean cost, against rebalances.

    Parameters
    ----------
    n_rebalances : array_like, shape (k,)
        Numbers of equal hedging intervals, > 0.
    pnl_std, mean_cost : array_like, shape (k,)
        Measured standard deviation of the hedged P&L and mean transaction cost per path.
    pnl_std_se, mean_cost_se : array_like, shape (k,), optional
        Their standard errors, drawn as error bars of plus or minus one.
    derman_kamal_std : array_like, shape (k,), optional
        The Derman-Kamal prediction :math:`\\sqrt{\\pi/4}\\,\\mathcal V\\sigma/\\sqrt N`
        (NaN where it does not apply), a line on the left panel.
    theory_std : array_like, shape (k,), optional
        The book-exact prediction (gamma integrated), a dotted line on the left panel.
    expected_cost : array_like, shape (k,), optional
        Leland's expected proportional cost for each :math:`N`, a line on the right panel.
    title, x_title, std_title, cost_title : str
        Figure and axis titles (with units).

    Returns
    -------
    plotly.graph_objects.Figure
        Left: measured std (markers) with the predictions; right: measured cost with
        Leland's. Both axes logarithmic, so :math:`N^{-1/2}` and :math:`N^{1/2}` are
        straight lines of slope -1/2 and +1/2.

    Notes
    -----
    Hedging more often trades risk for cost: the hedge error falls like
    :math:`N^{-1/2}` (Derman and Kamal 1999) while the proportional cost grows like
    :math:`k S\\sqrt N/\\pi` for an at-the-money option (Leland 1985, *Journal of Finance*
    40(5)). Zero or negative values cannot sit on a log axis and are left out.

    Examples
    --------
    >>> fig = frequency_sweep_figure([1, 4, 16], [2.0, 1.0, 0.5], [0.05, 0.1, 0.2],
    ...                              derman_kamal_std=[2.1, 1.05, 0.52])
    >>> [t.name for t in fig.data]
    ['Measured std', 'Derman-Kamal', 'Measured cost']
    """
    n = vector(n_rebalances, "n_rebalances")
    if n.size == 0 or not (np.isfinite(n).all() and (n > 0).all()):
        raise HedgeLibError(f"n_rebalances must be positive numbers, got {n.tolist()!r}")
    k = n.size
    std = _optional(pnl_std, "pnl_std", k)
    cost = _optional(mean_cost, "mean_cost", k)
    std_se = _optional(pnl_std_se, "pnl_std_se", k)
    cost_se = _optional(mean_cost_se, "mean_cost_se", k)
    dk = _optional(derman_kamal_std, "derman_kamal_std", k)
    exact = _optional(theory_std, "theory_std", k)
    leland = _optional(expected_cost, "expected_cost", k)
    order = np.argsort(n)

    def positive(y: FloatArray | None) -> FloatArray | None:
        # Log axes cannot show zero (a cost-free run): those points become gaps.
        if y is None:
            return None
        y = y[order].copy()
        y[~(y > 0)] = np.nan
        return y

    x = n[order]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("Hedge error (std of P&L)", "Transaction cost"))

    def measured(y: FloatArray, se: FloatArray | None, name: str, colour: str, col: int) -> None:
        fig.add_trace(
            go.Scatter(
                x=x, y=positive(y), mode="lines+markers", name=name,
                marker={"color": colour, "size": 9}, line={"color": colour, "width": 1},
                error_y=None if se is None else {"type": "data", "array": se[order], "visible": True},
                hovertemplate="N = %{x}<br>%{y:.4g}<extra>" + name + "</extra>",
            ),
            row=1, col=col,
        )

    def line(y: FloatArray | None, name: str, dash: str, col: int) -> None:
        yy = positive(y)
        if yy is None or not np.isfinite(yy).any():
            return
        fig.add_trace(
            go.Scatter(
                x=x, y=yy, mode="lines", name=name, line={"color": _THEORY, "dash": dash, "width": 2},
                hovertemplate="N = %{x}<br>%{y:.4g}<extra>" + name + "</extra>",
            ),
            row=1, col=col,
        )

    measured(std, std_se, "Measured std", PALETTE[0], 1)
    line(dk, "Derman-Kamal", "dash", 1)
    line(exact, "Book-exact (gamma integrated)", "dot", 1)
    measured(cost, cost_se, "Measured cost", PALETTE[3], 2)
    line(leland, "Leland expected cost", "dashdot", 2)
    fig.update_xaxes(type="log", title_text=x_title, **log_ticks(x))
    fig.update_yaxes(type="log", title_text=std_title, row=1, col=1,
                     **log_ticks(positive(std), positive(dk), positive(exact)))
    fig.update_yaxes(type="log", title_text=cost_title, row=1, col=2,
                     **log_ticks(positive(cost), positive(leland)))
    fig.update_layout(
        title={"text": title}, height=460, margin={"t": 110},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "x": 0.0},
    )
    return fig


def cost_risk_frontier_figure(
    pnl_std: ArrayLike, mean_cost: ArrayLike, labels: Sequence[str], families: Sequence[str], *,
    efficient: ArrayLike | None = None, pnl_std_se: ArrayLike | None = None,
    mean_cost_se: ArrayLike | None = None, theory_std: ArrayLike | None = None,
    theory_cost: ArrayLike | None = None, theory_labels: Sequence[str] | None = None,
    highlight: str | None = None, setups: Mapping[str, tuple[float, float]] | None = None,
    hover: Sequence[str] | None = None,
    title: str = "Cost against risk: every rule on the same paths",
    x_title: str = "Std of P&L (currency)", y_title: str = "Mean cost per path (currency)",
) -> go.Figure:
    """Mean cost against P&L standard deviation, one marker per rule, with the theory line.

    Parameters
    ----------
    pnl_std, mean_cost : array_like, shape (k,)
        Risk and cost of each rule, in currency.
    labels : sequence of str, length k
        Rule names ("every 5 steps", "band 0.05", ...).
    families : sequence of str, length k
        ``"every_n_steps"``, ``"delta_band"`` or ``"whalley_wilmott"`` (as in
        :func:`~hedgelib.hedging.experiment.cost_risk_frontier`): one trace, marker and
        colour per family, its points joined in order of risk.
    efficient : array_like of bool, shape (k,), optional
        True for rules that no other rule beats on both cost and risk; they are outlined
        and joined by a thin line, the empirical frontier.
    pnl_std_se, mean_cost_se : array_like, shape (k,), optional
        Standard errors, drawn as plus-or-minus-one error bars.
    theory_std, theory_cost : array_like, shape (m,), optional
        A predicted curve, e.g. Derman-Kamal's std and Leland's expected cost of a hedge
        rebalanced at fixed intervals, for a range of :math:`N`.
    theory_labels : sequence of str, length m, optional
        Hover text of the curve's points (e.g. "N = 21").
    highlight : str, optional
        Label of one rule to ring and annotate (e.g. the Whalley-Wilmott band nearest the
        optimum).
    setups : mapping of str to (std, cost), optional
        Extra points, e.g. the user's own set-ups, drawn as diamonds.
    hover : sequence of str, length k, optional
        Extra hover line per rule (trades per path, band width today, ...).
    title, x_title, y_title : str
        Figure and axis titles (with units).

    Returns
    -------
    plotly.graph_objects.Figure

    Notes
    -----
    Down and to the left is better. Fixed-interval hedging traces the curve
    :math:`(\\sigma_P(N), C(N))` with :math:`\\sigma_P \\propto N^{-1/2}` (Derman and Kamal
    1999) and :math:`C \\propto N^{1/2}` (Leland 1985), so along it cost times risk is about
    constant. Move-based rules trade only when the hedge has drifted, and Whalley and
    Wilmott's band, :math:`H = (\\tfrac32 e^{-r(T-t)}\\lambda S\\Gamma^2/\\gamma)^{1/3}`, is
    the asymptotically optimal one for exponential utility (Whalley and Wilmott 1997,
    *Mathematical Finance* 7(3)): its points should lie below the fixed-interval curve.

    Examples
    --------
    >>> fig = cost_risk_frontier_figure([0.4, 0.9, 0.5], [0.18, 0.11, 0.12],
    ...                                 ["every 1 step", "every 5 steps", "Whalley-Wilmott 1"],
    ...                                 ["every_n_steps", "every_n_steps", "whalley_wilmott"])
    >>> [t.name for t in fig.data]
    ['Every N steps', 'Whalley-Wilmott band']
    """
    std = vector(pnl_std, "pnl_std")
    k = std.size
    cost = _optional(mean_cost, "mean_cost", k)
    labels = [str(v) for v in labels]
    families = [str(v) for v in families]
    if len(labels) != k or len(families) != k:
        raise HedgeLibError(
            f"labels and families must have {k} entries like pnl_std, got {len(labels)} and {len(families)}"
        )
    unknown = sorted(set(families) - set(_FAMILIES))
    if unknown:
        raise HedgeLibError(f"families must be among {sorted(_FAMILIES)}, got {unknown}")
    eff = None if efficient is None else np.asarray(efficient, dtype=bool)
    if eff is not None and eff.shape != (k,):
        raise HedgeLibError(f"efficient must have {k} entries like pnl_std, got shape {eff.shape}")
    std_se = _optional(pnl_std_se, "pnl_std_se", k)
    cost_se = _optional(mean_cost_se, "mean_cost_se", k)
    extra = list(hover) if hover is not None else [""] * k
    if len(extra) != k:
        raise HedgeLibError(f"hover must have {k} entries like pnl_std, got {len(extra)}")
    if highlight is not None and highlight not in labels:
        raise HedgeLibError(f"highlight must be one of the labels {labels}, got {highlight!r}")

    fig = go.Figure()
    if theory_std is not None or theory_cost is not None:
        if theory_std is None or theory_cost is None:
            raise HedgeLibError("theory_std and theory_cost must be given together")
        t_std = vector(theory_std, "theory_std")
        t_cost = _optional(theory_cost, "theory_cost", t_std.size)
        t_labels = list(theory_labels) if theory_labels is not None else [""] * t_std.size
        if len(t_labels) != t_std.size:
            raise HedgeLibError(f"theory_labels must have {t_std.size} entries, got {len(t_labels)}")
        fig.add_trace(
            go.Scatter(
                x=t_std, y=t_cost, mode="lines+markers", name="Theory, fixed intervals "
                "(Derman-Kamal risk, Leland cost)", text=t_labels,
                line={"color": _THEORY, "dash": "dash", "width": 2},
                marker={"color": _THEORY, "size": 5},
                hovertemplate="%{text}<br>std %{x:.4g}<br>cost %{y:.4g}<extra>theory</extra>",
            )
        )
    if eff is not None and eff.any():
        idx = np.flatnonzero(eff)
        idx = idx[np.argsort(std[idx])]
        fig.add_trace(
            go.Scatter(
                x=std[idx], y=cost[idx], mode="lines", name="Efficient frontier (measured)",
                line={"color": _OUTLINE, "width": 1}, hoverinfo="skip",
            )
        )
    for family, (symbol, name, colour) in _FAMILIES.items():
        idx = np.array([i for i, f in enumerate(families) if f == family], dtype=int)
        if idx.size == 0:
            continue
        idx = idx[np.argsort(std[idx])]
        line_width = [2.0 if eff is not None and eff[i] else 0.0 for i in idx]
        fig.add_trace(
            go.Scatter(
                x=std[idx], y=cost[idx], mode="lines+markers", name=name,
                text=[labels[i] for i in idx], customdata=[extra[i] for i in idx],
                marker={"symbol": symbol, "size": 12, "color": colour,
                        "line": {"width": line_width, "color": _OUTLINE}},
                line={"color": colour, "width": 1, "dash": "dot"},
                error_x=None if std_se is None else {"type": "data", "array": std_se[idx], "visible": True},
                error_y=None if cost_se is None else {"type": "data", "array": cost_se[idx], "visible": True},
                hovertemplate="%{text}<br>std %{x:.4g}<br>cost %{y:.4g}<br>%{customdata}"
                              "<extra>" + name + "</extra>",
            )
        )
    pts = np.array([[float(a), float(b)] for a, b in (setups or {}).values()], dtype=float).reshape(-1, 2)
    # Axes start at zero (rangemode "tozero"), so pixels follow from the largest values.
    x_max = float(np.nanmax(np.concatenate([std, pts[:, 0], [1e-12]]))) * 1.05
    y_max = float(np.nanmax(np.concatenate([cost, pts[:, 1], [1e-12]]))) * 1.05
    rule_points = np.column_stack([std, cost])
    taken: list[Box] = []
    if highlight is not None:
        i = labels.index(highlight)
        (ax, ay), box = _highlight_arrow((float(std[i]), float(cost[i])), highlight, pts, rule_points,
                                         x_max, y_max)
        taken.append(box)
        fig.add_annotation(
            x=float(std[i]), y=float(cost[i]), text=highlight, showarrow=True, arrowhead=2,
            ax=ax, ay=ay, font={"color": _FAMILIES[families[i]][2]},
        )
    if setups:
        names = [str(s) for s in setups]
        fig.add_trace(
            go.Scatter(
                x=pts[:, 0], y=pts[:, 1], mode="markers+text", name="Your set-ups", text=names,
                textposition=_place_labels(pts, names, x_max, y_max, taken, rule_points),
                marker={"symbol": "diamond-open", "size": 13, "color": _SETUP,
                        "line": {"width": 2}},
                hovertemplate="%{text}<br>std %{x:.4g}<br>cost %{y:.4g}<extra>set-up</extra>",
            )
        )
    # The legend goes below the axes: above, its several rows would run into the title.
    return finish(
        fig, title, x_title, y_title, height=600, margin={"t": 60, "b": 150},
        legend={"orientation": "h", "yanchor": "top", "y": -0.14, "x": 0.0},
        x={"rangemode": "tozero"}, y={"rangemode": "tozero"},
    )
