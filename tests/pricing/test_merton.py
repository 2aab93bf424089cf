"""Merton jump-diffusion: QuantLib oracles, an independent Fourier oracle, limits, identities."""

from __future__ import annotations

import math

import numpy as np
import pytest
import QuantLib as ql
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from hedgelib.conventions import HedgeLibError
from hedgelib.pricing.black_scholes import bs_price
from hedgelib.pricing.merton import merton_price

TODAY = ql.Date(15, ql.January, 2024)
DAY_COUNT = ql.Actual365Fixed()


def _random_cases(seed, n):
    rng = np.random.default_rng(seed)
    days = rng.integers(7, 3 * 365, n)
    return dict(
        days=days,
        t=days / 365.0,  # Actual/365 Fixed with whole days: the same T QuantLib uses
        strike=100.0 * np.exp(rng.uniform(-0.5, 0.5, n)),
        r=rng.uniform(-0.01, 0.08, n),
        q=rng.uniform(0.0, 0.05, n),
        sigma=rng.uniform(0.05, 0.5, n),
        lam=rng.uniform(0.0, 3.0, n),
        mu=rng.uniform(-0.3, 0.2, n),
        delta=rng.uniform(0.01, 0.4, n),
        kinds=rng.choice(["call", "put"], n),
    )


def _ours(c):
    args = (100.0, c["strike"], c["t"], c["sigma"], c["lam"], c["mu"], c["delta"], c["r"], c["q"])
    return np.where(c["kinds"] == "call", merton_price(*args, kind="call"),
                    merton_price(*args, kind="put"))


def _ql_series(strike, t, r, q, sigma, lam, mu, delta, kind):
    """QuantLib's JumpDiffusionEngine algorithm (not wrapped in QuantLib-Python 1.44) written
    out naively: Poisson weights in lambda' = lambda (1 + k) with per-term rate and volatility,
    each term priced by ql.blackFormula, summed to 250 terms."""
    k = math.exp(mu + 0.5 * delta * delta) - 1.0
    lam_prime = lam * (1.0 + k)
    option_type = ql.Option.Call if kind == "call" else ql.Option.Put
    total = 0.0
    for i in range(250):
        weight = math.exp(-lam_prime * t + i * math.log(lam_prime * t) - math.lgamma(i + 1.0)) \
            if lam_prime > 0 else float(i == 0)
        r_i = r - lam * k + i * math.log(1.0 + k) / t
        var_i = sigma * sigma * t + i * delta * delta
        forward = 100.0 * math.exp((r_i - q) * t)
        total += weight * ql.blackFormula(option_type, strike, forward, math.sqrt(var_i),
                                          math.exp(-r_i * t))
    return total


def test_matches_quantlib_series_on_random_cases():
    """1,000 cases against the Merton series priced with QuantLib's Black formula."""
    c = _random_cases(11, 1000)
    ours = _ours(c)
    ref = np.array([
        _ql_series(c["strike"][i], c["t"][i], c["r"][i], c["q"][i], c["sigma"][i], c["lam"][i],
                   c["mu"][i], c["delta"][i], c["kinds"][i])
        for i in range(1000)
    ])
    err = np.abs(ours - ref)
    assert np.all((err <= 1e-12) | (err <= 1e-9 * np.abs(ref)))


def _ql_bates(strike, days, r, q, sigma, lam, mu, delta, kind, xi):
    ql.Settings.instance().evaluationDate = TODAY
    rts = ql.YieldTermStructureHandle(ql.FlatForward(TODAY, float(r), DAY_COUNT))
    qts = ql.YieldTermStructureHandle(ql.FlatForward(TODAY, float(q), DAY_COUNT))
    # Bates = Heston + Merton jumps; QuantLib's nu is the mean of the log jump, delta its
    # standard deviation. v0 = theta = sigma^2, rho = 0 and a small vol of vol leave a
    # diffusion that differs from Black-Scholes by O(xi^2).
    process = ql.BatesProcess(rts, qts, ql.QuoteHandle(ql.SimpleQuote(100.0)), sigma**2, 20.0,
                              sigma**2, xi, 0.0, float(lam), float(mu), float(delta))
    engine = ql.BatesEngine(ql.BatesModel(process), 1e-12, 100_000)
    option_type = ql.Option.Call if kind == "call" else ql.Option.Put
    option = ql.VanillaOption(ql.PlainVanillaPayoff(option_type, float(strike)),
                              ql.EuropeanExercise(TODAY + int(days)))
    option.setPricingEngine(engine)
    return option.NPV()


def test_matches_quantlib_bates_engine_in_the_zero_vol_of_vol_limit():
    """QuantLib's own jump conventions: BatesEngine at xi = 0.02, 0.01, 0.005, Richardson-
    extrapolated in xi^2 to xi = 0 (the bias is a series in xi^2)."""
    c = _random_cases(5, 150)
    ours = _ours(c)
    ref = []
    for i in range(150):
        p = [_ql_bates(c["strike"][i], c["days"][i], c["r"][i], c["q"][i], c["sigma"][i],
                       c["lam"][i], c["mu"][i], c["delta"][i], c["kinds"][i], xi)
             for xi in (0.02, 0.01, 0.005)]
        ref.append((64.0 * p[2] - 20.0 * p[1] + p[0]) / 45.0)
    assert np.abs(ours - np.array(ref)).max() < 1e-8


def _lewis_fourier(strike, t, r, q, sigma, lam, mu, delta):
    """Independent oracle: the Lewis (2001) integral of Merton's characteristic function."""
    k = math.exp(mu + 0.5 * delta * delta) - 1.0
    fwd = 100.0 * math.exp((r - q) * t)
    x = math.log(fwd / strike)

    def integrand(u):
        z = u - 0.5j
        log_phi = (-0.5 * sigma * sigma * t * (1j * z + z * z)
                   + lam * t * (np.exp(1j * z * mu - 0.5 * delta * delta * z * z) - 1.0)
                   - 1j * z * lam * k * t)
        return (np.exp(1j * u * x + log_phi)).real / (u * u + 0.25)

    value, _ = quad(integrand, 0.0, np.inf, epsabs=1e-14, epsrel=1e-13, limit=500)
    return math.exp(-r * t) * (fwd - math.sqrt(fwd * strike) / math.pi * value)


def test_matches_an_independent_fourier_integral():
    c = _random_cases(23, 60)
    calls = merton_price(100.0, c["strike"], c["t"], c["sigma"], c["lam"], c["mu"], c["delta"],
                         c["r"], c["q"])
    ref = np.array([
        _lewis_fourier(c["strike"][i], c["t"][i], c["r"][i], c["q"][i], c["sigma"][i],
                       c["lam"][i], c["mu"][i], c["delta"][i])
        for i in range(60)
    ])
    np.testing.assert_allclose(calls, ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", ["call", "put"])
def test_no_jumps_is_black_scholes(kind):
    strike = np.array([60.0, 95.0, 100.0, 130.0])
    bs = bs_price(100.0, strike, 1.3, 0.25, 0.03, 0.01, kind)
    no_intensity = merton_price(100.0, strike, 1.3, 0.25, 0.0, -0.2, 0.3, 0.03, 0.01, kind)
    unit_jumps = merton_price(100.0, strike, 1.3, 0.25, 4.0, 0.0, 0.0, 0.03, 0.01, kind)
    np.testing.assert_allclose(no_intensity, bs, rtol=0, atol=1e-13)
    np.testing.assert_allclose(unit_jumps, bs, rtol=0, atol=1e-12)


def test_deterministic_jumps_with_no_diffusion_are_a_poisson_sum_of_intrinsics():
    # sigma = 0, delta = 0: S_T = F exp(-lambda k T + n mu) given n jumps, a hand sum.
    lam, mu, t, r = 2.0, -0.1, 1.0, 0.02
    k = math.exp(mu) - 1.0
    expected = sum(
        math.exp(-lam * t) * (lam * t) ** n / math.factorial(n)
        * math.exp(-r * t) * max(100.0 * math.exp(r * t - lam * k * t + n * mu) - 95.0, 0.0)
        for n in range(60)
    )
    got = merton_price(100.0, 95.0, t, 0.0, lam, mu, 0.0, r, 0.0)
    assert got == pytest.approx(expected, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    strike=st.floats(30.0, 300.0),
    t=st.floats(0.01, 10.0),
    r=st.floats(-0.02, 0.1),
    q=st.floats(0.0, 0.08),
    sigma=st.floats(0.0, 0.8),
    lam=st.floats(0.0, 10.0),
    mu=st.floats(-0.5, 0.3),
    delta=st.floats(0.0, 0.5),
)
def test_put_call_parity_and_bounds(strike, t, r, q, sigma, lam, mu, delta):
    call = merton_price(100.0, strike, t, sigma, lam, mu, delta, r, q, kind="call")
    put = merton_price(100.0, strike, t, sigma, lam, mu, delta, r, q, kind="put")
    fwd_value = 100.0 * math.exp(-q * t) - strike * math.exp(-r * t)
    assert call - put == pytest.approx(fwd_value, abs=1e-10)
    assert max(fwd_value, 0.0) - 1e-10 <= call <= 100.0 * math.exp(-q * t) + 1e-10


def test_monotone_and_convex_in_strike_and_increasing_in_jump_risk():
    strike = np.linspace(30.0, 300.0, 271)
    call = merton_price(100.0, strike, 1.0, 0.2, 1.0, -0.15, 0.2, 0.03, 0.0)
    assert np.all(np.diff(call) < 0) and np.all(np.diff(call, 2) > -1e-12)
    # More jump variance at the same compensated drift: options are worth more.
    lo = merton_price(100.0, 100.0, 1.0, 0.2, 1.0, 0.0, 0.1, 0.03, 0.0)
    hi = merton_price(100.0, 100.0, 1.0, 0.2, 1.0, 0.0, 0.3, 0.03, 0.0)
    assert hi > lo > bs_price(100.0, 100.0, 1.0, 0.2, 0.03)


def test_expiry_now_is_intrinsic_shapes_and_scalars():
    out = merton_price(100.0, np.array([[90.0], [110.0]]), np.array([0.0, 1.0]), 0.2, 1.0,
                       -0.1, 0.1, 0.02, 0.0, kind="put")
    assert out.shape == (2, 2) and out[0, 0] == 0.0 and out[1, 0] == 10.0
    assert isinstance(merton_price(100.0, 100.0, 1.0, 0.2, 1.0, 0.0, 0.1, 0.0, 0.0), float)


@pytest.mark.parametrize(
    ("name", "value"),
    [("spot", -1.0), ("strike", 0.0), ("time_to_expiry", -1.0), ("volatility", -0.2),
     ("jump_intensity", -1.0), ("jump_mean", np.nan), ("jump_std", -0.1), ("rate", np.inf)],
)
def test_bad_input_names_the_argument(name, value):
    kwargs = dict(spot=100.0, strike=100.0, time_to_expiry=1.0, rate=0.0, dividend_yield=0.0,
                  volatility=0.2, jump_intensity=1.0, jump_mean=0.0, jump_std=0.1)
    kwargs[name] = value
    with pytest.raises(HedgeLibError, match=name):
        merton_price(**kwargs)


def test_too_many_terms_is_refused():
    with pytest.raises(HedgeLibError, match="series terms"):
        # The most jumps a year allowed, each multiplying the price by about e^9.5 on average.
        merton_price(100.0, 100.0, 100.0, 0.2, 1e4, 5.0, 3.0, 0.0, 0.0)
