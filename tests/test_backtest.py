"""Tests of hedgelib.backtest: replays and rolling programmes on real (and hand-built) prices."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelib.backtest import (
    ATTRIBUTION_OVER_TIME_COLUMNS,
    ConstantVol,
    GarchVol,
    ImpliedVolSeries,
    RealisedVol,
    Replay,
    RollingResult,
    replay,
    rolling_programme,
)
from hedgelib.book import Book, OptionLeg, preset_book
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.hedging.rules import EveryNSteps
from hedgelib.hedging.strategies import HedgeOption
from hedgelib.market.calibrate import fit_garch, realised_volatility
from hedgelib.market.history import load_bundled
from hedgelib.market.paths import Paths

GREEKS = ("delta", "gamma", "theta", "vega")


@pytest.fixture(scope="module")
def spx():
    return load_bundled("sp500")


@pytest.fixture(scope="module")
def straddles_run(spx) -> tuple[RollingResult, list[tuple[int, int]]]:
    """Sell a 1-month ATM straddle on the first close of each month, 2014-2018, at the VIX."""
    calls: list[tuple[int, int]] = []
    prog = rolling_programme(
        spx,
        "straddle",
        tenor=21 / 252,
        quantity=-1.0,
        start="2014-01-03",  # the bundled VIX begins on 2014-01-03
        end="2018-12-31",
        roll="monthly",
        hedge_volatility=ImpliedVolSeries(),
        costs=TransactionCosts(proportional=1e-4),
        rate=0.01,
        progress=lambda done, total: calls.append((done, total)),
    )
    return prog, calls


@pytest.fixture(scope="module")
def short_straddles(straddles_run) -> RollingResult:
    return straddles_run[0]


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


# ---------------------------------------------------------------------------------------
# a hand computation
# ---------------------------------------------------------------------------------------

WEEKLY = [100.0, 102.0, 99.5, 101.0, 104.0, 103.0, 106.5, 105.0, 108.0, 107.0,
          103.5, 105.5, 109.0, 111.0, 108.5, 110.0, 112.5, 111.0, 113.0, 112.0]


def test_short_call_on_weekly_prices_matches_a_hand_computation():
    # Short 10 calls struck at 105, expiring on the 20th weekly close (19 weeks = 19/52
    # years on a 52-periods-a-year basis); delta-hedged weekly at 20% vol, 10 bp costs,
    # 3% interest on cash. Everything below is Black-Scholes by hand (Hull 2021, ch. 15, 19).
    dates = pd.date_range("2021-01-01", periods=20, freq="7D")
    prices = pd.Series(WEEKLY, index=dates, name="weekly")
    k, sigma, r, cost, n = 105.0, 0.2, 0.03, 1e-3, -10.0
    dt = 1.0 / 52.0
    book = Book([OptionLeg("call", k, 19 * dt, n)])

    def d1(s: float, tau: float) -> float:
        return (math.log(s / k) + (r + 0.5 * sigma * sigma) * tau) / (sigma * math.sqrt(tau))

    s0, tau0 = WEEKLY[0], 19 * dt
    call0 = s0 * _norm_cdf(d1(s0, tau0)) - k * math.exp(-r * tau0) * _norm_cdf(d1(s0, tau0) - sigma * math.sqrt(tau0))
    premium = n * call0  # holder's sign: negative, received
    cash = -premium
    held = 0.0
    deltas, bought, cash_after_trade, costs = [], [], [], 0.0
    for i in range(19):
        s = WEEKLY[i]
        target = -n * _norm_cdf(d1(s, (19 - i) * dt))  # shares to hold against 10 short calls
        q = target - held
        c = cost * abs(q) * s
        cash += -q * s - c
        costs += c
        held = target
        deltas.append(target)
        bought.append(q)
        cash_after_trade.append(cash)
        cash *= math.exp(r * dt)  # a week of interest on the balance
    s_t = WEEKLY[19]
    cash += n * max(s_t - k, 0.0)  # the calls are exercised against us
    c = cost * abs(held) * s_t
    cash += held * s_t - c  # liquidate the hedge
    costs += c
    pnl = cash

    rp = replay(prices, book, start=dates[0], hedge_volatility=0.2, rate=r,
                costs=TransactionCosts(proportional=cost), periods_per_year=52)

    assert rp.end == dates[-1]
    assert rp.result.premium == pytest.approx(premium, abs=5e-3)
    # the hand premium against QuantLib's Black formula (forward, total stdev, discount)
    import QuantLib as ql

    ql_call = ql.blackFormula(ql.Option.Call, k, s0 * math.exp(r * tau0), sigma * math.sqrt(tau0), math.exp(-r * tau0))
    assert premium == pytest.approx(n * ql_call, abs=1e-9)
    np.testing.assert_allclose(rp.ledger["stock"].to_numpy()[:-1], deltas, atol=1e-9)
    np.testing.assert_allclose(rp.ledger["stock_trade"].to_numpy()[:-1], bought, atol=1e-9)
    np.testing.assert_allclose(rp.ledger["cash"].to_numpy()[:-1], cash_after_trade, atol=5e-3)
    assert float(rp.result.costs[0]) == pytest.approx(costs, abs=5e-3)
    assert rp.pnl == pytest.approx(pnl, abs=5e-3)
    assert rp.ledger["pnl"].iloc[-1] == pytest.approx(pnl, abs=5e-3)
    # the trade log: one row per week plus the liquidation, closing the position
    assert len(rp.trades) == 20
    np.testing.assert_allclose(rp.trades["shares"].to_numpy(), bought + [-held], atol=1e-9)
    assert rp.trades["shares"].sum() == pytest.approx(0.0, abs=1e-12)
    assert rp.trades["cost"].sum() == pytest.approx(costs, abs=5e-3)
    np.testing.assert_allclose(rp.trades["position"].to_numpy(), np.cumsum(rp.trades["shares"]), atol=1e-12)


def test_replay_is_the_engine_on_one_path(spx):
    # Oracle: the replay is simulate_hedge on the closes as a trading-day path.
    book = preset_book("short_strangle", 2000.0, 42 / 252, width=0.05)
    rp = replay(spx, book, start="2015-03-02", hedge_volatility=0.18, rate=0.01, dividend_yield=0.02,
                rule=EveryNSteps(2), costs=TransactionCosts(proportional=2e-4))
    closes = spx.prices.loc["2015-03-02":].iloc[:43].to_numpy()
    paths = Paths(times=np.arange(43) / 252.0, spot=closes.reshape(-1, 1))
    direct = simulate_hedge(book, paths, hedge_volatility=0.18, rate=0.01, dividend_yield=0.02,
                            rule=EveryNSteps(2), costs=TransactionCosts(proportional=2e-4))
    assert rp.pnl == direct.pnl[0]
    assert rp.result.premium == direct.premium
    assert len(rp.ledger) == 43 and rp.ledger.index[0] == pd.Timestamp("2015-03-02")


# ---------------------------------------------------------------------------------------
# the rolling programme on the S&P 500 at the VIX
# ---------------------------------------------------------------------------------------


def test_rolling_straddles_cover_2014_to_2018(straddles_run):
    short_straddles, calls = straddles_run
    t = short_straddles.trades
    # 60 month starts from January 2014 to December 2018; December 2018's trade would
    # expire in January 2019, after the bundled data, and is skipped with a note.
    assert len(t) == 59
    assert t["entry_date"].iloc[0] == pd.Timestamp("2014-01-03")
    assert t["entry_date"].iloc[-1] == pd.Timestamp("2018-11-01")
    assert len(short_straddles.warnings) == 1 and "2018-12-03" in short_straddles.warnings[0]
    assert calls == [(i, 60) for i in range(1, 61)]
    assert (t["premium"] < 0).all()  # sold: premium received
    assert (t["expiry_date"] > t["entry_date"]).all()
    assert short_straddles.cumulative_pnl.iloc[-1] == pytest.approx(t["pnl"].sum(), rel=1e-12)


def test_rolling_attribution_adds_up_for_every_trade(short_straddles):
    t = short_straddles.trades
    explain_cols = [c for c in t.columns if c in ("entry", *GREEKS, "residual", "interest", "dividends")
                    or c.startswith("cost_")]
    total = t[explain_cols].sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, t["pnl"].to_numpy(), rtol=0, atol=1e-9)
    for rp in short_straddles.replays:
        last = rp.attribution_over_time.iloc[-1]
        for k in (*GREEKS, "residual"):
            assert last[k] == pytest.approx(float(rp.result.explain[k][0]), abs=1e-9)


def test_february_2018_short_straddle_loses_and_gamma_dominates(short_straddles):
    t = short_straddles.trades.set_index("entry_date")
    feb = t.loc[pd.Timestamp("2018-02-01")]
    # Sold at VIX 13.5% on 1 Feb 2018; the index fell 4.1% on 5 Feb and 3.8% on 8 Feb
    # ("Volmageddon"): realised volatility over the month was about twice the implied.
    assert feb["implied_vol"] == pytest.approx(0.1347, abs=1e-4)
    assert feb["realised_vol"] > 1.8 * feb["implied_vol"]
    assert feb["pnl"] < -40.0
    assert feb["variance_spread"] < 0
    terms = {k: abs(feb[k]) for k in GREEKS}
    assert max(terms, key=terms.get) == "gamma"
    assert feb["gamma"] < 0
    # the worst trade of the five years
    assert feb["pnl"] == t["pnl"].min()


def test_variance_relation_follows_the_theory(short_straddles):
    v = short_straddles.variance_relation()
    # A short-gamma trade earns implied minus realised variance weighted by its dollar gamma
    # (Carr and Madan 1998): P&L should line up with the per-trade theory value.
    assert np.corrcoef(v["theory_pnl"], v["pnl"])[0, 1] > 0.8
    assert np.corrcoef(v["variance_spread"], v["pnl"])[0, 1] > 0.7
    assert (v["gamma_exposure"] < 0).all()
    assert short_straddles.theory_slope > 0
    np.testing.assert_allclose(v["theory_line"], short_straddles.theory_slope * v["variance_spread"])


def test_protective_put_programme_from_a_moneyness_book(spx):
    # Buy a 3-month 90% put every quarter and hedge it weekly (every 5 closes).
    template = Book([OptionLeg("put", 0.9, 63 / 252, 1.0)])
    prog = rolling_programme(spx, template, start="2010-01-01", end="2010-12-31", roll="quarterly",
                             hedge_volatility=RealisedVol(21), rule=EveryNSteps(5))
    assert len(prog.trades) == 4
    for rp in prog.replays:
        (leg,) = rp.book.legs
        assert leg.strike == pytest.approx(0.9 * rp.ledger["spot"].iloc[0])
        assert len(rp.ledger) == 64
        assert (rp.trades["date"].iloc[:-1].map(rp.ledger.index.get_loc) % 5 == 0).all()
    same = rolling_programme(spx, lambda s: Book([OptionLeg("put", 0.9 * s, 63 / 252, 1.0)]),
                             start="2010-01-01", end="2010-12-31", roll="quarterly",
                             hedge_volatility=RealisedVol(21), rule=EveryNSteps(5))
    np.testing.assert_array_equal(same.trades["pnl"], prog.trades["pnl"])
    short = rolling_programme(spx, template, quantity=-2.0, start="2010-01-01", end="2010-12-31",
                              roll="quarterly", hedge_volatility=RealisedVol(21), rule=EveryNSteps(5))
    np.testing.assert_allclose(short.trades["premium"], -2.0 * prog.trades["premium"], rtol=1e-12)


# ---------------------------------------------------------------------------------------
# attribution over time
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        {"hedge_volatility": RealisedVol(10), "time_basis": "calendar"},
        {"hedge_volatility": RealisedVol(21), "strategy": "delta-gamma",
         "hedge_option": HedgeOption("call", 1.0, 21 / 252)},
    ],
)
def test_attribution_over_time_sums_to_pnl_every_day(spx, kw):
    book = preset_book("butterfly", 1300.0, 0.25, width=0.05).scaled(-3.0)
    rp = replay(spx, book, start="2012-05-01", rate=0.02, dividend_yield=0.015,
                costs=TransactionCosts(proportional=5e-4, per_trade=0.1), **kw)
    a = rp.attribution_over_time
    assert tuple(a.columns) == ATTRIBUTION_OVER_TIME_COLUMNS
    assert (a.index == rp.ledger.index).all()
    parts = a.drop(columns="pnl").sum(axis=1).to_numpy()
    np.testing.assert_allclose(parts, a["pnl"].to_numpy(), atol=1e-9)
    last = a.iloc[-1]
    for k in (*GREEKS, "residual", "interest", "dividends", "entry"):
        assert last[k] == pytest.approx(float(rp.result.explain[k][0]), abs=1e-8), k
    assert last["costs"] == pytest.approx(-float(rp.result.costs[0]), abs=1e-10)
    assert last["pnl"] == pytest.approx(rp.pnl, abs=1e-10)
    assert a.iloc[0][["delta", "gamma", "theta", "vega"]].abs().max() == 0.0
    assert last["interest"] != 0.0 and last["dividends"] != 0.0


@settings(max_examples=15, deadline=None)
@given(
    sigma=st.floats(0.05, 0.8),
    moneyness=st.floats(0.8, 1.2),
    quantity=st.floats(-5.0, 5.0).filter(lambda x: abs(x) > 0.1),
    seed=st.integers(0, 10_000),
)
def test_replay_attribution_closes_on_random_paths(sigma, moneyness, quantity, seed):
    rng = np.random.default_rng(seed)
    s = 100.0 * np.exp(np.cumsum(np.r_[0.0, rng.normal(0.0, 0.02, 30)]))
    prices = pd.Series(s, index=pd.bdate_range("2020-01-01", periods=31))
    book = Book([OptionLeg("put", 100.0 * moneyness, 30 / 252, quantity)])
    rp = replay(prices, book, start="2020-01-01", hedge_volatility=sigma, rate=0.03)
    a = rp.attribution_over_time
    np.testing.assert_allclose(a.drop(columns="pnl").sum(axis=1), a["pnl"], atol=1e-9 * (1 + abs(quantity) * 100))
    assert a["pnl"].iloc[-1] == pytest.approx(rp.pnl, abs=1e-9)
    assert isinstance(rp, Replay) and rp.summary()["n_trades"] == int(rp.result.n_trades[0])


# ---------------------------------------------------------------------------------------
# volatility sources: no look-ahead
# ---------------------------------------------------------------------------------------


def _other_path_after(prices: pd.Series, t: pd.Timestamp, seed: int = 7) -> pd.Series:
    """The same closes up to t, then a different but plausible path: daily log returns
    drawn at twice the series' own volatility, from another seed. A model can digest it (a
    GARCH refit on it converges), and it differs from what really happened after t."""
    out = prices.copy()
    later = out.index > t
    r = np.diff(np.log(prices.loc[:t].to_numpy()))
    draws = np.random.default_rng(seed).normal(0.0, 2.0 * r.std(), int(later.sum()))
    out[later] = float(prices.loc[t]) * np.exp(np.cumsum(draws))
    return out


def test_garch_forecast_ignores_data_after_its_date(spx):
    prices = spx.prices.loc[:"2012-12-31"]
    dates = prices.index[-40:]
    t = dates[25]  # between two refits (every 10 rows from dates[0])
    spec = GarchVol(refit_every=10, horizon_days=21, fit_window=500)
    full = spec.volatility_on(prices, dates)
    cut = spec.volatility_on(prices.loc[:t], dates[dates <= t])
    other = spec.volatility_on(_other_path_after(prices, t), dates)
    np.testing.assert_array_equal(cut.to_numpy(), full.loc[:t].to_numpy())
    np.testing.assert_array_equal(other.loc[:t].to_numpy(), full.loc[:t].to_numpy())
    # after t the other path (twice as volatile) does move the forecast
    assert not np.allclose(other.loc[t:].to_numpy()[1:], full.loc[t:].to_numpy()[1:])


def test_garch_refit_and_rolled_recursion_match_direct_fits(spx):
    prices = spx.prices.loc[:"2011-06-30"]
    dates = prices.index[-8:]
    v = GarchVol(refit_every=5, horizon_days=10, fit_window=500).volatility_on(prices, dates)
    # On a refit date the value is the fit as of that date (oracle: fit_garch directly).
    k = prices.index.get_loc(dates[5])
    fit = fit_garch(prices.iloc[k - 500 : k + 1])
    assert v.iloc[5] == pytest.approx(fit.forecast_volatility(10), rel=1e-12)
    # Two days later: the variance recursion rolled forward through two known returns.
    r = np.diff(np.log(prices.to_numpy()))
    h = fit.next_variance
    for j in (k + 1, k + 2):
        eps = r[j - 1] - fit.mean_return
        h = fit.omega + fit.alpha * eps * eps + fit.beta * h
    p = fit.alpha + fit.beta
    hbar = fit.omega / (1 - p)
    mean_h = np.mean([hbar + p**i * (h - hbar) for i in range(10)])
    assert v.iloc[7] == pytest.approx(math.sqrt(252 * mean_h), rel=1e-10)


def test_garch_in_a_replay_uses_the_remaining_life(spx):
    book = Book([OptionLeg("call", 1400.0, 10 / 252, -1.0)])
    rp = replay(spx, book, start="2012-09-04", hedge_volatility=GarchVol(refit_every=21))
    prices = spx.prices
    k = prices.index.get_loc(pd.Timestamp("2012-09-04"))
    fit = fit_garch(prices.iloc[k - 1000 : k + 1])
    assert rp.volatility.iloc[0] == pytest.approx(fit.forecast_volatility(10), rel=1e-12)
    assert rp.volatility_label.startswith("GARCH")


def test_realised_vol_ignores_data_after_its_date(spx):
    prices = spx.prices.loc[:"2008-12-31"]
    dates = prices.index[-60:]
    t = dates[30]
    spec = RealisedVol(window=21)
    full = spec.volatility_on(prices, dates)
    cut = spec.volatility_on(prices.loc[:t], dates[dates <= t])
    other = spec.volatility_on(_other_path_after(prices, t), dates)
    np.testing.assert_array_equal(cut.to_numpy(), full.loc[:t].to_numpy())
    np.testing.assert_array_equal(other.loc[:t].to_numpy(), full.loc[:t].to_numpy())
    # oracle: the library's rolling estimator on data up to t
    assert full.loc[t] == pytest.approx(float(realised_volatility(prices.loc[:t], window=21).iloc[-1]), rel=1e-12)


def test_not_enough_history_names_the_window_and_dates():
    prices = pd.Series(100.0 + np.arange(30.0), index=pd.bdate_range("2021-03-01", periods=30))
    book = Book([OptionLeg("call", 110.0, 5 / 252, -1.0)])
    with pytest.raises(HedgeLibError, match=r"window of 21 returns.*2021-03-01"):
        replay(prices, book, start="2021-03-10", hedge_volatility=RealisedVol(21))
    rp = replay(prices, book, start="2021-03-30", hedge_volatility=RealisedVol(21))
    assert rp.volatility.iloc[0] > 0
    with pytest.raises(HedgeLibError, match=r"GarchVol needs at least 250 daily returns up to 2021-03-10"):
        GarchVol(horizon_days=5).volatility_on(prices, prices.index[7:9])


def test_implied_vol_series_from_a_user_column():
    idx = pd.bdate_range("2022-01-03", periods=10)
    prices = pd.Series(np.linspace(100, 105, 10), index=idx)
    iv_points = pd.Series([20.0, 21.0, 25.0], index=idx[[0, 2, 4]])
    spec = ImpliedVolSeries(iv_points, percent=True, max_stale_days=3)
    v = spec.volatility_on(prices, idx[:6])
    np.testing.assert_allclose(v.to_numpy(), [0.20, 0.20, 0.21, 0.21, 0.25, 0.25])
    with pytest.raises(HedgeLibError, match="2022-01-11"):
        spec.volatility_on(prices, idx)  # Tue 11 Jan is 4 days after the last value (Fri 7 Jan)
    with pytest.raises(HedgeLibError, match="series"):
        ImpliedVolSeries(pd.Series([0.2, -0.1], index=idx[:2]))


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------


def test_validation_messages(spx):
    call = Book([OptionLeg("call", 2500.0, 21 / 252, -1.0)])
    with pytest.raises(HedgeLibError, match=r"start must lie within.*1999-01-04"):
        replay(spx, call, start="1990-01-02")
    with pytest.raises(HedgeLibError, match=r"end must not be after the data end \(2018-12-31\)"):
        replay(spx, call, start="2018-06-01", end="2019-02-01")
    with pytest.raises(HedgeLibError, match=r"2018-12-17.*12 more trading day\(s\) of data are missing"):
        # after 17 Dec 2018 the data hold 9 closes (18-21, 24, 26-28, 31 Dec): 21 - 9 = 12 short
        replay(spx, call, start="2018-12-17")
    with pytest.raises(HedgeLibError, match=r"calendar day\(s\) of data are missing"):
        replay(spx, call, start="2018-12-17", time_basis="calendar")
    with pytest.raises(HedgeLibError, match="nothing to hedge"):
        replay(spx, call, start="2018-06-01", end="2018-06-01")
    with pytest.raises(HedgeLibError, match="time_basis"):
        replay(spx, call, start="2018-06-01", time_basis="business")
    with pytest.raises(HedgeLibError, match="volatility must be"):
        replay(spx, call, start="2018-06-01", hedge_volatility="vix")
    with pytest.raises(HedgeLibError, match="volatility must be positive"):
        replay(spx, call, start="2018-06-01", hedge_volatility=-0.1)
    with pytest.raises(HedgeLibError, match="no VIX close"):
        replay(spx, call, start="2013-06-03", hedge_volatility=ImpliedVolSeries())
    with pytest.raises(HedgeLibError, match="start must be a date"):
        replay(spx, call, start=20180601)
    with pytest.raises(HedgeLibError, match="history must be"):
        replay([1.0, 2.0], call, start="2018-06-01")
    with pytest.raises(HedgeLibError, match="tenor must be given"):
        rolling_programme(spx, "straddle", start="2015-01-01", end="2015-06-30")
    with pytest.raises(HedgeLibError, match="start must not be after end"):
        rolling_programme(spx, "straddle", tenor=0.1, start="2016-01-01", end="2015-06-30")
    with pytest.raises(HedgeLibError, match="roll must be"):
        rolling_programme(spx, "straddle", tenor=0.1, roll="daily")
    with pytest.raises(HedgeLibError, match="no trade of the programme fits"):
        rolling_programme(spx, "straddle", tenor=0.5, start="2018-11-01")
    with pytest.raises(HedgeLibError, match="quantity must not be zero"):
        rolling_programme(spx, "straddle", tenor=0.1, quantity=0.0)
    with pytest.raises(HedgeLibError, match="refit_every"):
        GarchVol(refit_every=0)
    with pytest.raises(HedgeLibError, match="window"):
        RealisedVol(window=1)
    with pytest.raises(HedgeLibError, match="volatility"):
        ConstantVol(0.0)


def test_realised_window_longer_than_the_series_is_a_clear_error():
    dates = pd.bdate_range("2020-01-01", periods=10)
    prices = pd.Series(100.0 * np.exp(np.linspace(0.0, 0.05, 10)), index=dates)
    with pytest.raises(HedgeLibError, match="whole series has 10 closes"):
        RealisedVol(window=21).volatility_on(prices, dates[-1:])
