"""Figure builders for historical backtests: traces, values, titles with units, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from hedgelib.backtest import ImpliedVolSeries, rolling_programme
from hedgelib.charts.backtest import (
    hedge_position_figure,
    pnl_attribution_figure,
    price_trades_figure,
    trade_pnl_histogram_figure,
    variance_scatter_figure,
    volatility_comparison_figure,
)
from hedgelib.conventions import HedgeLibError
from hedgelib.market.history import load_bundled

DATES = pd.bdate_range("2024-01-01", periods=10)
PRICES = np.array([100.0, 101.0, 99.0, 98.5, 102.0, 103.0, 101.5, 100.0, 104.0, 105.0])


def test_price_trades_figure_splits_buys_and_sells_at_the_close():
    shares = np.array([0.5, -0.2, 0.0, -0.3])
    when = DATES[[1, 3, 4, 8]]
    fig = price_trades_figure(DATES, PRICES, when, shares, entry_dates=DATES[[0, 5]],
                              levels={"strike 100": 100.0}, name="demo", y_title="Close (points)")
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["demo", "Buys", "Sells", "Entries", "strike 100"]
    buys, sells, entries, strike = fig.data[1:]
    # prices looked up from the close on each trade date; the zero trade is not drawn
    assert pd.DatetimeIndex(buys.x).equals(DATES[[1]]) and buys.y.tolist() == [101.0]
    assert pd.DatetimeIndex(sells.x).equals(DATES[[3, 8]]) and sells.y.tolist() == [98.5, 104.0]
    assert sells.customdata.tolist() == [-0.2, -0.3]
    assert buys.marker.symbol == "triangle-up" and sells.marker.symbol == "triangle-down"
    assert entries.y.tolist() == [100.0, 103.0]
    assert list(strike.y) == [100.0, 100.0]
    assert fig.layout.xaxis.title.text == "Date"
    assert fig.layout.yaxis.title.text == "Close (points)"


def test_price_trades_figure_uses_given_trade_prices_and_keeps_empty_legend_entries():
    fig = price_trades_figure(DATES, PRICES, DATES[[2]], [1.0], trade_prices=[99.25])
    assert fig.data[1].y.tolist() == [99.25]
    assert fig.data[2].name == "Sells" and len(fig.data[2].x) == 0


def test_price_trades_figure_rejects_bad_input():
    with pytest.raises(HedgeLibError, match="prices must have the same length as dates"):
        price_trades_figure(DATES, PRICES[:-1], DATES[:1], [1.0])
    with pytest.raises(HedgeLibError, match="trade_shares must have the same length as trade_dates"):
        price_trades_figure(DATES, PRICES, DATES[:2], [1.0])
    with pytest.raises(HedgeLibError, match="trade_dates must be an array of dates"):
        price_trades_figure(DATES, PRICES, "2024-01-02", [1.0])


def test_hedge_position_figure_is_a_step_line():
    pos = np.linspace(-0.5, 0.5, 10)
    fig = hedge_position_figure(DATES, pos)
    assert len(fig.data) == 1
    np.testing.assert_allclose(fig.data[0].y, pos)
    assert fig.data[0].line.shape == "hv" and fig.data[0].fill == "tozeroy"
    assert fig.layout.yaxis.title.text == "Shares held (+ long, − short)"
    with pytest.raises(HedgeLibError, match="position must have the same length as dates"):
        hedge_position_figure(DATES, pos[:3])


def test_pnl_attribution_figure_names_terms_and_draws_the_total_last():
    gamma = -np.arange(10.0)
    theta = 0.5 * np.arange(10.0)
    total = gamma + theta
    fig = pnl_attribution_figure(DATES, {"gamma": gamma, "theta": theta, "costs": -0.1 * np.arange(10.0),
                                         "custom": np.zeros(10)}, total=total, total_name="P&L")
    assert [t.name for t in fig.data] == ["Gamma", "Theta", "Costs", "custom", "P&L"]
    np.testing.assert_allclose(fig.data[-1].y, total)
    assert fig.data[-1].line.width > fig.data[0].line.width
    assert fig.data[2].line.dash == "dash"
    assert fig.layout.yaxis.title.text == "Cumulative P&L (currency)"
    with pytest.raises(HedgeLibError, match="at least one series"):
        pnl_attribution_figure(DATES, {})
    with pytest.raises(HedgeLibError, match=r"terms\['gamma'\] must have the same length"):
        pnl_attribution_figure(DATES, {"gamma": gamma[:4]})


def test_volatility_comparison_figure_fills_the_gap_and_draws_levels():
    iv = np.full(10, 18.0)
    rv = np.linspace(10.0, 30.0, 10)
    fig = volatility_comparison_figure(DATES, iv, rv, implied_name="VIX", markers=True,
                                       levels={"Realised over the life": 21.0, "skip": float("nan")})
    assert [t.name for t in fig.data] == ["VIX", "Realised volatility", "Realised over the life"]
    assert fig.data[0].mode == "lines+markers"
    assert fig.data[1].fill == "tonexty"
    np.testing.assert_allclose(fig.data[1].y, rv)
    assert list(fig.data[2].y) == [21.0, 21.0]
    assert fig.layout.yaxis.title.text == "Volatility (% a year)"
    with pytest.raises(HedgeLibError, match="realised must have the same length as dates"):
        volatility_comparison_figure(DATES, iv, rv[:2])


def test_trade_pnl_histogram_counts_every_trade_on_common_bins():
    rng = np.random.default_rng(3)
    hedged = rng.normal(5.0, 10.0, 50)
    unhedged = rng.normal(5.0, 40.0, 50)
    fig = trade_pnl_histogram_figure(hedged, unhedged=unhedged, x_title="P&L (points)")
    assert [t.name for t in fig.data] == ["Hedged", "Unhedged", "zero"]
    assert int(sum(fig.data[0].y)) == 50 and int(sum(fig.data[1].y)) == 50
    # both histograms share the same bins, spanning every value
    np.testing.assert_allclose(fig.data[0].x, fig.data[1].x)
    assert len(fig.data[0].x) == 10  # sqrt(50) ~ 7, raised to the minimum of 10
    width = fig.data[0].width
    assert fig.data[0].x[0] - width / 2 == pytest.approx(min(hedged.min(), unhedged.min()))
    assert fig.data[0].x[-1] + width / 2 == pytest.approx(max(hedged.max(), unhedged.max()))
    assert fig.layout.barmode == "overlay"
    assert fig.layout.xaxis.title.text == "P&L (points)"
    # one value: a unit-wide bin around it
    single = trade_pnl_histogram_figure([3.0])
    assert int(sum(single.data[0].y)) == 1
    with pytest.raises(HedgeLibError, match="at least one trade"):
        trade_pnl_histogram_figure([])
    with pytest.raises(HedgeLibError, match="unhedged must have the same length as pnl"):
        trade_pnl_histogram_figure([1.0, 2.0], unhedged=[1.0])


def test_variance_scatter_theory_line_passes_through_the_origin_with_the_slope():
    x = np.array([0.004, -0.01, 0.002, 0.03])
    y = np.array([10.0, -40.0, 3.0, 80.0])
    fig = variance_scatter_figure(x, y, theory_slope=2500.0, theory_pnl=2400.0 * x,
                                  labels=["a", "b", "c", "d"])
    assert [t.name for t in fig.data] == ["Trades", "Theory: slope 2,500", "Theory per trade (own gamma)"]
    line = fig.data[1]
    assert line.x.tolist() == [-0.01, 0.03]
    np.testing.assert_allclose(line.y, [-25.0, 75.0])
    assert list(fig.data[0].text) == ["a", "b", "c", "d"]
    np.testing.assert_allclose(fig.data[2].y, 2400.0 * x)
    assert fig.layout.xaxis.title.text == "Implied² − realised² (annual variance)"
    # all spreads positive: the line still starts at zero
    assert variance_scatter_figure([0.01, 0.02], [1.0, 2.0], theory_slope=1.0).data[1].x.tolist() == [0.0, 0.02]
    with pytest.raises(HedgeLibError, match="theory_slope must be finite"):
        variance_scatter_figure(x, y, theory_slope=float("nan"))
    with pytest.raises(HedgeLibError, match="labels must have the same length"):
        variance_scatter_figure(x, y, theory_slope=1.0, labels=["a"])


def test_builders_take_a_real_programme():
    # Six monthly short straddles on the S&P 500 at the VIX, H1 2017 (the library's own example).
    prog = rolling_programme(load_bundled("sp500"), "straddle", tenor=21 / 252, quantity=-1.0,
                             start="2017-01-01", end="2017-06-30", hedge_volatility=ImpliedVolSeries())
    rel = prog.variance_relation()
    fig = variance_scatter_figure(rel["variance_spread"], rel["pnl"], theory_slope=prog.theory_slope)
    assert len(fig.data[0].x) == 6
    # short gamma: the theory line rises with implied minus realised variance
    assert prog.theory_slope > 0 and fig.data[1].y[-1] > fig.data[1].y[0]
    rp = prog.replays[0]
    att = rp.attribution_over_time
    fig = pnl_attribution_figure(att.index, {k: att[k] for k in ("delta", "gamma", "theta", "vega")},
                                 total=att["pnl"])
    assert fig.data[-1].y[-1] == pytest.approx(rp.pnl)
    fig = price_trades_figure(rp.ledger.index, rp.ledger["spot"], rp.trades["date"], rp.trades["shares"])
    assert len(fig.data[1].x) + len(fig.data[2].x) == int((rp.trades["shares"] != 0).sum())


def _long_backtest():
    # Five years of daily closes hedged weekly, as on the page over 2014-2018.
    dates = pd.bdate_range("2014-01-01", "2018-12-31")
    prices = 2000.0 * np.exp(np.cumsum(np.random.default_rng(8).normal(0, 0.01, len(dates))))
    trade_dates = dates[::5]
    shares = np.where(np.arange(len(trade_dates)) % 3 == 0, 0.05, -0.02)
    return dates, prices, trade_dates, shares


def test_long_backtest_trades_are_netted_into_fewer_smaller_markers():
    from hedgelib.charts._common import MAX_MARKERS

    dates, prices, trade_dates, shares = _long_backtest()
    fig = price_trades_figure(dates, prices, trade_dates, shares)
    line, buys, sells = fig.data[:3]
    assert len(trade_dates) > MAX_MARKERS
    assert 0 < len(buys.x) + len(sells.x) <= MAX_MARKERS
    # Netting keeps the total traded, signed.
    assert sum(buys.customdata) + sum(sells.customdata) == pytest.approx(shares.sum())
    assert buys.marker.size < 8 and "net" in buys.name
    assert line.line.width < 1.5
    # A short backtest keeps one marker per trade.
    short = price_trades_figure(DATES, PRICES, DATES[[1, 3]], [0.5, -0.2])
    assert short.data[1].name == "Buys" and short.data[1].marker.size == 8


def test_long_backtest_lines_drop_markers_and_thin_out():
    dates, prices, _, _ = _long_backtest()
    n = len(dates)
    iv, rv = np.full(n, 18.0), np.full(n, 15.0)
    long_vol = volatility_comparison_figure(dates, iv, rv, markers=True)
    assert [t.mode for t in long_vol.data] == ["lines", "lines"]
    assert all(t.line.width < 2 for t in long_vol.data)
    short_vol = volatility_comparison_figure(DATES, PRICES / 5, PRICES / 6, markers=True)
    assert [t.mode for t in short_vol.data] == ["lines+markers", "lines+markers"]
    attribution = pnl_attribution_figure(dates, {"gamma": np.zeros(n), "theta": np.zeros(n)},
                                         total=np.zeros(n))
    assert all(t.line.width < 1.5 for t in attribution.data[:2])
    assert attribution.data[2].line.width < 3.5
    assert hedge_position_figure(dates, np.zeros(n)).data[0].line.width < 1.5
