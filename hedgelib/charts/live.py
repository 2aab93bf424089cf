"""Figures for the live monitor: price and P&L, the book's greeks over time, hedge against target.

The data come from :meth:`hedgelib.live.PositionStore.snapshots` (one row per monitored
price) and :meth:`~hedgelib.live.PositionStore.trades`, shaped by the caller. Times are
timestamps; money is in the underlying's price units; the greeks are in whatever units the
caller passes, with matching titles (the app passes vega per vol point and theta per day).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hedgelib._typing import ArrayLike
from hedgelib.charts._common import vector
from hedgelib.conventions import HedgeLibError

__all__ = ["live_greeks_figure", "live_hedge_figure", "live_price_pnl_figure"]

BUY_COLOR = "rgb(44, 160, 44)"
SELL_COLOR = "rgb(214, 39, 40)"
_LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0.0}


def _times(value: ArrayLike, name: str) -> pd.DatetimeIndex:
    if isinstance(value, str | bytes) or value is None:
        raise HedgeLibError(f"{name} must be an array of times, got {value!r}")
    try:
        return pd.DatetimeIndex(value)
    except (TypeError, ValueError):
        raise HedgeLibError(f"{name} must be an array of times, got {value!r}") from None


def _date_axis(fig: go.Figure, t: pd.DatetimeIndex) -> None:
    # Daily closes are stamped at midnight: label days, not the hours between them.
    if len(t) and (t == t.normalize()).all():
        # Whole days between ticks (about eight at most): left alone, plotly ticks every few
        # hours over a short replay and prints each date several times.
        days = max(1, -(-(t.max() - t.min()).days // 8))
        fig.update_xaxes(tickformat="%b %d\n%Y", hoverformat="%Y-%m-%d", tick0=t.min(),
                         dtick=days * 86_400_000)


def _series(times: ArrayLike, **columns: ArrayLike) -> tuple[Any, ...]:
    """The times, then each column as a vector as long as the times (checked, named)."""
    t = _times(times, "times")
    out = [vector(values, name) for name, values in columns.items()]
    for name, arr in zip(columns, out, strict=True):
        _same(len(t), arr, name)
    return (t, *out)


def _same(n: int, arr: np.ndarray, name: str, reference: str = "times") -> None:
    if arr.shape != (n,):
        raise HedgeLibError(f"{name} must have the same length as {reference} ({n}), got shape {arr.shape}")


def live_price_pnl_figure(
    times: ArrayLike, prices: ArrayLike, pnl: ArrayLike, *, trade_times: ArrayLike = (),
    trade_shares: ArrayLike = (), trade_prices: ArrayLike | None = None,
    title: str = "Price and P&L since opening", price_title: str = "Price",
    pnl_title: str = "P&L (currency)",
) -> go.Figure:
    """The underlying's price with the accepted hedge trades, over the P&L since opening.

    Parameters
    ----------
    times : array_like of timestamps, shape (n,)
        Times of the monitored prices.
    prices : array_like, shape (n,)
        The underlying's price.
    pnl : array_like, shape (n,)
        P&L since opening (currency, holder's view).
    trade_times, trade_shares : array_like, shape (m,)
        Accepted stock trades (signed shares): buys as green up-triangles, sells as red
        down-triangles on the price.
    trade_prices : array_like, shape (m,), optional
        Where to draw them (default: the price at each trade's time).

    Examples
    --------
    >>> t = pd.date_range("2018-02-01", periods=3, freq="B")
    >>> fig = live_price_pnl_figure(t, [2800.0, 2790.0, 2810.0], [0.0, -1.5, 0.4],
    ...                             trade_times=t[:1], trade_shares=[0.56])
    >>> [tr.name for tr in fig.data]
    ['Price', 'Buy', 'P&L since opening']
    """
    t, s, p = _series(times, prices=prices, pnl=pnl)
    n = len(t)
    tt = _times(trade_times, "trade_times")
    q = vector(trade_shares, "trade_shares") if len(tt) else np.empty(0)
    _same(len(tt), q, "trade_shares", "trade_times")
    if trade_prices is None:
        at = pd.Series(s, index=t)
        tp = at.reindex(tt, method="ffill").to_numpy(dtype=np.float64) if len(tt) else np.empty(0)
    else:
        tp = vector(trade_prices, "trade_prices")
        _same(len(tt), tp, "trade_prices", "trade_times")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.06)
    fig.add_trace(go.Scatter(x=t, y=s, mode="lines+markers" if n < 60 else "lines", name="Price",
                             marker={"size": 4}), row=1, col=1)
    for side, mask, color, symbol in (("Buy", q > 0, BUY_COLOR, "triangle-up"),
                                      ("Sell", q < 0, SELL_COLOR, "triangle-down")):
        if mask.any():
            fig.add_trace(go.Scatter(
                x=tt[mask], y=tp[mask], mode="markers", name=side,
                marker={"color": color, "symbol": symbol, "size": 11},
                customdata=np.abs(q[mask]),
                hovertemplate=f"{side} %{{customdata:.4g}} shares at %{{y:,.2f}}<extra></extra>",
            ), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=p, mode="lines", name="P&L since opening", fill="tozeroy"),
                  row=2, col=1)
    fig.add_hline(y=0.0, line={"width": 1, "dash": "dot"}, row=2, col=1)
    fig.update_layout(title={"text": title}, legend=_LEGEND, hovermode="x unified",
                      margin={"t": 80})
    _date_axis(fig, t)
    fig.update_yaxes(title_text=price_title, row=1, col=1)
    fig.update_yaxes(title_text=pnl_title, row=2, col=1)
    fig.update_xaxes(title_text="Time", row=2, col=1)
    return fig


def live_greeks_figure(
    times: ArrayLike, greeks: Mapping[str, ArrayLike], *, title: str = "The book's greeks over time",
) -> go.Figure:
    """One small panel per greek (``name -> values``, shape (n,)), sharing the time axis.

    The names are the panels' axis titles (give them with units, e.g. "Vega (per vol
    point)").

    Examples
    --------
    >>> t = pd.date_range("2018-02-01", periods=2, freq="B")
    >>> fig = live_greeks_figure(t, {"Delta": [-0.5, -0.6], "Gamma": [-0.002, -0.003]})
    >>> len(fig.data), fig.layout.yaxis2.title.text
    (2, 'Gamma')
    """
    t = _times(times, "times")
    if not isinstance(greeks, Mapping) or not greeks:
        raise HedgeLibError(f"greeks must map names to arrays (at least one), got {greeks!r}")
    rows = len(greeks)
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.04)
    for i, (name, values) in enumerate(greeks.items(), start=1):
        v = vector(values, f"greeks[{name!r}]")
        _same(len(t), v, f"greeks[{name!r}]")
        fig.add_trace(go.Scatter(x=t, y=v, mode="lines", name=name, showlegend=False), row=i, col=1)
        fig.update_yaxes(title_text=name, row=i, col=1)
    fig.update_layout(title={"text": title}, height=150 + 130 * rows, hovermode="x unified")
    _date_axis(fig, t)
    fig.update_xaxes(title_text="Time", row=rows, col=1)
    return fig


def live_hedge_figure(
    times: ArrayLike, held: ArrayLike, target: ArrayLike, *, option_held: ArrayLike | None = None,
    option_target: ArrayLike | None = None, title: str = "Hedge held against the target",
    y_title: str = "Shares of the underlying", option_title: str = "Units of the hedge option",
) -> go.Figure:
    """The hedge held (after each decision) against the strategy's target, as steps.

    Parameters
    ----------
    times : array_like of timestamps, shape (n,)
    held, target : array_like, shape (n,)
        Shares held after each step's decision and the strategy's target (NaN: none).
    option_held, option_target : array_like, shape (n,), optional
        The same for the hedge option, in a second panel.

    Examples
    --------
    >>> t = pd.date_range("2018-02-01", periods=3, freq="B")
    >>> fig = live_hedge_figure(t, [0.56, 0.56, 0.41], [0.56, 0.50, 0.41])
    >>> [tr.name for tr in fig.data]
    ['Target', 'Held']
    """
    t, h, g = _series(times, held=held, target=target)
    n = len(t)
    with_option = option_held is not None
    rows = 2 if with_option else 1
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    panels = [(h, g, y_title)]
    if with_option:
        oh = vector(option_held, "option_held")
        og = vector(option_target if option_target is not None else np.full(n, np.nan), "option_target")
        _same(n, oh, "option_held")
        _same(n, og, "option_target")
        panels.append((oh, og, option_title))
    for i, (hv, gv, axis) in enumerate(panels, start=1):
        first = i == 1
        fig.add_trace(go.Scatter(x=t, y=gv, mode="lines", name="Target", line={"dash": "dot"},
                                 line_shape="hv", showlegend=first, legendgroup="target"), row=i, col=1)
        fig.add_trace(go.Scatter(x=t, y=hv, mode="lines", name="Held", line_shape="hv",
                                 showlegend=first, legendgroup="held"), row=i, col=1)
        fig.update_yaxes(title_text=axis, row=i, col=1)
    fig.update_layout(title={"text": title}, legend=_LEGEND, hovermode="x unified", margin={"t": 80})
    fig.update_xaxes(title_text="Time", row=rows, col=1)
    _date_axis(fig, t)
    return fig
