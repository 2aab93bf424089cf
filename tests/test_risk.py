"""VaR, expected shortfall and entropic risk: hand values, properties, limits, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelib.conventions import HedgeLibError
from hedgelib.risk import entropic_risk, expected_shortfall, risk_summary, value_at_risk

X = [3.0, -5.0, 0.0, 2.0, -1.0]  # sorted: -5, -1, 0, 2, 3


def test_hand_values():
    # n = 5: tail m = n(1 - level); VaR = -x_(ceil m); ES = -(sum of floor(m) worst + frac * next)/m
    assert value_at_risk(X, 0.8) == 5.0  # m = 1
    assert value_at_risk(X, 0.6) == 1.0  # m = 2
    assert value_at_risk(X, 0.7) == 1.0  # m = 1.5 -> 2nd worst
    assert value_at_risk(X, 0.99) == 5.0  # m < 1 -> worst
    assert expected_shortfall(X, 0.6) == pytest.approx(3.0)  # (5 + 1) / 2
    assert expected_shortfall(X, 0.7) == pytest.approx((5 + 0.5 * 1) / 1.5)
    assert expected_shortfall(X, 0.5) == pytest.approx(6 / 2.5)  # (5 + 1 + 0.5*0) / 2.5
    # 100 equally spaced outcomes 1..100 minus 50: 1% tail is exactly one observation
    y = np.arange(1.0, 101.0) - 50.0
    assert value_at_risk(y, 0.99) == 49.0 and expected_shortfall(y, 0.99) == 49.0
    assert value_at_risk(y, 0.95) == 45.0 and expected_shortfall(y, 0.95) == pytest.approx(47.0)


def test_ties_are_handled_by_rank():
    y = [-2.0, -2.0, -2.0, 1.0]
    assert value_at_risk(y, 0.5) == 2.0 and expected_shortfall(y, 0.5) == 2.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=60),
    st.floats(0.5, 0.995),
    st.floats(-100, 100),
    st.floats(0.1, 10),
)
def test_properties(xs, level, shift, scale):
    x = np.array(xs)
    var, es = value_at_risk(x, level), expected_shortfall(x, level)
    assert es >= var - 1e-9 * (1 + abs(var))
    assert es <= -x.min() + 1e-9 * (1 + abs(x.min()))
    # translation: adding cash lowers the risk by that amount; positive homogeneity
    assert value_at_risk(x + shift, level) == pytest.approx(var - shift, abs=1e-9 * (1 + abs(shift) + abs(var)))
    assert expected_shortfall(x + shift, level) == pytest.approx(es - shift, abs=1e-8 * (1 + abs(shift) + abs(es)))
    assert expected_shortfall(scale * x, level) == pytest.approx(scale * es, rel=1e-9, abs=1e-9)
    ent = entropic_risk(x, 0.01)
    assert -x.mean() - 1e-9 <= ent + 1e-9 * (1 + abs(ent)) and ent <= -x.min() + 1e-9 * (1 + abs(x.min()))


def test_entropic_values_and_limits():
    assert entropic_risk([-1.0, 1.0], 1.0) == pytest.approx(np.log(np.cosh(1.0)), rel=1e-14)
    x = np.random.default_rng(0).normal(0.3, 2.0, 1000)
    assert entropic_risk(x, 1e-8) == pytest.approx(-x.mean(), abs=1e-6)
    assert entropic_risk(x, 1e4) == pytest.approx(-x.min(), abs=1e-3)  # stable: no overflow
    assert entropic_risk(x, 1e4) <= -x.min()
    # normal sample: rho_a ~ -mu + a sigma^2 / 2
    assert entropic_risk(x, 0.1) == pytest.approx(-x.mean() + 0.1 * x.var() / 2, abs=5e-3)


def test_summary():
    s = risk_summary(X, levels=(0.6, 0.975))
    assert s["mean"] == pytest.approx(-0.2) and s["std"] == pytest.approx(np.std(X, ddof=1))
    assert s["var_60"] == 1.0 and s["es_60"] == 3.0 and "var_97.5" in s


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: value_at_risk([], 0.9), "pnl"),
        (lambda: value_at_risk([1.0, np.nan], 0.9), "pnl"),
        (lambda: expected_shortfall([1.0, np.inf], 0.9), "pnl"),
        (lambda: value_at_risk([1.0], 1.0), "level"),
        (lambda: expected_shortfall([1.0], 0.0), "level"),
        (lambda: entropic_risk([1.0], 0.0), "risk_aversion"),
        (lambda: value_at_risk(np.ones((2, 2)), 0.9), "pnl"),
    ],
)
def test_validation(call, name):
    with pytest.raises(HedgeLibError, match=name):
        call()
