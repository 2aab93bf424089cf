"""Every page that reads a link, given every input malformed and then out of range at once:
each bad value is listed in the page's warning and ignored, and the page never fails."""

from __future__ import annotations

import math

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
