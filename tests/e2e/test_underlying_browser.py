"""Browser test: upload a CSV through the real file uploader on the Underlying page.

With HEDGELIB_SCREENSHOTS=1 it also saves docs/screenshots/underlying.png.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import Page, expect


def _write_csv(path: Path) -> None:
    days = pd.bdate_range("2022-01-03", periods=120)
    r = np.random.default_rng(11).normal(0.0003, 0.012, len(days) - 1)
    prices = 250.0 * np.exp(np.cumsum(np.r_[0.0, r]))
    path.write_text("Date,Close\n" + "".join(f"{d.date()},{p:.2f}\n" for d, p in zip(days, prices, strict=True)))


def test_upload_csv_on_underlying_page(page: Page, app_url: str, tmp_path: Path, screenshot):
    csv_path = tmp_path / "desk_prices.csv"
    _write_csv(csv_path)
    page.goto(f"{app_url}/Underlying")
    expect(page.get_by_role("heading", name="Underlying").first).to_be_visible(timeout=30_000)
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("Upload a CSV", exact=True).click()
    expect(sidebar.get_by_text("Upload a CSV file of daily closes to use it.")).to_be_visible(timeout=20_000)
    file_input = sidebar.locator("input[type=file]")
    expect(file_input).to_have_count(1)
    file_input.set_input_files(str(csv_path))

    banner = page.locator("[data-testid='stAlertContentInfo']", has_text="Source in use")
    expect(banner).to_contain_text("desk_prices", timeout=30_000)
    expect(banner).to_contain_text("2022-01-03 to 2022-06-17")
    expect(page.locator("[data-testid='stMetric']", has_text="Rows (daily closes)")).to_contain_text("120")
    charts = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")
    expect(charts).to_have_count(2, timeout=30_000)
    expect(charts.first.locator(".main-svg").first).to_be_visible()
    # Page settings are untouched by the source change: the 21-day default window.
    expect(page.locator("[data-testid='stSliderThumbValue']")).to_have_text("21")
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    screenshot(page, "underlying.png")
