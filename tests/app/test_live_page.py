"""Live Monitor under AppTest: open, accept, skip, step, pause, resume, bad input.

AppTest cannot wait on the page's timer (``st.fragment(run_every=...)``), so the automatic
refresh is exercised by a plain rerun (what the timer triggers); the real timer is seen by
the browser test. The store lives in a temporary HEDGELIB_DATA_DIR.
"""

from __future__ import annotations

import pandas as pd
import pytest

from hedgelib.backtest import ImpliedVolSeries, replay
from hedgelib.book import Book, OptionLeg
from hedgelib.hedging import DeltaBand, TransactionCosts
from hedgelib.live import PositionStore, default_store_path
from hedgelib.market.history import load_bundled

PAGE = "pages/9_Live_Monitor.py"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HEDGELIB_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def live(app_test, data_dir):
    at = app_test(PAGE)
    at.run()
    assert not at.exception
    return at


def _store():
    return PositionStore(default_store_path())


def _opened(at, **inputs):
    for name, value in inputs.items():
        widget = at.text_input(key="lm_" + name) if name in ("name", "ticker") else None
        if name == "start":
            at.date_input(key="lm_start").set_value(value)
        elif name == "feed":
            at.radio(key="lm_feed").set_value(value)
        elif widget is not None:
            widget.set_value(value)
        else:
            at.selectbox(key="lm_" + name).set_value(value)
    at.button(key="lm_open").click().run()
    assert not at.exception
    return at


def _charts(at):
    return at.get("plotly_chart")


def test_page_starts_with_the_open_form(live):
    assert not live.error
    assert [b.label for b in live.button] == ["Open position"]
    assert any("Open a position above" in i.value for i in live.info)


def test_open_accept_and_step_follow_the_library(live):
    at = _opened(live, name="demo")
    assert not at.error
    store = _store()
    snaps = store.snapshots("demo")
    assert len(snaps) == 1 and snaps["decision"].iloc[0] == "pending"
    assert any("Opening hedge" in w.value for w in at.warning)
    assert len(_charts(at)) == 3
    at.button(key="lm_accept").click().run()
    trades = store.trades("demo")
    assert len(trades) == 1 and len(store.snapshots("demo")) == 1  # accepting does not step
    # The page's defaults: a short at-the-money call of 63 trading days, scaled to the first
    # close on or after 2018-01-29, VIX deltas, a 0.10 delta band, 1 bp costs.
    spx = load_bundled("sp500")
    book = store.book("demo")
    assert book == Book([OptionLeg("call", float(spx.prices["2018-01-29"]), 63 / 252, -1.0)])
    rp = replay(spx, book, start="2018-01-29", hedge_volatility=ImpliedVolSeries(),
                rule=DeltaBand(0.10), costs=TransactionCosts(proportional=1e-4))
    assert trades.loc[0, "quantity"] == pytest.approx(rp.trades["shares"].iloc[0], rel=1e-12)
    assert trades.loc[0, "cost"] == pytest.approx(rp.trades["cost"].iloc[0], rel=1e-12)
    at.button(key="lm_step").click().run()
    assert len(store.snapshots("demo")) == 2 and not at.exception
    metrics = {m.label: m.value for m in at.metric}
    step1 = store.snapshots("demo").iloc[1]
    assert metrics["Price"] == f"{spx.prices['2018-01-30']:,.2f}"
    assert metrics["P&L since opening"] == f"{round(step1['pnl'], 2) + 0.0:+,.2f}"
    assert step1["pnl_after"] == pytest.approx(rp.ledger["pnl"].iloc[1], rel=1e-10)


def test_skip_pause_step_and_resume(live):
    at = _opened(live, name="skipper")
    store = _store()
    assert at.button(key="lm_pause").label == "Pause"
    at.button(key="lm_pause").click().run()
    assert at.session_state["lm_running"] is False and at.button(key="lm_pause").label == "Resume"
    at.button(key="lm_skip").click().run()
    assert store.snapshots("skipper")["decision"].tolist() == ["skipped"]
    assert store.trades("skipper").empty
    at.run()  # paused: a rerun takes no price
    assert len(store.snapshots("skipper")) == 1
    at.button(key="lm_step").click().run()  # the Step button does, paused or not
    assert store.snapshots("skipper")["stock"].tolist() == [0.0, 0.0]
    at.button(key="lm_pause").click().run()
    assert at.session_state["lm_running"] is True


def test_bad_inputs_name_the_field(live):
    at = _opened(live, name="twice")
    at = _opened(at, name="twice")
    assert any(e.value.startswith("Position name must be new") for e in at.error)
    # Shown below the form's expander, which a position on show keeps closed: not inside it.
    opener = next(e for e in at.expander if e.label == "Open a position")
    assert not opener.error
    at = _opened(at, name="early", start=pd.Timestamp("1990-01-02").date())
    assert any(e.value.startswith("Start (first close) must lie within the data of S&P 500") for e in at.error)
    at = _opened(at, name="live", feed="yahoo")
    assert any("HEDGELIB_OFFLINE=1" in e.value for e in at.error)
    assert set(_store().positions()["name"]) == {"twice"}


def test_resume_a_saved_position_in_a_new_session(live, app_test):
    _opened(live, name="saved")
    live.button(key="lm_accept").click().run()
    fresh = app_test(PAGE)
    fresh.run()
    fresh.selectbox(key="lm_saved_pick").set_value("saved")
    fresh.button(key="lm_monitor_saved").click().run()
    assert not fresh.exception and not fresh.error
    assert fresh.session_state["lm_running"] is False  # a resumed position starts paused
    fresh.button(key="lm_step").click().run()
    assert len(_store().snapshots("saved")) == 2


def test_a_position_opened_elsewhere_is_shown_not_monitored(live):
    store = _store()
    store.open_position("script", Book([OptionLeg("put", 2700.0, 21 / 252, 1.0)]),
                        underlying="S&P 500", opened="2018-02-01")
    live.run()
    live.selectbox(key="lm_saved_pick").set_value("script")
    live.button(key="lm_monitor_saved").click().run()
    assert not live.exception
    assert any("opened outside this page" in w.value for w in live.warning)
    assert any("No price monitored yet" in i.value for i in live.info)


def test_a_volatility_source_that_cannot_start_leaves_no_position(live):
    # The VIX series ships for 2014-2018: a replay of 2010 has no implied volatility.
    at = _opened(live, name="too early", start=pd.Timestamp("2010-03-01").date())
    assert any(e.value.startswith("Volatility source: no VIX close") for e in at.error)
    assert _store().positions().empty
