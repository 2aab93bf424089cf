"""Every page that reads a link, given every input malformed and then out of range at once:
each bad value is listed in the page's warning and ignored, and the page never fails."""

from __future__ import annotations

import json
import math
import time

import pytest

from hedgelib.scenario import (
    backtest_schema,
    hedge_lab_schema,
    portfolio_schema,
    rule_comparison_schema,
)
from ui.learned import learned_schema
from ui.risk_page import risk_schema

PAGES = {
    "pages/3_Hedge_Lab.py": hedge_lab_schema,
    "pages/4_Historical_Backtest.py": backtest_schema,
    "pages/5_Rule_Comparison.py": rule_comparison_schema,
    "pages/6_Risk.py": risk_schema,
    "pages/7_Portfolio_Hedging.py": portfolio_schema,
    "pages/8_Learned_Hedging.py": learned_schema,
}


def _malformed(default) -> str:
    if isinstance(default, bool):
        return "maybe"
    if isinstance(default, dict):
        return "[" * 3000  # nested past Python's recursion limit
    if isinstance(default, int | float):
        return "1e1e1"
    return "\x00<script>"  # not among any input's choices, and no date


def _out_of_range(default, bounds) -> str | None:
    low, high = bounds
    if isinstance(default, bool) or not isinstance(default, int | float):
        return None
    if high is not None and math.isfinite(high):
        return "9" * 5000 if isinstance(default, int) else "1e300"
    if low is not None:
        return str(low - 1) if isinstance(default, int) else repr(low - 1e6)
    return None


def _page_survives(app_test, page: str, params: dict[str, str]) -> str:
    at = app_test(page, timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = " ".join(w.value for w in at.warning)
    assert "Some settings in the link were ignored" in warnings
    return warnings


@pytest.mark.parametrize("script", list(PAGES))
def test_every_malformed_link_value_is_listed_and_ignored(app_test, script):
    schema = PAGES[script]()
    params = {name: _malformed(default) for name, default in schema.defaults.items()}
    warnings = _page_survives(app_test, script, params)
    missing = [name for name in params if f"{name}:" not in warnings]
    assert not missing, missing


@pytest.mark.parametrize("script", list(PAGES))
def test_every_out_of_range_link_value_is_listed_and_ignored(app_test, script):
    schema = PAGES[script]()
    params = {name: v for name, bounds in schema.bounds.items()
              if (v := _out_of_range(schema.defaults[name], bounds)) is not None}
    assert params, script
    warnings = _page_survives(app_test, script, params)
    missing = [name for name in params if f"{name}:" not in warnings]
    assert not missing, missing


def _wide_book(n_legs: int) -> str:
    legs = [{"kind": "call", "strike": 50.0 + i, "expiry": 0.25, "quantity": 1.0} for i in range(n_legs)]
    return json.dumps({"legs": legs, "stock": 0.0}, separators=(",", ":"))


@pytest.mark.parametrize("script", ["pages/3_Hedge_Lab.py", "pages/5_Rule_Comparison.py",
                                    "pages/6_Risk.py"])
def test_a_link_with_a_huge_book_is_refused_before_anything_runs(app_test, script):
    # 1,000 legs in a link used to run for minutes at page open.
    started = time.perf_counter()
    warnings = _page_survives(app_test, script, {"book": _wide_book(1000)})
    assert "book: holds 1,000 option legs, more than the 50" in warnings
    assert time.perf_counter() - started < 60


def test_the_work_cap_counts_each_strike_and_expiry(app_test):
    # 40 distinct strikes at the default 10,000 x 63 is 25 million path-steps of pricing.
    at = app_test("pages/3_Hedge_Lab.py", timeout=60)
    at.query_params["book"] = _wide_book(40)
    at.run()
    assert not at.exception
    refusal = " ".join(e.value for e in at.error)
    assert "10,000 paths x 63 steps x 40 strike-expiry pairs = 25,200,000 path-steps" in refusal
    assert not at.metric  # nothing ran


def test_a_one_path_run_says_what_its_numbers_mean(app_test):
    at = app_test("pages/3_Hedge_Lab.py", timeout=60)
    at.query_params["n_paths"] = "1"
    at.run()
    assert not at.exception
    assert any("One path shows one outcome" in w.value for w in at.warning)
    assert "1 path, 63 daily steps over 63 trading days" in " ".join(c.value for c in at.caption)
