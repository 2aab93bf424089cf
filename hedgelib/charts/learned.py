"""Figures of learned hedges: training loss, the policy against the delta, its no-trade band,
risk with error bars, and Hull and White's correction to the delta.

Data in, ``go.Figure`` out: arrays from :mod:`hedgelib.learned` (a training history, a
:func:`~hedgelib.learned.policy_surface`, a :func:`~hedgelib.learned.no_trade_band`, the
rows of :meth:`~hedgelib.learned.HedgeComparison.table`). Hedges are in shares per unit of
the book (one option); moneyness is spot over the book's reference strike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hedgelib._typing import ArrayLike, FloatArray
from hedgelib.charts._common import finish, legend_below, vector
from hedgelib.conventions import HedgeLibError

__all__ = [
    "loss_curve_figure",
    "mv_correction_figure",
    "no_trade_band_figure",
    "policy_heatmap_figure",
    "policy_vs_delta_figure",
    "risk_comparison_figure",
]

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
_LEARNED, _THEORY = "#d62728", "#1f77b4"


def _finish_below(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    # These charts sit in half-width columns, where a legend above the plot wraps into rows
    # that run into the title: the legend goes to the foot of the figure instead.
    legend, bottom = legend_below(t.name for t in fig.data if t.showlegend is not False)
    # Taller with a taller legend, so the plot area keeps about 320 px.
    return finish(fig, title, x_title, y_title, legend=legend, margin={"t": 60, "b": bottom},
                  height=max(450, 380 + bottom))


def _same(n: int, arr: FloatArray, name: str, reference: str) -> None:
    if arr.size != n:
        raise HedgeLibError(f"{name} must have as many values as {reference} ({n}), got {arr.size}")


def loss_curve_figure(
    history: ArrayLike, *, references: Mapping[str, float] | None = None,
    title: str = "Training loss per epoch", y_title: str = "Loss (currency)",
) -> go.Figure:
    """The mean mini-batch loss of each epoch, with optional horizontal reference levels.

    Parameters
    ----------
    history : array_like, shape (epochs,)
        Loss per epoch (may be shorter than the run while training is live).
    references : mapping of str to float, optional
        Levels to draw across, e.g. the same risk measure of the delta hedge on the training
        paths, so that the curve shows when the network passes it.

    Examples
    --------
    >>> fig = loss_curve_figure([3.0, 2.0, 1.6], references={"delta hedge": 1.8})
    >>> [t.name for t in fig.data]
    ['learned', 'delta hedge']
    """
    y = vector(history, "history")
    x = np.arange(1, y.size + 1)
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines+markers", name="learned",
                               line={"color": _LEARNED}, marker={"size": 4},
                               hovertemplate="epoch %{x}<br>loss %{y:.4g}<extra></extra>"))
    for i, (name, level) in enumerate((references or {}).items()):
        fig.add_trace(go.Scatter(x=[1, max(int(x[-1]) if x.size else 1, 2)], y=[level, level],
                                 mode="lines", name=name,
                                 line={"dash": "dash", "color": PALETTE[i % len(PALETTE)]}))
    return _finish_below(fig, title, "Epoch", y_title)


def policy_vs_delta_figure(
    moneyness: ArrayLike, learned: Mapping[str, ArrayLike], delta: Mapping[str, ArrayLike], *,
    title: str = "Learned hedge vs Black-Scholes delta",
    x_title: str = "Moneyness (spot / strike)", y_title: str = "Hedge (shares per option)",
) -> go.Figure:
    """Solid lines for the learned hedge, dashed for the delta, one colour per time.

    ``learned`` and ``delta`` map a time label (e.g. "20 days left") to values on the
    ``moneyness`` grid; the labels must match.

    Examples
    --------
    >>> m = [0.9, 1.0, 1.1]
    >>> fig = policy_vs_delta_figure(m, {"10d": [0.1, 0.5, 0.9]}, {"10d": [0.12, 0.52, 0.88]})
    >>> [t.name for t in fig.data]
    ['learned, 10d', 'delta, 10d']
    """
    m = vector(moneyness, "moneyness")
    if list(learned) != list(delta):
        raise HedgeLibError(f"learned and delta must have the same time labels, got {list(learned)} and {list(delta)}")
    fig = go.Figure()
    for i, label in enumerate(learned):
        colour = PALETTE[i % len(PALETTE)]
        lv, dv = vector(learned[label], f"learned[{label!r}]"), vector(delta[label], f"delta[{label!r}]")
        _same(m.size, lv, f"learned[{label!r}]", "moneyness")
        _same(m.size, dv, f"delta[{label!r}]", "moneyness")
        fig.add_trace(go.Scatter(x=m, y=lv, mode="lines", name=f"learned, {label}",
                                 line={"color": colour, "width": 2.5}))
        fig.add_trace(go.Scatter(x=m, y=dv, mode="lines", name=f"delta, {label}",
                                 line={"color": colour, "dash": "dash", "width": 1.5}))
    return _finish_below(fig, title, x_title, y_title)


def policy_heatmap_figure(
    moneyness: ArrayLike, time_to_expiry: ArrayLike, values: ArrayLike, *,
    title: str = "Learned hedge over moneyness and time to expiry",
    x_title: str = "Moneyness (spot / strike)", y_title: str = "Time to expiry (trading days)",
    z_title: str = "Shares per option", diverging: bool = False,
) -> go.Figure:
    """A heatmap of a policy: ``values`` has shape (len(time_to_expiry), len(moneyness)).

    ``diverging=True`` centres a red-blue scale on zero (for a difference to the delta).

    Examples
    --------
    >>> fig = policy_heatmap_figure([0.9, 1.1], [5, 10], [[0.1, 0.9], [0.2, 0.8]])
    >>> fig.data[0].type
    'heatmap'
    """
    m = vector(moneyness, "moneyness")
    t = vector(time_to_expiry, "time_to_expiry")
    z = np.asarray(values, dtype=np.float64)
    if z.shape != (t.size, m.size):
        raise HedgeLibError(f"values must have shape ({t.size}, {m.size}) (times x moneyness), got {z.shape}")
    extra = {"colorscale": "RdBu", "zmid": 0.0} if diverging else {"colorscale": "Viridis"}
    fig = go.Figure(go.Heatmap(
        x=m, y=t, z=z, colorbar={"title": {"text": z_title}},
        hovertemplate="moneyness %{x:.3f}<br>%{y:.3g} days left<br>%{z:.3f}<extra></extra>", **extra))
    return finish(fig, title, x_title, y_title)


def no_trade_band_figure(
    moneyness: ArrayLike, *, learned_lower: ArrayLike, learned_upper: ArrayLike, delta: ArrayLike,
    ww_lower: ArrayLike | None = None, ww_upper: ArrayLike | None = None,
    title: str = "No-trade band: learned against Whalley-Wilmott",
    x_title: str = "Moneyness (spot / strike)", y_title: str = "Hedge held (shares per option)",
) -> go.Figure:
    """The learned band (shaded), Whalley-Wilmott's band (dashed edges) and the delta.

    Arrays are on the ``moneyness`` grid; NaN where the policy leaves no hedge alone.

    Examples
    --------
    >>> m = [0.95, 1.0, 1.05]
    >>> fig = no_trade_band_figure(m, learned_lower=[0.2, 0.4, 0.6], learned_upper=[0.4, 0.6, 0.8],
    ...                            delta=[0.3, 0.5, 0.7], ww_lower=[0.25, 0.45, 0.65],
    ...                            ww_upper=[0.35, 0.55, 0.75])
    >>> [t.name for t in fig.data]
    ['learned band', 'learned band', 'Whalley-Wilmott band', 'Whalley-Wilmott band', 'Black-Scholes delta']
    """
    m = vector(moneyness, "moneyness")
    arrays = {"learned_lower": learned_lower, "learned_upper": learned_upper, "delta": delta}
    if (ww_lower is None) != (ww_upper is None):
        raise HedgeLibError("ww_lower and ww_upper must be given together")
    if ww_lower is not None:
        arrays.update(ww_lower=ww_lower, ww_upper=ww_upper)
    v = {k: vector(a, k) for k, a in arrays.items()}
    for k, a in v.items():
        _same(m.size, a, k, "moneyness")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=m, y=v["learned_lower"], mode="lines", name="learned band",
                             line={"color": _LEARNED, "width": 1}, legendgroup="learned",
                             showlegend=False))
    fig.add_trace(go.Scatter(x=m, y=v["learned_upper"], mode="lines", name="learned band",
                             line={"color": _LEARNED, "width": 1}, fill="tonexty",
                             fillcolor="rgba(214, 39, 40, 0.25)", legendgroup="learned"))
    if ww_lower is not None:
        for k, show in (("ww_lower", False), ("ww_upper", True)):
            fig.add_trace(go.Scatter(x=m, y=v[k], mode="lines", name="Whalley-Wilmott band",
                                     line={"color": _THEORY, "dash": "dash"}, legendgroup="ww",
                                     showlegend=show))
    fig.add_trace(go.Scatter(x=m, y=v["delta"], mode="lines", name="Black-Scholes delta",
                             line={"color": "#7f7f7f", "dash": "dot"}))
    return _finish_below(fig, title, x_title, y_title)


def risk_comparison_figure(
    names: Sequence[str], measures: Mapping[str, ArrayLike], errors: Mapping[str, ArrayLike] | None = None,
    *, title: str = "Risk on fresh paths (bars: one standard error)",
    y_titles: Mapping[str, str] | None = None,
) -> go.Figure:
    """One panel of bars per measure (e.g. entropic risk, ES, std), with error bars.

    ``measures`` maps a measure's title to one value per name; ``errors`` (same keys) to
    the standard errors.

    Examples
    --------
    >>> fig = risk_comparison_figure(["learned", "delta"], {"Entropic risk": [1.0, 1.4]},
    ...                              {"Entropic risk": [0.05, 0.06]})
    >>> [float(e) for e in fig.data[0].error_y.array]
    [0.05, 0.06]
    """
    labels = [str(n) for n in names]
    if not measures:
        raise HedgeLibError("measures must hold at least one measure, got none")
    fig = make_subplots(rows=1, cols=len(measures), subplot_titles=list(measures),
                        horizontal_spacing=0.08)
    for j, (key, vals) in enumerate(measures.items(), start=1):
        y = vector(vals, f"measures[{key!r}]")
        _same(len(labels), y, f"measures[{key!r}]", "names")
        err = None
        if errors is not None and key in errors:
            e = vector(errors[key], f"errors[{key!r}]")
            _same(len(labels), e, f"errors[{key!r}]", "names")
            err = {"type": "data", "array": e, "visible": True}
        fig.add_trace(go.Bar(x=labels, y=y, error_y=err, name=key, showlegend=False,
                             marker={"color": [PALETTE[i % len(PALETTE)] for i in range(len(labels))]},
                             hovertemplate="%{x}<br>%{y:.4g}<extra>" + key + "</extra>"), row=1, col=j)
        fig.update_yaxes(title_text=(y_titles or {}).get(key, "currency"), row=1, col=j)
    fig.update_layout(title={"text": title}, margin={"t": 90})
    return fig


def mv_correction_figure(
    delta_bs: ArrayLike, curves: Mapping[str, ArrayLike], *,
    title: str = "Minimum-variance delta minus Black-Scholes delta",
    x_title: str = "Black-Scholes delta", y_title: str = "delta_MV - delta_BS",
) -> go.Figure:
    """Hull and White's fitted correction against the Black-Scholes delta, one line per fit.

    Examples
    --------
    >>> fig = mv_correction_figure([0.1, 0.5, 0.9], {"S&P 500": [-0.05, -0.1, -0.04]})
    >>> fig.data[0].name
    'S&P 500'
    """
    x = vector(delta_bs, "delta_bs")
    if not curves:
        raise HedgeLibError("curves must hold at least one fitted curve, got none")
    fig = go.Figure()
    for i, (name, vals) in enumerate(curves.items()):
        y = vector(vals, f"curves[{name!r}]")
        _same(x.size, y, f"curves[{name!r}]", "delta_bs")
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name,
                                 line={"color": PALETTE[i % len(PALETTE)], "width": 2.5}))
    fig.add_hline(y=0.0, line={"color": "#7f7f7f", "width": 1})
    return _finish_below(fig, title, x_title, y_title)
