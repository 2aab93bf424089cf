"""A strategy and a rule registered in the library, one class and one registry line each, are
offered by every page that offers strategies and rules (with the rule's parameter), run there,
and are gone again once unregistered: no page knows them by name."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.hedging import HedgeSetup, TransactionCosts, run_experiment
from hedgelib.hedging.setup import RULES, STRATEGIES
from hedgelib.market.models import GBM
from hedgelib.registry import parameter
from hedgelib.scenario import default_setups, rule_comparison_schema
from tests.app.inputs import set_number

PAGES = {
    "hl_": "pages/3_Hedge_Lab.py",
    "bt_": "pages/4_Historical_Backtest.py",
    "rc_": "pages/5_Rule_Comparison.py",
    "rk_": "pages/6_Risk.py",
}
STRATEGY_LABEL = "Toy: half the delta"
RULE_LABEL = "Toy: every k-th step"
PARAM_LABEL = "Toy: trade every k steps"


@dataclass(frozen=True)
class HalfDelta:
    """Hold half the delta hedge (a toy strategy)."""

    name = "toy-half-delta"
    label = STRATEGY_LABEL
    uses_option = False
    needs_vega = False

    def target(self, state):
        return -0.5 * state.book_delta, 0.0


@dataclass(frozen=True)
class EveryK:
    """Trade every k-th grid step (a toy rule with one declared parameter)."""

    label = RULE_LABEL
    k: int = parameter(3, PARAM_LABEL, low=1, high=50, step=1, key="toy_k",
                       help="Steps between trades of the toy rule.")

    def decide(self, context):
        return context.step % self.k == 0, 0.0


@pytest.fixture
def toys():
    STRATEGIES.register("toy-half-delta", HalfDelta)
    RULES.register("toy_every_k", EveryK)
    try:
        yield
    finally:
        STRATEGIES.unregister("toy-half-delta")
        RULES.unregister("toy_every_k")


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _run(at, **choices):
    for key, value in choices.items():
        if isinstance(value, str):
            at.selectbox(key=key).set_value(value)
        else:
            set_number(at, key, value)
    next(b for b in at.button if b.label == "Run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _editor_columns(at) -> dict:
    editor = next(d for d in at.dataframe if json.loads(d.proto.columns).get("rule"))
    return json.loads(editor.proto.columns)


@pytest.mark.parametrize("prefix", ["hl_", "bt_", "rk_"])
def test_the_forms_offer_the_new_parts_and_the_rule_parameter(app_test, toys, prefix):
    at = app_test(PAGES[prefix], timeout=120)
    at.run()
    assert not at.exception and not at.error
    assert STRATEGY_LABEL in at.selectbox(key=prefix + "strategy").options
    assert RULE_LABEL in at.selectbox(key=prefix + "rule").options
    field = at.number_input(key=prefix + "toy_k")
    assert field.label == PARAM_LABEL and field.value == 3


def test_the_set_ups_table_offers_them_as_choices_and_a_parameter_column(app_test, toys):
    at = app_test(PAGES["rc_"], timeout=120)
    at.run()
    assert not at.exception and not at.error
    columns = _editor_columns(at)
    options = {c: {o["value"]: o["label"] for o in columns[c]["type_config"]["options"]}
               for c in ("strategy", "rule")}
    assert options["strategy"]["toy-half-delta"] == STRATEGY_LABEL
    assert options["rule"]["toy_every_k"] == RULE_LABEL
    assert columns["toy_k"]["label"] == PARAM_LABEL
    assert columns["toy_k"]["type_config"]["min_value"] == 1


def test_hedge_lab_runs_them_as_the_library_does(app_test, toys):
    at = app_test(PAGES["hl_"], timeout=120)
    at.run()
    _run(at, hl_strategy="toy-half-delta", hl_rule="toy_every_k", hl_toy_k=2, hl_n_paths=2000)
    book = Book([OptionLeg("call", 100.0, 63 / 252, -1.0)])
    setup = HedgeSetup(0.2, pricing_volatility=0.2, rate=0.03, strategy=HalfDelta(),
                       rule=EveryK(2), costs=TransactionCosts(proportional=5e-4))
    res = run_experiment(GBM(0.05, 0.2), book, setup=setup, spot=100.0, horizon=63 / 252,
                         n_steps=63, n_paths=2000, seed=42)
    m = _metrics(at)
    assert float(m["Std of P&L (hedged)"].replace(",", "")) == pytest.approx(res.summary()["std"], abs=5e-5)
    takeaway = next(i.value for i in at.info if i.value.startswith("Takeaway"))
    assert f"by the rule {RULE_LABEL} ({PARAM_LABEL} 2)" in takeaway
    # The link names them, so that it reopens the same run.
    assert at.query_params["rule"] == ["toy_every_k"] or at.query_params["rule"] == "toy_every_k"
    assert "toy_k" in at.query_params


def test_backtest_and_risk_run_them(app_test, toys):
    bt = app_test(PAGES["bt_"], timeout=120)
    bt.run()
    before = _metrics(bt)["Total P&L (hedged)"]
    _run(bt, bt_strategy="toy-half-delta", bt_rule="toy_every_k", bt_toy_k=5)
    assert _metrics(bt)["Total P&L (hedged)"] != before

    rk = app_test(PAGES["rk_"], timeout=120)
    rk.run()
    before = _metrics(rk)
    _run(rk, rk_strategy="toy-half-delta", rk_rule="toy_every_k", rk_toy_k=2)
    after = _metrics(rk)
    # the simulation, the stress grid and historical VaR all hedge with the toy strategy
    for label in ("VaR 99% hedged", "Worst cell, hedged", "Historical VaR 99%, hedged"):
        assert after[label] != before[label], label
    assert after["Historical VaR 99%, book"] == before["Historical VaR 99%, book"]


def test_rule_comparison_runs_a_set_up_of_them(app_test, toys):
    rows = [default_setups()[0],
            {"name": "toy", "strategy": "toy-half-delta", "rule": "toy_every_k", "toy_k": 2,
             "hedge_vol_pct": 20.0, "cost_bp": 5.0}]
    at = app_test(PAGES["rc_"], timeout=120)
    for k, v in rule_comparison_schema().to_query_params({"setups": {"rows": rows},
                                                           "n_paths": 500}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = next(d.value for d in at.dataframe if "Set-up" in d.value.columns)
    assert list(table["Set-up"]) == ["daily", "toy"]
    assert table["Strategy"].iloc[1] == STRATEGY_LABEL
    assert table["Rule"].iloc[1] == f"{RULE_LABEL} ({PARAM_LABEL} 2)"
    assert np.isfinite(table["Std of P&L"]).all()


def test_unregistered_parts_leave_the_forms(app_test, toys):
    STRATEGIES.unregister("toy-half-delta")
    RULES.unregister("toy_every_k")
    for prefix, page in PAGES.items():
        at = app_test(page, timeout=120)
        at.run()
        assert not at.exception, page
        if prefix == "rc_":
            columns = _editor_columns(at)
            assert "toy_k" not in columns
            assert "toy_every_k" not in {o["value"] for o in columns["rule"]["type_config"]["options"]}
        else:
            assert RULE_LABEL not in at.selectbox(key=prefix + "rule").options
            assert STRATEGY_LABEL not in at.selectbox(key=prefix + "strategy").options
            assert not [w for w in at.number_input if w.key == prefix + "toy_k"]
