"""Risk figure builders: traces, shared colour scale, lines at -VaR and -ES, validation."""

from __future__ import annotations

import numpy as np
import pytest

from hedgelib.book import preset_book
from hedgelib.charts.risk import (
    revaluation_figure,
    risk_bars_figure,
    scenario_histogram_figure,
    stress_heatmaps_figure,
)
from hedgelib.conventions import HedgeLibError
from hedgelib.stress import stress_grid


def test_risk_bars():
    fig = risk_bars_figure({"Unhedged": {"VaR 95%": 4.0, "ES 99%": 6.5},
                            "Hedged": {"VaR 95%": 0.5, "ES 99%": 1.2}}, y_title="Loss (EUR)")
    assert [t.name for t in fig.data] == ["Unhedged", "Hedged"]
    assert list(fig.data[0].x) == ["VaR 95%", "ES 99%"]
    assert list(fig.data[1].y) == [0.5, 1.2]
    assert fig.layout.yaxis.title.text == "Loss (EUR)" and fig.layout.xaxis.title.text == "Measure"
    with pytest.raises(HedgeLibError, match="same measures"):
        risk_bars_figure({"A": {"VaR 95%": 1.0}, "B": {"ES 95%": 1.0}})
    with pytest.raises(HedgeLibError, match="non-empty mapping"):
        risk_bars_figure({})


def test_stress_heatmaps_share_a_symmetric_scale():
    grid = stress_grid(preset_book("short_straddle", 100.0, 0.25), spot=100.0, volatility=0.2,
                       spot_shocks=[-0.2, -0.1, 0.0, 0.1, 0.2], vol_shocks=[-0.05, 0.0, 0.05])
    fig = stress_heatmaps_figure(
        100 * grid.book.index.to_numpy(), 100 * grid.book.columns.to_numpy(),
        {"Book": grid.book.to_numpy(), "Hedged": grid.hedged.to_numpy()},
        x_title="Spot shock (%)", y_title="Volatility shock (vol points)",
    )
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    assert all(t.coloraxis == "coloraxis" for t in fig.data)
    m = max(np.abs(grid.book.to_numpy()).max(), np.abs(grid.hedged.to_numpy()).max())
    assert fig.layout.coloraxis.cmax == pytest.approx(m) and fig.layout.coloraxis.cmin == pytest.approx(-m)
    assert fig.layout.coloraxis.colorscale[0][1].startswith("rgb(103,0,31)")  # RdBu: red low
    # Rows of z are volatility shocks, columns spot shocks (the grid transposed).
    np.testing.assert_allclose(np.asarray(fig.data[0].z), grid.book.to_numpy().T)
    assert fig.layout.xaxis.title.text == "Spot shock (%)"
    assert fig.layout.yaxis.title.text == "Volatility shock (vol points)"
    assert [a.text for a in fig.layout.annotations] == ["Book", "Hedged"]
    with pytest.raises(HedgeLibError, match="must have shape"):
        stress_heatmaps_figure([0.0, 1.0], [0.0], {"Book": np.zeros((1, 2))})


def test_flat_panels_do_not_break_the_scale():
    fig = stress_heatmaps_figure([0.0], [0.0], {"Flat": [[0.0]]})
    assert fig.layout.coloraxis.cmax == 1.0


def test_revaluation_lines():
    fig = revaluation_figure([-10, 0, 10], {"Book": [1.0, 0.0, 2.0], "Book (greek approx)": [1.1, 0, 1.9],
                                            "Hedged": [0.1, 0, 0.1]}, x_title="Spot shock (%)")
    assert [t.line.dash for t in fig.data] == ["solid", "dash", "solid"]
    assert fig.data[2].line.color != fig.data[0].line.color
    assert fig.layout.xaxis.title.text == "Spot shock (%)"
    with pytest.raises(HedgeLibError, match="same length"):
        revaluation_figure([0, 1], {"Book": [1.0]})


def test_scenario_histogram_lines_at_minus_var_and_es():
    rng = np.random.default_rng(3)
    book, hedged = rng.normal(0, 2, 400), rng.normal(0, 0.3, 400)
    fig = scenario_histogram_figure({"Book": book, "Hedged": hedged},
                                    var={"Book": 4.5, "Hedged": 0.7}, es={"Book": 5.2},
                                    level_label="99%", bins=30)
    assert [t.name for t in fig.data] == ["Book", "Hedged"]
    assert sum(fig.data[0].y) == pytest.approx(100.0)
    xs = sorted(s.x0 for s in fig.layout.shapes)
    assert xs == [-5.2, -4.5, -0.7]
    labels = {a.text for a in fig.layout.annotations}
    assert {"VaR 99% book", "ES 99% book", "VaR 99% hedged"} == labels
    assert fig.layout.yaxis.title.text == "Share of scenarios (%)"
    with pytest.raises(HedgeLibError, match="not in samples"):
        scenario_histogram_figure({"Book": book}, var={"Other": 1.0})
    with pytest.raises(HedgeLibError, match="one or two"):
        scenario_histogram_figure({})


def _rows_apart(annotations) -> None:
    for i, a in enumerate(annotations):
        assert a.textangle in (None, 0)  # horizontal: rows separate them
        for b in annotations[i + 1:]:
            assert a.yref == b.yref and a.y == b.y
            assert abs(a.yshift - b.yshift) >= 1.2 * max(a.font.size, b.font.size)


def test_scenario_histogram_close_var_and_es_labels_do_not_overprint():
    rng = np.random.default_rng(3)
    book, hedged = rng.normal(0, 2, 400), rng.normal(0, 2.1, 400)
    fig = scenario_histogram_figure({"Book": book, "Hedged": hedged},
                                    var={"Book": 4.5, "Hedged": 4.4}, es={"Book": 4.6, "Hedged": 4.55},
                                    level_label="99%")
    labels = list(fig.layout.annotations)
    assert len(labels) == 4
    _rows_apart(labels)
    # Labels stay inside the plot area, clear of the legend above it.
    assert all(a.yanchor == "top" and a.y <= 1.0 for a in labels)


def test_scenario_histogram_far_apart_labels_share_the_top_row():
    rng = np.random.default_rng(4)
    # A hedged book that keeps most of its premium: its VaR line is far right of the book's.
    fig = scenario_histogram_figure({"Book": rng.normal(0, 4, 400), "Hedged": rng.normal(5, 0.3, 400)},
                                    var={"Book": 9.0, "Hedged": -4.5})
    assert {a.yshift for a in fig.layout.annotations} == {-2}


def test_stress_heatmap_cell_text_is_readable_and_formatted():
    spot, vol = np.linspace(-20, 20, 9), np.linspace(-10, 10, 5)
    z = np.outer(spot, np.ones(5)) * 1.234  # P&L up to about 25
    fig = stress_heatmaps_figure(spot, vol, {"Book": z, "Hedged": z / 10})
    for trace in fig.data:
        assert trace.textfont.size >= 12
        assert trace.texttemplate == "%{z:,.1f}"  # three significant digits of the largest cell
    big = stress_heatmaps_figure(np.linspace(-1, 1, 41), np.linspace(-1, 1, 41),
                                 {"Book": 1000.0 * np.ones((41, 41)), "Hedged": np.zeros((41, 41))})
    size = big.data[0].textfont.size
    assert 7 <= size < 12  # smaller only for a very large grid
    assert big.data[0].texttemplate == "%{z:,.0f}"
