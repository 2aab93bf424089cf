"""Browser test of the Risk page: it opens, runs, draws its four charts, shows no error.

With HEDGELIB_SCREENSHOTS=1 it saves docs/screenshots/risk.png.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

N_CHARTS = 4  # VaR/ES bars, stress heatmaps, revaluation lines, scenario histogram


def _charts(page: Page):
    return page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")


def test_risk_page_renders(page: Page, app_url: str, screenshot):
    page.goto(app_url + "/Risk")
    expect(page.get_by_role("heading", name="Risk").first).to_be_visible(timeout=30_000)
    expect(_charts(page)).to_have_count(N_CHARTS, timeout=60_000)
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=60_000)
    expect(page.locator("[data-testid='stMetric']", has_text="Historical VaR 99%, book")).to_be_visible()
    # Two heatmaps in the stress chart, drawn (plotly renders heatmaps as images).
    expect(_charts(page).nth(1).locator(".hm image, .heatmaplayer image").first).to_be_attached()
    for i in range(N_CHARTS):
        expect(_charts(page).nth(i).locator(".main-svg").first).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    expect(page.get_by_text("Takeaway:")).to_be_visible()

    screenshot(page, "risk.png")
