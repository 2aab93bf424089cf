"""hedgelib.scenario: the pages' inputs follow the registries, old names keep loading, and a
scenario builds the same library objects (and the same numbers) as the keyword API."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

from hedgelib import scenario as sc
from hedgelib.backtest import ImpliedVolSeries, RealisedVol, replay
from hedgelib.book import Book, OptionLeg, preset_book
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging import (
    AnyOf,
    DeltaBand,
    DeltaHedge,
    EveryNOrBand,
    EveryNSteps,
    HedgeOption,
    TransactionCosts,
    WhalleyWilmott,
    run_experiment,
)
from hedgelib.hedging.setup import RULES
from hedgelib.market.history import load_bundled
from hedgelib.market.models import GARCH, GBM, Heston, MertonJump
from hedgelib.registry import parameter

DAYS = 252.0


@dataclass(frozen=True)
class Sometimes:
    """Trade every k-th step (a rule registered by a test)."""

    label = "Sometimes"
    k: int = parameter(2, "Sometimes: every k steps", low=1, high=9, key="sometimes_k")

    def decide(self, context):
        return context.step % self.k == 0, 0.0


@dataclass(frozen=True)
class Clashing:
    """A rule whose parameter takes a page input's name."""

    label = "Clashing"
    n: int = parameter(2, "Paths?", key="n_paths")

    def decide(self, context):
        return True, 0.0


@pytest.fixture
def sometimes():
    RULES.register("sometimes", Sometimes)
    try:
        yield
    finally:
        RULES.unregister("sometimes")


# ---- the inputs follow the registries -------------------------------------------------------


def test_schemas_are_computed_from_the_registries_when_asked(sometimes):
    for schema in (sc.hedge_lab_schema(), sc.backtest_schema()):
        assert "sometimes" in schema.choices["rule"]
        assert schema.defaults["sometimes_k"] == 2 and schema.bounds["sometimes_k"] == (1, 9)
    assert "sometimes_k" in sc.setup_parameters()
    RULES.unregister("sometimes")
    assert "sometimes" not in sc.hedge_lab_schema().choices["rule"]
    assert "sometimes_k" not in sc.hedge_lab_fields()


def test_a_parameter_may_not_take_a_page_inputs_name():
    RULES.register("clashing", Clashing)
    try:
        with pytest.raises(HedgeLibError, match="'n_paths' is declared twice"):
            sc.hedge_lab_fields()
    finally:
        RULES.unregister("clashing")


def test_shared_keys_are_one_input_and_pages_override_defaults():
    lab, bt = sc.hedge_lab_fields(), sc.backtest_fields()
    # every_n is declared by two rules, band_width by two: one input each
    assert list(lab).count("every_n") == 1 and lab["every_n"].label == "Every N steps"
    assert (lab["cost_bp"].default, bt["cost_bp"].default, bt["band_width"].default) == (5.0, 1.0, 0.10)
    assert bt["every_n"].label == "Every N trading days"
    assert lab["hopt_roll_days"].label == "Roll before expiry (trading days)"
    assert lab["hopt_roll_days"].default == 5.0
    assert "delta_band" in RULES and "band" not in RULES and RULES.get("band") is None


# ---- old links and files ----------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), sorted(sc.RULE_ALIASES.items()))
def test_old_rule_names_load_and_new_ones_are_written(old, new):
    for schema in (sc.hedge_lab_schema(), sc.backtest_schema()):
        found, problems = schema.from_query_params({"rule": old})
        assert not problems and found == {"rule": new}
        written = schema.to_query_params({"rule": old})
        assert written == ({} if new == schema.defaults["rule"] else {"rule": new})
    old_file = json.dumps({"format": sc.SCENARIO_FORMAT, "page": "hedge_lab", "version": 1,
                           "inputs": {"rule": old, "every_n": 5}})
    inputs = sc.hedge_lab_schema().from_json(old_file)
    assert inputs["rule"] == new and inputs["hopt_roll_days"] == 5.0
    assert json.loads(sc.hedge_lab_schema().to_json(inputs))["version"] == 2


def test_old_set_up_rows_are_read():
    rows = [{"name": "weekly", "strategy": "delta", "rule": "every", "parameter": 5.0,
             "hedge_vol_pct": 20.0, "cost_bp": 2.0},
            {"name": "band", "strategy": "delta", "rule": "band", "parameter": 0.2,
             "hedge_vol_pct": 25.0, "cost_bp": 2.0},
            {"name": "ww", "strategy": "delta", "rule": "ww", "parameter": 3.0,
             "hedge_vol_pct": 20.0, "cost_bp": 2.0}]
    assert sc.setup_rows(rows) == [
        {"name": "weekly", "strategy": "delta", "rule": "every_n_steps", "every_n": 5,
         "hedge_vol_pct": 20.0, "cost_bp": 2.0},
        {"name": "band", "strategy": "delta", "rule": "delta_band", "band_width": 0.2,
         "hedge_vol_pct": 25.0, "cost_bp": 2.0},
        {"name": "ww", "strategy": "delta", "rule": "whalley_wilmott", "ww_risk_aversion": 3.0,
         "hedge_vol_pct": 20.0, "cost_bp": 2.0},
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "daily"}, "Set-up row 2: name 'daily' is used twice"),
        ({"rule": "sometimes"}, "Set-up row 2 (weekly): rule must be one of"),
        ({"strategy": None}, "Set-up row 2 (weekly): strategy must be one of"),
        ({"every_n": 0}, "Every N steps must be a whole number from 1 to 10000, got 0"),
        ({"every_n": None}, "Set-up row 2 (weekly): Every N steps must be a number, got None"),
        ({"rule": "delta_band", "band_width": -1.0}, "must lie in [0, 1000], got -1"),
        ({"hedge_vol_pct": 0.0}, "hedge volatility must be > 0 %"),
        ({"cost_bp": -1.0}, "cost must be >= 0 bp"),
    ],
)
def test_bad_set_up_rows_are_named(change, message):
    rows = sc.default_setups()[:2]
    rows[1] = {**rows[1], **change}
    with pytest.raises(HedgeLibError) as info:
        sc.setup_rows(rows)
    assert message in str(info.value)


def test_schema_for_names_the_pages():
    for page in ("hedge_lab", "rule_comparison", "historical_backtest"):
        assert sc.schema_for(page).page == page
    with pytest.raises(sc.ScenarioError, match="page must be one of"):
        sc.schema_for("risk")


# ---- a scenario in library objects ---------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "model"),
    [
        ({}, GBM(0.05, 0.2, 0.01)),
        ({"model": "Heston", "heston_v0_vol_pct": 30.0}, Heston(0.05, 0.3**2, 2.0, 0.2**2, 0.5, -0.7, 0.01)),
        ({"model": "Merton"}, MertonJump(0.05, 0.2, 0.5, -0.1, 0.15, 0.01)),
        ({"model": "GARCH"}, GARCH.from_annualised(0.05, 0.2, 0.08, 0.9, 0.01)),
    ],
    ids=["GBM", "Heston", "Merton", "GARCH"],
)
def test_the_market_model(inputs, model):
    schema = sc.hedge_lab_schema()
    sim = sc.hedge_lab_simulation(schema.complete({**inputs, "div_pct": 1.0}))
    assert sim.model == model


def test_the_default_hedge_lab_scenario_in_library_objects():
    sim = sc.hedge_lab_simulation(sc.hedge_lab_schema().defaults)
    assert sim.book == Book([OptionLeg("call", 100.0, 63 / 252, -1.0)])
    assert sim.size == sc.RunSize(100.0, 63 / 252, 63, 10_000, 42)
    s = sim.setup
    assert (s.hedge_volatility, s.pricing_volatility, s.rate, s.dividend_yield) == (0.2, 0.2, 0.03, 0.0)
    assert isinstance(s.strategy, DeltaHedge) and s.rule == EveryNSteps(1) and s.hedge_option is None
    assert s.costs == TransactionCosts(proportional=5e-4)
    # The market and the book may come from elsewhere (the app's shared ones).
    other = sc.hedge_lab_simulation(sc.hedge_lab_schema().defaults, book=preset_book("straddle", 50.0, 0.5),
                                    market=sc.Market(50.0, 0.01, 0.02))
    assert other.size.spot == 50.0 and other.size.horizon == 0.5 and other.setup.rate == 0.01
    assert other.model.dividend_yield == 0.02


def test_a_scenario_runs_bit_for_bit_as_the_keywords():
    inputs = sc.hedge_lab_schema().complete({
        "strategy": "delta-gamma", "rule": "every_n_or_band", "every_n": 5, "band_width": 0.1,
        "hopt_kind": "put", "hopt_moneyness_pct": 95.0, "hopt_tenor_days": 84.0,
        "cost_bp": 3.0, "option_spread_pct": 2.0, "hedge_vol_pct": 22.0, "n_paths": 600,
    })
    sim = sc.hedge_lab_simulation(inputs)
    assert sim.setup.hedge_option == HedgeOption("put", 0.95, 84 / DAYS, roll_before=5 / DAYS)
    assert sim.setup.rule == EveryNOrBand(5, 0.1)
    by_scenario = run_experiment(**sim.keywords())
    by_hand = run_experiment(
        GBM(0.05, 0.2), Book([OptionLeg("call", 100.0, 63 / 252, -1.0)]), spot=100.0,
        horizon=63 / 252, n_steps=63, n_paths=600, seed=42, hedge_volatility=0.22,
        pricing_volatility=0.2, rate=0.03, strategy="delta-gamma",
        rule=AnyOf(EveryNSteps(5), DeltaBand(0.1)),
        costs=TransactionCosts(proportional=3e-4, option_spread=0.02),
        hedge_option=HedgeOption("put", 0.95, 84 / DAYS, roll_before=5 / DAYS),
    )
    np.testing.assert_array_equal(by_scenario.pnl, by_hand.pnl)
    np.testing.assert_array_equal(by_scenario.costs, by_hand.costs)


def test_errors_name_the_part_or_the_hedge_option():
    schema = sc.hedge_lab_schema()
    with pytest.raises(HedgeLibError, match="^Whalley-Wilmott band: risk_aversion must be positive"):
        sc.hedge_lab_simulation(schema.complete({"rule": "whalley_wilmott", "ww_risk_aversion": 0.0}))
    with pytest.raises(HedgeLibError, match="^GARCH.*alpha \\+ beta must be < 1"):
        sc.hedge_lab_simulation(schema.complete({"model": "GARCH", "garch_alpha": 0.2}))
    with pytest.raises(HedgeLibError, match="^Hedge option for the delta-vega strategy: roll_before"):
        sc.hedge_lab_simulation(schema.complete({"strategy": "delta-vega", "hopt_tenor_days": 5.0}))
    # no hedge option is built (nor checked) for a strategy without one
    assert sc.hedge_lab_simulation(schema.complete({"hopt_tenor_days": 0.0})).setup.hedge_option is None


def test_the_rule_comparison_plan():
    inputs = sc.rule_comparison_schema().complete({"per_trade": 0.01, "n_steps": 21})
    plan = sc.rule_comparison(inputs)
    assert list(plan.setups) == ["daily", "weekly", "band 0.05", "Whalley-Wilmott 1"]
    rules = [s.rule for s in plan.setups.values()]
    assert rules == [EveryNSteps(1), EveryNSteps(5), DeltaBand(0.05), WhalleyWilmott(1.0)]
    costs = TransactionCosts(proportional=5e-4, per_trade=0.01)
    assert all(s.costs == costs and s.hedge_volatility == 0.2 for s in plan.setups.values())
    # The sweep and the frontier run the first set-up as a plain delta hedge.
    rows = [{**sc.default_setups()[2], "strategy": "delta-vega"}, sc.default_setups()[0]]
    plan = sc.rule_comparison({**inputs, "setups": {"rows": rows}})
    assert plan.setups["band 0.05"].hedge_option is not None
    ref = plan.reference
    assert ref.strategy.name == "delta" and ref.hedge_option is None and ref.costs == costs
    assert plan.grid == {"every": (1, 2, 5, 10, 21), "band_widths": (0.01, 0.02, 0.05, 0.1, 0.2),
                         "risk_aversions": (0.1, 1.0, 10.0, 100.0)}
    assert sc.hedge_runs(inputs) == (4, 4, 14)  # 21 has the divisors 1, 3, 7, 21


def test_frontier_grid_errors_name_the_input():
    inputs = sc.rule_comparison_schema().defaults
    with pytest.raises(HedgeLibError, match="Frontier: band half-widths .shares.: 'x' is not a number"):
        sc.frontier_grid({**inputs, "band_widths": "0.1, x"})
    with pytest.raises(HedgeLibError, match="give at least one"):
        sc.frontier_grid({**inputs, "every": "100", "band_widths": "", "risk_aversions": ""})


def test_backtest_scenarios_replay_as_the_library_does():
    spx = load_bundled("sp500")
    inputs = sc.backtest_schema().complete({"mode": "replay", "start": "2018-02-01", "vol_kind": "realised",
                                            "rule": "delta_band", "band_width": 0.2})
    hedge = sc.backtest_keywords(inputs)
    assert hedge["hedge_volatility"] == RealisedVol(21) and hedge["rule"] == DeltaBand(0.2)
    assert hedge["costs"] == TransactionCosts(proportional=1e-4) and hedge["hedge_option"] is None
    got = sc.run_backtest(inputs, spx.prices)
    spot = float(spx.prices.loc["2018-02-01"])
    want = replay(spx.prices, preset_book("straddle", spot, 21 / 252, width=0.1).scaled(-1.0),
                  start="2018-02-01", hedge_volatility=RealisedVol(21), rule=DeltaBand(0.2),
                  costs=TransactionCosts(proportional=1e-4))
    assert got.pnl == want.pnl
    # An option strategy hedges with the hedge option, rolled before its expiry.
    inputs = {**inputs, "strategy": "delta-gamma", "vol_kind": "vix", "hopt_tenor_days": 10.0,
              "tenor_days": 21}
    rp = sc.run_backtest(inputs, spx.prices)
    assert "options" in rp.trades.columns and rp.ledger["option"].abs().sum() > 0
    assert isinstance(sc.backtest_keywords(inputs)["hedge_volatility"], ImpliedVolSeries)


def test_moneyness_book_keeps_the_shape():
    book = Book([OptionLeg("put", 90.0, 0.25, 1.0)], stock=0.5)
    assert sc.moneyness_book(book, 100.0) == Book([OptionLeg("put", 0.9, 0.25, 1.0)], stock=0.5)
    with pytest.raises(HedgeLibError, match="spot of the Option Book page"):
        sc.moneyness_book(book, 0.0)
