"""Figure builders of the Rule Comparison page: traces, axes, theory lines, validation."""

from __future__ import annotations

import numpy as np
import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.charts.comparison import (
    cost_risk_frontier_figure,
    frequency_sweep_figure,
    pnl_overlay_figure,
)
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging import HedgeSetup, TransactionCosts, cost_risk_frontier, frequency_sweep
from hedgelib.market.models import GBM


@pytest.fixture
def samples():
    rng = np.random.default_rng(5)
    return {"daily": rng.normal(-0.2, 0.4, 4000), "weekly": rng.normal(-0.1, 0.9, 4000),
            "band": rng.normal(-0.15, 0.5, 3000)}


def test_overlay_shares_bins_and_marks_means(samples):
    fig = pnl_overlay_figure(samples, bins=60)
    assert [t.name for t in fig.data] == ["daily", "weekly", "band"]
    assert all(t.type == "bar" for t in fig.data)
    assert fig.layout.barmode == "overlay"
    assert fig.layout.xaxis.title.text == "P&L (currency)"
    assert fig.layout.yaxis.title.text == "Share of paths (%)"
    xs = [np.asarray(t.x) for t in fig.data]
    assert all(np.array_equal(xs[0], x) for x in xs) and xs[0].size == 60
    for t in fig.data:  # every path of every set-up falls in the shared bins
        assert sum(t.y) == pytest.approx(100.0)
    lo = min(s.min() for s in samples.values())
    assert fig.data[0].x[0] - fig.data[0].width / 2 == pytest.approx(lo)
    # One dotted line per set-up, at its mean, in its bar colour.
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [s.x0 for s in lines] == pytest.approx([s.mean() for s in samples.values()])
    assert [s.line.color for s in lines] == [t.marker.color for t in fig.data]
    assert max(fig.data[0].y) > 1.8 * max(fig.data[1].y)  # daily is the tighter one


def test_overlay_of_many_setups_puts_its_legend_under_the_plot(samples):
    few = pnl_overlay_figure(samples)
    assert few.layout.legend.yanchor == "bottom" and few.layout.legend.y >= 1.0
    # Five long names wrap into rows: above the plot they ran into the title.
    many = {f"{name} with a long label {i}": x for i, (name, x) in enumerate([*samples.items()] * 2)}
    fig = pnl_overlay_figure(dict(list(many.items())[:5]))
    legend = fig.layout.legend
    assert legend.yref == "container" and legend.y == 0.0 and legend.yanchor == "bottom"
    assert fig.layout.margin.b >= 70 + 22 and fig.layout.margin.t <= 60


def test_overlay_zoom_leaves_the_tails_out(samples):
    fig = pnl_overlay_figure(samples, bins=10, x_range=(-0.5, 0.5))
    weekly = samples["weekly"]
    assert sum(fig.data[1].y) == pytest.approx(100.0 * np.mean(np.abs(weekly) <= 0.5))
    assert sum(fig.data[1].y) < 60.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"samples": {}}, "at least one"),
        ({"samples": {"a": [[1.0]]}}, "one-dimensional"),
        ({"samples": {"a": [1.0, 2.0]}, "bins": 0}, "bins"),
        ({"samples": {"a": [1.0, 2.0]}, "x_range": (1.0, 0.0)}, "x_range"),
    ],
)
def test_overlay_rejects_bad_input(kwargs, match):
    with pytest.raises(HedgeLibError, match=match):
        pnl_overlay_figure(**kwargs)


def test_sweep_draws_measured_and_theory_on_log_axes():
    n = np.array([63, 1, 7, 21])  # unsorted on purpose: lines must run in order of N
    std = 2.0 / np.sqrt(n)
    cost = 0.05 * np.sqrt(n)
    dk = 2.1 / np.sqrt(n)
    fig = frequency_sweep_figure(n, std, cost, pnl_std_se=0.01 * std, derman_kamal_std=dk,
                                 theory_std=dk * 0.98, expected_cost=cost * 1.01)
    assert [t.name for t in fig.data] == ["Measured std", "Derman-Kamal",
                                          "Book-exact (gamma integrated)", "Measured cost",
                                          "Leland expected cost"]
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis2.type == "log"
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log"
    assert fig.layout.xaxis.title.text.startswith("Rebalances")
    assert "Std of P&L" in fig.layout.yaxis.title.text
    assert "cost" in fig.layout.yaxis2.title.text
    measured, dk_line = fig.data[0], fig.data[1]
    assert list(measured.x) == [1, 7, 21, 63]
    assert list(dk_line.y) == pytest.approx(2.1 / np.sqrt([1, 7, 21, 63]))
    assert list(measured.error_y.array) == pytest.approx(0.02 / np.sqrt([1, 7, 21, 63]))
    # The cost panel is the second subplot.
    assert fig.data[3].xaxis == "x2" and fig.data[3].yaxis == "y2"
    # On log axes, N^(-1/2) is a straight line of slope -1/2.
    slope = np.diff(np.log(dk_line.y)) / np.diff(np.log(dk_line.x))
    assert slope == pytest.approx(-0.5)


def test_sweep_leaves_out_what_a_log_axis_cannot_show():
    fig = frequency_sweep_figure([1, 4], [1.0, 0.5], [0.0, 0.0],
                                 derman_kamal_std=[np.nan, np.nan])
    assert [t.name for t in fig.data] == ["Measured std", "Measured cost"]  # no NaN-only line
    assert all(np.isnan(fig.data[1].y))  # zero costs become gaps, not points at -inf


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([1, 2], [1.0], [0.1, 0.2]), {}, "pnl_std must have 2"),
        (([0, 2], [1.0, 0.5], [0.1, 0.2]), {}, "n_rebalances"),
        (([1, 2], [1.0, 0.5], [0.1, 0.2]), {"expected_cost": [0.1]}, "expected_cost"),
    ],
)
def test_sweep_rejects_bad_input(args, kwargs, match):
    with pytest.raises(HedgeLibError, match=match):
        frequency_sweep_figure(*args, **kwargs)


FRONTIER = {
    "pnl_std": [0.45, 0.94, 1.86, 0.45, 0.49, 0.88, 0.60],
    "mean_cost": [0.18, 0.11, 0.076, 0.179, 0.152, 0.092, 0.111],
    "labels": ["every 1 step", "every 5 steps", "every 21 steps", "band 0.01", "band 0.05",
               "Whalley-Wilmott 0.1", "Whalley-Wilmott 1"],
    "families": ["every_n_steps"] * 3 + ["delta_band"] * 2 + ["whalley_wilmott"] * 2,
}


def test_frontier_one_trace_per_family_with_theory_and_setups():
    eff = [False, False, True, True, False, True, True]
    fig = cost_risk_frontier_figure(
        *FRONTIER.values(), efficient=eff, theory_std=[2.8, 0.73, 0.43], theory_cost=[0.055, 0.12, 0.18],
        theory_labels=["N = 1", "N = 20", "N = 63"], highlight="Whalley-Wilmott 1",
        setups={"daily": (0.45, 0.18)}, hover=[f"{i} trades" for i in range(7)],
    )
    names = [t.name for t in fig.data]
    assert names[0].startswith("Theory, fixed intervals")
    assert names[1:] == ["Efficient frontier (measured)", "Every N steps", "Delta band",
                         "Whalley-Wilmott band", "Your set-ups"]
    assert fig.layout.xaxis.title.text == "Std of P&L (currency)"
    assert fig.layout.yaxis.title.text == "Mean cost per path (currency)"
    front = fig.data[1]
    assert list(front.x) == [0.45, 0.60, 0.88, 1.86]  # efficient points, in order of risk
    every, band, ww = fig.data[2:5]
    assert list(every.text) == ["every 1 step", "every 5 steps", "every 21 steps"]
    assert ww.marker.symbol == "star" and every.marker.symbol == "circle"
    # Efficient points are outlined, the others are not.
    assert list(every.marker.line.width) == [0.0, 0.0, 2.0]
    assert list(ww.customdata) == ["6 trades", "5 trades"]  # sorted by risk: WW 1 first
    assert fig.layout.annotations[0].text == "Whalley-Wilmott 1"
    assert fig.layout.annotations[0].x == 0.60 and fig.layout.annotations[0].y == 0.111
    assert list(fig.data[-1].text) == ["daily"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"families": ["every_n_steps"] * 6 + ["other"]}, "families must be among"),
        ({"labels": ["a"]}, "labels and families"),
        ({"highlight": "nope"}, "highlight"),
        ({"efficient": [True]}, "efficient"),
        ({"theory_std": [1.0]}, "together"),
        ({"theory_std": [1.0, 2.0], "theory_cost": [1.0]}, "theory_cost"),
    ],
)
def test_frontier_rejects_bad_input(kwargs, match):
    with pytest.raises(HedgeLibError, match=match):
        cost_risk_frontier_figure(**{**FRONTIER, **kwargs})


def test_builders_take_the_library_frames():
    """End to end on a small run: the frames' columns feed the builders as they are."""
    book = Book([OptionLeg("call", 100.0, 21 / 252, -1.0)])
    kw = {"spot": 100.0, "horizon": 21 / 252, "n_steps": 21, "n_paths": 600, "seed": 4}
    setup = HedgeSetup(0.2, rate=0.03, costs=TransactionCosts(proportional=1e-3))
    sw = frequency_sweep(GBM(0.03, 0.2), book, setup, **kw)
    fig = frequency_sweep_figure(sw.index.to_numpy(), sw["pnl_std"], sw["mean_cost"],
                                 derman_kamal_std=sw["derman_kamal_std"],
                                 expected_cost=sw["expected_cost"])
    assert list(fig.data[0].x) == [1, 3, 7, 21]
    fr = cost_risk_frontier(GBM(0.03, 0.2), book, setup, every=(1, 7), band_widths=(0.05,),
                            risk_aversions=(1.0,), **kw)
    fig = cost_risk_frontier_figure(fr["pnl_std"], fr["mean_cost"], list(fr["label"]),
                                    list(fr["family"]), efficient=fr["efficient"])
    assert sum(len(t.x) for t in fig.data if t.mode == "lines+markers") == 4


def _full_numbers(axis) -> list[float]:
    assert axis.type == "log" and axis.tickmode == "array"
    values = [float(v) for v in axis.tickvals]
    assert len(axis.ticktext) == len(values)
    for v, text in zip(values, axis.ticktext, strict=True):
        assert float(text.replace(",", "")) == pytest.approx(v)  # "20", not a bare "2"
    return values


def test_sweep_log_axes_print_every_tick_as_a_full_number():
    n = np.array([1, 2, 5, 10, 21, 63, 252])
    std = 2.0 / np.sqrt(n)
    cost = 0.01 * np.sqrt(n)
    fig = frequency_sweep_figure(n, std, cost, expected_cost=cost * 1.1)
    for axis, data in ((fig.layout.xaxis, n), (fig.layout.xaxis2, n), (fig.layout.yaxis, std),
                       (fig.layout.yaxis2, cost)):
        ticks = np.array(_full_numbers(axis))
        inside = ticks[(ticks >= data.min()) & (ticks <= data.max())]
        assert inside.size >= 2  # enough labelled ticks across the data
    assert "20" in fig.layout.xaxis.ticktext and "200" in fig.layout.xaxis.ticktext


def test_frontier_labels_of_close_setups_take_different_positions():
    fig = cost_risk_frontier_figure(
        [0.4, 0.9], [0.18, 0.11], ["every 1 step", "every 5 steps"], ["every_n_steps"] * 2,
        setups={"daily": (0.50, 0.150), "daily, 1 bp": (0.505, 0.151), "weekly": (0.9, 0.05)},
    )
    (mine,) = [t for t in fig.data if t.name == "Your set-ups"]
    positions = list(mine.textposition)
    assert len(positions) == 3
    assert positions[0] != positions[1]  # the two close diamonds


def test_frontier_highlight_note_turns_away_from_a_setup_label():
    # The user's own Whalley-Wilmott set-up sits right on the highlighted band rule, up and
    # to the right, where the note would go by default.
    fig = cost_risk_frontier_figure(
        [0.4, 0.9, 0.5], [0.18, 0.11, 0.12], ["every 1 step", "every 5 steps", "Whalley-Wilmott 1"],
        ["every_n_steps", "every_n_steps", "whalley_wilmott"], highlight="Whalley-Wilmott 1",
        setups={"my band": (0.52, 0.125)},
    )
    (note,) = fig.layout.annotations
    (mine,) = [t for t in fig.data if t.name == "Your set-ups"]
    # Plotly's ay is in screen pixels, down positive: the note goes below, the label above.
    assert note.ay > 0
    assert mine.textposition[0].startswith("top")
    alone = cost_risk_frontier_figure(
        [0.4, 0.9, 0.5], [0.18, 0.11, 0.12], ["every 1 step", "every 5 steps", "Whalley-Wilmott 1"],
        ["every_n_steps", "every_n_steps", "whalley_wilmott"], highlight="Whalley-Wilmott 1",
    )
    assert (alone.layout.annotations[0].ax, alone.layout.annotations[0].ay) == (40, -40)
