"""Browser test: the first visitor after the server starts, on a page's own address (a shared
link), gets that page with the app's navigation, as every later visitor does."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_a_link_opened_first_after_a_start_shows_the_apps_navigation(page: Page, start_app, tmp_path):
    with start_app(tmp_path) as url:
        # Nothing has visited the server yet: this is the session Streamlit would run without
        # app.py, under a menu of file names.
        page.goto(url + "/Hedge_Lab?n_paths=500")
        expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=90_000)
        nav = page.locator("[data-testid='stSidebarNav']")
        expect(nav).to_contain_text("Monte Carlo Hedge Lab")
        expect(nav).to_contain_text("Home")
        assert "app" not in [t.strip() for t in nav.locator("a").all_inner_texts()]
        # The page itself, with the link's inputs, at the same address.
        expect(page.locator("h1")).to_contain_text("Monte Carlo Hedge Lab")
        expect(page.get_by_text("500 paths", exact=False).first).to_be_visible()
        assert page.url.endswith("/Hedge_Lab?n_paths=500") or "/Hedge_Lab?" in page.url
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        expect(page.get_by_text("Page not found")).to_have_count(0)
