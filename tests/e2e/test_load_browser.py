"""The server under load and after big runs: several sessions at once on the Monte Carlo Hedge
Lab, and a million-path run whose memory must not stay with the server once it is over.

Each test starts its own server, so that its memory readings are of its own sessions only.
Nothing here asserts a speed: timeouts are generous and the bounds are on memory.
"""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.server import peak_rss, rss_mb

SESSIONS = 8
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Generous: eight sessions share two cores with the browser, and CI machines are slower.
TIMEOUT_MS = 240_000
# The server with eight sessions of the default run (10,000 paths x 63 steps each) at once
# peaks near 0.3 GB. A bound, not a measurement: it leaves room for slower machines' overlap,
# and a copy of the runs' temporaries per session would still cross it.
PEAK_RSS_MB = 1_000
# What a server may keep after sessions that ran a million paths have closed, over what it
# held after a default run. The runs themselves need about a gigabyte while they run.
KEPT_AFTER_BIG_RUNS_MB = 250


def wait_for_results(page: Page) -> None:
    """The run is over and its results drawn: headline numbers shown, script idle, no status
    widget (checked after the results: before the first run the app can look idle too)."""
    expect(page.locator("[data-testid='stMetric']", has_text="Std unhedged")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator(IDLE)).to_have_count(1, timeout=TIMEOUT_MS)
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=TIMEOUT_MS)


def no_errors(page: Page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0


def test_eight_sessions_run_the_default_at_once(browser: Browser, start_app, tmp_path: Path):
    with start_app(tmp_path) as url:
        contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(SESSIONS)]
        try:
            pages = [c.new_page() for c in contexts]
            with peak_rss(url.pid) as peak:
                # Open every session before waiting on any: their runs overlap on the server.
                for page in pages:
                    page.goto(url + "/Hedge_Lab", wait_until="commit")
                for page in pages:
                    wait_for_results(page)
            for page in pages:
                no_errors(page)
                expect(page.locator("[data-testid='stPlotlyChart']").first).to_be_visible()
        finally:
            for c in contexts:
                c.close()
        print(f"server peak RSS {peak[0]:.0f} MB with {SESSIONS} sessions")
        assert peak[0] < PEAK_RSS_MB, f"server peak RSS {peak[0]:.0f} MB with {SESSIONS} sessions"


def test_memory_falls_back_after_million_path_runs(browser: Browser, start_app, tmp_path: Path):
    with start_app(tmp_path) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/Hedge_Lab")
        wait_for_results(page)
        context.close()
        baseline = rss_mb(url.pid)
        # Two sessions, one after the other, each a million paths (the page's maximum) by a
        # shared link: the server must give their memory back, not keep it per run.
        for seed in (1, 2):
            context = browser.new_context()
            page = context.new_page()
            page.goto(url + f"/Hedge_Lab?n_paths=1000000&n_steps=5&seed={seed}")
            wait_for_results(page)
            expect(page.get_by_text("1,000,000 paths, 5 steps").first).to_be_visible()
            no_errors(page)
            context.close()
        time.sleep(1)  # the closed sessions' last messages
        after = rss_mb(url.pid)
        assert after - baseline < KEPT_AFTER_BIG_RUNS_MB, (
            f"server RSS {after:.0f} MB after two million-path sessions closed, "
            f"{baseline:.0f} MB after a default run")
