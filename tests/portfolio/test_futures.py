"""Index-futures hedges on real closes: the NASDAQ hedged with S&P 500 futures, no look-ahead,
the futures' bookkeeping, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.market.history import load_bundled
from hedgelib.portfolio import HEDGE_METHODS, FuturesContract, futures_hedge

NASDAQ, SPX = load_bundled("nasdaq"), load_bundled("sp500")


@pytest.fixture(scope="module")
def hedges():
    return {m: futures_hedge(NASDAQ, SPX, start="2001-01-01", end="2018-12-31", method=m)
            for m in HEDGE_METHODS}


def test_nasdaq_hedged_with_sp500_futures_2001_2018(hedges):
    # The variance reduction of each method on the bundled data, 2001-2018, window 60, weekly:
    #   none 0, rolling beta 0.87, minimum variance (EWMA) 0.88, static (the 60 days before
    #   2001, beta 2.2, held for 18 years) about 0.10.
    vr = {m: h.variance_reduction for m, h in hedges.items()}
    assert vr["none"] == pytest.approx(0.0, abs=1e-12)
    assert vr["beta"] == pytest.approx(0.8715, abs=5e-4)
    assert vr["min_variance"] == pytest.approx(0.8752, abs=5e-4)
    assert vr["static"] == pytest.approx(0.1006, abs=5e-4)
    # Ederington (1979): the best constant ratio, fitted in hindsight on the whole period,
    # removes the squared correlation rho^2 (0.845 here). Ratios re-estimated as data arrive do
    # better, because the NASDAQ's beta fell from about 2 in 2001 to about 1.1; the static ratio
    # fitted in late 2000 does far worse.
    u, s = hedges["beta"].unhedged, hedges["beta"].index_returns
    rho2 = float(np.corrcoef(u, s)[0, 1] ** 2)
    assert vr["static"] < rho2 < vr["beta"] < vr["min_variance"]
    # Every method covers the same days, so the comparison is like for like.
    days = {len(h.hedged) for h in hedges.values()}
    assert days == {len(u)} and hedges["beta"].hedged.index[0] == pd.Timestamp("2001-01-03")
    sm = hedges["beta"].summary()
    assert sm["volatility_hedged"] < 0.4 * sm["volatility_unhedged"]
    assert abs(sm["beta_hedged"]) < 0.15 < 1.0 < sm["beta_unhedged"]
    assert sm["n_rolls"] == pytest.approx(4 * 18, abs=1) and sm["n_rebalances"] == pytest.approx(906, abs=1)


def test_no_ratio_uses_data_after_its_date(hedges):
    # Scramble every close from a date on: the ratios in force up to that date (estimated from
    # returns strictly before each rebalance) must not move.
    cut = pd.Timestamp("2009-03-10")
    rng = np.random.default_rng(0)
    later = NASDAQ.prices.index >= cut
    noise = np.exp(rng.normal(0.0, 0.05, later.sum()))
    nq = NASDAQ.prices.copy()
    nq[later] *= noise
    spx = SPX.prices.copy()
    spx[later] *= noise[::-1]
    for method in HEDGE_METHODS:
        h = futures_hedge(nq, spx, start="2001-01-01", end="2018-12-31", method=method)
        before = hedges[method].hedge_ratio.loc[:cut]
        np.testing.assert_array_equal(h.hedge_ratio.loc[:cut].to_numpy(), before.to_numpy())
        assert h.hedge_ratio.loc[:cut].index.equals(before.index)
        if method in ("beta", "min_variance"):
            assert not np.allclose(h.hedge_ratio.loc[cut:].iloc[10:], hedges[method].hedge_ratio.loc[cut:].iloc[10:])


def test_rolling_beta_is_the_ols_slope_of_the_window_before():
    h = futures_hedge(NASDAQ, SPX, start="2012-01-01", end="2012-06-30", method="beta", window=40,
                      rebalance_every=10)
    p, s = NASDAQ.prices.pct_change(), SPX.prices.pct_change()
    reb = h.ledger.index[h.ledger["rebalanced"]]
    for d in reb[:4]:
        window = p.index[p.index < d][-40:]
        slope = np.polyfit(s.loc[window], p.loc[window], 1)[0]
        assert h.hedge_ratio.loc[d] == pytest.approx(slope, rel=1e-9)
    # Between rebalances the ratio stays.
    assert h.hedge_ratio.iloc[:10].nunique() == 1 and h.hedge_ratio.iloc[10] != h.hedge_ratio.iloc[0]


def test_futures_bookkeeping_carry_basis_rolls_and_costs():
    h = futures_hedge(NASDAQ, SPX, start="2006-01-01", end="2007-12-31", method="beta", rate=0.05,
                      dividend_yield=0.02, costs=TransactionCosts(proportional=1e-4))
    led = h.ledger
    # Fair value: F = S exp((r - q)(T - t)), actual/365, third-Friday quarterly expiries.
    tau = (led["expiry"] - led.index).dt.days / 365.0
    np.testing.assert_allclose(led["futures"], led["index"] * np.exp(0.03 * tau), rtol=1e-12)
    assert set(led["expiry"].dt.month) == {3, 6, 9, 12} and (led["expiry"].dt.day_of_week == 4).all()
    assert (led["expiry"].dt.day.between(15, 21)).all()
    assert (led["basis"] > 0).all()  # r > q: futures above the index, converging at expiry
    # The futures P&L splits into the index move and the basis move; the basis earns the
    # short its convergence (about (r - q) x notional x ratio a year).
    np.testing.assert_allclose(led["futures_pnl"], led["index_pnl"] + led["basis_pnl"], atol=1e-15)
    s = h.summary()
    assert s["basis_pnl"] > 0 and s["n_rolls"] == 8
    assert s["roll_costs"] > 0 and s["rebalance_costs"] > 0
    assert s["costs"] == pytest.approx(s["roll_costs"] + s["rebalance_costs"])
    # Rolled five trading days before each expiry: the expiry changes on those dates.
    rolled = led.index[led["rolled"]]
    assert len(rolled) == 8 and all(led.loc[d, "expiry"] > d for d in rolled)
    # Without carry the futures are the index and the basis P&L is zero.
    flat = futures_hedge(NASDAQ, SPX, start="2006-01-01", end="2006-12-31", method="beta")
    assert flat.summary()["basis_pnl"] == 0.0 and flat.summary()["costs"] == 0.0


def test_whole_contracts_with_a_multiplier():
    contract = FuturesContract(multiplier=250.0, notional=10_000_000.0)
    h = futures_hedge(NASDAQ, SPX, start="2015-01-01", end="2015-12-31", contract=contract)
    n = h.ledger["contracts"]
    assert (n == n.round()).all() and (n.iloc[:-1] < 0).all()
    frac = futures_hedge(NASDAQ, SPX, start="2015-01-01", end="2015-12-31")
    # A $10m NASDAQ portfolio needs about 40 big S&P contracts; rounding barely matters.
    assert h.variance_reduction == pytest.approx(frac.variance_reduction, abs=0.01)
    assert h.cumulative()["hedged"].iloc[0] == 1.0


def test_views_for_the_page(hedges):
    h = hedges["beta"]
    by_year = h.variance_by_year()
    assert list(by_year.index) == list(range(2001, 2019))
    assert (by_year["variance_reduction"] > 0.5).all()
    vol = h.rolling_volatility(63)
    assert list(vol.columns) == ["unhedged", "hedged"] and (vol["hedged"] < vol["unhedged"]).mean() > 0.95
    cum = h.cumulative()
    assert cum.index[0] == pd.Timestamp("2001-01-02")
    assert cum["hedged"].iloc[-1] == pytest.approx(np.prod(1 + h.hedged), rel=1e-10)
    assert h.label == "Rolling beta (OLS)" and "variance_reduction" in repr(h)
    assert math.isfinite(h.summary()["tracking_error_hedged"])


def test_window_longer_than_the_data_before_start_moves_the_start():
    h = futures_hedge(NASDAQ, SPX, start="1999-01-01", end="1999-12-31", window=60)
    assert h.hedged.index[0] > pd.Timestamp("1999-03-31")
    assert "needs window=60" in h.warnings[0]
    static = futures_hedge(NASDAQ, SPX, start="2001-01-01", end="2001-12-31", method="static",
                           static_period=("1999-01-01", "2000-12-29"))
    assert static.hedge_ratio.nunique() == 1


def _series(dates, values, name):
    return pd.Series(values, index=pd.DatetimeIndex(dates), name=name)


def test_bad_input_names_the_input():
    days = pd.bdate_range("2020-01-01", periods=300)
    a = _series(days, 100 * np.exp(np.cumsum(np.full(300, 1e-3))), "A")
    b = _series(days, 50 * np.exp(np.cumsum(np.full(300, 2e-3)) + 0.01 * np.sin(np.arange(300))), "B")
    cases = [
        (dict(portfolio=a, index=b, start="2020-02-01", method="ols"), "method"),
        (dict(portfolio=a, index=b, start="2020-02-01", window=1), "window"),
        (dict(portfolio=a, index=b, start="2020-02-01", window=400), "window"),
        (dict(portfolio=a, index=b, start="2020-02-01", rebalance_every=0), "rebalance_every"),
        (dict(portfolio=a, index=b, start=None), "start"),
        (dict(portfolio=a, index=b, start="2030-01-01"), "start"),
        (dict(portfolio=a, index=b, start="2020-05-01", end="2020-03-01"), "start must not be after end"),
        (dict(portfolio=a.iloc[:100], index=b.iloc[200:], start="2020-02-01"), "overlap"),
        (dict(portfolio=a, index=b.drop(days[150]), start="2020-02-01"), "same trading dates"),
        (dict(portfolio=a.drop(days[100:120]), index=b.drop(days[100:120]), start="2020-02-01"), "gap"),
        (dict(portfolio=a, index=b, start="2020-06-01", method="static",
              static_period=("2020-01-01", "2020-07-01")), "static_period"),
        (dict(portfolio=a, index=b, start="2020-06-01", contract=250), "contract"),
        (dict(portfolio=a, index=b, start="2020-06-01", costs=0.001), "costs"),
        (dict(portfolio=[1.0, 2.0], index=b, start="2020-06-01"), "portfolio"),
        (dict(portfolio=a, index="SPX", start="2020-06-01"), "index"),
    ]
    for kwargs, word in cases:
        with pytest.raises(HedgeLibError, match=word):
            futures_hedge(**kwargs)
    with pytest.raises(HedgeLibError, match="roll_days"):
        FuturesContract(roll_days=-1)
    with pytest.raises(HedgeLibError, match="months"):
        FuturesContract(months=(0, 13))
    with pytest.raises(HedgeLibError, match="multiplier"):
        FuturesContract(multiplier=0.0)
