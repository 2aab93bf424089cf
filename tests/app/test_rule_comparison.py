"""Rule Comparison under AppTest: wiring, the numbers against the library, errors, cap, links."""

from __future__ import annotations

import json

import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.hedging import (
    DeltaBand,
    EveryNSteps,
    HedgeSetup,
    TransactionCosts,
    WhalleyWilmott,
    compare,
)
from hedgelib.market.models import GBM
from hedgelib.scenario import default_setups, rule_comparison_schema
from tests.app.inputs import set_number
from ui.errors import MAX_HEDGED_PATH_STEPS

SCHEMA = rule_comparison_schema()

PAGE = "pages/5_Rule_Comparison.py"
SMALL = 400  # paths per run in tests that only check the wiring


def _run_button(at):
    return next(b for b in at.button if b.label == "Run")


def _submit(at, **inputs):
    """Set form inputs (by field name) and press Run."""
    for name, value in inputs.items():
        key = "rc_" + name
        if name == "model":
            at.selectbox(key=key).select(value)
        elif isinstance(value, str):
            at.text_input(key=key).input(value)
        else:
            set_number(at, key, value)
    _run_button(at).click().run()
    return at


def _table(at):
    return next(d.value for d in at.dataframe if "Set-up" in d.value.columns)


def test_default_run_shows_the_table_matching_the_library(app_test):
    at = app_test(PAGE)
    at.run()
    assert not at.exception and not at.error
    table = _table(at)
    assert list(table["Set-up"]) == ["daily", "weekly", "band 0.05", "Whalley-Wilmott 1"]
    # The defaults: a short ATM call (strike = spot = 100, 63 trading days), GBM 5% drift and
    # 20% vol, 63 steps, 5,000 paths, seed 42, rate 3%, each set-up at 20% and 5 bp.
    book = Book([OptionLeg("call", 100.0, 63 / 252, -1.0)])
    base = HedgeSetup(0.2, pricing_volatility=0.2, rate=0.03, costs=TransactionCosts(proportional=5e-4))
    cmp = compare(
        GBM(0.05, 0.2), book,
        {"daily": base.replace(rule=EveryNSteps(1)), "weekly": base.replace(rule=EveryNSteps(5)),
         "band 0.05": base.replace(rule=DeltaBand(0.05)),
         "Whalley-Wilmott 1": base.replace(rule=WhalleyWilmott(1.0))},
        spot=100.0, horizon=63 / 252, n_steps=63, n_paths=5000, seed=42,
    ).table()
    assert table["Std of P&L"].to_numpy() == pytest.approx(cmp["std"].to_numpy(), rel=1e-12)
    assert table["Mean cost"].to_numpy() == pytest.approx(cmp["mean_cost"].to_numpy(), rel=1e-12)
    assert table["VaR 99%"].to_numpy() == pytest.approx(cmp["var_99"].to_numpy(), rel=1e-12)
    assert table["Mean P&L minus daily"].iloc[0] == 0.0
    # Weekly hedging is riskier and cheaper than daily, far beyond the paired standard error.
    assert table["Std of P&L"].iloc[1] > 1.5 * table["Std of P&L"].iloc[0]
    assert table["Mean P&L minus daily"].iloc[1] > 3 * table["Paired SE"].iloc[1]
    takeaways = [i.value for i in at.info if i.value.startswith("Takeaway")]
    assert takeaways and "of the risk of daily" in takeaways[0]
    assert any("default short at-the-money call" in i.value for i in at.info)
    assert len(at.latex) >= 3
    assert at.expander[-1].label == "What am I looking at"
    assert not at.query_params  # defaults write no link


CHANGES = [
    ("model", "Heston"),
    ("model", "Merton"),
    ("vol_pct", 30.0),
    ("drift_pct", 30.0),
    ("pricing_vol_pct", 25.0),
    ("n_steps", 21),
    ("seed", 7),
    ("n_paths", 300),
    ("band_widths", "0.03, 0.3"),
]


@pytest.mark.parametrize(("name", "value"), CHANGES, ids=[f"{n}={v}" for n, v in CHANGES])
def test_each_main_control_reruns(app_test, name, value):
    at = app_test(PAGE)
    at.run()
    _submit(at, n_paths=SMALL)
    before = _table(at)
    _submit(at, **{name: value})
    assert not at.exception and not at.error
    assert at.session_state["rc_submitted"][name] == value
    after = _table(at)
    if name == "band_widths":  # the set-ups do not move; the frontier does
        assert after.equals(before)
    else:
        assert not after["Mean P&L"].equals(before["Mean P&L"])
    # Run wrote the changed input into the shareable link.
    assert at.query_params[name] == SCHEMA.to_query_params({name: value})[name]


def test_bad_inputs_show_errors_not_tracebacks(app_test):
    at = app_test(PAGE)
    at.run()
    _submit(at, n_paths=SMALL, risk_aversions="1, lots")
    assert not at.exception
    assert any("'lots' is not a number" in e.value for e in at.error)
    _submit(at, risk_aversions="1", every="0")
    assert any("whole numbers above 0" in e.value for e in at.error)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (default_setups()[:1], "compare 2 to 5 set-ups, got 1"),
        ([*default_setups()[:2], {**default_setups()[0]}], "'daily' is used twice"),
        ([{**default_setups()[0], "every_n": 2.5}, default_setups()[1]], "whole number from 1 to 10000"),
        ([{**default_setups()[2], "band_width": None}, default_setups()[1]], "must be a number"),
        ([{**default_setups()[0], "rule": "sometimes"}, default_setups()[1]], "rule must be one of"),
        ([{**default_setups()[0], "hedge_vol_pct": 0.0}, default_setups()[1]], "hedge volatility must be > 0"),
    ],
)
def test_bad_setups_show_errors(app_test, rows, message):
    at = app_test(PAGE)
    at.run()
    at.session_state["rc_submitted"] = {**at.session_state["rc_submitted"], "setups": {"rows": rows}}
    at.session_state["rc_setups_table"] = None  # rebuilt from the bad rows below
    del at.session_state["rc_setups_editor"]
    at.run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]


def test_cap_refuses_large_runs_with_a_message(app_test):
    at = app_test(PAGE)
    at.run()
    _submit(at, n_paths=1_000_000)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(f"cap of {MAX_HEDGED_PATH_STEPS:,}" in e and "1,000,000 paths x 63 steps x 24 hedges" in e
               for e in errors), errors
    assert not any("Set-up" in d.value.columns for d in at.dataframe if hasattr(d.value, "columns"))


def test_query_params_fill_the_inputs_and_setups(app_test):
    rows = [
        {"name": "twice a day", "strategy": "delta", "rule": "every", "parameter": 1.0,
         "hedge_vol_pct": 20.0, "cost_bp": 2.0},
        {"name": "lazy band", "strategy": "delta", "rule": "band", "parameter": 0.2,
         "hedge_vol_pct": 25.0, "cost_bp": 2.0},
    ]
    params = SCHEMA.to_query_params({"n_paths": 500, "n_steps": 42, "vol_pct": 25.0,
                                     "setups": {"rows": rows}})
    assert json.loads(params["setups"]) == {"rows": rows}
    at = app_test(PAGE)
    for k, v in params.items():
        at.query_params[k] = v
    at.query_params["seed"] = "not a number"
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["rc_n_paths"] == 500
    assert at.session_state["rc_n_steps"] == 42
    assert at.session_state["rc_vol_pct"] == 25.0
    assert list(_table(at)["Set-up"]) == ["twice a day", "lazy band"]
    assert any("seed: must be a whole number" in w.value for w in at.warning)
    # A bad set-ups parameter falls back to the defaults, with a warning.
    at2 = app_test(PAGE)
    at2.query_params["setups"] = json.dumps({"rows": [{"name": "only one"}]})
    at2.run()
    assert not at2.exception and not at2.error
    assert list(_table(at2)["Set-up"]) == [r["name"] for r in default_setups()]
    assert any("setups:" in w.value for w in at2.warning)


def test_a_set_up_with_a_hedge_option_rolls_it(app_test):
    rows = [default_setups()[0], {**default_setups()[1], "name": "gamma", "strategy": "delta-gamma"}]
    at = app_test(PAGE)
    for k, v in SCHEMA.to_query_params({"setups": {"rows": rows}, "n_paths": 300,
                                        "hopt_tenor_days": 42.0}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception and not at.error
    assert at.number_input(key="rc_hopt_roll_days").value == 5.0
    assert list(_table(at)["Strategy"]) == ["Delta (stock)", "Delta-gamma (stock + option)"]
    before = _table(at)["Mean P&L"].iloc[1]
    _submit(at, hopt_roll_days=0.0)
    assert not at.error
    assert _table(at)["Mean P&L"].iloc[1] != before
    assert _table(at)["Mean P&L"].iloc[0] == _table(at)["Mean P&L"].iloc[0]
