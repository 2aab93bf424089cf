"""Browser test of Learned Hedging: the default training run renders its charts.

With HEDGELIB_SCREENSHOTS=1 it saves docs/screenshots/learned_hedging.png.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

# The deep-hedging tab's charts, by title (the other tab may render too, so they are not counted).
TITLES = ("P&L per path on the same fresh paths", "Risk on fresh paths", "Training loss per epoch",
          "Learned hedge vs Black-Scholes delta", "Learned hedge (starting from the delta)",
          "No-trade band")
# The default run (10,000 paths x 30 steps x 20 epochs, then 20,000 fresh paths) takes
# about 30 s on two idle cores, compilation included; a shared CI machine may be slower.
TIMEOUT = 240_000


def _charts(page: Page):
    return page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")


def test_default_training_renders_the_comparison(page: Page, app_url: str, screenshot):
    page.goto(app_url + "/Learned_Hedging")
    expect(page.get_by_role("heading", name="Learned Hedging").first).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Train and compare").click()
    expect(page.locator("[data-testid='stMetric']", has_text="Learned (deep hedge)").first).to_be_visible(
        timeout=TIMEOUT)
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=TIMEOUT)
    for title in TITLES:
        expect(_charts(page).filter(has_text=title).first).to_be_visible(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    expect(page.get_by_text("in every page's strategy list")).to_be_visible()
    expect(_charts(page).first.locator(".main-svg").first).to_be_visible()
    screenshot(page, "learned_hedging.png")
