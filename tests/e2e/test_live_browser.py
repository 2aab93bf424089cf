"""Browser test of the Live Monitor: open a position, see the page refresh on its own.

The page writes positions to a store, so this test starts its own ``streamlit run`` with
HEDGELIB_DATA_DIR in a temporary folder (the shared server of conftest.py would write to the
user's data folder). With HEDGELIB_SCREENSHOTS=1 it saves docs/screenshots/live_monitor.png.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

MAIN = "[data-testid='stMain']"
N_CHARTS = 3  # price and P&L, hedge against target, greeks


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory, start_app) -> Iterator[str]:
    """The app with its own empty position store."""
    folder = tmp_path_factory.mktemp("live_server")
    with start_app(folder, HEDGELIB_DATA_DIR=str(folder / "data")) as url:
        yield url


def _charts(page: Page):
    return page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")


def _no_error_boxes(page: Page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0


def _step_shown(page: Page) -> int:
    text = page.locator(MAIN).get_by_text(re.compile(r"Step \d+, \d{4}-\d\d-\d\d")).first.inner_text()
    return int(re.search(r"Step (\d+),", text).group(1))


def test_open_position_refreshes_on_its_own(page: Page, live_url: str, tmp_path: Path, screenshot):
    page.goto(live_url + "/Live_Monitor")
    expect(page.get_by_role("heading", name="Live Monitor").first).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Open position").click()
    # The first close is taken at once: the opening hedge's ticket and the charts.
    expect(page.get_by_role("button", name="Accept", exact=True)).to_be_visible(timeout=60_000)
    expect(_charts(page)).to_have_count(N_CHARTS, timeout=60_000)
    expect(_charts(page).first.locator(".main-svg").first).to_be_visible()
    assert _step_shown(page) == 0
    _no_error_boxes(page)

    # Accept the ticket and touch nothing more: the timer alone moves the replay on.
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.locator(MAIN).get_by_text(re.compile(r"Step [2-9]\d*, "))).to_be_visible(timeout=60_000)
    assert _step_shown(page) >= 2
    expect(_charts(page)).to_have_count(N_CHARTS)
    _no_error_boxes(page)

    # The blotter holds the accepted trade and downloads as CSV.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the blotter (CSV)").click()
    target = tmp_path / "blotter.csv"
    info.value.save_as(target)
    lines = target.read_text().splitlines()
    assert lines[0] == "time,step,instrument,side,quantity,price,notional,cost"
    assert lines[1].split(",")[1:4] == ["0", "S&P 500", "buy"]

    if os.environ.get("HEDGELIB_SCREENSHOTS") == "1":
        pause = page.get_by_role("button", name="Pause")
        if pause.count():
            pause.click()
        expect(page.get_by_role("button", name="Resume")).to_be_visible(timeout=30_000)
        expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=60_000)
        screenshot(page, "live_monitor.png", mask=(page.locator("code").filter(has_text="positions.sqlite"),))
