"""Implied volatility: round trips over wide grids, bounds, NaN outside them, validation."""

from __future__ import annotations

import importlib
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelib.conventions import HedgeLibError
from hedgelib.pricing.black_scholes import bs_greeks, bs_price
from hedgelib.pricing.implied_vol import implied_vol, no_arbitrage_bounds

EPS = np.finfo(float).eps


def _wide_grid(n: int, seed: int):
    rng = np.random.default_rng(seed)
    spot = 100.0
    strike = spot * np.exp(rng.uniform(-3.0, 3.0, n))  # deep wings both sides
    time = np.exp(rng.uniform(math.log(1.0 / 365.0), math.log(5.0), n))
    time[: n // 10] = 1.0 / 365.0  # a block of one-day expiries
    vol = rng.uniform(0.05, 1.5, n)
    rate = rng.uniform(-0.02, 0.10, n)
    div = rng.uniform(0.0, 0.05, n)
    return spot, strike, time, vol, rate, div


@pytest.mark.parametrize("kind", ["call", "put"])
def test_round_trip_wide_grid(kind):
    s, k, t, v, r, q = _wide_grid(200_000, seed=1 if kind == "call" else 2)
    price = bs_price(s, k, t, v, r, q, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        iv = implied_vol(price, s, k, t, r, q, kind)
    vega = bs_greeks(s, k, t, v, r, q, kind).vega
    sdq, kdr = s * np.exp(-q * t), k * np.exp(-r * t)
    w = 1.0 if kind == "call" else -1.0
    otm = w * (sdq - kdr) <= 0
    lower, upper = no_arbitrage_bounds(s, k, t, r, q, kind)
    inside = (price > lower) & (price < upper)

    # Every price strictly inside the bounds has a volatility: no failures, no NaN.
    assert np.isfinite(iv[inside]).all()
    assert np.isnan(iv[~inside]).all()

    informative = vega > 1e-8 * s
    assert informative.sum() > 90_000 and (informative & (t == 1.0 / 365.0)).sum() > 1_000
    # Out of and at the money the price pins sigma far below 1e-10.
    err = np.abs(iv - v)
    assert err[informative & otm].max() <= 1e-10
    # In the money the price carries the intrinsic value: its own rounding error
    # (a few ulps of S e^{-qT} + K e^{-rT}) limits sigma to that error over vega.
    itm = informative & ~otm
    resolution = 8 * EPS * (sdq + kdr)[itm] / vega[itm]
    assert (err[itm] <= 1e-10 + resolution).all()
    assert np.median(err[itm]) < 1e-10
    # And the volatility found reprices the option to within that rounding everywhere.
    ok = inside & np.isfinite(iv)
    repriced = bs_price(s, k[ok], t[ok], iv[ok], r[ok], q[ok], kind)
    assert np.all(np.abs(repriced - price[ok]) <= 8 * EPS * (sdq + kdr)[ok])


def test_round_trip_extreme_cases():
    s = 100.0
    # Deep wings with tiny prices, one-day and one-hour expiries, huge and tiny vols.
    k = np.array([1.0, 20.0, 60.0, 99.0, 100.0, 101.0, 150.0, 500.0, 5000.0])
    t = np.array([[1.0 / 365.0], [1.0 / (365.0 * 24.0)], [0.25], [30.0]])
    for v in (0.01, 0.2, 1.0, 4.0):
        for kind in ("call", "put"):
            price = bs_price(s, k, t, v, 0.03, 0.01, kind)
            iv = implied_vol(price, s, k, t, 0.03, 0.01, kind)
            lower, upper = no_arbitrage_bounds(s, k, t, 0.03, 0.01, kind)
            inside = (price > lower) & (price < upper)
            assert np.isfinite(iv[inside]).all()
            vega = bs_greeks(s, k, t, v, 0.03, 0.01, kind).vega
            sdq, kdr = s * np.exp(-0.01 * t), k * np.exp(-0.03 * t)
            good = inside & (vega > 1e-8 * s)
            tol = 1e-10 + 8 * EPS * (sdq + kdr) / np.where(vega > 0, vega, 1.0)
            assert (np.abs(iv - v)[good] <= tol[good]).all(), (v, kind)


def test_tiny_out_of_the_money_prices_still_invert():
    # A 10-standard-deviation call: price ~1e-25, far below anything vega-based methods see.
    s, k, t, v = 100.0, 100.0 * math.exp(10 * 0.2), 1.0, 0.2
    price = bs_price(s, k, t, v)
    assert 0 < price < 1e-20
    assert implied_vol(price, s, k, t) == pytest.approx(v, rel=1e-9)
    # The smallest positive price still has a (small) volatility.
    assert 0 < implied_vol(5e-324, 100.0, 150.0, 1.0) < 0.1


def test_reference_value():
    # Hull's example S=42, K=40, r=10%, T=0.5: a call worth 4.76 implies about 20% vol
    # (4.7594 at exactly 20%).
    assert implied_vol(4.76, 42.0, 40.0, 0.5, rate=0.1) == pytest.approx(0.2, abs=1e-3)
    # At the money with r = q = 0 the inversion is closed form: C = S (2 N(sigma sqrt T / 2) - 1).
    price = 100.0 * (2 * 0.5 * (1 + math.erf(0.3 / 2 / math.sqrt(2))) - 1)
    assert implied_vol(price, 100.0, 100.0, 1.0) == pytest.approx(0.3, abs=1e-13)


def test_nan_at_and_outside_bounds():
    s, k, t, r, q = 100.0, 90.0, 0.5, 0.05, 0.02
    lower, upper = no_arbitrage_bounds(s, k, t, r, q, "call")
    assert lower == pytest.approx(s * math.exp(-q * t) - k * math.exp(-r * t))
    assert upper == pytest.approx(s * math.exp(-q * t))
    prices = np.array([0.0, lower * 0.5, lower, upper, upper * 1.5, 1e6])
    assert np.isnan(implied_vol(prices, s, k, t, r, q)).all()
    plow, pup = no_arbitrage_bounds(s, k, t, r, q, "put")
    assert plow == 0.0 and pup == pytest.approx(k * math.exp(-r * t))
    assert np.isnan(implied_vol([0.0, pup, 2 * pup], s, k, t, r, q, "put")).all()
    # Expired options: no volatility changes the value.
    assert math.isnan(implied_vol(10.5, 100.0, 90.0, 0.0))
    # Just inside both bounds: finite.
    inside = implied_vol([lower * (1 + 1e-9), upper * (1 - 1e-9)], s, k, t, r, q)
    assert np.isfinite(inside).all() and inside[0] < 0.05 and inside[1] > 2.0


def test_bounds_shapes_and_scalars():
    lower, upper = no_arbitrage_bounds(100.0, [90.0, 110.0], 1.0)
    np.testing.assert_allclose(lower, [10.0, 0.0])
    np.testing.assert_allclose(upper, [100.0, 100.0])
    lo, up = no_arbitrage_bounds(100.0, 110.0, 1.0, kind="put")
    assert type(lo) is float and (lo, up) == (10.0, 110.0)
    assert type(implied_vol(10.0, 100.0, 100.0, 1.0)) is float
    out = implied_vol(np.full((2, 3), 8.0), 100.0, [95.0, 100.0, 105.0], [[0.5], [1.0]])
    assert out.shape == (2, 3) and np.isfinite(out).all()


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"price": -1.0}, "price"),
        ({"price": float("nan")}, "price"),
        ({"price": float("inf")}, "price"),
        ({"spot": 0.0}, "spot"),
        ({"strike": -100.0}, "strike"),
        ({"time_to_expiry": -1.0}, "time_to_expiry"),
        ({"rate": float("nan")}, "rate"),
        ({"kind": "forward"}, "kind"),
    ],
)
def test_validation(kwargs, pattern):
    args = {"price": 10.0, "spot": 100.0, "strike": 100.0, "time_to_expiry": 1.0,
            "rate": 0.0, "dividend_yield": 0.0, "kind": "call"}
    args.update(kwargs)
    with pytest.raises(HedgeLibError, match=pattern):
        implied_vol(**args)
    with pytest.raises(HedgeLibError, match=r"-1\.0"):
        implied_vol(-1.0, 100.0, 100.0, 1.0)
    if "price" not in kwargs:
        bounds_args = {key: val for key, val in args.items() if key != "price"}
        with pytest.raises(HedgeLibError, match=pattern):
            no_arbitrage_bounds(**bounds_args)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(1.0, 1000.0),
    st.floats(-2.0, 2.0),
    st.floats(1.0 / 365.0, 10.0),
    st.floats(0.01, 3.0),
    st.floats(-0.03, 0.15),
    st.floats(-0.02, 0.10),
    st.sampled_from(["call", "put"]),
)
def test_round_trip_property(s, m, t, v, r, q, kind):
    k = s * math.exp(m)
    price = bs_price(s, k, t, v, r, q, kind)
    lower, upper = no_arbitrage_bounds(s, k, t, r, q, kind)
    iv = implied_vol(price, s, k, t, r, q, kind)
    if not lower < price < upper:
        assert math.isnan(iv)
        return
    assert math.isfinite(iv)
    vega = bs_greeks(s, k, t, v, r, q, kind).vega
    scale = s * math.exp(-q * t) + k * math.exp(-r * t)
    if vega > 1e-8 * s:
        assert abs(iv - v) <= 1e-10 + 8 * EPS * scale / vega
    assert bs_price(s, k, t, iv, r, q, kind) == pytest.approx(price, abs=8 * EPS * scale)


def test_threaded_blocks_are_bit_identical_to_one_thread(monkeypatch):
    parallel = importlib.import_module("hedgelib._parallel")
    spot, strike, time, vol, rate, div = _wide_grid(6000, 5)
    price = bs_price(spot, strike, time, vol, rate, div, "put")
    price[::97] = 0.0  # below the bounds: NaN, in blocks that are otherwise solved
    # Small blocks and no size threshold so that a modest input spans many pool tasks.
    monkeypatch.setattr(parallel, "BLOCK", 256)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10**12)
    one = implied_vol(price, spot, strike, time, rate, div, "put")
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)
    calls = []
    real_pool = parallel.shared_pool
    monkeypatch.setattr(parallel, "shared_pool", lambda: calls.append(1) or real_pool())
    many = implied_vol(price, spot, strike, time, rate, div, "put")
    assert calls, "the pool was not used"
    assert np.array_equal(one, many, equal_nan=True)
    assert np.isnan(many[::97]).all()
    informative = (price > 0.0) & (bs_greeks(spot, strike, time, vol, rate, div, "put").vega
                                   > 1e-6 * spot)
    assert np.max(np.abs(many - vol)[informative]) < 1e-7


def test_large_price_array_is_validated_like_a_small_one():
    n = 40_000  # above the block size, where validation takes its two-pass shortcut
    price = np.full(n, 8.0)
    price[12_345] = -1.0
    with pytest.raises(HedgeLibError, match="price.*12345"):
        implied_vol(price, 100.0, 100.0, 1.0)
    price[12_345] = np.nan
    with pytest.raises(HedgeLibError, match="price"):
        implied_vol(price, 100.0, 100.0, 1.0)
    price[12_345] = 0.0  # allowed, and below the bounds
    out = implied_vol(price, 100.0, 100.0, 1.0)
    assert np.isnan(out[12_345]) and np.isfinite(np.delete(out, 12_345)).all()
