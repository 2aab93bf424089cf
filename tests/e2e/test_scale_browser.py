"""Browser test of "Run this at scale" on the Monte Carlo Hedge Lab: the page runs its defaults
and draws its charts, the box shows the command line, and the scenario file it downloads runs
through ``python -m hedgelib run`` as the box says.

With HEDGELIB_SCREENSHOTS=1 it saves docs/screenshots/run_at_scale.png (the open box).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, expect

from hedgelib.scenario import hedge_lab_schema

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
N_CHARTS = 4  # P&L histogram, attribution waterfall, cost breakdown, sample paths


def test_run_this_at_scale_downloads_a_scenario_the_command_line_runs(page: Page, app_url: str,
                                                                      tmp_path: Path):
    page.goto(app_url + "/Hedge_Lab")
    expect(page.get_by_role("heading", name="Monte Carlo Hedge Lab").first).to_be_visible(timeout=30_000)
    charts = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")
    expect(charts).to_have_count(N_CHARTS, timeout=60_000)
    expect(charts.first.locator(".main-svg").first).to_be_visible()
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0

    box = page.locator("[data-testid='stExpander']", has_text="Run this at scale")
    box.get_by_text("Run this at scale").click()
    code = box.locator("[data-testid='stCode']")
    expect(code).to_contain_text("python -m hedgelib run hedge_lab_scenario.json --paths 1000000")
    expect(code).to_contain_text("--scheduler local:4")

    with page.expect_download() as info:
        box.get_by_role("button", name="Download the scenario file (JSON)").click()
    assert info.value.suggested_filename == "hedge_lab_scenario.json"
    scenario = tmp_path / "hedge_lab_scenario.json"
    info.value.save_as(scenario)
    inputs = hedge_lab_schema().from_json(scenario.read_bytes())

    if os.environ.get("HEDGELIB_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.mouse.move(0, 0)
        box.screenshot(path=str(SHOTS / "run_at_scale.png"))

    # The file runs as the box says (small here), from any folder.
    env = {**os.environ, "HEDGELIB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "hedgelib", "run", scenario.name, "--paths", "2000", "--steps", "21",
         "--out", "run", "--quiet"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["inputs"] == {**inputs, "n_paths": 2000, "n_steps": 21}
    assert (tmp_path / "run" / "pnl.parquet").stat().st_size > 0
