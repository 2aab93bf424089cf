"""Figures for the underlying: price history, realised against implied volatility, fan charts."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hedgelib._typing import ArrayLike
from hedgelib.charts._common import LEGEND_ABOVE, finish, vector
from hedgelib.conventions import HedgeLibError

__all__ = [
    "fan_chart_figure",
    "price_history_figure",
    "volatility_history_figure",
]


def _dates(value: ArrayLike, name: str) -> pd.DatetimeIndex:
    if isinstance(value, str | bytes) or value is None:
        raise HedgeLibError(f"{name} must be an array of dates, got {value!r}")
    try:
        idx = pd.DatetimeIndex(value)
    except (TypeError, ValueError):
        raise HedgeLibError(f"{name} must be an array of dates, got {value!r}") from None
    return idx


def _same_length(reference_name: str, n: int, other: np.ndarray, name: str) -> None:
    if other.shape != (n,):
        raise HedgeLibError(
            f"{name} must have the same length as {reference_name} ({n}), got shape {other.shape}"
        )


def price_history_figure(
    dates: ArrayLike, prices: ArrayLike, *, name: str = "Close", title: str = "Daily closes",
    x_title: str = "Date", y_title: str = "Price (currency)", log_scale: bool = False,
) -> go.Figure:
    """Daily closes of one instrument as a line against the date.

    Parameters
    ----------
    dates : array_like of dates, shape (n,)
        Dates of the closes, oldest first.
    prices : array_like, shape (n,)
        Closes, in the instrument's units (currency, index points, vol points).
    name : str
        Legend and hover name of the line, e.g. ``"S&P 500"``.
    title, x_title, y_title : str
        Figure and axis titles; the y title should carry the unit.
    log_scale : bool, default False
        Logarithmic price axis: equal percentage moves look equal over long histories.

    Returns
    -------
    plotly.graph_objects.Figure
        One line trace.

    Notes
    -----
    On a log scale the slope of the line is the log return per unit of time, so a
    constant growth rate :math:`\\mu - \\tfrac12\\sigma^2` shows as a straight line
    (geometric Brownian motion, Hull, *Options, Futures, and Other Derivatives*, ch. 14).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.date_range("2024-01-01", periods=3)
    >>> fig = price_history_figure(d, [100.0, 101.0, 99.5], name="demo")
    >>> fig.data[0].name, fig.layout.yaxis.title.text
    ('demo', 'Price (currency)')
    """
    d = _dates(dates, "dates")
    p = vector(prices, "prices")
    _same_length("dates", len(d), p, "prices")
    fig = go.Figure(
        go.Scatter(
            x=d, y=p, mode="lines", name=name,
            hovertemplate="%{x|%Y-%m-%d}<br>%{y:,.2f}<extra>" + name + "</extra>",
        )
    )
    return finish(
        fig, title, x_title, y_title, hovermode="x unified", showlegend=False,
        y={"type": "log" if log_scale else "linear"},
    )


def volatility_history_figure(
    dates: ArrayLike, realised: ArrayLike, *, implied_dates: ArrayLike | None = None,
    implied: ArrayLike | None = None, realised_name: str = "Realised volatility",
    implied_name: str = "Implied volatility", average: float | None = None,
    average_name: str = "Whole-period realised volatility",
    title: str = "Rolling realised volatility", x_title: str = "Date",
    y_title: str = "Volatility (% a year)",
) -> go.Figure:
    """Rolling realised volatility against the date, with an implied volatility beside it.

    Parameters
    ----------
    dates : array_like of dates, shape (n,)
        Date ending each rolling window.
    realised : array_like, shape (n,)
        Annualised realised volatility per window, in the caller's unit (the app passes
        vol points: 20 means 20% a year).
    implied_dates, implied : array_like, shape (m,), optional
        An implied volatility series in the same unit (e.g. the VIX for the S&P 500), on its
        own dates; both or neither.
    realised_name, implied_name : str
        Legend names.
    average : float, optional
        One level to draw as a dotted horizontal line, e.g. the realised volatility of the
        whole period.
    average_name : str
        Hover name of that line.
    title, x_title, y_title : str
        Figure and axis titles; the y title should carry the unit.

    Returns
    -------
    plotly.graph_objects.Figure
        The realised line, the implied line when given, and the average line when given; the
        y axis runs from zero to just above the highest value of any of them.

    Notes
    -----
    Realised volatility over a window of :math:`w` daily log returns :math:`r_i` is
    :math:`\\hat\\sigma = \\sqrt{252}\\,\\mathrm{sd}(r_{t-w+1}, \\dots, r_t)` (Hull, ch. 15).
    An implied volatility such as the VIX looks 30 days ahead and usually sits above the
    realised one: the difference is the variance risk premium (Carr and Wu 2009, *Review of
    Financial Studies* 22).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.date_range("2024-01-01", periods=3)
    >>> fig = volatility_history_figure(d, [15.0, 16.0, 14.0], implied_dates=d,
    ...                                 implied=[18.0, 19.0, 17.5], implied_name="VIX")
    >>> [t.name for t in fig.data]
    ['Realised volatility', 'VIX']
    """
    d = _dates(dates, "dates")
    r = vector(realised, "realised")
    _same_length("dates", len(d), r, "realised")
    if (implied is None) != (implied_dates is None):
        raise HedgeLibError("implied and implied_dates go together: give both or neither")
    fig = go.Figure(
        go.Scatter(
            x=d, y=r, mode="lines", name=realised_name,
            hovertemplate="%{x|%Y-%m-%d}<br>%{y:.1f}<extra>" + realised_name + "</extra>",
        )
    )
    if implied is not None:
        di = _dates(implied_dates, "implied_dates")
        iv = vector(implied, "implied")
        _same_length("implied_dates", len(di), iv, "implied")
        fig.add_trace(
            go.Scatter(
                x=di, y=iv, mode="lines", name=implied_name, line={"dash": "dash"},
                hovertemplate="%{x|%Y-%m-%d}<br>%{y:.1f}<extra>" + implied_name + "</extra>",
            )
        )
    if average is not None and np.isfinite(average) and len(d):
        fig.add_trace(
            go.Scatter(
                x=[d[0], d[-1]], y=[float(average)] * 2, mode="lines", name=average_name,
                line={"dash": "dot", "width": 1, "color": "gray"},
                hovertemplate="%{y:.1f}<extra>" + average_name + "</extra>",
            )
        )
    # An explicit range from every series: the VIX spikes (37 in February 2018, 80 in 2008)
    # must stay on the chart whatever autorange makes of two traces on different dates.
    values = np.concatenate([np.asarray(t.y, dtype=np.float64) for t in fig.data if t.y is not None])
    values = values[np.isfinite(values)]
    y_axis: dict = {"rangemode": "tozero"}
    if values.size and values.max() > 0:
        y_axis["range"] = [min(0.0, float(values.min())), 1.06 * float(values.max())]
    return finish(
        fig, title, x_title, y_title, hovermode="x unified", legend=LEGEND_ABOVE, margin={"t": 90},
        y=y_axis,
    )


def fan_chart_figure(
    times: ArrayLike, bands: Mapping[float, ArrayLike], *, samples: ArrayLike | None = None,
    title: str = "Simulated paths: quantiles", x_title: str = "Time (years)",
    y_title: str = "Price (currency)",
) -> go.Figure:
    """A fan chart: shaded bands between symmetric quantiles, the median, sample paths.

    Parameters
    ----------
    times : array_like, shape (n,)
        Time of each grid point, in the caller's unit (years, or trading days from today).
    bands : mapping of float to array_like, shape (n,)
        Quantile level in (0, 1) to the price at that quantile at each time, e.g.
        ``{0.05: q05, 0.25: q25, 0.5: q50, 0.75: q75, 0.95: q95}``. Levels pair up from
        the outside in (lowest with highest) into shaded bands; an unpaired middle level
        is drawn as a line (the median).
    samples : array_like, shape (n, k), optional
        A few individual paths, time-major like ``Paths.spot``, drawn as thin lines.
    title, x_title, y_title : str
        Figure and axis titles, each with its unit.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces in drawing order: the sample paths (legend group "Sample paths"), then for
        each band its lower edge and its upper edge (filled to the lower one), then the
        median line.

    Notes
    -----
    Under geometric Brownian motion the :math:`p`-quantile of :math:`S_t` is
    :math:`S_0 \\exp((\\mu - q - \\tfrac12\\sigma^2)t + \\sigma\\sqrt{t}\\,\\Phi^{-1}(p))`
    (Hull, ch. 15): the bands widen like :math:`\\sqrt t` and lean upward, since the median
    sits below the mean. Fan charts in this form are how the Bank of England has shown its
    inflation forecasts since 1996 (Britton, Fisher and Whitley 1998, *Bank of England
    Quarterly Bulletin*).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0.0, 1.0, 3)
    >>> fig = fan_chart_figure(t, {0.05: [100, 80, 75], 0.5: [100, 101, 102],
    ...                            0.95: [100, 125, 135]})
    >>> [tr.name for tr in fig.data]
    ['5%', '5%-95%', 'Median']
    """
    t = vector(times, "times")
    if not bands:
        raise HedgeLibError("bands must hold at least one quantile level, got an empty mapping")
    levels = sorted(float(q) for q in bands)
    if len(set(levels)) != len(levels):
        raise HedgeLibError(f"bands must not repeat a quantile level, got {levels}")
    for q in levels:
        if not 0.0 < q < 1.0:
            raise HedgeLibError(f"bands levels must lie strictly between 0 and 1, got {q!r}")
    values = {}
    for key, arr in bands.items():
        v = vector(arr, f"bands[{key!r}]")
        _same_length("times", t.size, v, f"bands[{key!r}]")
        values[float(key)] = v

    fig = go.Figure()
    if samples is not None:
        paths = np.asarray(samples, dtype=np.float64)
        if paths.ndim == 1:
            paths = paths.reshape(-1, 1)
        if paths.ndim != 2 or paths.shape[0] != t.size:
            raise HedgeLibError(
                f"samples must have shape (len(times), k) = ({t.size}, k), got {paths.shape}"
            )
        for j in range(paths.shape[1]):
            fig.add_trace(
                go.Scatter(
                    x=t, y=paths[:, j], mode="lines", name="Sample paths",
                    legendgroup="samples", showlegend=j == 0,
                    line={"width": 1, "color": "rgba(120, 120, 120, 0.45)"},
                    hoverinfo="skip",
                )
            )
    n_bands = len(levels) // 2
    for i in range(n_bands):
        lo, hi = levels[i], levels[-1 - i]
        # Inner bands darker: opacity grows towards the median.
        alpha = 0.15 + 0.2 * (i + 1) / max(n_bands, 1)
        fig.add_trace(
            go.Scatter(
                x=t, y=values[lo], mode="lines", name=f"{lo:.0%}", showlegend=False,
                line={"width": 0.5, "color": f"rgba(31, 119, 180, {alpha + 0.2:.2f})"},
                hovertemplate="%{y:,.2f}<extra>" + f"{lo:.0%} quantile" + "</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=t, y=values[hi], mode="lines", name=f"{lo:.0%}-{hi:.0%}", fill="tonexty",
                fillcolor=f"rgba(31, 119, 180, {alpha:.2f})",
                line={"width": 0.5, "color": f"rgba(31, 119, 180, {alpha + 0.2:.2f})"},
                hovertemplate="%{y:,.2f}<extra>" + f"{hi:.0%} quantile" + "</extra>",
            )
        )
    if len(levels) % 2:
        mid = levels[n_bands]
        fig.add_trace(
            go.Scatter(
                x=t, y=values[mid], mode="lines", name="Median" if mid == 0.5 else f"{mid:.0%}",
                line={"width": 2, "color": "rgb(31, 119, 180)"},
                hovertemplate="%{y:,.2f}<extra>" + f"{mid:.0%} quantile" + "</extra>",
            )
        )
    return finish(
        fig, title, x_title, y_title, hovermode="x unified", legend=LEGEND_ABOVE, margin={"t": 90},
    )
