"""Learned Hedging under AppTest: wiring, a small training run, presets, refusals, Hull-White."""

from __future__ import annotations

import json

import pytest

from hedgelib.book import Book
from hedgelib.hedging.setup import STRATEGIES
from hedgelib.learned import registered_deep_hedges, unregister_deep_hedge
from tests.app.inputs import set_number
from ui.learned import PRESETS
from ui.state import BOOK_KEY

PAGE = "pages/8_Learned_Hedging.py"
# Small enough to train in a second once compiled; 10 steps and batches of 250 share the
# compiled step with tests/learned.
SMALL = {"n_paths": 500, "n_steps": 10, "epochs": 2, "batch_size": 250, "eval_paths": 1000}
TRAIN = "Train and compare"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _train(at, **inputs):
    for name, value in {**SMALL, **inputs}.items():
        key = "lh_" + name
        if isinstance(value, str):
            at.selectbox(key=key).select(value)
        else:
            set_number(at, key, value)
    next(b for b in at.button if b.label == TRAIN).click().run()
    return at


@pytest.fixture
def lab(app_test):
    at = app_test(PAGE, timeout=240)
    at.run()
    assert not at.exception, at.exception
    yield at
    for name in registered_deep_hedges():
        unregister_deep_hedge(name)


def test_first_visit_fits_hull_white_and_waits_for_train(lab):
    assert not lab.error
    assert any(TRAIN in i.value for i in lab.info)
    m = _metrics(lab)
    # The bundled S&P 500 + VIX fit of 2014-2016, tested on 2017-2018.
    assert float(m["a"]) < 0
    assert float(m["Gain out of sample"].rstrip("%")) > 20
    assert m["Observations"] == "11,310"
    assert len(lab.latex) >= 2


def test_small_training_run_compares_and_registers(lab):
    _train(lab)
    assert not lab.exception, lab.exception
    assert not lab.error, [e.value for e in lab.error]
    m = _metrics(lab)
    for label in ("Learned (deep hedge)", "Black-Scholes delta", "Whalley-Wilmott band",
                  "Minimum-variance delta", "No hedge"):
        assert label in m and len(label) <= 28  # fits a quarter-width column
    assert any(md.value.startswith("**Entropic risk (a = 1)** on fresh paths") for md in lab.markdown)
    assert any(i.value.startswith("Takeaway") for i in lab.info)
    names = registered_deep_hedges()
    assert len(names) == 1 and names[0] in STRATEGIES
    assert any(names[0] in s.value for s in lab.success)
    # Charts side by side get half the page: at 1440 px a title of 50 characters fills it.
    half = [json.loads(c.proto.spec)["layout"]["title"]["text"]
            for col in lab.columns for c in col.get("plotly_chart")]
    assert len(half) >= 4 and all(len(t) <= 50 for t in half), half
    # The run is cached per input set: the same inputs again do not train again.
    lab.run()
    assert registered_deep_hedges() == names and not lab.exception


def test_preset_fills_the_form(lab):
    label = next(k for k in PRESETS if k.startswith("No costs"))
    lab.selectbox(key="lh_preset").select(label).run()
    assert lab.number_input(key="lh_cost_bp").value == 0.0
    assert lab.selectbox(key="lh_loss").value == "variance"
    assert lab.selectbox(key="lh_architecture").value == "mlp"


def test_oversized_run_is_refused(lab):
    _train(lab, n_paths=500_000, n_steps=504)
    assert any("above the cap" in e.value for e in lab.error)


def test_a_book_without_options_is_refused(app_test):
    at = app_test(PAGE, timeout=60)
    at.session_state[BOOK_KEY] = Book([], stock=1.0)
    at.run()
    _train(at)
    assert any("holds no option" in e.value for e in at.error)
    assert not at.exception


def test_hull_white_put_fit_and_heston(lab):
    lab.selectbox(key="lh_hw_kind").select("put")
    next(b for b in lab.button if b.label == "Fit and test").click().run()
    assert not lab.exception
    call_a = float(_metrics(lab)["a"])
    assert call_a < 0
    lab.text_input(key="lh_hs_n_paths_text").input("5")
    next(b for b in lab.button if b.label == "Fit on Heston paths").click().run()
    assert not lab.exception and not lab.error
    assert any("On Heston paths" in md.value for md in lab.markdown)
