"""HedgeSetup, the registries, and parts written outside the package (documented protocol
only) running through simulate_hedge, run_experiment and replay."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pytest

from hedgelib.backtest import replay
from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging import (
    COST_MODELS,
    RULES,
    STRATEGIES,
    DeltaBand,
    EveryNOrBand,
    EveryNSteps,
    HedgeOption,
    HedgeSetup,
    TransactionCosts,
    WhalleyWilmott,
    as_strategy,
    run_experiment,
    simulate_hedge,
)
from hedgelib.market.history import load_bundled
from hedgelib.market.models import GBM
from hedgelib.registry import Parameter, Registry, from_display, parameter, to_display

BOOK = Book([OptionLeg("call", 100.0, 0.25, -1.0)])


# -- parts that know nothing of the package but its documented protocols ---------------------


class HalfDelta:
    """Hedge half the book's delta: a strategy by protocol only (no base class)."""

    name = "half-delta"
    label = "Half delta"
    uses_option = False
    needs_vega = False

    def target(self, state):
        return -0.5 * state.book_delta, 0.0


class EveryOtherStep:
    """Trade on even steps only: a rule by protocol only."""

    def decide(self, context):
        return context.step % 2 == 0, 0.0


def _every_other_half(book, paths, **kw):
    return simulate_hedge(book, paths, hedge_volatility=0.2, rule=EveryOtherStep(),
                          strategy=HalfDelta(), **kw)


def test_a_protocol_only_strategy_and_rule_run_in_the_engine():
    paths = GBM(0.05, 0.2).simulate(100.0, 0.25, 20, 500, rng=3)
    res = _every_other_half(BOOK, paths, record_paths=1)
    # Oracle: a hedge of half the delta, traded on even steps, holds half of the full delta
    # hedge's position whenever they trade on the same steps.
    full = simulate_hedge(BOOK, paths, hedge_volatility=0.2, rule=EveryOtherStep(), record_paths=1)
    stock = res.steps["stock"].to_numpy()[:-1]
    np.testing.assert_allclose(stock, 0.5 * full.steps["stock"].to_numpy()[:-1], rtol=1e-12)
    odd = res.steps["step"].to_numpy()[:-1] % 2 == 1
    assert (res.steps["stock_trade"].to_numpy()[:-1][odd] == 0).all()


def test_a_protocol_only_strategy_and_rule_run_in_experiments_and_on_history():
    exp = run_experiment(GBM(0.05, 0.2), BOOK, spot=100.0, horizon=0.25, n_steps=20, n_paths=600,
                         seed=4, block_size=256, hedge_volatility=0.2, rule=EveryOtherStep(),
                         strategy=HalfDelta())
    assert exp.n_paths == 600 and np.isfinite(exp.pnl).all()
    spx = load_bundled("sp500")
    rp = replay(spx, Book([OptionLeg("call", 2700.0, 21 / 252, -1.0)]), start="2018-03-01",
                hedge_volatility=0.2, rule=EveryOtherStep(), strategy=HalfDelta())
    traded = rp.ledger["stock_trade"].to_numpy()[:-1] != 0
    assert not traded[1::2].any() and traded[0]


def test_registered_parts_are_found_by_name_and_on_a_process_pool():
    STRATEGIES.register("half-delta", HalfDelta)
    try:
        assert isinstance(as_strategy("half-delta"), HalfDelta)
        assert isinstance(as_strategy("HALF_DELTA"), HalfDelta)
        assert STRATEGIES["half-delta"].label == "Half delta"
        paths = GBM(0.05, 0.2).simulate(100.0, 0.25, 10, 50, rng=1)
        by_name = simulate_hedge(BOOK, paths, hedge_volatility=0.2, strategy="half-delta")
        by_object = simulate_hedge(BOOK, paths, hedge_volatility=0.2, strategy=HalfDelta())
        assert np.array_equal(by_name.pnl, by_object.pnl)
    finally:
        STRATEGIES.unregister("half-delta")
    with pytest.raises(HedgeLibError, match="strategy must be one of"):
        as_strategy("half-delta")
    # The engine's parts pickle (process pools, Dask) with their registered classes.
    # spawn, not fork: a fork of this multithreaded process (JAX, thread pools) may deadlock.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        res = run_experiment(GBM(0.05, 0.2), BOOK, spot=100.0, horizon=0.25, n_steps=5,
                             n_paths=64, seed=1, block_size=32, executor=pool,
                             setup=HedgeSetup(0.2, rule=EveryNOrBand(2, 0.1)))
    assert res.n_paths == 64


def test_built_in_registries_and_their_form_parameters():
    # The engine's own parts come first; other packages of the library register theirs after.
    assert list(STRATEGIES)[:4] == ["none", "delta", "delta-gamma", "delta-vega"]
    assert list(RULES)[:4] == ["every_n_steps", "delta_band", "whalley_wilmott", "every_n_or_band"]
    assert list(COST_MODELS)[:1] == ["transaction_costs"]
    # Keys are the scenario names that links and files have always used.
    keys = {e.name: [p.key for p in e.parameters] for e in list(RULES.values())[:4]}
    assert keys == {"every_n_steps": ["every_n"], "delta_band": ["band_width"],
                    "whalley_wilmott": ["ww_risk_aversion"], "every_n_or_band": ["every_n", "band_width"]}
    costs = {p.key: p for p in COST_MODELS["transaction_costs"].parameters}
    assert costs["cost_bp"].unit == "bp" and costs["option_spread_pct"].unit == "percent"
    # Building from display values (what a person types) gives library units.
    built = COST_MODELS["transaction_costs"].build({"proportional": 5.0, "option_spread": 2.0})
    assert built == TransactionCosts(proportional=5e-4, option_spread=0.02)
    assert RULES["delta_band"].build() == DeltaBand(0.05)
    assert RULES["whalley_wilmott"].build({"risk_aversion": 3.0}) == WhalleyWilmott(3.0)
    assert RULES["every_n_steps"].build({"n": 5.0}) == EveryNSteps(5)


def test_display_units_round_trip():
    for unit, lib, shown in [("percent", 0.2, 20.0), ("bp", 5e-4, 5.0), ("days", 0.25, 63.0),
                             ("vol_percent", 0.04, 20.0), ("", 1.5, 1.5)]:
        assert to_display(lib, unit) == pytest.approx(shown, rel=1e-14)
        assert from_display(shown, unit) == pytest.approx(lib, rel=1e-14)
    with pytest.raises(HedgeLibError, match="unit"):
        Parameter("x", "X", 1.0, unit="furlongs")


def test_a_registry_refuses_duplicates_and_needs_form_defaults():
    reg = Registry("rule")

    @dataclass(frozen=True)
    class Needy:
        width: float = parameter(0.1, "Width")

        def decide(self, context):
            return True, 0.0

    reg.register("needy", Needy)
    with pytest.raises(HedgeLibError, match="new and non-empty"):
        reg.register("needy", Needy)

    @dataclass(frozen=True)
    class NoDefault:
        width: float = parameter(__import__("dataclasses").MISSING, "Width")

    with pytest.raises(HedgeLibError, match="shown"):
        reg.register("no-default", NoDefault)
    with pytest.raises(HedgeLibError, match="rule must be one of 'needy'"):
        reg["missing"]


# -- HedgeSetup ------------------------------------------------------------------------------------


def test_hedge_setup_validates_and_names_the_argument():
    with pytest.raises(HedgeLibError, match="hedge_volatility"):
        HedgeSetup(-0.2)
    with pytest.raises(HedgeLibError, match="rate"):
        HedgeSetup(0.2, rate=float("nan"))
    with pytest.raises(HedgeLibError, match="pricing_volatility"):
        HedgeSetup(0.2, pricing_volatility=0.0)
    with pytest.raises(HedgeLibError, match="rule must be a rule"):
        HedgeSetup(0.2, rule="daily")
    with pytest.raises(HedgeLibError, match="costs must be a cost model"):
        HedgeSetup(0.2, costs=0.001)
    with pytest.raises(HedgeLibError, match="hedge_option must be given for strategy 'delta-vega'"):
        HedgeSetup(0.2, strategy="delta-vega")
    with pytest.raises(HedgeLibError, match="hedge_option must be a HedgeOption"):
        HedgeSetup(0.2, strategy="delta-gamma", hedge_option=("call", 1.0, 0.25))
    s = HedgeSetup(np.array([0.2, 0.21]), strategy="delta-gamma", hedge_option=HedgeOption())
    assert s.uses_option and not s.hedge_volatility.flags.writeable
    assert s.replace(strategy="delta").strategy.name == "delta"


def test_entry_points_take_a_setup_or_keywords_not_both():
    paths = GBM(0.05, 0.2).simulate(100.0, 0.25, 10, 100, rng=2)
    setup = HedgeSetup(0.2, rate=0.03, rule=EveryNSteps(2), costs=TransactionCosts(proportional=1e-3))
    a = simulate_hedge(BOOK, paths, setup=setup)
    b = simulate_hedge(BOOK, paths, hedge_volatility=0.2, rate=0.03, rule=EveryNSteps(2),
                       costs=TransactionCosts(proportional=1e-3))
    assert np.array_equal(a.pnl, b.pnl)
    with pytest.raises(HedgeLibError, match="either setup or rate"):
        simulate_hedge(BOOK, paths, setup=setup, rate=0.05)
    with pytest.raises(HedgeLibError, match="setup must be a HedgeSetup"):
        simulate_hedge(BOOK, paths, setup={"hedge_volatility": 0.2})
    with pytest.raises(TypeError):
        simulate_hedge(BOOK, paths, hedge_volatility=0.2, hedge_vol=0.3)


def test_hedge_option_rolls_before_expiry_when_asked():
    # A 20-day hedge option on a 3-month book: held to expiry it settles at its payoff; with
    # roll_before=5 days it is sold at its model price 5 days early and replaced.
    paths = GBM(0.05, 0.2).simulate(100.0, 0.25, 63, 200, rng=5)
    held = HedgeOption("call", 1.0, 20 / 252)
    rolled = HedgeOption("call", 1.0, 20 / 252, roll_before=5 / 252)
    kw = dict(hedge_volatility=0.2, strategy="delta-gamma", record_paths=1,
              costs=TransactionCosts(option_spread=0.01))
    a = simulate_hedge(BOOK, paths, hedge_option=held, **kw)
    b = simulate_hedge(BOOK, paths, hedge_option=rolled, **kw)
    expiries_a = np.unique(a.steps["option_expiry"].to_numpy()[:-1])
    expiries_b = np.unique(b.steps["option_expiry"].to_numpy()[:-1])
    np.testing.assert_allclose(expiries_a, [20 / 252, 40 / 252, 60 / 252, 60 / 252 + 20 / 252][:len(expiries_a)])
    # Rolled every 15 days: options bought at days 0, 15, 30, 45, 60.
    np.testing.assert_allclose(expiries_b, np.array([0, 15, 30, 45, 60]) / 252 + 20 / 252, atol=1e-12)
    # Held into its last days, the option's gamma concentrates at the strike and the gamma
    # ratio explodes on paths that end near it; rolling early keeps the hedge sane.
    assert np.median(b.option_turnover) < 0.01 * np.median(a.option_turnover)
    assert b.pnl.std() < 0.01 * a.pnl.std()
    # And the books still add up exactly.
    for res in (a, b):
        total = sum(res.attribution.values())
        np.testing.assert_allclose(total, res.pnl, rtol=0, atol=1e-9)
    with pytest.raises(HedgeLibError, match="roll_before"):
        HedgeOption("call", 1.0, 0.1, roll_before=0.1)
