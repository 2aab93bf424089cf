"""Underlying page and the shared source picker under AppTest."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hedgelib.market.calibrate import estimate_gbm, fit_garch, realised_volatility
from hedgelib.market.history import list_bundled, load_bundled
from ui.sources import CSV_KEY, SOURCE_KEY, YAHOO_KEY

PAGE = "pages/2_Underlying.py"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _pct(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def _chart_traces(at) -> list[list[str]]:
    return [[t.get("name") for t in json.loads(c.proto.spec)["data"]] for c in at.get("plotly_chart")]


def _csv(n: int = 40, start: str = "2021-03-01") -> bytes:
    days = pd.bdate_range(start, periods=n)
    prices = 50.0 * np.exp(np.cumsum(np.r_[0.0, np.random.default_rng(5).normal(0, 0.01, n - 1)]))
    return ("Date,Close\n" + "".join(f"{d.date()},{p:.4f}\n" for d, p in zip(days, prices, strict=True))).encode()


@pytest.fixture
def underlying(app_test):
    at = app_test(PAGE)
    at.run()
    assert not at.exception
    return at


def test_default_source_is_the_sp500_2014_2018_with_vix(underlying):
    assert not underlying.error
    hist = load_bundled("sp500", "2014-01-01", "2018-12-31")
    m = _metrics(underlying)
    assert m["Rows (daily closes)"] == f"{len(hist):,}"
    assert m["First date"] == "2014-01-02" and m["Last date"] == "2018-12-31"
    assert _pct(m["Realised volatility"]) == pytest.approx(100 * realised_volatility(hist.prices), abs=0.005)
    assert _pct(m["Annual drift"]) == pytest.approx(100 * estimate_gbm(hist.prices).drift, abs=0.005)
    banner = underlying.info[0].value
    assert banner.startswith("Source in use: **S&P 500") and "2014-01-02 to 2018-12-31" in banner
    # Price chart and the 21-day realised volatility against the VIX.
    assert _chart_traces(underlying) == [["S&P 500"], ["Realised, 21-day", "VIX (implied, 30 days)",
                                                 "Whole-period realised volatility"]]
    assert underlying.session_state[SOURCE_KEY]["kind"] == "bundled"
    assert len(underlying.latex) >= 4
    takeaway = underlying.expander[0].info[0].value
    assert takeaway.startswith("Takeaway: S&P 500") and "VIX" in takeaway


@pytest.mark.parametrize("key", ["sp500", "nasdaq", "vix", "wti"])
def test_each_bundled_series_loads_and_shows_its_range(underlying, key):
    underlying.selectbox(key="ul_src_bundled").select(key).run()
    underlying.selectbox(key="ul_src_window").select("Whole history").run()
    assert not underlying.exception and not underlying.error
    row = list_bundled().set_index("key").loc[key]
    m = _metrics(underlying)
    assert m["First date"] == str(row["first_date"].date())
    assert m["Last date"] == str(row["last_date"].date())
    assert m["Rows (daily closes)"] == f"{row['rows']:,}"
    assert f"{row['first_date'].date()} to {row['last_date'].date()}" in underlying.info[0].value
    assert underlying.session_state[SOURCE_KEY]["history"]["key"] == key


def test_window_preset_and_rolling_window(underlying):
    underlying.selectbox(key="ul_src_window").select("2008 (financial crisis)").run()
    underlying.select_slider(key="ul_vol_window").set_value(63).run()
    assert not underlying.exception and not underlying.error
    hist = load_bundled("sp500", "2008-01-01", "2008-12-31")
    m = _metrics(underlying)
    assert (m["First date"], m["Last date"]) == ("2008-01-02", "2008-12-31")
    assert _pct(m["Realised volatility"]) == pytest.approx(100 * realised_volatility(hist.prices), abs=0.005)
    # No VIX in 2008 (the bundled one starts in 2014): the chart says realised only.
    assert _chart_traces(underlying)[1] == ["Realised, 63-day", "Whole-period realised volatility"]
    assert any("No VIX here" in c.value for c in underlying.caption)


def test_picker_switches_between_all_four_kinds(underlying):
    for kind in ["yahoo", "csv", "model", "bundled", "model", "yahoo", "bundled"]:
        underlying.radio(key="ul_src_kind").set_value(kind).run()
        assert not underlying.exception, kind
        assert underlying.info[0].value.startswith("Source in use:"), kind
    assert underlying.session_state[SOURCE_KEY]["kind"] == "bundled"


def test_yahoo_offline_is_a_clear_error_and_the_page_keeps_working(underlying):
    underlying.radio(key="ul_src_kind").set_value("yahoo").run()
    # Nothing is downloaded until the button is pressed.
    assert not underlying.error and YAHOO_KEY not in underlying.session_state
    underlying.text_input(key="ul_src_ticker").input("AAPL").run()
    underlying.button(key="ul_src_yahoo_go").click().run()
    assert not underlying.exception
    # Next to the picker, and in the main area, where people look.
    assert [e.value for e in underlying.main.error] == [e.value for e in underlying.sidebar.error]
    assert len(underlying.main.error) == 1
    message = underlying.main.error[0].value
    assert "offline" in message and "bundled data" in message and "AAPL" in message
    # The previous source stays in use and the underlying still draws it.
    assert _metrics(underlying)["First date"] == "2014-01-02"
    assert underlying.session_state[SOURCE_KEY]["kind"] == "bundled"


def test_bad_csv_shows_an_error_not_a_traceback(underlying):
    underlying.radio(key="ul_src_kind").set_value("csv").run()
    bad = b"Date,Close\n2021-01-04,100\n2021-01-05,abc\n"
    underlying.file_uploader(key="ul_src_csv").set_value(("bad.csv", bad, "text/csv")).run()
    assert not underlying.exception
    assert [e.value for e in underlying.main.error] == [e.value for e in underlying.sidebar.error]
    assert len(underlying.main.error) == 1
    assert "bad.csv" in underlying.main.error[0].value and "line 3" in underlying.main.error[0].value
    assert CSV_KEY not in underlying.session_state
    assert underlying.session_state[SOURCE_KEY]["kind"] == "bundled"


def test_good_csv_is_used_and_survives_a_page_switch(underlying, app_test):
    underlying.radio(key="ul_src_kind").set_value("csv").run()
    underlying.file_uploader(key="ul_src_csv").set_value(("my_prices.csv", _csv(), "text/csv")).run()
    assert not underlying.exception and not underlying.error
    m = _metrics(underlying)
    assert m["Rows (daily closes)"] == "40" and m["First date"] == "2021-03-01"
    assert "my_prices" in underlying.info[0].value and "2021-03-01 to 2021-04-23" in underlying.info[0].value
    assert underlying.session_state[SOURCE_KEY]["history"]["filename"] == "my_prices.csv"

    # Another underlying (or this one after a switch) starts with no widget state at all: the
    # kept bytes and the description rebuild the same source.
    other = app_test(PAGE)
    for key in (SOURCE_KEY, CSV_KEY):
        other.session_state[key] = underlying.session_state[key]
    other.run()
    assert not other.exception and not other.error
    assert _metrics(other)["Rows (daily closes)"] == "40"
    assert other.radio(key="ul_src_kind").value == "csv"
    assert any("uploaded earlier: my_prices.csv" in c.value for c in other.sidebar.caption)


def test_calibrate_gbm_and_garch_from_sp500_in_2008(underlying):
    underlying.selectbox(key="ul_src_window").select("2008 (financial crisis)").run()
    underlying.radio(key="ul_src_kind").set_value("model").run()
    underlying.button(key="ul_src_calibrate").click().run()
    assert not underlying.exception and not underlying.error
    prices = load_bundled("sp500", "2008-01-01", "2008-12-31").prices
    gbm = estimate_gbm(prices)
    model = underlying.session_state[SOURCE_KEY]["model"]
    assert model["name"] == "GBM"
    assert model["params"]["GBM"]["volatility"] == pytest.approx(gbm.volatility, rel=1e-12)
    assert model["drift"] == pytest.approx(gbm.drift, rel=1e-12)
    assert model["spot"] == pytest.approx(prices.iloc[-1])
    assert "calibrated to S&P 500 from 2008-01-02 to 2008-12-31" in underlying.info[0].value
    assert "edited since" not in underlying.info[0].value

    underlying.selectbox(key="ul_src_model").select("GARCH").run()
    underlying.button(key="ul_src_calibrate").click().run()
    assert not underlying.exception and not underlying.error
    fitted = fit_garch(prices).to_model()
    p = underlying.session_state[SOURCE_KEY]["model"]["params"]["GARCH"]
    assert p["alpha"] == pytest.approx(fitted.alpha, rel=1e-9)
    assert p["beta"] == pytest.approx(fitted.beta, rel=1e-9)
    assert p["volatility"] == pytest.approx(fitted.long_run_volatility, rel=1e-9)
    assert p["initial_volatility"] ** 2 / 252 == pytest.approx(fitted.start_variance, rel=1e-9)
    assert underlying.session_state[SOURCE_KEY]["model"]["drift"] == pytest.approx(fitted.drift, rel=1e-9)
    assert _pct(_metrics(underlying)["Model long-run volatility"]) == pytest.approx(
        100 * fitted.long_run_volatility, abs=0.005)
    assert "edited since" not in underlying.info[0].value


def test_simulated_source_shows_the_fan_chart(underlying):
    underlying.radio(key="ul_src_kind").set_value("model").run()
    assert not underlying.exception and not underlying.error
    traces = _chart_traces(underlying)
    assert len(traces) == 1
    assert traces[0][-5:] == ["5%", "5%-95%", "25%", "25%-75%", "Median"]
    assert traces[0].count("Sample paths") == 12
    m = _metrics(underlying)
    assert _pct(m["Model long-run volatility"]) == pytest.approx(20.0)
    # 1000 GBM paths of 252 daily steps at 20%: each path's realised volatility has a
    # standard error of about 0.2 / sqrt(2 * 251) = 0.9 points; their mean, 0.9 / sqrt(1000).
    assert _pct(m["Mean realised volatility of the paths"]) == pytest.approx(20.0, abs=3 * 0.9 / 1000**0.5 + 0.01)
    assert underlying.expander[0].info[0].value.startswith("Takeaway: after 252 trading days")


def test_model_parameters_and_simulation_caps(underlying):
    underlying.radio(key="ul_src_kind").set_value("model").run()
    underlying.selectbox(key="ul_src_model").select("Heston").run()
    assert not underlying.exception and not underlying.error
    assert underlying.session_state[SOURCE_KEY]["model"]["name"] == "Heston"
    underlying.selectbox(key="ul_src_model").select("GARCH").run()
    underlying.number_input(key="ul_src_GARCH_beta").set_value(0.95).run()
    assert not underlying.exception
    assert ["alpha + beta must be < 1" in e.value for e in underlying.sidebar.error] == [True]
    assert ["alpha + beta must be < 1" in e.value for e in underlying.main.error] == [True]
    assert underlying.session_state[SOURCE_KEY]["model"]["params"]["GARCH"]["beta"] == pytest.approx(0.90)
    underlying.number_input(key="ul_src_GARCH_beta").set_value(0.9).run()
    underlying.text_input(key="ul_n_paths_text").input("5,000")
    underlying.text_input(key="ul_n_steps_text").input("2520")
    next(b for b in underlying.button if b.label == "Simulate").click().run()
    assert not underlying.exception
    assert [e.value for e in underlying.error] == [
        "Simulation: paths x steps is capped at 1,000,000 on this page, got 5,000 x 2,520 = "
        "12,600,000: fewer paths or fewer steps"
    ]


def test_simulated_paths_read_exponents_and_refuse_out_of_bounds(underlying):
    underlying.radio(key="ul_src_kind").set_value("model").run()
    underlying.text_input(key="ul_n_paths_text").input("2e3")
    next(b for b in underlying.button if b.label == "Simulate").click().run()
    assert not underlying.exception and not underlying.error
    assert underlying.session_state["ul_n_paths"] == 2000
    charts = len(underlying.get("plotly_chart"))
    assert charts > 0
    underlying.text_input(key="ul_n_paths_text").input("2e5")
    next(b for b in underlying.button if b.label == "Simulate").click().run()
    assert not underlying.exception
    assert [e.value for e in underlying.error] == [
        "Paths: 2e5 (200,000) is above the largest allowed, 5,000."
    ]
    assert len(underlying.get("plotly_chart")) == 0  # nothing simulated
