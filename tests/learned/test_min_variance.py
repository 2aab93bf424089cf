"""Hull and White's minimum-variance delta: the fit on the bundled data, on models, the
formula's identities, the strategy in the engine and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgelib.backtest import ImpliedVolSeries, replay
from hedgelib.book import Book, OptionLeg, preset_book
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging import HedgeSetup, run_setups
from hedgelib.hedging.setup import STRATEGIES
from hedgelib.hedging.strategies import HedgeState
from hedgelib.learned import BUNDLED_TEST_WINDOW, MinimumVarianceDelta, bundled_fit
from hedgelib.market.history import implied_volatility_series, load_bundled
from hedgelib.market.models import GARCH, GBM, Heston
from hedgelib.pricing.black_scholes import bs_greeks


@pytest.fixture(scope="module")
def spx():
    return load_bundled("sp500")


@pytest.fixture(scope="module")
def vix():
    return implied_volatility_series()


@pytest.fixture(scope="module")
def heston_fit():
    model = Heston(0.0, v0=0.04, kappa=2.0, theta=0.04, xi=0.8, rho=-0.8)
    return MinimumVarianceDelta.fit_model(model, spot=100.0, horizon=30 / 252, n_steps=30, n_paths=20, seed=3)


def test_bundled_fit_shows_the_leverage_effect_in_and_out_of_sample(spx, vix):
    fit = bundled_fit()
    # 2014-2016: 754 daily changes x 15 options. The VIX rises when the index falls, so a is
    # negative, many standard errors from zero (seen: -0.62 with a clustered SE of 0.03).
    assert fit.n_clusters == 754 and fit.n_obs == 754 * 15
    assert fit.a < 0 and fit.a / fit.standard_errors[0] < -8
    assert 0.3 < fit.gain < 0.9  # seen: 65% of the variance removed in sample
    mv = MinimumVarianceDelta(fit.a, fit.b, fit.c, result=fit)
    out = mv.gain_on(spx, vix, start=BUNDLED_TEST_WINDOW[0], end=BUNDLED_TEST_WINDOW[1])
    assert 0.2 < out < fit.gain  # seen: 56% in 2017-2018, out of sample
    # The registered strategy defaults to this fit (rounded to 4 decimals in the forms).
    entry = STRATEGIES["min-variance-delta"]
    assert [p.default for p in entry.parameters] == [round(v, 4) for v in (fit.a, fit.b, fit.c)]
    built = entry.build()
    assert isinstance(built, MinimumVarianceDelta) and built.book is None


def test_fit_equals_bundled_fit_and_table(spx, vix):
    mv = MinimumVarianceDelta.fit(spx, vix, start="2014-01-01", end="2016-12-31")
    fit = bundled_fit()
    assert (mv.a, mv.b, mv.c) == pytest.approx((fit.a, fit.b, fit.c), rel=1e-12)
    t = mv.result.table()
    assert list(t.index) == ["a", "b", "c"] and list(t.columns) == ["estimate", "standard error", "t"]
    assert mv.gain == pytest.approx(fit.gain)


def test_gbm_paths_give_no_correction():
    # Constant volatility: nothing to correct, every coefficient within 4 clustered standard
    # errors of zero (seen: within 1) and small.
    mv = MinimumVarianceDelta.fit_model(GBM(0.0, 0.2), spot=100.0, horizon=40 / 252, n_steps=40,
                                        n_paths=25, seed=2)
    coef = np.array([mv.a, mv.b, mv.c])
    se = np.array(mv.result.standard_errors)
    assert np.all(np.abs(coef) < 4 * se) and np.all(np.abs(coef) < 0.05)
    assert mv.gain < 0.01


def test_heston_leverage_lowers_the_delta_and_positive_correlation_raises_it(heston_fit):
    mv = heston_fit
    assert mv.a / mv.result.standard_errors[0] < -4  # seen: a = -0.25, t = -10
    bs = bs_greeks(100.0, 100.0, 0.25, 0.2).delta
    assert mv.delta(100.0, 100.0, 0.25, 0.2) < bs
    up = MinimumVarianceDelta.fit_model(Heston(0.0, v0=0.04, kappa=2.0, theta=0.04, xi=0.8, rho=0.8),
                                        spot=100.0, horizon=30 / 252, n_steps=30, n_paths=20, seed=3)
    assert up.a / up.result.standard_errors[0] > 4
    assert up.delta(100.0, 100.0, 0.25, 0.2) > bs


def test_formula_identities():
    mv = MinimumVarianceDelta(a=-0.3, b=0.4, c=-0.2)
    s, k, tau, sig = 100.0, np.array([90.0, 100.0, 110.0]), 0.2, 0.25
    g = bs_greeks(s, k, tau, sig)
    expected = g.delta + g.vega / (s * np.sqrt(tau)) * (-0.3 + 0.4 * g.delta - 0.2 * g.delta ** 2)
    np.testing.assert_allclose(mv.delta(s, k, tau, sig), expected, rtol=1e-12)
    # Zero coefficients: the Black-Scholes delta.
    np.testing.assert_allclose(MinimumVarianceDelta(0.0, 0.0, 0.0).delta(s, k, tau, sig), g.delta)
    # A put and a call of one strike share their correction (parity): the deltas differ by 1.
    put = mv.delta(s, k, tau, sig, kind="put")
    np.testing.assert_allclose(mv.delta(s, k, tau, sig) - put, 1.0, atol=1e-12)
    # curve() is delta_MV - delta_BS against delta_BS, whatever the maturity and volatility.
    for t2, s2 in ((0.1, 0.15), (0.5, 0.4)):
        g2 = bs_greeks(s, k, t2, s2)
        np.testing.assert_allclose(mv.curve(g2.delta), mv.delta(s, k, t2, s2) - g2.delta, atol=1e-10)


def test_strategy_bound_to_a_book_corrects_leg_by_leg():
    mv = MinimumVarianceDelta(a=-0.3, b=0.4, c=-0.2)
    book = Book([OptionLeg("call", 95.0, 0.2, -2.0), OptionLeg("put", 105.0, 0.3, 1.0)], stock=0.5)
    spot = np.array([92.0, 100.0, 108.0])
    book_delta = np.asarray(book.greeks(spot, 0.2, time=0.05).delta)
    state = HedgeState(time=0.05, spot=spot, volatility=0.2, book_delta=book_delta, time_to_expiry=0.25)
    stock, option = mv.for_book(book).target(state)
    legs = sum(leg.quantity * mv.delta(spot, leg.strike, leg.expiry - 0.05, 0.2, kind=leg.kind)
               for leg in book.legs)
    np.testing.assert_allclose(stock, -(legs + 0.5), rtol=1e-12)
    assert option == 0.0


def test_unbound_reading_is_exact_for_an_at_the_money_book_at_entry():
    # Without a book the correction uses the book's vega and an at-the-money option's delta;
    # for an at-the-money call at inception (no rate) the two readings agree.
    mv = MinimumVarianceDelta(a=-0.3, b=0.4, c=-0.2)
    book = Book([OptionLeg("call", 100.0, 0.25, -1.0)])
    g = book.greeks(np.array([100.0]), 0.2)
    state = HedgeState(time=0.0, spot=np.array([100.0]), volatility=0.2, book_delta=np.asarray(g.delta),
                       book_vega=np.asarray(g.vega), time_to_expiry=0.25)
    np.testing.assert_allclose(mv.target(state)[0], mv.for_book(book).target(state)[0], rtol=1e-12)
    with pytest.raises(HedgeLibError, match="book_vega"):
        mv.target(HedgeState(time=0.0, spot=np.array([100.0]), volatility=0.2, book_delta=np.zeros(1),
                             time_to_expiry=0.25))


def test_fitted_delta_beats_the_bs_delta_on_its_heston_paths(heston_fit):
    # On common fresh paths of the Heston model it was fitted on, the minimum-variance delta
    # lowers the hedged P&L's std (seen: 10% lower; the SE of the difference of two stds on
    # common paths is far below 1%).
    model = Heston(0.0, v0=0.04, kappa=2.0, theta=0.04, xi=0.8, rho=-0.8)
    book = Book([OptionLeg("call", 100.0, 42 / 252, -1.0)])
    setups = {"delta": HedgeSetup(0.2), "mv": HedgeSetup(0.2, strategy=heston_fit.for_book(book)),
              "mv_registered": HedgeSetup(0.2, strategy="min-variance-delta")}
    res = run_setups(model, book, setups, spot=100.0, horizon=42 / 252, n_steps=42, n_paths=4000, seed=8)
    assert res["mv"].pnl.std() < 0.95 * res["delta"].pnl.std()
    assert np.isfinite(res["mv_registered"].pnl).all()


def test_registered_strategy_replays_history_and_hedges_a_straddle(spx):
    book = preset_book("straddle", spot=2700.0, expiry=21 / 252)
    rp = replay(spx, book, start="2018-01-02", hedge_volatility=ImpliedVolSeries(), strategy="min-variance-delta")
    assert np.isfinite(rp.pnl) and len(rp.ledger) == 22


@pytest.mark.parametrize(("call", "needle"), [
    (lambda s, v: MinimumVarianceDelta.fit(s.prices.to_numpy(), v), "spot must be a pandas Series"),
    (lambda s, v: MinimumVarianceDelta.fit(s, v, start="2030-01-01"), "at least 3 dates"),
    (lambda s, v: MinimumVarianceDelta.fit(s, v, start="2016-01-01", end="2015-01-01"), "start must not be after end"),
    (lambda s, v: MinimumVarianceDelta.fit(s, v, maturities=(0.001,)), "longer than one day"),
    (lambda s, v: MinimumVarianceDelta.fit(s, v, moneyness=(-1.0,)), "moneyness"),
    (lambda s, v: MinimumVarianceDelta.fit(s, v, kind="straddle"), "kind"),
    (lambda s, v: MinimumVarianceDelta.fit(s, v * 0.0), "implied_vol must be positive"),
    (lambda s, v: MinimumVarianceDelta.fit(s, pd.Series([0.2], index=pd.DatetimeIndex(["2015-01-02"]))),
     "at least 3 dates"),
])
def test_bad_history_input_names_the_argument(spx, vix, call, needle):
    with pytest.raises(HedgeLibError, match=needle):
        call(spx, vix)


def test_bad_model_input():
    garch = GARCH.from_annualised(0.0, 0.2, 0.08, 0.9)
    with pytest.raises(HedgeLibError, match="closed-form price"):
        MinimumVarianceDelta.fit_model(garch, spot=100.0, horizon=0.1, n_steps=10, n_paths=5, seed=1)
    with pytest.raises(HedgeLibError, match="seed"):
        MinimumVarianceDelta.fit_model(GBM(0.0, 0.2), spot=100.0, horizon=0.1, n_steps=10, n_paths=5, seed=-1)
    with pytest.raises(HedgeLibError, match="longer than one step"):
        MinimumVarianceDelta.fit_model(GBM(0.0, 0.2), spot=100.0, horizon=0.5, n_steps=2, n_paths=5, seed=1,
                                       maturities=(0.2,))
    with pytest.raises(HedgeLibError, match="a must be finite"):
        MinimumVarianceDelta(a=float("inf"))
    with pytest.raises(HedgeLibError, match="book must be a Book"):
        MinimumVarianceDelta(book="short call")
