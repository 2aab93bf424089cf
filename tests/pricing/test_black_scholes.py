"""Black-Scholes-Merton prices and greeks: references, QuantLib oracle, properties, limits."""

from __future__ import annotations

import importlib
import math
import warnings

import numpy as np
import pytest
import QuantLib as ql
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelib.conventions import HedgeLibError
from hedgelib.pricing.black_scholes import Greeks, bs_greeks, bs_price, bs_price_and_greeks

FIRST_ORDER = ("delta", "gamma", "vega", "theta", "rho")


# --- reference values -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kind", "expected", "places"),
    [
        # Hull, Options, Futures, and Other Derivatives, BSM chapter example:
        # S=42, K=40, r=10%, sigma=20%, T=0.5 -> call 4.76, put 0.81.
        ((42.0, 40.0, 0.5, 0.2, 0.1, 0.0), "call", 4.76, 2),
        ((42.0, 40.0, 0.5, 0.2, 0.1, 0.0), "put", 0.81, 2),
        # Haug (2007), The Complete Guide to Option Pricing Formulas, 1.1.1 (Black-Scholes
        # 1973): S=60, X=65, T=0.25, r=8%, sigma=30% -> call 2.1334.
        ((60.0, 65.0, 0.25, 0.3, 0.08, 0.0), "call", 2.1334, 4),
        # Haug 1.1.2 (Merton 1973, continuous dividend yield): S=100, X=95, T=0.5, r=10%,
        # q=5%, sigma=20% -> put 2.4648.
        ((100.0, 95.0, 0.5, 0.2, 0.1, 0.05), "put", 2.4648, 4),
        # Haug 1.1.3 (Black 1976 = BSM with q = r): F=19, X=19, T=0.75, r=10%, sigma=28%
        # -> call = put = 1.7011.
        ((19.0, 19.0, 0.75, 0.28, 0.1, 0.1), "call", 1.7011, 4),
        ((19.0, 19.0, 0.75, 0.28, 0.1, 0.1), "put", 1.7011, 4),
        # Haug 1.1.5 (Garman-Kohlhagen, q = foreign rate): S=1.56, X=1.60, T=0.5, r=6%,
        # rf=8%, sigma=12% -> call 0.0291.
        ((1.56, 1.60, 0.5, 0.12, 0.06, 0.08), "call", 0.0291, 4),
    ],
)
def test_price_reference_values(args, kind, expected, places):
    assert round(bs_price(*args, kind=kind), places) == pytest.approx(expected, abs=1e-12)


def test_greeks_hull_reference():
    # Hull, "The Greek Letters" chapter: S=49, K=50, r=5%, sigma=20%, T=20 weeks (0.3846):
    # delta 0.522, gamma 0.066, vega 12.1 (per 1.00 of vol), theta -4.31 per year, rho 8.91.
    g = bs_greeks(49.0, 50.0, 0.3846, 0.2, rate=0.05)
    assert round(g.delta, 3) == 0.522
    assert round(g.gamma, 3) == 0.066
    assert round(g.vega, 1) == 12.1
    assert round(g.theta, 2) == -4.31
    assert round(g.rho, 2) == 8.91


@pytest.mark.parametrize(
    ("args", "kind", "field", "expected"),
    [
        # Haug 2.1.1 delta: S=105, X=100, T=0.5, r=10%, b=0 (q=r), sigma=36%:
        # call delta 0.5946, put delta -0.3566.
        ((105.0, 100.0, 0.5, 0.36, 0.1, 0.1), "call", "delta", 0.5946),
        ((105.0, 100.0, 0.5, 0.36, 0.1, 0.1), "put", "delta", -0.3566),
        # Haug 2.2.1 gamma: S=55, X=60, T=0.75, r=b=10%, sigma=30% -> 0.0278.
        ((55.0, 60.0, 0.75, 0.3, 0.1, 0.0), "call", "gamma", 0.0278),
        # Haug 2.4.1 theta: S=430, X=405, T=0.0833, r=7%, b=2% (q=5%), sigma=20%:
        # put theta -31.1924 per year.
        ((430.0, 405.0, 0.0833, 0.2, 0.07, 0.05), "put", "theta", -31.1924),
        # Haug 2.5.1 rho: S=72, X=75, T=1, r=b=9%, sigma=19% -> call rho 38.7325.
        ((72.0, 75.0, 1.0, 0.19, 0.09, 0.0), "call", "rho", 38.7325),
    ],
)
def test_greeks_haug_reference(args, kind, field, expected):
    assert round(getattr(bs_greeks(*args, kind=kind), field), 4) == pytest.approx(expected)


# --- QuantLib oracle ---------------------------------------------------------------------


def _random_grid(n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    spot = rng.uniform(5.0, 500.0, n)
    # Moneyness up to +-4 total standard deviations' worth and beyond: deep OTM to deep ITM.
    strike = spot * np.exp(rng.uniform(-2.0, 2.0, n))
    time = np.exp(rng.uniform(math.log(1.0 / 365.0), math.log(5.0), n))
    vol = rng.uniform(0.05, 1.5, n)
    rate = rng.uniform(-0.02, 0.10, n)
    div = rng.uniform(-0.01, 0.06, n)
    return spot, strike, time, vol, rate, div


def _quantlib(kind, spot, strike, time, vol, rate, div):
    opt = ql.Option.Call if kind == "call" else ql.Option.Put
    out = {name: np.empty(spot.size) for name in ("price", *FIRST_ORDER)}
    for i in range(spot.size):
        fwd = spot[i] * math.exp((rate[i] - div[i]) * time[i])
        calc = ql.BlackCalculator(
            ql.PlainVanillaPayoff(opt, strike[i]),
            fwd,
            vol[i] * math.sqrt(time[i]),
            math.exp(-rate[i] * time[i]),
        )
        out["price"][i] = calc.value()
        out["delta"][i] = calc.delta(spot[i])
        out["gamma"][i] = calc.gamma(spot[i])
        out["vega"][i] = calc.vega(time[i])
        # QuantLib's theta is dV/dt for calendar time passing, per year: our convention.
        out["theta"][i] = calc.theta(spot[i], time[i])
        out["rho"][i] = calc.rho(time[i])
    return out


@pytest.mark.parametrize("kind", ["call", "put"])
def test_quantlib_oracle(kind):
    args = _random_grid(1500, seed=11 if kind == "call" else 12)
    ours_price, ours = bs_price_and_greeks(*args, kind=kind)
    ref = _quantlib(kind, *args)
    got = {"price": ours_price, **{name: getattr(ours, name) for name in FIRST_ORDER}}
    for name, want in ref.items():
        np.testing.assert_allclose(got[name], want, rtol=1e-9, atol=1e-12, err_msg=name)
    # The grid really spans deep out of to deep in the money.
    assert np.abs(ours.delta).min() < 1e-6 and np.abs(ours.delta).max() > 0.9


def test_second_order_greeks_match_finite_differences():
    rng = np.random.default_rng(5)
    n = 400
    s = rng.uniform(50.0, 150.0, n)
    k = rng.uniform(60.0, 140.0, n)
    t = rng.uniform(0.1, 3.0, n)
    v = rng.uniform(0.1, 0.8, n)
    r = rng.uniform(-0.02, 0.08, n)
    q = rng.uniform(0.0, 0.05, n)
    for kind in ("call", "put"):
        g = bs_greeks(s, k, t, v, r, q, kind)
        hs, hv, ht = 1e-4 * s, 1e-5, 1e-6
        dvega_ds = (
            bs_greeks(s + hs, k, t, v, r, q, kind).vega - bs_greeks(s - hs, k, t, v, r, q, kind).vega
        ) / (2 * hs)
        ddelta_dv = (
            bs_greeks(s, k, t, v + hv, r, q, kind).delta
            - bs_greeks(s, k, t, v - hv, r, q, kind).delta
        ) / (2 * hv)
        dvega_dv = (
            bs_greeks(s, k, t, v + hv, r, q, kind).vega - bs_greeks(s, k, t, v - hv, r, q, kind).vega
        ) / (2 * hv)
        # charm is for time passing: -d(delta)/dT.
        ddelta_dt = -(
            bs_greeks(s, k, t + ht, v, r, q, kind).delta
            - bs_greeks(s, k, t - ht, v, r, q, kind).delta
        ) / (2 * ht)
        np.testing.assert_allclose(g.vanna, dvega_ds, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(g.vanna, ddelta_dv, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(g.volga, dvega_dv, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(g.charm, ddelta_dt, rtol=1e-5, atol=1e-7)


# --- properties (Hypothesis) -----------------------------------------------------------

spots = st.floats(1.0, 1000.0)
moneyness = st.floats(-1.5, 1.5)
times = st.floats(1.0 / 365.0, 5.0)
vols = st.floats(0.05, 1.5)
rates = st.floats(-0.03, 0.15)
divs = st.floats(-0.02, 0.10)


@settings(max_examples=200, deadline=None)
@given(spots, moneyness, times, vols, rates, divs)
def test_put_call_parity_and_bounds(s, m, t, v, r, q):
    k = s * math.exp(m)
    c = bs_price(s, k, t, v, r, q, "call")
    p = bs_price(s, k, t, v, r, q, "put")
    sdq, kdr = s * math.exp(-q * t), k * math.exp(-r * t)
    assert c - p == pytest.approx(sdq - kdr, abs=1e-12 * (sdq + kdr))
    # A few ulps of slack: numpy's exp and math.exp may differ in the last bit.
    ulps = 4 * np.finfo(float).eps * (sdq + kdr)
    assert max(sdq - kdr, 0.0) - ulps <= c <= sdq + ulps
    assert max(kdr - sdq, 0.0) - ulps <= p <= kdr + ulps
    gc, gp = bs_greeks(s, k, t, v, r, q, "call"), bs_greeks(s, k, t, v, r, q, "put")
    assert gc.delta - gp.delta == pytest.approx(math.exp(-q * t), abs=1e-12)
    assert gc.gamma == gp.gamma and gc.vega == gp.vega


@settings(max_examples=150, deadline=None)
@given(spots, moneyness, times, vols, rates, divs, st.sampled_from(["call", "put"]))
def test_monotonicity(s, m, t, v, r, q, kind):
    k = s * math.exp(m)
    base = bs_price(s, k, t, v, r, q, kind)
    up_s = bs_price(s * 1.01, k, t, v, r, q, kind)
    up_k = bs_price(s, k * 1.01, t, v, r, q, kind)
    up_v = bs_price(s, k, t, v * 1.01, r, q, kind)
    # Deep in the money at low volatility the price is its forward intrinsic value to the last
    # digit, and a bump can move it by an ulp either way: allow a few.
    ulps = 4 * np.finfo(float).eps * max(s, k)
    if kind == "call":
        assert up_s >= base - ulps and up_k <= base + ulps
    else:
        assert up_s <= base + ulps and up_k >= base - ulps
    assert up_v >= base - ulps


@settings(max_examples=150, deadline=None)
@given(
    st.floats(50.0, 200.0), st.floats(-0.7, 0.7), st.floats(0.05, 3.0), st.floats(0.08, 1.0),
    rates, divs, st.sampled_from(["call", "put"]),
)
def test_first_order_greeks_are_finite_differences(s, m, t, v, r, q, kind):
    k = s * math.exp(m)
    g = bs_greeks(s, k, t, v, r, q, kind)

    def price(**bump):
        a = {"spot": s, "strike": k, "time_to_expiry": t, "volatility": v, "rate": r,
             "dividend_yield": q}
        for name, h in bump.items():
            a[name] += h
        return bs_price(kind=kind, **a)

    # Spot bumps scale with the distribution's width S sigma sqrt(T), where delta varies.
    hs, hv, ht, hr = 1e-3 * s * v * math.sqrt(t), 1e-5, 1e-6, 1e-6
    scale = s  # greeks times their bump are compared on the price scale
    # Central differences: truncation error ~ h^2 V'''/6, hence the relative tolerances.
    delta_fd = (price(spot=hs) - price(spot=-hs)) / (2 * hs)
    assert g.delta == pytest.approx(delta_fd, rel=1e-5, abs=1e-7)
    gamma_fd = (price(spot=hs) - 2 * price() + price(spot=-hs)) / hs**2
    assert g.gamma == pytest.approx(gamma_fd, rel=1e-4, abs=1e-7)
    assert g.vega == pytest.approx(
        (price(volatility=hv) - price(volatility=-hv)) / (2 * hv), abs=1e-6 * scale
    )
    assert g.theta == pytest.approx(
        -(price(time_to_expiry=ht) - price(time_to_expiry=-ht)) / (2 * ht), abs=1e-6 * scale
    )
    assert g.rho == pytest.approx(
        (price(rate=hr) - price(rate=-hr)) / (2 * hr), abs=1e-6 * scale
    )


# --- limits ------------------------------------------------------------------------------


def test_expiry_gives_payoff_and_step_delta():
    k = np.array([80.0, 100.0, 120.0])
    np.testing.assert_array_equal(bs_price(100.0, k, 0.0, 0.3, 0.05, 0.02), [20.0, 0.0, 0.0])
    np.testing.assert_array_equal(
        bs_price(100.0, k, 0.0, 0.3, 0.05, 0.02, "put"), [0.0, 0.0, 20.0]
    )
    gc = bs_greeks(100.0, k, 0.0, 0.3, 0.05, 0.02)
    gp = bs_greeks(100.0, k, 0.0, 0.3, 0.05, 0.02, "put")
    # Convention: delta is one half exactly at the money.
    np.testing.assert_array_equal(gc.delta, [1.0, 0.5, 0.0])
    np.testing.assert_array_equal(gp.delta, [0.0, -0.5, -1.0])
    for g in (gc, gp):
        for name in ("gamma", "vega", "theta", "rho", "vanna", "volga", "charm"):
            np.testing.assert_array_equal(getattr(g, name), 0.0, err_msg=name)


def test_zero_volatility_gives_discounted_forward_intrinsic():
    s, t, r, q = 100.0, 2.0, 0.05, 0.01
    k = np.array([90.0, 100.0, 110.0, 120.0])
    sdq, kdr = s * math.exp(-q * t), k * np.exp(-r * t)
    np.testing.assert_allclose(bs_price(s, k, t, 0.0, r, q), np.maximum(sdq - kdr, 0), atol=1e-13)
    np.testing.assert_allclose(
        bs_price(s, k, t, 0.0, r, q, "put"), np.maximum(kdr - sdq, 0), atol=1e-13
    )
    g = bs_greeks(s, k, t, 0.0, r, q)
    itm = sdq > kdr
    np.testing.assert_allclose(g.delta, np.where(itm, math.exp(-q * t), 0.0), atol=1e-15)
    np.testing.assert_allclose(g.rho, np.where(itm, k * t * np.exp(-r * t), 0.0), atol=1e-12)
    # theta = d/dt of S e^{-q(T-t)} - K e^{-r(T-t)} = q S e^{-qT} - r K e^{-rT} in the money.
    np.testing.assert_allclose(g.theta, np.where(itm, q * sdq - r * kdr, 0.0), atol=1e-12)
    np.testing.assert_array_equal(g.gamma, 0.0)
    # And the limit is continuous: a tiny volatility gives the same numbers.
    np.testing.assert_allclose(bs_price(s, k, t, 1e-9, r, q), bs_price(s, k, t, 0.0, r, q),
                               atol=1e-12)
    np.testing.assert_allclose(bs_greeks(s, k, t, 1e-9, r, q).delta, g.delta, atol=1e-12)


def test_short_expiry_converges_to_payoff():
    k = np.array([95.0, 105.0])
    for t in (1e-6, 1e-9, 1e-12):
        np.testing.assert_allclose(bs_price(100.0, k, t, 0.4), [5.0, 0.0], atol=1e-6)
    assert bs_price(100.0, 100.0, 1e-10, 0.2) == pytest.approx(
        100.0 * 0.2 * math.sqrt(1e-10) / math.sqrt(2 * math.pi), rel=1e-6
    )


def test_deep_wings_are_finite_without_warnings():
    s = 100.0
    k = np.array([1e-6, 1e-3, 1.0, 1e4, 1e6, 1e9])
    t = np.array([[1e-12], [1.0 / 365.0], [30.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kind in ("call", "put"):
            for vol in (1e-8, 0.2, 5.0):
                price, g = bs_price_and_greeks(s, k, t, vol, -0.05, 0.1, kind)
                assert np.isfinite(price).all() and (price >= 0).all()
                for name, val in g.as_dict().items():
                    assert np.isfinite(val).all(), (kind, vol, name)
    deep_call = bs_greeks(100.0, 1e-6, 1.0, 0.2)
    assert deep_call.delta == pytest.approx(1.0) and deep_call.gamma == 0.0
    assert bs_price(100.0, 1e6, 1.0, 0.2) == 0.0


# --- shapes, types, validation, Greeks arithmetic ---------------------------------------


def test_scalar_in_float_out_and_broadcasting():
    assert type(bs_price(100, 100, 1, 0.2)) is float
    g = bs_greeks(100, 100, 1, 0.2)
    assert all(type(v) is float for v in g.as_dict().values())
    out = bs_price(np.array([90.0, 100.0])[:, None], [80.0, 100.0, 120.0], 1.0, 0.2)
    assert out.shape == (2, 3)
    # Every greek has the full broadcast shape, even those that do not depend on the rate.
    g = bs_greeks(100.0, 100.0, 1.0, 0.2, rate=np.array([0.0, 0.01, 0.02]))
    assert all(np.shape(v) == (3,) for v in g.as_dict().values())
    np.testing.assert_allclose(out[1, 1], bs_price(100.0, 100.0, 1.0, 0.2), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"spot": 0.0}, "spot"),
        ({"spot": -1.0}, "spot"),
        ({"strike": -5.0}, "strike"),
        ({"time_to_expiry": -0.1}, "time_to_expiry"),
        ({"volatility": -0.2}, "volatility"),
        ({"volatility": float("nan")}, "volatility"),
        ({"rate": float("inf")}, "rate"),
        ({"dividend_yield": float("nan")}, "dividend_yield"),
        ({"kind": "straddle"}, "kind"),
        ({"spot": "100"}, "spot"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    args = {"spot": 100.0, "strike": 100.0, "time_to_expiry": 1.0, "volatility": 0.2,
            "rate": 0.0, "dividend_yield": 0.0, "kind": "call"}
    args.update(kwargs)
    for func in (bs_price, bs_greeks):
        with pytest.raises(HedgeLibError, match=name):
            func(**args)
    with pytest.raises(HedgeLibError, match=r"-0\.2"):
        bs_price(100.0, 100.0, 1.0, -0.2)
    with pytest.raises(HedgeLibError, match="broadcast"):
        bs_price([100.0, 101.0], [1.0, 2.0, 3.0], 1.0, 0.2)


def test_greeks_arithmetic():
    call = bs_greeks(100.0, 100.0, 1.0, 0.2, kind="call")
    put = bs_greeks(100.0, 100.0, 1.0, 0.2, kind="put")
    straddle = call + put
    assert straddle.delta == pytest.approx(call.delta + put.delta)
    assert straddle.gamma == pytest.approx(2 * call.gamma)
    short = -3 * call
    assert (call * -3).vega == short.vega == pytest.approx(-3 * call.vega)
    assert (straddle - put).theta == pytest.approx(call.theta)
    total = sum([call, put, call])
    assert total.vanna == pytest.approx(2 * call.vanna + put.vanna)
    z = Greeks.zeros()
    assert z.as_dict() == dict.fromkeys(
        ("delta", "gamma", "vega", "theta", "rho", "vanna", "volga", "charm"), 0.0
    )
    zs = Greeks.zeros((4,))
    assert zs.delta.shape == (4,) and (zs + call).delta[2] == pytest.approx(call.delta)
    legs = bs_greeks(100.0, np.array([90.0, 110.0]), 1.0, 0.2)
    weighted = np.array([2.0, -1.0]) * legs
    np.testing.assert_allclose(weighted.delta, legs.delta * [2.0, -1.0])
    assert list(call.as_dict()) == ["delta", "gamma", "vega", "theta", "rho", "vanna",
                                    "volga", "charm"]
    with pytest.raises(TypeError):
        call + 1.0  # noqa: B018
    with pytest.raises(AttributeError):
        call.delta = 0.0  # frozen


# --- first-order path, threads and fast validation ----------------------------------------

# The module itself (the package re-exports functions under the same names).
_bs_module = importlib.import_module("hedgelib.pricing.black_scholes")
_parallel = importlib.import_module("hedgelib._parallel")


def _mixed_market(n: int, seed: int):
    """Listed-like options with zero-volatility and expired ones scattered among them."""
    rng = np.random.default_rng(seed)
    strike = 100.0 * np.exp(rng.uniform(-0.5, 0.5, n))
    time = rng.uniform(1.0 / 365.0, 2.0, n)
    vol = rng.uniform(0.05, 0.8, n)
    time[rng.integers(0, n, 40)] = 0.0
    vol[rng.integers(0, n, 40)] = 0.0
    return (100.0, strike, time, vol, rng.uniform(-0.01, 0.06, n), rng.uniform(0.0, 0.04, n))


@pytest.mark.parametrize("kind", ["call", "put"])
def test_order_one_matches_the_full_greeks(kind):
    args = _mixed_market(3000, 7)
    price, full = bs_price_and_greeks(*args, kind=kind)
    price1, first = bs_price_and_greeks(*args, kind=kind, order=1)
    assert np.array_equal(price1, price)
    for name in FIRST_ORDER:
        assert np.array_equal(getattr(first, name), getattr(full, name)), name
    assert first.vanna is None and first.volga is None and first.charm is None
    # Sums keep the greeks that were computed and leave out the ones that were not.
    total = first + 2.0 * first
    assert np.allclose(total.delta, 3.0 * full.delta, rtol=1e-15, atol=0.0)
    assert total.charm is None
    assert (full + first).vanna is None


def test_order_must_be_one_or_two():
    for bad in (0, 3, True, 1.5):
        with pytest.raises(HedgeLibError, match="order"):
            bs_price_and_greeks(100.0, 100.0, 1.0, 0.2, order=bad)


@pytest.mark.parametrize("kind", ["call", "put"])
def test_threaded_blocks_are_bit_identical_to_one_thread(kind, monkeypatch):
    # Small blocks and no size threshold so that a modest input spans many blocks on the
    # pool, some of them holding zero-volatility or expired options.
    args = _mixed_market(20_000, 11)
    monkeypatch.setattr(_parallel, "BLOCK", 512)
    monkeypatch.setattr(_parallel, "PARALLEL_FROM", 10**12)
    one_price, one = bs_price_and_greeks(*args, kind=kind)
    one_price1, one1 = bs_price_and_greeks(*args, kind=kind, order=1)
    monkeypatch.setattr(_parallel, "PARALLEL_FROM", 0)
    calls = []
    real_pool = _parallel.shared_pool
    monkeypatch.setattr(_parallel, "shared_pool", lambda: calls.append(1) or real_pool())
    many_price, many = bs_price_and_greeks(*args, kind=kind)
    many_price1, many1 = bs_price_and_greeks(*args, kind=kind, order=1)
    assert calls, "the pool was not used"
    assert np.array_equal(one_price, many_price) and np.array_equal(one_price1, many_price1)
    for name in _bs_module._GREEK_NAMES:
        assert np.array_equal(getattr(one, name), getattr(many, name)), name
    for name in FIRST_ORDER:
        assert np.array_equal(getattr(one1, name), getattr(many1, name)), name
    # The limits are still exact inside the threaded blocks.
    expired = np.broadcast_to(args[2] == 0.0, many_price.shape)
    payoff = np.maximum((1.0 if kind == "call" else -1.0) * (100.0 - args[1]), 0.0)
    assert np.array_equal(many_price[expired], payoff[expired])


def test_no_fan_out_from_the_pool_itself_or_a_serial_block(monkeypatch):
    monkeypatch.setattr(_parallel, "BLOCK", 512)
    monkeypatch.setattr(_parallel, "PARALLEL_FROM", 0)
    calls = []
    real_pool = _parallel.shared_pool
    args = _mixed_market(5000, 3)
    # A task already on the pool runs its blocks itself: it never waits on its own pool.
    from_worker = real_pool().submit(bs_price, *args)
    monkeypatch.setattr(_parallel, "shared_pool", lambda: calls.append(1) or real_pool())
    from_worker = from_worker.result()
    with _parallel.serial():
        in_serial = bs_price(*args)
    assert not calls
    assert np.array_equal(from_worker, bs_price(*args)) and np.array_equal(in_serial, from_worker)
    assert calls


@pytest.mark.parametrize(
    ("position", "name", "bad"),
    [
        (0, "spot", -1.0),
        (1, "strike", 0.0),
        (2, "time_to_expiry", -1e-9),
        (3, "volatility", np.nan),
        (4, "rate", np.inf),
        (5, "dividend_yield", -np.inf),
    ],
)
def test_large_arrays_are_validated_like_small_ones(position, name, bad):
    n = 50_000  # above the block size, where validation takes its two-pass shortcut
    args = [np.full(n, 100.0), np.full(n, 100.0), np.full(n, 1.0), np.full(n, 0.2),
            np.full(n, 0.01), np.full(n, 0.0)]
    args[position][31_337] = bad
    with pytest.raises(HedgeLibError, match=f"{name}.*31337"):
        bs_price_and_greeks(*args)
    # Exactly the boundary values the validators accept pass the shortcut too.
    args[position][31_337] = 0.0 if name in ("time_to_expiry", "volatility", "rate",
                                              "dividend_yield") else 1.0
    assert np.isfinite(bs_price(*args)).all()


@pytest.mark.parametrize(("spot", "where"), [
    ([100.0, -1.0, 3.0], "got -1.0 at index 1"),  # a vector's index as a number, not "(1,)"
    ([[100.0, 2.0], [3.0, -4.0]], r"got -4.0 at index \(1, 1\)"),
    ([100.0, float("nan")], "got NaN at index 1"),
])
def test_the_first_bad_element_is_located_in_words(spot, where):
    with pytest.raises(HedgeLibError, match=where):
        bs_price(spot, 100.0, 1.0, 0.2)
