"""Simulated markets: Paths, GBM, Heston (QE), MertonJump, GARCH.

Statistical tests run at fixed seeds and allow 3 standard errors, each SE derived from the
estimator it bounds (sample mean: sd / sqrt(n); sample variance of normals:
sigma^2 sqrt(2 / (n - 1)); otherwise the sample's own fourth moment).
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelib.conventions import HedgeLibError
from hedgelib.market.base import MarketModel
from hedgelib.market.models import GARCH, GBM, Heston, MertonJump
from hedgelib.market.paths import Paths

RATE, DIV = 0.05, 0.02

MODELS = {
    "gbm": GBM(drift=RATE, volatility=0.25, dividend_yield=DIV),
    "heston": Heston(
        drift=RATE, v0=0.05, kappa=2.0, theta=0.04, xi=0.6, rho=-0.7, dividend_yield=DIV
    ),
    "merton": MertonJump(
        RATE, 0.15, jump_intensity=1.0, jump_mean=-0.1, jump_std=0.2, dividend_yield=DIV
    ),
    "garch": GARCH.from_annualised(RATE, volatility=0.2, alpha=0.1, beta=0.85, dividend_yield=DIV),
}


# --------------------------------------------------------------------------- Paths


def test_paths_shape_and_helpers():
    times = np.array([0.0, 0.25, 0.5])
    spot = np.array([[100.0, 100.0], [110.0, 90.0], [121.0, 81.0]])
    p = Paths(times, spot)
    assert (p.n_steps, p.n_paths, p.horizon) == (2, 2, 0.5)
    np.testing.assert_allclose(p.log_returns(), np.log([[1.1, 0.9], [1.1, 0.9]]))
    np.testing.assert_array_equal(p.time_steps, [0.25, 0.25])
    np.testing.assert_array_equal(p.terminal, [121.0, 81.0])
    frame = p.to_frame()
    assert frame.index.name == "time"
    assert frame.shape == (3, 2) and frame.loc[0.5, 1] == 81.0
    assert p.variance is None
    assert repr(p) == "Paths(n_steps=2, n_paths=2, horizon=0.5)"


def test_paths_are_read_only_and_leave_the_callers_array_writable():
    spot = np.full((3, 2), 100.0)
    p = Paths([0.0, 0.5, 1.0], spot)
    with pytest.raises(ValueError):
        p.spot[0, 0] = 1.0
    spot[0, 0] = 1.0  # the caller's array keeps its own write flag
    assert spot.flags.writeable


def test_paths_one_dimensional_spot_is_one_path():
    p = Paths([0.0, 1.0], [100.0, 105.0])
    assert p.spot.shape == (2, 1)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"times": [0.1, 0.5, 1.0]}, "times must start at 0"),
        ({"times": [0.0, 0.5, 0.5]}, "times must be strictly increasing"),
        ({"times": [0.0]}, "times must be a 1-D array of at least 2"),
        ({"times": [0.0, np.inf, 2.0]}, "times must be finite"),
        ({"spot": np.ones((2, 2))}, "spot must have shape"),
        (
            {"spot": [[1.0, 1.0], [1.0, -2.0], [1.0, 1.0]]},
            "spot must be positive and finite, got -2.0 at step 1 of path 1",
        ),
        (
            {"spot": [[1.0, 1.0], [1.0, 1.0], [np.nan, 1.0]]},
            "spot must be positive and finite, got nan at step 2 of path 0",
        ),
        (
            {"spot": [[1.0, 1.0], [1.0, 1.0], [np.inf, 1.0]]},
            "spot must be positive and finite, got inf at step 2 of path 0",
        ),
        ({"variance": np.ones((3, 3))}, "variance must have the shape of spot"),
        ({"variance": -np.ones((3, 2))}, "variance must be non-negative"),
        ({"spot": "abc"}, "spot must be an array of numbers"),
    ],
)
def test_paths_validation_names_the_argument(kwargs, needle):
    args = {"times": [0.0, 0.5, 1.0], "spot": np.full((3, 2), 100.0)} | kwargs
    with pytest.raises(HedgeLibError) as err:
        Paths(**args)
    assert needle in str(err.value)


def test_paths_from_prices_series_array_and_times():
    dates = pd.bdate_range("2020-01-01", periods=5)
    series = pd.Series([100.0, 101.0, 102.0, 101.0, 103.0], index=dates)
    p = Paths.from_prices(series)
    assert p.n_paths == 1 and p.n_steps == 4
    np.testing.assert_allclose(p.times, np.arange(5) / 252)
    np.testing.assert_array_equal(p.spot[:, 0], series.to_numpy())
    q = Paths.from_prices(series.to_numpy(), times=[0.0, 0.1, 0.2, 0.3, 0.4])
    assert q.horizon == pytest.approx(0.4)
    assert Paths.from_prices(series.to_frame("close")).n_steps == 4
    with pytest.raises(HedgeLibError, match="prices must be positive"):
        Paths.from_prices([100.0, 0.0, 101.0])
    with pytest.raises(HedgeLibError, match="times must have the shape of prices"):
        Paths.from_prices([100.0, 101.0], times=[0.0, 0.1, 0.2])
    with pytest.raises(HedgeLibError, match="one-column DataFrame"):
        Paths.from_prices(pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 2.0]}))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 4),
    st.floats(0.01, 5.0),
    st.data(),
)
def test_paths_log_returns_add_up_to_the_total_move(n_steps, n_paths, horizon, data):
    levels = data.draw(
        st.lists(
            st.floats(1e-3, 1e4), min_size=(n_steps + 1) * n_paths, max_size=(n_steps + 1) * n_paths
        )
    )
    spot = np.array(levels).reshape(n_steps + 1, n_paths)
    p = Paths(np.linspace(0.0, horizon, n_steps + 1), spot)
    np.testing.assert_allclose(p.log_returns().sum(axis=0), np.log(spot[-1] / spot[0]), atol=1e-9)
    assert p.to_frame().shape == (n_steps + 1, n_paths)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: GBM(0.05, -0.2), "volatility"),
        (lambda: GBM(np.nan, 0.2), "drift"),
        (lambda: GBM(0.05, 0.2, dividend_yield=np.inf), "dividend_yield"),
        (lambda: GBM(0.05, [0.2, 0.3]), "volatility must be a single number"),
        (lambda: Heston(0.0, -0.01, 1.0, 0.04, 0.5, -0.5), "v0"),
        (lambda: Heston(0.0, 0.04, 0.0, 0.04, 0.5, -0.5), "kappa"),
        (lambda: Heston(0.0, 0.04, 1.0, 0.0, 0.5, -0.5), "theta"),
        (lambda: Heston(0.0, 0.04, 1.0, 0.04, 0.0, -0.5), "xi"),
        (lambda: Heston(0.0, 0.04, 1.0, 0.04, 0.5, -1.5), "rho"),
        (lambda: MertonJump(0.0, 0.2, -1.0, 0.0, 0.1), "jump_intensity"),
        (lambda: MertonJump(0.0, 0.2, 1.0, 0.0, -0.1), "jump_std"),
        (lambda: MertonJump(0.0, 0.2, 1.0, "x", 0.1), "jump_mean"),
        (lambda: GARCH(0.0, 1e-6, 0.2, 0.8), "alpha + beta must be < 1"),
        (lambda: GARCH(0.0, 0.0, 0.1, 0.8), "omega"),
        (lambda: GARCH(0.0, 1e-6, -0.1, 0.8), "alpha"),
        (lambda: GARCH(0.0, 1e-6, 0.1, 0.8, initial_variance=-1.0), "initial_variance"),
        (lambda: GARCH(0.0, 1e-6, 0.1, 0.8, periods_per_year=0), "periods_per_year"),
        (lambda: GARCH.from_annualised(0.0, 0.0, 0.1, 0.8), "volatility"),
    ],
)
def test_model_validation_names_the_argument(build, name):
    with pytest.raises(HedgeLibError) as err:
        build()
    assert name in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"spot": 0.0}, "spot"),
        ({"spot": -1.0}, "spot"),
        ({"horizon": 0.0}, "horizon"),
        ({"horizon": np.nan}, "horizon"),
        ({"n_steps": 0}, "n_steps"),
        ({"n_steps": 2.5}, "n_steps"),
        ({"n_paths": 0}, "n_paths"),
        ({"n_paths": 3, "antithetic": True}, "n_paths must be even"),
        ({"antithetic": "yes"}, "antithetic"),
        ({"rng": "seed"}, "rng"),
    ],
)
@pytest.mark.parametrize("model", MODELS.values(), ids=MODELS.keys())
def test_simulate_validation_names_the_argument(model, kwargs, name):
    args = {"spot": 100.0, "horizon": 1.0, "n_steps": 4, "n_paths": 4} | kwargs
    with pytest.raises(HedgeLibError) as err:
        model.simulate(**args)
    assert name in str(err.value)


def test_overflow_is_reported_not_returned():
    # Inside the input bounds but past what a float holds: a century at 1000% volatility.
    with pytest.raises(HedgeLibError, match="too extreme"):
        GBM(0.0, 10.0).simulate(1e99, 100.0, 2, 2000, rng=0)
    with pytest.raises(HedgeLibError, match=r"volatility must be at most 10 \(1000% a year\), got 60"):
        GBM(0.0, 60.0)


# --------------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("model", MODELS.values(), ids=MODELS.keys())
def test_same_seed_same_paths_and_terminal_matches(model):
    a = model.simulate(100.0, 0.5, 21, 64, rng=123)
    b = model.simulate(100.0, 0.5, 21, 64, rng=np.random.default_rng(123))
    c = model.simulate(100.0, 0.5, 21, 64, rng=124)
    assert isinstance(model, MarketModel)
    np.testing.assert_array_equal(a.spot, b.spot)
    assert not np.array_equal(a.spot, c.spot)
    assert a.spot.shape == (22, 64) and a.spot.flags.c_contiguous
    np.testing.assert_allclose(a.times, np.linspace(0.0, 0.5, 22))
    np.testing.assert_array_equal(a.spot[0], 100.0)
    assert (a.variance is not None) == model.has_variance
    # The terminal-only simulation consumes the same stream and does the same arithmetic.
    np.testing.assert_array_equal(model.simulate_terminal(100.0, 0.5, 21, 64, rng=123), a.spot[-1])
    np.testing.assert_array_equal(
        model.simulate_terminal(100.0, 0.5, 21, 64, rng=123, antithetic=True),
        model.simulate(100.0, 0.5, 21, 64, rng=123, antithetic=True).spot[-1],
    )


def test_gbm_antithetic_pairs_mirror_each_other():
    m = GBM(0.07, 0.3, 0.01)
    p = m.simulate(50.0, 2.0, 8, 10, rng=5, antithetic=True)
    log_s = np.log(p.spot)
    centre = math.log(50.0) + (0.07 - 0.01 - 0.5 * 0.3**2) * p.times
    np.testing.assert_allclose(
        log_s[:, :5] + log_s[:, 5:], np.broadcast_to(2.0 * centre[:, None], (9, 5)), rtol=1e-14
    )


def test_gbm_zero_volatility_is_deterministic_growth():
    p = GBM(0.08, 0.0, dividend_yield=0.03).simulate(100.0, 3.0, 30, 3, rng=1)
    np.testing.assert_allclose(
        p.spot, 100.0 * np.exp(0.05 * p.times)[:, None] * np.ones((1, 3)), rtol=1e-13
    )


@settings(max_examples=25, deadline=None)
@given(
    drift=st.floats(-0.5, 0.5),
    volatility=st.floats(0.0, 1.5),
    horizon=st.floats(0.01, 5.0),
    n_steps=st.integers(1, 30),
    seed=st.integers(0, 2**32 - 1),
)
def test_gbm_simulation_is_positive_finite_and_reproducible(
    drift, volatility, horizon, n_steps, seed
):
    m = GBM(drift, volatility)
    a = m.simulate(10.0, horizon, n_steps, 6, rng=seed)
    assert a.spot.shape == (n_steps + 1, 6)
    assert np.isfinite(a.spot).all() and (a.spot > 0).all()
    np.testing.assert_array_equal(a.spot, m.simulate(10.0, horizon, n_steps, 6, rng=seed).spot)


# --------------------------------------------------------------------------- statistics


def test_gbm_log_terminal_mean_and_variance_within_3se():
    mu, sigma, q, t, n = 0.1, 0.3, 0.02, 2.0, 40_000
    paths = GBM(mu, sigma, q).simulate(100.0, t, 10, n, rng=2024)
    x = np.log(paths.spot[-1])
    mean = math.log(100.0) + (mu - q - 0.5 * sigma**2) * t
    var = sigma**2 * t
    # SE of a sample mean sd/sqrt(n); of a normal sample variance var*sqrt(2/(n-1)).
    assert abs(x.mean() - mean) < 3.0 * math.sqrt(var / n)
    assert abs(x.var(ddof=1) - var) < 3.0 * var * math.sqrt(2.0 / (n - 1))
    # Increments are independent: the variance at mid-horizon is half.
    xm = np.log(paths.spot[5])
    assert abs(xm.var(ddof=1) - var / 2) < 3.0 * (var / 2) * math.sqrt(2.0 / (n - 1))


@pytest.mark.parametrize("name", MODELS.keys())
def test_discounted_price_is_a_martingale_under_drift_equal_rate(name):
    """E[S_t e^{-rt}] = S_0 e^{-qt} at several dates, within 3 SE."""
    model = MODELS[name]
    n_steps = 252 if name == "garch" else 24
    paths = model.simulate(100.0, 1.0, n_steps, 20_000, rng=99)
    for i in (n_steps // 4, n_steps // 2, n_steps):
        t = paths.times[i]
        disc = paths.spot[i] * math.exp(-RATE * t)
        se = disc.std(ddof=1) / math.sqrt(disc.size)
        assert abs(disc.mean() - 100.0 * math.exp(-DIV * t)) < 3.0 * se, (name, t)
    assert model.expected_spot(100.0, 1.0) == pytest.approx(100.0 * math.exp(RATE - DIV))


def test_heston_variance_never_negative_and_mean_reverts():
    # Feller badly violated (2 kappa theta = 0.04 << xi^2 = 1) on a coarse grid: QE still
    # never goes negative, and lands exactly on zero through its exponential branch.
    m = Heston(0.0, v0=0.04, kappa=0.5, theta=0.04, xi=1.0, rho=-0.9)
    assert not m.feller_satisfied
    p = m.simulate(100.0, 5.0, 40, 20_000, rng=8)
    assert p.variance.min() >= 0.0
    assert (p.variance == 0.0).any()
    # E[V_t] = theta + (v0 - theta) e^{-kappa t} (Cox-Ingersoll-Ross mean), within 3 SE.
    m2 = Heston(0.0, v0=0.09, kappa=1.5, theta=0.04, xi=0.5, rho=-0.5)
    p2 = m2.simulate(100.0, 2.0, 16, 20_000, rng=9)
    for i in (2, 8, 16):
        v = p2.variance[i]
        expected = 0.04 + (0.09 - 0.04) * math.exp(-1.5 * p2.times[i])
        assert abs(v.mean() - expected) < 3.0 * v.std(ddof=1) / math.sqrt(v.size)


def test_heston_variance_second_moment_matches_cir():
    # Var[V_t | V_0] of the CIR process (Cox, Ingersoll and Ross 1985):
    # v0 xi^2 e^{-kt}(1 - e^{-kt})/k + theta xi^2 (1 - e^{-kt})^2 / (2k); QE matches it
    # exactly per step, so on a one-step grid the sample variance is unbiased for it.
    v0, kappa, theta, xi, t, n = 0.04, 1.2, 0.06, 0.7, 0.5, 40_000
    p = Heston(0.0, v0, kappa, theta, xi, -0.3).simulate(100.0, t, 1, n, rng=10)
    e = math.exp(-kappa * t)
    var = v0 * xi**2 * e * (1 - e) / kappa + theta * xi**2 * (1 - e) ** 2 / (2 * kappa)
    v = p.variance[-1]
    centred = v - v.mean()
    se = math.sqrt((np.mean(centred**4) - np.mean(centred**2) ** 2) / n)
    assert abs(v.var(ddof=1) - var) < 3.0 * se


def test_merton_log_return_moments_within_3se():
    mu, sig, lam, jm, js, q, t, n = 0.06, 0.15, 2.0, -0.08, 0.12, 0.01, 1.0, 40_000
    m = MertonJump(mu, sig, lam, jm, js, q)
    x = np.log(m.simulate(100.0, t, 4, n, rng=77).spot[-1] / 100.0)
    k = math.exp(jm + 0.5 * js**2) - 1.0
    mean = (mu - q - lam * k - 0.5 * sig**2 + lam * jm) * t
    var = m.total_variance_rate * t
    assert var == pytest.approx((sig**2 + lam * (jm**2 + js**2)) * t)
    assert abs(x.mean() - mean) < 3.0 * x.std(ddof=1) / math.sqrt(n)
    centred = x - x.mean()
    se_var = math.sqrt((np.mean(centred**4) - np.mean(centred**2) ** 2) / n)
    assert abs(x.var(ddof=1) - var) < 3.0 * se_var
    # Jumps fatten the tails: excess kurtosis is clearly positive.
    assert np.mean(centred**4) / np.mean(centred**2) ** 2 > 3.3


def test_merton_without_jumps_is_gbm():
    a = MertonJump(0.05, 0.2, 0.0, -0.1, 0.1).simulate(100.0, 1.0, 5, 50, rng=4)
    b = GBM(0.05, 0.2).simulate(100.0, 1.0, 5, 50, rng=4)
    np.testing.assert_allclose(a.spot, b.spot, rtol=1e-14)


def test_garch_volatility_clusters():
    m = GARCH.from_annualised(0.0, volatility=0.2, alpha=0.1, beta=0.85)
    p = m.simulate(100.0, 20.0, 20 * 252, 2, rng=31)
    r2 = p.log_returns() ** 2
    r2 = r2 - r2.mean(axis=0)
    acf1 = float((r2[1:] * r2[:-1]).sum() / (r2 * r2).sum())
    n = r2.size
    # Under iid returns the lag-1 autocorrelation has SE ~ 1/sqrt(n); GARCH(1,1) theory for
    # these parameters gives alpha(1 - alpha beta - beta^2)/(1 - 2 alpha beta - beta^2) = 0.18.
    assert acf1 > 3.0 / math.sqrt(n)
    assert 0.1 < acf1 < 0.26
    # The annualised conditional variance varies along the path.
    assert p.variance.std() > 0.2 * p.variance.mean()


def test_garch_unconditional_variance_daily_and_monthly_grids():
    m = GARCH.from_annualised(0.03, volatility=0.25, alpha=0.08, beta=0.9)
    assert m.long_run_volatility == pytest.approx(0.25)
    assert m.half_life == pytest.approx(math.log(0.5) / math.log(0.98))
    for n_steps in (252, 12):
        r = m.simulate(100.0, 1.0, n_steps, 4000, rng=5).log_returns()
        # Started at the unconditional variance, every step has E[r] = (mu - q) dt - E[h]/2
        # and E[r^2] ~ 0.25^2 dt; paths are independent, so use per-path means for the SE.
        per_path = (r**2).sum(axis=0)
        est = per_path.mean()
        se = per_path.std(ddof=1) / math.sqrt(per_path.size)
        drift_part = n_steps * ((0.03 - 0.5 * 0.25**2) / n_steps) ** 2
        assert abs(est - (0.25**2 + drift_part)) < 3.0 * se, n_steps


def test_garch_initial_variance_and_paths_variance_units():
    m = GARCH(0.0, omega=2e-6, alpha=0.1, beta=0.85, initial_variance=9e-4)
    assert m.start_variance == 9e-4
    p = m.simulate(100.0, 10 / 252, 10, 3, rng=0)
    np.testing.assert_allclose(p.variance[0], 9e-4 * 252)
    # After one day h = omega + (alpha z^2 + beta) h0 with z = the standardised first return.
    z = (np.log(p.spot[1] / 100.0) + 0.5 * 9e-4) / math.sqrt(9e-4)
    np.testing.assert_allclose(p.variance[1], 252 * (2e-6 + (0.1 * z**2 + 0.85) * 9e-4))


# --------------------------------------------------------------------------- memory


@pytest.mark.parametrize("name", MODELS.keys())
def test_simulate_holds_output_plus_o_n_paths(name):
    """Peak traced memory stays below the output arrays plus 40 rows of n_paths floats.

    A (n_steps, n_paths) temporary would add 200 rows; the bound fails with any such array.
    """
    model = MODELS[name]
    n_steps, n_paths = 200, 5000
    model.simulate(100.0, 200 / 252, 2, 10, rng=0)  # warm imports and caches
    tracemalloc.start()
    try:
        paths = model.simulate(100.0, 200 / 252, n_steps, n_paths, rng=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    out_bytes = paths.spot.nbytes + (0 if paths.variance is None else paths.variance.nbytes)
    row = 8 * n_paths
    assert peak < out_bytes + 40 * row, (peak - out_bytes) / row


@settings(max_examples=40, deadline=None)
@given(
    v0=st.floats(0.0, 1.0),
    kappa=st.floats(0.01, 10.0),
    theta=st.floats(0.001, 1.0),
    xi=st.floats(0.01, 3.0),
    rho=st.floats(-1.0, 1.0),
    horizon=st.floats(0.01, 5.0),
    n_steps=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_heston_qe_stays_finite_and_non_negative_for_any_parameters(
    v0, kappa, theta, xi, rho, horizon, n_steps, seed
):
    # Includes rho -> +1 with long steps, where Andersen's martingale correction does not
    # exist and the scheme falls back to the uncorrected drift.
    p = Heston(0.0, v0, kappa, theta, xi, rho).simulate(100.0, horizon, n_steps, 64, rng=seed)
    assert p.variance.min() >= 0.0 and np.isfinite(p.variance).all()
    assert np.isfinite(p.spot).all() and (p.spot > 0).all()


@pytest.mark.parametrize("antithetic", [False, True])
def test_gbm_simulate_matches_the_generic_stepper_loop_bit_for_bit(antithetic):
    # GBM overrides simulate (sharing its loop with run_experiment's in-place filling): it
    # must give exactly the paths of MarketModel.simulate, the base-class loop.
    model = GBM(0.04, 0.3, dividend_yield=0.01)
    own = model.simulate(100.0, 0.75, 40, 64, rng=9, antithetic=antithetic)
    generic = MarketModel.simulate(model, 100.0, 0.75, 40, 64, rng=9, antithetic=antithetic)
    assert np.array_equal(own.times, generic.times)
    assert np.array_equal(own.spot, generic.spot)
    assert own.variance is None


def test_gbm_simulate_into_a_column_slice_matches_simulate():
    model = GBM(0.05, 0.2)
    grid = np.full((31, 50), np.nan)
    model._simulate_into(grid[:, 10:30], None, 100.0, 0.5, np.random.default_rng(4), False)
    paths = model.simulate(100.0, 0.5, 30, 20, rng=np.random.default_rng(4))
    assert np.array_equal(grid[:, 10:30], paths.spot)
    # the columns outside the slice are left alone
    assert np.isnan(grid[:, :10]).all() and np.isnan(grid[:, 30:]).all()
