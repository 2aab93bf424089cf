"""Historical Backtest page under AppTest: each volatility source, both modes, bad input."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from hedgelib.backtest import (
    ConstantVol,
    ImpliedVolSeries,
    RealisedVol,
    replay,
    rolling_programme,
)
from hedgelib.book import Book, OptionLeg, preset_book
from hedgelib.hedging import EveryNSteps, TransactionCosts
from hedgelib.market.history import load_bundled
from hedgelib.scenario import backtest_fields, backtest_schema
from tests.app.inputs import set_number
from ui.backtest import book_phrase, count_entries, rolling_view
from ui.sources import CSV_KEY, SOURCE_KEY, default_source

PAGE = "pages/4_Historical_Backtest.py"
ONE_BP = TransactionCosts(proportional=1e-4)  # the form's default cost
FIELDS = backtest_fields()


@pytest.fixture(scope="module")
def spx():
    return load_bundled("sp500")


@pytest.fixture
def bt(app_test):
    at = app_test(PAGE)
    at.run()
    assert not at.exception
    return at


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _explanation(at):
    """The expander that explains the page (the form has expanders of its own)."""
    found = [e for e in at.expander if e.label.startswith("Why does a delta-hedged")]
    assert len(found) == 1, [e.label for e in at.expander]
    return found[0]


def _chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def _submit(at, **values):
    """Set form widgets by name (without the bt_ prefix) and press Run."""
    for name, value in values.items():
        key = "bt_" + name
        if isinstance(value, dt.date):
            at.date_input(key=key).set_value(value)
        elif FIELDS[name].choices is not None:
            widget = at.radio(key=key) if name in ("mode", "side") else at.selectbox(key=key)
            widget.set_value(value)
        else:
            set_number(at, key, value)
    at.button(key="bt_run").click().run()
    assert not at.exception, at.exception
    return at


def test_default_run_is_a_year_of_monthly_short_straddles_at_the_vix(bt, spx):
    assert not bt.error
    # default dates: the last year of the picker's window (2014-2018)
    assert bt.date_input(key="bt_start").value == dt.date(2018, 1, 1)
    expected = rolling_programme(spx, "straddle", tenor=21 / 252, quantity=-1.0, start="2018-01-01",
                                 end="2018-12-31", hedge_volatility=ImpliedVolSeries(), costs=ONE_BP)
    m = _metrics(bt)
    assert m["Trades"] == "11"
    assert _num(m["Total P&L (hedged)"]) == pytest.approx(expected.trades["pnl"].sum(), abs=0.006)
    assert _num(m["Total P&L (unhedged)"]) == pytest.approx(expected.trades["unhedged_pnl"].sum(), abs=0.006)
    assert _num(m["Worst trade"]) == pytest.approx(expected.trades["pnl"].min(), abs=0.006)
    # the December entry expires after the data end: skipped, and said so
    assert any("skipped" in w.value for w in bt.warning)
    takeaway = bt.info[1].value
    assert takeaway.startswith("Takeaway: 11 monthly short straddles on S&P 500 hedged at VIX / 100")
    assert "The worst, February 2018, lost" in takeaway
    # The trades, then their P&L by greek: two views of one table.
    assert len(bt.dataframe) == 2 and all(len(d.value) == 11 for d in bt.dataframe)
    assert _chart_titles(bt) == [
        "Price and hedge trades (all live options)", "Hedge position (all live trades)",
        "Cumulative P&L by source (all trades)", "Implied against realised volatility",
        "P&L per trade", "P&L against implied minus realised variance",
    ]
    expander = _explanation(bt)
    assert len(expander.latex) >= 4
    assert expander.info[0].value == takeaway


@pytest.mark.parametrize(
    ("vol_kind", "label"),
    [("constant", "constant 20%"), ("vix", "VIX / 100"), ("realised", "realised, 21-day window"),
     ("garch", "GARCH(1,1), refit every 21 days")],
)
def test_each_volatility_source_runs_a_rolling_programme(bt, vol_kind, label):
    _submit(bt, vol_kind=vol_kind, start=dt.date(2017, 1, 1), end=dt.date(2017, 3, 31))
    assert not bt.error
    assert _metrics(bt)["Trades"] == "3"
    assert f"hedged at {label}" in bt.info[1].value
    assert len(bt.get("plotly_chart")) == 6


def test_realised_source_matches_the_library(bt, spx):
    _submit(bt, vol_kind="realised", realised_window=42, roll="days", roll_days=10,
            tenor_days=10, start=dt.date(2016, 6, 1), end=dt.date(2016, 7, 29), cost_bp=0.0)
    expected = rolling_programme(spx, "straddle", tenor=10 / 252, quantity=-1.0, roll=10,
                                 start="2016-06-01", end="2016-07-29", hedge_volatility=RealisedVol(42))
    m = _metrics(bt)
    assert m["Trades"] == str(len(expected.trades)) == "5"
    assert _num(m["Total P&L (hedged)"]) == pytest.approx(expected.trades["pnl"].sum(), abs=0.006)
    assert m["Total costs"] == "0.00"


def test_single_replay_of_a_preset_matches_the_library(bt, spx):
    _submit(bt, mode="replay", start=dt.date(2018, 2, 1), preset="short_call", side="buy",
            size=2.0, vol_kind="constant", const_vol_pct=15.0, rule="every_n_steps", every_n=2)
    spot = float(spx.prices.loc["2018-02-01"])
    book = preset_book("short_call", spot, 21 / 252, quantity=2.0)
    expected = replay(spx, book, start="2018-02-01", hedge_volatility=ConstantVol(0.15),
                      rule=EveryNSteps(2), costs=ONE_BP)
    assert not bt.error
    m = _metrics(bt)
    assert _num(m["P&L (hedged)"]) == pytest.approx(expected.pnl, abs=0.006)
    assert _num(m["Premium"]) == pytest.approx(expected.result.premium, abs=0.006)
    assert m["Days hedged"] == "21"  # 2018-02-01 to 2018-03-05
    assert m["Implied vol at entry"] == "15.0%"
    assert len(bt.dataframe[0].value) == len(expected.trades)
    assert bt.info[1].value.startswith("Takeaway: short call on S&P 500, entered on 2018-02-01")
    assert _chart_titles(bt) == [
        "Price and hedge trades", "Hedge position after each day's trade", "Cumulative P&L by source",
        "Implied against realised volatility",
    ]


def test_single_replay_of_the_current_book_rescales_its_strikes(app_test, spx):
    at = app_test(PAGE)
    # A 90% put bought on the Option Book page at spot 100, 63 trading days.
    at.session_state["book"] = Book([OptionLeg("put", 90.0, 63 / 252, 1.0)])
    at.session_state["market"] = {"spot": 100.0, "volatility": 0.2, "rate": 0.0,
                                  "dividend_yield": 0.0, "valuation_time": 0.0}
    at.run()
    _submit(at, mode="replay", book_kind="current", start=dt.date(2018, 1, 2), vol_kind="vix")
    spot = float(spx.prices.loc["2018-01-02"])
    expected = replay(spx, Book([OptionLeg("put", 0.9 * spot, 63 / 252, 1.0)]), start="2018-01-02",
                      hedge_volatility=ImpliedVolSeries(), costs=ONE_BP)
    assert not at.error
    assert _num(_metrics(at)["P&L (hedged)"]) == pytest.approx(expected.pnl, abs=0.006)
    assert any("strikes divided by the Option Book page's spot (100.00)" in c.value for c in at.caption)
    assert "Takeaway: the current book on S&P 500" in at.info[1].value


def test_current_book_missing_shows_an_error_and_the_page_goes_on(bt):
    _submit(bt, book_kind="current")
    assert [e.value for e in bt.error] == [
        "Backtest: no current book yet: build one on the Option Book page, or pick a preset"]
    assert not bt.metric
    assert bt.button(key="bt_run") is not None and _explanation(bt)


def _csv(n: int = 40, start: str = "2021-03-01") -> bytes:
    days = pd.bdate_range(start, periods=n)
    prices = 50.0 * np.exp(np.cumsum(np.r_[0.0, np.random.default_rng(5).normal(0, 0.01, n - 1)]))
    return ("Date,Close\n" + "".join(f"{d.date()},{p:.4f}\n" for d, p in zip(days, prices, strict=True))).encode()


def test_csv_without_enough_history_for_the_window_shows_a_clear_error(app_test):
    at = app_test(PAGE)
    # The source picker keeps an upload as bytes under CSV_KEY and the choice under SOURCE_KEY.
    at.session_state[CSV_KEY] = {"filename": "short.csv", "data": _csv(), "dayfirst": False}
    desc = default_source()
    desc["kind"] = "csv"
    desc["history"].update(kind="csv", filename="short.csv", start=None, end=None)
    at.session_state[SOURCE_KEY] = desc
    at.run()
    assert not at.exception
    # dates move to the file's range
    assert at.date_input(key="bt_start").value == dt.date(2021, 3, 1)
    # a window longer than the whole file
    _submit(at, vol_kind="realised", realised_window=63)
    assert [e.value for e in at.error] == [
        "Backtest: window of 63 returns needs 64 closes up to 2021-03-01, but the data hold only 1 "
        "(they start on 2021-03-01); the whole series has 40 closes: shorten the window"]
    assert not at.metric and _explanation(at)
    # a window that fits the file but not before the first entry: the library's message
    _submit(at, vol_kind="realised", realised_window=30)
    assert [e.value for e in at.error] == [
        "Backtest: window of 30 returns needs 31 closes up to 2021-03-01, but the data hold only 1 "
        "(they start on 2021-03-01); start on or after 2021-04-12 or shorten the window"]
    assert not at.metric
    # the rest of the page keeps working: a constant volatility runs on the same file
    _submit(at, vol_kind="constant")
    assert not at.error
    assert _metrics(at)["Trades"] == "1"
    assert "short.csv" in at.info[0].value
    assert any("skipped" in w.value for w in at.warning)


def test_dates_outside_the_data_and_a_book_past_the_data_end(bt):
    _submit(bt, mode="replay", start=dt.date(2030, 1, 2))
    assert bt.error[0].value.startswith(
        "Backtest: start must lie within the data of S&P 500 (1999-01-04 to 2018-12-31), got 2030-01-02")
    _submit(bt, mode="replay", start=dt.date(2018, 12, 20))
    assert "book expires 21 trading days after start (2018-12-20)" in bt.error[0].value
    assert "data of S&P 500 end on 2018-12-31" in bt.error[0].value
    # the VIX starts on 2014-01-03: the library says so
    _submit(bt, mode="rolling", start=dt.date(2013, 6, 1), end=dt.date(2013, 8, 1))
    assert "the bundled VIX covers 2014-01-03" in bt.error[0].value


def test_rolling_request_above_the_cap_is_refused(bt, spx):
    _submit(bt, roll="weekly", start=dt.date(1999, 1, 1), end=dt.date(2018, 12, 31), vol_kind="constant")
    n = count_entries(spx.dates, {"start": dt.date(1999, 1, 1), "end": dt.date(2018, 12, 31), "roll": "weekly"})
    assert n > 1000
    assert bt.error[0].value.startswith(f"This programme would enter {n:,} trades, above the lab's cap")


def test_a_simulated_source_falls_back_to_its_real_history(bt):
    bt.radio(key="bt_src_kind").set_value("model").run()
    assert not bt.exception
    notes = [w.value for w in bt.warning]
    assert any(n.startswith("The backtest needs real prices") and "S&P 500" in n for n in notes)
    assert _metrics(bt)["Trades"] == "11"


def test_rolling_view_adds_trades_up_to_the_programme_curve(spx):
    prog = rolling_programme(spx, "straddle", tenor=42 / 252, quantity=-1.0, roll="monthly",
                             start="2017-01-01", end="2017-04-30", hedge_volatility=ImpliedVolSeries())
    view = rolling_view(prog, spx.prices)
    # two-month trades entered monthly overlap; summed they must give the library's curve
    np.testing.assert_allclose(view.attribution["pnl"].to_numpy(), prog.cumulative_pnl.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(view.attribution.drop(columns="pnl").sum(axis=1), view.attribution["pnl"],
                               atol=1e-8)
    per_day = pd.concat([rp.trades[["date", "shares"]] for rp in prog.replays]).groupby("date")["shares"].sum()
    assert view.trade_shares.sum() == pytest.approx(per_day.sum())
    assert len(view.entry_dates) == 4


def test_book_phrase_reads_the_side():
    s = {"book_kind": "preset", "preset": "short_straddle", "side": "sell"}
    assert book_phrase(s) == "long straddle"
    assert book_phrase({**s, "side": "buy"}, plural=True) == "short straddles"
    assert book_phrase({**s, "preset": "butterfly"}) == "short butterfly"
    assert book_phrase({**s, "book_kind": "current"}) == "the current book"


# ---- shareable link and scenario files --------------------------------------------------------


def _params(at) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in
            ((k, at.query_params[k]) for k in at.query_params)}


def test_query_params_are_read_on_first_load_and_bad_ones_reported(app_test):
    SCHEMA = backtest_schema()
    at = app_test(PAGE, timeout=120)
    at.query_params["start"] = "2017-01-01"
    at.query_params["end"] = "2017-06-30"
    at.query_params["tenor_days"] = "10"
    at.query_params["source_start"] = "2016-01-01"
    at.query_params["source_end"] = "2017-12-31"
    at.query_params["side"] = "hold"  # not a choice
    at.query_params["cost_bp"] = "cheap"  # not a number
    at.run()
    assert not at.exception and not at.error
    assert at.date_input(key="bt_start").value == dt.date(2017, 1, 1)
    assert at.date_input(key="bt_end").value == dt.date(2017, 6, 30)
    assert at.number_input(key="bt_tenor_days").value == 10
    assert at.radio(key="bt_side").value == "sell"  # the bad value is ignored ...
    assert at.number_input(key="bt_cost_bp").value == pytest.approx(1.0)
    warning = next(w.value for w in at.warning if "link were ignored" in w.value)
    assert "side" in warning and "'hold'" in warning and "cost_bp" in warning  # ... and reported
    # the bundled window travelled, and the dates stayed (they did not follow the new window)
    assert at.session_state[SOURCE_KEY]["history"]["start"] == "2016-01-01"
    assert at.session_state[SOURCE_KEY]["history"]["end"] == "2017-12-31"
    # six monthly entries from January to June 2017
    assert _metrics(at)["Trades"] == "6"
    # Run writes the inputs that differ from the defaults back into the address bar.
    at.button(key="bt_run").click().run()
    flat = _params(at)
    assert flat == {"start": "2017-01-01", "end": "2017-06-30", "tenor_days": "10",
                    "source_start": "2016-01-01", "source_end": "2017-12-31"}
    found, problems = SCHEMA.from_query_params(flat)
    assert not problems and found["tenor_days"] == 10


def test_a_bad_date_in_the_link_is_reported_and_the_default_kept(app_test):
    at = app_test(PAGE, timeout=120)
    at.query_params["end"] = "2018-02-30"
    at.run()
    assert not at.exception
    assert any("end" in w.value and "2018-02-30" in w.value for w in at.warning)
    assert at.date_input(key="bt_end").value == dt.date.fromisoformat(FIELDS["end"].default)


def test_scenario_file_round_trip_through_the_uploader(bt):
    SCHEMA = backtest_schema()
    text = SCHEMA.to_json({"mode": "replay", "vol_kind": "constant", "const_vol_pct": 18.0,
                           "preset": "strangle", "start": "2016-03-01", "tenor_days": 42,
                           "source_start": "2015-01-01", "source_end": "2016-12-31"})
    bt.file_uploader(key="bt_upload").upload("s.json", text.encode(), "application/json").run()
    assert not bt.exception and not bt.error, [e.value for e in bt.error]
    assert any("Loaded the scenario from s.json" in s.value for s in bt.success)
    sub = bt.session_state["bt_submitted"]
    assert (sub["mode"], sub["preset"], sub["tenor_days"], sub["start"]) == (
        "replay", "strangle", 42, dt.date(2016, 3, 1))
    assert bt.date_input(key="bt_start").value == dt.date(2016, 3, 1)
    assert bt.session_state[SOURCE_KEY]["history"]["start"] == "2015-01-01"
    assert "Replay results" in [h.value for h in bt.subheader]
    # What the page would download now is the file it was given.
    download = next(b for b in bt.get("download_button") if "scenario" in b.proto.label)
    assert download.proto.label == "Download scenario (JSON)"
    flat = _params(bt)
    assert SCHEMA.complete(SCHEMA.from_query_params(flat)[0]) == SCHEMA.from_json(text)

    bad = json.loads(text)
    bad["inputs"]["tenor_days"] = 0.5
    bt.file_uploader(key="bt_upload").upload("bad.json", json.dumps(bad).encode(), "application/json").run()
    assert not bt.exception
    assert any("bad.json" in e.value and "tenor_days" in e.value for e in bt.error)
    assert bt.session_state["bt_submitted"]["tenor_days"] == 42  # the loaded scenario stays


def test_a_csv_source_cannot_travel_and_the_sidebar_says_so(app_test):
    at = app_test(PAGE, timeout=120)
    prices = load_bundled("sp500").prices.loc["2015":"2018"]
    data = ("date,close\n" + "".join(f"{d.date()},{p}\n" for d, p in prices.items())).encode()
    at.session_state[SOURCE_KEY] = {**default_source(), "kind": "csv",
                                    "history": {**default_source()["history"], "kind": "csv",
                                                "filename": "mine.csv", "start": None, "end": None}}
    at.session_state[CSV_KEY] = {"filename": "mine.csv", "data": data, "dayfirst": False}
    at.run()
    assert not at.exception
    assert any("uploaded CSV file" in w.value and "cannot travel in a link" in w.value
               for w in at.sidebar.warning)


def test_an_option_hedge_and_the_rule_names_of_old_links(app_test):
    at = app_test(PAGE, timeout=120)
    at.query_params["rule"] = "band"  # a link written before the rules had registry names
    at.query_params["band_width"] = "0.2"
    at.run()
    assert not at.exception and not at.error
    assert not any("link were ignored" in w.value for w in at.warning)
    assert at.selectbox(key="bt_rule").value == "delta_band"
    assert at.number_input(key="bt_hopt_roll_days").value == 5.0
    _submit(at, mode="replay", start=dt.date(2018, 2, 1), strategy="delta-gamma", hopt_tenor_days=42.0)
    assert not at.error, [e.value for e in at.error]
    trades = at.dataframe[0].value
    assert {"options traded", "options held after"} <= set(trades.columns)
    assert trades["options traded"].abs().sum() > 0


def test_current_book_disables_the_preset_inputs(bt):
    # A preset trade: its inputs are live.
    assert not bt.radio(key="bt_side").disabled
    assert not bt.number_input(key="bt_width_pct").disabled
    _submit(bt, book_kind="current")
    assert bt.radio(key="bt_side").disabled
    assert bt.selectbox(key="bt_preset").disabled
    for key in ("bt_size", "bt_width_pct", "bt_tenor_days"):
        widget = bt.number_input(key=key)
        assert widget.disabled, key
        assert "Not used with the current book" in widget.help, key
    # The hedge still applies to the current book.
    assert not bt.selectbox(key="bt_strategy").disabled
    _submit(bt, book_kind="preset")
    assert not bt.number_input(key="bt_tenor_days").disabled
