"""Stress grids and historical VaR: zero shocks, hedge neutrality, Taylor order, hand
computations, a QuantLib oracle and validation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelib.book import Book, OptionLeg, preset_book
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.strategies import HedgeOption
from hedgelib.market.history import load_bundled
from hedgelib.pricing.black_scholes import bs_price
from hedgelib.stress import historical_var, static_hedge, stress_grid

MARKET = dict(spot=100.0, volatility=0.2, rate=0.03, dividend_yield=0.01)
SHOCKS = dict(spot_shocks=[-0.2, -0.1, 0.0, 0.1, 0.2], vol_shocks=[-0.05, 0.0, 0.05, 0.1])
BOOKS = {
    "short_call": Book([OptionLeg("call", 100.0, 0.25, -1.0)]),
    "short_straddle": preset_book("short_straddle", 100.0, 0.25),
    "collar": preset_book("collar", 100.0, 0.5),
    "calendar": preset_book("calendar_spread", 100.0, 0.25),
}


@pytest.mark.parametrize("hedge", ["none", "delta", "delta-gamma", "delta-vega"])
@pytest.mark.parametrize("name", list(BOOKS))
def test_zero_shock_is_zero(name, hedge):
    g = stress_grid(BOOKS[name], **MARKET, **SHOCKS, strategy=hedge)
    for frame in (g.book, g.hedged, g.book_approx, g.hedged_approx):
        assert frame.shape == (5, 4)
        assert frame.loc[0.0, 0.0] == pytest.approx(0.0, abs=1e-12)
    assert list(g.book.index) == SHOCKS["spot_shocks"]
    assert g.book.index.name == "spot_shock" and g.book.columns.name == "vol_shock"


def test_unhedged_grid_is_the_book_itself():
    book = BOOKS["short_straddle"]
    g = stress_grid(book, **MARKET, **SHOCKS, strategy="none")
    pd.testing.assert_frame_equal(g.book, g.hedged)
    # One cell by hand: spot 90, vol 25%, both legs repriced by Black-Scholes.
    before = sum(float(bs_price(100, 100, 0.25, 0.2, 0.03, 0.01, k)) for k in ("call", "put"))
    after = sum(float(bs_price(90, 100, 0.25, 0.25, 0.03, 0.01, k)) for k in ("call", "put"))
    assert g.book.loc[-0.1, 0.05] == pytest.approx(-(after - before), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    strike=st.floats(70.0, 130.0),
    expiry=st.floats(0.05, 2.0),
    quantity=st.floats(-5.0, 5.0).filter(lambda x: abs(x) > 0.1),
    kind=st.sampled_from(["call", "put"]),
    strategy=st.sampled_from(["delta", "delta-gamma", "delta-vega"]),
)
def test_hedged_position_is_flat_in_spot_to_first_order(strike, expiry, quantity, kind, strategy):
    book = Book([OptionLeg(kind, strike, expiry, quantity)])
    eps = 1e-4
    g = stress_grid(book, **MARKET, spot_shocks=[-eps, eps], vol_shocks=[0.0], strategy=strategy)
    slope = (g.hedged.loc[eps, 0.0] - g.hedged.loc[-eps, 0.0]) / (2 * eps * MARKET["spot"])
    # Central difference: the error is (eps S)^2 / 6 x the third derivative, far below 1e-6.
    assert abs(slope) < 1e-6 * max(1.0, abs(quantity))
    book_delta = float(book.greeks(100.0, 0.2, rate=0.03, dividend_yield=0.01).delta)
    book_slope = (g.book.loc[eps, 0.0] - g.book.loc[-eps, 0.0]) / (2 * eps * 100.0)
    assert book_slope == pytest.approx(book_delta, abs=1e-6)


def test_delta_gamma_and_delta_vega_hedges_cancel_their_greek():
    book = BOOKS["short_straddle"]
    kw = dict(spot=100.0, volatility=0.2, rate=0.03, dividend_yield=0.01)
    hopt = HedgeOption("call", 1.05, 0.5)
    for hedge, greek in (("delta-gamma", "gamma"), ("delta-vega", "vega")):
        h = static_hedge(book, **kw, strategy=hedge, hedge_option=hopt)
        g = h.position.greeks(100.0, 0.2, rate=0.03, dividend_yield=0.01)
        assert float(g.delta) == pytest.approx(0.0, abs=1e-12)
        assert float(getattr(g, greek)) == pytest.approx(0.0, abs=1e-12)
        assert h.option is not None and h.option.strike == pytest.approx(105.0)
        assert h.option.expiry == pytest.approx(0.5) and h.option.quantity > 0  # buys back gamma
    # Delta-vega: a small vol shock leaves the hedged position nearly unchanged, the book not.
    g = stress_grid(book, **kw, spot_shocks=[0.0], vol_shocks=[0.001], strategy="delta-vega",
                    hedge_option=hopt)
    assert abs(g.hedged.iloc[0, 0]) < 1e-3 * abs(g.book.iloc[0, 0])


@pytest.mark.parametrize("name", list(BOOKS))
def test_greek_approximation_is_second_order(name):
    # Shocks (h, h/2 vol) scaled down by 2: a third-order error falls about 8-fold.
    book = BOOKS[name]
    errors = []
    for h in (0.04, 0.02, 0.01):
        g = stress_grid(book, **MARKET, spot_shocks=[h, -h], vol_shocks=[0.5 * h], strategy="delta")
        err = max(float((g.book - g.book_approx).abs().to_numpy().max()),
                  float((g.hedged - g.hedged_approx).abs().to_numpy().max()))
        errors.append(err)
    assert errors[0] / errors[1] == pytest.approx(8.0, rel=0.2)
    assert errors[1] / errors[2] == pytest.approx(8.0, rel=0.1)
    # And the approximation really is close for small moves: well under 1% of the P&L.
    g = stress_grid(book, **MARKET, spot_shocks=[0.01], vol_shocks=[0.005], strategy="none")
    assert abs(g.book.iloc[0, 0] - g.book_approx.iloc[0, 0]) < 0.01 * abs(g.book.iloc[0, 0])


def test_greek_approximation_misses_large_moves():
    # A 30% crash on a short put: gamma alone underestimates the loss of the convex payoff.
    book = Book([OptionLeg("put", 90.0, 0.25, -1.0)])
    g = stress_grid(book, **MARKET, spot_shocks=[-0.3], vol_shocks=[0.0], strategy="none")
    assert g.book.iloc[0, 0] < g.book_approx.iloc[0, 0] - 1.0


def test_horizon_ages_the_legs():
    book = BOOKS["short_call"]
    g = stress_grid(book, **MARKET, spot_shocks=[0.0], vol_shocks=[0.0], horizon=10 / 252,
                    strategy="none")
    expected = -(float(bs_price(100, 100, 0.25 - 10 / 252, 0.2, 0.03, 0.01))
                 - float(bs_price(100, 100, 0.25, 0.2, 0.03, 0.01)))
    assert g.book.iloc[0, 0] == pytest.approx(expected, rel=1e-12)
    assert expected > 0  # the seller earns the time decay
    theta = float(book.greeks(100.0, 0.2, rate=0.03, dividend_yield=0.01).theta)
    assert g.book_approx.iloc[0, 0] == pytest.approx(theta * 10 / 252, rel=1e-12)


def test_quantlib_oracle_for_one_cell():
    ql = pytest.importorskip("QuantLib")
    today = ql.Date(2, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()

    def price(s, vol):
        option = ql.EuropeanOption(ql.PlainVanillaPayoff(ql.Option.Put, 95.0),
                                   ql.EuropeanExercise(today + 365))
        process = ql.BlackScholesMertonProcess(
            ql.QuoteHandle(ql.SimpleQuote(s)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, 0.01, dc)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, 0.03, dc)),
            ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc)),
        )
        option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
        return option.NPV()

    book = Book([OptionLeg("put", 95.0, 1.0, 2.0)])
    g = stress_grid(book, **MARKET, spot_shocks=[-0.15], vol_shocks=[0.08], strategy="none")
    assert g.book.iloc[0, 0] == pytest.approx(2.0 * (price(85.0, 0.28) - price(100.0, 0.2)), abs=1e-9)


def test_stock_only_book_delta_hedged_is_flat():
    g = stress_grid(Book([], stock=3.0), **MARKET, **SHOCKS, strategy="delta")
    assert g.hedge.stock == -3.0 and g.hedge.position.is_empty
    assert np.all(g.hedged.to_numpy() == 0.0)
    assert g.book.loc[0.1, 0.05] == pytest.approx(30.0)


def test_worst_cell():
    g = stress_grid(BOOKS["short_straddle"], **MARKET, **SHOCKS, strategy="delta")
    loss, ds, dv = g.worst("book")
    assert loss == pytest.approx(-float(g.book.to_numpy().min()))
    assert abs(ds) == 0.2 and dv == 0.1  # the short straddle fears big moves and vol rises
    with pytest.raises(HedgeLibError, match="which"):
        g.worst("other")


# ---- historical VaR ----------------------------------------------------------------------


def test_historical_var_by_hand():
    # Five closes, two-day overlapping windows: moves 99/100, 101/102, 97/99 (three scenarios).
    closes = pd.Series([100.0, 102.0, 99.0, 101.0, 97.0],
                       index=pd.date_range("2024-01-01", periods=5, freq="B"))
    book = Book([OptionLeg("call", 100.0, 0.5, -1.0)])
    res = historical_var(book, closes, horizon_days=2, level=2 / 3, volatility=0.25, spot=100.0,
                         rate=0.0, strategy="none")
    moves = np.array([99 / 100, 101 / 102, 97 / 99]) - 1
    t = 0.5 - 2 / 252
    base = float(bs_price(100.0, 100.0, 0.5, 0.25))
    pnl = -(np.array([float(bs_price(100 * (1 + m), 100.0, t, 0.25)) for m in moves]) - base)
    assert res.n_scenarios == 3
    np.testing.assert_allclose(res.scenarios["relative_move"], moves, rtol=1e-14)
    np.testing.assert_allclose(res.scenarios["book_pnl"], pnl, rtol=1e-12)
    assert list(res.scenarios.index) == list(closes.index[2:])
    assert list(res.scenarios["start"]) == list(closes.index[:3])
    # Tail of n(1 - level) = 1 scenario: VaR = ES = the worst loss.
    worst = -np.sort(pnl)
    assert res.var == pytest.approx(worst[0]) and res.es == pytest.approx(worst[0])
    res2 = historical_var(book, closes, horizon_days=2, level=1 / 3, volatility=0.25, spot=100.0,
                         strategy="none")
    assert res2.var == pytest.approx(worst[1])
    assert res2.es == pytest.approx(0.5 * (worst[0] + worst[1]))


def test_historical_var_hedged_and_table():
    spx = load_bundled("sp500", start="2018-01-01", end="2018-12-31")
    book = BOOKS["short_call"]
    res = historical_var(book, spx, horizon_days=1, level=0.99, volatility=0.2, spot=100.0)
    assert res.n_scenarios == len(spx) - 1 and res.series == "S&P 500"
    assert res.hedge.strategy == "delta"
    # Delta hedging a short call leaves only its gamma loss on 2018's big daily moves
    # (VaR 99% about 1.27 unhedged against 0.25 hedged).
    assert 0 < res.hedged_var < 0.3 * res.var
    assert res.es >= res.var and res.hedged_es >= res.hedged_var
    table = res.table()
    assert table.loc["book", "VaR 99%"] == pytest.approx(res.var)
    assert table.loc["hedged", "ES 99%"] == pytest.approx(res.hedged_es)
    assert list(table.columns) == ["VaR 95%", "ES 95%", "VaR 99%", "ES 99%"]
    # Default spot: the last close.
    assert historical_var(book, spx, volatility=0.2).spot == pytest.approx(float(spx.prices.iloc[-1]))


# ---- validation ----------------------------------------------------------------------------

BAD_GRID = [
    (dict(spot=-1.0), "spot"),
    (dict(volatility=0.0), "volatility"),
    (dict(spot_shocks=[-1.0, 0.0]), "spot_shocks must be greater than -1"),
    (dict(spot_shocks=[]), "spot_shocks must be a non-empty"),
    (dict(spot_shocks=[[0.1]]), "spot_shocks must be a non-empty 1-D"),
    (dict(vol_shocks=[-0.3]), "vol_shocks must keep the volatility non-negative"),
    (dict(vol_shocks=[math.nan]), "vol_shocks must not be NaN"),
    (dict(time=-0.1), "time"),
    (dict(horizon=-0.1), "horizon"),
    (dict(strategy="gamma"), "strategy must be one of"),
    (dict(strategy="delta-gamma", hedge_option="atm"), "hedge_option must be a HedgeOption"),
]


@pytest.mark.parametrize(("change", "message"), BAD_GRID, ids=[m for _, m in BAD_GRID])
def test_stress_grid_validation(change, message):
    kw = {**MARKET, **SHOCKS, **change}
    with pytest.raises(HedgeLibError, match=message):
        stress_grid(BOOKS["short_call"], **kw)


def test_bad_book():
    with pytest.raises(HedgeLibError, match="book must be a Book"):
        stress_grid("straddle", **MARKET, **SHOCKS)
    with pytest.raises(HedgeLibError, match="empty"):
        historical_var(Book([]), pd.Series([1.0, 2.0]), volatility=0.2)


BAD_HIST = [
    (dict(horizon_days=5), "horizon_days must be smaller than the number of closes \\(5\\)"),
    (dict(horizon_days=0), "horizon_days must be at least 1"),
    (dict(horizon_days=1.5), "horizon_days must be a whole number"),
    (dict(level=1.0), "level must lie in"),
    (dict(volatility=-0.2), "volatility"),
    (dict(spot=0.0), "spot"),
    (dict(history=[1.0, 2.0]), "history must be a PriceHistory or a pandas Series"),
    (dict(history=pd.Series([1.0, -2.0, 3.0])), "history must be positive"),
]


@pytest.mark.parametrize(("change", "message"), BAD_HIST, ids=[m for _, m in BAD_HIST])
def test_historical_var_validation(change, message):
    kw = dict(history=pd.Series([100.0, 101.0, 99.0, 98.0, 100.0]), horizon_days=1, level=0.9,
              volatility=0.2)
    kw.update(change)
    history = kw.pop("history")
    with pytest.raises(HedgeLibError, match=message):
        historical_var(BOOKS["short_call"], history, **kw)
