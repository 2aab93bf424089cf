"""Figure builders for the underlying: traces, values, titles with units, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from scipy.stats import norm

from hedgelib.charts.market import fan_chart_figure, price_history_figure, volatility_history_figure
from hedgelib.conventions import HedgeLibError

DATES = pd.bdate_range("2024-01-01", periods=30)
PRICES = 100.0 * np.exp(np.linspace(0.0, 0.1, 30))


def test_price_history_figure_line_and_titles():
    fig = price_history_figure(DATES, PRICES, name="demo", y_title="Close (currency)")
    assert isinstance(fig, go.Figure) and len(fig.data) == 1
    assert fig.data[0].name == "demo"
    np.testing.assert_allclose(fig.data[0].y, PRICES)
    assert pd.DatetimeIndex(fig.data[0].x).equals(DATES)
    assert fig.layout.xaxis.title.text == "Date"
    assert fig.layout.yaxis.title.text == "Close (currency)"
    assert fig.layout.yaxis.type == "linear"
    assert price_history_figure(DATES, PRICES, log_scale=True).layout.yaxis.type == "log"


def test_price_history_figure_rejects_mismatch_and_non_dates():
    with pytest.raises(HedgeLibError, match="prices must have the same length as dates"):
        price_history_figure(DATES, PRICES[:-1])
    with pytest.raises(HedgeLibError, match="dates must be an array of dates"):
        price_history_figure("2024-01-01", PRICES[:1])
    with pytest.raises(HedgeLibError, match="dates must be an array of dates"):
        price_history_figure([object()], [1.0])


def test_volatility_history_figure_realised_implied_and_average():
    realised = np.linspace(10.0, 20.0, 30)
    implied = realised[5:] + 3.0
    fig = volatility_history_figure(
        DATES, realised, implied_dates=DATES[5:], implied=implied, implied_name="VIX",
        realised_name="Realised, 21-day", average=15.0,
    )
    assert [t.name for t in fig.data] == ["Realised, 21-day", "VIX", "Whole-period realised volatility"]
    np.testing.assert_allclose(fig.data[0].y, realised)
    np.testing.assert_allclose(fig.data[1].y, implied)
    assert len(fig.data[1].x) == 25
    # The average spans the realised dates at one level.
    assert list(fig.data[2].y) == [15.0, 15.0]
    assert pd.Timestamp(fig.data[2].x[0]) == DATES[0] and pd.Timestamp(fig.data[2].x[-1]) == DATES[-1]
    assert fig.layout.yaxis.title.text == "Volatility (% a year)"
    assert fig.layout.xaxis.title.text == "Date"


def test_volatility_history_figure_without_extras_and_bad_input():
    fig = volatility_history_figure(DATES, np.full(30, 12.0), average=float("nan"))
    assert [t.name for t in fig.data] == ["Realised volatility"]
    with pytest.raises(HedgeLibError, match="give both or neither"):
        volatility_history_figure(DATES, np.ones(30), implied=np.ones(30))
    with pytest.raises(HedgeLibError, match="implied must have the same length as implied_dates"):
        volatility_history_figure(DATES, np.ones(30), implied_dates=DATES, implied=np.ones(29))


def test_fan_chart_bands_pair_from_the_outside_in():
    t = np.arange(5.0)
    bands = {q: 100.0 + 10.0 * norm.ppf(q) * np.sqrt(t) for q in (0.05, 0.25, 0.5, 0.75, 0.95)}
    samples = np.column_stack([np.full(5, 100.0), np.linspace(100.0, 110.0, 5), np.linspace(100, 90, 5)])
    fig = fan_chart_figure(t, bands, samples=samples, x_title="Trading days from today")
    names = [tr.name for tr in fig.data]
    assert names == ["Sample paths"] * 3 + ["5%", "5%-95%", "25%", "25%-75%", "Median"]
    # Only the first sample path is in the legend.
    assert [tr.showlegend for tr in fig.data[:3]] == [True, False, False]
    # Each band's upper edge fills down to its lower edge, drawn just before it.
    np.testing.assert_allclose(fig.data[3].y, bands[0.05])
    np.testing.assert_allclose(fig.data[4].y, bands[0.95])
    assert fig.data[4].fill == "tonexty" and fig.data[3].fill is None
    np.testing.assert_allclose(fig.data[5].y, bands[0.25])
    np.testing.assert_allclose(fig.data[6].y, bands[0.75])
    np.testing.assert_allclose(fig.data[7].y, bands[0.5])
    np.testing.assert_allclose(fig.data[1].y, samples[:, 1])
    # The inner band is more opaque than the outer one.
    alpha = [float(fig.data[i].fillcolor.rsplit(",", 1)[1].rstrip(")")) for i in (4, 6)]
    assert alpha[1] > alpha[0]
    assert fig.layout.xaxis.title.text == "Trading days from today"
    assert fig.layout.yaxis.title.text == "Price (currency)"


def test_fan_chart_even_levels_have_no_median_line():
    fig = fan_chart_figure([0.0, 1.0], {0.1: [1.0, 0.8], 0.9: [1.0, 1.3]})
    assert [tr.name for tr in fig.data] == ["10%", "10%-90%"]


@pytest.mark.parametrize(
    ("bands", "samples", "message"),
    [
        ({}, None, "at least one quantile"),
        ({1.0: [1.0, 1.0]}, None, "strictly between 0 and 1"),
        ({0.5: [1.0]}, None, r"bands\[0.5\] must have the same length as times"),
        ({0.5: [1.0, 1.0]}, np.ones((3, 2)), r"samples must have shape \(len\(times\), k\)"),
    ],
)
def test_fan_chart_rejects_bad_input(bands, samples, message):
    with pytest.raises(HedgeLibError, match=message):
        fan_chart_figure([0.0, 1.0], bands, samples=samples)


@pytest.mark.parametrize("spike", [37.3, 80.9])  # VIX closes of 5 Feb 2018 and 20 Nov 2008
def test_volatility_history_y_axis_holds_a_vix_spike(spike):
    d = pd.bdate_range("2017-06-01", "2018-06-01")
    realised = np.full(len(d), 8.0)
    vix = np.full(len(d), 11.0)
    vix[170] = spike
    fig = volatility_history_figure(d, realised, implied_dates=d, implied=vix, implied_name="VIX",
                                    average=9.0)
    lo, hi = fig.layout.yaxis.range
    assert lo == 0.0 and hi >= spike
    assert hi <= 1.2 * spike  # headroom, not a squashed chart
    # The realised line alone, too.
    alone = volatility_history_figure(d, np.where(np.arange(len(d)) == 5, spike, 8.0))
    assert alone.layout.yaxis.range[1] >= spike
