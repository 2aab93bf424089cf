"""The engine against a deliberately naive per-path, per-step Python loop.

The loop below re-implements the bookkeeping described in hedgelib.hedging.engine one path and
one step at a time, with scalar Python arithmetic and the public pricing functions
(bs_price, bs_greeks) instead of the engine's shared-d1 kernel. Every strategy, rule and cost
component is run on the same small set of paths (7 paths x 12 steps) and must agree to 1e-10.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.hedging.rules import AnyOf, DeltaBand, EveryNSteps, WhalleyWilmott
from hedgelib.hedging.strategies import HedgeOption
from hedgelib.market.models import GBM
from hedgelib.market.paths import Paths
from hedgelib.pricing.black_scholes import bs_greeks, bs_price

TOL = 1e-10
N_STEPS, N_PATHS = 12, 7
HORIZON = 0.25


def _intrinsic(kind: str, s: float, k: float) -> float:
    return max(s - k, 0.0) if kind == "call" else max(k - s, 0.0)


def _naive_rule(rule, step, dev, spot, gamma, time_to_expiry, r, lam):
    """(trade, destination) for one path, written from the rules' documentation."""
    if isinstance(rule, EveryNSteps):
        return step % rule.n == 0, 0.0
    if isinstance(rule, DeltaBand):
        h = rule.half_width
        if abs(dev) > h:
            return True, (0.0 if rule.to == "target" else max(-h, min(h, dev)))
        return False, 0.0
    if isinstance(rule, WhalleyWilmott):
        h = (1.5 * math.exp(-r * time_to_expiry) * lam * spot * gamma**2 / rule.risk_aversion) ** (1 / 3)
        if abs(dev) > h:
            return True, max(-h, min(h, dev))
        return False, 0.0
    if isinstance(rule, AnyOf):
        fired = [_naive_rule(x, step, dev, spot, gamma, time_to_expiry, r, lam) for x in rule.rules]
        dests = [d for t, d in fired if t]
        if not dests:
            return False, 0.0
        return True, min(dests, key=abs)
    raise AssertionError(rule)


def naive_hedge(book, times, spot, vols, *, r, q, rule, costs, strategy, hopt, pricing_vol):
    """One path: returns a dict of the quantities the engine reports."""
    n = len(times) - 1
    premium = float(book.value(spot[0], pricing_vol, time=0.0, rate=r, dividend_yield=q))
    cash = -premium
    ucash = -premium
    x = u = 0.0
    opt = None  # (strike, expiry)
    settled: set[int] = set()
    out = dict(prop=0.0, fixed=0.0, impact=0.0, spread=0.0, trades=0, turnover=0.0,
               hedge_stock=0.0, interest=0.0, dividends=0.0, delta=0.0, gamma=0.0, theta=0.0, vega=0.0)
    b = book.stock
    last_expiry = max(leg.expiry for leg in book.legs)

    def charge(dq, du, s, sig, price):
        c_prop = costs.proportional * abs(dq) * s
        c_fix = costs.per_trade if (dq != 0 or du != 0) else 0.0
        c_imp = costs.impact * sig / math.sqrt(252) * s * abs(dq) * math.sqrt(abs(dq) / costs.daily_volume)
        c_spr = costs.option_spread * abs(du) * price
        out["prop"] += c_prop
        out["fixed"] += c_fix
        out["impact"] += c_imp
        out["spread"] += c_spr
        if dq != 0 or du != 0:
            out["trades"] += 1
        out["turnover"] += abs(dq)
        return c_prop + c_fix + c_imp + c_spr

    for i in range(n + 1):
        t, s, sig = times[i], spot[i], vols[i]
        for j, leg in enumerate(book.legs):
            if j not in settled and leg.expiry <= t + 1e-9:
                pay = leg.quantity * _intrinsic(leg.kind, s, leg.strike)
                cash += pay
                ucash += pay
                settled.add(j)
        forced = i == 0
        if opt is not None and opt[1] <= t + 1e-9:
            cash += u * _intrinsic(hopt.kind, s, opt[0])
            u = 0.0
            opt = None
        if i == n:
            break
        if hopt is not None and opt is None:
            opt = (hopt.moneyness * s, t + hopt.tenor)
            forced = True
        dt = times[i + 1] - t
        bd, bg, bth, bv = b, 0.0, 0.0, 0.0
        for j, leg in enumerate(book.legs):
            if j in settled:
                continue
            g = bs_greeks(s, leg.strike, leg.expiry - t, sig, r, q, leg.kind)
            bd += leg.quantity * g.delta
            bg += leg.quantity * g.gamma
            bth += leg.quantity * g.theta
            bv += leg.quantity * g.vega
        if opt is not None:
            og = bs_greeks(s, opt[0], opt[1] - t, sig, r, q, hopt.kind)
            o_price = float(bs_price(s, opt[0], opt[1] - t, sig, r, q, hopt.kind))
        if strategy == "none":
            xt, ut = 0.0, 0.0
        elif strategy == "delta":
            xt, ut = -bd, 0.0
        elif strategy == "delta-gamma":
            ut = -bg / og.gamma if abs(og.gamma) > 1e-12 else 0.0
            xt = -(bd + ut * og.delta)
        else:
            ut = -bv / og.vega if abs(og.vega) > 1e-12 else 0.0
            xt = -(bd + ut * og.delta)
        if forced:
            trade, dest = True, 0.0
        else:
            dev = (x - xt) + ((u - ut) * og.delta if opt is not None else 0.0)
            gam = bg + (ut * og.gamma if opt is not None else 0.0)
            trade, dest = _naive_rule(rule, i, dev, s, gam, max(last_expiry - t, 0.0), r, costs.proportional)
        if trade:
            dq = (xt + dest) - x
            du = ut - u if opt is not None else 0.0
            cash -= dq * s
            out["hedge_stock"] -= dq * s
            if opt is not None:
                cash -= du * o_price
            cash -= charge(dq, du, s, sig, o_price if opt is not None else 0.0)
            x += dq
            u += du
        # explain, whole position held over the step
        ds = spot[i + 1] - s
        dtot, gtot, thtot, vtot = bd + x, bg, bth, bv
        if opt is not None:
            dtot += u * og.delta
            gtot += u * og.gamma
            thtot += u * og.theta
            vtot += u * og.vega
        out["delta"] += dtot * ds
        out["gamma"] += 0.5 * gtot * ds**2
        out["theta"] += thtot * dt
        out["vega"] += vtot * (vols[i + 1] - sig)
        earned = cash * (math.exp(r * dt) - 1.0)
        out["interest"] += earned
        cash += earned
        ucash *= math.exp(r * dt)
        div = (x + b) * (math.exp(q * dt) - 1.0) * spot[i + 1]
        out["dividends"] += div
        cash += div
        ucash += b * (math.exp(q * dt) - 1.0) * spot[i + 1]
    # horizon
    t, s, sig = times[n], spot[n], vols[n]
    value = b * s + sum(
        leg.quantity * float(bs_price(s, leg.strike, leg.expiry - t, sig, r, q, leg.kind))
        for j, leg in enumerate(book.legs)
        if j not in settled
    )
    o_price = 0.0
    du = 0.0
    if opt is not None:
        o_price = float(bs_price(s, opt[0], opt[1] - t, sig, r, q, hopt.kind))
        du = -u
        cash += u * o_price
    cash += x * s
    out["hedge_stock"] += x * s
    cash -= charge(-x, du, s, sig, o_price)
    out["pnl"] = cash + value
    out["unhedged"] = ucash + value
    out["premium"] = premium
    return out


BOOK = Book(
    [
        OptionLeg("call", 100.0, 0.25, -1.0),
        OptionLeg("put", 100.0, 0.25, -1.0),  # a short straddle ...
        OptionLeg("put", 92.0, 0.1, 2.0),  # ... a put that settles mid-way
        OptionLeg("call", 110.0, 0.4, 0.5),  # ... and a leg alive at the horizon (marked)
    ],
    stock=0.2,
)
COSTS = TransactionCosts(proportional=2e-3, per_trade=0.01, impact=0.5, daily_volume=50.0, option_spread=0.02)
RULES = [
    EveryNSteps(1),
    EveryNSteps(3),
    DeltaBand(0.08),
    DeltaBand(0.08, to="edge"),
    WhalleyWilmott(0.5),
    AnyOf(EveryNSteps(4), DeltaBand(0.1, to="edge")),
]


@pytest.fixture(scope="module")
def market():
    paths = GBM(0.03, 0.3).simulate(100.0, HORIZON, N_STEPS, N_PATHS, rng=7)
    vols = 0.22 + 0.05 * np.sin(np.arange(N_STEPS + 1))  # a per-step implied-vol series
    return paths, vols


@pytest.mark.parametrize("strategy", ["none", "delta", "delta-gamma", "delta-vega"])
@pytest.mark.parametrize("rule", RULES, ids=repr)
def test_engine_matches_naive_loop(market, strategy, rule):
    paths, vols = market
    r, q = 0.04, 0.015
    # rolls once before the horizon (at the first grid time past 0.15), the second one is
    # marked and sold at the horizon
    hopt = HedgeOption("call", moneyness=1.0, tenor=0.15)
    res = simulate_hedge(
        BOOK, paths, hedge_volatility=vols, rate=r, dividend_yield=q, rule=rule, costs=COSTS,
        strategy=strategy, hedge_option=hopt if strategy.startswith("delta-") else None,
        pricing_volatility=0.25,
    )
    for p in range(N_PATHS):
        ref = naive_hedge(
            BOOK, paths.times, paths.spot[:, p], vols, r=r, q=q, rule=rule, costs=COSTS,
            strategy=strategy, hopt=hopt if strategy.startswith("delta-") else None, pricing_vol=0.25,
        )
        assert res.premium == pytest.approx(ref["premium"], abs=TOL)
        assert res.pnl[p] == pytest.approx(ref["pnl"], abs=TOL)
        assert res.unhedged_pnl[p] == pytest.approx(ref["unhedged"], abs=TOL)
        assert res.cost_breakdown["proportional"][p] == pytest.approx(ref["prop"], abs=TOL)
        assert res.cost_breakdown["per_trade"][p] == pytest.approx(ref["fixed"], abs=TOL)
        assert res.cost_breakdown["impact"][p] == pytest.approx(ref["impact"], abs=TOL)
        assert res.cost_breakdown["option_spread"][p] == pytest.approx(ref["spread"], abs=TOL)
        assert res.n_trades[p] == ref["trades"]
        assert res.turnover[p] == pytest.approx(ref["turnover"], abs=TOL)
        assert res.attribution["hedge_stock"][p] == pytest.approx(ref["hedge_stock"], abs=TOL)
        assert res.attribution["interest"][p] == pytest.approx(ref["interest"], abs=TOL)
        assert res.attribution["dividends"][p] == pytest.approx(ref["dividends"], abs=TOL)
        for key in ("delta", "gamma", "theta", "vega"):
            assert res.explain[key][p] == pytest.approx(ref[key], abs=TOL), key
    # the strategies that hold the option really trade it, so the option paths are exercised
    if strategy.startswith("delta-"):
        assert (res.option_turnover > 0).all()
        assert (res.cost_breakdown["option_spread"] > 0).all()


def test_constant_vol_and_single_path_history_match_naive_loop():
    """A historical series is one path; a scalar hedge vol; a horizon past the last expiry."""
    times = np.linspace(0.0, 30 / 252, 31)
    spot = 100.0 * np.exp(np.cumsum(np.r_[0.0, 0.012 * np.sin(np.arange(30) * 1.3)]))
    paths = Paths(times, spot)
    book = Book([OptionLeg("put", 101.0, 20 / 252, -3.0)])
    costs = TransactionCosts(proportional=1e-3, per_trade=0.05)
    res = simulate_hedge(book, paths, hedge_volatility=0.18, rate=0.02, rule=DeltaBand(0.2, "edge"), costs=costs)
    ref = naive_hedge(book, times, spot, np.full(31, 0.18), r=0.02, q=0.0, rule=DeltaBand(0.2, "edge"),
                      costs=costs, strategy="delta", hopt=None, pricing_vol=0.18)
    assert res.pnl[0] == pytest.approx(ref["pnl"], abs=TOL)
    assert res.n_trades[0] == ref["trades"]
    assert res.explain["theta"][0] == pytest.approx(ref["theta"], abs=TOL)
