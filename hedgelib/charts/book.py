"""Figures for an option book: payoff and value, greeks against spot, P&L heatmaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hedgelib._typing import ArrayLike
from hedgelib.charts._common import (
    LEGEND_ABOVE,
    PNL_COLORSCALE,
    finish,
    finite_values,
    same_length,
    vector,
)
from hedgelib.conventions import HedgeLibError

__all__ = [
    "greeks_profile_figure",
    "payoff_value_figure",
    "pnl_heatmap_figure",
]


def payoff_value_figure(
    spot_grid: ArrayLike, payoff: ArrayLike, value: ArrayLike, *, spot: float | None = None,
    premium: float | None = None, breakevens: Sequence[float] = (), strikes: Sequence[float] = (),
    as_pnl: bool = False, value_name: str = "Value today", premium_name: str = "Premium",
    title: str = "Payoff at expiry and value today", x_title: str = "Spot at expiry (currency)",
    y_title: str | None = None,
) -> go.Figure:
    """Payoff at expiry and the current value of a book against spot, on one chart.

    Parameters
    ----------
    spot_grid : array_like, shape (n,)
        Spot prices of the underlying, in currency.
    payoff : array_like, shape (n,)
        Value of the book at expiry for each spot, in currency (holder's sign).
    value : array_like, shape (n,)
        Value of the book at the valuation date for each spot, in currency.
    spot : float, optional
        Today's spot, drawn as a vertical line.
    premium : float, optional
        What the book costs (holder's sign: positive when paid), today's premium or the
        premium carried to expiry at the rate. Drawn as a horizontal line, or subtracted
        from both curves when ``as_pnl`` is true.
    breakevens : sequence of float
        Spots where the P&L at expiry is zero, marked on the chart.
    strikes : sequence of float
        Strikes of the legs, drawn as faint vertical lines.
    as_pnl : bool
        Plot ``payoff - premium`` and ``value - premium`` (P&L against today's cost)
        instead of values; needs ``premium``.
    value_name, premium_name, title, x_title, y_title : str
        Legend names of the value curve and the premium line, and the chart's texts. ``y_title`` defaults to
        "Value (currency)" or "P&L (currency)".

    Returns
    -------
    plotly.graph_objects.Figure
        Two line traces (payoff, value), plus a premium line and breakeven markers when
        given.

    Notes
    -----
    With premium :math:`V_0` paid today, the P&L at expiry is
    :math:`\\Pi(S_T) = \\mathrm{payoff}(S_T) - V_0`; breakevens solve
    :math:`\\mathrm{payoff}(S_T) = V_0`, which is where the payoff line crosses the
    premium line (or zero, in P&L mode). See Hull, *Options, Futures, and Other
    Derivatives*, ch. 12 (trading strategies involving options).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.linspace(50.0, 150.0, 5)
    >>> fig = payoff_value_figure(s, np.maximum(s - 100.0, 0.0), np.maximum(s - 95.0, 1.0),
    ...                           spot=100.0, premium=8.0)
    >>> [t.name for t in fig.data]
    ['Payoff at expiry', 'Value today', 'Premium']
    """
    s = vector(spot_grid, "spot_grid")
    pay = vector(payoff, "payoff")
    val = vector(value, "value")
    same_length(s, pay, "payoff")
    same_length(s, val, "value")
    if as_pnl and premium is None:
        raise HedgeLibError("as_pnl=True needs the premium, got premium=None")
    shift = float(premium) if as_pnl else 0.0
    if y_title is None:
        y_title = "P&L (currency)" if as_pnl else "Value (currency)"
    suffix = " − premium" if as_pnl else ""

    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=s, y=pay - shift, mode="lines", name="Payoff at expiry" + suffix,
            hovertemplate="spot %{x:.2f}<br>%{y:.2f}<extra>payoff</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=s, y=val - shift, mode="lines", name=value_name + suffix, line={"dash": "dash"},
            hovertemplate="spot %{x:.2f}<br>%{y:.2f}<extra>value</extra>",
        )
    )
    if premium is not None:
        level = 0.0 if as_pnl else float(premium)
        fig.add_trace(
            go.Scatter(
                x=[s[0], s[-1]], y=[level, level], mode="lines",
                name="Break-even level" if as_pnl else premium_name,
                line={"dash": "dot", "width": 1, "color": "gray"},
                hovertemplate="%{y:.2f}<extra></extra>",
            )
        )
    be = finite_values(breakevens)
    if be:
        level = 0.0 if as_pnl else (float(premium) if premium is not None else 0.0)
        fig.add_trace(
            go.Scatter(
                x=be, y=[level] * len(be), mode="markers", name="Breakeven",
                marker={"symbol": "diamond", "size": 10},
                hovertemplate="breakeven %{x:.2f}<extra></extra>",
            )
        )
    for k in finite_values(strikes):
        fig.add_vline(x=k, line={"width": 1, "dash": "dot", "color": "gray"}, opacity=0.4)
    if spot is not None and np.isfinite(spot):
        fig.add_vline(
            x=float(spot), line={"width": 1, "color": "gray"},
            annotation_text=f"spot {float(spot):.2f}", annotation_position="bottom right",
        )
    return finish(
        fig, title, x_title, y_title, hovermode="x unified", legend=LEGEND_ABOVE, margin={"t": 90},
    )


def greeks_profile_figure(
    spot_grid: ArrayLike, greeks: Mapping[str, ArrayLike], *, spot: float | None = None,
    strikes: Sequence[float] = (), n_cols: int = 2, title: str = "Greeks against spot",
    x_title: str = "Spot (currency)",
) -> go.Figure:
    """One small chart per greek against spot, in a grid of subplots.

    Parameters
    ----------
    spot_grid : array_like, shape (n,)
        Spot prices, in currency.
    greeks : mapping of str to array_like, shape (n,)
        Axis title (with its unit, e.g. ``"Vega per vol point"``) to values. Keys are used
        as the subplot and y-axis titles, so they should say the unit.
    spot : float, optional
        Today's spot, drawn as a vertical line on every subplot.
    strikes : sequence of float
        Strikes, drawn as faint vertical lines.
    n_cols : int
        Subplots per row.
    title, x_title : str
        Figure title and x-axis title (shared by every subplot).

    Returns
    -------
    plotly.graph_objects.Figure
        One line trace per greek, each on its own subplot.

    Notes
    -----
    The builder plots what it is given; the units are the caller's. In Hedge Lab the
    raw Black-Scholes greeks (Hull, ch. 19) are rescaled first: vega per vol point
    (:math:`\\nu/100`), theta per trading day (:math:`\\Theta/252`), rho per 1% of rate
    (:math:`\\rho/100`).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.linspace(80.0, 120.0, 5)
    >>> fig = greeks_profile_figure(s, {"Delta": s / 200.0, "Gamma per 1.00 of spot": s * 0 + 0.02})
    >>> [t.name for t in fig.data]
    ['Delta', 'Gamma per 1.00 of spot']
    """
    s = vector(spot_grid, "spot_grid")
    if not greeks:
        raise HedgeLibError("greeks must name at least one series, got an empty mapping")
    if n_cols < 1:
        raise HedgeLibError(f"n_cols must be at least 1, got {n_cols!r}")
    names = list(greeks)
    n_cols = min(n_cols, len(names))
    n_rows = -(-len(names) // n_cols)
    height = max(360, 340 * n_rows)
    # About 100 px between rows: room for the x title of one row and the subplot title below.
    spacing = min(100.0 / height, 0.9 / (n_rows - 1)) if n_rows > 1 else 0.0
    fig = make_subplots(
        rows=n_rows, cols=n_cols, subplot_titles=names, shared_xaxes=True,
        vertical_spacing=spacing, horizontal_spacing=0.1,
    )
    for i, name in enumerate(names):
        y = vector(greeks[name], f"greeks[{name!r}]")
        same_length(s, y, f"greeks[{name!r}]")
        row, col = divmod(i, n_cols)
        fig.add_trace(
            go.Scatter(
                x=s, y=y, mode="lines", name=name, showlegend=False,
                hovertemplate="spot %{x:.2f}<br>%{y:.4g}<extra>" + name + "</extra>",
            ),
            row=row + 1, col=col + 1,
        )
        fig.update_yaxes(title_text=name, row=row + 1, col=col + 1)
        # Every subplot carries its own x title: shared_xaxes hides tick labels on upper
        # rows, so the unit must be readable wherever the eye lands.
        fig.update_xaxes(title_text=x_title, showticklabels=True, row=row + 1, col=col + 1)
    for k in finite_values(strikes):
        fig.add_vline(x=k, line={"width": 1, "dash": "dot", "color": "gray"}, opacity=0.4)
    if spot is not None and np.isfinite(spot):
        fig.add_vline(x=float(spot), line={"width": 1, "color": "gray"})
    fig.update_layout(title={"text": title}, height=height, margin={"t": 90})
    return fig


def pnl_heatmap_figure(
    x: ArrayLike, y: ArrayLike, z: ArrayLike, *, x_title: str = "Spot (currency)",
    y_title: str = "Volatility (decimal)", title: str = "P&L",
    colorbar_title: str = "P&L (currency)", marker: tuple[float, float] | None = None,
    marker_name: str = "today",
) -> go.Figure:
    """A P&L grid as a heatmap, losses red and gains blue, centred on zero.

    Parameters
    ----------
    x : array_like, shape (n_x,)
        Values along the horizontal axis (e.g. spot, in currency).
    y : array_like, shape (n_y,)
        Values along the vertical axis (e.g. volatility or days from today).
    z : array_like, shape (n_y, n_x)
        P&L at each ``(y[i], x[j])``, in currency. NaN cells are left blank.
    x_title, y_title, title, colorbar_title : str
        Axis, figure and colour-bar titles, each with its unit.
    marker : (float, float), optional
        A point ``(x, y)`` to mark, e.g. today's spot and volatility.
    marker_name : str
        Hover text of the marker.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Heatmap`` trace (``zmid=0``), plus a scatter marker when given.

    Notes
    -----
    The colour scale is symmetric about zero (``zmid=0``), so white means "flat", and
    equal colour intensity means equal gain or loss whatever the grid's range.

    Examples
    --------
    >>> import numpy as np
    >>> fig = pnl_heatmap_figure([90.0, 100.0, 110.0], [0.1, 0.2], np.zeros((2, 3)))
    >>> fig.data[0].type
    'heatmap'
    """
    xs = vector(x, "x")
    ys = vector(y, "y")
    zz = np.asarray(z, dtype=np.float64)
    if zz.shape != (ys.size, xs.size):
        raise HedgeLibError(
            f"z must have shape (len(y), len(x)) = {(ys.size, xs.size)}, got {zz.shape}"
        )
    fig = go.Figure(
        go.Heatmap(
            x=xs, y=ys, z=zz, colorscale=PNL_COLORSCALE, zmid=0.0,
            colorbar={"title": {"text": colorbar_title}},
            hovertemplate=(
                f"{x_title}: %{{x:.4g}}<br>{y_title}: %{{y:.4g}}<br>"
                f"{colorbar_title}: %{{z:.2f}}<extra></extra>"
            ),
        )
    )
    if marker is not None:
        fig.add_trace(
            go.Scatter(
                x=[float(marker[0])], y=[float(marker[1])], mode="markers", name=marker_name,
                marker={"symbol": "x", "size": 12, "color": "black", "line": {"width": 1, "color": "white"}},
                hovertemplate=marker_name + "<extra></extra>", showlegend=False,
            )
        )
    return finish(fig, title, x_title, y_title)
