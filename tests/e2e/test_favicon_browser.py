"""Browser test: the tab icon is served with the page, so the app needs no network."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect


@pytest.mark.parametrize("path", ["", "/Option_Book", "/Hedge_Lab"])
def test_favicon_is_inline_and_nothing_is_fetched_from_elsewhere(page: Page, app_url: str, path: str):
    elsewhere: list[str] = []

    def note(request) -> None:
        if urlparse(request.url).hostname not in (None, "127.0.0.1"):
            elsewhere.append(request.url)

    page.on("request", note)
    page.goto(app_url + path)
    page.wait_for_function(
        "() => { const l = document.querySelector(\"link[rel*='icon']\"); "
        "return l && l.href.startsWith('data:image/svg+xml'); }", timeout=30_000)
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=60_000)
    assert elsewhere == []
