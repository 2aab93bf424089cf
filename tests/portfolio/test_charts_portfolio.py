"""Figure builders for portfolio hedging: traces, values, titles with units, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from hedgelib.charts import (
    dated_lines_figure,
    hedge_ratio_figure,
    insurance_costs_figure,
    insurance_fan_figure,
    payoff_scatter_figure,
    terminal_values_figure,
    variance_reduction_figure,
    yearly_returns_figure,
)
from hedgelib.conventions import HedgeLibError

T = np.arange(4.0)
BANDS = {0.05: [100, 95, 93, 92], 0.25: [100, 98, 97, 97], 0.5: [100, 101, 102, 103],
         0.75: [100, 104, 106, 108], 0.95: [100, 108, 112, 116]}


def test_fan_panels_bands_and_floor():
    fig = insurance_fan_figure(T, {"CPPI": BANDS, "Hold": BANDS}, {"CPPI": [90.0] * 4}, columns=2)
    assert isinstance(fig, go.Figure)
    names = [t.name for t in fig.data]
    assert names.count("CPPI 5%-95%") == 2 and names.count("CPPI 25%-75%") == 2
    assert "CPPI median" in names and "Hold median" in names
    floors = [t for t in fig.data if t.name == "floor"]
    assert len(floors) == 1 and list(floors[0].y) == [90.0] * 4 and floors[0].line.dash == "dash"
    assert [a.text for a in fig.layout.annotations][:2] == ["CPPI", "Hold"]
    # A single history path: one level, drawn as a line named after the strategy.
    one = insurance_fan_figure(T, {"CPPI": {0.5: BANDS[0.5]}}, {})
    assert [t.name for t in one.data] == ["CPPI"]
    with pytest.raises(HedgeLibError, match="length of times"):
        insurance_fan_figure(T, {"CPPI": {0.5: [1.0, 2.0]}}, {})
    with pytest.raises(HedgeLibError, match="strictly between 0 and 1"):
        insurance_fan_figure(T, {"CPPI": {1.5: BANDS[0.5]}}, {})
    with pytest.raises(HedgeLibError, match="bands"):
        insurance_fan_figure(T, {}, {})


def test_default_figures_send_the_browser_a_bounded_sample():
    # A year of daily steps and 10,000 paths: the page's defaults are of this size.
    t = np.arange(253.0)
    q = {lv: 100 + lv * np.sqrt(t) for lv in (0.05, 0.25, 0.5, 0.75, 0.95)}
    fan = insurance_fan_figure(t, {"CPPI": q}, {"CPPI": 90 + 0.01 * t})
    for trace in fan.data:
        assert len(trace.x) == len(trace.y) <= 130
        assert trace.x[0] == 0.0 and trace.x[-1] == 252.0  # the start and the horizon stay
    floor = next(tr for tr in fan.data if tr.name == "floor")
    np.testing.assert_allclose(floor.y, 90 + 0.01 * np.asarray(floor.x))
    x = np.random.default_rng(1).normal(0.0, 20.0, 10_000)
    assert len(terminal_values_figure({"Hold": 100 + x}).data[0].y) == 1000
    assert len(payoff_scatter_figure(x, {"Hold": 100 + x}).data[0].x) == 500
    # Short grids are drawn whole.
    assert len(insurance_fan_figure(T, {"CPPI": BANDS}, {}).data[0].x) == 4


def test_terminal_values_and_payoff_scatter():
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 20.0, 3000)
    put = 90.0 + np.maximum(x, -10.0) * 0.9
    fig = terminal_values_figure({"Put": put, "Hold": 100 + x}, floor=90.0, capital=100.0, max_points=1000)
    assert [t.type for t in fig.data] == ["violin", "violin"] and len(fig.data[0].y) == 1000
    assert {s.y0 for s in fig.layout.shapes} == {90.0, 100.0}
    sc = payoff_scatter_figure(x, {"Put": put}, floor=90.0, max_points=500)
    assert sc.data[0].name == "Put" and len(sc.data[0].x) == 500
    np.testing.assert_allclose(sc.data[0].y, put[:500])
    assert sc.layout.xaxis.title.text == "Index return over the horizon (%)"
    with pytest.raises(HedgeLibError, match="length of index_return"):
        payoff_scatter_figure(x, {"Put": put[:10]})
    with pytest.raises(HedgeLibError, match="values"):
        terminal_values_figure({})


def test_costs_and_yearly_bars():
    fig = insurance_costs_figure(["CPPI", "Put"], {"upside given up": [3.0, 5.0], "costs": [0.1, 0.02]})
    assert [t.name for t in fig.data] == ["upside given up", "costs"] and fig.layout.barmode == "group"
    with pytest.raises(HedgeLibError, match="length of names"):
        insurance_costs_figure(["CPPI"], {"x": [1.0, 2.0]})
    years = np.arange(1999, 2011)
    bars = yearly_returns_figure(years, {"CPPI": np.zeros(12), "Hold": np.ones(12)}, floor_return=-10.0)
    assert len(bars.data) == 2 and bars.layout.xaxis.title.text == "Year"
    rects = [s for s in bars.layout.shapes if s.type == "rect"]
    assert [(r.x0, r.x1) for r in rects] == [(1999.5, 2002.5), (2007.5, 2008.5)]
    assert any(s.type == "line" and s.y0 == -10.0 for s in bars.layout.shapes)


def test_futures_figures():
    d = pd.bdate_range("2020-01-01", periods=5)
    lines = dated_lines_figure(d, {"unhedged": [1, 2, 3, 4, 5], "hedged": [1, 1, 1, 1, 1]},
                               title="Growth", y_title="Value (per unit)", log_scale=True)
    assert [t.name for t in lines.data] == ["unhedged", "hedged"] and lines.layout.yaxis.type == "log"
    ratio = hedge_ratio_figure(d, [1.2] * 5, name="beta", reference=1.0)
    assert ratio.data[0].line.shape == "hv" and ratio.data[0].name == "beta"
    vr = variance_reduction_figure([2019, 2020], {"beta": [80.0, 85.0], "static": [10.0, -20.0]})
    assert [t.name for t in vr.data] == ["beta", "static"] and vr.layout.yaxis.title.text == "Variance reduction (%)"
    with pytest.raises(HedgeLibError, match="dates"):
        dated_lines_figure("2020-01-01", {"a": [1.0]}, title="t", y_title="y")
    with pytest.raises(HedgeLibError, match="length of dates"):
        hedge_ratio_figure(d, [1.0, 2.0])
