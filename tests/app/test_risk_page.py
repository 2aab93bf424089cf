"""Risk page under AppTest: the numbers are the library's, controls re-run, errors show."""

from __future__ import annotations

import json

import pytest

from hedgelib.book import Book, OptionLeg, preset_book
from hedgelib.hedging import EveryNSteps, TransactionCosts, run_experiment
from hedgelib.market.history import load_bundled
from hedgelib.market.models import GBM
from hedgelib.risk import value_at_risk
from hedgelib.stress import historical_var, stress_grid
from ui.state import BOOK_KEY, MARKET_KEY

PAGE = "pages/6_Risk.py"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _run(at):
    next(b for b in at.button if b.label == "Run").click().run()
    return at


@pytest.fixture
def risk(app_test):
    at = app_test(PAGE)
    at.run()
    assert not at.exception
    return at


def test_defaults_match_the_library(risk):
    assert not risk.error
    m = _metrics(risk)
    book = Book([OptionLeg("call", 100.0, 63 / 252, -1.0)])
    # Monte Carlo: the Hedge Lab's defaults (GBM 5% drift, 20% vol, daily delta hedge, 5 bp),
    # rate 3%, 5,000 paths, 63 steps, seed 42.
    res = run_experiment(
        GBM(0.05, 0.20), book, spot=100.0, horizon=63 / 252, n_steps=63, n_paths=5_000,
        seed=42, hedge_volatility=0.2, pricing_volatility=0.2, rate=0.03,
        rule=EveryNSteps(1), costs=TransactionCosts(proportional=5e-4), strategy="delta",
    )
    s = res.summary()
    assert _number(m["VaR 99% hedged"]) == pytest.approx(s["var_99"], abs=5e-5)
    assert _number(m["ES 95% hedged"]) == pytest.approx(s["es_95"], abs=5e-5)
    assert value_at_risk(res.unhedged_pnl, 0.99) > 5 * s["var_99"]
    # Stress grid: +-20% in 9 points, +-10 vol points in 5, instantaneous, delta hedge.
    grid = stress_grid(book, spot=100.0, volatility=0.2, rate=0.03, spot_shocks=[-0.2, 0.2],
                       vol_shocks=[-0.1, 0.1])
    assert _number(m["Worst cell, book"]) == pytest.approx(grid.worst("book")[0], abs=5e-5)
    assert _number(m["Worst cell, hedged"]) == pytest.approx(grid.worst("hedged")[0], abs=5e-5)
    # Historical VaR: the default source, S&P 500 2014-2018, one-day moves, 99%.
    spx = load_bundled("sp500", "2014-01-01", "2018-12-31")
    hist = historical_var(book, spx, horizon_days=1, level=0.99, volatility=0.2, spot=100.0,
                          rate=0.03)
    assert _number(m["Historical VaR 99%, book"]) == pytest.approx(hist.var, abs=5e-5)
    assert _number(m["Historical ES 99%, hedged"]) == pytest.approx(hist.hedged_es, abs=5e-5)
    takeaways = [i.value for i in risk.info if i.value.startswith("Takeaway")]
    assert takeaways and f"to {s['var_99']:.2f}" in takeaways[0]
    assert any("default short at-the-money call" in i.value for i in risk.info)
    assert len(risk.latex) >= 3
    assert risk.expander[-1].label == "What am I looking at"


def test_form_controls_rerun(risk):
    before = _metrics(risk)
    risk.selectbox(key="rk_strategy").select("delta-gamma")
    _run(risk)
    assert not risk.exception and not risk.error
    after = _metrics(risk)
    assert after["VaR 99% hedged"] != before["VaR 99% hedged"]
    assert after["Worst cell, hedged"] != before["Worst cell, hedged"]
    assert after["Historical VaR 99%, hedged"] != before["Historical VaR 99%, hedged"]
    assert after["Historical VaR 99%, book"] == before["Historical VaR 99%, book"]
    risk.number_input(key="rk_seed").set_value(7)
    _run(risk)
    assert _metrics(risk)["VaR 99% hedged"] != after["VaR 99% hedged"]


@pytest.mark.parametrize(
    ("key", "value", "label"),
    [
        ("rk_spot_range_pct", 30.0, "Worst cell, book"),
        ("rk_vol_range_pts", 5.0, "Worst cell, book"),
        ("rk_stress_days", 10, "Worst cell, hedged"),
        ("rk_hist_days", 10, "Historical VaR 99%, book"),
    ],
)
def test_stress_and_history_controls_rerun(risk, key, value, label):
    before = _metrics(risk)[label]
    risk.number_input(key=key).set_value(value).run()
    assert not risk.exception and not risk.error
    assert _metrics(risk)[label] != before


def test_level_choice(risk):
    risk.selectbox(key="rk_hist_level_pct").select(95.0).run()
    assert "Historical VaR 95%, book" in _metrics(risk)


def test_book_from_session_state(app_test):
    at = app_test(PAGE)
    at.session_state[BOOK_KEY] = preset_book("short_straddle", 120.0, 0.25)
    at.session_state[MARKET_KEY] = {"spot": 120.0, "volatility": 0.3}
    at.run()
    assert not at.exception and not at.error
    assert any("Book** (from the Option Book page)" in md.value for md in at.markdown)
    grid = stress_grid(preset_book("short_straddle", 120.0, 0.25), spot=120.0, volatility=0.3,
                       rate=0.03, spot_shocks=[-0.2, 0.0, 0.2], vol_shocks=[-0.1, 0.0, 0.1])
    assert _number(_metrics(at)["Worst cell, book"]) == pytest.approx(grid.worst("book")[0], abs=5e-5)


def test_simulated_source_falls_back_to_the_sp500(app_test):
    at = app_test(PAGE)
    at.run()
    at.radio(key="rk_src_kind").set_value("model").run()
    assert not at.exception
    assert any("historical VaR needs real moves" in w.value for w in at.warning)
    assert any("1999" in w.value and "S&P 500" in w.value for w in at.warning)


def test_bad_inputs_show_errors(app_test):
    at = app_test(PAGE)
    at.session_state[BOOK_KEY] = Book([])
    at.run()
    assert not at.exception
    assert any("book is empty" in e.value for e in at.error)

    at = app_test(PAGE)
    at.run()
    at.text_input(key="rk_n_paths_text").input("200000")
    at.text_input(key="rk_n_steps_text").input("1000")
    _run(at)
    assert not at.exception
    assert any("path-steps" in e.value for e in at.error)

    # A Hedge Lab set-up whose hedge option has no life: the library refuses, the page says so.
    from hedgelib.scenario import hedge_lab_fields

    at = app_test(PAGE)
    at.session_state["hl_submitted"] = {**{k: f.default for k, f in hedge_lab_fields().items()},
                                        "strategy": "delta-gamma", "hopt_tenor_days": 0.0}
    at.run()
    assert not at.exception
    assert any("Hedge option" in e.value and "tenor" in e.value for e in at.error)


# ---- shareable link and scenario files --------------------------------------------------------


def _params(at) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in
            ((k, at.query_params[k]) for k in at.query_params)}


def test_query_params_are_read_on_first_load_and_bad_ones_reported(app_test):
    at = app_test(PAGE)
    at.query_params["n_paths"] = "700"
    at.query_params["strategy"] = "delta-gamma"
    at.query_params["spot_points"] = "7"
    at.query_params["hist_level_pct"] = "95.0"
    at.query_params["spot"] = "120.0"
    at.query_params["seed"] = "lucky"  # not a whole number
    at.run()
    assert not at.exception and not at.error
    assert at.text_input(key="rk_n_paths_text").value == "700"
    assert at.selectbox(key="rk_strategy").value == "delta-gamma"
    assert at.number_input(key="rk_spot_points").value == 7
    assert at.selectbox(key="rk_hist_level_pct").value == 95.0
    assert at.number_input(key="rk_seed").value == 42  # the bad value is ignored ...
    assert any("seed" in w.value and "'lucky'" in w.value for w in at.warning)  # ... and reported
    assert at.session_state[MARKET_KEY]["spot"] == pytest.approx(120.0)
    assert "Historical VaR 95%, book" in _metrics(at)
    # A control outside the form updates the link at once.
    at.number_input(key="rk_spot_points").set_value(5).run()
    flat = _params(at)
    assert flat["spot_points"] == "5" and flat["n_paths"] == "700" and "seed" not in flat


def test_scenario_file_round_trip_and_the_var_es_csv(app_test):
    from ui.risk_page import risk_schema

    SCHEMA = risk_schema()
    at = app_test(PAGE)
    at.run()
    book = Book([OptionLeg("put", 95.0, 0.25, -2.0)])
    text = SCHEMA.to_json({"book": book.to_dict(), "spot": 100.0, "market_vol_pct": 25.0,
                           "n_paths": 600, "n_steps": 21, "stress_days": 5,
                           "source_start": "2008-01-01", "source_end": "2008-12-31"})
    at.file_uploader(key="rk_upload").upload("s.json", text.encode(), "application/json").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Loaded the scenario from s.json" in s.value for s in at.success)
    assert at.session_state["rk_submitted"]["n_steps"] == 21
    assert at.number_input(key="rk_stress_days").value == 5
    assert at.session_state[BOOK_KEY].to_dict() == book.to_dict()
    assert at.session_state[MARKET_KEY]["volatility"] == pytest.approx(0.25)
    assert at.session_state["source"]["history"]["end"] == "2008-12-31"
    # the page's scenario now is the file's, and the link carries it
    assert SCHEMA.complete(SCHEMA.from_query_params(_params(at))[0]) == SCHEMA.from_json(text)
    # the VaR and ES download holds the numbers on show
    assert any(b.proto.label == "Download VaR and ES (CSV)" for b in at.get("download_button"))
    m = _metrics(at)
    assert _number(m["VaR 99% hedged"]) > 0

    bad = json.loads(text)
    bad["inputs"]["spot_points"] = 1000
    at.file_uploader(key="rk_upload").upload("bad.json", json.dumps(bad).encode(), "application/json").run()
    assert not at.exception
    assert any("bad.json" in e.value and "spot_points" in e.value for e in at.error)
    assert at.session_state["rk_submitted"]["n_steps"] == 21


def test_measures_frame_lays_out_the_measures():
    from ui.risk_page import measures_frame

    frame = measures_frame({"Unhedged": {"VaR 95%": 3.0, "ES 95%": 4.0},
                            "Hedged": {"VaR 95%": 1.0, "ES 95%": 1.5}})
    assert frame.to_dict("list") == {"measure": ["VaR 95%", "ES 95%"], "unhedged": [3.0, 4.0],
                                     "hedged": [1.0, 1.5]}


def test_the_rule_is_a_form_input_and_old_rule_names_load(app_test):
    at = app_test(PAGE)
    at.query_params["rule"] = "band"  # a link written before the rules had registry names
    at.query_params["band_width"] = "0.2"
    at.run()
    assert not at.exception and not at.error and not at.warning
    assert at.selectbox(key="rk_rule").value == "delta_band"
    assert at.number_input(key="rk_band_width").value == 0.2
    before = _metrics(at)["VaR 99% hedged"]
    at.selectbox(key="rk_rule").select("every_n_steps")
    _run(at)
    assert _metrics(at)["VaR 99% hedged"] != before
    assert "rule" not in at.query_params  # back to the default rule
