"""Figure builders of the Learned Hedging page: traces, axes, validation."""

from __future__ import annotations

import numpy as np
import pytest

from hedgelib.charts.learned import (
    loss_curve_figure,
    mv_correction_figure,
    no_trade_band_figure,
    policy_heatmap_figure,
    policy_vs_delta_figure,
    risk_comparison_figure,
)
from hedgelib.conventions import HedgeLibError


def test_loss_curve_with_references():
    fig = loss_curve_figure([3.0, 2.0, 1.5, 1.4], references={"delta": 1.6, "WW": 1.45})
    assert [t.name for t in fig.data] == ["learned", "delta", "WW"]
    assert list(fig.data[0].x) == [1, 2, 3, 4]
    assert list(fig.data[1].y) == [1.6, 1.6]
    assert fig.layout.xaxis.title.text == "Epoch"
    assert loss_curve_figure([2.0]).data[0].y == (2.0,)  # one epoch, still a figure


def test_policy_vs_delta_pairs_solid_and_dashed_lines():
    m = np.linspace(0.9, 1.1, 5)
    fig = policy_vs_delta_figure(m, {"20d": m - 0.5, "5d": m - 0.4}, {"20d": m - 0.5, "5d": m - 0.45})
    assert [t.name for t in fig.data] == ["learned, 20d", "delta, 20d", "learned, 5d", "delta, 5d"]
    assert fig.data[1].line.dash == "dash" and fig.data[0].line.color == fig.data[1].line.color
    with pytest.raises(HedgeLibError, match="same time labels"):
        policy_vs_delta_figure(m, {"a": m}, {"b": m})
    with pytest.raises(HedgeLibError, match="as many values as moneyness"):
        policy_vs_delta_figure(m, {"a": m[:3]}, {"a": m})


def test_heatmap_shape_and_diverging_scale():
    fig = policy_heatmap_figure([0.9, 1.0, 1.1], [5, 10], np.zeros((2, 3)), diverging=True)
    assert fig.data[0].type == "heatmap" and fig.data[0].zmid == 0.0
    with pytest.raises(HedgeLibError, match=r"shape \(2, 3\)"):
        policy_heatmap_figure([0.9, 1.0, 1.1], [5, 10], np.zeros((3, 2)))


def test_band_figure_shades_the_learned_band():
    m = [0.95, 1.0, 1.05]
    fig = no_trade_band_figure(m, learned_lower=[0.1, 0.4, 0.7], learned_upper=[0.3, 0.6, 0.9], delta=[0.2, 0.5, 0.8])
    assert [t.name for t in fig.data] == ["learned band", "learned band", "Black-Scholes delta"]
    assert fig.data[1].fill == "tonexty"
    with pytest.raises(HedgeLibError, match="together"):
        no_trade_band_figure(m, learned_lower=m, learned_upper=m, delta=m, ww_lower=m)
    with pytest.raises(HedgeLibError, match="learned_upper"):
        no_trade_band_figure(m, learned_lower=m, learned_upper=m[:2], delta=m)


def test_risk_bars_panels_and_errors():
    fig = risk_comparison_figure(["learned", "delta", "none"], {"Entropic": [1.0, 1.5, 9.0], "Turnover": [1, 2, 0]},
                                 {"Entropic": [0.1, 0.1, 0.5]}, y_titles={"Turnover": "shares"})
    assert len(fig.data) == 2 and fig.data[1].error_y.array is None
    assert [float(e) for e in fig.data[0].error_y.array] == [0.1, 0.1, 0.5]
    assert fig.layout.yaxis2.title.text == "shares"
    with pytest.raises(HedgeLibError, match="at least one measure"):
        risk_comparison_figure(["a"], {})
    with pytest.raises(HedgeLibError, match="as many values as names"):
        risk_comparison_figure(["a", "b"], {"x": [1.0]})


def test_mv_correction_lines_and_zero_line():
    fig = mv_correction_figure([0.1, 0.5, 0.9], {"fit": [-0.02, -0.1, -0.03], "heston": [-0.01, -0.05, -0.01]})
    assert [t.name for t in fig.data] == ["fit", "heston"]
    assert any(s.y0 == 0.0 for s in fig.layout.shapes)
    with pytest.raises(HedgeLibError, match="at least one"):
        mv_correction_figure([0.1], {})
