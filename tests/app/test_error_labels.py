"""Library errors read with the page's labels: the argument a message names is the input's
label, the value it got is in the label's unit, and two inputs that set arguments of one
name (the put's volatility and the model's) are told apart by the part the message names."""

from __future__ import annotations

import pytest

from ui.errors import in_labels
from ui.live import live_fields
from ui.portfolio import FUTURES_INPUTS, INSURANCE_INPUTS, labelled


@pytest.mark.parametrize(("message", "shown"), [
    # The same argument, volatility, of two parts: each goes to its own input.
    ("Synthetic put: volatility must be positive and finite, got -0.05",
     "Synthetic put: Put volatility (%) must be positive and finite, got -5"),
    ("GBM (constant volatility): volatility must be non-negative and finite, got -0.05",
     "GBM (constant volatility): Volatility (%) must be non-negative and finite, got -5"),
    ("CPPI: floor must lie in (0.0, 1.0), got 1.5", "CPPI: Floor (% of capital) must lie in (0.0, 1.0), got 150"),
    ("Heston (stochastic volatility): kappa must be positive and finite, got -1.0",
     "Heston (stochastic volatility): Heston: mean reversion (per year) must be positive and finite, got -1.0"),
    ("Proportional, fixed, impact and option spread: proportional must be non-negative and finite, got -0.0001",
     "Proportional, fixed, impact and option spread: Proportional cost (bp of notional) must be "
     "non-negative and finite, got -1"),
    ("Every N steps: n must be at least 1 and at most 1,073,741,824, got 0",
     "Every N steps must be at least 1 and at most 1,073,741,824, got 0"),
])
def test_insurance_errors_name_the_input_of_the_part(message, shown):
    assert labelled(message, INSURANCE_INPUTS) == shown


@pytest.mark.parametrize(("message", "shown"), [
    ("rate must be at most 1 (100% a year) in absolute value, got 5.0",
     "Rate (%) must be at most 1 (100% a year) in absolute value, got 500"),
    ("window must be at least 2 and at most 1,073,741,824, got 1",
     "Window (trading days) must be at least 2 and at most 1,073,741,824, got 1"),
    ("rebalance_every must be at least 1 and at most 1,073,741,824, got 0",
     "Rebalance every (trading days) must be at least 1 and at most 1,073,741,824, got 0"),
    ("proportional must be non-negative and finite, got -0.0001",
     "Futures cost (bp of notional) must be non-negative and finite, got -1"),
    ("roll_days must be at least 0 and at most 60, got -1",
     "Roll before expiry (trading days) must be at least 0 and at most 60, got -1"),
])
def test_futures_errors_name_the_futures_input(message, shown):
    assert labelled(message, FUTURES_INPUTS) == shown


def test_a_part_named_like_its_input_is_not_said_twice():
    fields = live_fields()
    assert (in_labels("name must be new: a position named 'x' already exists", fields)
            == "Position name must be new: a position named 'x' already exists")
    assert (in_labels("Volatility source: hedge_volatility must be positive and finite, got 0.0", fields)
            == "Volatility source: hedge_volatility must be positive and finite, got 0.0")
    assert (in_labels("Rate (%): rate must be finite, got 0.5", fields)
            == "Rate (%) must be finite, got 50")


def test_messages_naming_no_input_are_left_as_they_are():
    message = "strategies: switch on at least one strategy to compare, got none"
    assert labelled(message, INSURANCE_INPUTS) == message
    assert labelled("", INSURANCE_INPUTS) == ""
