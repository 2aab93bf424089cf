"""Browser test: home page -> Option Book page, charts drawn, no exception box.

With HEDGELIB_SCREENSHOTS=1 it also saves full-page screenshots of both pages to
docs/screenshots/ (used by the README).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

N_CHARTS = 4  # payoff/value, greeks against spot, two P&L heatmaps


def test_option_book_page_renders(page: Page, app_url: str, screenshot):
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Hedge Lab").first).to_be_visible(timeout=30_000)
    link = page.locator("[data-testid='stMain'] a", has_text="Option Book & Greeks")
    expect(link).to_be_visible()
    screenshot(page, "home.png")

    link.click()
    expect(page.get_by_role("heading", name="Option Book & Greeks").first).to_be_visible(timeout=30_000)
    charts = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")
    expect(charts).to_have_count(N_CHARTS, timeout=60_000)
    expect(charts.first.locator(".main-svg").first).to_be_visible()
    expect(page.locator("[data-testid='stMetric']", has_text="Vega per vol point")).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    screenshot(page, "option_book.png")
