"""Rebalancing rules: decisions by hand, the Whalley-Wilmott band, composition, validation."""

from __future__ import annotations

import copy
import math
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from hedgelib import theory
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.rules import AnyOf, DeltaBand, EveryNSteps, RuleContext, WhalleyWilmott
from hedgelib.hedging.strategies import DeltaGammaHedge, DeltaHedge, HedgeOption


def ctx(step=1, deviation=(0.0,), spot=(100.0,), gamma=(0.04,), rate=0.0, tte=0.5, lam=1e-3):
    dev = np.asarray(deviation, float)
    return RuleContext(step, 0.1, np.broadcast_to(np.asarray(spot, float), dev.shape),
                       dev, np.broadcast_to(np.asarray(gamma, float), dev.shape), 0.2, tte, rate, lam)


def test_every_n_steps():
    rule = EveryNSteps(3)
    assert [rule.decide(ctx(step=i))[0] for i in range(7)] == [True, False, False, True, False, False, True]
    assert rule.decide(ctx(step=3))[1] == 0.0


def test_delta_band_target_and_edge():
    c = ctx(deviation=[0.05, -0.05, 0.2, -0.3, 0.1])
    t, d = DeltaBand(0.1).decide(c)
    assert t.tolist() == [False, False, True, True, False]  # strict: |0.1| is inside
    assert d == 0.0
    t, d = DeltaBand(0.1, to="edge").decide(c)
    assert t.tolist() == [False, False, True, True, False]
    assert np.allclose(d[t], [0.1, -0.1])


def test_whalley_wilmott_half_width_by_hand_and_against_theory():
    # H = (3/2 e^{-r(T-t)} lambda S Gamma^2 / gamma)^{1/3}; by hand for S=100, Gamma=0.04,
    # lambda=1e-3, gamma=1, r=5%, T-t=0.5: (1.5 * e^{-0.025} * 1e-3 * 100 * 0.0016)^{1/3}
    c = ctx(rate=0.05)
    h = WhalleyWilmott(1.0).half_width(c)
    by_hand = (1.5 * math.exp(-0.025) * 1e-3 * 100 * 0.0016) ** (1 / 3)
    assert h[0] == pytest.approx(by_hand, rel=1e-14)
    assert h[0] == pytest.approx(theory.whalley_wilmott_half_width(100.0, 0.04, 1e-3, 1.0, 0.05, 0.5), rel=1e-12)
    # trades to the edge when outside, not at all inside
    t, d = WhalleyWilmott(1.0).decide(ctx(deviation=[0.2, -0.01], rate=0.05))
    assert t.tolist() == [True, False] and d[0] == pytest.approx(by_hand)
    # more risk-averse -> narrower band; no costs -> no band
    assert WhalleyWilmott(10.0).half_width(c)[0] < h[0]
    assert WhalleyWilmott(1.0).half_width(ctx(lam=0.0))[0] == 0.0


def test_any_of_goes_to_the_destination_closest_to_target():
    rule = AnyOf(EveryNSteps(4), DeltaBand(0.1, to="edge"))
    t, d = rule.decide(ctx(step=2, deviation=[0.05, 0.3]))  # only the band can fire
    assert t.tolist() == [False, True] and d[1] == pytest.approx(0.1)
    t, d = rule.decide(ctx(step=4, deviation=[0.05, 0.3]))  # both fire on path 1: target wins
    assert np.all(t) and np.allclose(d, 0.0)
    t, d = AnyOf(DeltaBand(0.2, to="edge"), DeltaBand(0.1, to="edge")).decide(ctx(deviation=[0.15, 0.5]))
    assert t.tolist() == [True, True] and np.allclose(d, [0.1, 0.1])


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: EveryNSteps(0), "n"),
        (lambda: EveryNSteps(1.5), "n"),
        (lambda: DeltaBand(-0.1), "half_width"),
        (lambda: DeltaBand(0.1, to="middle"), "to"),
        (lambda: WhalleyWilmott(0.0), "risk_aversion"),
        (lambda: AnyOf(), "rules"),
        (lambda: AnyOf(EveryNSteps(1), "daily"), "rules"),
    ],
)
def test_validation(make, name):
    with pytest.raises(HedgeLibError, match=name):
        make()


def test_rules_are_frozen():
    with pytest.raises(AttributeError):
        EveryNSteps(2).n = 3
    with pytest.raises(AttributeError):
        AnyOf(EveryNSteps(2)).rules = ()


# Every rule, cost model and strategy part a chunk carries to another process (a process pool,
# a Dask worker) must survive pickle: equal after the round trip and deciding the same way.
PICKLED = [
    EveryNSteps(3),
    DeltaBand(0.05),
    DeltaBand(0.05, to="edge"),
    WhalleyWilmott(2.0),
    AnyOf(EveryNSteps(4), DeltaBand(0.1, to="edge")),
    AnyOf(AnyOf(EveryNSteps(2), WhalleyWilmott(0.5)), DeltaBand(0.2)),
    TransactionCosts(),
    TransactionCosts(proportional=1e-3, per_trade=0.5, impact=0.2, daily_volume=1e4, option_spread=0.01),
    HedgeOption("put", moneyness=0.95, tenor=0.5),
    DeltaHedge(),
    DeltaGammaHedge(),
]


@pytest.mark.parametrize("obj", PICKLED, ids=repr)
@pytest.mark.parametrize("protocol", [0, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL])
def test_rules_and_costs_round_trip_through_pickle(obj, protocol):
    back = pickle.loads(pickle.dumps(obj, protocol=protocol))
    assert type(back) is type(obj)
    assert back == obj and hash(back) == hash(obj)
    assert repr(back) == repr(obj)
    if hasattr(obj, "decide"):
        c = ctx(step=4, deviation=[0.0, 0.03, -0.15, 0.4], spot=[90.0, 100.0, 105.0, 120.0],
                gamma=[0.01, 0.04, 0.03, 0.002])
        t0, d0 = obj.decide(c)
        t1, d1 = back.decide(c)
        np.testing.assert_array_equal(np.broadcast_to(t1, (4,)), np.broadcast_to(t0, (4,)))
        np.testing.assert_array_equal(np.broadcast_to(d1, (4,)), np.broadcast_to(d0, (4,)))
    if isinstance(obj, AnyOf):
        with pytest.raises(AttributeError):
            back.rules = ()
    if isinstance(obj, TransactionCosts):
        trade, spot = np.array([1.5, 0.0, -2.0]), np.array([100.0, 101.0, 99.0])
        a, b = obj.charge(trade, spot, 0.2), back.charge(trade, spot, 0.2)
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def test_any_of_runs_on_a_process_pool():
    # The failure this guards against: AnyOf could not be unpickled in a worker process.
    rule = AnyOf(EveryNSteps(4), DeltaBand(0.1, to="edge"))
    # spawn, not fork: a fork of this multithreaded process (JAX, thread pools) may deadlock.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        # copy.copy runs in the worker: the rule arrives unpickled there and goes back pickled.
        back = pool.submit(copy.copy, rule).result()
    assert back == rule
