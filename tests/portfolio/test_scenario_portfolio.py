"""The Portfolio Hedging page's scenario, without streamlit: inputs, builders, checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.market.models import GBM, MertonJump
from hedgelib.portfolio import CPPI, INSURANCE_STRATEGIES, BuyAndHold, ExposureBand
from hedgelib.scenario.format import ScenarioError
from hedgelib.scenario.portfolio import (
    futures_keywords,
    insurance_costs,
    insurance_model,
    insurance_refusal,
    insurance_rule,
    insurance_strategies,
    portfolio_fields,
    portfolio_schema,
    portfolio_settings,
    series_key,
)


def test_inputs_build_the_library_objects():
    s = portfolio_settings({"floor_pct": 80.0, "multiplier": 5.0, "max_exposure_pct": 0.0,
                            "use_tipp": False, "use_synthetic_put": False, "rule": "exposure_band",
                            "exposure_band_pct": 3.0, "cost_bp": 2.0, "model": "Merton",
                            "div_pct": 1.0, "ins_start": dt.date(2007, 1, 3)})
    specs = insurance_strategies(s)
    assert specs == {"cppi": CPPI(5.0, 0.8, None), "protective_put": specs["protective_put"],
                     "buy_and_hold": BuyAndHold(0.8)}
    assert specs["protective_put"].floor == 0.8 and specs["protective_put"].volatility == 0.2
    assert insurance_rule(s) == ExposureBand(0.03)
    assert insurance_costs(s) == TransactionCosts(proportional=2e-4)
    model = insurance_model(s)
    assert isinstance(model, MertonJump) and model.dividend_yield == 0.01
    assert s["ins_start"] == "2007-01-03"
    kw = futures_keywords(s)
    assert kw["start"] == "2001-01-02" and kw["window"] == 60 and kw["contract"].roll_days == 5
    assert kw["costs"] == TransactionCosts(proportional=0.5e-4)
    assert isinstance(insurance_model(portfolio_schema().complete({})), GBM)


def test_settings_refuse_what_the_page_cannot_run():
    cases = [
        ({"floor_pct": 100.0}, "floor"),
        ({"multiplier": 0.0}, "multiplier"),
        ({"use_cppi": False, "use_tipp": False, "use_synthetic_put": False, "use_protective_put": False,
          "use_buy_and_hold": False}, "strategies"),
        ({"n_paths": 200_000, "n_steps": 252}, "cap"),
        ({"fut_start": "2018-01-01", "fut_end": "2010-01-01"}, "fut_end"),
        ({"ins_start": "2008-02-30"}, "ins_start"),
        ({"fut_window": 1}, "fut_window"),
        ({"market": "ftse"}, "market"),
        ({"flor_pct": 90.0}, "flor_pct"),
    ]
    for inputs, word in cases:
        with pytest.raises(HedgeLibError, match=word):
            portfolio_settings(inputs)
    assert insurance_refusal({**portfolio_schema().complete({}), "market": "sp500", "n_paths": 200_000}) is None
    with pytest.raises(ScenarioError, match="scenario for page"):
        portfolio_schema().from_json('{"format": "hedge-lab-scenario", "page": "hedge_lab", "inputs": {}}')
    assert series_key("nasdaq") == "nasdaq" and series_key("source") is None
    with pytest.raises(HedgeLibError, match="series"):
        series_key("ftse")


def test_a_strategy_registered_later_is_an_input_of_the_page():
    @dataclass(frozen=True)
    class AllCash:
        """Everything in cash: the floor is never at risk."""

        floor: float = 0.9
        label = "All cash"
        static = False

        def floor_expiry(self, horizon):
            return horizon

        def policy(self, **kw):
            raise AssertionError("not run here")

    INSURANCE_STRATEGIES.register("all_cash", AllCash, label="All cash", parameters=())
    try:
        assert "use_all_cash" in portfolio_fields()
        specs = insurance_strategies({**portfolio_schema().complete({}), "use_all_cash": True})
        assert isinstance(specs["all_cash"], AllCash)
    finally:
        INSURANCE_STRATEGIES.unregister("all_cash")
    assert "use_all_cash" not in portfolio_fields()
