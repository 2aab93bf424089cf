"""Option Book & Greeks page under AppTest: wiring, errors and the implied-vol calculator."""

from __future__ import annotations

import pytest

from hedgelib.book import preset_book
from hedgelib.pricing.black_scholes import bs_price
from hedgelib.scenario import default_book
from ui.state import BOOK_KEY, MARKET_KEY

PAGE = "pages/1_Option_Book.py"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


@pytest.fixture
def ob_page(app_test):
    at = app_test(PAGE)
    at.run()
    assert not at.exception
    return at


def test_page_runs_and_shows_the_book_every_page_uses(ob_page):
    m = _metrics(ob_page)
    assert not ob_page.error
    # Default: the short at-the-money call, 63 trading days, spot 100, vol 20%, rate 3%, that
    # every other page uses until a book is built: visiting this page changes nobody's book.
    book = preset_book("short_call", 100.0, 63 / 252)
    assert book == default_book(100.0)
    value = book.value(100.0, 0.20, rate=0.03)
    g = book.greeks(100.0, 0.20, rate=0.03)
    assert _number(m["Value (currency)"]) == pytest.approx(value, abs=0.005)
    assert _number(m["Delta (shares)"]) == pytest.approx(g.delta, abs=5e-5)
    assert _number(m["Gamma per 1.00 of spot"]) == pytest.approx(g.gamma, abs=5e-5)
    # Trader units: vega per vol point, theta per trading day, rho per 1%.
    assert _number(m["Vega per vol point"]) == pytest.approx(g.vega / 100, abs=5e-4)
    assert _number(m["Theta per trading day"]) == pytest.approx(g.theta / 252, abs=5e-4)
    assert _number(m["Rho per 1%"]) == pytest.approx(g.rho / 100, abs=5e-4)
    assert m["Max loss at expiry"] == "unbounded"
    assert len(m["Breakevens (spot at expiry)"].split(", ")) == 1
    # Shared state for later pages, in library units.
    assert ob_page.session_state[BOOK_KEY] == book
    assert ob_page.session_state[MARKET_KEY]["volatility"] == pytest.approx(0.20)
    assert ob_page.session_state[MARKET_KEY]["rate"] == pytest.approx(0.03)
    assert len(ob_page.latex) >= 3
    assert ob_page.expander[0].label == "What am I looking at"
    assert "short gamma" in ob_page.expander[0].info[0].value


def test_preset_change_changes_the_greeks(ob_page):
    before = _metrics(ob_page)
    ob_page.selectbox(key="ob_preset").select("bull_call_spread").run()
    assert not ob_page.exception and not ob_page.error
    after = _metrics(ob_page)
    assert after["Delta (shares)"] != before["Delta (shares)"]
    assert after["Vega per vol point"] != before["Vega per vol point"]
    expected = preset_book("bull_call_spread", 100.0, 63 / 252).greeks(100.0, 0.2, rate=0.03)
    assert _number(after["Delta (shares)"]) == pytest.approx(expected.delta, abs=5e-5)
    assert after["Max profit at expiry"] != "unbounded"


def test_market_input_and_valuation_date_move_the_numbers(ob_page):
    ob_page.number_input(key="ob_vol_pct").set_value(30.0).run()
    assert ob_page.session_state[MARKET_KEY]["volatility"] == pytest.approx(0.30)
    book = preset_book("short_call", 100.0, 63 / 252)
    assert _number(_metrics(ob_page)["Value (currency)"]) == pytest.approx(
        book.value(100.0, 0.30, rate=0.03), abs=0.005
    )
    ob_page.number_input(key="ob_valuation_days").set_value(21.0).run()
    assert _number(_metrics(ob_page)["Value (currency)"]) == pytest.approx(
        book.value(100.0, 0.30, time=21 / 252, rate=0.03), abs=0.005
    )


def test_switching_day_unit_keeps_the_book(ob_page):
    before = _metrics(ob_page)
    ob_page.radio(key="ob_day_unit").set_value("calendar days").run()
    assert not ob_page.exception and not ob_page.error
    assert _metrics(ob_page) == before
    # 63 trading days are a quarter of a year: 91.25 calendar days.
    assert ob_page.number_input(key="ob_preset_days").value == pytest.approx(91.25)
    assert ob_page.session_state["ob_legs_table"]["expiry"].tolist() == pytest.approx([91.25])


def test_negative_strike_in_the_editor_shows_an_error(app_test):
    at = app_test(PAGE)
    at.session_state["ob_legs"] = {
        "edited_rows": {0: {"strike": -100.0}}, "added_rows": [], "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert "leg 1" in at.error[0].value and "strike" in at.error[0].value
    assert "-100" in at.error[0].value
    assert not at.metric  # the page stopped before computing anything


def test_half_filled_added_row_names_the_row(app_test):
    at = app_test(PAGE)
    at.session_state["ob_legs"] = {
        "edited_rows": {}, "added_rows": [{"kind": "put", "strike": 95.0}], "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert "leg 2" in at.error[0].value


def test_empty_book_shows_an_error(ob_page):
    ob_page.selectbox(key="ob_preset").select("(empty book)").run()
    assert not ob_page.exception
    assert [e.value for e in ob_page.error] == [
        "The book is empty: add an option leg or a stock position, or pick a preset."
    ]
    # A stock position alone is a book: the page works again, delta is the shares held.
    ob_page.number_input(key="ob_stock").set_value(2.0).run()
    assert not ob_page.exception and not ob_page.error
    assert _number(_metrics(ob_page)["Delta (shares)"]) == pytest.approx(2.0)


def test_implied_vol_calculator_stays_while_the_book_is_empty(ob_page):
    ob_page.number_input(key="ob_iv_strike").set_value(105.0).run()
    ob_page.selectbox(key="ob_preset").select("(empty book)").run()
    # Still drawn (a number input that is not drawn loses its value in the browser).
    assert ob_page.number_input(key="ob_iv_strike").value == pytest.approx(105.0)
    assert ob_page.number_input(key="ob_iv_days").value == pytest.approx(63.0)
    assert "Implied volatility" in _metrics(ob_page)
    ob_page.selectbox(key="ob_preset").select("straddle").run()
    assert not ob_page.exception and not ob_page.error
    assert ob_page.number_input(key="ob_iv_strike").value == pytest.approx(105.0)


def test_implied_vol_calculator_recovers_the_input_volatility(ob_page):
    # A 105 put, 42 trading days, priced at 31.7% vol with the page's market (100, 3%, 0%).
    price = bs_price(100.0, 105.0, 42 / 252, 0.317, 0.03, 0.0, kind="put")
    ob_page.selectbox(key="ob_iv_kind").select("put")
    ob_page.number_input(key="ob_iv_strike").set_value(105.0)
    ob_page.number_input(key="ob_iv_days").set_value(42.0)
    ob_page.number_input(key="ob_iv_price").set_value(round(price, 4)).run()
    assert not ob_page.exception and not ob_page.error
    assert _metrics(ob_page)["Implied volatility"] == "31.70%"


def test_implied_vol_outside_bounds_explains_with_the_bounds(ob_page):
    ob_page.number_input(key="ob_iv_price").set_value(150.0).run()
    assert not ob_page.exception
    assert len(ob_page.error) == 1
    text = ob_page.error[0].value
    # A call is worth at most the spot (discounted at the dividend yield, here 0): 100.
    assert "150.0000" in text and "100.0000" in text and "bounds" in text
    assert "Implied volatility" not in _metrics(ob_page)
    # The rest of the page still works.
    assert "Delta (shares)" in _metrics(ob_page)


def test_every_preset_renders_with_consistent_numbers(ob_page):
    from hedgelib.book import PRESETS

    for name in PRESETS:
        ob_page.selectbox(key="ob_preset").select(name).run()
        assert not ob_page.exception and not ob_page.error, name
        book = preset_book(name, 100.0, 63 / 252)
        assert ob_page.session_state[BOOK_KEY] == book, name
        delta = _number(_metrics(ob_page)["Delta (shares)"])
        assert delta == pytest.approx(book.greeks(100.0, 0.2, rate=0.03).delta, abs=5e-5), name
    # A valuation date past every expiry: intrinsic values, and a note says so.
    ob_page.number_input(key="ob_valuation_days").set_value(200.0).run()
    assert not ob_page.exception and not ob_page.error
    assert any("expired" in i.value for i in ob_page.info)


def test_settings_survive_a_visit_to_another_page(app_test):
    at = app_test("app.py")
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key="ob_preset").select("butterfly").run()
    at.number_input(key="ob_vol_pct").set_value(25.0).run()
    at.radio(key="ob_day_unit").set_value("calendar days").run()
    before = _metrics(at)
    # Streamlit drops a page's widget state when the user leaves it.
    at.switch_page("pages/2_Underlying.py").run()
    assert "ob_preset" not in at.session_state
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="ob_preset").value == "butterfly"
    assert at.radio(key="ob_day_unit").value == "calendar days"
    assert at.number_input(key="ob_vol_pct").value == pytest.approx(25.0)
    assert _metrics(at) == before
