"""Browser test: run a rolling backtest on the Historical Backtest page and download its CSV.

With HEDGELIB_SCREENSHOTS=1 it also saves docs/screenshots/backtest.png.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
from playwright.sync_api import Page, expect


def _type_date(page: Page, label: str, value: str) -> None:
    # The date field is a row of spin buttons (year, month, day) that move on by themselves
    # once a segment is full; a hidden native input mirrors the value.
    field = page.locator("[data-testid='stDateInput']", has_text=label)
    field.get_by_role("spinbutton", name=f"year, {label}").click()
    page.keyboard.type(value.replace("-", ""))
    expect(field.locator("input[type=date]")).to_have_value(value)


def test_rolling_backtest_of_2017_and_its_csv(page: Page, app_url: str, tmp_path: Path, screenshot):
    page.goto(f"{app_url}/Historical_Backtest")
    expect(page.get_by_role("heading", name="Historical Backtest").first).to_be_visible(timeout=30_000)
    # the default run (2018) is on show first
    metric = page.locator("[data-testid='stMetric']", has_text="Trades")
    expect(metric).to_contain_text("11", timeout=30_000)

    # S&P 500 at the VIX over 2017: twelve monthly short straddles
    _type_date(page, "Start (first entry)", "2017-01-01")
    _type_date(page, "End (last entry)", "2017-12-31")
    page.get_by_role("button", name="Run").click()
    expect(metric).to_contain_text("12", timeout=30_000)
    takeaway = page.locator("[data-testid='stAlertContentInfo']", has_text="Takeaway: 12 monthly short straddles")
    expect(takeaway.first).to_be_visible()
    charts = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")
    expect(charts).to_have_count(6, timeout=30_000)
    expect(charts.first.locator(".main-svg").first).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0

    with page.expect_download(timeout=20_000) as info:
        page.get_by_role("button", name="Download the trades (CSV)").click()
    download = info.value
    assert download.suggested_filename == "backtest_programme.csv"
    path = tmp_path / "trades.csv"
    download.save_as(path)
    trades = pd.read_csv(io.StringIO(path.read_text()))
    # one row per trade: the first close of each month of 2017
    assert len(trades) == 12
    assert trades["entry_date"].tolist()[:3] == ["2017-01-03", "2017-02-01", "2017-03-01"]
    assert {"pnl", "implied_vol", "realised_vol", "variance_spread", "theory_pnl"} <= set(trades.columns)

    screenshot(page, "backtest.png")


def test_a_shareable_link_opens_the_same_inputs_in_a_new_page(page: Page, app_url: str):
    page.goto(f"{app_url}/Historical_Backtest")
    metric = page.locator("[data-testid='stMetric']", has_text="Trades")
    expect(metric).to_contain_text("11", timeout=30_000)
    _type_date(page, "Start (first entry)", "2017-01-01")
    _type_date(page, "End (last entry)", "2017-06-30")
    # exact: the hedge option has a "Hedge option: tenor (trading days)" of its own
    page.get_by_role("spinbutton", name="Tenor (trading days)", exact=True).fill("10")
    page.get_by_role("button", name="Run").click()
    # While a run draws, the last run's elements can stay beside the new ones: two "Trades"
    # metrics at once. Wait for the new value, then for the old one to be gone.
    trades = page.locator("[data-testid='stMetric']").filter(has_text=re.compile(r"^\s*Trades\s*6\s*$"))
    expect(trades).to_have_count(1, timeout=30_000)
    expect(metric).to_have_count(1, timeout=30_000)
    expect(page).to_have_url(re.compile(r"tenor_days=10"), timeout=20_000)
    link = page.url
    assert "start=2017-01-01" in link and "end=2017-06-30" in link

    other = page.context.new_page()  # a new tab: its own session, only the link to go on
    other.goto(link)
    expect(other.get_by_role("heading", name="Historical Backtest").first).to_be_visible(timeout=30_000)
    field = other.locator("[data-testid='stDateInput']", has_text="Start (first entry)")
    expect(field.locator("input[type=date]")).to_have_value("2017-01-01", timeout=30_000)
    end = other.locator("[data-testid='stDateInput']", has_text="End (last entry)")
    expect(end.locator("input[type=date]")).to_have_value("2017-06-30")
    expect(other.get_by_role("spinbutton", name="Tenor (trading days)", exact=True)).to_have_value("10")
    expect(other.locator("[data-testid='stMetric']", has_text="Trades")).to_contain_text("6", timeout=30_000)
    assert other.locator("[data-testid='stAlertContentWarning']", has_text="link were ignored").count() == 0
    other.close()
