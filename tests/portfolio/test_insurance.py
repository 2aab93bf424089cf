"""Portfolio insurance on simulated paths: reference values, limits, an oracle loop, chunking.

Monte Carlo tolerances are 3 standard errors of the statistic at a fixed seed (said at each
test); paired comparisons use the standard error of the paired difference.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.rules import EveryNSteps
from hedgelib.market.models import GBM, MertonJump
from hedgelib.market.paths import Paths
from hedgelib.portfolio import (
    CPPI,
    INSURANCE_RULES,
    INSURANCE_STRATEGIES,
    BuyAndHold,
    ExposureBand,
    ProtectivePut,
    SyntheticPut,
    compare_insurance,
    floor_curve,
    put_strike,
    run_insurance,
)
from hedgelib.pricing.black_scholes import bs_greeks, bs_price
from hedgelib.theory import hedge_error_std

CAPITAL = 100.0


def _se(x: np.ndarray) -> float:
    return float(x.std(ddof=1) / math.sqrt(x.size))


# ---- CPPI ---------------------------------------------------------------------------------------


def test_cppi_mean_matches_black_perold():
    # Black and Perold (1992): without a cap, E[V_T] = F_T + C_0 exp((r + m(mu - r)) T) when
    # rebalanced continuously; on N equal steps exactly F_T + C_0 (m e^{mu dt} + (1-m) e^{r dt})^N
    # (the cushion is multiplied by m R + (1 - m) e^{r dt} each step, E[R] = e^{mu dt}).
    mu, r, m, t, n = 0.08, 0.03, 3.0, 1.0, 252
    res = run_insurance(CPPI(m, 0.9, max_exposure=None), GBM(mu, 0.2), capital=CAPITAL, horizon=t,
                        n_steps=n, n_paths=20_000, seed=11, rate=r)
    v = res.terminal_value
    f_t = res.terminal_floor
    c0 = CAPITAL - res.floor[0]
    assert f_t == pytest.approx(0.9 * CAPITAL) and res.floor[0] == pytest.approx(90.0 * math.exp(-r))
    dt = t / n
    discrete = f_t + c0 * (m * math.exp(mu * dt) + (1 - m) * math.exp(r * dt)) ** n
    continuous = f_t + c0 * math.exp((r + m * (mu - r)) * t)
    se = _se(v)  # 3 SE at seed 11
    assert v.mean() == pytest.approx(discrete, abs=3 * se)
    # The continuous limit differs from the discrete formula by O(dt): well inside 3 SE here.
    assert abs(discrete - continuous) < se
    assert v.mean() == pytest.approx(continuous, abs=3 * se + abs(discrete - continuous))


def test_cppi_daily_under_gbm_never_breaches_but_jumps_do():
    # GBM at 20% and m = 3: a daily fall of 1/3 is needed to go through the floor: never.
    res = run_insurance(CPPI(3.0, 0.9), GBM(0.05, 0.2), capital=CAPITAL, horizon=1.0,
                        n_paths=4000, seed=5)
    assert not res.floor_breached.any()
    assert (res.value >= res.floor[:, None]).all()
    # Jumps of -30% (jump_mean = log 0.7, no dispersion), m = 5 and no cap: each jump takes
    # the cushion to 5 x 0.7 - 4 = -0.5 of itself, below the floor for good, so a path breaches
    # exactly when it jumps at least once: probability 1 - exp(-lambda T); 3 SE of a proportion.
    lam = 1.0
    model = MertonJump(0.05, 0.15, jump_intensity=lam, jump_mean=math.log(0.7), jump_std=0.0)
    res = run_insurance(CPPI(5.0, 0.9, max_exposure=None), model, capital=CAPITAL, horizon=1.0,
                        n_paths=4000, seed=6)
    p = 1.0 - math.exp(-lam)
    se = math.sqrt(p * (1 - p) / 4000)
    assert res.floor_breached.mean() == pytest.approx(p, abs=3 * se)
    s = res.summary()
    assert s["breach_probability"] > 0.5 and s["expected_shortfall"] > 0.0
    assert s["shortfall_given_breach"] > 0.0


def test_tipp_keeps_the_value_above_the_ratchet_of_its_peak():
    # With a ratchet k, the floor is at least k x the running peak, and no daily GBM move wipes
    # out the cushion: V_t >= k max_{s <= t} V_s on every path (no costs).
    res = run_insurance(CPPI(3.0, 0.8, ratchet=0.9), GBM(0.05, 0.2), capital=CAPITAL,
                        horizon=1.0, n_paths=2000, seed=8)
    peak = np.maximum.accumulate(res.value, axis=0)
    assert (res.value >= 0.9 * peak * (1 - 1e-12)).all()
    assert res.max_drawdown.max() <= 0.1 + 1e-9
    plain = run_insurance(CPPI(3.0, 0.8), GBM(0.05, 0.2), capital=CAPITAL, horizon=1.0,
                          n_paths=2000, seed=8)
    # Same paths: the ratchet locks gains in, so TIPP's worst outcome is better.
    assert res.terminal_value.min() > plain.terminal_value.min()


def test_cppi_exposure_is_the_capped_multiple_of_the_cushion():
    res = run_insurance(CPPI(4.0, 0.85, max_exposure=1.0), GBM(0.3, 0.2), capital=CAPITAL,
                        horizon=0.5, n_steps=50, n_paths=300, seed=2)
    v, e = res.value, res.exposure
    cushion = v - res.floor[:, None]
    want = np.minimum(4.0 * np.maximum(cushion, 0.0), v)
    # Every path trades to target at every step but the last (which is the terminal mark).
    np.testing.assert_allclose(e[:-1], want[:-1], rtol=1e-12, atol=1e-9)
    assert (e <= v * (1 + 1e-12)).all()  # no borrowing
    assert (np.isclose(e[:-1], v[:-1])).any()  # the cap binds somewhere in a 30% drift market


# ---- an oracle: the obvious loop, path by path ----------------------------------------------------


def _naive_cppi(spot, times, m, floor, cap, capital, r, q, k):
    """CPPI path by path in plain Python floats: the module notes' bookkeeping, literally."""
    n = spot.shape[0] - 1
    out = np.empty(spot.shape)
    for j in range(spot.shape[1]):
        x, cash = 0.0, capital
        for i in range(n + 1):
            s = spot[i, j]
            if i:
                dt = times[i] - times[i - 1]
                cash *= math.exp(r * dt)
                cash += x * s * math.expm1(q * dt)
            v = x * s + cash
            if i == n:
                out[i, j] = v
                break
            f = floor * capital * math.exp(-r * (times[-1] - times[i]))
            target = min(max(m * (v - f), 0.0), cap * v)
            dq = target / s - x
            c = k * abs(dq) * s
            cash -= dq * s + c
            x += dq
            out[i, j] = v - c
    return out


def test_runner_equals_a_naive_loop():
    model = GBM(0.06, 0.25, dividend_yield=0.02)
    paths = model.simulate(100.0, 1.0, 40, 7, rng=3)
    res = run_insurance(CPPI(3.5, 0.85, max_exposure=1.2), paths, capital=CAPITAL, rate=0.04,
                        dividend_yield=0.02, costs=TransactionCosts(proportional=2e-3))
    want = _naive_cppi(paths.spot, paths.times, 3.5, 0.85, 1.2, CAPITAL, 0.04, 0.02, 2e-3)
    np.testing.assert_allclose(res.value, want, rtol=1e-12)
    assert res.n_trades.tolist() == [40] * 7
    assert (res.costs > 0).all() and set(res.cost_breakdown) >= {"proportional"}


# ---- option-based insurance ----------------------------------------------------------------------


def test_put_strike_solves_the_budget_and_the_floor():
    for r, q, t in ((0.0, 0.0, 1.0), (0.05, 0.02, 0.5), (-0.01, 0.0, 2.0)):
        k = put_strike(0.9, t, 0.25, r, q)
        p = bs_price(1.0, k, t, 0.25, r, q, "put")
        # n (S0 + P) = C0 and n K = f C0 with S0 = 1: K / (1 + P) = f.
        assert k / (1.0 + p) == pytest.approx(0.9, rel=1e-12)
    with pytest.raises(HedgeLibError, match="floor must be below exp"):
        put_strike(0.99, 1.0, 0.2, rate=-0.05)


def test_protective_put_costs_the_put_and_pays_the_floor():
    res = run_insurance(ProtectivePut(0.9, 0.2), GBM(0.05, 0.2), capital=CAPITAL, horizon=1.0,
                        n_steps=52, n_paths=2000, seed=4, rate=0.03)
    k = put_strike(0.9, 1.0, 0.2, 0.03) * 100.0
    n = 0.9 * CAPITAL / k
    p = bs_price(100.0, k, 1.0, 0.2, 0.03, kind="put")
    assert n * (100.0 + p) == pytest.approx(CAPITAL, rel=1e-12)
    assert res.premium == pytest.approx(n * p, rel=1e-12)
    # Static: bought at t = 0, never traded again; it ends at n max(S_T, K) exactly.
    np.testing.assert_allclose(res.terminal_value, n * np.maximum(res.spot_end, k), rtol=1e-12)
    assert (res.n_trades == 1).all() and not res.floor_breached.any()
    # Before expiry it is worth n (S + P), at least the floor n K e^{-r tau} (parity bound).
    assert (res.value >= res.floor[:, None] - 1e-9).all()
    # The exposure counts the puts by their delta: n S (1 + delta_P) at t = 0.
    d0 = bs_greeks(100.0, k, 1.0, 0.2, 0.03, kind="put").delta
    assert res.exposure[0, 0] == pytest.approx(n * 100.0 * (1.0 + d0), rel=1e-12)


def test_synthetic_put_replicates_the_protective_put_with_a_shrinking_error():
    # Derman and Kamal (1999): the replication error of a delta hedge has a std close to
    # sqrt(pi/4) vega sigma / sqrt(N), so 4x the steps halve it; hedgelib.theory's
    # hedge_error_std integrates the put's gamma for the exact leading-order value.
    model, f, sigma = GBM(0.03, 0.2), 0.9, 0.2
    stds = {}
    for n in (63, 252):
        kw = dict(capital=CAPITAL, horizon=1.0, n_steps=n, n_paths=4000, seed=21, rate=0.03)
        res = compare_insurance({"syn": SyntheticPut(f, sigma), "put": ProtectivePut(f, sigma)},
                                model, **kw)
        err = res["syn"].terminal_value - res["put"].terminal_value  # same paths: paired
        k = put_strike(f, 1.0, sigma, 0.03) * 100.0
        units = f * CAPITAL / k
        np.testing.assert_allclose(res["put"].terminal_value, units * np.maximum(res["put"].spot_end, k),
                                   rtol=1e-12)
        # Mean: the synthetic and the bought put agree to 3 SE of the paired difference.
        assert abs(err.mean()) < 3 * _se(err)
        book = Book([OptionLeg("put", k, 1.0, units)])
        theory = hedge_error_std(book, spot=100.0, volatility=sigma, n_rebalances=n, rate=0.03)
        # The sample std has a relative SE of about 1/sqrt(2 x 4000) = 1.1%; the leading-order
        # formula adds a few percent at 63 steps: 10% in all.
        assert err.std(ddof=1) == pytest.approx(theory, rel=0.10)
        stds[n] = err.std(ddof=1)
    assert stds[63] / stds[252] == pytest.approx(2.0, rel=0.12)


def test_synthetic_put_needs_the_volatility_right():
    # Replicating at 15% a put on a market that realises 30% loses the gamma P&L
    # 1/2 Gamma S^2 (sigma_r^2 - sigma_i^2) dt on average: the floor is breached.
    right = run_insurance(SyntheticPut(0.9, 0.3), GBM(0.0, 0.3), capital=CAPITAL, horizon=1.0,
                          n_paths=2000, seed=9)
    wrong = run_insurance(SyntheticPut(0.9, 0.15), GBM(0.0, 0.3), capital=CAPITAL, horizon=1.0,
                          n_paths=2000, seed=9)
    sr, sw = right.summary(), wrong.summary()
    assert sw["expected_shortfall"] > 5 * sr["expected_shortfall"]
    assert sw["q01"] < 85.0 < sr["q01"]


def test_buy_and_hold_is_the_benchmark():
    res = run_insurance(BuyAndHold(0.9), GBM(0.05, 0.2, dividend_yield=0.0), capital=CAPITAL,
                        horizon=1.0, n_steps=20, n_paths=500, seed=1)
    np.testing.assert_allclose(res.terminal_value, CAPITAL * res.spot_end / res.spot_start, rtol=1e-12)
    np.testing.assert_allclose(res.benchmark, res.terminal_value, rtol=1e-12)
    s = res.summary()
    assert s["upside_capture"] == pytest.approx(1.0) and s["upside_given_up"] == pytest.approx(0.0, abs=1e-9)
    assert 0.0 < s["breach_probability"] < 1.0
    assert run_insurance(BuyAndHold(), GBM(0.05, 0.2), capital=CAPITAL, horizon=1.0, n_steps=5,
                         n_paths=50, seed=1).summary()["breach_probability"] == 0.0


# ---- rules, costs, summary ------------------------------------------------------------------------


def test_rules_decide_when_the_insurance_trades():
    kw = dict(capital=CAPITAL, horizon=1.0, n_paths=500, seed=3, costs=TransactionCosts(proportional=1e-3))
    daily = run_insurance(CPPI(3.0, 0.9), GBM(0.05, 0.2), **kw)
    weekly = run_insurance(CPPI(3.0, 0.9), GBM(0.05, 0.2), rule=EveryNSteps(5), **kw)
    band = run_insurance(CPPI(3.0, 0.9), GBM(0.05, 0.2), rule=ExposureBand(0.02), **kw)
    # A path trades when its target moves: at most every step, or every fifth (0, 5, ..., 250);
    # a path invested at the cap holds its target already and has nothing to trade.
    assert daily.n_trades.max() == 252 and weekly.n_trades.max() == 51
    assert (weekly.n_trades <= 51).all()
    assert band.n_trades.mean() < weekly.n_trades.mean()
    assert band.costs.mean() < weekly.costs.mean() < daily.costs.mean()
    # Between trades the band keeps the exposure within 2% of the value of its target.
    v, e = band.value[:-1], band.exposure[:-1]
    target = np.minimum(3.0 * np.maximum(v - band.floor[:-1, None], 0.0), v)
    assert (np.abs(e - target) <= 0.02 * v + 1e-9).all()


def test_costs_reuse_the_engine_cost_models():
    kw = dict(capital=CAPITAL, horizon=0.25, n_paths=200, seed=2)
    free = run_insurance(SyntheticPut(0.9, 0.2), GBM(0.05, 0.2), **kw)
    fixed = run_insurance(SyntheticPut(0.9, 0.2), GBM(0.05, 0.2), costs=TransactionCosts(per_trade=0.01), **kw)
    assert (free.costs == 0).all()
    np.testing.assert_allclose(fixed.costs, 0.01 * fixed.n_trades)
    both = run_insurance(ProtectivePut(0.9, 0.2), GBM(0.05, 0.2),
                         costs=TransactionCosts(proportional=1e-3, option_spread=0.02), **kw)
    assert both.cost_breakdown["option_spread"] == pytest.approx(0.02 * both.premium)
    assert both.cost_breakdown["proportional"][0] == pytest.approx(1e-3 * (CAPITAL - both.premium))


def test_summary_and_quantiles():
    res = run_insurance(CPPI(3.0, 0.9), GBM(0.05, 0.2), capital=CAPITAL, horizon=1.0, n_steps=52,
                        n_paths=1000, seed=4)
    s = res.summary()
    assert s["q01"] <= s["q05"] <= s["median"] <= s["q95"]
    assert s["floor"] == pytest.approx(90.0) and s["capital"] == CAPITAL
    assert 0.0 < s["upside_capture"] < 1.0 and s["upside_given_up"] > 0.0
    q = res.quantiles((0.05, 0.5, 0.95))
    assert q.shape == (53, 3) and (q[0.05] <= q[0.95]).all()
    assert repr(res).startswith("InsuranceResult('CPPI (m = 3)'")


# ---- the seeded chunked runner ---------------------------------------------------------------------


def test_results_are_bit_identical_whatever_the_chunking():
    kw = dict(capital=CAPITAL, horizon=0.5, n_steps=30, n_paths=700, seed=17, block_size=128,
              rate=0.02, costs=TransactionCosts(proportional=1e-3), rule=ExposureBand(0.01))
    specs = {"cppi": CPPI(3.0, 0.9), "syn": SyntheticPut(0.9, 0.2), "pp": ProtectivePut(0.9, 0.2)}
    one = compare_insurance(specs, GBM(0.05, 0.2), chunk_size=768, **kw)
    small = compare_insurance(specs, GBM(0.05, 0.2), chunk_size=128, **kw)
    with ThreadPoolExecutor(2) as pool:
        remote = compare_insurance(specs, GBM(0.05, 0.2), chunk_size=256, executor=pool, **kw)
    seen = []
    compare_insurance(specs, GBM(0.05, 0.2), chunk_size=256, progress=lambda d, t: seen.append(d), **kw)
    assert seen[0] == 0 and seen[-1] == 700
    for name in specs:
        for other in (small, remote):
            np.testing.assert_array_equal(one[name].value, other[name].value)
            np.testing.assert_array_equal(one[name].exposure, other[name].exposure)
            np.testing.assert_array_equal(one[name].costs, other[name].costs)
            np.testing.assert_array_equal(one[name].n_trades, other[name].n_trades)
    # The blocks are those of the market model: the same paths as simulate_blocks.
    seeds = np.random.SeedSequence(17).spawn(6)
    paths = GBM(0.05, 0.2).simulate_blocks(100.0, 0.5, 30, [(128 if i < 5 else 60, np.random.default_rng(s))
                                                            for i, s in enumerate(seeds)])
    np.testing.assert_array_equal(one["cppi"].spot_end, paths.spot[-1])
    # Given paths: any chunking, the same numbers too.
    a = run_insurance(CPPI(3.0, 0.9), paths, capital=CAPITAL, chunk_size=100)
    b = run_insurance(CPPI(3.0, 0.9), paths, capital=CAPITAL)
    np.testing.assert_array_equal(a.value, b.value)


# ---- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "word"), [
    (lambda: CPPI(3.0, 1.0), "floor"),
    (lambda: CPPI(3.0, 0.0), "floor"),
    (lambda: CPPI(3.0, 1.5), "floor"),
    (lambda: CPPI(0.0, 0.9), "multiplier"),
    (lambda: CPPI(-2.0, 0.9), "multiplier"),
    (lambda: CPPI(3.0, 0.9, max_exposure=0.0), "max_exposure"),
    (lambda: CPPI(3.0, 0.9, ratchet=1.0), "ratchet"),
    (lambda: CPPI(float("nan"), 0.9), "multiplier"),
    (lambda: SyntheticPut(0.9, 0.0), "volatility"),
    (lambda: SyntheticPut(1.0, 0.2), "floor"),
    (lambda: ProtectivePut(0.9, 0.2, expiry=-1.0), "expiry"),
    (lambda: BuyAndHold(-0.1), "floor"),
    (lambda: ExposureBand(-0.01), "half_width"),
])
def test_bad_specs_name_the_argument(make, word):
    with pytest.raises(HedgeLibError, match=word):
        make()


def test_bad_runs_name_the_argument():
    model, spec = GBM(0.05, 0.2), CPPI(3.0, 0.9)
    paths = model.simulate(100.0, 1.0, 10, 5, rng=1)
    cases = [
        (dict(strategy=spec, market=model, capital=0.0), "capital"),
        (dict(strategy=spec, market=model, capital=-5.0), "capital"),
        (dict(strategy=spec, market=model, capital=100.0, n_paths=0), "n_paths"),
        (dict(strategy=spec, market=model, capital=100.0, horizon=-1.0), "horizon"),
        (dict(strategy=spec, market=model, capital=100.0, seed=-1), "seed"),
        (dict(strategy=spec, market=paths, capital=100.0, n_paths=5), "n_paths"),
        (dict(strategy=spec, market="GBM", capital=100.0), "market"),
        (dict(strategy="cppi", market=model, capital=100.0), "strategy"),
        (dict(strategy=spec, market=model, capital=100.0, rule="daily"), "rule"),
        (dict(strategy=spec, market=model, capital=100.0, costs=0.001), "costs"),
        (dict(strategy=spec, market=model, capital=100.0, dividend_yield=0.02), "dividend_yield"),
        (dict(strategy=spec, market=model, capital=100.0, rate=-0.2, horizon=1.0), "floor"),
        (dict(strategy=SyntheticPut(0.9, 0.2, expiry=0.5), market=model, capital=100.0, horizon=1.0), "expiry"),
        (dict(strategy=spec, market=model, capital=100.0, chunk_size=1000), "chunk_size"),
    ]
    for kwargs, word in cases:
        strategy, market = kwargs.pop("strategy"), kwargs.pop("market")
        with pytest.raises(HedgeLibError, match=word):
            run_insurance(strategy, market, **({"n_paths": 10, **kwargs} if market is model else kwargs))
    with pytest.raises(HedgeLibError, match="strategies"):
        compare_insurance({}, model, capital=100.0)


def test_registries_build_what_the_forms_ask():
    names = [p.name for p in INSURANCE_STRATEGIES["tipp"].parameters]
    tipp = INSURANCE_STRATEGIES["tipp"].build({"floor": 80.0, "multiplier": 4.0, "max_exposure": 0.0,
                                                "ratchet": 95.0})
    assert names == ["floor", "multiplier", "max_exposure", "ratchet"]
    assert tipp == CPPI(4.0, 0.8, None, 0.95)  # a cap of 0 in a form: no cap
    assert INSURANCE_STRATEGIES["synthetic_put"].build({"floor": 85.0, "volatility": 25.0}) == SyntheticPut(0.85, 0.25)
    assert {p.key for e in INSURANCE_STRATEGIES.values() for p in e.parameters if p.name == "floor"} == {"floor_pct"}
    assert INSURANCE_RULES["exposure_band"].build({"half_width": 3.0}) == ExposureBand(0.03)
    assert floor_curve(0.9, 100.0, [0.0, 0.5, 1.0], 1.0, 0.0).tolist() == [90.0, 90.0, 90.0]


def test_paths_with_their_own_starting_spots():
    # A yearly programme runs several years as paths of one grid, each from its own close:
    # the strategies are homogeneous in the spot, so a path's value does not depend on it.
    base = GBM(0.05, 0.2).simulate(100.0, 1.0, 50, 3, rng=2).spot
    scaled = Paths(np.linspace(0.0, 1.0, 51), base * np.array([1.0, 7.5, 0.3]))
    for spec in (CPPI(3.0, 0.9), SyntheticPut(0.9, 0.2), ProtectivePut(0.9, 0.2), BuyAndHold(0.9)):
        a = run_insurance(spec, Paths(np.linspace(0.0, 1.0, 51), base), capital=CAPITAL)
        b = run_insurance(spec, scaled, capital=CAPITAL)
        np.testing.assert_allclose(a.value, b.value, rtol=1e-10)
