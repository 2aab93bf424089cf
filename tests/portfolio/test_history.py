"""Portfolio insurance on real history: one path, and the yearly programme (bundled S&P 500)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgelib.conventions import HedgeLibError
from hedgelib.market.history import load_bundled
from hedgelib.portfolio import (
    CPPI,
    BuyAndHold,
    ProtectivePut,
    SyntheticPut,
    compare_backtest,
    insurance_backtest,
    insurance_programme,
)

SPX = load_bundled("sp500")
STRATEGIES = {"cppi": CPPI(4.0, 0.9), "tipp": CPPI(4.0, 0.9, ratchet=0.9),
              "synthetic": SyntheticPut(0.9, 0.25), "put": ProtectivePut(0.9, 0.25),
              "hold": BuyAndHold(0.9)}


def test_backtest_is_one_path_of_real_closes():
    res = insurance_backtest(CPPI(3.0, 0.9), SPX, start="2008-01-01", horizon=1.0, capital=100.0)
    closes = SPX.prices.loc["2008-01-02":].iloc[:253]
    assert res.n_paths == 1 and res.n_steps == 252
    assert res.dates.equals(pd.DatetimeIndex(closes.index, name="date"))
    assert res.spot_start[0] == closes.iloc[0] and res.spot_end[0] == closes.iloc[-1]
    # 2008: the index lost about 40%, CPPI held its floor.
    assert res.benchmark[0] < 65.0 and res.terminal_value[0] > 90.0
    assert not res.floor_breached[0]


def test_2008_replayed_with_each_strategy():
    res = compare_backtest(STRATEGIES, SPX, start="2008-01-02", horizon=1.0, capital=100.0)
    v = {k: float(r.terminal_value[0]) for k, r in res.items()}
    assert v["hold"] < 65.0 < 89.0 < min(v["cppi"], v["tipp"], v["put"])
    # The synthetic put replicates at 25% a year in which the index realised about 41%: it
    # misses its floor (the gamma loss), while the bought put delivers it.
    assert v["put"] >= 90.0 - 1e-9 and v["synthetic"] < 90.0


def test_programme_renews_each_year_and_matches_single_backtests():
    prog = insurance_programme(STRATEGIES, SPX, start="2000-01-01", end="2009-12-31")
    r = prog.returns()
    assert list(r.index) == list(range(2000, 2010)) and list(r.columns) == list(STRATEGIES)
    assert prog.labels["cppi"] == "CPPI (m = 4)"
    # The crashes: buy-and-hold lost in 2000, 2001, 2002 and 2008; CPPI and the bought put
    # kept each of those years above the floor's -10%.
    for year in (2000, 2001, 2002, 2008):
        assert r.loc[year, "hold"] < 0.0
        assert r.loc[year, "put"] >= -0.1 - 1e-9 and r.loc[year, "cppi"] > -0.11
    # Each year equals a single backtest from its first close for its own length (the
    # programme runs years of equal length as paths of one grid).
    row = prog.table[(prog.table["year"] == 2002) & (prog.table["strategy"] == "synthetic")].iloc[0]
    one = insurance_backtest(STRATEGIES["synthetic"], SPX, start=row["entry_date"],
                             horizon=row["days"] / 252, capital=100.0)
    assert one.dates[-1] == row["exit_date"]
    assert row["return"] == pytest.approx(float(one.terminal_value[0]) / 100.0 - 1.0, rel=1e-12)
    s = prog.summary()
    assert s.loc["hold", "worst_return"] < -0.35 and s.loc["put", "years_breached"] == 0
    assert set(prog.table.columns) >= {"entry_date", "exit_date", "benchmark_return", "index_return",
                                       "floor_return", "breached", "max_drawdown", "costs"}


def test_programme_last_year_ends_at_the_data():
    prog = insurance_programme({"hold": BuyAndHold()}, SPX, start="2017-06-01")
    assert list(prog.returns().index) == [2018]
    assert prog.table["exit_date"].iloc[-1] == SPX.last_date
    assert any("ends at the last close" in w for w in prog.warnings)


def test_history_bad_input_names_the_argument():
    with pytest.raises(HedgeLibError, match="runs past the last close"):
        insurance_backtest(CPPI(3.0, 0.9), SPX, start="2018-06-01", horizon=1.0, capital=100.0)
    with pytest.raises(HedgeLibError, match="start"):
        insurance_backtest(CPPI(3.0, 0.9), SPX, start="2030-01-01", horizon=0.5, capital=100.0)
    with pytest.raises(HedgeLibError, match="start"):
        insurance_backtest(CPPI(3.0, 0.9), SPX, start="not a date", horizon=0.5, capital=100.0)
    with pytest.raises(HedgeLibError, match="horizon"):
        insurance_backtest(CPPI(3.0, 0.9), SPX, start="2008-01-01", horizon=0.0, capital=100.0)
    with pytest.raises(HedgeLibError, match="capital"):
        insurance_backtest(CPPI(3.0, 0.9), SPX, start="2008-01-01", horizon=0.5, capital=0.0)
    with pytest.raises(HedgeLibError, match="history"):
        insurance_backtest(CPPI(3.0, 0.9), np.ones(10), start="2008-01-01", horizon=0.5, capital=1.0)
    with pytest.raises(HedgeLibError, match="overlap"):
        insurance_programme(CPPI(3.0, 0.9), SPX, start="2030-01-01")
    with pytest.raises(HedgeLibError, match="start must not be after end"):
        insurance_programme(CPPI(3.0, 0.9), SPX, start="2010-01-01", end="2009-01-01")
