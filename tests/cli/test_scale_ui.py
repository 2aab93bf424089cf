"""The "Run this at scale" box on the Hedge Lab and Rule Comparison pages (AppTest), and the
commands it offers: every one of them is a valid command line for the page's scenario."""

from __future__ import annotations

import shlex

import pytest

from hedgelib.cli.args import build_parser, parse_vary
from hedgelib.cli.plan import sweep_cases
from hedgelib.scenario import schema_for
from ui.scale import SWEEPS, scale_commands

PAGES = {"hedge_lab": ("pages/3_Hedge_Lab.py", "hedge_lab_scenario.json"),
         "rule_comparison": ("pages/5_Rule_Comparison.py", "rule_comparison_scenario.json")}


@pytest.mark.parametrize("page_name", list(PAGES))
def test_every_offered_command_parses_and_its_sweep_is_valid(page_name):
    page = page_name
    _, file_name = PAGES[page]
    commands = [line for line in scale_commands(page, file_name).splitlines()
                if not line.startswith("#")]
    assert len(commands) == 3
    schema = schema_for(page)
    for line in commands:
        words = shlex.split(line)
        assert words[:3] == ["python", "-m", "hedgelib"] and file_name in words
        args = build_parser().parse_args(words[3:])
        if args.command == "sweep":
            cases = sweep_cases(page, schema, schema.defaults, [parse_vary(v) for v in args.vary])
            assert len(cases) >= 3
    assert all(f"--vary {v}" in scale_commands(page, file_name) for v in SWEEPS[page])


def _box(at):
    (box,) = [e for e in at.expander if e.label == "Run this at scale"]
    return box


@pytest.mark.parametrize("page_name", list(PAGES))
def test_the_box_offers_the_command_and_the_scenario_file(app_test, page_name):
    script, file_name = PAGES[page_name]
    at = app_test(script, timeout=60)
    at.run()
    assert not at.exception
    box = _box(at)
    assert not box.proto.expanded  # closed while the page runs the scenario itself
    (code,) = box.code
    assert f"python -m hedgelib run {file_name}" in code.value
    (button,) = box.get("download_button")
    assert button.label == "Download the scenario file (JSON)"


def test_the_box_opens_when_the_page_refuses_the_run(app_test):
    at = app_test(PAGES["hedge_lab"][0], timeout=60)
    at.query_params["n_paths"] = "1000000"  # 63 million path-steps, above the page's cap
    at.run()
    assert not at.exception
    assert any("above the lab's cap" in e.value for e in at.error)
    assert _box(at).proto.expanded


def test_the_rule_comparison_offers_the_box_with_its_refusal(app_test):
    at = app_test(PAGES["rule_comparison"][0], timeout=60)
    at.query_params["n_paths"] = "1000000"
    at.run()
    assert not at.exception
    assert any("above the page's cap" in e.value for e in at.error)
    box = _box(at)
    assert box.proto.expanded and "rule_comparison_scenario.json" in box.code[0].value
