"""Figures of the live monitor, built from a real monitored position."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.charts import live_greeks_figure, live_hedge_figure, live_price_pnl_figure
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging import DeltaBand, HedgeOption
from hedgelib.live import Monitor, PositionStore, ReplayFeed
from hedgelib.market.history import load_bundled


@pytest.fixture(scope="module")
def monitored(tmp_path_factory):
    store = PositionStore(tmp_path_factory.mktemp("charts") / "live.sqlite")
    book = Book([OptionLeg("put", 2700.0, 15 / 252, -1.0)])
    store.open_position("p", book, underlying="S&P 500", opened="2018-02-01")
    mon = Monitor(store, "p", ReplayFeed(load_bundled("sp500"), "2018-02-01"), volatility=0.2,
                  strategy="delta-gamma", hedge_option=HedgeOption("call", 1.0, 63 / 252),
                  rule=DeltaBand(0.05))
    while (s := mon.step()) is not None:
        if s.suggested_trade is not None:
            mon.accept(s)
    return store.snapshots("p"), store.trades("p")


def test_price_and_pnl_with_trades(monitored):
    frame, trades = monitored
    stock = trades[trades["instrument"] == "S&P 500"]
    fig = live_price_pnl_figure(frame["time"], frame["price"], frame["pnl_after"],
                                trade_times=stock["time"], trade_shares=stock["quantity"])
    names = [t.name for t in fig.data]
    assert names[0] == "Price" and names[-1] == "P&L since opening"
    markers = [t for t in fig.data if t.name in ("Buy", "Sell")]
    assert sum(len(t.x) for t in markers) == len(stock)
    for t in markers:  # drawn on the price at each trade's time
        at = frame.set_index("time")["price"]
        np.testing.assert_array_equal(t.y, at.loc[pd.DatetimeIndex(t.x)].to_numpy())
    assert fig.layout.yaxis.title.text == "Price" and fig.layout.yaxis2.title.text == "P&L (currency)"
    assert fig.layout.xaxis.tickformat == "%b %d\n%Y"  # daily closes: days on the axis


def test_hedge_against_target_with_an_option(monitored):
    frame, _ = monitored
    fig = live_hedge_figure(frame["time"], frame["stock"], frame["target_stock"],
                            option_held=frame["option"], option_target=frame["target_option"])
    assert [t.name for t in fig.data] == ["Target", "Held", "Target", "Held"]
    assert all(t.line.shape == "hv" for t in fig.data)
    assert fig.layout.yaxis2.title.text == "Units of the hedge option"


def test_greeks_panels(monitored):
    frame, _ = monitored
    fig = live_greeks_figure(frame["time"], {"Delta": frame["delta"], "Vega per vol point": frame["vega"] / 100})
    assert len(fig.data) == 2 and fig.layout.yaxis2.title.text == "Vega per vol point"
    np.testing.assert_array_equal(fig.data[1].y, frame["vega"].to_numpy() / 100)


def test_bad_inputs_are_named():
    t = pd.date_range("2018-02-01", periods=3, freq="B")
    with pytest.raises(HedgeLibError, match=r"pnl must have the same length as times \(3\)"):
        live_price_pnl_figure(t, [1.0, 2.0, 3.0], [0.0, 1.0])
    with pytest.raises(HedgeLibError, match="trade_shares must have the same length as trade_times"):
        live_price_pnl_figure(t, [1.0, 2.0, 3.0], [0.0, 1.0, 2.0], trade_times=t[:2], trade_shares=[1.0])
    with pytest.raises(HedgeLibError, match="times must be an array of times"):
        live_hedge_figure("today", [1.0], [1.0])
    with pytest.raises(HedgeLibError, match="greeks must map names to arrays"):
        live_greeks_figure(t, {})
    with pytest.raises(HedgeLibError, match=r"greeks\['Delta'\] must have the same length"):
        live_greeks_figure(t, {"Delta": [1.0]})


def test_daily_closes_get_one_tick_a_day_at_most():
    # Three closes used to get a tick every 12 hours, each labelled with its date.
    times = pd.to_datetime(["2018-01-29", "2018-01-30", "2018-01-31"])
    fig = live_hedge_figure(times, [0.5, 0.5, 0.46], [0.5, 0.45, 0.46])
    assert fig.layout.xaxis.dtick == 86_400_000
    long = pd.bdate_range("2018-01-01", periods=60)
    fig = live_hedge_figure(long, np.zeros(60), np.zeros(60))
    assert fig.layout.xaxis.dtick == 86_400_000 * 11  # 85 days in about eight ticks
