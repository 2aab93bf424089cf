"""Learned-hedging figures: legends placed where they cannot run into the title."""

from __future__ import annotations

import numpy as np
import pytest

from hedgelib.charts.learned import (
    loss_curve_figure,
    mv_correction_figure,
    no_trade_band_figure,
    policy_vs_delta_figure,
)

M = np.linspace(0.9, 1.1, 5)
CURVE = np.linspace(0.1, 0.9, 5)

BUILDERS = {
    "loss": lambda: loss_curve_figure([3.0, 2.0, 1.6], references={"delta hedge on fresh paths (std)": 1.8}),
    "policy": lambda: policy_vs_delta_figure(
        M, {f"{d} days left": CURVE for d in (5, 10, 20)}, {f"{d} days left": CURVE for d in (5, 10, 20)}),
    "band": lambda: no_trade_band_figure(M, learned_lower=CURVE - 0.1, learned_upper=CURVE + 0.1,
                                         delta=CURVE, ww_lower=CURVE - 0.05, ww_upper=CURVE + 0.05),
    "mv": lambda: mv_correction_figure(CURVE, {"S&P 500": -0.1 * CURVE, "Nasdaq": -0.08 * CURVE}),
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_learned_legends_sit_at_the_foot_of_the_figure(name):
    fig = BUILDERS[name]()
    legend = fig.layout.legend
    # Anchored to the figure's bottom edge, under the x-axis title, in a horizontal row.
    assert legend.orientation == "h"
    assert legend.yref == "container" and legend.y == 0.0 and legend.yanchor == "bottom"
    shown = [t.name for t in fig.data if t.showlegend is not False]
    # Room under the plot for the tick labels, the axis title and every legend row that
    # these names need in a narrow column (about 340 px wide).
    assert fig.layout.margin.b >= 70 + 22 * 1
    if name == "policy":  # six long entries wrap into several rows
        assert len(shown) == 6 and fig.layout.margin.b >= 70 + 22 * 3
    # The top margin holds the title alone.
    assert fig.layout.margin.t is None or fig.layout.margin.t <= 90
    assert fig.layout.title.text


def test_a_tall_legend_makes_the_figure_taller_not_the_plot_smaller():
    small, tall = BUILDERS["mv"](), BUILDERS["policy"]()
    plot_small = small.layout.height - small.layout.margin.t - small.layout.margin.b
    plot_tall = tall.layout.height - tall.layout.margin.t - tall.layout.margin.b
    assert plot_tall >= 0.9 * plot_small >= 280
