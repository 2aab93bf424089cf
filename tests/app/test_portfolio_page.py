"""Portfolio Hedging under AppTest: both tabs, the library's numbers, errors, links, presets."""

from __future__ import annotations

import pytest

from hedgelib.market.history import load_bundled
from hedgelib.portfolio import compare_insurance, futures_hedge
from hedgelib.scenario.portfolio import (
    insurance_costs,
    insurance_model,
    insurance_rule,
    insurance_strategies,
    portfolio_schema,
    portfolio_settings,
)
from ui.pages import PAGES
from ui.presets import PORTFOLIO_PAGE, PRESETS, apply_preset, preset_settings

PAGE = "pages/7_Portfolio_Hedging.py"
SCHEMA = portfolio_schema()
OURS = {p.key: p for p in PRESETS if p.page == PORTFOLIO_PAGE}


def _frame(at, first_column: str):
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def _futures(at):
    at.session_state["ph_tab"] = "Futures hedge"
    at.run()
    return at


@pytest.fixture
def page(app_test):
    at = app_test(PAGE, timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def small(app_test):
    """The page opened on a link asking for 200 paths: for tests of the wiring only."""
    at = app_test(PAGE, timeout=60)
    at.query_params["n_paths"] = "200"
    at.run()
    assert not at.exception, at.exception
    return at


def test_default_insurance_run_matches_the_library(page):
    assert not _errors(page)
    s = SCHEMA.complete({})
    res = compare_insurance(insurance_strategies(s), insurance_model(s), capital=100.0, horizon=1.0,
                            n_steps=252, n_paths=2000, seed=42, rule=insurance_rule(s),
                            costs=insurance_costs(s))
    table = _frame(page, "Strategy")
    assert table["Strategy"].tolist() == [r.label for r in res.values()]
    for row, r in zip(table.itertuples(index=False), res.values(), strict=True):
        sm = r.summary()
        assert row[1] == pytest.approx(sm["mean_terminal"], rel=1e-12)
        assert row[4] == pytest.approx(100 * sm["breach_probability"], rel=1e-12)
    takeaway = next(i.value for i in page.info if i.value.startswith("Takeaway"))
    assert "over 2,000 paths" in takeaway and "never went below the floor" in takeaway
    assert len(page.get("plotly_chart")) == 4  # fan, terminal values, payoff scatter, costs
    assert [t.label for t in page.tabs] == ["Insurance", "Futures hedge"]
    assert "Pick a real-history market" in " ".join(c.value for c in page.caption)
    assert len(page.latex) >= 2 and any(e.label.startswith("What am I looking at") for e in page.expander)


def test_futures_tab_matches_the_library(small):
    at = _futures(small)
    assert not at.exception and not _errors(at)
    h = futures_hedge(load_bundled("nasdaq").prices.rename("NASDAQ Composite"),
                      load_bundled("sp500").prices.rename("S&P 500"),
                      **{k: v for k, v in _futures_keywords().items()})
    m = {x.label: x.value for x in at.metric}
    assert m["Variance reduction"] == f"{100 * h.variance_reduction:.1f}%"
    methods = _frame(at, "Method")
    assert methods["Method"].tolist() == ["No hedge", "Rolling beta (OLS)", "Minimum variance (EWMA)",
                                          "Static beta (fitted once)"]
    assert methods["Variance reduction (%)"].iloc[1] == pytest.approx(100 * h.variance_reduction)
    assert len(at.get("plotly_chart")) == 5  # growth, ratio, rolling vol, per year, costs and basis
    assert any("removed 8" in i.value for i in at.info)


def _futures_keywords():
    from hedgelib.scenario.portfolio import futures_keywords

    return futures_keywords(SCHEMA.complete({}))


@pytest.mark.parametrize(("name", "value", "message"), [
    ("floor_pct", 100.0, "CPPI: Floor (% of capital) must lie in (0.0, 1.0), got 100"),
    ("floor_pct", 0.0, "CPPI: Floor (% of capital) must lie in (0.0, 1.0), got 0"),
    ("multiplier", 0.0, "CPPI: CPPI multiplier m must be positive and finite, got 0.0"),
    ("capital", 0.0, "Capital (currency) must be positive and finite, got 0.0"),
    ("ratchet_pct", 100.0, "TIPP (CPPI with a ratchet): TIPP ratchet (% of the peak) must lie in (0.0, 1.0), got 100"),
    # The put's volatility, not the model's of the same argument name.
    ("put_vol_pct", 0.0, "Synthetic put: Put volatility (%) must be positive and finite, got 0"),
])
def test_bad_insurance_input_shows_an_error_by_its_label(small, name, value, message):
    small.number_input(key="ph_" + name).set_value(value)
    next(b for b in small.button if b.label == "Run insurance").click().run()
    assert not small.exception
    assert _errors(small) == ["Insurance: " + message]


def test_bad_futures_input_shows_an_error_and_the_cap_holds(small):
    at = _futures(small)
    at.number_input(key="ph_fut_window").set_value(2520)
    at.date_input(key="ph_fut_end").set_value(__import__("datetime").date(2005, 12, 30))
    next(b for b in at.button if b.label == "Run hedge").click().run()
    assert not at.exception
    assert any(e.startswith("Futures hedge: Window (trading days) must leave at least 2 hedged days")
               for e in _errors(at)), _errors(at)
    # A series that is not real data: the sidebar's source is a simulated model.
    at.session_state["ph_src_kind"] = "model"
    at.selectbox(key="ph_fut_portfolio").select("source")
    next(b for b in at.button if b.label == "Run hedge").click().run()
    assert any("simulated model" in e for e in _errors(at))
    # The Insurance tab refuses a run above the page's cap, in words.
    at.session_state["ph_tab"] = "Insurance"
    at.run()
    at.text_input(key="ph_n_paths_text").input("200000")
    next(b for b in at.button if b.label == "Run insurance").click().run()
    assert any("above the page's cap" in e for e in _errors(at))


def test_history_market_and_the_yearly_programmes(small):
    page = small
    page.selectbox(key="ph_market").select("nasdaq")
    page.date_input(key="ph_ins_start").set_value(__import__("datetime").date(2002, 1, 2))
    next(b for b in page.button if b.label == "Run insurance").click().run()
    assert not page.exception and not _errors(page)
    assert any("on this stretch of history" in i.value for i in page.info)
    assert "NASDAQ Composite from 2002-01-02" in " ".join(c.value for c in page.caption)
    # value paths, costs, yearly bars
    assert len(page.get("plotly_chart")) == 3
    assert page.query_params["market"] in ("nasdaq", ["nasdaq"])  # the run wrote the link


def test_link_restores_both_tabs(app_test):
    at = app_test(PAGE, timeout=60)
    at.query_params["floor_pct"] = "85.0"
    at.query_params["use_tipp"] = "false"
    at.query_params["fut_method"] = "min_variance"
    at.query_params["tab"] = "Futures hedge"
    at.query_params["rule"] = "nonsense"
    at.run()
    assert not at.exception and not _errors(at)
    assert at.session_state["ph_floor_pct"] == 85.0 and at.session_state["ph_use_tipp"] is False
    assert at.selectbox(key="ph_fut_method").value == "min_variance"
    assert any("Some settings in the link were ignored" in w.value and "rule" in w.value for w in at.warning)
    assert any("EWMA minimum-variance" in i.value for i in at.info)


def test_scenario_file_round_trip():
    s = SCHEMA.complete({"market": "sp500", "floor_pct": 80.0, "fut_window": 120})
    back = SCHEMA.from_json(SCHEMA.to_json(s))
    assert back == s and portfolio_settings(back)["fut_window"] == 120
    assert SCHEMA.page == "portfolio_hedging"


def test_page_is_registered():
    assert any(p.path == PAGE and p.title == "Portfolio Hedging" for p in PAGES)


# ---- the home page's presets --------------------------------------------------------------------------


def test_presets_validate_and_apply():
    assert list(OURS) == ["cppi_2008", "synthetic_vs_real_put", "nasdaq_sp_futures"]
    for p in OURS.values():
        settings = preset_settings(p)
        assert set(settings) == set(SCHEMA.defaults)
        assert len(p.blurb) > 200 and "look at" in p.blurb.lower()
        state: dict = {}
        apply_preset(p, state)
        assert state["ph_submitted"] == settings and state["ph_write_link"] is True
        assert state["ph_tab"] == p.inputs["tab"]


def _open(app_test, key: str):
    at = app_test("app.py", timeout=90)
    at.run()
    at.button(key=f"preset_{key}").click().run()
    assert not at.exception, at.exception
    assert not _errors(at), _errors(at)
    assert at.title[0].value == "Portfolio Hedging"
    return at


def test_cppi_2008_preset_replays_the_crash(app_test):
    at = _open(app_test, "cppi_2008")
    table = _frame(at, "Strategy").set_index("Strategy")
    assert table.loc["Buy and hold", "Mean terminal value"] < 65.0
    assert table.loc["CPPI (m = 4)", "Mean terminal value"] > 90.0
    assert table.loc["Synthetic put (vol 20%)", "Breach probability (%)"] == 100.0
    assert "S&P 500 from 2008-01-02" in " ".join(c.value for c in at.caption)
    assert any("the 2000-2002 and 2008 crashes" in c.value for c in at.caption)


def test_synthetic_put_preset_shows_the_volatility_gap(app_test):
    at = _open(app_test, "synthetic_vs_real_put")
    table = _frame(at, "Strategy").set_index("Strategy")
    assert list(table.index) == ["Synthetic put (vol 20%)", "Protective put (vol 20%)", "Buy and hold"]
    assert table.loc["Synthetic put (vol 20%)", "Breach probability (%)"] > 40.0
    assert table.loc["Protective put (vol 20%)", "Breach probability (%)"] == 0.0


def test_futures_preset_opens_the_futures_tab(app_test):
    at = _open(app_test, "nasdaq_sp_futures")
    m = {x.label: x.value for x in at.metric}
    assert float(m["Variance reduction"].rstrip("%")) == pytest.approx(87.1, abs=0.5)
    assert at.session_state["ph_tab"] == "Futures hedge"
