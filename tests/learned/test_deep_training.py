"""Training a DeepHedge on JAX: the issue's three claims at small size, the bookkeeping oracle,
determinism and the errors of training.

Sizes: 2,000 training paths of 10 steps over 20 trading days, 15 epochs of batches of 250
(120 Adam steps), compared on 4,000 fresh common paths. Every margin below was set from runs
at seeds 1, 2 and 3 and is several times the spread seen between seeds, so the claims hold
whichever seed a reviewer tries; the comments give the numbers seen.
"""

from __future__ import annotations

import numpy as np
import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging import TransactionCosts, simulate_hedge
from hedgelib.learned import (
    DeepHedge,
    compare_hedges,
    learned_setups,
    no_trade_band,
    policy_surface,
    whalley_wilmott_band,
)
from hedgelib.market.models import GBM, Heston

T = 20 / 252
BOOK = Book([OptionLeg("call", 100.0, T, -1.0)])
SMALL = dict(spot=100.0, horizon=T, n_steps=10, n_paths=2000, seed=1, hedge_volatility=0.2, epochs=15,
             batch_size=250, learning_rate=0.005)
COSTS = TransactionCosts(proportional=0.01)


def _compare(model, hedge, costs=None):
    setups, labels = learned_setups(hedge_volatility=0.2, costs=costs, deep=hedge)
    return compare_hedges(model, BOOK, setups, spot=100.0, horizon=T, n_steps=10, n_paths=4000, seed=101,
                          labels=labels).table(n_boot=50)


@pytest.fixture(scope="module")
def no_costs():
    model = GBM(0.0, 0.2)
    hedge = DeepHedge(loss="variance").fit(model, BOOK, **SMALL)
    return hedge, _compare(model, hedge)


@pytest.fixture(scope="module")
def with_costs():
    model = GBM(0.0, 0.2)
    hedge = DeepHedge(loss="entropic", architecture="band").fit(model, BOOK, costs=COSTS, **SMALL)
    return hedge, _compare(model, hedge, COSTS)


def test_no_costs_variance_loss_learns_the_delta(no_costs):
    hedge, t = no_costs
    # Std of the learned hedge's P&L within 15% of the delta hedge's (seen: 3% to 5% above).
    assert t.loc["learned", "std"] < 1.15 * t.loc["delta", "std"]
    assert t.loc["learned", "std"] < 0.3 * t.loc["none", "std"]
    # The hedge itself is near the delta: RMS distance over moneyness 0.9-1.1 at two times
    # (seen: 0.015 to 0.04 share per option; the delta spans 0 to 1 here).
    m = np.linspace(0.9, 1.1, 21)
    taus = np.array([0.75 * T, 0.4 * T])
    learned = policy_surface(hedge, m, taus)
    delta = np.vstack([hedge.policy.bs_delta(m * 100.0, T - tau, 0.2) for tau in taus])
    assert np.sqrt(np.mean((learned - delta) ** 2)) < 0.1


def test_costs_entropic_beats_delta_and_no_hedge_and_trades_less(with_costs):
    # A no-transaction band network (the plain perceptron passes the same risk and turnover
    # checks, seen 1.89-1.97 against 2.42-2.47, but learns a soft band, hard to read).
    hedge, t = with_costs
    # Entropic risk on fresh paths (seen: learned 1.88, delta 2.43, Whalley-Wilmott 2.07, none
    # 12.7; bootstrap standard errors 0.01 to 0.03 on the hedges).
    assert t.loc["learned", "entropic"] < 0.9 * t.loc["delta", "entropic"]
    assert t.loc["learned", "entropic"] < 0.3 * t.loc["none", "entropic"]
    # Less trading (seen: 1.36 shares per path against 1.94 for the delta).
    assert t.loc["learned", "turnover"] < 0.9 * t.loc["delta", "turnover"]
    # Its band, at the money at mid-life, is of Whalley-Wilmott's size (seen: 0.30 share wide
    # against 0.49 for risk aversion 1); "of the size" is taken as within a factor of 3.
    lo, hi = no_trade_band(hedge, [1.0], 0.5 * T)
    _, ww_lo, ww_hi = whalley_wilmott_band(BOOK, [1.0], 0.5 * T, strike=100.0, unit=1.0, volatility=0.2,
                                           proportional=0.01, risk_aversion=1.0)
    ratio = (hi[0] - lo[0]) / (ww_hi[0] - ww_lo[0])
    assert 1 / 3 < ratio < 3


def test_heston_negative_correlation_beats_the_delta_at_the_same_implied_vol():
    model = Heston(0.0, v0=0.04, kappa=2.0, theta=0.04, xi=1.0, rho=-0.9)
    hedge = DeepHedge(loss="variance").fit(model, BOOK, **SMALL)
    t = _compare(model, hedge)
    # Seen: learned 0.69-0.71 against the delta's 0.79-0.82 (13% lower); SE of a std ~0.01.
    assert t.loc["learned", "std"] < 0.95 * t.loc["delta", "std"]


def test_same_seed_same_weights_other_seed_other_weights():
    kw = {**SMALL, "n_paths": 500, "epochs": 2}
    a = DeepHedge(loss="variance").fit(GBM(0.0, 0.2), BOOK, **kw)
    b = DeepHedge(loss="variance").fit(GBM(0.0, 0.2), BOOK, **kw)
    c = DeepHedge(loss="variance").fit(GBM(0.0, 0.2), BOOK, **{**kw, "seed": 2})
    assert all(np.array_equal(x, y) for x, y in zip(a.policy.weights, b.policy.weights, strict=True))
    assert a.training.history == b.training.history
    assert not np.array_equal(a.policy.weights[0], c.policy.weights[0])


def test_training_bookkeeping_is_the_engines():
    # Oracle: the P&L training minimises (its own recursion) equals the engine's P&L of the
    # trained policy on the training paths, on a book with two expiries and stock, with
    # interest, dividends, proportional and impact costs. (The structure of the no-cost
    # fixture, so the compiled step is shared.)
    book = Book([OptionLeg("call", 95.0, T / 2, -2.0), OptionLeg("put", 105.0, T, 1.0)], stock=0.5)
    model = GBM(0.03, 0.25)
    costs = TransactionCosts(proportional=0.002, impact=0.5)
    hedge = DeepHedge(loss="variance").fit(
        model, book, spot=100.0, horizon=T, n_steps=10, n_paths=500, seed=4, hedge_volatility=0.2,
        rate=0.05, dividend_yield=0.02, costs=costs, epochs=2, batch_size=250)
    # The training paths: the first child of the seed's SeedSequence (see DeepHedge.fit).
    rng = np.random.default_rng(np.random.SeedSequence(4).spawn(3)[0])
    paths = model.simulate(100.0, T, 10, 500, rng=rng)
    res = simulate_hedge(book, paths, hedge_volatility=0.2, rate=0.05, dividend_yield=0.02,
                         strategy=hedge, costs=costs)
    assert hedge.training.final_loss == pytest.approx(np.var(res.pnl), rel=1e-10)


def test_training_inputs_are_the_engines():
    # The inputs training precomputes are those the engine gives the policy: the delta input
    # counts only the legs not yet settled, as the engine's book delta does.
    from hedgelib.learned.policy import Policy, alive_delta
    from hedgelib.learned.training import TrainingData

    book = Book([OptionLeg("call", 95.0, T / 2, -2.0), OptionLeg("put", 105.0, T, 1.0)])
    paths = GBM(0.0, 0.2).simulate(100.0, T, 10, 50, rng=3)
    features = ("log_moneyness", "prev_hedge", "delta", "time_to_expiry")
    costs = {"proportional": 0.0, "impact": 0.0, "daily_volume": 1e6}
    data = TrainingData.build(paths, book, np.asarray(0.2), 0.01, 0.0, features=features, strike=100.0,
                              unit=3.0, horizon=T, costs=costs)
    assert data.static_columns == (0, 2, 3) and data.prev_column == 1
    probe = Policy((np.zeros((4, 1)),), (np.zeros(1),), features, 100.0, 3.0, 0.2, T, book, 0.01)
    for i in (0, 5, 9):
        t = float(paths.times[i])
        d = -alive_delta(book, paths.spot[i], t, 0.2, 0.01, 0.0) / 3.0
        row = probe.inputs(paths.spot[i], T - t, 0.2, 0.0, d)
        np.testing.assert_allclose(data.static[i], row[:, [0, 2, 3]], rtol=1e-12)
    # After the first leg's expiry only the put is left in the delta.
    t6 = float(paths.times[6])
    assert t6 > T / 2
    alone = book.legs[1].quantity * np.asarray(
        Book([book.legs[1]]).greeks(paths.spot[6], 0.2, time=t6, rate=0.01).delta)
    np.testing.assert_allclose(data.static[6][:, 1], -alone / 3.0, rtol=1e-10)


@pytest.mark.parametrize("loss", ["entropic", "cvar", "variance"])
def test_device_loss_is_the_reported_loss(loss):
    # The float32 loss training differentiates is the float64 loss reported (and the CVaR is
    # the mean of the worst 1 - level of paths).
    import jax.numpy as jnp

    from hedgelib.learned.training import _risk_jax, _tail_count, risk

    x = np.random.default_rng(0).normal(-0.5, 1.0, 400)
    k = _tail_count(400, 0.9)
    on_device = float(_risk_jax(loss, jnp.asarray(x, dtype=jnp.float32), jnp.float32(2.0), k))
    assert on_device == pytest.approx(risk(loss, x, risk_aversion=2.0, level=0.9), rel=1e-5)
    if loss == "cvar":
        assert k == 40 and risk(loss, x, level=0.9) == pytest.approx(-np.sort(x)[:40].mean())


def test_report_counts_epochs_and_speed(no_costs):
    rep = no_costs[0].training
    assert len(rep.history) == rep.epochs == 15
    assert rep.path_steps_per_second > 0 and rep.compile_seconds >= 0 and rep.seconds > 0
    assert rep.n_paths == 2000 and rep.batch_size == 250 and rep.costs["proportional"] == 0.0


def test_non_finite_loss_stops_and_names_the_epoch():
    with pytest.raises(HedgeLibError, match=r"training stopped at epoch 1 of 3: .*learning_rate \(now 1e\+30\)"):
        DeepHedge(loss="variance").fit(GBM(0.0, 0.2), BOOK, **{**SMALL, "n_paths": 500, "epochs": 3,
                                                                  "learning_rate": 1e30})


def test_progress_reports_each_epoch_and_can_cancel():
    seen = []
    DeepHedge(loss="variance").fit(GBM(0.0, 0.2), BOOK, **{**SMALL, "n_paths": 500, "epochs": 3},
                                   progress=lambda e, n, loss: seen.append((e, n, loss)))
    assert [(e, n) for e, n, _ in seen] == [(1, 3), (2, 3), (3, 3)]
    assert all(np.isfinite(loss) for *_, loss in seen)

    class Cancelled(Exception):
        pass

    def stop(epoch, epochs, loss):
        raise Cancelled

    with pytest.raises(Cancelled):
        DeepHedge(loss="variance").fit(GBM(0.0, 0.2), BOOK, **{**SMALL, "n_paths": 500, "epochs": 3},
                                       progress=stop)


@pytest.mark.parametrize(("change", "needle"), [
    ({"n_paths": 0}, "n_paths must be at least 1 and at most"),
    ({"n_steps": 0}, "n_steps"),
    ({"epochs": 0}, "epochs"),
    ({"batch_size": 0}, "batch_size"),
    ({"learning_rate": -1.0}, "learning_rate"),
    ({"seed": -1}, "seed"),
    ({"hedge_volatility": [0.2, 0.2]}, "hedge_volatility must be a number or one per grid time"),
    ({"costs": TransactionCosts(per_trade=0.5)}, "per_trade must be 0"),
    ({"costs": "1%"}, "costs must be a cost model"),
    ({"progress": "bar"}, "progress must be callable"),
])
def test_bad_training_input_names_the_argument(change, needle):
    with pytest.raises(HedgeLibError, match=needle):
        DeepHedge().fit(GBM(0.0, 0.2), BOOK, **{**SMALL, **change})


def test_bad_model_or_book():
    with pytest.raises(HedgeLibError, match="model must be a market model"):
        DeepHedge().fit("GBM", BOOK, **SMALL)
    with pytest.raises(HedgeLibError, match="option leg"):
        DeepHedge().fit(GBM(0.0, 0.2), Book([], stock=1.0), **SMALL)
