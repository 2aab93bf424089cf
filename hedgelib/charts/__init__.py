"""Plotly figure builders: data in, ``go.Figure`` out.

The builders know nothing about Streamlit or about how the numbers were computed: a page
(or a notebook) computes the data with the library, converts units if it wants trader
units, and hands arrays plus axis titles to a builder. Every axis gets a title with its
unit; the defaults below assume the library's raw conventions (currency, years, decimal
volatility), so a caller that rescales also passes the matching titles.

No template is set on purpose: Streamlit's own plotly theme (light or dark) or plotly's
default template then decides the colours, so the figures stay readable in both themes.
"""

from hedgelib.charts.book import greeks_profile_figure, payoff_value_figure, pnl_heatmap_figure

__all__ = [
    "greeks_profile_figure",
    "payoff_value_figure",
    "pnl_heatmap_figure",
]
