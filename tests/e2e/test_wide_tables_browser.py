"""Browser test: wide tables show every column at 1400 x 900, the sidebar open."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

# (page, text shown once the table is drawn, which data frame on the page)
TABLES = [
    ("/Option_Book", "Per-leg values and greeks", 1),  # the leg editor comes first
    ("/Rule_Comparison", "Download the summary table (CSV)", 1),  # the set-ups editor comes first
    ("/Historical_Backtest", "Every trade", 0),
    ("/Portfolio_Hedging", "Download the summary (CSV)", 0),
]

MEASURE = """(frame) => {
    const scroller = frame.querySelector('.dvn-scroller');
    const box = frame.getBoundingClientRect();
    return {right: box.right, viewport: window.innerWidth,
            scrollWidth: scroller.scrollWidth, clientWidth: scroller.clientWidth};
}"""


@pytest.mark.parametrize(("path", "ready", "index"), TABLES)
def test_wide_table_fits_the_page(page: Page, app_url: str, path: str, ready: str, index: int):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(app_url + path)
    expect(page.get_by_text(ready).first).to_be_visible(timeout=120_000)
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=120_000)
    frame = page.locator("[data-testid='stDataFrame']").nth(index)
    expect(frame.locator(".dvn-scroller")).to_have_count(1, timeout=30_000)
    page.wait_for_timeout(500)  # the grid sizes its columns after its first paint
    size = frame.evaluate(MEASURE)
    assert size["right"] <= size["viewport"], size
    # Every column in view: nothing hidden behind the grid's own horizontal scroll.
    assert size["scrollWidth"] <= size["clientWidth"] + 1, size
