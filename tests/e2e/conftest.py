"""Browser tests: the real app under ``streamlit run``, driven by Debian's Chromium.

Playwright cannot download its own browsers here, so pytest-playwright is pointed at the
system Chromium. Without one, the tests skip with a reason, unless HEDGELIB_REQUIRE_BROWSER=1
(set by CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.server import ROOT, serve

SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """Launch options for pytest-playwright's ``browser`` and ``page`` fixtures."""
    executable = _chromium()
    if executable is None:
        reason = "no Chromium found (apt-get install chromium); browser tests need it"
        if os.environ.get("HEDGELIB_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and HEDGELIB_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(reason)
    return {"executable_path": executable, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def base_url() -> None:
    """No base URL: tests open full addresses from :func:`app_url`. Defined here so that
    the plugins' own ``base_url`` fixtures (and their deprecation warnings) are not used."""
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}, "accept_downloads": True}


class ServerURL(str):
    """A server's URL that also knows the server's process id (to read its memory)."""

    pid: int


def _fail(message: str) -> None:
    pytest.fail(message, pytrace=False)


@contextmanager
def _streamlit(folder: Path, **env: str) -> Iterator[ServerURL]:
    """Run ``streamlit run app.py`` on 127.0.0.1 at a free port, its log in ``folder`` and
    ``env`` added to its environment; yield its URL (with the process id as ``.pid``), stop
    it after."""
    with serve(ROOT, "app.py", folder / "server.log", env, fail=_fail) as (address, pid):
        url = ServerURL(address)
        url.pid = pid
        yield url


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served on 127.0.0.1 for the whole session; its URL."""
    with _streamlit(tmp_path_factory.mktemp("streamlit")) as url:
        yield url


@pytest.fixture(scope="session")
def start_app():
    """``with start_app(folder, NAME=value, ...) as url``: another server of the app, with
    its own environment (e.g. its own data folder)."""
    return _streamlit


@pytest.fixture
def screenshot():
    """``screenshot(page, name)`` saves the whole page to docs/screenshots/NAME (the README's
    pictures) when HEDGELIB_SCREENSHOTS=1, and does nothing otherwise; ``mask`` lists
    locators painted over (a test server's temporary folders have no place in the README)."""

    def save(page, name: str, mask: tuple = ()) -> None:
        if os.environ.get("HEDGELIB_SCREENSHOTS") != "1":
            return
        from playwright.sync_api import expect

        # Streamlit scrolls inside its main container: grow the viewport to the content first.
        height = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], section.main, body')]"
            ".map(e => e.scrollHeight))"
        )
        size = page.viewport_size or {"width": 1400, "height": 1000}
        page.set_viewport_size({"width": size["width"], "height": int(height) + 40})
        page.mouse.move(0, 0)  # no hover: plotly's mode bar would float over the inputs
        page.wait_for_timeout(1500)  # plotly redraws on resize
        # A resize can make the app run again: shoot once it is idle.
        expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=60_000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True, mask=list(mask), mask_color="#e6e6e6")
        page.set_viewport_size(size)

    return save
