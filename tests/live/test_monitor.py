"""The monitor: one engine for live and history, decisions, resuming, faults and bad input.

The oracle is :func:`hedgelib.backtest.replay`: a monitor fed the same closes, accepting
every ticket, must end with its P&L (to 1e-8 relative) and its trades.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hedgelib.backtest import ImpliedVolSeries, RealisedVol, replay
from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging import (
    DeltaBand,
    EveryNSteps,
    HedgeOption,
    TransactionCosts,
    WhalleyWilmott,
)
from hedgelib.live import (
    FeedEnded,
    FeedError,
    Monitor,
    PositionStore,
    ReplayFeed,
    Snapshot,
    StalePrice,
    Tick,
)
from hedgelib.market.history import load_bundled

SPX = load_bundled("sp500")
START = "2018-02-01"  # the February 2018 volatility shock: the rules have work to do
SHORT_CALL = Book([OptionLeg("call", 2800.0, 21 / 252, -1.0)])
COSTS = TransactionCosts(proportional=2e-4, per_trade=0.5)


@pytest.fixture
def store(tmp_path):
    return PositionStore(tmp_path / "live.sqlite")


def _open(store, book=SHORT_CALL, name="p", start=START, **kwargs):
    store.open_position(name, book, underlying="S&P 500", opened=start, **kwargs)
    return name


def run(mon, *, accept=True, limit=None):
    """Step to the end, accepting (or skipping) every ticket; returns the snapshots."""
    out = []
    while limit is None or len(out) < limit:
        snap = mon.step()
        if snap is None:
            break
        out.append(snap)
        if snap.suggested_trade is not None and (accept or snap.suggested_trade.mandatory):
            mon.accept(snap)
    return out


def _same_trades(store, name, rp):
    """The blotter holds replay's stock trades: same dates, shares, prices and costs."""
    blotter = store.trades(name)
    stock = blotter[blotter["instrument"] == "S&P 500"].reset_index(drop=True)
    ref = rp.trades[rp.trades["shares"] != 0].reset_index(drop=True)
    assert len(stock) == len(ref)
    assert list(stock["time"]) == list(ref["date"])
    np.testing.assert_allclose(stock["quantity"], ref["shares"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(stock["price"], ref["price"], rtol=0)
    by_step = blotter.groupby("step")["cost"].sum().to_numpy()
    np.testing.assert_allclose(by_step, rp.trades["cost"], rtol=1e-12, atol=1e-14)


HEDGES = {
    "daily, costs and rate": {"rule": EveryNSteps(1), "costs": COSTS, "rate": 0.02, "dividend_yield": 0.018},
    "band to edge": {"rule": DeltaBand(0.05, to="edge"), "costs": COSTS},
    "Whalley-Wilmott": {"rule": WhalleyWilmott(1.0), "costs": TransactionCosts(proportional=1e-3)},
}


@pytest.mark.parametrize("hedge", list(HEDGES), ids=list(HEDGES))
def test_accepting_every_ticket_is_replay(store, hedge):
    kw = HEDGES[hedge]
    name = _open(store)
    mon = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2, **kw)
    snaps = run(mon)
    rp = replay(SPX, SHORT_CALL, start=START, hedge_volatility=0.2, **kw)
    assert mon.pnl == pytest.approx(rp.pnl, rel=1e-8, abs=0)
    assert len(snaps) == len(rp.ledger) and snaps[-1].time == rp.end
    assert snaps[-1].final and mon.finished and store.position(name).status == "expired"
    _same_trades(store, name, rp)
    # The monitored state is the replay's ledger, step by step (before each trade).
    frame = store.snapshots(name)
    ledger = rp.ledger
    held_after = (frame["stock"] + np.where(frame["decision"] == "accepted", frame["trade_stock"], 0.0))
    np.testing.assert_allclose(held_after.to_numpy()[:-1], ledger["stock"].to_numpy()[:-1], atol=1e-12)
    np.testing.assert_allclose(frame["pnl_after"].where(frame["decision"] == "accepted", frame["pnl"]),
                               ledger["pnl"], rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("source", [ImpliedVolSeries(), RealisedVol(21)], ids=["VIX", "realised"])
def test_volatility_sources_are_read_as_replay_reads_them(store, source):
    name = _open(store)
    mon = Monitor(store, name, ReplayFeed(SPX, START), volatility=source, rule=DeltaBand(0.1), costs=COSTS)
    snaps = run(mon)
    rp = replay(SPX, SHORT_CALL, start=START, hedge_volatility=source, rule=DeltaBand(0.1), costs=COSTS)
    assert mon.pnl == pytest.approx(rp.pnl, rel=1e-8, abs=0)
    np.testing.assert_array_equal([s.volatility for s in snaps], rp.volatility.to_numpy())


def test_delta_gamma_with_rolls_is_replay(store):
    """A hedge option rolled five days before its expiry: the roll ticket sells the old one."""
    book = Book([OptionLeg("put", 2700.0, 42 / 252, -2.0)])
    option = HedgeOption("call", 1.0, tenor=21 / 252, roll_before=5 / 252)
    kw = {"strategy": "delta-gamma", "hedge_option": option, "rule": DeltaBand(0.1), "costs": COSTS}
    name = _open(store, book)
    mon = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2, **kw)
    snaps = run(mon)
    rp = replay(SPX, book, start=START, hedge_volatility=0.2, **kw)
    assert mon.pnl == pytest.approx(rp.pnl, rel=1e-8, abs=0)
    rolls = [s for s in snaps if s.suggested_trade is not None and s.suggested_trade.roll_option]
    assert rolls and all(s.suggested_trade.mandatory for s in rolls)
    blotter = store.trades(name)
    assert blotter["instrument"].str.contains("roll: old option").sum() == len(rolls)


def test_snapshot_state_is_the_books(store):
    name = _open(store, premium=-70.0)
    mon = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2, rule=EveryNSteps(1))
    snaps = run(mon, limit=5)
    rp = replay(SPX, SHORT_CALL, start=START, hedge_volatility=0.2)
    for s in snaps[:-1]:
        g = SHORT_CALL.greeks(s.price, 0.2, time=s.years)
        assert (s.delta, s.gamma, s.vega, s.theta) == pytest.approx((g.delta, g.gamma, g.vega, g.theta), rel=1e-12)
        assert s.value == pytest.approx(SHORT_CALL.value(s.price, 0.2, time=s.years), rel=1e-12)
        assert s.target_stock == pytest.approx(-s.delta, rel=1e-12)  # delta hedge
        assert s.deviation == pytest.approx(s.stock - s.target_stock, abs=1e-12)
        assert s.net_delta == pytest.approx(s.delta + s.stock, abs=1e-12)
    # The position's own premium moves the P&L by the difference in premiums (no rate).
    assert snaps[0].premium == -70.0
    shift = rp.result.premium - (-70.0)
    for s, after in zip(snaps, rp.ledger["pnl"], strict=False):
        assert s.pnl_after == pytest.approx(after + shift, abs=1e-9)


def test_own_premium_grows_at_the_rate(store):
    name = _open(store, premium=-70.0)
    mon = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2, rate=0.05)
    snaps = run(mon)
    rp = replay(SPX, SHORT_CALL, start=START, hedge_volatility=0.2, rate=0.05)
    shift = (rp.result.premium + 70.0) * np.exp(0.05 * snaps[-1].years)
    assert mon.pnl == pytest.approx(rp.pnl + shift, rel=1e-12)


def test_skipping_every_ticket_leaves_the_book_unhedged(store):
    name = _open(store)
    mon = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2, rule=EveryNSteps(1), costs=COSTS)
    snaps = run(mon, accept=False)
    # Never hedged: the book alone, which is replay's unhedged P&L; nothing traded, nothing paid.
    rp = replay(SPX, SHORT_CALL, start=START, hedge_volatility=0.2, costs=COSTS)
    assert mon.pnl == pytest.approx(float(rp.result.unhedged_pnl[0]), rel=1e-10)
    assert store.trades(name).empty
    assert all(s.stock == 0.0 for s in snaps)
    assert snaps[-1].final and snaps[-1].suggested_trade is None and mon.finished


def test_skip_then_accept_keeps_the_skipped_hedge(store):
    name = _open(store)
    mon = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2, rule=EveryNSteps(1))
    s0 = mon.step()
    mon.accept(s0)
    s1 = mon.step()
    mon.skip(s1)
    s2 = mon.step()
    # Held at step 2 is what step 0 bought: step 1's ticket was skipped.
    assert s2.stock == pytest.approx(s0.suggested_trade.stock, abs=1e-15)
    s3 = mon.step()  # stepping on skips the pending ticket of step 2
    assert store.snapshots(name)["decision"].tolist() == ["accepted", "skipped", "skipped", "pending"]
    assert s3.stock == pytest.approx(s0.suggested_trade.stock, abs=1e-15)


def test_decisions_are_checked(store):
    name = _open(store)
    mon = Monitor(store, name, ReplayFeed(SPX, START, "2018-02-02"), volatility=0.2)
    s0 = mon.step()
    with pytest.raises(HedgeLibError, match="snapshot must be a Snapshot"):
        mon.accept("yes")
    mon.accept(s0)
    with pytest.raises(HedgeLibError, match="snapshot must hold the pending ticket to accept, got step 0"):
        mon.accept(s0)
    with pytest.raises(HedgeLibError, match="no ticket is pending"):
        mon.skip(s0)
    assert mon.step() is not None
    assert mon.step() is None and mon.status.kind == "ended"
    assert "no more prices" in mon.status.message
    assert not mon.finished  # the replay ended before the book's expiry: still open


def test_the_unwind_at_expiry_cannot_be_skipped(store):
    name = _open(store, Book([OptionLeg("call", 2800.0, 2 / 252, -1.0)]))
    mon = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2, rule=DeltaBand(10.0))
    mon.accept(mon.step())
    assert mon.step().suggested_trade is None  # inside the wide band
    last = mon.step()
    assert last.final and last.suggested_trade.mandatory and last.alert.startswith("The book has expired")
    with pytest.raises(HedgeLibError, match="cannot be skipped|can be skipped"):
        mon.skip(last)
    with pytest.raises(HedgeLibError, match="must be accepted before the next price"):
        mon.step()
    mon.accept(last)
    assert mon.finished and mon.step() is None and mon.status.kind == "closed"


def test_resume_in_a_new_monitor(store):
    kw = {"volatility": 0.2, "rule": DeltaBand(0.05), "costs": COSTS, "rate": 0.01}
    name = _open(store)
    first = Monitor(store, name, ReplayFeed(SPX, START), **kw)
    run(first, limit=7)
    pending_step = first.pending.step if first.pending else None
    again = Monitor(store, name, ReplayFeed(SPX, START), **kw)
    assert [dataclasses.asdict(s) for s in again._snapshots] == [
        dataclasses.asdict(s) for s in first._snapshots]
    if pending_step is not None:
        assert again.pending.step == pending_step
        again.accept(again.pending)
    run(again)
    rp = replay(SPX, SHORT_CALL, start=START, hedge_volatility=0.2, rule=DeltaBand(0.05), costs=COSTS,
                rate=0.01)
    assert again.pnl == pytest.approx(rp.pnl, rel=1e-8, abs=0)


def test_snapshots_read_back_equal(store):
    name = _open(store)
    mon = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2)
    snap = mon.step()
    row = store.snapshots(name).iloc[0]
    assert Snapshot.from_row(name, 0, row) == snap


def test_resume_with_other_settings_is_refused(store):
    name = _open(store)
    mon = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2, rule=DeltaBand(0.05))
    mon.step()
    with pytest.raises(HedgeLibError, match=r"settings must be those position 'p' was monitored with: "
                                            r"rule=.DeltaBand\(half_width=0.05, to=.target.\). \(given .DeltaBand\(half_width=0.1"):
        Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2, rule=DeltaBand(0.1))


class FlakyFeed:
    """A replay whose polls fail in scripted ways before each real answer."""

    time_basis = "trading"
    periods_per_year = 252
    label = "flaky replay"

    def __init__(self, faults):
        self.inner = ReplayFeed(SPX, START)
        self.faults = list(faults)

    def next_tick(self, after):
        if self.faults:
            fault = self.faults.pop(0)
            if isinstance(fault, BaseException):
                raise fault
            if fault == "nothing":
                return None
            if fault == "nan":
                return Tick(self.inner.next_tick(after).timestamp, float("nan"))
            if fault == "repeat":
                return Tick(after, 2800.0)
            if fault == "garbage":
                return "price?"
        return self.inner.next_tick(after)


def test_feed_faults_keep_the_last_good_state(store):
    faults = [FeedError("could not poll: no network"), "nothing", "nan", "repeat",
              StalePrice("too old"), RuntimeError("socket closed"), "garbage"]
    name = _open(store)
    mon = Monitor(store, name, FlakyFeed(faults), volatility=0.2, rule=DeltaBand(0.1))
    kinds = []
    for _ in faults:
        assert mon.step() is None
        kinds.append(mon.status.kind)
    assert kinds == ["error", "waiting", "error", "stale", "stale", "error", "error"]
    assert "socket closed" in mon.status.message or "price?" in mon.status.message
    assert store.snapshots(name).empty  # nothing half-recorded
    run(mon)
    rp = replay(SPX, SHORT_CALL, start=START, hedge_volatility=0.2, rule=DeltaBand(0.1))
    assert mon.pnl == pytest.approx(rp.pnl, rel=1e-8, abs=0)


class IntradayFeed:
    """Daily closes served on the calendar basis (as a live feed's timestamps are)."""

    time_basis = "calendar"
    periods_per_year = 252
    label = "calendar replay"

    def __init__(self):
        self.inner = ReplayFeed(SPX, START)

    def next_tick(self, after):
        return self.inner.next_tick(after)


def test_calendar_basis_is_replay_on_calendar_time(store):
    book = Book([OptionLeg("call", 2800.0, 30 / 365, -1.0)])
    name = _open(store, book, time_basis="calendar")
    mon = Monitor(store, name, IntradayFeed(), volatility=0.2, rule=DeltaBand(0.05), costs=COSTS)
    run(mon)
    rp = replay(SPX, book, start=START, hedge_volatility=0.2, rule=DeltaBand(0.05), costs=COSTS,
                time_basis="calendar")
    assert mon.pnl == pytest.approx(rp.pnl, rel=1e-8, abs=0)
    assert store.position(name).expiry_dates == (pd.Timestamp("2018-03-03"),)


def test_bad_input_is_named(store):
    name = _open(store)
    feed = ReplayFeed(SPX, START)
    with pytest.raises(HedgeLibError, match="name must be a position of the store"):
        Monitor(store, "nope", feed, volatility=0.2)
    with pytest.raises(HedgeLibError, match="store must be a PositionStore"):
        Monitor("live.sqlite", name, feed, volatility=0.2)
    with pytest.raises(HedgeLibError, match="feed must be a feed with a next_tick method"):
        Monitor(store, name, [2800.0, 2810.0], volatility=0.2)
    with pytest.raises(HedgeLibError, match="volatility must be positive"):
        Monitor(store, name, feed, volatility=-0.2)
    with pytest.raises(HedgeLibError, match="rule must be a rule with a decide method"):
        Monitor(store, name, feed, volatility=0.2, rule="daily")
    with pytest.raises(HedgeLibError, match=r"feed must give prices on the position's time basis \('trading'\)"):
        Monitor(store, name, IntradayFeed(), volatility=0.2)
    live = IntradayFeed()
    _open(store, name="cal", time_basis="calendar")
    with pytest.raises(HedgeLibError, match="volatility must be a number for calendar replay"):
        Monitor(store, "cal", live, volatility=RealisedVol(21))


def test_a_volatility_source_without_enough_history_says_so(store):
    name = _open(store, start="1999-01-05")
    mon = Monitor(store, name, ReplayFeed(SPX, "1999-01-05"), volatility=RealisedVol(21))
    with pytest.raises(HedgeLibError, match="window of 21 returns needs 22 closes"):
        mon.step()
    assert store.snapshots(name).empty


def test_two_monitors_on_one_position_cannot_both_advance(store):
    name = _open(store)
    a = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2)
    b = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2)
    a.step()
    with pytest.raises(HedgeLibError, match="another monitor has advanced it; open it again"):
        b.step()


def test_a_closed_position_is_not_monitored(store):
    name = _open(store)
    store.close_position(name, time="2018-02-05")
    mon = Monitor(store, name, ReplayFeed(SPX, START), volatility=0.2)
    assert mon.finished and mon.step() is None and mon.status.kind == "closed"


def test_feed_ended_before_opening(store):
    name = _open(store, start="2018-12-28")
    feed = ReplayFeed(SPX, "2018-12-01", "2018-12-20")
    mon = Monitor(store, name, feed, volatility=0.2)
    assert mon.step() is None and mon.status.kind == "ended"
    with pytest.raises(FeedEnded):
        feed.next_tick(pd.Timestamp("2018-12-27"))
