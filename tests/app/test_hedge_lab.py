"""Monte Carlo Hedge Lab under AppTest: wiring, errors, the cap, links and scenario files."""

from __future__ import annotations

import json
import re

import pytest

from hedgelib import theory
from hedgelib.book import Book, OptionLeg, preset_book
from hedgelib.hedging import EveryNSteps, TransactionCosts, run_experiment
from hedgelib.market.models import GBM
from hedgelib.scenario import hedge_lab_schema
from tests.app.inputs import set_number
from ui.hedge_lab import MAX_PATH_STEPS, PROGRESS_FROM
from ui.state import BOOK_KEY, MARKET_KEY

SCHEMA = hedge_lab_schema()

PAGE = "pages/3_Hedge_Lab.py"
SMALL = 400  # paths per run in tests that only check the wiring


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def _run_button(at):
    return next(b for b in at.button if b.label == "Run")


def _submit(at, **inputs):
    """Set form inputs (by field name) and press Run."""
    for name, value in inputs.items():
        key = "hl_" + name
        if isinstance(value, str):
            at.selectbox(key=key).select(value)
        else:
            set_number(at, key, value)
    _run_button(at).click().run()
    return at


@pytest.fixture
def lab(app_test):
    at = app_test(PAGE)
    at.run()
    assert not at.exception
    return at


def test_default_run_matches_the_library(lab):
    assert not lab.error
    m = _metrics(lab)
    # The default: a short ATM call (strike = spot = 100, 63 trading days), GBM 5% drift and
    # 20% vol, daily delta hedge at 20%, 5 bp costs, rate 3%, 10,000 paths, seed 42.
    book = Book([OptionLeg("call", 100.0, 63 / 252, -1.0)])
    res = run_experiment(
        GBM(0.05, 0.20), book, spot=100.0, horizon=63 / 252, n_steps=63, n_paths=10_000,
        seed=42, hedge_volatility=0.2, pricing_volatility=0.2, rate=0.03,
        rule=EveryNSteps(1), costs=TransactionCosts(proportional=5e-4), strategy="delta",
    )
    s = res.summary()
    assert _number(m["Std of P&L (hedged)"]) == pytest.approx(s["std"], abs=5e-5)
    assert _number(m["Std unhedged"]) == pytest.approx(s["unhedged_std"], abs=5e-5)
    assert _number(m["Mean P&L"]) == pytest.approx(s["mean"], abs=5e-5)
    assert _number(m["VaR 99%"]) == pytest.approx(s["var_99"], abs=5e-5)
    assert _number(m["ES 95%"]) == pytest.approx(s["es_95"], abs=5e-5)
    assert _number(m["Mean cost"]) == pytest.approx(s["mean_cost"], abs=5e-5)
    assert _number(m["Premium"]) == pytest.approx(res.premium, abs=5e-5)
    assert res.premium < 0  # a short call receives its premium
    vega = book.greeks(100.0, 0.2, rate=0.03).vega
    assert _number(m["Derman-Kamal std"]) == pytest.approx(theory.derman_kamal_std(vega, 0.2, 63), abs=5e-5)
    # The measured std sits near the prediction (daily hedging, small costs).
    assert _number(m["Std of P&L (hedged)"]) == pytest.approx(_number(m["Derman-Kamal std"]), rel=0.1)
    takeaways = [i.value for i in lab.info if i.value.startswith("Takeaway")]
    assert takeaways and "rebalanced daily" in takeaways[0]
    assert f"from {s['unhedged_std']:.2f} to {s['std']:.3g}" in takeaways[0]
    assert any("default short at-the-money call" in i.value for i in lab.info)
    assert len(lab.latex) >= 3
    assert lab.expander[-1].label == "What am I looking at"


CHANGES = [
    ("model", "Heston"),
    ("model", "Merton"),
    ("model", "GARCH"),
    ("strategy", "none"),
    ("strategy", "delta-gamma"),
    ("strategy", "delta-vega"),
    ("rule", "delta_band"),
    ("rule", "whalley_wilmott"),
    ("rule", "every_n_or_band"),  # with every_n = 5 (see below): every step would equal the default
    ("every_n", 5),
    ("hedge_vol_pct", 25.0),
    ("pricing_vol_pct", 25.0),
    ("cost_bp", 20.0),
    ("per_trade", 0.01),
    ("impact", 0.5),
    ("n_steps", 21),
    ("seed", 7),
    ("drift_pct", 30.0),
    ("option_spread_pct", 2.0),  # with a strategy that trades the option (see below)
]
# Controls that only move the result of a strategy trading the hedge option.
OPTION_ONLY = {"option_spread_pct"}


@pytest.mark.parametrize(("name", "value"), CHANGES, ids=[f"{n}={v}" for n, v in CHANGES])
def test_each_main_control_reruns(app_test, name, value):
    at = app_test(PAGE)
    at.run()
    _submit(at, n_paths=SMALL, **({"every_n": 5} if value == "every_n_or_band" else {}),
            **({"strategy": "delta-gamma"} if name in OPTION_ONLY else {}))
    before = _metrics(at)
    _submit(at, **{name: value})
    assert not at.exception and not at.error
    assert at.session_state["hl_submitted"][name] == value
    after = _metrics(at)
    assert "Std of P&L" in "".join(after)
    # Every one of these controls moves the mean P&L (premium, costs, paths or hedge).
    assert after["Mean P&L"] != before["Mean P&L"]


def test_bad_inputs_show_errors_and_the_form_stays(lab):
    _submit(lab, n_paths=SMALL, strategy="delta-gamma", hopt_tenor_days=0.0)
    assert not lab.exception
    assert len(lab.error) == 1
    text = lab.error[0].value
    assert "Hedge option: tenor (trading days) must be positive" in text and "got 0 " in text
    assert not lab.metric
    assert _run_button(lab)  # the form still works: fix the input and run again
    _submit(lab, hopt_tenor_days=126.0)
    assert not lab.error and lab.metric

    _submit(lab, model="GARCH", garch_alpha=0.2, garch_beta=0.85)
    assert "alpha + beta must be < 1" in lab.error[0].value
    _submit(lab, model="GBM", hedge_vol_pct=0.0)
    assert "Hedge volatility (%) must be positive" in lab.error[0].value
    assert not lab.exception


def test_request_above_the_cap_is_refused(lab):
    _submit(lab, n_paths=100_000, n_steps=63)
    assert not lab.exception
    assert len(lab.error) == 1
    text = lab.error[0].value
    assert f"{MAX_PATH_STEPS:,}" in text and "6,300,000" in text and "cap" in text
    assert not lab.metric


def test_empty_book_shows_an_error(app_test):
    at = app_test(PAGE)
    at.session_state[BOOK_KEY] = Book([], 0.0)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The book is empty: add an option leg on the Option Book page, or pick a preset there."
    ]
    assert _run_button(at)


def test_shared_book_and_market_are_hedged(app_test):
    at = app_test(PAGE)
    book = preset_book("straddle", 100.0, 42 / 252)
    at.session_state[BOOK_KEY] = book
    at.session_state[MARKET_KEY] = {"spot": 100.0, "volatility": 0.2, "rate": 0.01,
                                    "dividend_yield": 0.0, "valuation_time": 0.0}
    at.session_state["hl_n_paths"] = SMALL
    at.run()
    assert not at.exception and not at.error
    premium = _number(_metrics(at)["Premium"])
    assert premium == pytest.approx(book.value(100.0, 0.2, rate=0.01), abs=5e-5)
    assert premium > 0  # a long straddle is paid for
    assert not any("default short" in i.value for i in at.info)


def test_query_params_are_read_on_first_load(app_test):
    at = app_test(PAGE)
    at.query_params["model"] = "Merton"
    at.query_params["n_paths"] = "700"
    at.query_params["cost_bp"] = "2.5"
    at.query_params["n_steps"] = "abc"
    at.query_params["spot"] = "120.0"
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="hl_model").value == "Merton"
    assert at.text_input(key="hl_n_paths_text").value == "700"
    assert at.number_input(key="hl_cost_bp").value == pytest.approx(2.5)
    assert at.text_input(key="hl_n_steps_text").value == "63"  # the bad value is ignored ...
    assert any("n_steps" in w.value and "abc" in w.value for w in at.warning)  # ... and reported
    assert at.session_state[MARKET_KEY]["spot"] == pytest.approx(120.0)
    assert "Mean P&L" in _metrics(at)


def test_run_writes_the_link(lab):
    _submit(lab, n_paths=SMALL, rule="delta_band", band_width=0.1)
    params = {k: lab.query_params[k] for k in lab.query_params}
    flat = {k: v[-1] if isinstance(v, list) else v for k, v in params.items()}
    assert flat == {"n_paths": str(SMALL), "rule": "delta_band", "band_width": "0.1"}
    found, problems = SCHEMA.from_query_params(flat)
    assert not problems and found == {"n_paths": SMALL, "rule": "delta_band", "band_width": 0.1}


def test_upload_scenario_and_bad_file(lab):
    scenario = SCHEMA.to_json({"model": "Heston", "n_paths": 600, "strategy": "delta-vega"})
    lab.file_uploader(key="hl_upload").upload("s.json", scenario.encode(), "application/json").run()
    assert not lab.exception and not lab.error
    assert any("Loaded the scenario from s.json" in x.value for x in lab.success)
    assert lab.selectbox(key="hl_model").value == "Heston"
    assert lab.session_state["hl_submitted"]["strategy"] == "delta-vega"
    assert "Mean P&L" in _metrics(lab)

    bad = json.loads(scenario)
    bad["inputs"]["n_paths"] = -5
    lab.file_uploader(key="hl_upload").upload("bad.json", json.dumps(bad).encode(), "application/json").run()
    assert not lab.exception
    assert len(lab.error) == 1
    assert "bad.json" in lab.error[0].value and "n_paths" in lab.error[0].value
    # The previous scenario stays loaded and its results are still shown.
    assert lab.selectbox(key="hl_model").value == "Heston"
    assert "Mean P&L" in _metrics(lab)


def test_large_run_shows_progress_and_replays_from_the_cache(lab):
    assert PROGRESS_FROM == 1_000_000
    _submit(lab, n_paths=17_000, n_steps=63)  # 1.07 million path-steps: a progress bar
    assert not lab.exception and not lab.error
    first = _metrics(lab)
    assert "Mean P&L" in first
    assert not lab.get("progress")  # emptied once the run is done
    # A rerun with the same inputs is a cache hit: Streamlit replays the run's elements.
    lab.toggle(key="hl_zoom").set_value(True).run()
    assert not lab.exception and not lab.error
    assert _metrics(lab) == first


def test_settings_survive_a_visit_to_another_page(app_test):
    at = app_test("app.py")
    at.run()
    at.switch_page(PAGE).run()
    _submit(at, n_paths=SMALL, model="Merton", cost_bp=1.0)
    before = _metrics(at)
    at.switch_page("pages/2_Underlying.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="hl_model").value == "Merton"
    assert at.number_input(key="hl_cost_bp").value == pytest.approx(1.0)
    assert _metrics(at) == before


def test_old_links_and_files_keep_loading(app_test):
    at = app_test(PAGE)
    # rule names of links written before the rules had registry names
    for key, value in {"rule": "anyof", "every_n": "5", "band_width": "0.1", "n_paths": str(SMALL)}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.error and not at.warning
    assert at.selectbox(key="hl_rule").value == "every_n_or_band"
    assert "rebalanced every 5 trading days or when the hedge is off by more than 0.1 shares" in " ".join(
        i.value for i in at.info)
    old = json.dumps({"format": "hedge-lab-scenario", "page": "hedge_lab", "version": 1,
                      "inputs": {"rule": "ww", "n_paths": SMALL, "cost_bp": 10.0}})
    at.file_uploader(key="hl_upload").upload("old.json", old.encode(), "application/json").run()
    assert not at.exception and not at.error
    assert any("Loaded the scenario from old.json" in s.value for s in at.success)
    assert at.selectbox(key="hl_rule").value == "whalley_wilmott"
    assert at.query_params["rule"] in ("whalley_wilmott", ["whalley_wilmott"])  # new names written


def test_the_hedge_option_rolls_before_its_expiry(lab):
    assert lab.number_input(key="hl_hopt_roll_days").value == 5.0
    _submit(lab, n_paths=SMALL, strategy="delta-gamma", hopt_tenor_days=42.0)
    assert not lab.error
    ledger = next(d.value for d in lab.dataframe if "hedge option strike" in d.value.columns)
    # a 42-day option rolled 5 days before expiry: a new strike 37 trading days later
    assert ledger["hedge option strike"].nunique() >= 2
    assert ledger["hedge option expiry (trading day)"].iloc[0] == pytest.approx(42.0)
    rolled = _metrics(lab)
    _submit(lab, hopt_roll_days=0.0)
    assert not lab.error and _metrics(lab)["Mean P&L"] != rolled["Mean P&L"]
    _submit(lab, hopt_roll_days=42.0)
    message = lab.error[0].value
    assert "Hedge option" in message and "Roll before expiry (trading days) must be shorter than the tenor" in message
    assert "got 42 " in message  # in the field's unit, trading days


@pytest.mark.parametrize("typed", ["2e3", "2000", "2,000", " 2_000 "])
def test_paths_accept_exponents_and_thousands_separators(lab, typed):
    lab.text_input(key="hl_n_paths_text").input(typed)
    _run_button(lab).click().run()
    assert not lab.exception and not lab.error
    assert lab.session_state["hl_submitted"]["n_paths"] == 2000
    assert any(c.value.startswith("2,000 paths") for c in lab.caption)


@pytest.mark.parametrize(("typed", "message"), [
    ("1e12", "Paths: 1e12 (1,000,000,000,000) is above the largest allowed, 1,000,000."),
    ("0", "Paths: 0 (0) is below the smallest allowed, 1."),
    ("2.5", "Paths: '2.5' is not a whole number"),
    ("lots", "Paths: 'lots' is not a whole number"),
])
def test_paths_out_of_bounds_are_refused_by_name_without_running(lab, typed, message):
    before = lab.session_state["hl_submitted"]
    lab.text_input(key="hl_n_paths_text").input(typed)
    _run_button(lab).click().run()
    assert not lab.exception
    assert any(message in e.value for e in lab.error)
    assert any(e.value.startswith("Not run: ") for e in lab.error)
    assert lab.session_state["hl_submitted"] == before
    assert "Std unhedged" not in _metrics(lab)


@pytest.mark.parametrize(("inputs", "label", "code_name"), [
    ({"model": "Heston", "heston_kappa": 0.0}, "Heston: mean reversion (per year) must be positive", "kappa"),
    ({"hedge_vol_pct": 0.0}, "Hedge volatility (%) must be positive", "hedge_volatility"),
])
def test_library_errors_name_the_fields_label(lab, inputs, label, code_name):
    _submit(lab, n_paths=SMALL, **inputs)
    assert not lab.exception
    messages = [e.value for e in lab.error]
    assert any(label in m for m in messages), messages
    assert not any(code_name in m for m in messages), messages


def test_tiny_costs_read_in_fixed_decimals(lab):
    # A thousandth of a basis point: the mean cost per path is of the order of 1e-5.
    _submit(lab, n_paths=SMALL, cost_bp=0.001)
    assert not lab.exception and not lab.error
    text = next(i.value for i in lab.info if i.value.startswith("Takeaway"))
    cost = re.search(r"mean cost of ([^ ]+) over", text).group(1)
    assert re.fullmatch(r"0\.0000\d+", cost), text
    assert 1e-6 < float(cost) < 1e-4
