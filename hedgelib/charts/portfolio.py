"""Figures for portfolio hedging: insurance fans and payoffs, yearly programmes, futures hedges.

Data in, ``go.Figure`` out, as everywhere in :mod:`hedgelib.charts`: the builders take arrays
and mappings of strategy (or method) name to arrays, so they serve simulated and historical
runs alike; axis titles carry units, and callers that rescale pass their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hedgelib._typing import ArrayLike, FloatArray
from hedgelib.charts._common import LEGEND_ABOVE, finish, hedge_colour, vector
from hedgelib.conventions import HedgeLibError, check_int

__all__ = [
    "dated_lines_figure",
    "hedge_ratio_figure",
    "insurance_costs_figure",
    "insurance_fan_figure",
    "payoff_scatter_figure",
    "terminal_values_figure",
    "variance_reduction_figure",
    "yearly_returns_figure",
]

_FLOOR = {"color": "#d62728", "width": 2, "dash": "dash"}


def _samples(values: Mapping[str, ArrayLike], name: str) -> dict[str, FloatArray]:
    if not isinstance(values, Mapping) or not values:
        raise HedgeLibError(f"{name} must be a non-empty mapping of name to values, got {values!r}")
    return {str(k): vector(v, f"{name}[{k!r}]") for k, v in values.items()}


def _dates(value: ArrayLike, name: str) -> pd.DatetimeIndex:
    if isinstance(value, str | bytes) or value is None:
        raise HedgeLibError(f"{name} must be an array of dates, got {value!r}")
    try:
        return pd.DatetimeIndex(value)
    except (TypeError, ValueError):
        raise HedgeLibError(f"{name} must be an array of dates, got {value!r}") from None


def _thinned(n: int, at_most: int) -> np.ndarray:
    """Indices of at most ``at_most`` evenly spaced points of ``n``, the first and last kept."""
    if n <= at_most:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, at_most).round().astype(int))


def _check_length(n: int, arr: np.ndarray, name: str, reference: str) -> None:
    if arr.shape != (n,):
        raise HedgeLibError(f"{name} must have the length of {reference} ({n}), got {arr.size}")


def insurance_fan_figure(
    times: ArrayLike, bands: Mapping[str, Mapping[float, ArrayLike]],
    floors: Mapping[str, ArrayLike], *, columns: int = 3, max_points: int = 130,
    title: str = "Portfolio value against the floor", x_title: str = "Time (trading days)",
    y_title: str = "Portfolio value (currency)",
) -> go.Figure:
    """One panel per strategy: bands between quantiles of the value, its median, the floor.

    Parameters
    ----------
    times : array_like, shape (n,)
        Grid times in the caller's unit (trading days by default).
    bands : mapping of str to mapping of float to array_like, shape (n,)
        Strategy name to quantile level to the value at that quantile at each time, e.g.
        ``{"CPPI": {0.05: q05, 0.5: q50, 0.95: q95}}``. Levels pair from the outside in into
        shaded bands; the middle level is the line. One level (a single history path) is
        drawn as a line.
    floors : mapping of str to array_like, shape (n,)
        The floor of each strategy in currency (dashed red); a strategy without one may be
        left out.
    columns : int, default 3
        Panels per row; they share the y axis so that the strategies compare.
    max_points : int, default 130
        Grid times drawn at most (evenly spaced, the first and last kept): quantile bands are
        smooth in time, and five panels of six traces over a year of daily steps would send
        the browser ten times the data for the same picture.
    title, x_title, y_title : str

    Returns
    -------
    plotly.graph_objects.Figure
        Per panel: for each band its lower and upper edge (filled), the median line, the floor.

    Notes
    -----
    Insurance shows as a fan whose lower edge stops at the floor: CPPI's value never falls
    below :math:`F_t` when it can trade in time (its cushion is a power of the price), a put
    pays it at expiry; buy-and-hold's fan widens like :math:`\\sqrt t` on both sides.

    Examples
    --------
    >>> fig = insurance_fan_figure([0, 1, 2], {"CPPI": {0.05: [100, 95, 92], 0.5: [100, 101, 102],
    ...                            0.95: [100, 106, 110]}}, {"CPPI": [90, 90, 90]})
    >>> [t.name for t in fig.data]
    ['CPPI 5%-95%', 'CPPI 5%-95%', 'CPPI median', 'floor']
    """
    t = vector(times, "times")
    keep = _thinned(t.size, check_int(max_points, "max_points", minimum=2))
    if not isinstance(bands, Mapping) or not bands:
        raise HedgeLibError(f"bands must be a non-empty mapping of strategy to quantiles, got {bands!r}")
    cols = check_int(columns, "columns", minimum=1)
    names = list(bands)
    n_cols = min(cols, len(names))
    n_rows = -(-len(names) // n_cols)
    fig = make_subplots(rows=n_rows, cols=n_cols, shared_yaxes=True, subplot_titles=names,
                        horizontal_spacing=0.04, vertical_spacing=0.12)
    # Traces are collected and added in one call: plotly's per-call subplot routing is slow.
    traces, rows, cols = [], [], []

    def add(trace: go.Scatter, row: int, col: int) -> None:
        traces.append(trace)
        rows.append(row)
        cols.append(col)

    for k, name in enumerate(names):
        row, col = k // n_cols + 1, k % n_cols + 1
        levels = {float(q): vector(v, f"bands[{name!r}][{q!r}]") for q, v in bands[name].items()}
        if not levels:
            raise HedgeLibError(f"bands[{name!r}] must hold at least one quantile level")
        for q, v in levels.items():
            if not 0.0 < q < 1.0:
                raise HedgeLibError(f"bands[{name!r}] levels must lie strictly between 0 and 1, got {q!r}")
            _check_length(t.size, v, f"bands[{name!r}][{q!r}]", "times")
        levels = {q: v[keep] for q, v in levels.items()}
        order = sorted(levels)
        while len(order) > 1:
            lo, hi = order.pop(0), order.pop(-1)
            label = f"{name} {100 * lo:g}%-{100 * hi:g}%"
            opacity = 0.15 if hi - lo > 0.6 else 0.3
            add(go.Scatter(x=t[keep], y=levels[lo], mode="lines", line={"width": 0}, name=label,
                           showlegend=False, hoverinfo="skip"), row, col)
            add(go.Scatter(x=t[keep], y=levels[hi], mode="lines", line={"width": 0}, fill="tonexty",
                           fillcolor=f"rgba(31, 119, 180, {opacity})", name=label, showlegend=False,
                           hoverinfo="skip"), row, col)
        if order:
            add(go.Scatter(x=t[keep], y=levels[order[0]], mode="lines", line={"color": "#1f77b4"},
                           name=f"{name} median" if len(levels) > 1 else name, showlegend=False,
                           hovertemplate="%{y:,.2f}<extra>" + name + "</extra>"), row, col)
        if name in floors:
            f = vector(floors[name], f"floors[{name!r}]")
            _check_length(t.size, f, f"floors[{name!r}]", "times")
            add(go.Scatter(x=t[keep], y=f[keep], mode="lines", line=_FLOOR, name="floor", showlegend=k == 0,
                           legendgroup="floor", hovertemplate="floor %{y:,.2f}<extra></extra>"), row, col)
    fig.add_traces(traces, rows=rows, cols=cols)
    fig.update_xaxes(title_text=x_title, row=n_rows)
    fig.update_yaxes(title_text=y_title, col=1)
    fig.update_layout(title={"text": title}, legend=LEGEND_ABOVE, height=max(360, 300 * n_rows),
                      margin={"t": 100})
    return fig


def terminal_values_figure(
    values: Mapping[str, ArrayLike], *, floor: float | None = None, capital: float | None = None,
    max_points: int = 1000, title: str = "Terminal value, strategy by strategy",
    y_title: str = "Portfolio value at the horizon (currency)",
) -> go.Figure:
    """The distribution of the terminal value of each strategy, side by side (violins).

    Parameters
    ----------
    values : mapping of str to array_like, shape (n_paths,)
        Strategy name to terminal values.
    floor, capital : float, optional
        Horizontal reference lines: the floor (dashed red) and the initial capital (grey).
    max_points : int, default 1000
        At most this many values per strategy are sent to the browser (the first ones: paths
        are independent, so they are a random sample); the browser estimates each density
        itself, and the shape hardly changes beyond this.
    title, y_title : str

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Violin`` per strategy with its box and mean.

    Examples
    --------
    >>> fig = terminal_values_figure({"CPPI": [95.0, 101.0, 120.0], "Buy and hold": [70.0, 100.0, 140.0]},
    ...                              floor=90.0)
    >>> [t.name for t in fig.data]
    ['CPPI', 'Buy and hold']
    """
    data = _samples(values, "values")
    cap = check_int(max_points, "max_points", minimum=2)
    fig = go.Figure()
    for name, v in data.items():
        fig.add_trace(go.Violin(y=v[:cap], name=name, box_visible=True, meanline_visible=True,
                                points=False, spanmode="hard", hoverinfo="y+name"))
    if floor is not None and np.isfinite(floor):
        fig.add_hline(y=float(floor), line=_FLOOR, annotation_text="floor", annotation_position="bottom right")
    if capital is not None and np.isfinite(capital):
        fig.add_hline(y=float(capital), line={"color": "gray", "width": 1, "dash": "dot"},
                      annotation_text="capital", annotation_position="top right")
    return finish(fig, title, "Strategy", y_title, showlegend=False)


def payoff_scatter_figure(
    index_return: ArrayLike, values: Mapping[str, ArrayLike], *, floor: float | None = None,
    max_points: int = 500, title: str = "Payoff: terminal value against the index",
    x_title: str = "Index return over the horizon (%)",
    y_title: str = "Portfolio value at the horizon (currency)",
) -> go.Figure:
    """Terminal value of each strategy against the index's return on the same paths.

    Parameters
    ----------
    index_return : array_like, shape (n_paths,)
        Return of the risky asset over the horizon, in the caller's unit (percent by default).
    values : mapping of str to array_like, shape (n_paths,)
        Strategy name to terminal value on the same paths.
    floor : float, optional
        Horizontal reference line at the floor.
    max_points : int, default 500
        Paths drawn per strategy (the first ones: paths are independent, so a random sample);
        SVG markers, so that the figure draws without WebGL, and each marker is a node the
        browser lays out: 500 show the hockey stick as well as thousands.
    title, x_title, y_title : str

    Returns
    -------
    plotly.graph_objects.Figure
        One marker trace per strategy.

    Notes
    -----
    Portfolio insurance turns the straight line of buy-and-hold into a **hockey stick**:
    flat at the floor when the index falls, rising with it (less steeply, the cost of the
    insurance) when it rises. A protective put is exactly :math:`n\\max(S_T, K)`; CPPI is
    convex, :math:`F_T + C_0 (S_T/S_0)^m` times a volatility term (Black and Perold 1992).

    Examples
    --------
    >>> fig = payoff_scatter_figure([-20.0, 0.0, 20.0], {"Protective put": [90.0, 95.0, 113.0]}, floor=90.0)
    >>> fig.data[0].name, len(fig.data[0].x)
    ('Protective put', 3)
    """
    x = vector(index_return, "index_return")
    data = _samples(values, "values")
    cap = check_int(max_points, "max_points", minimum=1)
    fig = go.Figure()
    for name, v in data.items():
        _check_length(x.size, v, f"values[{name!r}]", "index_return")
        fig.add_trace(go.Scatter(x=x[:cap], y=v[:cap], mode="markers", name=name,
                                   marker={"size": 4, "opacity": 0.5},
                                   hovertemplate="index %{x:.1f}<br>value %{y:,.2f}<extra>" + name + "</extra>"))
    if floor is not None and np.isfinite(floor):
        fig.add_hline(y=float(floor), line=_FLOOR, annotation_text="floor", annotation_position="bottom right")
    # Strategy names are long: the legend goes under the plot, where it may take several rows.
    below = {"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0.0}
    return finish(fig, title, x_title, y_title, legend=below, height=520, margin={"b": 130})


def insurance_costs_figure(
    names: Sequence[str], components: Mapping[str, ArrayLike], *,
    title: str = "What the insurance costs (mean per path)", y_title: str = "Currency",
) -> go.Figure:
    """Grouped bars: for each strategy, the components of what its insurance costs.

    Parameters
    ----------
    names : sequence of str
        The strategies (x axis).
    components : mapping of str to array_like, shape (len(names),)
        Component label to its value per strategy, e.g. ``{"upside given up": [...],
        "transaction costs": [...], "shortfall below the floor": [...]}``.
    title, y_title : str

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` trace per component (``barmode="group"``).

    Examples
    --------
    >>> fig = insurance_costs_figure(["CPPI", "Put"], {"upside given up": [4.0, 5.5]})
    >>> fig.data[0].name, list(fig.data[0].x)
    ('upside given up', ['CPPI', 'Put'])
    """
    labels = [str(n) for n in names]
    if not labels:
        raise HedgeLibError("names must hold at least one strategy, got none")
    data = _samples(components, "components")
    fig = go.Figure()
    for comp, v in data.items():
        _check_length(len(labels), v, f"components[{comp!r}]", "names")
        fig.add_trace(go.Bar(x=labels, y=v, name=comp, hovertemplate="%{y:,.3f}<extra>" + comp + "</extra>"))
    return finish(fig, title, "Strategy", y_title, barmode="group", legend=LEGEND_ABOVE, margin={"t": 120})


def yearly_returns_figure(
    years: ArrayLike, returns: Mapping[str, ArrayLike], *, floor_return: float | None = None,
    highlight: Sequence[tuple[int, int]] = ((2000, 2002), (2008, 2008)),
    title: str = "Yearly programmes: one bar per year", y_title: str = "Return over the year (%)",
) -> go.Figure:
    """Grouped bars of each strategy's return, year by year, with crash years shaded.

    Parameters
    ----------
    years : array_like of int, shape (n,)
    returns : mapping of str to array_like, shape (n,)
        Strategy name to its return each year, in the caller's unit (percent by default).
    floor_return : float, optional
        The floor as a return (e.g. -10 for a 90% floor), a dashed line.
    highlight : sequence of (first, last) years
        Periods shaded (default the 2000-2002 and 2008 crashes).
    title, y_title : str

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` per strategy (``barmode="group"``), shaded rectangles, the floor line.

    Examples
    --------
    >>> fig = yearly_returns_figure([2007, 2008], {"CPPI": [5.0, -8.0], "Buy and hold": [3.5, -38.5]},
    ...                             floor_return=-10.0)
    >>> [t.name for t in fig.data], fig.layout.barmode
    (['CPPI', 'Buy and hold'], 'group')
    """
    y = vector(years, "years")
    data = _samples(returns, "returns")
    fig = go.Figure()
    for name, v in data.items():
        _check_length(y.size, v, f"returns[{name!r}]", "years")
        fig.add_trace(go.Bar(x=y, y=v, name=name, hovertemplate="%{x:.0f}: %{y:.1f}<extra>" + name + "</extra>"))
    lo, hi = (float(y.min()), float(y.max())) if y.size else (0.0, 0.0)
    for first, last in highlight:
        if last >= lo and first <= hi:
            fig.add_vrect(x0=max(first, lo) - 0.5, x1=min(last, hi) + 0.5, fillcolor="gray",
                          opacity=0.15, line_width=0)
    if floor_return is not None and np.isfinite(floor_return):
        fig.add_hline(y=float(floor_return), line=_FLOOR, annotation_text="floor",
                      annotation_position="bottom right")
    return finish(fig, title, "Year", y_title, x={"dtick": 1}, barmode="group", legend=LEGEND_ABOVE,
                  margin={"t": 120})


def dated_lines_figure(
    dates: ArrayLike, lines: Mapping[str, ArrayLike], *, title: str, y_title: str,
    log_scale: bool = False, x_title: str = "Date",
) -> go.Figure:
    """Several series on one date axis: hedged against unhedged growth, rolling volatilities,
    cumulative costs and basis P&L.

    Parameters
    ----------
    dates : array_like of dates, shape (n,)
    lines : mapping of str to array_like, shape (n,)
        Legend name to values (NaN draws a gap).
    title, y_title, x_title : str
    log_scale : bool, default False
        Logarithmic y axis (growth of a capital over many years).

    Returns
    -------
    plotly.graph_objects.Figure
        One line per series.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.date_range("2020-01-01", periods=3)
    >>> fig = dated_lines_figure(d, {"unhedged": [1.0, 1.1, 0.9], "hedged": [1.0, 1.01, 1.0]},
    ...                          title="Growth of 1", y_title="Value (per unit)")
    >>> [t.name for t in fig.data]
    ['unhedged', 'hedged']
    """
    d = _dates(dates, "dates")
    data = _samples(lines, "lines")
    fig = go.Figure()
    for name, v in data.items():
        _check_length(len(d), v, f"lines[{name!r}]", "dates")
        fig.add_trace(go.Scatter(x=d, y=v, mode="lines", name=name, line={"color": hedge_colour(name)}))
    return finish(fig, title, x_title, y_title, y={"type": "log" if log_scale else "linear"},
                  legend=LEGEND_ABOVE, margin={"t": 90})


def hedge_ratio_figure(
    dates: ArrayLike, ratio: ArrayLike, *, name: str = "Hedge ratio",
    reference: float | None = None, title: str = "Hedge ratio over time",
    y_title: str = "Futures notional sold per unit of portfolio",
) -> go.Figure:
    """The hedge ratio in force on each date, as steps (it changes only at rebalances).

    Parameters
    ----------
    dates : array_like of dates, shape (n,)
    ratio : array_like, shape (n,)
    name : str
        Legend name (the method).
    reference : float, optional
        A horizontal line, e.g. the full-period beta.
    title, y_title : str

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> fig = hedge_ratio_figure(pd.date_range("2020-01-01", periods=3), [1.2, 1.2, 1.1], reference=1.0)
    >>> fig.data[0].line.shape
    'hv'
    """
    d = _dates(dates, "dates")
    r = vector(ratio, "ratio")
    _check_length(len(d), r, "ratio", "dates")
    fig = go.Figure(go.Scatter(x=d, y=r, mode="lines", line={"shape": "hv"}, name=name))
    if reference is not None and np.isfinite(reference):
        fig.add_hline(y=float(reference), line={"color": "gray", "width": 1, "dash": "dot"},
                      annotation_text=f"{reference:.2f}", annotation_position="top left")
    return finish(fig, title, "Date", y_title, legend=LEGEND_ABOVE, showlegend=True, margin={"t": 90})


def variance_reduction_figure(
    years: ArrayLike, reductions: Mapping[str, ArrayLike], *,
    title: str = "Variance removed by the hedge, year by year",
    y_title: str = "Variance reduction (%)",
) -> go.Figure:
    """Grouped bars of the variance reduction of each method per year.

    Parameters
    ----------
    years : array_like of int, shape (n,)
    reductions : mapping of str to array_like, shape (n,)
        Method name to :math:`1 - \\mathrm{Var}(r_H)/\\mathrm{Var}(r_P)` per year, in the
        caller's unit (percent by default); negative when the hedge added risk.
    title, y_title : str

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> fig = variance_reduction_figure([2001, 2002], {"beta": [75.0, 80.0]})
    >>> fig.data[0].name
    'beta'
    """
    y = vector(years, "years")
    data = _samples(reductions, "reductions")
    fig = go.Figure()
    for name, v in data.items():
        _check_length(y.size, v, f"reductions[{name!r}]", "years")
        fig.add_trace(go.Bar(x=y, y=v, name=name, hovertemplate="%{x:.0f}: %{y:.1f}%<extra>" + name + "</extra>"))
    return finish(fig, title, "Year", y_title, x={"dtick": 1}, barmode="group", legend=LEGEND_ABOVE,
                  margin={"t": 120})
