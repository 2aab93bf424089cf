"""Bundled real data and the PriceHistory shape every loader returns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hedgelib.market.history as H
from hedgelib.conventions import HedgeLibError
from hedgelib.market.history import (
    BUNDLED,
    PriceHistory,
    implied_volatility_series,
    list_bundled,
    load_bundled,
)

DATA = Path(__file__).resolve().parents[1] / "data"


# ---------------------------------------------------------------------------------------
# Bundled data
# ---------------------------------------------------------------------------------------

# (first date, last date, rows with a value) of each arch.data file, counted from the files.
BUNDLED_RANGES = {
    "sp500": ("1999-01-04", "2018-12-31", 5031),
    "nasdaq": ("1999-01-04", "2018-12-31", 5031),
    "vix": ("2014-01-03", "2019-01-03", 1305 - 46),
    "wti": ("1986-01-02", "2019-01-03", 8611 - 290),
}


@pytest.mark.parametrize("key", sorted(BUNDLED))
def test_every_bundled_series_loads_offline_with_its_range(key):
    first, last, rows = BUNDLED_RANGES[key]
    h = load_bundled(key)
    assert isinstance(h, PriceHistory)
    assert h.first_date == pd.Timestamp(first) and h.last_date == pd.Timestamp(last)
    assert len(h) == rows
    assert h.prices.dtype == np.float64
    assert h.prices.index.tz is None and h.prices.index.is_monotonic_increasing
    assert h.prices.index.is_unique and (h.prices.index == h.prices.index.normalize()).all()
    assert np.isfinite(h.prices).all() and (h.prices > 0).all()
    assert h.source == f"bundled (arch.data.{key})"
    assert h.as_of == pd.Timestamp(last)
    assert h.description


@pytest.mark.parametrize("via_arch", [False, True], ids=["direct-read", "arch-loader"])
def test_bundled_series_equal_archs_own_loader(via_arch, monkeypatch):
    # The direct read of the packaged csv.gz (fast: no `import arch`) and the fallback
    # through arch.data.<name>.load() give exactly arch's data.
    import importlib
    import importlib.util

    if via_arch:
        monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    H._bundled_raw.cache_clear()
    try:
        for key, spec in BUNDLED.items():
            frame = importlib.import_module(spec.module).load()
            expected = frame[spec.column].dropna()
            got = load_bundled(key).prices
            np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
            assert (got.index == expected.index).all()
    finally:
        H._bundled_raw.cache_clear()


def test_bundled_reference_closes():
    # Closes published by S&P, Nasdaq, CBOE and FRED for these dates.
    assert load_bundled("sp500").prices.loc["2018-12-31"] == pytest.approx(2506.85, abs=0.005)
    assert load_bundled("sp500").prices.loc["2008-10-13"] == pytest.approx(1003.35, abs=0.005)
    assert load_bundled("nasdaq").prices.loc["2018-12-31"] == pytest.approx(6635.28, abs=0.005)
    assert load_bundled("vix").prices.loc["2018-02-05"] == pytest.approx(37.32)
    assert load_bundled("wti").prices.loc["2008-07-03"] == pytest.approx(145.31)
    # 13 Oct 2008: the S&P 500's best day of the period, +11.58%.
    r = load_bundled("sp500").log_returns()
    assert r.abs().idxmax() == pd.Timestamp("2008-10-13")
    assert np.expm1(r.loc["2008-10-13"]) == pytest.approx(0.1158, abs=5e-5)


def test_bundled_holidays_dropped_with_a_note():
    assert load_bundled("sp500").warnings == ()
    assert load_bundled("vix").warnings == (
        "46 dates listed without a value (holidays) were dropped",
    )
    assert "290 dates" in load_bundled("wti").warnings[0]
    # 2014-01-20 (Martin Luther King Day) is listed in the VIX file without a value.
    assert pd.Timestamp("2014-01-20") not in load_bundled("vix").dates


def test_list_bundled():
    table = list_bundled()
    assert table["key"].tolist() == ["sp500", "nasdaq", "vix", "wti"]
    assert {"key", "name", "description", "first_date", "last_date", "rows"} <= set(table.columns)
    for _, row in table.iterrows():
        first, last, rows = BUNDLED_RANGES[row["key"]]
        assert (row["first_date"], row["last_date"], row["rows"]) == (
            pd.Timestamp(first),
            pd.Timestamp(last),
            rows,
        )


def test_load_bundled_range_is_inclusive_and_checked():
    h = load_bundled("SP500", start="2018-12-24", end="2018-12-31")
    assert h.dates.strftime("%m-%d").tolist() == ["12-24", "12-26", "12-27", "12-28", "12-31"]
    assert h.name == "S&P 500" and h.source == "bundled (arch.data.sp500)"
    with pytest.raises(HedgeLibError, match=r"key must be one of .*'sp500'.*got 'spx'"):
        load_bundled("spx")
    with pytest.raises(HedgeLibError, match="start must not be after end"):
        load_bundled("sp500", start="2018-02-01", end="2018-01-01")
    with pytest.raises(HedgeLibError, match=r"only 0 close\(s\).*cover 1999-01-04 to 2018-12-31"):
        load_bundled("sp500", start="2020-01-01")
    with pytest.raises(HedgeLibError, match="start must be a date"):
        load_bundled("sp500", start="not a date")
    with pytest.raises(HedgeLibError, match="end must be a date .* got 2018"):
        load_bundled("sp500", end=2018)


def test_implied_volatility_series_aligns_vix_in_decimals():
    spx = load_bundled("sp500", start="2018-01-01", end="2018-12-31")
    iv = implied_volatility_series(spx)
    assert iv.index.equals(spx.dates)
    vix = load_bundled("vix").prices
    np.testing.assert_allclose(
        iv.to_numpy(), vix.reindex(spx.dates).to_numpy() / 100, rtol=0, atol=0
    )
    assert iv.loc["2018-02-05"] == pytest.approx(0.3732)
    # A Saturday takes Friday's close; with no staleness allowed it has none.
    sat = implied_volatility_series(pd.DatetimeIndex(["2018-02-09", "2018-02-10"]))
    assert sat.iloc[1] == sat.iloc[0] == pytest.approx(vix.loc["2018-02-09"] / 100)
    with pytest.raises(HedgeLibError, match="no VIX close on or within 0 days before 2018-02-10"):
        implied_volatility_series(["2018-02-09", "2018-02-10"], max_stale_days=0)
    with pytest.raises(HedgeLibError, match=r"before 2013-12-31.*covers 2014-01-03 to 2019-01-03"):
        implied_volatility_series(load_bundled("sp500", start="2013-12-31", end="2014-01-10"))
    whole = implied_volatility_series()
    assert len(whole) == len(vix) and whole.max() == pytest.approx(vix.max() / 100)


# ---------------------------------------------------------------------------------------
# PriceHistory
# ---------------------------------------------------------------------------------------


def _history(values, dates=None, **kw):
    idx = (
        pd.DatetimeIndex(dates)
        if dates is not None
        else pd.bdate_range("2024-01-01", periods=len(values))
    )
    args = {"name": "t", "source": "test", "as_of": idx[-1]} | kw
    return PriceHistory(pd.Series(values, index=idx), **args)


@pytest.mark.parametrize(
    ("values", "dates", "match"),
    [
        (
            [1.0, 2.0, 3.0],
            ["2024-01-03", "2024-01-02", "2024-01-04"],
            "sorted oldest first, got 2024-01-02 after 2024-01-03",
        ),
        (
            [1.0, 2.0, 3.0],
            ["2024-01-02", "2024-01-02", "2024-01-04"],
            "unique, got 2024-01-02 twice",
        ),
        (
            [1.0, 0.0, 3.0],
            ["2024-01-02", "2024-01-03", "2024-01-04"],
            "positive and finite, got 0.0 on 2024-01-03",
        ),
        (
            [1.0, np.nan, 3.0],
            ["2024-01-02", "2024-01-03", "2024-01-04"],
            "positive and finite, got nan on 2024-01-03",
        ),
        ([1.0, 2.0], ["2024-01-02 10:00", "2024-01-03"], "dates \\(midnight\\)"),
        ([1.0], ["2024-01-02"], "at least 2 rows"),
    ],
)
def test_price_history_rejects_bad_series(values, dates, match):
    with pytest.raises(HedgeLibError, match=match):
        _history(values, dates)


def test_price_history_rejects_tz_aware_and_non_dates():
    idx = pd.date_range("2024-01-02", periods=3, tz="UTC")
    with pytest.raises(HedgeLibError, match="tz-naive"):
        PriceHistory(pd.Series([1.0, 2.0, 3.0], index=idx), name="t", source="s", as_of=idx[-1])
    with pytest.raises(HedgeLibError, match="DatetimeIndex"):
        PriceHistory(pd.Series([1.0, 2.0]), name="t", source="s", as_of="2024-01-01")
    with pytest.raises(HedgeLibError, match="name must not be empty"):
        _history([1.0, 2.0], name=" ")


def test_price_history_is_frozen_and_copies_its_input():
    s = pd.Series([1.0, 2.0, 4.0], index=pd.bdate_range("2024-01-01", periods=3))
    h = PriceHistory(s, name="t", source="s", as_of="2024-01-03")
    s.iloc[0] = 99.0
    assert h.prices.iloc[0] == 1.0
    with pytest.raises(AttributeError):
        h.name = "other"  # type: ignore[misc]
    assert h.prices.index.name == "date" and h.prices.name == "t"
    assert "rows=3" in repr(h)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(min_value=1e-3, max_value=1e6, allow_nan=False), min_size=2, max_size=60),
    st.integers(min_value=0, max_value=59),
)
def test_log_returns_between_and_paths_agree(values, cut):
    h = _history(values)
    r = h.log_returns()
    assert len(r) == len(h) - 1 and r.index.equals(h.dates[1:])
    assert r.sum() == pytest.approx(np.log(values[-1] / values[0]), abs=1e-9)
    k = min(cut, len(values) - 2)
    part = h.between(h.dates[k], None)
    assert part.first_date == h.dates[k] and part.last_date == h.last_date
    assert part.prices.equals(h.prices.iloc[k:])
    paths = h.to_paths()
    assert paths.spot.shape == (len(values), 1)
    np.testing.assert_array_equal(paths.spot[:, 0], np.asarray(values))
    np.testing.assert_allclose(paths.times, np.arange(len(values)) / 252, rtol=0, atol=0)


