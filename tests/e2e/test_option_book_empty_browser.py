"""Browser test: the implied-volatility calculator survives an empty book."""

from __future__ import annotations

from playwright.sync_api import Page, expect

MAIN = "[data-testid='stMain']"


def _expect_calculator(page: Page, strike: str, days: str, price: str) -> None:
    calc = page.locator("[data-testid='stHorizontalBlock']", has_text="Option price (currency)").last
    for label, value in (("Strike (currency)", strike), ("Expiry (", days), ("Option price (currency)", price)):
        field = calc.locator("[data-testid='stNumberInput']", has_text=label).locator("input")
        expect(field).to_have_value(value, timeout=30_000)


def _choose_preset(page: Page, text: str) -> None:
    page.locator(MAIN).get_by_role("combobox", name="Preset (replaces the table)").click()
    page.get_by_role("option", name=text).first.click()


def test_calculator_keeps_its_inputs_after_the_book_was_empty(page: Page, app_url: str):
    page.goto(app_url + "/Option_Book")
    expect(page.get_by_text("Implied volatility calculator")).to_be_visible(timeout=60_000)
    # Defaults: at the money, the preset's expiry, priced at the page's volatility.
    _expect_calculator(page, "100.00", "63.00", "4.3576")
    _choose_preset(page, "Empty book")
    expect(page.get_by_text("The book is empty")).to_be_visible(timeout=30_000)
    _choose_preset(page, "Straddle")
    expect(page.get_by_text("Implied volatility calculator")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=60_000)
    _expect_calculator(page, "100.00", "63.00", "4.3576")
