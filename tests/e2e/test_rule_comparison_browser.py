"""Browser test of the Rule Comparison page: run, the three charts render, the table downloads.

With HEDGELIB_SCREENSHOTS=1 it saves docs/screenshots/rule_comparison.png.
"""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

N_CHARTS = 3  # overlaid P&L, frequency sweep, cost-risk frontier


def _charts(page: Page):
    return page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")


def test_run_renders_charts_and_table_downloads(page: Page, app_url: str, tmp_path: Path, screenshot):
    page.goto(app_url + "/Rule_Comparison")
    expect(page.get_by_role("heading", name="Rule Comparison").first).to_be_visible(timeout=30_000)
    page.locator("[data-testid='stTextInput']", has_text="Paths").locator("input").fill("2000")
    page.get_by_role("button", name="Run").click()
    # During the rerun the previous takeaway may still be on screen beside the new one.
    expect(page.get_by_text("came within").first).to_be_visible(timeout=60_000)
    expect(_charts(page)).to_have_count(N_CHARTS, timeout=60_000)
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=60_000)
    for i in range(N_CHARTS):
        expect(_charts(page).nth(i).locator(".main-svg").first).to_be_visible()
    # The frontier draws one marker per rule: 5 intervals + 5 bands + 4 Whalley-Wilmott.
    # Plotly draws the markers after the chart's frame: wait for them, however loaded the machine.
    points = page.locator("[data-testid='stPlotlyChart']").nth(2).locator(".scatterlayer .points path")
    expect(points.nth(13)).to_be_attached(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    assert parse_qs(urlparse(page.url).query).get("n_paths") == ["2000"]

    with page.expect_download() as info:
        page.get_by_role("button", name="Download the summary table (CSV)").click()
    target = tmp_path / "summary.csv"
    info.value.save_as(target)
    rows = list(csv.DictReader(target.read_text().splitlines()))
    assert [r["Set-up"] for r in rows] == ["daily", "weekly", "band 0.05", "Whalley-Wilmott 1"]
    stds = [float(r["Std of P&L"]) for r in rows]
    assert stds[1] > stds[0] > 0  # weekly hedging is riskier than daily
    screenshot(page, "rule_comparison.png")
