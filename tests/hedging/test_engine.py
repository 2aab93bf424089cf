"""simulate_hedge: identities, statistics, limits, validation and chunk invariance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hedgelib import theory
from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging import engine
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.hedging.result import HedgeResult
from hedgelib.hedging.rules import AnyOf, DeltaBand, EveryNSteps, WhalleyWilmott
from hedgelib.hedging.strategies import HedgeOption
from hedgelib.market.models import GBM
from hedgelib.market.paths import Paths
from hedgelib.pricing.black_scholes import bs_greeks, bs_price

S0, K, T, R, SIGMA = 100.0, 100.0, 1 / 12, 0.05, 0.2
SHORT_CALL = Book([OptionLeg("call", K, T, -1.0)])


def gbm_paths(n_steps, n_paths, seed, vol=SIGMA, drift=R, horizon=T):
    return GBM(drift, vol).simulate(S0, horizon, n_steps, n_paths, rng=seed)


# --- exact bookkeeping --------------------------------------------------------------------

CASES = [
    dict(strategy="delta", rule=EveryNSteps(1)),
    dict(strategy="delta", rule=DeltaBand(0.05, to="edge"), dividend_yield=0.03),
    dict(strategy="delta", rule=WhalleyWilmott(2.0), costs=TransactionCosts(1e-3, 0.01, 0.3, 100.0)),
    dict(strategy="delta-gamma", rule=EveryNSteps(2), hedge_option=HedgeOption("call", 1.0, 0.25)),
    dict(strategy="delta-vega", rule=AnyOf(EveryNSteps(5), DeltaBand(0.1)),
         hedge_option=HedgeOption("put", 0.95, 0.25), costs=TransactionCosts(option_spread=0.02)),
    dict(strategy="none"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['strategy']}-{c.get('rule')!r}")
def test_attribution_and_explain_sum_to_pnl(case):
    book = Book([OptionLeg("call", 100.0, T, -1.0), OptionLeg("put", 97.0, T / 2, 2.0)], stock=0.25)
    paths = gbm_paths(21, 300, seed=3)
    vol = 0.2 * np.exp(0.2 * np.cos(np.arange(22)))  # a moving implied vol, so vega is used
    kw = dict(rate=0.03, pricing_volatility=0.22) | case
    res = simulate_hedge(book, paths, hedge_volatility=vol, **kw)
    attr = sum(res.attribution.values())
    expl = sum(res.explain.values())
    assert np.abs(attr - res.pnl).max() < 1e-9
    assert np.abs(expl - res.pnl).max() < 1e-9
    assert np.allclose(res.costs, sum(res.cost_breakdown.values()), rtol=0, atol=1e-12)
    for name, c in res.cost_breakdown.items():
        assert np.array_equal(res.attribution[f"cost_{name}"], -c)
    # the entry term is the book at the hedge vol (0.2 * e^0.2 at t=0) minus the premium at 0.22
    v0 = book.value(S0, vol[0], rate=0.03, dividend_yield=kw.get("dividend_yield", 0.0))
    assert res.attribution["entry"] == pytest.approx(v0 - res.premium, abs=1e-12)


def test_no_hedge_equals_unhedged_and_never_trades():
    paths = gbm_paths(21, 500, seed=5)
    res = simulate_hedge(SHORT_CALL, paths, hedge_volatility=SIGMA, rate=R, strategy="none",
                         costs=TransactionCosts(1e-3, per_trade=1.0))
    assert np.array_equal(res.pnl, res.unhedged_pnl)
    assert (res.n_trades == 0).all() and (res.costs == 0).all()
    # unhedged short call: premium received at t=0, accrued, minus the payoff at T
    s_t = paths.spot[-1]
    expected = -res.premium * math.exp(R * T) - np.maximum(s_t - K, 0.0)
    assert np.allclose(res.pnl, expected, rtol=0, atol=1e-10)


def test_premium_sign_and_value():
    # Hull (2021) example 15.6 style: S=K=100, T=1/12, r=5%, sigma=20% call = 2.5120670860
    # (the book is short one call, so the premium has the holder's sign: negative)
    paths = gbm_paths(4, 3, seed=1)
    res = simulate_hedge(SHORT_CALL, paths, hedge_volatility=SIGMA, rate=R)
    assert res.premium == pytest.approx(-float(bs_price(S0, K, T, SIGMA, R)), abs=1e-12)
    assert res.premium == pytest.approx(-2.5120670860, abs=1e-9)


# --- statistics -----------------------------------------------------------------------------


def test_hedge_error_falls_like_one_over_sqrt_n():
    counts = np.array([8, 32, 128])
    stds = []
    for n in counts:
        res = simulate_hedge(SHORT_CALL, gbm_paths(int(n), 4000, seed=11), hedge_volatility=SIGMA, rate=R)
        stds.append(res.pnl.std(ddof=1))
    slope = np.polyfit(np.log(counts), np.log(stds), 1)[0]
    # the std estimate is within ~2% at 4000 paths; the slope over a factor 16 is within 0.05
    assert slope == pytest.approx(-0.5, abs=0.06)


def test_mean_pnl_is_zero_when_hedge_vol_equals_realised_vol():
    res = simulate_hedge(SHORT_CALL, gbm_paths(21, 20000, seed=12), hedge_volatility=SIGMA, rate=R)
    s = res.summary()
    assert abs(s["mean"]) < 3 * s["se_mean"]


@pytest.mark.parametrize("hedge_vol", [0.25, 0.2])
def test_selling_rich_vol_earns_the_premium_difference(hedge_vol):
    """Sell a call at 25% implied vol when the stock realises 20%.

    Under the pricing measure (drift = r) the discounted hedge gains are a martingale for ANY
    hedge ratio, so E[P&L] = (BS(25%) - BS(20%)) e^{rT} whether one hedges at the implied or
    at the realised vol; hedging at the realised vol books it at entry.
    """
    paths = gbm_paths(42, 20000, seed=13, vol=0.2)
    res = simulate_hedge(SHORT_CALL, paths, hedge_volatility=hedge_vol, pricing_volatility=0.25, rate=R)
    expected = (float(bs_price(S0, K, T, 0.25, R)) - float(bs_price(S0, K, T, 0.2, R))) * math.exp(R * T)
    s = res.summary()
    assert abs(s["mean"] - expected) < 3 * s["se_mean"]
    if hedge_vol == 0.2:
        assert res.attribution["entry"].mean() == pytest.approx(expected * math.exp(-R * T), rel=1e-12)


@pytest.mark.parametrize("n_rebalances", [21, 84])
def test_derman_kamal_std(n_rebalances):
    """Derman & Kamal (1999): sigma_P ~ sqrt(pi/4) vega sigma / sqrt(N) for a delta hedge."""
    res = simulate_hedge(SHORT_CALL, gbm_paths(n_rebalances, 20000, seed=14), hedge_volatility=SIGMA, rate=R)
    vega = float(bs_greeks(S0, K, T, SIGMA, R).vega)
    predicted = theory.derman_kamal_std(vega, SIGMA, n_rebalances)
    inline = math.sqrt(math.pi / 4) * vega * SIGMA / math.sqrt(n_rebalances)
    assert predicted == pytest.approx(inline, rel=1e-12)
    assert res.pnl.std(ddof=1) == pytest.approx(predicted, rel=0.05)


def test_costs_scale_with_rate_and_shrink_with_band_width():
    paths = gbm_paths(63, 2000, seed=15)
    one = simulate_hedge(SHORT_CALL, paths, hedge_volatility=SIGMA, costs=TransactionCosts(1e-3))
    two = simulate_hedge(SHORT_CALL, paths, hedge_volatility=SIGMA, costs=TransactionCosts(2e-3))
    # the trades do not depend on the cost rate under EveryNSteps: cost is exactly linear
    assert np.allclose(two.costs, 2 * one.costs, rtol=1e-13, atol=0)
    means, trades = [], []
    for width in (0.0, 0.02, 0.05, 0.1, 0.2):
        res = simulate_hedge(SHORT_CALL, paths, hedge_volatility=SIGMA, rule=DeltaBand(width, "edge"),
                             costs=TransactionCosts(1e-3))
        means.append(res.costs.mean())
        trades.append(res.n_trades.mean())
    assert np.all(np.diff(means) < 0) and np.all(np.diff(trades) < 0)
    assert means[0] == pytest.approx(one.costs.mean(), rel=1e-12)  # zero band = every step


def test_delta_gamma_beats_delta_at_the_same_frequency():
    paths = gbm_paths(21, 3000, seed=16)
    kw = dict(hedge_volatility=SIGMA, rate=R, rule=EveryNSteps(1))
    d = simulate_hedge(SHORT_CALL, paths, **kw)
    dg = simulate_hedge(SHORT_CALL, paths, strategy="delta-gamma", hedge_option=HedgeOption("call", 1.0, 0.25), **kw)
    assert dg.pnl.std() < 0.5 * d.pnl.std()
    assert np.array_equal(d.unhedged_pnl, dg.unhedged_pnl)


# --- shapes, blocks, concatenation, recorded steps ----------------------------------------


def test_blocks_and_concatenation_do_not_change_a_bit(monkeypatch):
    paths = gbm_paths(10, 23, seed=17)
    vol = 0.2 + 0.01 * np.arange(23)[None, :] * np.ones((11, 1))  # per time and path
    kw = dict(hedge_volatility=vol, rate=R, dividend_yield=0.01, pricing_volatility=0.2,
              rule=DeltaBand(0.05), costs=TransactionCosts(1e-3, 0.1, 0.2, 10.0))
    full = simulate_hedge(SHORT_CALL, paths, **kw)
    monkeypatch.setattr(engine, "_BLOCK", 4)
    blocked = simulate_hedge(SHORT_CALL, paths, **kw)
    left = Paths(paths.times, paths.spot[:, :9])
    right = Paths(paths.times, paths.spot[:, 9:])
    joined = HedgeResult.concatenate(
        [simulate_hedge(SHORT_CALL, left, **(kw | {"hedge_volatility": vol[:, :9]})),
         simulate_hedge(SHORT_CALL, right, **(kw | {"hedge_volatility": vol[:, 9:]}))]
    )
    for other in (blocked, joined):
        for name in ("pnl", "costs", "n_trades", "turnover", "unhedged_pnl"):
            assert np.array_equal(getattr(full, name), getattr(other, name)), name
        for key in full.attribution:
            assert np.array_equal(full.attribution[key], other.attribution[key]), key
        for key in full.explain:
            assert np.array_equal(full.explain[key], other.explain[key]), key


def test_recorded_steps():
    paths = gbm_paths(6, 10, seed=18)
    res = simulate_hedge(SHORT_CALL, paths, hedge_volatility=SIGMA, rate=R, record_paths=3,
                         costs=TransactionCosts(1e-3))
    st = res.steps
    assert len(st) == 3 * 7 and list(st["path"].unique()) == [0, 1, 2]
    last = st[st["step"] == 6].set_index("path")
    assert np.allclose(last["pnl"].to_numpy(), res.pnl[:3], rtol=0, atol=1e-12)
    assert np.allclose(last["costs"].to_numpy(), res.costs[:3], rtol=0, atol=1e-12)
    assert (last["stock"] == 0).all()
    first = st[st["step"] == 0]
    # today: bought at its value, so the P&L so far is minus the first trade's cost
    assert np.allclose(first["pnl"], -first["costs"], rtol=0, atol=1e-12)
    assert np.allclose(first["stock"], float(bs_greeks(S0, K, T, SIGMA, R).delta), rtol=0, atol=1e-12)
    p0 = st[st["path"] == 0]
    assert np.allclose(p0["spot"], paths.spot[:, 0])
    assert np.allclose(np.diff(p0["stock"].to_numpy()), p0["stock_trade"].to_numpy()[1:])


def test_horizon_before_expiry_marks_the_book():
    paths = gbm_paths(10, 200, seed=19, horizon=T / 2)
    res = simulate_hedge(SHORT_CALL, paths, hedge_volatility=SIGMA, rate=R)
    mark = -np.asarray(bs_price(paths.spot[-1], K, T / 2, SIGMA, R))
    assert np.allclose(res.attribution["option_mtm"], mark - res.premium, rtol=0, atol=1e-10)


def test_summary_fields():
    res = simulate_hedge(SHORT_CALL, gbm_paths(21, 1000, seed=20), hedge_volatility=SIGMA, rate=R,
                         costs=TransactionCosts(1e-3))
    s = res.summary()
    assert s["hedge_error"] == pytest.approx(s["std"] / abs(res.premium))
    assert s["variance_reduction"] == pytest.approx(1 - res.pnl.var(ddof=1) / res.unhedged_pnl.var(ddof=1))
    assert s["es_99"] >= s["var_99"] >= s["var_95"] and s["es_95"] >= s["var_95"]
    assert s["mean_cost"] == pytest.approx(res.costs.mean())
    assert s["mean_trades"] == pytest.approx(22.0, abs=0.01)


# --- validation -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_paths():
    return gbm_paths(5, 4, seed=21)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(hedge_volatility=-0.2), "hedge_volatility"),
        (dict(hedge_volatility=np.full(5, 0.2)), "hedge_volatility"),  # 6 times needed
        (dict(hedge_volatility=np.full((6, 3), 0.2)), "hedge_volatility"),
        (dict(hedge_volatility=0.2, strategy="delta-gamma"), "hedge_option"),
        (dict(hedge_volatility=0.2, strategy="gamma"), "strategy"),
        (dict(hedge_volatility=0.2, record_paths=5), "record_paths"),
        (dict(hedge_volatility=0.2, rate=float("nan")), "rate"),
        (dict(hedge_volatility=0.2, pricing_volatility=0.0), "pricing_volatility"),
        (dict(hedge_volatility=0.2, rule="daily"), "rule"),
        (dict(hedge_volatility=0.2, costs=0.001), "costs"),
        (dict(hedge_volatility=np.c_[[0.2, 0.3, 0.2, 0.2]].T.repeat(6, 0)), "pricing_volatility"),
    ],
)
def test_bad_inputs_name_the_argument(small_paths, kwargs, name):
    with pytest.raises(HedgeLibError, match=name):
        simulate_hedge(SHORT_CALL, small_paths, **kwargs)


def test_bad_book_and_paths(small_paths):
    with pytest.raises(HedgeLibError, match="book"):
        simulate_hedge(Book([]), small_paths, hedge_volatility=0.2)
    with pytest.raises(HedgeLibError, match="paths"):
        simulate_hedge(SHORT_CALL, np.ones((6, 4)), hedge_volatility=0.2)
    spot = np.array(small_paths.spot)
    spot[0, 1] = 101.0
    with pytest.raises(HedgeLibError, match="paths must all start at the same spot"):
        simulate_hedge(SHORT_CALL, Paths(small_paths.times, spot), hedge_volatility=0.2)
    with pytest.raises(HedgeLibError, match="results"):
        HedgeResult.concatenate([])


@pytest.mark.parametrize("per_path_vol", [False, True])
def test_runs_of_grid_rows_do_not_change_a_bit(monkeypatch, per_path_vol):
    # The engine computes the greeks of several grid rows per numpy call, cut at every
    # settlement and roll. How many rows go together must not change a digit: one row at a
    # time, three, or the default, on a book with a leg settling mid-way, a rolled hedge
    # option, a moving volatility (vega), a rate and a dividend yield.
    n_steps, n_paths = 24, 7
    paths = gbm_paths(n_steps, n_paths, seed=31, horizon=0.25)
    vols = 0.2 + 0.04 * np.sin(np.arange(n_steps + 1))
    if per_path_vol:
        vols = vols[:, None] + 0.01 * np.arange(n_paths)[None, :]
    book = Book([OptionLeg("call", 100.0, 0.25, -1.0), OptionLeg("put", 95.0, 0.1, 2.0)], stock=0.3)
    kw = dict(hedge_volatility=vols, rate=0.04, dividend_yield=0.02, pricing_volatility=0.2,
              strategy="delta-gamma", hedge_option=HedgeOption("put", 1.0, 0.08),
              rule=DeltaBand(0.05, to="edge"), costs=TransactionCosts(1e-3, option_spread=0.01))
    reference = simulate_hedge(book, paths, **kw)
    for elements in (1, 3 * n_paths):
        monkeypatch.setattr(engine, "_RUN_ELEMENTS", elements)
        other = simulate_hedge(book, paths, **kw)
        assert np.array_equal(reference.pnl, other.pnl)
        assert np.array_equal(reference.unhedged_pnl, other.unhedged_pnl)
        for key in reference.explain:
            assert np.array_equal(reference.explain[key], other.explain[key]), key
        for key in reference.attribution:
            assert np.array_equal(reference.attribution[key], other.attribution[key]), key
    # a single path (a strided column of the grid) gives the same digits as inside a block
    single = simulate_hedge(
        book, Paths(paths.times, paths.spot[:, 4:5]),
        **(kw | {"hedge_volatility": vols[:, 4:5] if per_path_vol else vols}),
    )
    assert single.pnl[0] == reference.pnl[4]
    assert single.explain["theta"][0] == reference.explain["theta"][4]
    assert (reference.option_turnover > 0).all()


def test_trade_counts_are_exact_beyond_255_steps():
    # The engine counts trades per step in bytes flushed every 255 steps: over 700 steps a
    # band rule makes paths trade at different steps; the counts must match the recorded
    # trades exactly (a wrapped byte would lose 256).
    paths = GBM(0.05, 0.2).simulate(100.0, 1.0, 700, 40, rng=21)
    book = Book([OptionLeg("call", 100.0, 1.0, -1.0)])
    for rule in (EveryNSteps(1), DeltaBand(0.002)):
        res = simulate_hedge(book, paths, hedge_volatility=0.2, rate=0.05, rule=rule,
                             record_paths=40)
        steps = res.steps
        traded = (steps["stock_trade"] != 0) | (steps["option_trade"] != 0)
        expected = traded.groupby(steps["path"]).sum().to_numpy()
        assert res.n_trades.dtype == np.int64
        assert np.array_equal(res.n_trades, expected)
        assert res.n_trades.max() > 255
