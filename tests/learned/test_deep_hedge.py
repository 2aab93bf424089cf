"""DeepHedge without training: the spec's checks, the forward pass in the engine, the files,
the band reader and the registry. Hand-made networks (conftest) have known outputs."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging import HedgeSetup, TransactionCosts, run_experiment, simulate_hedge
from hedgelib.hedging.setup import STRATEGIES
from hedgelib.learned import (
    MAX_REGISTERED,
    DeepHedge,
    Policy,
    no_trade_band,
    policy_surface,
    register_deep_hedge,
    registered_deep_hedges,
    unregister_deep_hedge,
    whalley_wilmott_band,
)
from hedgelib.market.models import GBM, Heston
from hedgelib.theory import whalley_wilmott_half_width

# -- the spec ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"features": ("log_moneyness", "gamma")}, "'gamma'"),
    ({"features": ("delta", "delta")}, "repeat"),
    ({"features": ()}, "at least one"),
    ({"features": "delta"}, "tuple of feature names"),
    ({"hidden": (32, 0)}, "hidden"),
    ({"hidden": ()}, "1 to 8"),
    ({"loss": "mse"}, "loss must be one of"),
    ({"risk_aversion": 0.0}, "risk_aversion"),
    ({"level": 1.0}, "level"),
])
def test_bad_spec_names_the_argument(kwargs, needle):
    with pytest.raises(HedgeLibError, match=needle):
        DeepHedge(**kwargs)


def test_untrained_hedge_refuses_to_run(short_call, tmp_path):
    paths = GBM(0.0, 0.2).simulate(100.0, 20 / 252, 5, 50, rng=1)
    with pytest.raises(HedgeLibError, match="not trained"):
        simulate_hedge(short_call, paths, hedge_volatility=0.2, strategy=DeepHedge())
    with pytest.raises(HedgeLibError, match="not trained"):
        DeepHedge().save(tmp_path / "never")
    assert list(tmp_path.iterdir()) == []


def test_label_says_the_loss_and_the_network():
    assert DeepHedge(hidden=(16, 8), loss="cvar", level=0.9).label == "Deep hedge (CVaR 90%, 16x8)"
    assert "entropic, risk aversion 2" in DeepHedge(risk_aversion=2.0).label


# -- the forward pass in the engine ------------------------------------------------------------


@pytest.mark.parametrize("vol", ["scalar", "per_time"])
def test_delta_copying_network_is_the_delta_hedge_in_the_engine(delta_copy, vol):
    # Oracle: a network that outputs its delta input must give the engine's delta hedge, P&L
    # for P&L, on a book with two expiries and stock, with interest, dividends and costs.
    book = Book([OptionLeg("call", 95.0, 10 / 252, -2.0), OptionLeg("put", 105.0, 30 / 252, 1.0)], stock=0.5)
    paths = GBM(0.03, 0.25).simulate(100.0, 30 / 252, 30, 300, rng=3)
    sigma = 0.2 if vol == "scalar" else np.linspace(0.18, 0.24, 31)
    common = dict(hedge_volatility=sigma, rate=0.04, dividend_yield=0.01,
                  costs=TransactionCosts(proportional=0.002))
    net = simulate_hedge(book, paths, strategy=delta_copy(book, rate=0.04, dividend_yield=0.01), **common)
    ref = simulate_hedge(book, paths, strategy="delta", **common)
    np.testing.assert_allclose(net.pnl, ref.pnl, rtol=0, atol=1e-9)
    np.testing.assert_allclose(net.turnover, ref.turnover, rtol=0, atol=1e-9)


def test_learned_strategy_runs_in_run_experiment_across_chunks(delta_copy, short_call):
    # The policy keeps no state, so chunking and threads cannot change a number.
    hedge = delta_copy(short_call)
    kw = dict(spot=100.0, horizon=20 / 252, n_steps=20, n_paths=4096, seed=9, hedge_volatility=0.2,
              strategy=hedge, block_size=512)
    a = run_experiment(GBM(0.0, 0.2), short_call, chunk_size=512, **kw)
    b = run_experiment(GBM(0.0, 0.2), short_call, chunk_size=4096, **kw)
    assert np.array_equal(a.pnl, b.pnl)


def test_policy_hedge_broadcasts_and_scales_by_unit(delta_copy):
    book = Book([OptionLeg("call", 100.0, 0.25, -3.0)])
    hedge = delta_copy(book)
    p = hedge.policy
    assert p.unit == 3.0
    spots = np.array([90.0, 100.0, 110.0])
    np.testing.assert_allclose(p.hedge(spots, 0.1), p.bs_delta(spots, 0.1, 0.2), atol=1e-12)
    assert p.hedge(spots[:, None], 0.1, prev_hedge=np.zeros((1, 4))).shape == (3, 4)


def test_policy_checks_its_arrays(short_call):
    with pytest.raises(HedgeLibError, match="layer 0 must take 2 inputs"):
        Policy((np.ones((3, 1)),), (np.zeros(1),), ("delta", "prev_hedge"), 100.0, 1.0, 0.2, 0.1, short_call)
    with pytest.raises(HedgeLibError, match="finite"):
        Policy((np.full((1, 1), np.nan),), (np.zeros(1),), ("delta",), 100.0, 1.0, 0.2, 0.1, short_call)
    with pytest.raises(HedgeLibError, match="must have 1 output"):
        Policy((np.ones((1, 2)),), (np.zeros(2),), ("delta",), 100.0, 1.0, 0.2, 0.1, short_call)
    with pytest.raises(HedgeLibError, match="option leg"):
        from hedgelib.learned.policy import book_scales

        book_scales(Book([], stock=1.0))


# -- files -----------------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path, band_policy, short_call):
    hedge = band_policy(short_call, 0.05)
    npz, js = hedge.save(tmp_path / "policy.npz")
    assert (npz.name, js.name) == ("policy.npz", "policy.json")
    back = DeepHedge.load(tmp_path / "policy")
    assert back.features == hedge.features and back.hidden == hedge.hidden
    for a, b in zip(back.policy.weights, hedge.policy.weights, strict=True):
        assert np.array_equal(a, b)
    assert back.policy.book == short_call
    spots, prev = np.array([95.0, 100.0, 105.0]), np.array([0.1, 0.5, 0.9])
    np.testing.assert_array_equal(back.policy.hedge(spots, 0.02, prev_hedge=prev),
                                  hedge.policy.hedge(spots, 0.02, prev_hedge=prev))


def _saved(tmp_path, hedge):
    hedge.save(tmp_path / "p")
    return tmp_path / "p.json", tmp_path / "p.npz"


@pytest.mark.parametrize("damage", ["no_json", "no_npz", "json_garbage", "npz_garbage", "format",
                                    "version", "feature", "altered", "missing_array", "missing_key"])
def test_load_refuses_foreign_or_corrupted_files(tmp_path, band_policy, short_call, damage):
    js, npz = _saved(tmp_path, band_policy(short_call, 0.05))
    meta = json.loads(js.read_text())
    if damage == "no_json":
        js.unlink()
    elif damage == "no_npz":
        npz.unlink()
    elif damage == "json_garbage":
        js.write_text("{not json")
    elif damage == "npz_garbage":
        npz.write_bytes(b"PK\x03\x04 this is not a zip")
    elif damage == "altered":
        arrays = dict(np.load(npz))
        arrays["weight_0"] = arrays["weight_0"] + 1e-9
        np.savez(npz, **arrays)
    elif damage == "missing_array":
        arrays = dict(np.load(npz))
        del arrays["bias_1"]
        np.savez(npz, **arrays)
    else:
        if damage == "format":
            meta["format"] = "sklearn.Pipeline"
        elif damage == "version":
            meta["version"] = 99
        elif damage == "feature":
            meta["spec"]["features"] = ["prev_hedge", "implied_skew"]
        elif damage == "missing_key":
            del meta["policy"]["strike"]
        js.write_text(json.dumps(meta))
    with pytest.raises(HedgeLibError) as info:
        DeepHedge.load(tmp_path / "p")
    assert "p.json" in str(info.value) or "p.npz" in str(info.value)  # names the file


def test_load_never_unpickles(tmp_path, band_policy, short_call):
    js, npz = _saved(tmp_path, band_policy(short_call, 0.05))
    arrays = dict(np.load(npz))
    arrays["weight_0"] = np.array([object()], dtype=object)
    np.savez(npz, **arrays)
    with pytest.raises(HedgeLibError):
        DeepHedge.load(js)


# -- reading a policy: the band, the surface, Whalley-Wilmott -----------------------------------


def test_no_trade_band_reads_a_known_band(band_policy, short_call):
    hedge = band_policy(short_call, 0.08)
    m = np.array([0.95, 1.0, 1.05])
    lower, upper = no_trade_band(hedge, m, 10 / 252, tolerance=1e-6, width=0.5, n_grid=1001)
    delta = hedge.policy.bs_delta(m * 100.0, 10 / 252, 0.2)
    step = 1.0 / 1000  # the grid's resolution
    np.testing.assert_allclose(lower, delta - 0.08, atol=step)
    np.testing.assert_allclose(upper, delta + 0.08, atol=step)


def test_policy_surface_of_the_delta_copy_is_the_delta(delta_copy, short_call):
    hedge = delta_copy(short_call)
    m, tau = np.linspace(0.9, 1.1, 5), np.array([15 / 252, 5 / 252])
    surface = policy_surface(hedge, m, tau)
    assert surface.shape == (2, 5)
    p = hedge.policy
    for i, t in enumerate(tau):
        np.testing.assert_allclose(surface[i], p.bs_delta(m * 100.0, p.horizon - t, 0.2), atol=1e-12)
    with pytest.raises(HedgeLibError, match="time_to_expiry must not exceed"):
        policy_surface(hedge, m, [1.0])
    with pytest.raises(HedgeLibError, match="prev_hedge"):
        policy_surface(hedge, m, tau, prev_hedge="half")


def test_whalley_wilmott_band_is_the_theory_per_unit():
    book = Book([OptionLeg("call", 100.0, 0.25, -2.0)])
    m = np.array([0.9, 1.0, 1.1])
    delta, lo, hi = whalley_wilmott_band(book, m, 0.1, strike=100.0, unit=2.0, volatility=0.2,
                                         proportional=0.01, risk_aversion=1.0)
    g = book.greeks(m * 100.0, 0.2, time=0.15)
    h = whalley_wilmott_half_width(m * 100.0, g.gamma, 0.01, 1.0, 0.0, 0.1) / 2.0
    np.testing.assert_allclose(delta, -g.delta / 2.0)
    np.testing.assert_allclose(hi - delta, h)
    np.testing.assert_allclose(delta - lo, h)


# -- the registry ----------------------------------------------------------------------------


def test_registered_deep_hedges_are_offered_capped_and_removable(band_policy, short_call):
    names = []
    try:
        for i in range(MAX_REGISTERED + 2):
            names.append(register_deep_hedge(band_policy(short_call, 0.01 * (i + 1))))
        assert register_deep_hedge(band_policy(short_call, 0.01 * (MAX_REGISTERED + 2))) == names[-1]
        kept = registered_deep_hedges()
        assert kept == names[2:] and len(kept) == MAX_REGISTERED
        assert names[0] not in STRATEGIES
        # A registered name is a strategy for the engine, by name.
        paths = GBM(0.0, 0.2).simulate(100.0, 20 / 252, 5, 20, rng=2)
        res = simulate_hedge(short_call, paths, setup=HedgeSetup(0.2, strategy=names[-1]))
        assert res.pnl.shape == (20,)
        assert "trained on short 1 call K=100" in STRATEGIES[names[-1]].label
    finally:
        for n in names:
            unregister_deep_hedge(n)
    assert not registered_deep_hedges()
    with pytest.raises(HedgeLibError, match="trained DeepHedge"):
        register_deep_hedge(DeepHedge())


def test_running_a_learned_hedge_never_loads_jax():
    # The engine evaluates a trained policy in numpy: importing the library, building a
    # policy and hedging with it (and with the minimum-variance delta) must not load JAX.
    code = (
        "import sys, numpy as np\n"
        "import hedgelib, hedgelib.learned as L\n"
        "from hedgelib.book import Book, OptionLeg\n"
        "from hedgelib.market.models import Heston\n"
        "from hedgelib.hedging import simulate_hedge\n"
        "book = Book([OptionLeg('call', 100.0, 0.1, -1.0)])\n"
        "p = L.Policy((np.array([[1.0, -1.0]]), np.array([[1.0], [-1.0]])), (np.zeros(2), np.zeros(1)),"
        " ('delta',), 100.0, 1.0, 0.2, 0.1, book)\n"
        "paths = Heston(0.0, 0.04, 2.0, 0.04, 0.5, -0.7).simulate(100.0, 0.1, 10, 50, rng=1)\n"
        "simulate_hedge(book, paths, hedge_volatility=0.2, strategy=L.DeepHedge(hidden=(2,), features=('delta',), policy=p))\n"
        "simulate_hedge(book, paths, hedge_volatility=0.2, strategy='min-variance-delta')\n"
        "assert 'jax' not in sys.modules and 'optax' not in sys.modules, 'jax was loaded'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_heston_hedge_with_per_path_volatility_runs(delta_copy, short_call):
    # hedge_volatility per time and path reaches the network as an array per step.
    paths = Heston(0.0, 0.04, 2.0, 0.04, 0.5, -0.7).simulate(100.0, 20 / 252, 10, 64, rng=4)
    sigma = np.sqrt(np.maximum(paths.variance, 1e-4))
    res = simulate_hedge(short_call, paths, hedge_volatility=sigma, pricing_volatility=0.2,
                         strategy=delta_copy(short_call))
    ref = simulate_hedge(short_call, paths, hedge_volatility=sigma, pricing_volatility=0.2, strategy="delta")
    np.testing.assert_allclose(res.pnl, ref.pnl, atol=1e-9)


def test_band_network_clips_the_previous_hedge_to_its_band(short_call):
    # A band network whose last layer is constant: the band is [delta - softplus(b0),
    # delta + softplus(b1)] everywhere; the engine holds the previous hedge clipped to it.
    from hedgelib.learned.policy import book_scales

    strike, unit, horizon = book_scales(short_call)
    b = np.array([np.log(np.expm1(0.05)), np.log(np.expm1(0.1))])  # softplus -> 0.05 and 0.1
    policy = Policy((np.zeros((3, 2)), np.zeros((2, 2))), (np.zeros(2), b),
                    ("log_moneyness", "time_to_expiry", "volatility"), strike, unit, 0.2, horizon,
                    short_call, architecture="band")
    hedge = DeepHedge(hidden=(2,), architecture="band", policy=policy)
    assert hedge.features == ("log_moneyness", "time_to_expiry", "volatility")
    m = np.array([0.97, 1.0, 1.03])
    lower, upper = no_trade_band(hedge, m, 10 / 252, tolerance=1e-9, n_grid=1201)
    delta = policy.bs_delta(m * 100.0, horizon - 10 / 252, 0.2)
    np.testing.assert_allclose(lower, delta - 0.05, atol=1e-3)
    np.testing.assert_allclose(upper, delta + 0.1, atol=1e-3)
    # In the engine: from no position it buys up to the lower edge at t = 0, and never holds a
    # hedge outside the band.
    paths = GBM(0.0, 0.2).simulate(100.0, horizon, 20, 30, rng=5)
    res = simulate_hedge(short_call, paths, hedge_volatility=0.2, strategy=hedge, record_paths=30)
    steps = res.steps[res.steps["step"] < 20]
    d = np.array([policy.bs_delta(np.array([s]), t, 0.2)[0]
                  for s, t in zip(steps["spot"], steps["time"], strict=True)])
    held = steps["stock"].to_numpy()
    assert np.all(held >= d - 0.05 - 1e-9) and np.all(held <= d + 0.1 + 1e-9)
    first = res.steps[res.steps["step"] == 0]["stock"].to_numpy()
    np.testing.assert_allclose(first, policy.bs_delta(np.array([100.0]), 0.0, 0.2)[0] - 0.05, atol=1e-12)


def test_band_network_refuses_prev_hedge_as_input():
    with pytest.raises(HedgeLibError, match="prev_hedge"):
        DeepHedge(architecture="band", features=("log_moneyness", "prev_hedge"))
    with pytest.raises(HedgeLibError, match="architecture"):
        DeepHedge(architecture="lstm")
