"""Tests for hedgelib.book: legs, books, presets, expiry statistics and scenario grids."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from hedgelib.book import (
    PRESETS,
    Book,
    ExpiryStatistics,
    OptionLeg,
    expiry_statistics,
    greeks_profile,
    preset_book,
    scenario_pnl,
)
from hedgelib.conventions import HedgeLibError
from hedgelib.pricing.black_scholes import bs_greeks, bs_price

GREEKS = ("delta", "gamma", "vega", "theta", "rho", "vanna", "volga", "charm")


def pnl_at_expiry(book: Book, s_t, *, spot, volatility, rate=0.0, dividend_yield=0.0):
    """Independent P&L at a single expiry: payoff minus premium carried as documented."""
    t = book.expiry
    premium = book.value(spot, volatility, rate=rate, dividend_yield=dividend_yield)
    options = premium - book.stock * spot
    cost = options * math.exp(rate * t) + book.stock * spot * math.exp((rate - dividend_yield) * t)
    return np.asarray(book.payoff(s_t)) - cost


# ---------------------------------------------------------------------------------------------
# legs


def test_leg_values_match_hull_example():
    # Hull, Options Futures and Other Derivatives, Example 15.6: S=42, K=40, r=10%, sigma=20%,
    # T=0.5 gives a call of 4.76 and a put of 0.81.
    call = OptionLeg("call", 40.0, 0.5, 1.0)
    put = OptionLeg("put", 40.0, 0.5, 1.0)
    assert call.value(42.0, 0.2, rate=0.1) == pytest.approx(4.76, abs=5e-3)
    assert put.value(42.0, 0.2, rate=0.1) == pytest.approx(0.81, abs=5e-3)
    short = OptionLeg("Call", 40.0, 0.5, -3.0)
    assert short.kind == "call"
    assert short.value(42.0, 0.2, rate=0.1) == pytest.approx(-3.0 * call.value(42.0, 0.2, rate=0.1))
    assert isinstance(call.value(42.0, 0.2), float)


def test_leg_after_expiry_is_intrinsic_with_step_delta():
    call = OptionLeg("call", 100.0, 0.25, 2.0)
    put = OptionLeg("put", 100.0, 0.25, -1.0)
    spots = np.array([90.0, 100.0, 110.0])
    for t in (0.25, 0.4):
        assert call.value(spots, 0.2, time=t) == pytest.approx([0.0, 0.0, 20.0])
        assert put.value(spots, 0.2, time=t) == pytest.approx([-10.0, 0.0, 0.0])
        gc = call.greeks(spots, 0.2, time=t)
        gp = put.greeks(spots, 0.2, time=t)
        # the step, one half at the strike (as bs_greeks at zero maturity), times the quantity
        assert gc.delta == pytest.approx([0.0, 1.0, 2.0])
        assert gp.delta == pytest.approx([1.0, 0.5, 0.0])
        assert gc.delta == pytest.approx(2.0 * np.asarray(bs_greeks(spots, 100.0, 0.0, 0.2).delta))
        for name in GREEKS[1:]:
            assert np.all(np.asarray(getattr(gc, name)) == 0.0)
    # just before expiry the value converges to the payoff
    assert call.value(spots, 0.2, time=0.25 - 1e-9) == pytest.approx([0.0, 0.0, 20.0], abs=1e-3)
    assert call.payoff(spots) == pytest.approx([0.0, 0.0, 20.0])
    assert put.payoff(0.0) == -100.0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("cal", 100, 1, 1), "kind"),
        (("call", -5, 1, 1), "strike"),
        (("call", 0, 1, 1), "strike"),
        (("put", 100, 0, 1), "expiry"),
        (("put", 100, -1, 1), "expiry"),
        (("put", 100, 1, 0), "quantity"),
        (("put", 100, 1, math.nan), "quantity"),
        (("put", 100, 1, math.inf), "quantity"),
        (("put", [100, 110], 1, 1), "strike"),
    ],
)
def test_leg_validation_names_argument(args, needle):
    with pytest.raises(HedgeLibError, match=needle):
        OptionLeg(*args)


def test_leg_is_hashable_and_frozen():
    leg = OptionLeg("put", 95, 0.5, -1)
    assert leg == OptionLeg("put", 95.0, 0.5, -1.0)
    assert hash(leg) == hash(OptionLeg("PUT", 95.0, 0.5, -1.0))
    with pytest.raises(AttributeError):
        leg.strike = 100.0  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# books: valuation and greeks


def test_book_value_broadcasts_over_spot_vol_time():
    book = preset_book("butterfly", 100.0, 0.5)
    spot = np.array([90.0, 100.0, 110.0])[:, None, None]
    vol = np.array([0.1, 0.3])[None, :, None]
    time = np.array([0.0, 0.25, 0.6])[None, None, :]
    v = book.value(spot, vol, time=time, rate=0.02)
    assert v.shape == (3, 2, 3)
    for i, j, k in [(0, 0, 0), (1, 1, 1), (2, 0, 1)]:
        expected = sum(
            leg.quantity
            * bs_price(
                spot[i, 0, 0], leg.strike, 0.5 - time[0, 0, k], vol[0, j, 0], 0.02, 0.0, leg.kind
            )
            for leg in book.legs
        )
        assert v[i, j, k] == pytest.approx(expected, rel=1e-12)
    # after expiry every leg is intrinsic: value equals the payoff, whatever the vol
    assert v[:, :, 2] == pytest.approx(np.repeat(book.payoff(spot[:, 0, 0])[:, None], 2, axis=1))


def test_multi_expiry_book_between_expiries():
    book = preset_book("calendar_spread", 100.0, 0.25, far_expiry=0.75)
    s = np.array([80.0, 100.0, 125.0])
    v = book.value(s, 0.25, time=0.5, rate=0.03, dividend_yield=0.01)
    near = -np.maximum(s - 100.0, 0.0)
    far = bs_price(s, 100.0, 0.25, 0.25, 0.03, 0.01, "call")
    assert v == pytest.approx(near + far, rel=1e-12)
    assert book.first_expiry == 0.25 and book.expiry == 0.75
    assert book.expiries == (0.25, 0.75)


def test_covered_call_value_is_stock_plus_short_call():
    book = preset_book("covered_call", 100.0, 0.5, width=0.05)
    s = np.linspace(70.0, 130.0, 7)
    call = bs_price(s, 105.0, 0.5, 0.3, 0.04, 0.02, "call")
    assert book.value(s, 0.3, rate=0.04, dividend_yield=0.02) == pytest.approx(s - call, rel=1e-12)
    g = book.greeks(s, 0.3, rate=0.04, dividend_yield=0.02)
    gc = bs_greeks(s, 105.0, 0.5, 0.3, 0.04, 0.02, "call")
    assert g.delta == pytest.approx(1.0 - np.asarray(gc.delta), rel=1e-12)
    assert g.gamma == pytest.approx(-np.asarray(gc.gamma), rel=1e-12)


def test_book_greeks_match_finite_differences():
    book = Book([OptionLeg("call", 95, 0.4, 2.0), OptionLeg("put", 105, 0.9, -1.5)], stock=-0.5)
    s, sig, t, r, q = 101.0, 0.27, 0.1, 0.03, 0.01
    kw = dict(rate=r, dividend_yield=q)
    g = book.greeks(s, sig, time=t, **kw)
    h = 1e-4  # central differences: truncation O(h^2), round-off O(eps / h), both below 1e-7

    def v(**over):
        args = dict(spot=s, volatility=sig, time=t, **kw) | over
        spot, vol = args.pop("spot"), args.pop("volatility")
        return book.value(spot, vol, **args)

    assert g.delta == pytest.approx((v(spot=s + h) - v(spot=s - h)) / (2 * h), rel=1e-6)
    hg = 1e-2
    assert g.gamma == pytest.approx((v(spot=s + hg) - 2 * v() + v(spot=s - hg)) / hg**2, rel=1e-5)
    assert g.vega == pytest.approx(
        (v(volatility=sig + h) - v(volatility=sig - h)) / (2 * h), rel=1e-6
    )
    # theta is the derivative in calendar time: time elapsed moves forward
    assert g.theta == pytest.approx((v(time=t + h) - v(time=t - h)) / (2 * h), rel=1e-5)
    assert g.rho == pytest.approx((v(rate=r + h) - v(rate=r - h)) / (2 * h), rel=1e-6)


def test_leg_table_sums_to_book():
    book = preset_book("collar", 100.0, 0.5, quantity=3.0)
    table = book.leg_table(102.0, 0.22, rate=0.01)
    assert list(table.columns) == ["leg", "kind", "strike", "expiry", "quantity", "value", *GREEKS]
    assert list(table["kind"]) == ["put", "call", "stock"]
    assert table["value"].sum() == pytest.approx(book.value(102.0, 0.22, rate=0.01), rel=1e-12)
    g = book.greeks(102.0, 0.22, rate=0.01)
    for name in GREEKS:
        assert table[name].sum() == pytest.approx(getattr(g, name), rel=1e-12, abs=1e-12)
    assert len(book.leg_table(102.0, 0.22, include_stock=False)) == 2
    assert book.leg_values(102.0, 0.22).shape == (2,)
    assert [lg.delta for lg in book.leg_greeks(102.0, 0.22, rate=0.01)] == pytest.approx(
        table["delta"].iloc[:2].tolist()
    )


legs_strategy = st.builds(
    OptionLeg,
    kind=st.sampled_from(["call", "put"]),
    strike=st.floats(50.0, 150.0),
    expiry=st.floats(0.05, 2.0),
    quantity=st.floats(-5.0, 5.0).filter(lambda x: abs(x) > 1e-3),
)


@settings(max_examples=30, deadline=None)
@given(
    legs=st.lists(legs_strategy, min_size=1, max_size=4),
    stock=st.floats(-3.0, 3.0),
    k=st.floats(-4.0, 4.0).filter(lambda x: abs(x) > 1e-3),
    spot=st.floats(60.0, 140.0),
    vol=st.floats(0.05, 0.8),
    time=st.floats(0.0, 1.0),
)
def test_book_is_sum_of_legs_and_linear_in_quantity(legs, stock, k, spot, vol, time):
    book = Book(iter(legs), stock=stock)
    kw = dict(time=time, rate=0.02, dividend_yield=0.01)
    total = sum(leg.value(spot, vol, **kw) for leg in legs) + stock * spot
    assert book.value(spot, vol, **kw) == pytest.approx(total, rel=1e-12, abs=1e-10)
    g, gk = book.greeks(spot, vol, **kw), book.scaled(k).greeks(spot, vol, **kw)
    for name in GREEKS:
        assert getattr(gk, name) == pytest.approx(k * getattr(g, name), rel=1e-9, abs=1e-9)
    assert book.scaled(k).value(spot, vol, **kw) == pytest.approx(
        k * book.value(spot, vol, **kw), rel=1e-9, abs=1e-9
    )


# ---------------------------------------------------------------------------------------------
# books: structure, empty books, conversions


def test_book_structure_helpers():
    book = Book([OptionLeg("call", 100, 1.0, 1.0)])
    assert len(book) == 1 and not book.is_empty
    book2 = book.with_leg(OptionLeg("put", 90, 0.5, -1.0)).with_stock(2.0)
    assert len(book2) == 2 and book2.stock == 2.0
    assert book2.first_expiry == 0.5 and book2.expiry == 1.0
    assert book2.without_leg(0).legs == (OptionLeg("put", 90, 0.5, -1.0),)
    assert book2.scaled(-1).stock == -2.0
    assert book2.scaled(-1).legs[1].quantity == 1.0
    assert hash(book2) == hash(Book(list(book2.legs), 2.0))
    with pytest.raises(HedgeLibError, match="k must be non-zero"):
        book.scaled(0)
    with pytest.raises(HedgeLibError, match=r"legs\[2\] must be an OptionLeg"):
        Book([book.legs[0], ("call", 100, 1, 1)])


def test_empty_book_is_allowed_but_not_usable():
    empty = Book([])
    assert empty.is_empty and len(empty) == 0
    assert empty.to_frame().empty and list(empty.to_frame().columns) == [
        "kind",
        "strike",
        "expiry",
        "quantity",
    ]
    msg = "the book is empty: add a leg or a stock position"
    calls = [
        lambda: empty.value(100.0, 0.2),
        lambda: empty.greeks(100.0, 0.2),
        lambda: empty.payoff(100.0),
        lambda: empty.expiry,
        lambda: empty.leg_table(100.0, 0.2),
        lambda: expiry_statistics(empty, spot=100.0, volatility=0.2),
        lambda: scenario_pnl(
            empty, spot=100.0, volatility=0.2, spot_grid=[100.0], volatility_grid=[0.2]
        ),
        lambda: greeks_profile(empty, spot_grid=[100.0], volatility=0.2),
    ]
    for call in calls:
        with pytest.raises(HedgeLibError, match=msg):
            call()
    # a stock-only book has a value and delta, but no expiry
    stock_only = Book([], stock=2.0)
    assert stock_only.value(50.0, 0.2) == 100.0
    assert stock_only.greeks(50.0, 0.2).delta == 2.0
    with pytest.raises(HedgeLibError, match="no expiry"):
        _ = stock_only.expiry


@settings(max_examples=30, deadline=None)
@given(legs=st.lists(legs_strategy, min_size=0, max_size=5), stock=st.floats(-10.0, 10.0))
def test_frame_and_dict_round_trips(legs, stock):
    book = Book(legs, stock)
    frame = book.to_frame()
    assert list(frame.columns) == ["kind", "strike", "expiry", "quantity"]
    assert Book.from_frame(frame, stock=stock) == book
    assert Book.from_dict(json.loads(json.dumps(book.to_dict()))) == book


def test_from_frame_skips_blank_rows_and_reads_editor_cells():
    frame = pd.DataFrame(
        {
            "Kind": ["call", None, " Put ", ""],
            "strike": [100.0, np.nan, "95", None],
            "expiry": [0.5, None, 0.5, np.nan],
            "quantity": [1.0, np.nan, -2, pd.NA],
        }
    )
    book = Book.from_frame(frame, stock=1.0)
    assert book == Book([OptionLeg("call", 100, 0.5, 1), OptionLeg("put", 95, 0.5, -2)], 1.0)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"kind": "call", "strike": -5.0, "expiry": 0.5, "quantity": 1.0},
            "leg 2: strike must be positive",
        ),
        (
            {"kind": "straddle", "strike": 5.0, "expiry": 0.5, "quantity": 1.0},
            "leg 2: kind must be 'call' or 'put'",
        ),
        (
            {"kind": "put", "strike": 100.0, "expiry": 0.0, "quantity": 1.0},
            "leg 2: expiry must be positive",
        ),
        (
            {"kind": "put", "strike": 100.0, "expiry": 1.0, "quantity": 0.0},
            "leg 2: quantity must be non-zero",
        ),
        (
            {"kind": "put", "strike": "abc", "expiry": 1.0, "quantity": 1.0},
            "leg 2: strike must be a number, got 'abc'",
        ),
        (
            {"kind": "put", "strike": np.nan, "expiry": 1.0, "quantity": 1.0},
            "leg 2: strike is missing",
        ),
        (
            {"kind": None, "strike": 100.0, "expiry": None, "quantity": 1.0},
            "leg 2: kind and expiry are missing",
        ),
    ],
)
def test_from_frame_errors_name_leg_and_column(row, message):
    first = {"kind": "call", "strike": 100.0, "expiry": 0.5, "quantity": 1.0}
    frame = pd.DataFrame([first, row])
    with pytest.raises(HedgeLibError) as info:
        Book.from_frame(frame)
    assert str(info.value).startswith(message)
    with pytest.raises(HedgeLibError) as info:
        Book.from_dict({"legs": [first, row], "stock": 0.0})
    assert str(info.value).startswith(message)


def test_from_frame_and_from_dict_refuse_bad_shapes():
    with pytest.raises(HedgeLibError, match="missing: expiry"):
        Book.from_frame(pd.DataFrame({"kind": ["call"], "strike": [1.0], "quantity": [1.0]}))
    with pytest.raises(HedgeLibError, match="DataFrame"):
        Book.from_frame([{"kind": "call"}])  # type: ignore[arg-type]
    with pytest.raises(HedgeLibError, match="unknown book keys"):
        Book.from_dict({"legs": [], "stocks": 1.0})
    with pytest.raises(HedgeLibError, match="leg 1: unknown keys"):
        Book.from_dict(
            {"legs": [{"kind": "call", "strike": 1, "expiry": 1, "quantity": 1, "x": 2}]}
        )
    with pytest.raises(HedgeLibError, match="stock must be finite"):
        Book.from_frame(
            pd.DataFrame(columns=["kind", "strike", "expiry", "quantity"]), stock=math.inf
        )


# ---------------------------------------------------------------------------------------------
# presets

S, W = 100.0, 0.10
PROBE = np.array([50.0, 90.0, 100.0, 110.0, 150.0])
# Payoff at expiry at PROBE for quantity 1, spot 100, width 0.10, worked out by hand from the
# strike layout in the preset_book docstring (Hull 2021, ch. 12 figures).
EXPECTED_PAYOFF = {
    "long_call": [0, 0, 0, 10, 50],
    "short_call": [0, 0, 0, -10, -50],
    "long_put": [50, 10, 0, 0, 0],
    "short_put": [-50, -10, 0, 0, 0],
    "straddle": [50, 10, 0, 10, 50],
    "short_straddle": [-50, -10, 0, -10, -50],
    "strangle": [40, 0, 0, 0, 40],
    "short_strangle": [-40, 0, 0, 0, -40],
    "bull_call_spread": [0, 0, 0, 10, 10],
    "bear_put_spread": [10, 10, 0, 0, 0],
    "butterfly": [0, 0, 10, 0, 0],
    "iron_condor": [-10, 0, 0, 0, -10],
    "collar": [90, 90, 100, 110, 110],
    "covered_call": [50, 90, 100, 110, 110],
    "protective_put": [90, 90, 100, 110, 150],
    "risk_reversal": [-40, 0, 0, 0, 40],
    "calendar_spread": [0, 0, 0, 0, 0],
}


def test_every_preset_is_described_and_has_expected_payoff():
    assert set(PRESETS) == set(EXPECTED_PAYOFF)
    for name, desc in PRESETS.items():
        assert isinstance(desc, str) and desc and "\n" not in desc
        book = preset_book(name, S, 0.5, width=W)
        assert not book.is_empty
        assert book.payoff(PROBE) == pytest.approx(EXPECTED_PAYOFF[name], abs=1e-12), name
        doubled = preset_book(name, S, 0.5, width=W, quantity=2.0)
        assert doubled.payoff(PROBE) == pytest.approx(
            2 * np.array(EXPECTED_PAYOFF[name]), abs=1e-12
        )
        assert book.value(S, 0.2) == pytest.approx(
            sum(leg.value(S, 0.2) for leg in book.legs) + book.stock * S
        )


def test_preset_details_and_errors():
    cal = preset_book("calendar_spread", 100.0, 0.25)
    assert [(g.kind, g.strike, g.expiry, g.quantity) for g in cal.legs] == [
        ("call", 100.0, 0.25, -1.0),
        ("call", 100.0, 0.5, 1.0),
    ]
    assert preset_book("calendar_spread", 100.0, 0.25, far_expiry=1.0).expiry == 1.0
    assert preset_book("iron_condor", 100.0, 1.0, width=0.2).strikes == pytest.approx(
        (60, 80, 120, 140)
    )
    with pytest.raises(HedgeLibError, match="far_expiry must be later"):
        preset_book("calendar_spread", 100.0, 0.25, far_expiry=0.25)
    with pytest.raises(HedgeLibError, match="valid names: long_call, short_call"):
        preset_book("condor", 100.0, 0.5)
    with pytest.raises(HedgeLibError, match="width"):
        preset_book("iron_condor", 100.0, 0.5, width=0.5)
    with pytest.raises(HedgeLibError, match="width"):
        preset_book("strangle", 100.0, 0.5, width=1.0)
    with pytest.raises(HedgeLibError, match="quantity"):
        preset_book("strangle", 100.0, 0.5, quantity=-1.0)
    with pytest.raises(HedgeLibError, match="spot"):
        preset_book("strangle", 0.0, 0.5)


# ---------------------------------------------------------------------------------------------
# expiry statistics


def test_straddle_breakevens_are_strike_plus_minus_grown_premium():
    r, t = 0.05, 0.5
    book = preset_book("straddle", 100.0, t)
    stats = expiry_statistics(book, spot=100.0, volatility=0.2, rate=r)
    premium = bs_price(100.0, 100.0, t, 0.2, r, 0.0, "call") + bs_price(
        100.0, 100.0, t, 0.2, r, 0.0, "put"
    )
    grown = premium * math.exp(r * t)
    assert stats.premium == pytest.approx(premium, rel=1e-12)
    assert stats.cost_at_horizon == pytest.approx(grown, rel=1e-12)
    assert stats.breakevens == pytest.approx((100.0 - grown, 100.0 + grown), rel=1e-12)
    assert stats.max_profit == math.inf and stats.profit_unbounded
    assert stats.max_loss == pytest.approx(grown, rel=1e-12) and not stats.loss_unbounded
    assert stats.exact and stats.horizon == t


def test_bull_spread_max_profit_is_width_minus_premium():
    book = preset_book("bull_call_spread", 100.0, 1.0, width=0.1)
    stats = expiry_statistics(book, spot=100.0, volatility=0.25)
    premium = bs_price(100.0, 100.0, 1.0, 0.25) - bs_price(100.0, 110.0, 1.0, 0.25)
    assert stats.max_profit == pytest.approx(10.0 - premium, rel=1e-12)
    assert stats.max_loss == pytest.approx(premium, rel=1e-12)
    assert stats.breakevens == pytest.approx((100.0 + premium,), rel=1e-12)


def test_butterfly_and_iron_condor_extremes():
    fly = expiry_statistics(preset_book("butterfly", 100.0, 0.5), spot=100.0, volatility=0.2)
    # butterfly: the most you lose is what you paid; the most you make is the wing width less it
    assert fly.max_loss == pytest.approx(fly.premium, rel=1e-12)
    assert fly.max_profit == pytest.approx(10.0 - fly.premium, rel=1e-12)
    assert fly.breakevens == pytest.approx((90.0 + fly.premium, 110.0 - fly.premium), rel=1e-12)
    condor = expiry_statistics(preset_book("iron_condor", 100.0, 0.5), spot=100.0, volatility=0.2)
    credit = -condor.premium
    assert credit > 0
    assert condor.max_profit == pytest.approx(credit, rel=1e-12)
    assert condor.max_loss == pytest.approx(10.0 - credit, rel=1e-12)
    assert condor.breakevens == pytest.approx((90.0 - credit, 110.0 + credit), rel=1e-12)


def test_short_call_loss_unbounded_and_long_put_bounded():
    short_call = expiry_statistics(
        preset_book("short_call", 100.0, 0.5), spot=100.0, volatility=0.2
    )
    assert short_call.loss_unbounded and short_call.max_loss == math.inf
    assert short_call.max_profit == pytest.approx(-short_call.premium)
    put = expiry_statistics(
        preset_book("long_put", 100.0, 0.5), spot=100.0, volatility=0.2, rate=0.03
    )
    grown = put.premium * math.exp(0.03 * 0.5)
    assert put.max_profit == pytest.approx(100.0 - grown, rel=1e-12)
    assert put.max_loss == pytest.approx(grown, rel=1e-12)


def test_covered_call_statistics_equal_short_put_by_parity():
    # put-call parity: S e^{-qT} - C = K e^{-rT} - P, so long stock + short call and a short
    # put of the same strike have the same P&L at expiry once both are carried to expiry.
    kw = dict(spot=100.0, volatility=0.3, rate=0.05, dividend_yield=0.02)
    cc = expiry_statistics(preset_book("covered_call", 100.0, 0.75, width=0.05), **kw)
    sp = expiry_statistics(Book([OptionLeg("put", 105.0, 0.75, -1.0)]), **kw)
    assert cc.max_profit == pytest.approx(sp.max_profit, rel=1e-10)
    assert cc.max_loss == pytest.approx(sp.max_loss, rel=1e-10)
    assert cc.breakevens == pytest.approx(sp.breakevens, rel=1e-10)
    assert cc.probability_of_profit == pytest.approx(sp.probability_of_profit, rel=1e-10)


def test_probability_of_profit_of_long_call_is_lognormal_tail():
    s, sig, r, q, t = 100.0, 0.25, 0.04, 0.01, 0.5
    stats = expiry_statistics(
        preset_book("long_call", s, t), spot=s, volatility=sig, rate=r, dividend_yield=q
    )
    (b,) = stats.breakevens
    # risk-neutral P(S_T > b) = N(d2) evaluated at strike b (Hull 2021, ch. 15)
    d2 = (math.log(s / b) + (r - q - 0.5 * sig**2) * t) / (sig * math.sqrt(t))
    assert stats.probability_of_profit == pytest.approx(float(ndtr(d2)), rel=1e-12)
    straddle = expiry_statistics(preset_book("straddle", s, t), spot=s, volatility=sig)
    lo, hi = straddle.breakevens
    sd = sig * math.sqrt(t)

    def cdf(x):
        return float(ndtr((math.log(x / s) + 0.5 * sig**2 * t) / sd))

    assert straddle.probability_of_profit == pytest.approx(cdf(lo) + 1.0 - cdf(hi), rel=1e-12)


single_expiry_legs = st.builds(
    lambda kind, strike, qty: OptionLeg(kind, strike, 0.5, qty),
    st.sampled_from(["call", "put"]),
    st.sampled_from([80.0, 90.0, 95.0, 100.0, 105.0, 120.0]),
    st.sampled_from([-2.0, -1.0, -0.5, 0.5, 1.0, 3.0]),
)


@settings(max_examples=40, deadline=None)
@given(
    legs=st.lists(single_expiry_legs, min_size=1, max_size=4),
    stock=st.sampled_from([-1.0, 0.0, 1.0]),
    rate=st.sampled_from([0.0, 0.05]),
)
def test_single_expiry_statistics_agree_with_dense_grid(legs, stock, rate):
    book = Book(legs, stock)
    kw = dict(spot=100.0, volatility=0.3, rate=rate, dividend_yield=0.01)
    stats = expiry_statistics(book, **kw)
    grid = np.union1d(np.linspace(0.0, 400.0, 8001), book.strikes)
    pnl = pnl_at_expiry(book, grid, **kw)
    scale = 1.0 + np.abs(pnl).max()
    if stats.profit_unbounded:
        assert pnl[-1] > pnl[-2]
    else:
        assert stats.max_profit == pytest.approx(pnl.max(), abs=1e-9 * scale)
    if stats.loss_unbounded:
        assert pnl[-1] < pnl[-2]
    else:
        assert stats.max_loss == pytest.approx(-pnl.min(), abs=1e-9 * scale)
    for b in stats.breakevens:
        assert abs(float(pnl_at_expiry(book, b, **kw))) < 1e-9 * scale
    # every sign change on the grid lies next to a reported breakeven
    changes = grid[:-1][np.sign(pnl[:-1]) * np.sign(pnl[1:]) < 0]
    for x in changes:
        assert any(x - 1e-9 <= b <= x + 0.05 + 1e-9 for b in stats.breakevens)
    assert 0.0 <= stats.probability_of_profit <= 1.0


@pytest.mark.parametrize(("sig", "far"), [(0.2, 0.5), (2.0, 3.0)])
def test_calendar_statistics_match_a_brute_force_grid(sig, far):
    s, r, t1 = 100.0, 0.03, 0.25
    book = preset_book("calendar_spread", s, t1, far_expiry=far)
    stats = expiry_statistics(book, spot=s, volatility=sig, rate=r)
    assert not stats.exact and stats.horizon == t1
    premium = bs_price(s, s, far, sig, r) - bs_price(s, s, t1, sig, r)
    cost = premium * math.exp(r * t1)
    assert stats.premium == pytest.approx(premium, rel=1e-12)

    def pnl(x):
        x = np.asarray(x, dtype=float)
        return -np.maximum(x - s, 0.0) + bs_price(x, s, far - t1, sig, r) - cost

    x = np.union1d(np.linspace(1e-6, 300.0, 300_001), np.geomspace(300.0, 1e7, 100_001))
    x = np.union1d(x, [s])
    y = pnl(x)
    # with q = 0 the right tail flattens at K (1 - e^{-r tau}) - cost and the left tends to
    # -cost (S = 0), so both extremes are finite; the peak sits at the common strike
    assert not stats.profit_unbounded and not stats.loss_unbounded
    assert stats.max_profit == pytest.approx(y.max(), rel=1e-9)
    assert stats.max_profit == pytest.approx(float(pnl(100.0)), rel=1e-12)
    assert stats.max_loss == pytest.approx(max(cost, -y.min()), rel=1e-9)
    n_changes = int(np.sum(np.sign(y[:-1]) * np.sign(y[1:]) < 0))
    assert len(stats.breakevens) == n_changes == 2
    for b in stats.breakevens:
        assert abs(float(pnl(b))) < 1e-9 * (1.0 + cost)
    lo, hi = stats.breakevens
    assert pnl(lo * 0.999) < 0 < pnl(lo * 1.001) and pnl(hi * 0.999) > 0 > pnl(hi * 1.001)
    # profitable between the breakevens: lognormal probability of that interval (r - q drift)
    sd = sig * math.sqrt(t1)

    def cdf(v):
        return float(ndtr((math.log(v / s) - (r - 0.5 * sig**2) * t1) / sd))

    assert stats.probability_of_profit == pytest.approx(cdf(hi) - cdf(lo), rel=1e-12)


def test_expiry_statistics_rejects_stock_only_and_bad_inputs():
    with pytest.raises(HedgeLibError, match="only stock"):
        expiry_statistics(Book([], stock=1.0), spot=100.0, volatility=0.2)
    with pytest.raises(HedgeLibError, match="volatility"):
        expiry_statistics(preset_book("straddle", 100.0, 1.0), spot=100.0, volatility=0.0)
    with pytest.raises(HedgeLibError, match="book must be a Book"):
        expiry_statistics("straddle", spot=100.0, volatility=0.2)  # type: ignore[arg-type]
    stats = expiry_statistics(preset_book("straddle", 100.0, 1.0), spot=100.0, volatility=0.2)
    assert isinstance(stats, ExpiryStatistics)
    assert stats.as_dict()["breakevens"] == list(stats.breakevens)


# ---------------------------------------------------------------------------------------------
# scenario grids and greek profiles


def test_scenario_pnl_volatility_and_time_grids():
    book = preset_book("short_straddle", 100.0, 0.5)
    kw = dict(spot=100.0, volatility=0.2, rate=0.01)
    base = book.value(100.0, 0.2, rate=0.01)
    spots = [80.0, 100.0, 120.0]
    by_vol = scenario_pnl(book, **kw, spot_grid=spots, volatility_grid=[0.1, 0.2, 0.4, 0.6])
    assert by_vol.shape == (3, 4)
    assert by_vol.index.name == "spot" and by_vol.columns.name == "volatility"
    assert by_vol.loc[100.0, 0.2] == pytest.approx(0.0, abs=1e-12)
    assert by_vol.loc[120.0, 0.4] == pytest.approx(
        book.value(120.0, 0.4, rate=0.01) - base, rel=1e-12
    )
    # a short straddle loses when volatility rises at every spot
    assert (by_vol.diff(axis=1).iloc[:, 1:] < 0).all().all()
    by_time = scenario_pnl(book, **kw, spot_grid=spots, time_grid=[0.0, 0.25, 0.5, 1.0])
    assert by_time.columns.name == "time" and by_time.shape == (3, 4)
    assert by_time[0.0].to_numpy() == pytest.approx(by_vol[0.2].to_numpy(), rel=1e-12, abs=1e-12)
    # at and after expiry the book is its payoff
    for t in (0.5, 1.0):
        assert by_time[t].to_numpy() == pytest.approx(
            book.payoff(np.array(spots)) - base, rel=1e-12
        )
    with pytest.raises(
        HedgeLibError, match="exactly one of volatility_grid and time_grid, got neither"
    ):
        scenario_pnl(book, **kw, spot_grid=spots)
    with pytest.raises(HedgeLibError, match="got both"):
        scenario_pnl(book, **kw, spot_grid=spots, volatility_grid=[0.2], time_grid=[0.1])
    with pytest.raises(HedgeLibError, match="time_grid"):
        scenario_pnl(book, **kw, spot_grid=spots, time_grid=[-0.1])
    with pytest.raises(HedgeLibError, match="spot_grid"):
        scenario_pnl(book, **kw, spot_grid=[[100.0]], time_grid=[0.1])


def test_greeks_profile_columns_and_values():
    book = preset_book("risk_reversal", 100.0, 0.75)
    grid = np.linspace(70.0, 130.0, 13)
    prof = greeks_profile(
        book, spot_grid=grid, volatility=0.25, time=0.1, rate=0.02, dividend_yield=0.01
    )
    assert list(prof.columns) == ["value", *GREEKS]
    assert prof.index.name == "spot" and len(prof) == 13
    g = book.greeks(grid, 0.25, time=0.1, rate=0.02, dividend_yield=0.01)
    for name in GREEKS:
        assert prof[name].to_numpy() == pytest.approx(np.asarray(getattr(g, name)), rel=1e-12)
    assert prof["value"].to_numpy() == pytest.approx(
        book.value(grid, 0.25, time=0.1, rate=0.02, dividend_yield=0.01), rel=1e-12
    )
    # a risk reversal is long delta everywhere
    assert (prof["delta"] > 0).all()


def test_book_value_agrees_with_quantlib():
    ql = pytest.importorskip("QuantLib")
    today = ql.Date(15, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    s, sig, r, q = 103.0, 0.23, 0.035, 0.012
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(s)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), sig, dc)),
    )
    engine = ql.AnalyticEuropeanEngine(process)
    specs = [("call", 95.0, 73, 2.0), ("put", 110.0, 146, -1.0), ("call", 120.0, 365, -0.5)]
    legs, total = [], 0.0
    for kind, k, days, n in specs:
        option_type = ql.Option.Call if kind == "call" else ql.Option.Put
        opt = ql.VanillaOption(
            ql.PlainVanillaPayoff(option_type, k), ql.EuropeanExercise(today + days)
        )
        opt.setPricingEngine(engine)
        total += n * opt.NPV()
        legs.append(OptionLeg(kind, k, days / 365.0, n))
    book = Book(legs, stock=0.3)
    assert book.value(s, sig, rate=r, dividend_yield=q) == pytest.approx(total + 0.3 * s, rel=1e-9)
