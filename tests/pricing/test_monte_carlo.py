"""Monte Carlo pricer: agreement with closed forms within 3 standard errors at fixed seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from hedgelib.conventions import HedgeLibError
from hedgelib.market.models import GARCH, GBM, Heston, MertonJump
from hedgelib.pricing.black_scholes import bs_price
from hedgelib.pricing.heston import heston_price
from hedgelib.pricing.merton import merton_price
from hedgelib.pricing.monte_carlo import MonteCarloResult, monte_carlo_price


def within_3se(res: MonteCarloResult, reference: float) -> bool:
    return abs(res.price - reference) < 3.0 * res.standard_error


# --------------------------------------------------------------------------- GBM


@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize("strike", [80.0, 100.0, 125.0])
def test_gbm_vanilla_within_3se_of_black_scholes(kind, strike):
    s, t, r, q, sigma = 100.0, 0.75, 0.04, 0.015, 0.3
    res = monte_carlo_price(
        GBM(drift=0.2, volatility=sigma, dividend_yield=q),  # drift is replaced by the rate
        spot=s,
        strike=strike,
        time_to_expiry=t,
        rate=r,
        kind=kind,
        n_paths=100_000,
        rng=17,
    )
    assert within_3se(res, bs_price(s, strike, t, sigma, r, q, kind))
    assert res.n_paths == res.n_samples == 100_000 and not res.antithetic


def test_reference_value_hull():
    # Hull, Options, Futures, and Other Derivatives (8th ed.), Example 15.6: S=42, K=40,
    # r=10%, sigma=20%, T=0.5: call 4.76, put 0.81 (published to the cent, hence +0.005).
    call = monte_carlo_price(
        GBM(0.0, 0.2),
        spot=42.0,
        strike=40.0,
        time_to_expiry=0.5,
        rate=0.1,
        n_paths=200_000,
        rng=3,
        antithetic=True,
    )
    put = monte_carlo_price(
        GBM(0.0, 0.2),
        spot=42.0,
        strike=40.0,
        time_to_expiry=0.5,
        rate=0.1,
        kind="put",
        n_paths=200_000,
        rng=3,
        antithetic=True,
    )
    assert abs(call.price - 4.76) < 3 * call.standard_error + 0.005
    assert abs(put.price - 0.81) < 3 * put.standard_error + 0.005


def test_antithetic_reduces_standard_error_and_uses_pair_averages():
    model = GBM(0.0, 0.25)
    kw = dict(spot=100.0, strike=100.0, time_to_expiry=1.0, rate=0.03, n_paths=50_000, rng=21)
    plain = monte_carlo_price(model, **kw)
    anti = monte_carlo_price(model, antithetic=True, **kw)
    assert anti.antithetic and anti.n_samples == 25_000 and anti.n_paths == 50_000
    assert anti.standard_error < 0.8 * plain.standard_error
    ref = bs_price(100.0, 100.0, 1.0, 0.25, 0.03)
    assert within_3se(plain, ref) and within_3se(anti, ref)
    # Oracle: the SE by hand from the same terminal prices, pairs j and j + n/2.
    st_ = GBM(0.03, 0.25).simulate_terminal(100.0, 1.0, 1, 50_000, rng=21, antithetic=True)
    pay = np.maximum(st_ - 100.0, 0.0) * math.exp(-0.03)
    pairs = 0.5 * (pay[:25_000] + pay[25_000:])
    assert anti.price == pytest.approx(pay.mean(), rel=1e-12)
    assert anti.standard_error == pytest.approx(pairs.std(ddof=1) / math.sqrt(25_000), rel=1e-12)
    # Treating the 50,000 paths as independent would misstate the error: the pair members
    # are negatively correlated, so the naive figure is too large.
    assert pay.std(ddof=1) / math.sqrt(50_000) > 1.2 * anti.standard_error


def test_custom_payoff_digital_and_forward():
    s, k, t, r, q, sigma = 100.0, 105.0, 0.5, 0.05, 0.02, 0.2
    model = GBM(r, sigma, q)
    digital = monte_carlo_price(
        model,
        spot=s,
        time_to_expiry=t,
        rate=r,
        n_paths=100_000,
        rng=8,
        payoff=lambda st_: (st_ > k).astype(float),
    )
    # Cash-or-nothing call = e^{-rT} N(d2) (Hull, section 26.7 / Haug 2007, 4.19.2).
    d2 = (math.log(s / k) + (r - q - 0.5 * sigma**2) * t) / (sigma * math.sqrt(t))
    assert within_3se(digital, math.exp(-r * t) * norm.cdf(d2))
    forward = monte_carlo_price(
        model, spot=s, time_to_expiry=t, rate=r, n_paths=100_000, rng=8, payoff=lambda st_: st_
    )
    assert within_3se(forward, s * math.exp(-q * t))


@settings(max_examples=20, deadline=None)
@given(strike=st.floats(50.0, 200.0), seed=st.integers(0, 2**32 - 1))
def test_put_call_parity_holds_pathwise_at_the_same_seed(strike, seed):
    # C - P = e^{-rT} mean(S_T - K) exactly for the same simulated S_T.
    kw = dict(spot=100.0, strike=strike, time_to_expiry=1.0, rate=0.02, n_paths=2000, rng=seed)
    model = GBM(0.0, 0.3, 0.01)
    c = monte_carlo_price(model, kind="call", **kw).price
    p = monte_carlo_price(model, kind="put", **kw).price
    st_ = model.with_drift(0.02).simulate_terminal(100.0, 1.0, 1, 2000, rng=seed)
    assert c - p == pytest.approx(math.exp(-0.02) * (st_.mean() - strike), abs=1e-9)


def test_confidence_interval():
    res = MonteCarloResult(
        price=5.0, standard_error=0.2, n_paths=100, n_samples=100, antithetic=False
    )
    lo, hi = res.confidence_interval()
    assert (lo, hi) == pytest.approx((5.0 - 1.959963985 * 0.2, 5.0 + 1.959963985 * 0.2))
    assert res.confidence_interval(0.99)[1] == pytest.approx(5.0 + 2.575829304 * 0.2)
    with pytest.raises(HedgeLibError, match="level"):
        res.confidence_interval(1.0)


# --------------------------------------------------------------------------- Heston

HESTON = dict(v0=0.04, kappa=1.5, theta=0.04, xi=0.5, rho=-0.7)


@pytest.mark.parametrize(
    ("n_steps", "strike"),
    [(8, 80.0), (8, 100.0), (8, 120.0), (2, 100.0), (32, 100.0)],
    ids=["dt=1/8-K80", "dt=1/8-K100", "dt=1/8-K120", "dt=1/2-K100", "dt=1/32-K100"],
)
def test_heston_within_3se_of_semi_closed_form(n_steps, strike):
    s, t, r, q = 100.0, 1.0, 0.03, 0.01
    res = monte_carlo_price(
        Heston(0.0, dividend_yield=q, **HESTON),
        spot=s,
        strike=strike,
        time_to_expiry=t,
        rate=r,
        n_paths=100_000,
        n_steps=n_steps,
        rng=5,
        antithetic=True,
    )
    ref = heston_price(s, strike, t, rate=r, dividend_yield=q, kind="call", **HESTON)
    print(
        f"Heston QE bias K={strike} dt=1/{n_steps}: {res.price - ref:+.4f} (SE {res.standard_error:.4f})"
    )
    assert within_3se(res, ref)


def test_heston_andersen_stress_case_at_coarse_steps():
    # Andersen (2008) test case: Feller condition badly violated (2 kappa theta = 0.04,
    # xi^2 = 1), rho = -0.9, T = 10. QE-M with dt = 1/8 year; the semi-closed form gives
    # 13.0847 (QuantLib's AnalyticHestonEngine agrees).
    par = dict(v0=0.04, kappa=0.5, theta=0.04, xi=1.0, rho=-0.9)
    ref = heston_price(100.0, 100.0, 10.0, rate=0.0, dividend_yield=0.0, **par)
    assert ref == pytest.approx(13.0847, abs=1e-3)
    res = monte_carlo_price(
        Heston(0.0, **par),
        spot=100.0,
        strike=100.0,
        time_to_expiry=10.0,
        n_paths=100_000,
        n_steps=80,
        rng=12,
        antithetic=True,
    )
    print(
        f"Heston QE bias, Andersen case, dt=1/8: {res.price - ref:+.4f} (SE {res.standard_error:.4f})"
    )
    assert within_3se(res, ref)


# --------------------------------------------------------------------------- Merton

MERTON = dict(volatility=0.2, jump_intensity=0.8, jump_mean=-0.15, jump_std=0.2)


@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize("strike", [80.0, 100.0, 120.0])
def test_merton_within_3se_of_series_formula(kind, strike):
    s, t, r, q = 100.0, 0.5, 0.04, 0.01
    res = monte_carlo_price(
        MertonJump(0.0, dividend_yield=q, **MERTON),
        spot=s,
        strike=strike,
        time_to_expiry=t,
        rate=r,
        kind=kind,
        n_paths=100_000,
        rng=31,
        antithetic=True,
    )
    ref = merton_price(s, strike, t, rate=r, dividend_yield=q, kind=kind, **MERTON)
    assert within_3se(res, ref)


# --------------------------------------------------------------------------- all models


@pytest.mark.parametrize(
    "model",
    [
        GBM(0.1, 0.3, 0.02),
        Heston(0.1, 0.04, 1.0, 0.05, 0.8, -0.6, 0.02),
        MertonJump(0.1, 0.15, 1.0, -0.1, 0.2, 0.02),
        GARCH.from_annualised(0.1, 0.25, 0.1, 0.85, 0.02),
    ],
    ids=["gbm", "heston", "merton", "garch"],
)
def test_forward_is_the_discounted_dividend_adjusted_spot(model):
    # Martingale under the pricing measure: e^{-rT} E[S_T] = S_0 e^{-qT}.
    res = monte_carlo_price(
        model,
        spot=100.0,
        time_to_expiry=0.5,
        rate=0.05,
        n_paths=20_000,
        n_steps=126,
        rng=2,
        payoff=lambda st_: st_,
    )
    assert within_3se(res, 100.0 * math.exp(-0.02 * 0.5))


def test_drift_is_replaced_by_the_rate():
    kw = dict(spot=100.0, strike=95.0, time_to_expiry=1.0, rate=0.05, n_paths=1000, rng=9)
    assert monte_carlo_price(GBM(0.3, 0.2), **kw) == monte_carlo_price(GBM(-0.1, 0.2), **kw)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"strike": None}, "strike is required"),
        ({"strike": -1.0}, "strike"),
        ({"time_to_expiry": 0.0}, "time_to_expiry"),
        ({"rate": np.nan}, "rate"),
        ({"kind": "straddle"}, "kind"),
        ({"n_paths": 1}, "n_paths"),
        ({"n_paths": 11, "antithetic": True}, "n_paths must be even"),
        ({"n_steps": 0}, "n_steps"),
        ({"payoff": 3.0}, "payoff must be a callable"),
        ({"payoff": lambda s: s[:5]}, "payoff must return one value per path"),
        ({"payoff": lambda s: s * np.nan}, "payoff must not be NaN"),
        ({"spot": 0.0}, "spot"),
    ],
)
def test_validation_names_the_argument(kwargs, needle):
    args = dict(spot=100.0, strike=100.0, time_to_expiry=1.0, n_paths=10, rng=0) | kwargs
    with pytest.raises(HedgeLibError) as err:
        monte_carlo_price(GBM(0.0, 0.2), **args)
    assert needle in str(err.value)
    with pytest.raises(HedgeLibError, match="model must be a MarketModel"):
        monte_carlo_price("gbm", spot=100.0, strike=100.0, time_to_expiry=1.0, n_paths=10)
