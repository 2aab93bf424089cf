"""Calibration: realised volatility, GBM moments, GARCH(1,1) on the bundled S&P 500."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from arch.data import sp500

from hedgelib.conventions import HedgeLibError
from hedgelib.market.calibrate import GarchFit, estimate_gbm, fit_garch, realised_volatility
from hedgelib.market.models import GARCH, GBM


@pytest.fixture(scope="module")
def spx() -> pd.Series:
    """S&P 500 adjusted closes 1999-2018, shipped inside ``arch`` (offline)."""
    return sp500.load()["Adj Close"]


@pytest.fixture(scope="module")
def fit_2008(spx) -> GarchFit:
    return fit_garch(spx, start="2008-01-01", as_of="2008-12-31")


# --------------------------------------------------------------------------- realised vol


def test_realised_volatility_reference_value():
    prices = [100.0, 101.0, 99.0, 100.5, 100.0, 102.0]
    # Reference: stdlib sample standard deviation of the log returns, times sqrt(252).
    logs = [math.log(b / a) for a, b in zip(prices[:-1], prices[1:], strict=True)]
    expected = statistics.stdev(logs) * math.sqrt(252)
    assert realised_volatility(prices) == pytest.approx(expected, rel=1e-12)
    assert realised_volatility(prices, periods_per_year=52) == pytest.approx(
        statistics.stdev(logs) * math.sqrt(52), rel=1e-12
    )


def test_rolling_realised_volatility_is_aligned_with_dates():
    dates = pd.bdate_range("2021-01-04", periods=30)
    prices = pd.Series(
        100.0 * np.exp(np.cumsum(np.r_[0.0, np.random.default_rng(1).normal(0, 0.01, 29)])),
        index=dates,
    )
    roll = realised_volatility(prices, window=10)
    assert isinstance(roll, pd.Series)
    assert len(roll) == 29 - 10 + 1 and not roll.isna().any()
    # The first value covers the first 10 returns, i.e. the first 11 prices, and is dated
    # at the 11th price.
    assert roll.index[0] == dates[10]
    assert roll.iloc[0] == pytest.approx(realised_volatility(prices.iloc[:11]), rel=1e-12)
    assert roll.iloc[-1] == pytest.approx(realised_volatility(prices.iloc[-11:]), rel=1e-12)


def test_realised_volatility_of_simulated_gbm_within_3se():
    sigma, n = 0.3, 5000
    path = GBM(0.05, sigma).simulate(100.0, n / 252, n, 1, rng=11).spot[:, 0]
    est = realised_volatility(path)
    # SE of the sample standard deviation of normals: sigma / sqrt(2 (n - 1)).
    assert abs(est - sigma) < 3.0 * sigma / math.sqrt(2 * (n - 1))


@pytest.mark.parametrize(
    ("prices", "kwargs", "needle"),
    [
        ([100.0, np.nan, 101.0], {}, "prices must not be NaN"),
        ([100.0, -1.0, 101.0], {}, "prices must be positive and finite, got -1.0 at 1"),
        ([100.0], {}, "prices must hold at least 3 prices"),
        ([100.0, 101.0, 102.0], {"window": 1}, "window"),
        ([100.0, 101.0, 102.0], {"window": 5}, "window must be at most the 2 returns of the prices"),
        ([100.0, 101.0, 102.0], {"periods_per_year": 0}, "periods_per_year"),
        (pd.Series([1.0, 2.0, 3.0], index=[2, 1, 3]), {}, "increasing time order"),
        (pd.Series([1.0, 2.0, 3.0], index=[1, 1, 3]), {}, "index must be unique"),
        (
            pd.Series([1.0, None, 3.0], index=pd.bdate_range("2020-01-01", periods=3)),
            {},
            "missing values, got NaN at Timestamp('2020-01-02",
        ),
        (pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.0]}), {}, "one-column DataFrame"),
        ("prices", {}, "prices must be a number"),
    ],
)
def test_calibration_input_validation_names_the_problem(prices, kwargs, needle):
    with pytest.raises(HedgeLibError) as err:
        realised_volatility(prices, **kwargs)
    assert needle in str(err.value)


# --------------------------------------------------------------------------- GBM


def test_estimate_gbm_on_deterministic_growth_is_exact():
    # Limit: constant log returns give zero volatility and drift = the growth rate.
    prices = 100.0 * np.exp(0.07 * np.arange(500) / 252)
    m = estimate_gbm(prices, dividend_yield=0.02)
    assert isinstance(m, GBM)
    assert m.volatility == 0.0
    assert m.drift == pytest.approx(0.07 + 0.02, rel=1e-10)
    assert m.dividend_yield == 0.02


def test_estimate_gbm_recovers_simulated_parameters_within_3se():
    mu, sigma, years = 0.12, 0.25, 40
    n = 252 * years
    path = GBM(mu, sigma).simulate(100.0, float(years), n, 1, rng=2).spot[:, 0]
    m = estimate_gbm(pd.Series(path, index=pd.bdate_range("1980-01-01", periods=n + 1)))
    assert abs(m.volatility - sigma) < 3.0 * sigma / math.sqrt(2 * (n - 1))
    # The drift is the mean log return plus sigma^2/2; its SE is sigma / sqrt(T).
    assert abs(m.drift - mu) < 3.0 * sigma / math.sqrt(years)
    # And that drift reproduces the data's average growth in expectation by construction.
    growth = math.log(path[-1] / path[0]) / years
    assert m.drift - 0.5 * m.volatility**2 == pytest.approx(growth, rel=1e-9)


# --------------------------------------------------------------------------- GARCH


def test_fit_garch_2008_parameters_are_sensible(fit_2008):
    f = fit_2008
    assert f.n_observations == 252  # trading days of 2008 after the first close
    assert f.as_of == pd.Timestamp("2008-12-31")
    assert 0.02 < f.alpha < 0.3
    assert 0.6 < f.beta < 0.999
    assert f.is_stationary and f.persistence < 1.0
    assert f.omega > 0.0
    # 2008: a bear market; the fitted daily mean is negative.
    assert f.mean_return < 0.0
    cv = f.conditional_volatility
    assert cv.index[0] == pd.Timestamp("2008-01-03") and cv.index[-1] == pd.Timestamp("2008-12-31")
    # Calm start (about 20-30% a year), a crisis peak of more than 70% in Oct-Nov 2008.
    assert 0.1 < cv.loc["2008-01"].mean() < 0.4
    assert cv.max() > 0.7
    assert cv.idxmax().month in (10, 11, 12)
    # Forecasts from the end of 2008 start high and decay towards the long-run level.
    ts = f.forecast_volatility(252, term_structure=True)
    assert ts[0] > 0.3
    assert ts.shape == (252,)
    assert abs(ts[-1] - f.long_run_volatility) < abs(ts[0] - f.long_run_volatility)


def test_fit_garch_matches_arch_directly(spx, fit_2008):
    # Oracle: arch on percent returns of the same window; our numbers are its, rescaled.
    close = spx.loc["2008"]
    r = 100.0 * np.log(close / close.shift(1)).dropna()
    res = arch_model(r, mean="Constant", vol="GARCH", p=1, q=1, rescale=False).fit(disp="off")
    assert fit_2008.omega == pytest.approx(res.params["omega"] / 1e4, rel=1e-6)
    assert fit_2008.alpha == pytest.approx(res.params["alpha[1]"], rel=1e-6)
    assert fit_2008.beta == pytest.approx(res.params["beta[1]"], rel=1e-6)
    assert fit_2008.mean_return == pytest.approx(res.params["mu"] / 100, rel=1e-6)
    fc = res.forecast(horizon=20, reindex=False).variance.iloc[-1].to_numpy() / 1e4
    np.testing.assert_allclose(fit_2008.variance_forecast(20), fc, rtol=1e-8)
    assert fit_2008.forecast_volatility(20) == pytest.approx(math.sqrt(252 * fc.mean()), rel=1e-8)
    np.testing.assert_allclose(
        fit_2008.conditional_volatility.to_numpy(),
        res.conditional_volatility.to_numpy() / 100 * math.sqrt(252),
        rtol=1e-10,
    )


def test_garch_forecast_uses_only_data_up_to_as_of(spx):
    as_of = "2008-09-30"
    full = fit_garch(spx, start="2007-01-01", as_of=as_of)
    truncated = fit_garch(spx.loc[:as_of], start="2007-01-01")
    # Rewrite history after as_of (a crash and noise): nothing about the fit may change.
    rewritten = spx.copy()
    later = rewritten.index > pd.Timestamp(as_of)
    rewritten[later] = rewritten[later] * np.exp(
        np.random.default_rng(0).normal(-0.2, 0.05, later.sum())
    )
    altered = fit_garch(rewritten, start="2007-01-01", as_of=as_of)
    for other in (truncated, altered):
        assert other.as_of == full.as_of == pd.Timestamp(as_of)
        assert (other.omega, other.alpha, other.beta) == (full.omega, full.alpha, full.beta)
        np.testing.assert_array_equal(
            other.forecast_volatility(21, term_structure=True),
            full.forecast_volatility(21, term_structure=True),
        )
    # The argument is not ignored: a later as_of sees the Lehman weeks and forecasts higher.
    later_fit = fit_garch(spx, start="2007-01-01", as_of="2008-10-31")
    assert later_fit.forecast_volatility(21) > full.forecast_volatility(21) + 0.1


def test_garch_forecast_limits(fit_2008):
    f = fit_2008
    # One day ahead is the next-day variance; far ahead it is the long-run level.
    assert f.forecast_volatility(1) == pytest.approx(math.sqrt(252 * f.next_variance))
    assert f.forecast_volatility(1, term_structure=True)[-1] == pytest.approx(
        math.sqrt(252 * f.next_variance)
    )
    assert f.forecast_volatility(20_000, term_structure=True)[-1] == pytest.approx(
        f.long_run_volatility, rel=1e-9
    )
    # The horizon average lies between the first and last daily forecasts.
    ts = f.forecast_volatility(63, term_structure=True)
    assert min(ts[0], ts[-1]) <= f.forecast_volatility(63) <= max(ts[0], ts[-1])
    with pytest.raises(HedgeLibError, match="horizon_days"):
        f.forecast_volatility(0)


def test_garch_fit_to_model_simulates_a_market_like_2008(fit_2008):
    m = fit_2008.to_model()
    assert isinstance(m, GARCH)
    assert (m.omega, m.alpha, m.beta) == (fit_2008.omega, fit_2008.alpha, fit_2008.beta)
    assert m.initial_variance == fit_2008.next_variance
    assert m.drift == pytest.approx(252 * (fit_2008.mean_return + 0.5 * fit_2008.long_run_variance))
    assert fit_2008.to_model(start="long_run").initial_variance is None
    priced = fit_2008.to_model(drift=0.03, dividend_yield=0.01)
    assert (priced.drift, priced.dividend_yield) == (0.03, 0.01)
    paths = m.simulate(900.0, 63 / 252, 63, 2000, rng=4)
    # First-day annualised vol is the fitted next-day forecast.
    np.testing.assert_allclose(paths.variance[0], 252 * fit_2008.next_variance)
    realised = np.sqrt(252 * (paths.log_returns() ** 2).mean())
    assert 0.3 < realised < 1.0
    with pytest.raises(HedgeLibError, match="start"):
        fit_2008.to_model(start="yesterday")


def test_fit_garch_validation(spx):
    with pytest.raises(HedgeLibError, match="at least 100 returns"):
        fit_garch(spx, start="2008-01-01", as_of="2008-03-01")
    with pytest.raises(HedgeLibError, match="mean"):
        fit_garch(spx, mean="ar1")
    with pytest.raises(HedgeLibError, match="prices must be positive"):
        fit_garch(-spx)


# --------------------------------------------------------------------------- robust fitting


def _windows(n_prices: int, length: int, count: int) -> list[int]:
    """``count`` window ends spread evenly over a series (deterministic sample)."""
    return [int(x) for x in np.linspace(length, n_prices - 1, count)]


@pytest.mark.parametrize("key", ["sp500", "nasdaq", "wti"])
@pytest.mark.parametrize("length", [500, 1000])
def test_fit_garch_fits_every_sampled_window_of_the_bundled_series(key, length):
    # 35 windows per series and length, 210 in all, spread over 1999-2018 (WTI 1986-2019):
    # calm years, 2000-02, 2008, oil's 2014-16 slump. Every one must give a usable model,
    # whatever the optimizer does from its first start on this machine.
    from hedgelib.market.history import load_bundled

    prices = load_bundled(key).prices
    for end in _windows(len(prices), length, 35):
        fit = fit_garch(prices.iloc[end - length : end + 1])
        assert fit.n_observations == length
        assert fit.omega > 0 and fit.alpha >= 0 and fit.beta >= 0, (key, end, fit)
        # On the stationarity bound (WTI around the 1990 Gulf war) the fit says so.
        assert fit.persistence < 1.0 or "stationarity bound" in fit.warning, (key, end, fit)
        assert fit.persistence < 1.0 + 1e-9, (key, end, fit)
        assert math.isfinite(fit.log_likelihood) and math.isfinite(fit.next_variance)


class _Flagged:
    """An ``arch`` result seen through a different optimizer flag."""

    def __init__(self, result, flag):
        self._result = result
        self.convergence_flag = flag

    def __getattr__(self, name):
        return getattr(self._result, name)


def _scripted_optimiser(monkeypatch, flags):
    """Make the n-th optimizer run report ``flags[n]`` (the real run's flag once they run
    out); record the starting values of every run."""
    import hedgelib.market.calibrate as calibrate

    real = calibrate._optimise
    starts = []

    def fake(model, starting_values):
        res = real(model, starting_values)
        starts.append(None if starting_values is None else np.array(starting_values))
        n = len(starts) - 1
        return _Flagged(res, flags[n]) if n < len(flags) else res

    monkeypatch.setattr(calibrate, "_optimise", fake)
    return starts


def test_fit_garch_retries_from_the_previous_fit_after_a_failure(spx, monkeypatch):
    window = spx.loc["2010-01-01":"2012-12-31"]
    previous = fit_garch(spx.loc["2009-06-01":"2012-06-30"])
    clean = fit_garch(window)
    starts = _scripted_optimiser(monkeypatch, [8])  # the first run fails, like flag 8 did
    fit = fit_garch(window, previous=previous)
    assert fit.warning == ""
    assert starts[0] is None and len(starts) == 2
    # the retry starts from the previous fit, in arch's percent units
    np.testing.assert_allclose(
        starts[1], [100 * previous.mean_return, 1e4 * previous.omega, previous.alpha, previous.beta]
    )
    # and lands on the same maximum as the clean fit
    assert fit.log_likelihood == pytest.approx(clean.log_likelihood, abs=1e-4)
    assert fit.alpha + fit.beta == pytest.approx(clean.alpha + clean.beta, abs=1e-3)


def test_fit_garch_without_previous_retries_from_variance_targeting(spx, monkeypatch):
    window = spx.loc["2010-01-01":"2012-12-31"]
    starts = _scripted_optimiser(monkeypatch, [8])
    fit = fit_garch(window)
    assert fit.warning == "" and len(starts) == 2
    r = 100 * np.diff(np.log(window.to_numpy()))
    mu, var = r.mean(), np.var(r - r.mean())
    np.testing.assert_allclose(starts[1], [mu, var * (1 - 0.05 - 0.90), 0.05, 0.90])


def test_fit_garch_accepts_an_admissible_fit_without_convergence_with_a_warning(spx, monkeypatch):
    window = spx.loc["2010-01-01":"2012-12-31"]
    starts = _scripted_optimiser(monkeypatch, [9] * 20)  # no run ever reports convergence
    fit = fit_garch(window)
    assert len(starts) == 6  # arch's own start, then the five of the grid
    assert "flags [9]" in fit.warning and "highest likelihood" in fit.warning
    assert fit.persistence < 1 and fit.omega > 0


def test_fit_garch_raises_when_no_start_gives_admissible_parameters(spx, monkeypatch):
    import hedgelib.market.calibrate as calibrate

    _scripted_optimiser(monkeypatch, [4] * 20)
    monkeypatch.setattr(calibrate, "_admissible", lambda res: False)
    with pytest.raises(HedgeLibError, match=r"as_of=.*2012-12-31.*did not converge.*flags \[4\]"):
        fit_garch(spx.loc["2010-01-01":"2012-12-31"])
    with pytest.raises(HedgeLibError, match="previous must be a GarchFit"):
        fit_garch(spx.loc["2010-01-01":"2012-12-31"], previous=(0.1, 0.8))
