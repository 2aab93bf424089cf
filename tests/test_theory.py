"""Tests of hedgelib.theory: hand-computed references, limits, consistency between formulas.

The Monte Carlo checks of these formulas against the engine (Derman-Kamal standard deviation
and expected cost within 5%) are in tests/hedging/test_experiment.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelib import theory
from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.pricing.black_scholes import bs_greeks, bs_price

CALL_1Y = Book([OptionLeg("call", 100.0, 1.0, 1.0)])
SHORT_CALL_1M = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])

positive = st.floats(0.01, 10.0)


# -- Derman-Kamal --------------------------------------------------------------------------


def test_derman_kamal_reference_at_the_money():
    # By hand: ATM with r = 0, vega = S sqrt(T / (2 pi)), so sqrt(pi/4) vega sigma / sqrt(N)
    # = sigma S sqrt(T / (8 N)) = 0.2 * 100 * sqrt(1 / 2016) = 0.445435...
    vega = 100.0 * math.sqrt(1.0 / (2.0 * math.pi))
    assert theory.derman_kamal_std(vega, 0.2, 252) == pytest.approx(
        0.2 * 100 * math.sqrt(1 / 2016), rel=1e-14
    )
    assert theory.derman_kamal_std(vega, 0.2, 252) == pytest.approx(0.4454354, abs=1e-7)


def test_derman_kamal_broadcasts_and_ignores_vega_sign():
    out = theory.derman_kamal_std(np.array([10.0, -10.0]), 0.2, np.array([[4.0], [16.0]]))
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out[:, 0], out[:, 1])
    np.testing.assert_allclose(out[0] / out[1], 2.0)
    assert isinstance(theory.derman_kamal_std(10.0, 0.2, 4), float)


@settings(max_examples=30, deadline=None)
@given(vega=positive, sigma=st.floats(0.01, 1.0), n=st.integers(1, 10_000), m=st.integers(2, 50))
def test_derman_kamal_falls_like_one_over_sqrt_n(vega, sigma, n, m):
    a = theory.derman_kamal_std(vega, sigma, n)
    b = theory.derman_kamal_std(vega, sigma, n * m)
    assert b < a
    assert a / b == pytest.approx(math.sqrt(m), rel=1e-12)


def test_derman_kamal_limit_continuous_hedging():
    assert theory.derman_kamal_std(10.0, 0.2, 1e12) < 1e-5


def test_hedge_error_std_agrees_with_derman_kamal_at_the_money():
    # The Derman-Kamal constant comes out of the same integral in the ATM, r = 0 limit. The
    # numeric version keeps the sigma sqrt(T) corrections and samples the time integral at
    # the rebalancing dates (the integrand grows like (T - t)^(-1/2) near expiry, so the
    # sampled sum sits below the integral by about 1 / (pi sqrt(2N)) relative in variance).
    vega = bs_greeks(100.0, 100.0, 1.0, 0.2).vega
    for n in (252, 1000):
        num = theory.hedge_error_std(CALL_1Y, spot=100.0, volatility=0.2, n_rebalances=n)
        dk = theory.derman_kamal_std(vega, 0.2, n)
        assert num == pytest.approx(dk, rel=0.02)
        assert num < dk


def test_hedge_error_std_sees_a_vega_neutral_book():
    # A calendar spread sized to zero vega: Derman-Kamal with the book vega says 0, but the
    # gammas do not cancel path by path, so the book still has a hedge error.
    v_near = bs_greeks(100.0, 100.0, 0.5, 0.2).vega
    v_far = bs_greeks(100.0, 100.0, 1.0, 0.2).vega
    cal = Book([OptionLeg("call", 100.0, 0.5, v_far / v_near), OptionLeg("call", 100.0, 1.0, -1.0)])
    vega = cal.greeks(100.0, 0.2).vega
    assert abs(vega) < 1e-10
    assert theory.derman_kamal_std(vega, 0.2, 126) < 1e-10
    assert theory.hedge_error_std(cal, spot=100.0, volatility=0.2, n_rebalances=126) > 0.1


def test_hedge_error_std_scales_with_quantity_and_falls_with_n():
    one = theory.hedge_error_std(CALL_1Y, spot=100.0, volatility=0.2, n_rebalances=50)
    three = theory.hedge_error_std(
        CALL_1Y.scaled(-3.0), spot=100.0, volatility=0.2, n_rebalances=50
    )
    assert three == pytest.approx(3.0 * one, rel=1e-12)
    more = theory.hedge_error_std(CALL_1Y, spot=100.0, volatility=0.2, n_rebalances=200)
    assert more == pytest.approx(one / 2.0, rel=0.03)


# -- expected cost -------------------------------------------------------------------------


def test_expected_cost_atm_reference():
    # By hand: k S (sqrt(N) / pi + 1) = 1e-3 * 100 * (10 / pi + 1) = 0.41831...
    assert theory.expected_rebalancing_cost_atm(100.0, 1e-3, 100) == pytest.approx(
        0.1 * (10 / math.pi + 1), rel=1e-14
    )
    assert theory.expected_rebalancing_cost_atm(100.0, 1e-3, 100) == pytest.approx(
        0.4183099, abs=1e-7
    )
    assert theory.expected_rebalancing_cost_atm(
        100.0, 1e-3, 100, quantity=-2.0, include_entry_exit=False
    ) == pytest.approx(0.2 * 10 / math.pi, rel=1e-14)


def test_expected_cost_numeric_matches_closed_form_at_the_money():
    for n in (252, 1000):
        num = theory.expected_rebalancing_cost(
            CALL_1Y, spot=100.0, volatility=0.2, proportional=1e-3, n_rebalances=n
        )
        assert num == pytest.approx(theory.expected_rebalancing_cost_atm(100.0, 1e-3, n), rel=0.01)


def test_expected_cost_is_leland_read_as_a_price():
    # The cost of hedging, to first order in k, is the price rise from Leland's volatility:
    # vega * (sigma_L - sigma) = k S sqrt(N) / pi at the money.
    n, k = 252, 1e-5
    sigma_l = theory.leland_volatility(0.2, k, 1.0 / n, position="short")
    price_gap = bs_price(100.0, 100.0, 1.0, sigma_l) - bs_price(100.0, 100.0, 1.0, 0.2)
    cost = theory.expected_rebalancing_cost(
        CALL_1Y,
        spot=100.0,
        volatility=0.2,
        proportional=k,
        n_rebalances=n,
        include_entry_exit=False,
    )
    assert cost == pytest.approx(price_gap, rel=0.01)


def test_expected_cost_limits_and_monotonicity():
    kw = dict(spot=100.0, volatility=0.2, n_rebalances=21, rate=0.05)
    assert theory.expected_rebalancing_cost(SHORT_CALL_1M, proportional=0.0, **kw) == 0.0
    a = theory.expected_rebalancing_cost(SHORT_CALL_1M, proportional=1e-3, **kw)
    b = theory.expected_rebalancing_cost(SHORT_CALL_1M, proportional=2e-3, **kw)
    assert b == pytest.approx(2.0 * a, rel=1e-13)
    costs = [
        theory.expected_rebalancing_cost(
            SHORT_CALL_1M, spot=100.0, volatility=0.2, proportional=1e-3, n_rebalances=n, rate=0.05
        )
        for n in (1, 5, 21, 84, 252)
    ]
    assert np.all(np.diff(costs) > 0)
    # One interval: only the entry and the unwind, k (S |delta_0| + E[S_T] |delta_0|).
    d0 = bs_greeks(100.0, 100.0, 1 / 12, 0.2, 0.05).delta
    assert costs[0] == pytest.approx(1e-3 * 100.0 * d0 * (1.0 + math.exp(0.05 / 12)), rel=1e-9)


def test_expected_cost_of_a_straddle_has_no_entry_cost():
    # An ATM-forward straddle has delta ~ 0 today and |delta| = 1 at expiry: the unwind costs
    # about k E[S_T]; the rebalancing part is twice a single option's.
    straddle = Book([OptionLeg("call", 100.0, 1.0, 1.0), OptionLeg("put", 100.0, 1.0, 1.0)])
    kw = dict(spot=100.0, volatility=0.2, proportional=1e-3, n_rebalances=252)
    both = theory.expected_rebalancing_cost(straddle, **kw)
    inner = theory.expected_rebalancing_cost(straddle, include_entry_exit=False, **kw)
    single = theory.expected_rebalancing_cost(CALL_1Y, include_entry_exit=False, **kw)
    assert inner == pytest.approx(2.0 * single, rel=1e-12)
    # Entry and unwind by Monte Carlo: k (S |delta_0| + E[S_T |delta(t_{N-1}, S_{N-1})|]).
    d0 = abs(straddle.greeks(100.0, 0.2).delta)
    rng = np.random.default_rng(5)
    t_last = 251 / 252
    s_last = 100.0 * np.exp(-0.02 * t_last + 0.2 * math.sqrt(t_last) * rng.standard_normal(200_000))
    x = s_last * np.abs(straddle.greeks(s_last, 0.2, time=t_last).delta)
    exit_mean, exit_se = x.mean(), x.std(ddof=1) / math.sqrt(x.size)
    assert abs((both - inner) / 1e-3 - 100.0 * d0 - exit_mean) < 3 * exit_se
    assert both - inner < 1e-3 * 100.0 * (d0 + 1.0)


def test_book_functions_validate():
    kw = dict(spot=100.0, volatility=0.2, n_rebalances=21)
    with pytest.raises(HedgeLibError, match="horizon"):
        theory.hedge_error_std(SHORT_CALL_1M, horizon=0.5, **kw)
    with pytest.raises(HedgeLibError, match="n_rebalances"):
        theory.hedge_error_std(SHORT_CALL_1M, spot=100.0, volatility=0.2, n_rebalances=0)
    with pytest.raises(HedgeLibError, match="book"):
        theory.hedge_error_std("call", **kw)
    with pytest.raises(HedgeLibError, match="proportional"):
        theory.expected_rebalancing_cost(SHORT_CALL_1M, proportional=-1e-3, **kw)
    with pytest.raises(HedgeLibError, match="volatility"):
        theory.expected_rebalancing_cost(
            SHORT_CALL_1M, spot=100.0, volatility=0.0, proportional=1e-3, n_rebalances=21
        )
    # A shorter horizon is allowed and costs less than the full life.
    part = theory.expected_rebalancing_cost(SHORT_CALL_1M, proportional=1e-3, horizon=1 / 24, **kw)
    full = theory.expected_rebalancing_cost(SHORT_CALL_1M, proportional=1e-3, **kw)
    assert 0 < part < full


# -- Leland ----------------------------------------------------------------------------------


def test_leland_reference():
    # By hand: one-way 10 bp -> round trip k = 0.002; Le = sqrt(2/pi) * 0.002 / (0.2 / sqrt(252))
    # = 0.126660...; sigma_L = 0.2 sqrt(1 + Le) = 0.212288..., long 0.2 sqrt(1 - Le) = 0.186905...
    le = math.sqrt(2 / math.pi) * 0.002 * math.sqrt(252) / 0.2
    assert le == pytest.approx(0.1266603, abs=1e-7)
    assert theory.leland_volatility(0.2, 1e-3, 1 / 252) == pytest.approx(
        0.2 * math.sqrt(1 + le), rel=1e-14
    )
    assert theory.leland_volatility(0.2, 1e-3, 1 / 252, "long") == pytest.approx(
        0.2 * math.sqrt(1 - le), rel=1e-14
    )
    assert theory.leland_volatility(0.2, 1e-3, 1 / 252) == pytest.approx(0.212288, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(sigma=st.floats(0.05, 1.0), k=st.floats(1e-6, 1e-2), dt=st.floats(1e-3, 1.0))
def test_leland_orders_and_identity(sigma, k, dt):
    short = theory.leland_volatility(sigma, k, dt, "short")
    long = theory.leland_volatility(sigma, k, dt, "long")
    assert short > sigma
    le = math.sqrt(2 / math.pi) * 2 * k / (sigma * math.sqrt(dt))
    if le < 1:
        assert long < sigma
        # The two adjustments are symmetric in variance.
        assert short**2 + long**2 == pytest.approx(2 * sigma**2, rel=1e-10)
    else:
        assert math.isnan(long)


def test_leland_limits_and_validation():
    assert theory.leland_volatility(0.2, 0.0, 1 / 252) == 0.2
    assert theory.leland_volatility(0.2, 1e-3, 1e12) == pytest.approx(0.2, rel=1e-6)
    out = theory.leland_volatility(0.2, np.array([1e-4, 1e-2]), 1 / 252, "long")
    assert np.isfinite(out[0]) and np.isnan(out[1])
    with pytest.raises(HedgeLibError, match="position"):
        theory.leland_volatility(0.2, 1e-3, 1 / 252, "both")
    with pytest.raises(HedgeLibError, match="rebalance_interval"):
        theory.leland_volatility(0.2, 1e-3, 0.0)
    with pytest.raises(HedgeLibError, match="proportional"):
        theory.leland_volatility(0.2, -1e-3, 1 / 252)


# -- Whalley-Wilmott ---------------------------------------------------------------------------


def test_whalley_wilmott_reference():
    # By hand: (1.5 * 1e-3 * 100 * 0.04^2 / 1)^(1/3) = (2.4e-4)^(1/3) = 0.0621447...
    assert theory.whalley_wilmott_half_width(100.0, 0.04, 1e-3, 1.0) == pytest.approx(
        2.4e-4 ** (1 / 3), rel=1e-14
    )
    assert theory.whalley_wilmott_half_width(100.0, -0.04, 1e-3, 1.0) == pytest.approx(
        0.0621447, abs=1e-7
    )
    # Discounting: e^{-rT} inside the cube root.
    h = theory.whalley_wilmott_half_width(100.0, 0.04, 1e-3, 1.0, rate=0.05, time_to_expiry=2.0)
    assert h == pytest.approx((2.4e-4 * math.exp(-0.1)) ** (1 / 3), rel=1e-14)


@settings(max_examples=30, deadline=None)
@given(
    s=st.floats(1.0, 1000.0),
    g=st.floats(1e-4, 1.0),
    lam=st.floats(1e-6, 1e-2),
    ra=st.floats(1e-3, 1e3),
)
def test_whalley_wilmott_scaling(s, g, lam, ra):
    h = theory.whalley_wilmott_half_width(s, g, lam, ra)
    assert theory.whalley_wilmott_half_width(s, g, 8 * lam, ra) == pytest.approx(2 * h, rel=1e-12)
    assert theory.whalley_wilmott_half_width(s, g, lam, 8 * ra) == pytest.approx(h / 2, rel=1e-12)
    assert theory.whalley_wilmott_half_width(s, 8 * g, lam, ra) == pytest.approx(4 * h, rel=1e-12)


def test_whalley_wilmott_matches_the_engine_rule_kernel():
    # The engine's WhalleyWilmott rule has its own vectorised kernel: it must be this formula.
    rules = pytest.importorskip("hedgelib.hedging.rules")
    rng = np.random.default_rng(3)
    s, g = rng.uniform(50, 150, 20), rng.normal(0, 0.05, 20)
    ours = theory.whalley_wilmott_half_width(s, g, 2e-3, 0.5, rate=0.03, time_to_expiry=0.7)
    theirs = rules.whalley_wilmott_band(s, g, 2e-3, 0.5, 0.03, 0.7)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_whalley_wilmott_limits_and_validation():
    assert theory.whalley_wilmott_half_width(100.0, 0.04, 0.0, 1.0) == 0.0
    assert theory.whalley_wilmott_half_width(100.0, 0.0, 1e-3, 1.0) == 0.0
    with pytest.raises(HedgeLibError, match="risk_aversion"):
        theory.whalley_wilmott_half_width(100.0, 0.04, 1e-3, 0.0)
    with pytest.raises(HedgeLibError, match="spot"):
        theory.whalley_wilmott_half_width(-1.0, 0.04, 1e-3, 1.0)
    with pytest.raises(HedgeLibError, match="time_to_expiry"):
        theory.whalley_wilmott_half_width(100.0, 0.04, 1e-3, 1.0, time_to_expiry=-1.0)


# -- gamma P&L -------------------------------------------------------------------------------


def test_gamma_pnl_reference_and_sign():
    # By hand: 0.5 * 0.04 * 100^2 * (0.25^2 - 0.2^2) / 252 = 200 * 0.0225 / 252 = 0.0178571...
    assert theory.gamma_pnl(0.04, 100.0, 0.25, 0.2, 1 / 252) == pytest.approx(4.5 / 252, rel=1e-14)
    assert theory.gamma_pnl(0.04, 100.0, 0.2, 0.2, 1 / 252) == 0.0
    assert theory.gamma_pnl(-0.04, 100.0, 0.25, 0.2, 1 / 252) < 0
    assert theory.gamma_pnl(0.04, 100.0, 0.15, 0.2, 1 / 252) < 0
    with pytest.raises(HedgeLibError, match="realised_volatility"):
        theory.gamma_pnl(0.04, 100.0, -0.1, 0.2, 1 / 252)


def test_realised_gamma_pnl_reference_and_loop_oracle():
    # By hand: 0.5*0.04*100^2*(0.01^2 - 0.04/252) + 0.5*0.04*101^2*((1/101)^2 - 0.04/252)
    times = [0.0, 1 / 252, 2 / 252]
    expect = 200.0 * (1e-4 - 0.04 / 252) + 0.02 * 101.0**2 * ((1 / 101) ** 2 - 0.04 / 252)
    got = theory.realised_gamma_pnl([0.04, 0.04], [100.0, 101.0, 100.0], 0.2, times)
    assert got == pytest.approx(expect, rel=1e-13)
    # Against a plain loop over steps and paths, with per-step gamma and an (n+1)-row gamma.
    rng = np.random.default_rng(0)
    t = np.sort(np.concatenate([[0.0], rng.uniform(0, 1, 9)]))
    s = 100 * np.exp(np.cumsum(rng.normal(0, 0.05, (10, 4)), axis=0))
    g = rng.normal(0, 0.05, (10, 4))
    out = theory.realised_gamma_pnl(g, s, 0.3, t)
    for j in range(4):
        acc = 0.0
        for i in range(9):
            r = s[i + 1, j] / s[i, j] - 1
            acc += 0.5 * g[i, j] * s[i, j] ** 2 * (r * r - 0.09 * (t[i + 1] - t[i]))
        assert out[j] == pytest.approx(acc, rel=1e-12)


def test_realised_gamma_pnl_expectation_matches_gamma_pnl():
    # Statistics: with constant gamma S^2 (gamma = c / S^2) on GBM at realised 25% and implied
    # 20%, the mean equals 0.5 c (E[R^2]/dt - 0.2^2) T; E[R^2] = exp(sigma^2 dt) - 1 exactly.
    rng = np.random.default_rng(11)
    n, m, dt, c = 20, 20_000, 1 / 252, 400.0
    z = rng.standard_normal((n, m))
    s = 100 * np.exp(
        np.vstack([np.zeros(m), np.cumsum(0.25 * math.sqrt(dt) * z - 0.5 * 0.0625 * dt, axis=0)])
    )
    times = np.arange(n + 1) * dt
    out = theory.realised_gamma_pnl(c / s**2, s, 0.2, times)
    expect = 0.5 * c * ((math.expm1(0.0625 * dt)) / dt - 0.04) * n * dt
    assert expect == pytest.approx(theory.gamma_pnl(c / 100**2, 100.0, 0.25, 0.2, n * dt), rel=1e-3)
    se = out.std(ddof=1) / math.sqrt(m)
    assert abs(out.mean() - expect) < 3 * se


def test_realised_gamma_pnl_validation():
    with pytest.raises(HedgeLibError, match="times"):
        theory.realised_gamma_pnl([0.04], [100.0, 101.0], 0.2, [0.0, 0.5, 1.0])
    with pytest.raises(HedgeLibError, match="gamma"):
        theory.realised_gamma_pnl([0.04, 0.04, 0.04, 0.04], [100.0, 101.0], 0.2, [0.0, 1.0])
    with pytest.raises(HedgeLibError, match="increasing"):
        theory.realised_gamma_pnl([0.04], [100.0, 101.0], 0.2, [0.0, 0.0])
