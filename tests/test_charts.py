"""Figure builders: right traces, titles and axis labels (AppTest cannot see plotly figures)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from hedgelib.charts import greeks_profile_figure, payoff_value_figure, pnl_heatmap_figure
from hedgelib.conventions import HedgeLibError

SPOT = np.linspace(60.0, 140.0, 41)
CALL_PAYOFF = np.maximum(SPOT - 100.0, 0.0)


def _vline_xs(fig: go.Figure) -> list[float]:
    return sorted(float(shape.x0) for shape in fig.layout.shapes)


def test_payoff_value_figure_traces_titles_and_lines():
    value = CALL_PAYOFF + 5.0
    fig = payoff_value_figure(
        SPOT, CALL_PAYOFF, value, spot=100.0, premium=8.0, breakevens=[108.0], strikes=[100.0]
    )
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["Payoff at expiry", "Value today", "Premium", "Breakeven"]
    np.testing.assert_allclose(fig.data[0].y, CALL_PAYOFF)
    np.testing.assert_allclose(fig.data[1].y, value)
    assert list(fig.data[2].y) == [8.0, 8.0]
    # The breakeven marker sits on the premium line, where payoff = premium.
    assert list(fig.data[3].x) == [108.0] and list(fig.data[3].y) == [8.0]
    assert fig.layout.title.text == "Payoff at expiry and value today"
    assert fig.layout.xaxis.title.text == "Spot at expiry (currency)"
    assert fig.layout.yaxis.title.text == "Value (currency)"
    # A strike line and a spot line.
    assert _vline_xs(fig) == [100.0, 100.0]


def test_payoff_value_figure_pnl_mode_subtracts_premium():
    fig = payoff_value_figure(SPOT, CALL_PAYOFF, CALL_PAYOFF + 1.0, premium=8.0, as_pnl=True)
    np.testing.assert_allclose(fig.data[0].y, CALL_PAYOFF - 8.0)
    np.testing.assert_allclose(fig.data[1].y, CALL_PAYOFF - 7.0)
    assert [t.name for t in fig.data] == [
        "Payoff at expiry − premium", "Value today − premium", "Break-even level"
    ]
    assert list(fig.data[2].y) == [0.0, 0.0]
    assert fig.layout.yaxis.title.text == "P&L (currency)"


def test_payoff_value_figure_skips_missing_extras_and_infinite_breakevens():
    fig = payoff_value_figure(SPOT, CALL_PAYOFF, CALL_PAYOFF, breakevens=[np.inf])
    assert [t.name for t in fig.data] == ["Payoff at expiry", "Value today"]
    assert fig.layout.shapes == ()


def test_payoff_value_figure_rejects_bad_input():
    with pytest.raises(HedgeLibError, match="payoff must have the same length"):
        payoff_value_figure(SPOT, CALL_PAYOFF[:-1], CALL_PAYOFF)
    with pytest.raises(HedgeLibError, match="premium"):
        payoff_value_figure(SPOT, CALL_PAYOFF, CALL_PAYOFF, as_pnl=True)
    with pytest.raises(HedgeLibError, match="spot_grid must be an array"):
        payoff_value_figure("abc", CALL_PAYOFF, CALL_PAYOFF)


def test_greeks_profile_figure_one_subplot_per_greek_with_unit_titles():
    greeks = {
        "Delta (shares)": SPOT / 200.0,
        "Gamma per 1.00 of spot": np.full_like(SPOT, 0.02),
        "Vega per vol point": np.full_like(SPOT, 0.3),
    }
    fig = greeks_profile_figure(SPOT, greeks, spot=100.0, n_cols=2)
    assert [t.name for t in fig.data] == list(greeks)
    # Two columns, two rows: traces land on distinct axes.
    assert [(t.xaxis, t.yaxis) for t in fig.data] == [("x", "y"), ("x2", "y2"), ("x3", "y3")]
    assert fig.layout.yaxis.title.text == "Delta (shares)"
    assert fig.layout.yaxis2.title.text == "Gamma per 1.00 of spot"
    assert fig.layout.yaxis3.title.text == "Vega per vol point"
    for axis in ("xaxis", "xaxis2", "xaxis3"):
        assert fig.layout[axis].title.text == "Spot (currency)"
    assert [a.text for a in fig.layout.annotations] == list(greeks)
    assert fig.layout.title.text == "Greeks against spot"
    np.testing.assert_allclose(fig.data[2].y, 0.3)


def test_greeks_profile_figure_rejects_empty_and_mismatched():
    with pytest.raises(HedgeLibError, match="at least one"):
        greeks_profile_figure(SPOT, {})
    with pytest.raises(HedgeLibError, match="same length"):
        greeks_profile_figure(SPOT, {"Delta (shares)": SPOT[:3]})


def test_pnl_heatmap_figure_centred_on_zero_with_marker():
    vols = np.array([10.0, 20.0, 30.0])
    z = np.outer(vols - 20.0, np.ones_like(SPOT))
    fig = pnl_heatmap_figure(
        SPOT, vols, z, x_title="Spot (currency)", y_title="Volatility (%)",
        title="P&L over spot x volatility", marker=(100.0, 20.0),
    )
    heat = fig.data[0]
    assert heat.type == "heatmap" and heat.zmid == 0.0
    np.testing.assert_allclose(np.asarray(heat.z), z)
    assert heat.colorbar.title.text == "P&L (currency)"
    assert fig.data[1].type == "scatter" and list(fig.data[1].x) == [100.0]
    assert fig.layout.title.text == "P&L over spot x volatility"
    assert fig.layout.xaxis.title.text == "Spot (currency)"
    assert fig.layout.yaxis.title.text == "Volatility (%)"


def test_pnl_heatmap_figure_checks_grid_shape():
    with pytest.raises(HedgeLibError, match=r"z must have shape \(len\(y\), len\(x\)\) = \(2, 41\)"):
        pnl_heatmap_figure(SPOT, [0.1, 0.2], np.zeros((41, 2)))


def _lab(hex_colour: str) -> np.ndarray:
    # sRGB (D65) to CIELAB, the textbook conversion (CIE 15:2004).
    rgb = np.array([int(hex_colour.lstrip("#")[i:i + 2], 16) / 255.0 for i in (0, 2, 4)])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta_e(a: str, b: str) -> float:
    return float(np.linalg.norm(_lab(a) - _lab(b)))


def test_cie76_reference_values():
    assert _delta_e("#000000", "#ffffff") == pytest.approx(100.0, abs=0.01)
    assert _lab("#ff0000") == pytest.approx([53.24, 80.09, 67.20], abs=0.05)


def _colours(fig: go.Figure, kind: str) -> list[str]:
    out = []
    for t in fig.data:
        colour = t.marker.color if kind == "marker" else t.line.color
        out.append(colour.upper() if isinstance(colour, str) else colour)
    return out


def test_hedged_and_unhedged_are_far_apart_and_the_same_in_every_figure():
    from hedgelib.charts import (
        dated_lines_figure,
        pnl_histogram_figure,
        pnl_overlay_figure,
        revaluation_figure,
        risk_bars_figure,
        scenario_histogram_figure,
        trade_pnl_histogram_figure,
    )
    from hedgelib.charts._common import HEDGED_COLOUR, UNHEDGED_COLOUR

    assert _delta_e(HEDGED_COLOUR, UNHEDGED_COLOUR) > 40
    h, u = HEDGED_COLOUR.upper(), UNHEDGED_COLOUR.upper()
    x = np.linspace(-1.0, 1.0, 50)
    d = np.arange("2020-01-01", "2020-01-04", dtype="datetime64[D]")
    assert _colours(pnl_histogram_figure(x, 5 * x), "marker") == [h, u]
    # One series only, of the unhedged book: it keeps the unhedged colour.
    assert _colours(pnl_histogram_figure(x, names=("Unhedged", "")), "marker") == [u]
    assert _colours(trade_pnl_histogram_figure(x, unhedged=5 * x), "marker")[:2] == [h, u]
    assert _colours(risk_bars_figure({"Unhedged": {"VaR": 2.0}, "Hedged": {"VaR": 1.0}}), "marker") == [u, h]
    assert _colours(scenario_histogram_figure({"Book": 5 * x, "Hedged (delta)": x}), "marker") == [u, h]
    assert _colours(revaluation_figure([0, 1], {"Book": [0, 1], "Hedged": [0, 0]}), "line") == [u, h]
    assert _colours(dated_lines_figure(d, {"unhedged": [1, 2, 3], "hedged": [1, 1, 1]}, title="t",
                                       y_title="y"), "line") == [u, h]
    overlay = pnl_overlay_figure({"Unhedged": 5 * x, "Delta": x, "Learned": x})
    assert _colours(overlay, "marker")[0] == u and h not in _colours(overlay, "marker")[1:]
