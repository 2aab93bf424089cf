"""Browser test: home page -> Option Book page, charts drawn, no exception box.

With HEDGELIB_SCREENSHOTS=1 it also saves full-page screenshots of both pages to
docs/screenshots/ (used by the README).
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
N_CHARTS = 4  # payoff/value, greeks against spot, two P&L heatmaps


def _full_page_screenshot(page: Page, name: str) -> None:
    # Streamlit scrolls inside its main container, not the document, so a "full page"
    # screenshot would stop at the viewport: grow the viewport to the content first.
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], section.main, body')]"
        ".map(e => e.scrollHeight))"
    )
    size = page.viewport_size or {"width": 1400, "height": 1000}
    page.set_viewport_size({"width": size["width"], "height": int(height) + 40})
    page.mouse.move(0, 0)  # no hover: plotly's mode bar would float over the inputs
    page.wait_for_timeout(1500)  # plotly redraws on resize
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    page.set_viewport_size(size)


def test_option_book_page_renders(page: Page, app_url: str):
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Hedge Lab").first).to_be_visible(timeout=30_000)
    link = page.locator("[data-testid='stMain'] a", has_text="Option Book & Greeks")
    expect(link).to_be_visible()
    if os.environ.get("HEDGELIB_SCREENSHOTS") == "1":
        _full_page_screenshot(page, "home.png")

    link.click()
    expect(page.get_by_role("heading", name="Option Book & Greeks").first).to_be_visible(timeout=30_000)
    charts = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")
    expect(charts).to_have_count(N_CHARTS, timeout=60_000)
    expect(charts.first.locator(".main-svg").first).to_be_visible()
    expect(page.locator("[data-testid='stMetric']", has_text="Vega per vol point")).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    if os.environ.get("HEDGELIB_SCREENSHOTS") == "1":
        _full_page_screenshot(page, "option_book.png")
