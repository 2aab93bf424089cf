"""Plotly figure builders: data in, ``go.Figure`` out.

The builders know nothing about Streamlit or about how the numbers were computed: a page
(or a notebook) computes the data with the library, converts units if it wants trader
units, and hands arrays plus axis titles to a builder. Every axis gets a title with its
unit; the defaults below assume the library's raw conventions (currency, years, decimal
volatility), so a caller that rescales also passes the matching titles.

No template is set on purpose: Streamlit's own plotly theme (light or dark) or plotly's
default template then decides the colours, so the figures stay readable in both themes.
"""

from hedgelib.charts.backtest import (
    hedge_position_figure,
    pnl_attribution_figure,
    price_trades_figure,
    trade_pnl_histogram_figure,
    variance_scatter_figure,
    volatility_comparison_figure,
)
from hedgelib.charts.book import (
    greeks_profile_figure,
    payoff_value_figure,
    pnl_heatmap_figure,
)
from hedgelib.charts.comparison import (
    cost_risk_frontier_figure,
    frequency_sweep_figure,
    pnl_overlay_figure,
)
from hedgelib.charts.hedging import (
    attribution_waterfall_figure,
    cost_breakdown_figure,
    pnl_histogram_figure,
    sample_paths_figure,
)
from hedgelib.charts.learned import (
    loss_curve_figure,
    mv_correction_figure,
    no_trade_band_figure,
    policy_heatmap_figure,
    policy_vs_delta_figure,
    risk_comparison_figure,
)
from hedgelib.charts.live import (
    live_greeks_figure,
    live_hedge_figure,
    live_price_pnl_figure,
)
from hedgelib.charts.market import (
    fan_chart_figure,
    price_history_figure,
    volatility_history_figure,
)
from hedgelib.charts.portfolio import (
    dated_lines_figure,
    hedge_ratio_figure,
    insurance_costs_figure,
    insurance_fan_figure,
    payoff_scatter_figure,
    terminal_values_figure,
    variance_reduction_figure,
    yearly_returns_figure,
)
from hedgelib.charts.risk import (
    revaluation_figure,
    risk_bars_figure,
    scenario_histogram_figure,
    stress_heatmaps_figure,
)

__all__ = [
    "attribution_waterfall_figure",
    "cost_breakdown_figure",
    "cost_risk_frontier_figure",
    "dated_lines_figure",
    "fan_chart_figure",
    "frequency_sweep_figure",
    "greeks_profile_figure",
    "hedge_position_figure",
    "hedge_ratio_figure",
    "insurance_costs_figure",
    "insurance_fan_figure",
    "live_greeks_figure",
    "live_hedge_figure",
    "live_price_pnl_figure",
    "loss_curve_figure",
    "mv_correction_figure",
    "no_trade_band_figure",
    "payoff_scatter_figure",
    "payoff_value_figure",
    "pnl_attribution_figure",
    "pnl_heatmap_figure",
    "pnl_histogram_figure",
    "pnl_overlay_figure",
    "policy_heatmap_figure",
    "policy_vs_delta_figure",
    "price_history_figure",
    "price_trades_figure",
    "revaluation_figure",
    "risk_bars_figure",
    "risk_comparison_figure",
    "sample_paths_figure",
    "scenario_histogram_figure",
    "stress_heatmaps_figure",
    "terminal_values_figure",
    "trade_pnl_histogram_figure",
    "variance_reduction_figure",
    "variance_scatter_figure",
    "volatility_comparison_figure",
    "volatility_history_figure",
    "yearly_returns_figure",
]
