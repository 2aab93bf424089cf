"""Transaction costs: each component by hand, validation, swappable model in the engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.costs import COST_COMPONENTS, TransactionCosts
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.market.models import GBM


def test_components_by_hand():
    c = TransactionCosts(proportional=1e-3, per_trade=0.5, impact=0.1, daily_volume=400.0, option_spread=0.02)
    q = np.array([4.0, -1.0, 0.0, 0.0])
    s = np.array([100.0, 50.0, 80.0, 80.0])
    u = np.array([0.0, 0.0, 0.0, -3.0])
    o = np.array([2.0, 2.0, 2.0, 5.0])
    out = c.charge(q, s, 0.252, u, o)
    assert np.allclose(out["proportional"], [0.4, 0.05, 0.0, 0.0])
    assert np.allclose(out["per_trade"], [0.5, 0.5, 0.0, 0.5])  # the option-only trade pays the fee
    # impact = eta * sigma/sqrt(252) * S * |q| * sqrt(|q|/V): path 0: 0.1*0.252/sqrt(252)*100*4*0.1
    assert out["impact"][0] == pytest.approx(0.1 * 0.252 / math.sqrt(252) * 100 * 4 * 0.1, rel=1e-14)
    assert out["impact"][1] == pytest.approx(0.1 * 0.252 / math.sqrt(252) * 50 * 1 * 0.05, rel=1e-14)
    assert np.allclose(out["option_spread"], [0.0, 0.0, 0.0, 0.3])
    assert set(out) <= set(COST_COMPONENTS)
    assert TransactionCosts().charge(q, s, 0.2) == {}
    assert TransactionCosts().is_free and not c.is_free


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(proportional=-1e-4), "proportional"),
        (dict(per_trade=float("nan")), "per_trade"),
        (dict(impact=-1.0), "impact"),
        (dict(daily_volume=0.0), "daily_volume"),
        (dict(option_spread=[0.1, 0.2]), "option_spread"),
    ],
)
def test_validation(kwargs, name):
    with pytest.raises(HedgeLibError, match=name):
        TransactionCosts(**kwargs)


def test_frozen():
    with pytest.raises(AttributeError):
        TransactionCosts().proportional = 0.1


def test_a_custom_cost_model_plugs_into_the_engine():
    class FlatTicket:
        """A broker charging 0.01 per share traded, whatever the price."""

        components = ("ticket",)
        proportional = 0.0

        def charge(self, stock_trade, spot, volatility, option_trade=None, option_price=None):
            return {"ticket": 0.01 * np.abs(stock_trade)}

    book = Book([OptionLeg("call", 100.0, 0.1, -1.0)])
    paths = GBM(0.0, 0.2).simulate(100.0, 0.1, 10, 50, rng=4)
    res = simulate_hedge(book, paths, hedge_volatility=0.2, costs=FlatTicket())
    assert np.allclose(res.cost_breakdown["ticket"], 0.01 * res.turnover, rtol=1e-13, atol=0)
    assert np.allclose(sum(res.attribution.values()), res.pnl, rtol=0, atol=1e-10)


def test_in_place_proportional_cost_matches_charge_bit_for_bit():
    # The engine's per-step fast path must give the very digits of charge().
    rng = np.random.default_rng(3)
    trade = rng.standard_normal(1000) * 0.3
    spot = 100.0 * np.exp(0.2 * rng.standard_normal(1000))
    costs = TransactionCosts(proportional=7.3e-4)
    assert costs.proportional_only
    out = np.empty(1000)
    got = costs.proportional_into(np.abs(trade), spot, out)
    assert got is out
    assert np.array_equal(got, costs.charge(trade, spot, 0.2)["proportional"])
    assert not TransactionCosts(proportional=1e-3, per_trade=0.5).proportional_only
    assert not TransactionCosts().proportional_only
