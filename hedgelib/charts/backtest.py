"""Figures for historical backtests: trades on the price, hedge, P&L attribution, volatility.

Every builder takes plain arrays (dates, numbers) and returns a ``go.Figure``; the data come
from :mod:`hedgelib.backtest` (a :class:`~hedgelib.backtest.Replay` or a
:class:`~hedgelib.backtest.RollingResult`), shaped by the caller. Money is in the
underlying's price units (index points or currency), volatility in whatever unit the caller
passes (the app passes vol points: 20 means 20% a year) with the matching axis title.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hedgelib._typing import ArrayLike
from hedgelib.charts._common import (
    HEDGED_COLOUR,
    MAX_MARKERS,
    UNHEDGED_COLOUR,
    finish,
    hedge_colour,
    line_width,
    vector,
)
from hedgelib.conventions import HedgeLibError

__all__ = [
    "ATTRIBUTION_STYLE",
    "hedge_position_figure",
    "pnl_attribution_figure",
    "price_trades_figure",
    "trade_pnl_histogram_figure",
    "variance_scatter_figure",
    "volatility_comparison_figure",
]

BUY_COLOR = "rgb(44, 160, 44)"
SELL_COLOR = "rgb(214, 39, 40)"
#: Attribution term -> (legend name, line dash). Terms not listed keep their own name.
ATTRIBUTION_STYLE: dict[str, tuple[str, str]] = {
    "entry": ("Entry (value − premium)", "dot"),
    "delta": ("Delta", "solid"),
    "gamma": ("Gamma", "solid"),
    "theta": ("Theta", "solid"),
    "vega": ("Vega", "solid"),
    "residual": ("Residual", "dot"),
    "interest": ("Financing (interest)", "dash"),
    "dividends": ("Dividends", "dash"),
    "costs": ("Costs", "dash"),
}
# Legends below the plot: above it, a two-row legend runs into the title.
_LEGEND = {"orientation": "h", "yanchor": "top", "y": -0.3, "x": 0.0}


def _dates(value: ArrayLike, name: str) -> pd.DatetimeIndex:
    if isinstance(value, str | bytes) or value is None:
        raise HedgeLibError(f"{name} must be an array of dates, got {value!r}")
    try:
        return pd.DatetimeIndex(value)
    except (TypeError, ValueError):
        raise HedgeLibError(f"{name} must be an array of dates, got {value!r}") from None


def _check_length(reference_name: str, n: int, other: np.ndarray, name: str) -> None:
    if other.shape != (n,):
        raise HedgeLibError(
            f"{name} must have the same length as {reference_name} ({n}), got shape {other.shape}"
        )


def _net_by_period(
    dates: pd.DatetimeIndex, shares: np.ndarray, prices: np.ndarray,
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray, str]:
    # Hundreds of triangles on a five-year axis are one smear: net them by the shortest
    # calendar period that leaves at most MAX_MARKERS, drawn at the period's last trade.
    traded = shares != 0
    if traded.sum() <= MAX_MARKERS:
        return dates, shares, prices, ""
    d, q, p = dates[traded], shares[traded], prices[traded]
    naive = d.tz_localize(None) if d.tz is not None else d
    options = (("W", "week"), ("M", "month"), ("Q", "quarter"), ("Y", "year"))
    freq, word = next(((f, w) for f, w in options if naive.to_period(f).nunique() <= MAX_MARKERS),
                      options[-1])
    period = naive.to_period(freq)
    frame = pd.DataFrame({"date": d, "shares": q, "price": p}).groupby(np.asarray(period), sort=True)
    net = frame.agg(date=("date", "last"), shares=("shares", "sum"), price=("price", "last"))
    return (pd.DatetimeIndex(net["date"]), net["shares"].to_numpy(), net["price"].to_numpy(),
            f" (net per {word})")


def price_trades_figure(
    dates: ArrayLike, prices: ArrayLike, trade_dates: ArrayLike, trade_shares: ArrayLike, *,
    trade_prices: ArrayLike | None = None, entry_dates: ArrayLike | None = None,
    levels: Mapping[str, float] | None = None, name: str = "Close",
    title: str = "Price and hedge trades", x_title: str = "Date", y_title: str = "Price (currency)",
) -> go.Figure:
    """The price with the hedge's trades marked: buys as green up-triangles, sells as red
    down-triangles.

    Parameters
    ----------
    dates : array_like of dates, shape (n,)
        Dates of the closes, oldest first.
    prices : array_like, shape (n,)
        Closes, in the underlying's units.
    trade_dates : array_like of dates, shape (m,)
        Date of each trade.
    trade_shares : array_like, shape (m,)
        Shares traded, signed: + bought, - sold. Zero trades are not drawn.
    trade_prices : array_like, shape (m,), optional
        Price of each trade; default the close on its date (NaN when the date is not in
        ``dates``, which plotly leaves out).
    entry_dates : array_like of dates, optional
        Dates a trade of a programme was entered, drawn as open circles on the price.
    levels : mapping of str to float, optional
        Horizontal dotted lines, e.g. the strikes ``{"strike 2,800": 2800.0}``.
    name : str
        Legend name of the price line, e.g. ``"S&P 500"``.
    title, x_title, y_title : str
        Figure and axis titles; the y title should carry the unit.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces in order: the price line, "Buys", "Sells" (each present even when empty, so
        the legend is stable), "Entries" when given, then one line per level. Beyond
        ``MAX_MARKERS`` trades (a long backtest) the trades are netted per week, month,
        quarter or year, whichever is shortest with at most that many markers, and the legend
        says so ("Buys (net per month)").

    Notes
    -----
    A delta hedge of a short option buys as the price rises and sells as it falls
    (short gamma: :math:`\\delta x = -\\Gamma\\,\\delta S` shares; Hull, ch. 19), so the
    marker colours follow the price; a long-gamma book does the opposite.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.date_range("2024-01-01", periods=3)
    >>> fig = price_trades_figure(d, [100.0, 102.0, 99.0], d[1:], [0.3, -0.5])
    >>> [t.name for t in fig.data], fig.data[1].y.tolist(), fig.data[2].y.tolist()
    (['Close', 'Buys', 'Sells'], [102.0], [99.0])
    """
    d = _dates(dates, "dates")
    p = vector(prices, "prices")
    _check_length("dates", len(d), p, "prices")
    td = _dates(trade_dates, "trade_dates")
    q = vector(trade_shares, "trade_shares")
    _check_length("trade_dates", len(td), q, "trade_shares")
    if trade_prices is None:
        tp = pd.Series(p, index=d).reindex(td).to_numpy(dtype=np.float64)
    else:
        tp = vector(trade_prices, "trade_prices")
        _check_length("trade_dates", len(td), tp, "trade_prices")

    td, q, tp, netted = _net_by_period(td, q, tp)
    fig = go.Figure(
        go.Scatter(
            x=d, y=p, mode="lines", name=name, line={"width": line_width(len(d), 1.5)},
            hovertemplate="%{x|%Y-%m-%d}<br>%{y:,.2f}<extra>" + name + "</extra>",
        )
    )
    for label, mask, symbol, color in (
        ("Buys" + netted, q > 0, "triangle-up", BUY_COLOR),
        ("Sells" + netted, q < 0, "triangle-down", SELL_COLOR),
    ):
        fig.add_trace(
            go.Scatter(
                x=td[mask], y=tp[mask], mode="markers", name=label, customdata=q[mask],
                marker={"symbol": symbol, "color": color, "size": 6 if netted else 8},
                hovertemplate="%{x|%Y-%m-%d}<br>%{customdata:+,.4f} shares at %{y:,.2f}"
                              "<extra>" + label + "</extra>",
            )
        )
    if entry_dates is not None:
        ed = _dates(entry_dates, "entry_dates")
        ep = pd.Series(p, index=d).reindex(ed).to_numpy(dtype=np.float64)
        fig.add_trace(
            go.Scatter(
                x=ed, y=ep, mode="markers", name="Entries",
                marker={"symbol": "circle-open", "size": 12, "line": {"width": 2}},
                hovertemplate="%{x|%Y-%m-%d}<br>entered at %{y:,.2f}<extra>Entries</extra>",
            )
        )
    if levels and len(d):
        for label, value in levels.items():
            v = float(value)
            if not np.isfinite(v):
                continue
            fig.add_trace(
                go.Scatter(
                    x=[d[0], d[-1]], y=[v, v], mode="lines", name=label, showlegend=False,
                    line={"dash": "dot", "width": 1, "color": "gray"},
                    hovertemplate="%{y:,.2f}<extra>" + label + "</extra>",
                )
            )
    return finish(
        fig, title, x_title, y_title, hovermode="closest", legend=_LEGEND, margin={"b": 140},
    )


def hedge_position_figure(
    dates: ArrayLike, position: ArrayLike, *, name: str = "Hedge (shares)",
    title: str = "Hedge position after each day's trade", x_title: str = "Date",
    y_title: str = "Shares held (+ long, − short)",
) -> go.Figure:
    """Shares of the underlying held by the hedge over time, as a step line filled to zero.

    Parameters
    ----------
    dates : array_like of dates, shape (n,)
        Dates, oldest first.
    position : array_like, shape (n,)
        Shares held after the trade of each date (signed).
    name, title, x_title, y_title : str
        Legend name, figure and axis titles.

    Returns
    -------
    plotly.graph_objects.Figure
        One trace, drawn as steps (``line.shape = "hv"``): the position holds until the next
        trade.

    Notes
    -----
    A delta hedge holds :math:`x_t = -\\Delta_t` shares (Hull, ch. 19): the line is the
    book's delta, mirrored, sampled at the closes where the rule traded.

    Examples
    --------
    >>> import pandas as pd
    >>> fig = hedge_position_figure(pd.date_range("2024-01-01", periods=3), [0.1, -0.2, 0.0])
    >>> fig.data[0].line.shape, fig.layout.yaxis.title.text
    ('hv', 'Shares held (+ long, − short)')
    """
    d = _dates(dates, "dates")
    x = vector(position, "position")
    _check_length("dates", len(d), x, "position")
    fig = go.Figure(
        go.Scatter(
            x=d, y=x, mode="lines", name=name, line={"shape": "hv", "width": line_width(len(d), 1.5)},
            fill="tozeroy",
            hovertemplate="%{x|%Y-%m-%d}<br>%{y:+,.4f} shares<extra></extra>",
        )
    )
    return finish(
        fig, title, x_title, y_title, hovermode="x unified", showlegend=False,
        y={"zeroline": True},
    )


def pnl_attribution_figure(
    dates: ArrayLike, terms: Mapping[str, ArrayLike], *, total: ArrayLike | None = None,
    total_name: str = "P&L", title: str = "Cumulative P&L by source", x_title: str = "Date",
    y_title: str = "Cumulative P&L (currency)",
) -> go.Figure:
    """Cumulative P&L split into its sources, one line per source, and the total in bold.

    Parameters
    ----------
    dates : array_like of dates, shape (n,)
        Dates, oldest first.
    terms : mapping of str to array_like, shape (n,)
        Cumulative P&L of each source by date, e.g. the columns ``delta``, ``gamma``,
        ``theta``, ``vega``, ``residual``, ``interest``, ``costs`` of
        :attr:`hedgelib.backtest.Replay.attribution_over_time`. Keys of
        :data:`ATTRIBUTION_STYLE` get its legend names; others keep their own.
    total : array_like, shape (n,), optional
        The cumulative P&L itself, drawn last as a thick line.
    total_name : str
        Legend name of the total.
    title, x_title, y_title : str
        Figure and axis titles; the y title should carry the unit.

    Returns
    -------
    plotly.graph_objects.Figure
        One line per term, in the mapping's order, then the total.

    Notes
    -----
    The explain of a hedged option book over one step is
    :math:`\\delta\\Pi \\approx \\Delta\\,\\delta S + \\tfrac12\\Gamma\\,\\delta S^2 +
    \\Theta\\,\\delta t + \\mathcal V\\,\\delta\\sigma` plus a residual (Hull, ch. 19;
    Taleb, *Dynamic Hedging*, 1997); with a delta hedge the delta line stays near zero and
    the gamma and theta lines mirror each other. Lines rather than stacked areas, because
    the terms have both signs.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.date_range("2024-01-01", periods=3)
    >>> fig = pnl_attribution_figure(d, {"gamma": [0, -2, -5], "theta": [0, 1, 2]},
    ...                              total=[0, -1, -3])
    >>> [t.name for t in fig.data]
    ['Gamma', 'Theta', 'P&L']
    """
    d = _dates(dates, "dates")
    if not terms and total is None:
        raise HedgeLibError("terms must hold at least one series when total is not given, got none")
    fig = go.Figure()
    for key, values in terms.items():
        v = vector(values, f"terms[{key!r}]")
        _check_length("dates", len(d), v, f"terms[{key!r}]")
        label, dash = ATTRIBUTION_STYLE.get(key, (key, "solid"))
        fig.add_trace(
            go.Scatter(
                x=d, y=v, mode="lines", name=label, line={"dash": dash, "width": line_width(len(d), 1.5)},
                hovertemplate="%{y:+,.2f}<extra>" + label + "</extra>",
            )
        )
    if total is not None:
        t = vector(total, "total")
        _check_length("dates", len(d), t, "total")
        fig.add_trace(
            go.Scatter(
                x=d, y=t, mode="lines", name=total_name,
                line={"width": line_width(len(d), 3.5), "color": "rgb(60, 60, 60)"},
                hovertemplate="%{y:+,.2f}<extra>" + total_name + "</extra>",
            )
        )
    return finish(
        fig, title, x_title, y_title, hovermode="x unified", legend=_LEGEND, margin={"b": 140},
        y={"zeroline": True},
    )


def volatility_comparison_figure(
    dates: ArrayLike, implied: ArrayLike, realised: ArrayLike, *,
    implied_name: str = "Implied volatility", realised_name: str = "Realised volatility",
    markers: bool = False, levels: Mapping[str, float] | None = None,
    title: str = "Implied against realised volatility", x_title: str = "Date",
    y_title: str = "Volatility (% a year)",
) -> go.Figure:
    """Implied and realised volatility on the same dates, the gap between them shaded.

    Parameters
    ----------
    dates : array_like of dates, shape (n,)
        Dates, oldest first (for a rolling programme, the entry dates).
    implied, realised : array_like, shape (n,)
        Annualised volatilities in the caller's unit (the app passes vol points). NaN
        leaves a gap.
    implied_name, realised_name : str
        Legend names.
    markers : bool, default False
        Draw a marker at each point (one per trade for a programme); ignored beyond
        ``MAX_MARKERS`` points, where markers would hide the lines.
    levels : mapping of str to float, optional
        Horizontal dotted lines, e.g. ``{"Realised over the life": 26.4}``.
    title, x_title, y_title : str
        Figure and axis titles; the y title should carry the unit.

    Returns
    -------
    plotly.graph_objects.Figure
        The implied line, the realised line filled to it (the variance risk premium, or
        its reversal), then one line per level.

    Notes
    -----
    A short option hedged at the implied volatility :math:`\\sigma_i` earns about
    :math:`\\tfrac12\\sum\\Gamma S^2(\\sigma_i^2 - \\sigma_r^2)\\,\\delta t` (Carr and Madan
    1998): where the realised line crosses above the implied one, the seller loses. Implied
    usually sits above realised: the variance risk premium (Carr and Wu 2009).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.date_range("2024-01-01", periods=2)
    >>> fig = volatility_comparison_figure(d, [18.0, 20.0], [12.0, 25.0], implied_name="VIX")
    >>> [t.name for t in fig.data], fig.data[1].fill
    (['VIX', 'Realised volatility'], 'tonexty')
    """
    d = _dates(dates, "dates")
    iv = vector(implied, "implied")
    _check_length("dates", len(d), iv, "implied")
    rv = vector(realised, "realised")
    _check_length("dates", len(d), rv, "realised")
    mode = "lines+markers" if markers and len(d) <= MAX_MARKERS else "lines"
    width = line_width(len(d), 2.0)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=d, y=iv, mode=mode, name=implied_name, line={"width": width},
            hovertemplate="%{x|%Y-%m-%d}<br>%{y:.1f}<extra>" + implied_name + "</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=d, y=rv, mode=mode, name=realised_name, line={"width": width, "dash": "dash"},
            fill="tonexty", fillcolor="rgba(150, 150, 150, 0.18)",
            hovertemplate="%{x|%Y-%m-%d}<br>%{y:.1f}<extra>" + realised_name + "</extra>",
        )
    )
    if levels and len(d):
        for label, value in levels.items():
            v = float(value)
            if not np.isfinite(v):
                continue
            fig.add_trace(
                go.Scatter(
                    x=[d[0], d[-1]], y=[v, v], mode="lines", name=label,
                    line={"dash": "dot", "width": 1, "color": "gray"},
                    hovertemplate="%{y:.1f}<extra>" + label + "</extra>",
                )
            )
    return finish(
        fig, title, x_title, y_title, hovermode="x unified", legend=_LEGEND, margin={"b": 140},
        y={"rangemode": "tozero"},
    )


def trade_pnl_histogram_figure(
    pnl: ArrayLike, *, unhedged: ArrayLike | None = None,
    names: tuple[str, str] = ("Hedged", "Unhedged"), nbins: int | None = None,
    title: str = "P&L per trade", x_title: str = "P&L per trade (currency)",
    y_title: str = "Number of trades",
) -> go.Figure:
    """Histogram of the P&L of a programme's trades, the unhedged P&L overlaid.

    Parameters
    ----------
    pnl : array_like, shape (n,)
        Final P&L of each trade, premium included.
    unhedged : array_like, shape (n,), optional
        The same trades without the hedge.
    names : (str, str)
        Legend names of the two histograms.
    nbins : int, optional
        Number of bins; default about :math:`\\sqrt n`, at least 10 and at most 60, on one
        common set of edges for both histograms.
    title, x_title, y_title : str
        Figure and axis titles.

    Returns
    -------
    plotly.graph_objects.Figure
        One or two bar histograms on the same bins, then a dotted zero line.

    Notes
    -----
    The hedge removes the directional part of the P&L, :math:`\\Delta\\,\\delta S`; what is
    left is mostly the gamma-weighted variance gap, so the hedged histogram is narrower
    than the unhedged one and centred on the premium's volatility edge.

    Examples
    --------
    >>> fig = trade_pnl_histogram_figure([1.0, -2.0, 3.0], unhedged=[10.0, -30.0, 5.0])
    >>> [t.name for t in fig.data], int(sum(fig.data[0].y))
    (['Hedged', 'Unhedged', 'zero'], 3)
    """
    a = vector(pnl, "pnl")
    if a.size == 0:
        raise HedgeLibError("pnl must hold at least one trade, got none")
    series = [(names[0], a)]
    if unhedged is not None:
        u = vector(unhedged, "unhedged")
        _check_length("pnl", a.size, u, "unhedged")
        series.append((names[1], u))
    every = np.concatenate([s for _, s in series])
    finite = every[np.isfinite(every)]
    if finite.size == 0:
        raise HedgeLibError("pnl must hold at least one finite value, got none")
    n_bins = nbins if nbins is not None else int(np.clip(round(np.sqrt(a.size)), 10, 60))
    if not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise HedgeLibError(f"nbins must be a whole number >= 1, got {nbins!r}")
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, int(n_bins) + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    width = edges[1] - edges[0]
    fig = go.Figure()
    defaults = (HEDGED_COLOUR, UNHEDGED_COLOUR)
    for i, ((label, values), opacity) in enumerate(zip(series, (0.85, 0.45), strict=False)):
        counts, _ = np.histogram(values[np.isfinite(values)], bins=edges)
        fig.add_trace(
            go.Bar(
                x=centres, y=counts, width=width, name=label, opacity=opacity,
                marker={"color": hedge_colour(label) or defaults[i]},
                customdata=np.column_stack([edges[:-1], edges[1:]]),
                hovertemplate="%{customdata[0]:,.2f} to %{customdata[1]:,.2f}: %{y} trades"
                              "<extra>" + label + "</extra>",
            )
        )
    top = max(int(max(tr.y)) for tr in fig.data) if fig.data else 1
    fig.add_trace(
        go.Scatter(
            x=[0.0, 0.0], y=[0, top], mode="lines", name="zero", showlegend=False,
            line={"dash": "dot", "width": 1, "color": "gray"}, hoverinfo="skip",
        )
    )
    return finish(
        fig, title, x_title, y_title, barmode="overlay", legend=_LEGEND, margin={"b": 140},
    )


def variance_scatter_figure(
    variance_spread: ArrayLike, pnl: ArrayLike, *, theory_slope: float,
    theory_pnl: ArrayLike | None = None, labels: Sequence[str] | None = None,
    title: str = "P&L against implied minus realised variance",
    x_title: str = "Implied² − realised² (annual variance)",
    y_title: str = "P&L per trade (currency)",
) -> go.Figure:
    """Each trade's P&L against its implied minus realised variance, with the theory line.

    Parameters
    ----------
    variance_spread : array_like, shape (n,)
        :math:`\\sigma_i^2 - \\sigma_r^2` of each trade (decimal variances, annualised).
    pnl : array_like, shape (n,)
        Final P&L of each trade.
    theory_slope : float
        Slope of the theory line :math:`\\text{P\\&L} = \\text{slope}\\times(\\sigma_i^2 -
        \\sigma_r^2)`: minus the mean gamma exposure
        (:attr:`hedgelib.backtest.RollingResult.theory_slope`).
    theory_pnl : array_like, shape (n,), optional
        Each trade's own theory P&L (its gamma exposure times the spread), drawn as open
        markers.
    labels : sequence of str, optional
        Hover label of each trade, e.g. its entry date.
    title, x_title, y_title : str
        Figure and axis titles.

    Returns
    -------
    plotly.graph_objects.Figure
        The trades (markers), the theory line over the range of the spreads, then the
        per-trade theory markers when given.

    Notes
    -----
    A delta-hedged position of gamma :math:`\\Gamma` earns to leading order
    :math:`\\tfrac12\\sum_t\\Gamma_t S_t^2(\\sigma_r^2 - \\sigma_i^2)\\,\\delta t`
    (Carr and Madan 1998; Hull, ch. 19). With the dollar-gamma sum
    :math:`G = \\tfrac12\\sum\\Gamma S^2\\delta t` the P&L is :math:`-G(\\sigma_i^2 -
    \\sigma_r^2)`: a straight line through the origin, rising for a short-gamma trade
    (:math:`G < 0`). Trades scatter around it because dollar gamma differs from trade to
    trade and is largest where the path stays near the strike.

    Examples
    --------
    >>> fig = variance_scatter_figure([0.01, -0.02], [30.0, -70.0], theory_slope=3000.0)
    >>> [t.name for t in fig.data], fig.data[1].y.tolist()
    (['Trades', 'Theory: slope 3,000'], [-60.0, 30.0])
    """
    x = vector(variance_spread, "variance_spread")
    y = vector(pnl, "pnl")
    _check_length("variance_spread", x.size, y, "pnl")
    slope = float(np.asarray(theory_slope, dtype=np.float64))
    if not np.isfinite(slope):
        raise HedgeLibError(f"theory_slope must be finite, got {theory_slope!r}")
    if labels is not None and len(labels) != x.size:
        raise HedgeLibError(
            f"labels must have the same length as variance_spread ({x.size}), got {len(labels)}"
        )
    text = list(labels) if labels is not None else None
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x, y=y, mode="markers", name="Trades", text=text, marker={"size": 9},
            hovertemplate=("%{text}<br>" if text else "")
            + "σi² − σr² = %{x:.4f}<br>P&L %{y:+,.2f}<extra>Trade</extra>",
        )
    )
    finite = x[np.isfinite(x)]
    if finite.size:
        lo, hi = float(min(finite.min(), 0.0)), float(max(finite.max(), 0.0))
        line_x = np.array([lo, hi])
        fig.add_trace(
            go.Scatter(
                x=line_x, y=slope * line_x, mode="lines", name=f"Theory: slope {slope:,.0f}",
                line={"dash": "dash", "width": 2, "color": "gray"},
                hovertemplate="%{y:+,.2f}<extra>theory</extra>",
            )
        )
    if theory_pnl is not None:
        tp = vector(theory_pnl, "theory_pnl")
        _check_length("variance_spread", x.size, tp, "theory_pnl")
        fig.add_trace(
            go.Scatter(
                x=x, y=tp, mode="markers", name="Theory per trade (own gamma)", text=text,
                marker={"symbol": "circle-open", "size": 9},
                hovertemplate=("%{text}<br>" if text else "") + "theory %{y:+,.2f}<extra></extra>",
            )
        )
    return finish(
        fig, title, x_title, y_title, hovermode="closest", legend=_LEGEND, margin={"b": 140},
        x={"zeroline": True}, y={"zeroline": True},
    )
