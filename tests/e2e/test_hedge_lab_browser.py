"""Browser tests of the Monte Carlo Hedge Lab: run, charts, shareable link, CSV and JSON.

With HEDGELIB_SCREENSHOTS=1 the first test saves docs/screenshots/hedge_lab.png.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from hedgelib.scenario import hedge_lab_schema

N_CHARTS = 4  # P&L histogram, attribution waterfall, cost breakdown, sample paths
MAIN = "[data-testid='stMain']"


def _charts(page: Page):
    return page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")


def _no_error_boxes(page: Page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0


def _number_input(page: Page, label: str):
    # Counts (paths, steps) are text inputs that read "2e5" and "200,000".
    field = "[data-testid='stNumberInput'], [data-testid='stTextInput']"
    return page.locator(MAIN).locator(field, has_text=label).locator("input")


def _select(page: Page, label: str):
    return page.locator(MAIN).get_by_role("combobox", name=label)


def _wait_for_results(page: Page) -> None:
    expect(page.locator("[data-testid='stMetric']", has_text="Std unhedged")).to_be_visible(timeout=60_000)
    expect(_charts(page)).to_have_count(N_CHARTS, timeout=60_000)
    # Streamlit greys stale elements while a run is in progress; wait until it is done.
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=60_000)


def test_run_renders_charts_and_ledger_downloads(page: Page, app_url: str, tmp_path: Path, screenshot):
    page.goto(app_url + "/Hedge_Lab")
    expect(page.get_by_role("heading", name="Monte Carlo Hedge Lab").first).to_be_visible(timeout=30_000)
    _number_input(page, "Paths").fill("3000")
    page.get_by_role("button", name="Run").click()
    _wait_for_results(page)
    expect(page.locator("[data-testid='stMetric']", has_text="Derman-Kamal std")).to_be_visible()
    expect(_charts(page).first.locator(".main-svg").first).to_be_visible()
    _no_error_boxes(page)
    # Run writes the inputs that differ from the defaults into the address bar.
    assert parse_qs(urlparse(page.url).query).get("n_paths") == ["3000"]

    with page.expect_download() as info:
        page.get_by_role("button", name="Download this ledger (CSV)").click()
    target = tmp_path / "ledger.csv"
    info.value.save_as(target)
    lines = target.read_text().splitlines()
    assert lines[0].split(",")[:3] == ["step", "time (trading days)", "spot"]
    assert "running P&L" in lines[0]
    assert len(lines) == 1 + 64  # header, then steps 0..63 of the default 63-step grid
    screenshot(page, "hedge_lab.png")


def test_shared_link_restores_the_inputs(page: Page, app_url: str):
    query = "model=Heston&strategy=delta-gamma&n_paths=2000&cost_bp=2.5&hedge_vol_pct=25.0"
    page.goto(f"{app_url}/Hedge_Lab?{query}")
    _wait_for_results(page)
    _no_error_boxes(page)
    expect(_select(page, "Market model")).to_have_value("Heston (stochastic volatility)")
    expect(_select(page, "Strategy")).to_have_value("Delta-gamma (stock + option)")
    expect(_number_input(page, "Paths")).to_have_value("2000")
    expect(_number_input(page, "Proportional cost")).to_have_value("2.5")
    expect(_number_input(page, "Hedge volatility")).to_have_value("25")

    # Change an input and run: the address bar now carries it, and a new session opened on
    # that address (a colleague following the link) gets the same inputs and the same numbers.
    _number_input(page, "Seed").fill("7")
    page.get_by_role("button", name="Run").click()
    expect(page).to_have_url(re.compile(r"seed=7"), timeout=30_000)
    _wait_for_results(page)
    std = page.locator("[data-testid='stMetric']", has_text="Std of P&L").locator(
        "[data-testid='stMetricValue']").inner_text()
    other = page.context.new_page()
    other.goto(page.url)
    _wait_for_results(other)
    expect(_select(other, "Market model")).to_have_value("Heston (stochastic volatility)")
    expect(_number_input(other, "Seed")).to_have_value("7")
    expect(_number_input(other, "Paths")).to_have_value("2000")
    expect(other.locator("[data-testid='stMetric']", has_text="Std of P&L").locator(
        "[data-testid='stMetricValue']")).to_have_text(std)
    other.close()


def test_upload_scenario_file(page: Page, app_url: str, tmp_path: Path):
    page.goto(app_url + "/Hedge_Lab")
    expect(page.get_by_role("heading", name="Monte Carlo Hedge Lab").first).to_be_visible(timeout=30_000)
    scenario = json.loads(hedge_lab_schema().to_json({"model": "Merton", "n_paths": 1500,
                                                      "rule": "delta_band"}))
    file = tmp_path / "scenario.json"
    file.write_text(json.dumps(scenario))
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(file))
    expect(page.get_by_text("Loaded the scenario from scenario.json")).to_be_visible(timeout=30_000)
    _wait_for_results(page)
    expect(_select(page, "Market model")).to_have_value("Merton (jumps)")
    expect(_number_input(page, "Paths")).to_have_value("1500")
    assert parse_qs(urlparse(page.url).query).get("model") == ["Merton"]
    _no_error_boxes(page)


def test_paths_typed_in_scientific_notation(page: Page, app_url: str):
    page.goto(app_url + "/Hedge_Lab")
    expect(page.get_by_role("heading", name="Monte Carlo Hedge Lab").first).to_be_visible(timeout=30_000)
    _number_input(page, "Steps over the horizon").fill("20")
    _number_input(page, "Paths").fill("2e5")
    page.get_by_role("button", name="Run").click()
    _wait_for_results(page)
    expect(page.locator(MAIN).get_by_text("200,000 paths, 20 steps")).to_be_visible()
    _no_error_boxes(page)

    # Out of bounds: the field's label and the bound, and no run.
    _number_input(page, "Paths").fill("1e12")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("[data-testid='stAlertContentError']").first).to_contain_text(
        "Paths: 1e12 (1,000,000,000,000) is above the largest allowed, 1,000,000", timeout=30_000)
    expect(page.locator("[data-testid='stMetric']", has_text="Std unhedged")).to_have_count(0)
