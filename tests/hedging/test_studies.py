"""Tests of hedgelib.hedging.studies: common random numbers across set-ups, the frequency
sweep against Derman-Kamal and Leland, the cost-risk frontier, and the predicted hedge error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hedgelib import theory
from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.experiment import run_experiment
from hedgelib.hedging.result import HedgeResult
from hedgelib.hedging.rules import DeltaBand, EveryNSteps
from hedgelib.hedging.setup import HedgeSetup
from hedgelib.hedging.studies import (
    Comparison,
    compare,
    cost_risk_frontier,
    frequency_sweep,
    predicted_hedge_error,
)
from hedgelib.market.models import GBM
from hedgelib.pricing.black_scholes import bs_greeks

MODEL = GBM(0.05, 0.2)
BOOK = Book([OptionLeg("call", 100.0, 1 / 12, -1.0), OptionLeg("put", 95.0, 1 / 12, 2.0)])
SMALL = dict(spot=100.0, horizon=1 / 12, n_steps=10, n_paths=1000, seed=123, block_size=256)
HEDGE = dict(
    hedge_volatility=0.2, rate=0.05, costs=TransactionCosts(proportional=1e-3, per_trade=0.01)
)
SETUP = HedgeSetup(**HEDGE)


def assert_identical(a: HedgeResult, b: HedgeResult) -> None:
    for name in ("pnl", "costs", "n_trades", "turnover", "unhedged_pnl"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for group in ("attribution", "explain", "cost_breakdown"):
        da, db = getattr(a, group), getattr(b, group)
        assert da.keys() == db.keys()
        for key in da:
            assert np.array_equal(da[key], db[key]), (group, key)


# -- compare ----------------------------------------------------------------------------------


def test_compare_hedges_the_same_paths():
    setups = {
        "daily": SETUP,
        "every 5": SETUP.replace(rule=EveryNSteps(5)),
        "band": SETUP.replace(rule=DeltaBand(0.1), costs=TransactionCosts(proportional=5e-3)),
    }
    cmp = compare(MODEL, BOOK, setups, chunk_size=512, **SMALL)
    assert isinstance(cmp, Comparison) and cmp.names == ("daily", "every 5", "band")
    base = cmp["daily"].unhedged_pnl
    for name in cmp.names:
        assert np.array_equal(cmp[name].unhedged_pnl, base)
    # Each set-up equals its own run_experiment on the same seed (and so the same paths).
    solo = run_experiment(MODEL, BOOK, rule=EveryNSteps(5), **SMALL, **HEDGE)
    assert_identical(cmp["every 5"], solo)
    table = cmp.table()
    assert list(table.index) == ["daily", "every 5", "band"]
    assert {"mean", "std", "std_se", "mean_cost", "mean_cost_se", "variance_reduction"} <= set(
        table.columns
    )
    assert table.loc["daily", "std"] < table.loc["every 5", "std"]
    assert table.loc["band", "mean_cost"] > 0
    # Paired differences: the same mean difference, with a smaller standard error than if the
    # set-ups had run on independent paths (the two hedge errors are positively correlated).
    diff = cmp.difference("every 5", "daily")
    assert diff["mean_pnl"] == pytest.approx(
        table.loc["every 5", "mean"] - table.loc["daily", "mean"], abs=1e-12
    )
    unpaired = math.hypot(table.loc["daily", "se_mean"], table.loc["every 5", "se_mean"])
    assert diff["mean_pnl_se"] < 0.9 * unpaired
    with pytest.raises(HedgeLibError, match="nope"):
        cmp.difference("nope", "daily")
    with pytest.raises(TypeError):
        cmp.results["x"] = cmp["daily"]  # read-only mapping


def test_compare_validates_setups():
    with pytest.raises(HedgeLibError, match="setups"):
        compare(MODEL, BOOK, {}, **SMALL)
    with pytest.raises(HedgeLibError, match="setups"):
        compare(MODEL, BOOK, [("a", SETUP)], **SMALL)
    with pytest.raises(HedgeLibError, match=r"setups\['a'\] must be a HedgeSetup"):
        compare(MODEL, BOOK, {"a": {"hedge_volatility": 0.2}}, **SMALL)
    with pytest.raises(HedgeLibError, match="hedge_volatility of set-up 'b' must be"):
        compare(MODEL, BOOK, {"a": SETUP, "b": SETUP.replace(hedge_volatility=np.full(3, 0.2))}, **SMALL)
    with pytest.raises(HedgeLibError, match="record_paths"):
        compare(MODEL, BOOK, {"a": SETUP}, record_paths=-1, **SMALL)


# -- theory against the engine ------------------------------------------------------------------

# The brief's check: S = K = 100, T = 1/12, r = 5%, sigma = 20%, daily (N = 21) and four times
# a day (N = 84), on the same 40,000 GBM paths at the pricing measure, 1 bp proportional costs
# (small enough that costs leave the P&L's standard deviation unchanged to 1e-4).
CALL = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])


@pytest.fixture(scope="module")
def sweep():
    return frequency_sweep(
        GBM(0.05, 0.2),
        CALL,
        HedgeSetup(0.2, rate=0.05, costs=TransactionCosts(proportional=1e-4)),
        spot=100.0,
        horizon=1 / 12,
        n_steps=84,
        rebalance_counts=(21, 42, 84),
        n_paths=40_000,
        seed=2024,
    )


def test_sweep_table_shape(sweep):
    assert list(sweep.index) == [21, 42, 84]
    vega = bs_greeks(100.0, 100.0, 1 / 12, 0.2, 0.05).vega
    np.testing.assert_allclose(
        sweep["derman_kamal_std"], [theory.derman_kamal_std(vega, 0.2, n) for n in (21, 42, 84)]
    )
    assert (sweep["mean_trades"].diff().dropna() > 0).all()


@pytest.mark.parametrize("n", [21, 84])
def test_derman_kamal_std_within_5_percent(sweep, n):
    row = sweep.loc[n]
    assert 3 * row.pnl_std_se < 0.05 * row.derman_kamal_std  # 5% is a 3-SE statement
    assert abs(row.pnl_std / row.derman_kamal_std - 1) < 0.05
    # The numeric integral of the gamma is as close.
    assert abs(row.pnl_std / row.theory_std - 1) < 0.05


def test_sweep_std_falls_like_one_over_sqrt_n(sweep):
    slope = np.polyfit(np.log(sweep.index.to_numpy(float)), np.log(sweep["pnl_std"].to_numpy()), 1)[
        0
    ]
    assert -0.55 < slope < -0.45
    assert abs(sweep.loc[84, "std_ratio"] - 1) < 0.10


@pytest.mark.parametrize("n", [21, 84])
def test_mean_proportional_cost_within_5_percent_of_theory(sweep, n):
    row = sweep.loc[n]
    assert 3 * row.mean_cost_se < 0.05 * row.expected_cost
    assert abs(row.mean_cost / row.expected_cost - 1) < 0.05
    # And the at-the-money closed form is in the same place.
    atm = theory.expected_rebalancing_cost_atm(100.0, 1e-4, n)
    assert abs(row.mean_cost / atm - 1) < 0.05


def test_frequency_sweep_defaults_and_validation():
    df = frequency_sweep(
        MODEL,
        CALL,
        HedgeSetup(0.2),
        spot=100.0,
        horizon=1 / 12,
        n_paths=500,
        seed=1,
        rebalance_counts=(3, 4),
    )
    assert list(df.index) == [3, 4]  # grid = lcm = 12 steps
    df = frequency_sweep(
        MODEL,
        CALL,
        HedgeSetup(0.2),
        spot=100.0,
        horizon=1 / 12,
        n_steps=252,
        n_paths=200,
        seed=1,
        block_size=100,
    )
    assert df.index[0] == 1 and df.index[-1] == 252 and 2 <= len(df) <= 8
    assert all(252 % n == 0 for n in df.index)
    # No theory where it does not apply (a volatility per path).
    df = frequency_sweep(
        MODEL,
        CALL,
        HedgeSetup(np.full((1, 100), 0.2), pricing_volatility=0.2),
        spot=100.0,
        horizon=1 / 12,
        n_paths=100,
        seed=1,
        rebalance_counts=(2,),
    )
    assert df["derman_kamal_std"].isna().all() and df["expected_cost"].isna().all()
    with pytest.raises(HedgeLibError, match="rebalance_counts"):
        frequency_sweep(MODEL, CALL, HedgeSetup(0.2), spot=100.0, horizon=1 / 12, n_steps=20,
                        n_paths=100, seed=1, rebalance_counts=(3,))
    with pytest.raises(HedgeLibError, match="n_steps"):
        frequency_sweep(MODEL, CALL, HedgeSetup(0.2), spot=100.0, horizon=1 / 12, n_paths=100,
                        seed=1)
    with pytest.raises(HedgeLibError, match="setup must be a HedgeSetup"):
        frequency_sweep(MODEL, CALL, {"hedge_volatility": 0.2}, spot=100.0, horizon=1 / 12,
                        n_paths=100, seed=1, n_steps=4)


# -- cost-risk frontier ---------------------------------------------------------------------------


def test_cost_risk_frontier():
    df = cost_risk_frontier(
        MODEL,
        CALL,
        HedgeSetup(0.2, costs=TransactionCosts(proportional=2e-3), rate=0.05),
        spot=100.0,
        horizon=1 / 12,
        n_steps=21,
        n_paths=2000,
        seed=8,
        every=(1, 3, 7, 50),
        band_widths=(0.02, 0.1),
        risk_aversions=(0.5, 5.0),
    )
    assert (
        list(df["family"]) == ["every_n_steps"] * 3 + ["delta_band"] * 2 + ["whalley_wilmott"] * 2
    )
    every = df[df.family == "every_n_steps"]
    # Less frequent hedging: cheaper and riskier, on the same paths.
    assert every["mean_cost"].is_monotonic_decreasing and every["pnl_std"].is_monotonic_increasing
    band = df[df.family == "delta_band"]
    assert band["mean_cost"].is_monotonic_decreasing
    ww = df[df.family == "whalley_wilmott"]
    assert ww["mean_cost"].is_monotonic_increasing  # more risk-averse: narrower band, more trading
    # "efficient" is exactly "not dominated in both cost and risk".
    for i, row in df.iterrows():
        others = df.drop(index=i)
        dominated = ((others.mean_cost < row.mean_cost) & (others.pnl_std < row.pnl_std)).any()
        assert row.efficient == (not dominated)
    assert df.efficient.any()
    with pytest.raises(HedgeLibError, match="band_widths"):
        cost_risk_frontier(MODEL, CALL, HedgeSetup(0.2), spot=100.0, horizon=1 / 12, n_steps=21,
                           n_paths=100, seed=8, band_widths=(-0.1,))


# -- the prediction beside a run ---------------------------------------------------------------


def test_predicted_hedge_error_is_derman_kamal_where_it_applies():
    # Derman and Kamal (1999): sqrt(pi/4) vega sigma / sqrt(N) for a daily hedge of an ATM call.
    vega = bs_greeks(100.0, 100.0, 1 / 12, 0.2, 0.05).vega
    p = predicted_hedge_error(MODEL, CALL, HedgeSetup(0.2, rate=0.05, rule=EveryNSteps(3)),
                              spot=100.0, horizon=1 / 12, n_steps=21)
    assert p.applies and p.n_rebalances == 7.0 and p.reasons == ()
    assert p.std == pytest.approx(math.sqrt(math.pi / 4) * vega * 0.2 / math.sqrt(7), rel=1e-12)
    assert p.numerical_std == theory.hedge_error_std(
        CALL, spot=100.0, volatility=0.2, n_rebalances=7, horizon=1 / 12, rate=0.05, drift=0.05
    )


@pytest.mark.parametrize(
    ("model", "setup", "n_steps", "reason"),
    [
        (GBM(0.05, 0.3), HedgeSetup(0.2), 21, "hedge volatility differs"),
        (GBM(0.05, 0.2), HedgeSetup(0.2, rule=DeltaBand(0.1)), 21, "not a fixed interval"),
        (GBM(0.05, 0.2), HedgeSetup(0.2, rule=EveryNSteps(4)), 21, "does not divide"),
        (GBM(0.05, 0.2), HedgeSetup(0.2, strategy="none"), 21, "not a plain delta hedge"),
    ],
)
def test_predicted_hedge_error_says_why_it_does_not_apply(model, setup, n_steps, reason):
    p = predicted_hedge_error(model, CALL, setup, spot=100.0, horizon=1 / 12, n_steps=n_steps)
    assert not p.applies and p.std is None
    assert any(reason in r for r in p.reasons), p.reasons


