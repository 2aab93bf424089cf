"""Every public function and class of hedgelib, fed hostile values one argument at a time.

A valid call is declared for each public callable; Hypothesis then swaps one argument for a
hostile value (NaN, infinities, huge and tiny numbers, integers too big for a float, wrong
types, empty and ragged arrays, booleans, absurd sizes). The call must either succeed, with
finite numbers where the function promises them, or raise ``HedgeLibError`` whose message
names the argument it was given; never another exception, a silent NaN, or a hang.
"""

from __future__ import annotations

import inspect
import signal
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import hedgelib as hl
from hedgelib import theory

HUGE_INT = 10**400
HOSTILE: list[Any] = [
    float("nan"), float("inf"), float("-inf"), 0, 0.0, -1, -1.0, 1e308, -1e308, 1e-320, HUGE_INT,
    -HUGE_INT, 2**63, True, False, "abc", "", None, [], np.array([]), [[1.0, 2.0], [3.0]],
    {"a": 1}, np.array([1.0, np.nan]), np.full((2, 2), 0.5), 10**12, 10**9, 0.5, 3, 2e5,
]

SPX = hl.load_bundled("sp500", "2017-01-01", "2018-12-31")
NASDAQ = hl.load_bundled("nasdaq", "2017-01-01", "2018-12-31")
VIX = hl.implied_volatility_series(SPX)
CALL = hl.Book([hl.OptionLeg("call", 100.0, 0.1, -1.0)])
SPX_CALL = hl.Book([hl.OptionLeg("call", 2700.0, 10 / 252, -1.0)])
GBM = hl.GBM(0.05, 0.2)
PATHS = GBM.simulate(100.0, 0.1, 5, 4, rng=1)
PNL = np.random.default_rng(1).normal(0.0, 1.0, 200)
SETUP = hl.HedgeSetup(0.2)
SMALL = dict(spot=100.0, horizon=0.1, n_steps=4, n_paths=8, seed=1, block_size=4)

# name -> (callable, valid keyword arguments); every argument listed is fuzzed.
CALLS: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "bs_price": (hl.bs_price, dict(spot=100.0, strike=100.0, time_to_expiry=1.0, volatility=0.2,
                                  rate=0.03, dividend_yield=0.01, kind="call")),
    "bs_greeks": (hl.bs_greeks, dict(spot=100.0, strike=100.0, time_to_expiry=1.0, volatility=0.2,
                                    rate=0.03, dividend_yield=0.01, kind="put")),
    "bs_price_and_greeks": (hl.bs_price_and_greeks, dict(spot=100.0, strike=90.0, time_to_expiry=0.5,
                                                        volatility=0.3, rate=0.0, dividend_yield=0.0,
                                                        kind="call", order=1)),
    "implied_vol": (hl.implied_vol, dict(price=8.0, spot=100.0, strike=100.0, time_to_expiry=1.0,
                                        rate=0.03, dividend_yield=0.01, kind="call")),
    "no_arbitrage_bounds": (hl.no_arbitrage_bounds, dict(spot=100.0, strike=100.0, time_to_expiry=1.0,
                                                        rate=0.03, dividend_yield=0.0, kind="put")),
    "heston_price": (hl.heston_price, dict(spot=100.0, strike=100.0, time_to_expiry=1.0, v0=0.04,
                                          kappa=2.0, theta=0.04, xi=0.5, rho=-0.7, rate=0.03,
                                          dividend_yield=0.0, kind="call")),
    "merton_price": (hl.merton_price, dict(spot=100.0, strike=100.0, time_to_expiry=1.0,
                                          volatility=0.2, jump_intensity=0.5, jump_mean=-0.1,
                                          jump_std=0.15, rate=0.03, dividend_yield=0.0, kind="put")),
    "monte_carlo_price": (hl.monte_carlo_price, dict(model=GBM, spot=100.0, time_to_expiry=0.5,
                                                    n_paths=64, strike=100.0, rate=0.05, kind="call",
                                                    n_steps=2, rng=1, antithetic=True)),
    "GBM": (hl.GBM, dict(drift=0.05, volatility=0.2, dividend_yield=0.0)),
    "Heston": (hl.Heston, dict(drift=0.05, v0=0.04, kappa=2.0, theta=0.04, xi=0.5, rho=-0.7,
                               dividend_yield=0.0)),
    "MertonJump": (hl.MertonJump, dict(drift=0.05, volatility=0.2, jump_intensity=0.5,
                                       jump_mean=-0.1, jump_std=0.15, dividend_yield=0.0)),
    "GARCH": (hl.GARCH, dict(drift=0.05, omega=2e-6, alpha=0.08, beta=0.9, dividend_yield=0.0,
                             initial_variance=None, periods_per_year=252)),
    "simulate": (GBM.simulate, dict(spot=100.0, horizon=0.5, n_steps=3, n_paths=4, rng=1,
                                    antithetic=False)),
    "Paths": (hl.Paths, dict(times=np.array([0.0, 0.5]), spot=np.array([[100.0], [101.0]]))),
    "OptionLeg": (hl.OptionLeg, dict(kind="call", strike=100.0, expiry=0.5, quantity=-1.0)),
    "Book": (hl.Book, dict(legs=[hl.OptionLeg("put", 95.0, 0.5, 1.0)], stock=1.0)),
    "preset_book": (hl.preset_book, dict(name="calendar_spread", spot=100.0, expiry=0.25, width=0.1,
                                         quantity=1.0, far_expiry=0.5)),
    "Book.value": (CALL.value, dict(spot=100.0, volatility=0.2, time=0.0, rate=0.03,
                                    dividend_yield=0.0)),
    "expiry_statistics": (hl.expiry_statistics, dict(book=CALL, spot=100.0, volatility=0.2,
                                                     rate=0.03, dividend_yield=0.0)),
    "scenario_pnl": (hl.scenario_pnl, dict(book=CALL, spot=100.0, volatility=0.2, rate=0.0,
                                           dividend_yield=0.0, spot_grid=[90.0, 110.0],
                                           volatility_grid=[0.1, 0.3], time_grid=None)),
    "greeks_profile": (hl.greeks_profile, dict(book=CALL, spot_grid=[90.0, 110.0], volatility=0.2,
                                               time=0.0, rate=0.0, dividend_yield=0.0)),
    "HedgeOption": (hl.HedgeOption, dict(kind="call", moneyness=1.0, tenor=0.25, roll_before=0.01)),
    "TransactionCosts": (hl.TransactionCosts, dict(proportional=1e-3, per_trade=0.1, impact=0.1,
                                                   daily_volume=1e6, option_spread=0.01)),
    "EveryNSteps": (hl.EveryNSteps, dict(n=2)),
    "DeltaBand": (hl.DeltaBand, dict(half_width=0.1, to="edge")),
    "WhalleyWilmott": (hl.WhalleyWilmott, dict(risk_aversion=1.0)),
    "EveryNOrBand": (hl.EveryNOrBand, dict(n=2, half_width=0.1)),
    "HedgeSetup": (hl.HedgeSetup, dict(hedge_volatility=0.2, pricing_volatility=0.2, rate=0.03,
                                       dividend_yield=0.0, strategy="delta",
                                       rule=hl.EveryNSteps(1), costs=hl.TransactionCosts(),
                                       hedge_option=hl.HedgeOption())),
    "simulate_hedge": (hl.simulate_hedge, dict(book=CALL, paths=PATHS, hedge_volatility=0.2,
                                               rate=0.03, dividend_yield=0.01,
                                               rule=hl.EveryNSteps(1), costs=hl.TransactionCosts(),
                                               strategy="delta", hedge_option=None,
                                               pricing_volatility=0.2, record_paths=1)),
    "run_experiment": (hl.run_experiment, dict(model=GBM, book=CALL, **SMALL, hedge_volatility=0.2,
                                               rate=0.03, record_paths=1, chunk_size=None)),
    "compare": (hl.compare, dict(model=GBM, book=CALL, setups={"a": SETUP}, **SMALL)),
    "frequency_sweep": (hl.frequency_sweep, dict(model=GBM, book=CALL, setup=SETUP, spot=100.0,
                                                 horizon=0.1, n_paths=8, seed=1, n_steps=4,
                                                 rebalance_counts=(2, 4))),
    "cost_risk_frontier": (hl.cost_risk_frontier, dict(model=GBM, book=CALL, setup=SETUP, spot=100.0,
                                                       horizon=0.1, n_steps=4, n_paths=8, seed=1,
                                                       every=(1, 2), band_widths=(0.1,),
                                                       risk_aversions=(1.0,))),
    "predicted_hedge_error": (hl.predicted_hedge_error, dict(model=GBM, book=CALL, setup=SETUP,
                                                             spot=100.0, horizon=0.1, n_steps=4)),
    "value_at_risk": (hl.value_at_risk, dict(pnl=PNL, level=0.99)),
    "expected_shortfall": (hl.expected_shortfall, dict(pnl=PNL, level=0.95)),
    "entropic_risk": (hl.entropic_risk, dict(pnl=PNL, risk_aversion=1.0)),
    "risk_summary": (hl.risk_summary, dict(pnl=PNL, levels=(0.95, 0.99))),
    "static_hedge": (hl.static_hedge, dict(book=CALL, spot=100.0, volatility=0.2, rate=0.0,
                                           dividend_yield=0.0, time=0.0, strategy="delta-gamma",
                                           hedge_option=hl.HedgeOption())),
    "stress_grid": (hl.stress_grid, dict(book=CALL, spot=100.0, volatility=0.2, rate=0.0,
                                         dividend_yield=0.0, spot_shocks=[-0.1, 0.1],
                                         vol_shocks=[0.0, 0.05], time=0.0, strategy="delta")),
    "historical_var": (hl.historical_var, dict(book=CALL, history=SPX, horizon_days=1, level=0.99,
                                               volatility=0.2, spot=100.0, rate=0.0)),
    "estimate_gbm": (hl.estimate_gbm, dict(prices=SPX.prices, dividend_yield=0.0,
                                           periods_per_year=252)),
    "realised_volatility": (hl.realised_volatility, dict(prices=SPX.prices, window=21,
                                                         periods_per_year=252)),
    "load_bundled": (hl.load_bundled, dict(key="sp500", start="2018-01-01", end="2018-02-01")),
    "implied_volatility_series": (hl.implied_volatility_series, dict(dates=SPX.dates[:5],
                                                                     max_stale_days=5)),
    "ConstantVol": (hl.ConstantVol, dict(volatility=0.2)),
    "RealisedVol": (hl.RealisedVol, dict(window=21, periods_per_year=252)),
    "GarchVol": (hl.GarchVol, dict(refit_every=21, horizon_days=10, fit_window=500,
                                   min_observations=250, mean="constant", periods_per_year=252)),
    "replay": (hl.replay, dict(history=SPX, book=SPX_CALL, start="2018-06-01", end=None,
                               hedge_volatility=0.2, rate=0.01, dividend_yield=0.0,
                               rule=hl.EveryNSteps(1), costs=hl.TransactionCosts(),
                               strategy="delta", time_basis="trading", periods_per_year=252)),
    "rolling_programme": (hl.rolling_programme, dict(history=SPX, book="straddle", tenor=10 / 252,
                                                     start="2018-06-01", end="2018-06-30",
                                                     roll="weekly", hedge_volatility=0.2,
                                                     quantity=-1.0, width=0.1, rate=0.0)),
    "derman_kamal_std": (theory.derman_kamal_std, dict(vega=20.0, volatility=0.2, n_rebalances=21)),
    "leland_volatility": (theory.leland_volatility, dict(volatility=0.2, proportional=1e-3,
                                                         rebalance_interval=1 / 252)),
    "whalley_wilmott_half_width": (theory.whalley_wilmott_half_width,
                                   dict(spot=100.0, gamma=0.04, proportional=1e-3, risk_aversion=1.0,
                                        rate=0.0, time_to_expiry=0.5)),
    "gamma_pnl": (theory.gamma_pnl, dict(gamma=0.04, spot=100.0, realised_volatility=0.25,
                                         implied_volatility=0.2, dt=1 / 252)),
    # Portfolio insurance and futures hedges.
    "run_insurance": (hl.run_insurance, dict(strategy=hl.CPPI(3.0, 0.8), market=GBM, capital=100.0,
                                             spot=100.0, horizon=0.1, n_steps=4, n_paths=8, seed=1,
                                             rate=0.02, dividend_yield=0.0, rule=None, costs=None)),
    "compare_insurance": (hl.compare_insurance, dict(strategies={"hold": hl.BuyAndHold()},
                                                     market=GBM, capital=100.0, spot=100.0,
                                                     horizon=0.1, n_steps=4, n_paths=8, seed=1,
                                                     rate=0.0, dividend_yield=0.0)),
    "insurance_backtest": (hl.insurance_backtest, dict(strategy=hl.SyntheticPut(0.9, 0.2),
                                                       history=SPX, start="2017-03-01",
                                                       horizon=0.25, capital=100.0, rate=0.01,
                                                       dividend_yield=0.0)),
    "insurance_programme": (hl.insurance_programme, dict(strategies={"hold": hl.BuyAndHold()},
                                                         history=SPX, start="2017-01-01",
                                                         end="2018-12-31", capital=100.0, rate=0.0,
                                                         dividend_yield=0.0)),
    "futures_hedge": (hl.futures_hedge, dict(portfolio=NASDAQ, index=SPX, start="2017-06-01",
                                             end="2018-06-30", method="beta", window=40,
                                             rebalance_every=5, rate=0.01, dividend_yield=0.0)),
    "CPPI": (hl.CPPI, dict(multiplier=3.0, floor=0.8, max_exposure=1.0, ratchet=0.9)),
    "SyntheticPut": (hl.SyntheticPut, dict(floor=0.9, volatility=0.2, expiry=0.5)),
    "ProtectivePut": (hl.ProtectivePut, dict(floor=0.9, volatility=0.2, expiry=0.5)),
    "ExposureBand": (hl.ExposureBand, dict(half_width=0.05, to="edge")),
    "FuturesContract": (hl.FuturesContract, dict(multiplier=50.0, notional=1.0, roll_days=5,
                                                 months=(3, 6, 9, 12))),
    # Live monitoring: the offline feed.
    "ReplayFeed": (hl.ReplayFeed, dict(history=SPX, start="2018-01-02", end="2018-03-01",
                                       periods_per_year=252)),
    # Learned hedges (the parts that need no training).
    "DeepHedge": (hl.DeepHedge, dict(hidden=(8, 8), loss="cvar", risk_aversion=1.0, level=0.9,
                                     architecture="mlp")),
    "MinimumVarianceDelta.fit": (hl.MinimumVarianceDelta.fit,
                                 dict(spot=SPX, implied_vol=VIX, start="2017-01-01",
                                      end="2018-06-30", maturities=(1 / 12,), moneyness=(1.0,),
                                      kind="call", rate=0.0, dividend_yield=0.0)),
    "learned_setups": (hl.learned_setups, dict(hedge_volatility=0.2, rate=0.0, dividend_yield=0.0,
                                               ww_risk_aversion=1.0)),
    "compare_hedges": (hl.compare_hedges, dict(model=GBM, book=CALL, setups={"delta": SETUP},
                                               spot=100.0, horizon=0.1, n_steps=4, n_paths=8,
                                               seed=1, risk_aversion=1.0, level=0.95)),
}

# Callables whose result must be finite numbers (the pricers and the risk measures).
FINITE = {"bs_price", "bs_greeks", "bs_price_and_greeks", "heston_price", "merton_price",
          "no_arbitrage_bounds", "value_at_risk", "expected_shortfall", "entropic_risk"}
# Arguments whose hostile values are legitimately accepted by some (a seed may be any int, a
# kind may be upper-case, None means "default" for optional ones).
CASES = [(name, arg) for name, (_, kw) in CALLS.items() for arg in kw]


def _finite(value: Any) -> bool:
    if isinstance(value, hl.Greeks):
        return all(_finite(v) for v in value.as_dict().values() if v is not None)
    if isinstance(value, tuple):
        return all(_finite(v) for v in value)
    if isinstance(value, float | int | np.ndarray | np.floating):
        return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
    return True


class _Hang(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - only on a hang
    raise _Hang


def _call(fn: Callable[..., Any], kw: dict[str, Any]) -> Any:
    # A generous limit: every call here is tiny, so only a real hang comes near it.
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(30)
    try:
        return fn(**kw)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_every_public_callable_has_a_valid_call():
    for name, (fn, kw) in CALLS.items():
        out = _call(fn, dict(kw))
        if name in FINITE:
            assert _finite(out), name
    public = {n for n in hl.__all__ if callable(getattr(hl, n)) and inspect.isfunction(getattr(hl, n))}
    covered = {getattr(fn, "__name__", "") for fn, _ in CALLS.values()}
    missing = public - covered - {"list_bundled", "load_csv", "load_yahoo", "yahoo_cache_dir",
                                  "fit_garch", "as_strategy", "run_setups",
                                  # takes a trained DeepHedge only; tests/learned covers it
                                  "register_deep_hedge"}
    assert not missing, f"no valid call declared for {sorted(missing)}"


def _every_hostile_value(test: Callable[..., Any]) -> Callable[..., Any]:
    # Every listed hostile value runs on every argument, whatever Hypothesis draws besides.
    for value in HOSTILE:
        test = example(value=value)(test)
    return test


@pytest.mark.parametrize(("name", "arg"), CASES)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True, database=None)
@_every_hostile_value
@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                       st.integers(min_value=-1000, max_value=1000)))
def test_hostile_value_gives_a_clear_error_or_a_finite_answer(name, arg, value):
    fn, base = CALLS[name]
    kw = {**base, arg: value}
    try:
        out = _call(fn, kw)
    except hl.HedgeLibError as exc:
        label = arg.replace("_", " ")
        assert arg in str(exc) or label in str(exc), f"{name}({arg}={value!r}): {exc}"
        return
    except _Hang:
        pytest.fail(f"{name}({arg}={value!r}) hangs")
    except Exception as exc:  # the defect this test exists to find
        pytest.fail(f"{name}({arg}={value!r}) raised {type(exc).__name__}: {exc}")
    if name in FINITE:
        assert _finite(out), f"{name}({arg}={value!r}) returned {out!r}"
