"""Scenario presets: each validates against its page, and one click on the home page opens
the page with the preset's settings and its result on show."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from hedgelib import bs_price
from hedgelib.book import Book
from hedgelib.conventions import HedgeLibError
from hedgelib.scenario import (
    backtest_fields,
    backtest_schema,
    hedge_lab_fields,
    hedge_lab_schema,
    rule_comparison_fields,
    rule_comparison_schema,
)
from hedgelib.scenario.portfolio import portfolio_fields, portfolio_schema
from ui.pages import PAGES, available_pages
from ui.presets import (
    BACKTEST_PAGE,
    HEDGE_LAB_PAGE,
    PORTFOLIO_PAGE,
    PRESETS,
    RULE_COMPARISON_PAGE,
    TARGET_PAGES,
    apply_preset,
    preset_settings,
    presets_for,
)
from ui.sources import SOURCE_KEY
from ui.state import BOOK_KEY, MARKET_KEY

BY_KEY = {p.key: p for p in PRESETS}
WIDGETS = {HEDGE_LAB_PAGE: tuple(hedge_lab_fields()), BACKTEST_PAGE: tuple(backtest_fields()),
           RULE_COMPARISON_PAGE: tuple(rule_comparison_fields()), PORTFOLIO_PAGE: tuple(portfolio_fields())}
PREFIX = {HEDGE_LAB_PAGE: "hl_", BACKTEST_PAGE: "bt_", RULE_COMPARISON_PAGE: "rc_", PORTFOLIO_PAGE: "ph_"}
TITLES = {p.path: p.title for p in PAGES}


def _num(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# ---- presets as data ---------------------------------------------------------------------------


def test_the_issue_presets_are_all_there():
    titles = [p.title for p in PRESETS]
    assert titles == [
        "Hull's textbook hedge",
        "Gamma scalping a long straddle",
        "Short vol through February 2018",
        "Hedging with costs: when to stop rebalancing",
        "Model risk: hedging at the wrong volatility",
        "Jumps break delta hedging",
        "CPPI through 2008",
        "Synthetic put vs real put",
        "Hedging the NASDAQ with S&P futures",
    ]
    assert len({p.key for p in PRESETS}) == len(PRESETS)
    # Every target page exists and is registered, so st.switch_page can reach it.
    existing = {p.path for p in available_pages()}
    assert {p.page for p in PRESETS} <= existing <= {p.path for p in PAGES}
    assert presets_for(frozenset(existing)) == list(PRESETS)
    assert presets_for(frozenset({HEDGE_LAB_PAGE})) == [p for p in PRESETS if p.page == HEDGE_LAB_PAGE]


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.key)
def test_every_preset_validates_against_its_page(preset):
    settings = preset_settings(preset)
    extra = {"setups"} if preset.page == RULE_COMPARISON_PAGE else set()
    assert set(settings) == set(WIDGETS[preset.page]) | extra
    for name, value in preset.inputs.items():
        want = dt.date.fromisoformat(value) if isinstance(settings[name], dt.date) else value
        assert settings[name] == want, name
        # Types follow the page's defaults, so the widgets accept the values.
        # (backtest dates travel as ISO text and are typed as dates on the page)
        defaults = {HEDGE_LAB_PAGE: hedge_lab_schema().defaults,
                    RULE_COMPARISON_PAGE: rule_comparison_schema().defaults,
                    PORTFOLIO_PAGE: portfolio_schema().defaults,
                    BACKTEST_PAGE: {k: dt.date.fromisoformat(v) if k in ("start", "end") else v
                                    for k, v in backtest_schema().defaults.items()}}[preset.page]
        assert type(settings[name]) is type(defaults[name]), name
    assert len(preset.blurb) > 200 and "look at" in preset.blurb.lower()


def test_a_renamed_or_bad_input_breaks_validation_not_the_app():
    hull = BY_KEY["hull_textbook"]
    cases = [
        (hull, {"every_n_steps": 5}, "every_n_steps"),       # renamed input
        (hull, {"model": "Bates"}, "model"),                 # not a choice
        (hull, {"n_paths": 2_000_000}, "n_paths"),           # above the widget's bound
        (hull, {"n_paths": 100_000, "n_steps": 100}, "cap"),  # above the page's path-step cap
        (hull, {"every_n": 2.5}, "every_n"),                 # wrong type
        (hull, {"book": {}}, "book"),                        # the book travels in Preset.book
        (BY_KEY["short_vol_2018"], {"vol": "vix"}, "vol"),
        (BY_KEY["short_vol_2018"], {"start": "2018-02-30"}, "start"),
        (BY_KEY["short_vol_2018"], {"roll": "daily"}, "roll"),
        (BY_KEY["short_vol_2018"], {"end": "2017-01-01"}, "end"),
        (BY_KEY["costs_when_to_stop"], {"setups": {"rows": [{"name": "only one"}]}}, "Set-up row 1"),
    ]
    for preset, change, word in cases:
        bad = dataclasses.replace(preset, inputs={**preset.inputs, **change})
        with pytest.raises(HedgeLibError, match=word):
            preset_settings(bad)
        state: dict = {}
        with pytest.raises(HedgeLibError):
            apply_preset(bad, state)
        assert state == {}  # checked before anything is written


def test_preset_spec_validates_itself():
    good = BY_KEY["gamma_scalping"]
    with pytest.raises(HedgeLibError, match="page"):
        dataclasses.replace(good, page="pages/9_Nowhere.py")
    with pytest.raises(HedgeLibError, match="key"):
        dataclasses.replace(good, key="Gamma Scalping")
    with pytest.raises(HedgeLibError, match="blurb"):
        dataclasses.replace(good, blurb="  ")
    with pytest.raises(HedgeLibError, match="market"):
        dataclasses.replace(good, market={"sigma": 0.2})
    with pytest.raises(HedgeLibError, match="spot"):
        dataclasses.replace(good, market={"spot": -1.0})
    with pytest.raises(HedgeLibError):
        dataclasses.replace(good, book={"legs": [{"kind": "call", "strike": -5.0, "expiry": 0.25,
                                                  "quantity": 1.0}]})
    with pytest.raises(HedgeLibError, match="bundled"):
        dataclasses.replace(BY_KEY["short_vol_2018"], source={"kind": "yahoo", "ticker": "SPY"})
    assert set(TARGET_PAGES) == {HEDGE_LAB_PAGE, BACKTEST_PAGE, RULE_COMPARISON_PAGE, PORTFOLIO_PAGE}


def test_apply_overrides_stale_page_state_and_sets_shared_keys():
    hull = BY_KEY["hull_textbook"]
    # Leftovers from an earlier visit must not win over the preset.
    state = {"hl_every_n": 3, "hl_submitted": {"every_n": 3}, "hl_note": ("error", "old"),
             MARKET_KEY: {"spot": 100.0, "volatility": 0.3, "rate": 0.0, "dividend_yield": 0.01,
                          "valuation_time": 0.1}}
    settings = apply_preset(hull, state)
    assert state["hl_every_n"] == 5 and state["hl_submitted"] == settings
    assert all(state["hl_" + k] == settings[k] for k in WIDGETS[HEDGE_LAB_PAGE])
    assert "hl_note" not in state and state["hl_write_link"] is True
    assert state[BOOK_KEY] == Book.from_dict(dict(hull.book))
    assert state[MARKET_KEY] == {"spot": 49.0, "volatility": 0.2, "rate": 0.05, "dividend_yield": 0.0,
                                 "valuation_time": 0.0}

    short_vol = BY_KEY["short_vol_2018"]
    state = {SOURCE_KEY: {"kind": "model", "history": {"kind": "csv", "filename": "x.csv"}},
             "bt_src_kind": "model", "bt_src_start": dt.date(2001, 1, 1), "bt_start": dt.date(2001, 1, 1)}
    settings = apply_preset(short_vol, state)
    assert state[SOURCE_KEY]["kind"] == "bundled"
    assert state[SOURCE_KEY]["history"] == dict(short_vol.source)
    assert not any(k.startswith("bt_src_") for k in state)
    assert state["bt_start"] == dt.date(2017, 6, 1) == settings["start"]
    assert state["bt_submitted"]["end"] == dt.date(2018, 6, 29)
    assert BOOK_KEY not in state and MARKET_KEY not in state  # the programme builds its own trades
    assert '"key": "sp500"' in state["bt_dates_for"]


# ---- one click on the home page ----------------------------------------------------------------


def _open(app_test, key: str):
    at = app_test("app.py", timeout=60)
    at.run()
    assert not at.exception
    assert "Scenarios" in [h.value for h in at.header]
    buttons = {b.key for b in at.button}
    assert {f"preset_{p.key}" for p in PRESETS} <= buttons
    at.button(key=f"preset_{key}").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    preset = BY_KEY[key]
    assert at.title[0].value == {HEDGE_LAB_PAGE: "Monte Carlo Hedge Lab", BACKTEST_PAGE: "Historical Backtest",
                                 RULE_COMPARISON_PAGE: "Rule Comparison"}[preset.page]
    assert TITLES[preset.page]  # the page the card names
    # The form on arrival shows the preset's inputs.
    settings = preset_settings(preset)
    prefix = PREFIX[preset.page]
    for name in ("n_steps", "every_n", "vol_pct", "tenor_days", "cost_bp"):
        if name in settings:
            assert at.session_state[prefix + name] == settings[name], name
            shown = (at.text_input(key=prefix + name + "_text").value if name == "n_steps"
                     else at.number_input(key=prefix + name).value)
            assert shown == (str(settings[name]) if name == "n_steps" else settings[name]), name
    return at


def test_home_shows_one_card_per_preset(app_test):
    at = app_test("app.py")
    at.run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    for p in PRESETS:
        assert p.blurb in text
    assert [s.value for s in at.subheader][:len(PRESETS)] == [p.title for p in PRESETS]
    assert [b.label for b in at.button if b.key.startswith("preset_")] == ["Open"] * len(PRESETS)


def test_hull_preset_reproduces_hulls_table(app_test):
    at = _open(app_test, "hull_textbook")
    m = _metrics(at)
    # Hull, Options, Futures and Other Derivatives, delta-hedging example: S=49, K=50, r=5%,
    # sigma=20%, T=20 weeks; Black-Scholes price $240,000 for 100,000 calls, and a
    # performance measure (std of the hedged cost / option price) of 0.19 for weekly
    # rebalancing. 10,000 paths: the std's relative standard error is about 0.7%.
    assert _num(m["Premium"]) == pytest.approx(-2.40, abs=0.005)
    assert _num(m["Hedge error / premium"]) / 100 == pytest.approx(0.19, abs=0.01)
    assert at.selectbox(key="hl_model").value == "GBM"
    assert at.number_input(key="hl_drift_pct").value == 13.0
    assert at.query_params["every_n"] == "5"  # the address bar holds the preset: shareable
    assert any("strike 50" in i.value or "50.00" in i.value for i in at.markdown)


def _mean_and_se(at) -> tuple[float, float]:
    metric = next(x for x in at.metric if x.label == "Mean P&L")
    se = float(metric.help.split("±")[1].split("(")[0])
    return _num(metric.value), se


def test_gamma_scalping_preset_makes_money_on_average(app_test):
    at = _open(app_test, "gamma_scalping")
    mean, se = _mean_and_se(at)
    assert mean > 3 * se > 0  # realised 30% above the implied 20%: a long gamma position earns it
    assert _num(_metrics(at)["Premium"]) > 0  # the straddle was bought
    assert "+1 call 100.00" in " ".join(m.value for m in at.markdown)


def test_wrong_volatility_preset_loses_the_vega_gap(app_test):
    at = _open(app_test, "wrong_volatility")
    mean, se = _mean_and_se(at)
    gap = bs_price(100.0, 100.0, 0.25, 0.30, 0.03) - bs_price(100.0, 100.0, 0.25, 0.20, 0.03)
    # Selling at 20% what is worth its 30% price loses that gap on average; 3 SE plus 2% for
    # the discrete hedge and the drift above the rate.
    assert mean == pytest.approx(-gap, abs=3 * se + 0.02 * gap)
    assert at.number_input(key="hl_hedge_vol_pct").value == 20.0


def test_jumps_preset_shows_a_fat_left_tail(app_test):
    at = _open(app_test, "jumps")
    m = _metrics(at)
    assert at.selectbox(key="hl_model").value == "Merton"
    assert at.number_input(key="hl_merton_intensity").value == 1.0
    # A normal P&L has VaR 99% / std = 2.33; the jumps push it well beyond.
    assert _num(m["VaR 99%"]) / _num(m["Std of P&L (hedged)"]) > 3.5


def test_short_vol_preset_runs_the_2017_2018_programme(app_test):
    at = _open(app_test, "short_vol_2018")
    assert at.date_input(key="bt_start").value == dt.date(2017, 6, 1)
    assert at.date_input(key="bt_end").value == dt.date(2018, 6, 29)
    assert at.radio(key="bt_mode").value == "rolling"
    assert at.selectbox(key="bt_vol_kind").value == "vix"
    assert _num(_metrics(at)["Trades"]) == 13  # first closes of June 2017 ... June 2018
    takeaway = next(i.value for i in at.info if i.value.startswith("Takeaway"))
    assert "short straddles on S&P 500" in takeaway and "The worst, February 2018, lost" in takeaway
    assert any("S&P 500" in i.value for i in at.info if i.value.startswith("Source in use"))


def test_costs_preset_opens_the_rule_comparison(app_test):
    at = _open(app_test, "costs_when_to_stop")
    rows = at.session_state["rc_submitted"]["setups"]["rows"]
    assert [r["name"] for r in rows] == ["daily", "weekly", "band 0.1", "Whalley-Wilmott 1"]
    assert {r["cost_bp"] for r in rows} == {20.0}
    takeaway = next(i.value for i in at.info if i.value.startswith("Takeaway"))
    assert takeaway.startswith("Takeaway: daily had the least risk")
