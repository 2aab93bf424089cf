"""Figure builders of hedging experiments: traces, titles, axis labels, validation."""

from __future__ import annotations

import numpy as np
import pytest

from hedgelib.charts.hedging import (
    attribution_waterfall_figure,
    cost_breakdown_figure,
    pnl_histogram_figure,
    sample_paths_figure,
)
from hedgelib.conventions import HedgeLibError


@pytest.fixture
def samples():
    rng = np.random.default_rng(11)
    return rng.normal(0.0, 0.4, 5000), rng.normal(0.0, 6.0, 5000)


def test_histogram_draws_two_panels_on_one_pnl_axis(samples):
    hedged, unhedged = samples
    fig = pnl_histogram_figure(hedged, unhedged, bins=50, markers={"VaR 99%": -1.0})
    assert [t.type for t in fig.data] == ["bar", "bar"]
    assert [(t.name, t.yaxis) for t in fig.data] == [("Hedged", "y"), ("Unhedged", "y2")]
    assert fig.layout.xaxis2.matches == "x" or fig.layout.xaxis.matches == "x2"
    assert fig.layout.title.text == "P&L per path at the horizon"
    assert fig.layout.xaxis2.title.text == "P&L (currency)" and fig.layout.xaxis.title.text is None
    assert fig.layout.yaxis.title.text == fig.layout.yaxis2.title.text == "Paths in each bin (%)"
    assert [a.text for a in fig.layout.annotations][:2] == ["Hedged", "Unhedged"]
    a, b = fig.data
    # Bins sized on each sample's own spread; every path in the view is counted once.
    lo, hi = fig.layout.xaxis.range
    for bars, sample in ((a, hedged), (b, unhedged)):
        inside = (sample >= lo) & (sample <= hi)
        assert sum(bars.y) == pytest.approx(100.0 * inside.mean())
        assert bars.x[0] - bars.width / 2 == pytest.approx(sample[inside].min())
    assert a.width == pytest.approx(b.width * 0.4 / 6.0, rel=0.15)
    assert [a for a in fig.layout.annotations if a.text == "VaR 99%"][0].yref == "y domain"


def test_histogram_zoom_drops_values_outside(samples):
    hedged, unhedged = samples
    fig = pnl_histogram_figure(hedged, unhedged, bins=20, x_range=(-1.0, 1.0))
    a, b = fig.data
    assert a.x[0] - a.width / 2 == pytest.approx(-1.0) and a.x[-1] + a.width / 2 == pytest.approx(1.0)
    assert sum(a.y) == pytest.approx(100.0 * np.mean(np.abs(hedged) <= 1.0))
    assert sum(b.y) < 20.0  # most of the unhedged paths fall outside +-1


def test_histogram_single_sample_and_constant_values():
    fig = pnl_histogram_figure(np.full(10, 2.5), bins=5, names=("Unhedged", ""))
    assert len(fig.data) == 1 and fig.data[0].name == "Unhedged"
    assert sum(fig.data[0].y) == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hedged": [[1.0, 2.0]]}, "one-dimensional"),
        ({"hedged": [1.0], "bins": 0}, "bins"),
        ({"hedged": [1.0, 2.0], "x_range": (1.0, 1.0)}, "x_range"),
        ({"hedged": [np.nan, np.nan]}, "no finite value"),
    ],
)
def test_histogram_rejects_bad_input(kwargs, match):
    with pytest.raises(HedgeLibError, match=match):
        pnl_histogram_figure(**kwargs)


def test_waterfall_ends_in_the_total():
    terms = {"entry": 0.0, "gamma": -1.5, "theta": 1.6, "cost: proportional": -0.2}
    fig = attribution_waterfall_figure(terms, title="Explain")
    (trace,) = fig.data
    assert trace.type == "waterfall"
    assert list(trace.x) == [*terms, "P&L"]
    assert list(trace.measure) == ["relative"] * 4 + ["total"]
    assert trace.y[-1] == pytest.approx(-0.1)
    assert fig.layout.title.text == "Explain"
    assert fig.layout.yaxis.title.text == "Mean P&L per path (currency)"
    assert fig.layout.xaxis.title.text == "Term"
    assert list(trace.text) == ["0", "-1.5", "+1.6", "-0.2", "-0.1"]
    noise = attribution_waterfall_figure({"delta": -1.6e-18, "gamma": -0.5})
    assert list(noise.data[0].text) == ["0", "-0.5", "-0.5"]
    given = attribution_waterfall_figure(terms, total=-0.1000001, total_name="mean P&L")
    assert given.data[0].x[-1] == "mean P&L" and given.data[0].y[-1] == -0.1000001
    with pytest.raises(HedgeLibError, match="at least one"):
        attribution_waterfall_figure({})
    with pytest.raises(HedgeLibError, match="finite"):
        attribution_waterfall_figure({"gamma": float("nan")})


def test_cost_breakdown_bars_and_shares():
    fig = cost_breakdown_figure({"proportional": 0.3, "impact": 0.1, "per trade": 0.0})
    (trace,) = fig.data
    assert trace.orientation == "h"
    assert list(trace.y) == ["proportional", "impact", "per trade"]
    assert list(trace.x) == [0.3, 0.1, 0.0]
    assert list(trace.text) == ["0.3 (75%)", "0.1 (25%)", "0 (0%)"]
    assert fig.layout.xaxis.title.text == "Mean cost per path (currency)"
    assert fig.layout.yaxis.title.text == "Component"
    with pytest.raises(HedgeLibError, match="at least one"):
        cost_breakdown_figure({})


def test_sample_paths_stack_spot_positions_and_pnl():
    t = np.arange(5.0)
    spot = 100.0 + np.arange(10.0).reshape(5, 2)
    stock = -0.5 * np.ones((5, 2))
    pnl = np.zeros((5, 2))
    fig = sample_paths_figure(t, spot, stock, pnl, strikes=(100.0,))
    assert len(fig.data) == 3 * 2
    assert [t.name for t in fig.data if t.showlegend] == ["path 1", "path 2"]
    assert fig.layout.yaxis.title.text == "Spot (currency)"
    assert fig.layout.yaxis2.title.text == "Stock held (shares)"
    assert fig.layout.yaxis3.title.text == "Running P&L (currency)"
    assert fig.layout.xaxis3.title.text == "Time (trading days)"
    assert list(fig.data[1].y) == list(spot[:, 1])
    with_option = sample_paths_figure(t, spot, stock, pnl, option=np.ones((5, 2)), labels=["a", "b"])
    assert len(with_option.data) == 4 * 2
    assert with_option.layout.yaxis3.title.text == "Hedge options held (units)"
    assert with_option.layout.xaxis4.title.text == "Time (trading days)"
    # A single path may be given as 1-D arrays.
    one = sample_paths_figure(t, spot[:, 0], stock[:, 0], pnl[:, 0])
    assert len(one.data) == 3
    with pytest.raises(HedgeLibError, match="shape"):
        sample_paths_figure(t, spot[:4], stock, pnl)
    with pytest.raises(HedgeLibError, match="paths like spot"):
        sample_paths_figure(t, spot, stock[:, :1], pnl)
    with pytest.raises(HedgeLibError, match="labels"):
        sample_paths_figure(t, spot, stock, pnl, labels=["only one"])


def _heavy_tailed(seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    # A short straddle's unhedged P&L: a wide body and a few crash paths far out.
    rng = np.random.default_rng(seed)
    unhedged = np.concatenate([rng.normal(0.0, 6.0, 4990), np.linspace(-200.0, -120.0, 10)])
    return rng.normal(0.0, 0.4, 5000), unhedged


def test_histogram_opens_with_both_distributions_readable():
    hedged, unhedged = _heavy_tailed()
    fig = pnl_histogram_figure(hedged, unhedged, bins=50)
    a, b = fig.data
    # Each sample is binned at its own scale: the hedged bars are narrow, not one spike...
    assert a.width < b.width / 5
    # ...so neither histogram flattens the other on the shared percent axis.
    assert max(b.y) > max(a.y) / 4 and max(a.y) > max(b.y) / 4
    # The view comes from robust quantiles: the ten crash paths do not squash the body.
    lo, hi = fig.layout.xaxis.range
    assert -100.0 < lo < np.quantile(unhedged, 0.005) and np.quantile(unhedged, 0.995) < hi < 100.0
    inside = (unhedged >= lo) & (unhedged <= hi)
    assert sum(b.y) == pytest.approx(100.0 * inside.mean())
    assert sum(a.y) == pytest.approx(100.0)


def test_histogram_of_a_short_option_keeps_the_hedged_panel_readable():
    # A short call sold at fair value: unhedged, about half the paths keep the premium (one
    # bin holds them all) and the rest lose up to many times it; hedged, a tight bell.
    rng = np.random.default_rng(3)
    n = 10_000
    premium, z = 4.36, rng.standard_normal(n)
    unhedged = premium - np.maximum(100.0 * np.exp(0.2 * 0.5 * z) - 100.0, 0.0)
    hedged = rng.normal(-0.2, 0.44, n)
    a, b = pnl_histogram_figure(hedged, unhedged).data
    assert max(b.y) > 40.0  # the atom at the premium
    # Each panel scales its own heights, so the hedged bell is as tall as its panel allows.
    assert a.yaxis != b.yaxis
    fig = pnl_histogram_figure(hedged, unhedged)
    assert fig.layout.yaxis.autorange is not False and fig.layout.yaxis.range is None


def test_histogram_says_in_the_figure_when_tails_are_outside_the_view():
    hedged, unhedged = _heavy_tailed()
    fig = pnl_histogram_figure(hedged, unhedged, bins=50)
    notes = [n.text for n in fig.layout.annotations if "outside" in n.text]
    assert len(notes) == 1
    lo, hi = fig.layout.xaxis.range
    outside = np.mean((unhedged < lo) | (unhedged > hi))
    assert outside >= 0.002  # at least the ten crash paths
    assert f"{100 * outside:.1f}% of unhedged" in notes[0]
    # Nothing trimmed: no note.
    rng = np.random.default_rng(2)
    calm = pnl_histogram_figure(rng.uniform(-1, 1, 500), rng.uniform(-5, 5, 500))
    assert not [n for n in calm.layout.annotations if "outside" in n.text]


def test_histogram_marker_labels_sit_inside_the_plot_below_the_legend(samples):
    hedged, unhedged = samples
    fig = pnl_histogram_figure(hedged, unhedged, markers={"VaR 99%": -1.0, "mean": -0.9})
    legend = fig.layout.legend
    assert legend.yanchor == "bottom" and legend.y >= 1.0  # the legend lives above the plot
    labels = [n for n in fig.layout.annotations if n.text in ("VaR 99%", "mean")]
    assert len(labels) == 2
    for n in labels:
        # Hung from the top edge of the plot area downwards: never in the legend's band.
        assert n.yref == "y domain" and n.y <= 1.0 and n.yanchor == "top"
    # Two close lines: their labels are on different rows.
    assert abs(labels[0].yshift - labels[1].yshift) >= 1.2 * labels[0].font.size
