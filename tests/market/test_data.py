"""Real price data: bundled series, the Yahoo Finance adapter, and the CSV validator.

Nothing here touches the network: Yahoo tests inject recorded frames (shaped exactly as
yfinance 1.7 returns them, checked against its own ``download`` code path with a fake
``Ticker``), and HEDGELIB_OFFLINE=1 (set by conftest) is lifted only where a test injects
its downloader.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelib.conventions import HedgeLibError
from hedgelib.market import data as D
from hedgelib.market.data import (
    BUNDLED,
    PriceHistory,
    implied_volatility_series,
    list_bundled,
    load_bundled,
    load_csv,
    load_yahoo,
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
    D._bundled_raw.cache_clear()
    try:
        for key, spec in BUNDLED.items():
            frame = importlib.import_module(spec.module).load()
            expected = frame[spec.column].dropna()
            got = load_bundled(key).prices
            np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
            assert (got.index == expected.index).all()
    finally:
        D._bundled_raw.cache_clear()


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


# ---------------------------------------------------------------------------------------
# Yahoo Finance: recorded frames in each shape yfinance 1.7 returns
# ---------------------------------------------------------------------------------------


def _bars() -> pd.DataFrame:
    """Real ^GSPC daily bars for December 2018 (tests/data/gspc_2018-12.csv)."""
    return pd.read_csv(DATA / "gspc_2018-12.csv", comment="#", index_col="Date", parse_dates=True)


def _history_frame(tz: str = "America/New_York") -> pd.DataFrame:
    """``Ticker.history(start, end)`` with its defaults (auto_adjust=True, actions=True).

    As in yfinance's scrapers/history.py: midnight exchange-time index named 'Date';
    columns Open High Low Close Volume, then Dividends and Stock Splits.
    """
    df = _bars()[["Open", "High", "Low", "Close", "Volume"]].copy()
    df.index = pd.to_datetime(df.index.date).tz_localize(tz)
    df.index.name = "Date"
    df["Dividends"] = 0.0
    df["Stock Splits"] = 0.0
    return df


def _download_frame(
    ticker: str = "^GSPC", *, multi_level_index: bool = True, group_by: str = "column"
) -> pd.DataFrame:
    """``yf.download(ticker, start, end, auto_adjust=True, progress=False, ...)``.

    As in yfinance's multi.py for daily data: tz-naive 'Date' index (ignore_tz), columns
    sorted by field, level names ['Price', 'Ticker'] (['Ticker', 'Price'] with
    group_by='ticker'); multi_level_index=False drops the ticker level.
    """
    df = _history_frame().drop(columns=["Dividends", "Stock Splits"])
    df.index = df.index.tz_localize(None)
    if group_by == "ticker":
        # No swap and no sort: the fields keep Ticker.history's order.
        cols = pd.MultiIndex.from_tuples(
            [(ticker, c) for c in df.columns], names=["Ticker", "Price"]
        )
    else:
        df = df[sorted(df.columns)]
        if not multi_level_index:
            df.columns.name = None
            return df
        cols = pd.MultiIndex.from_tuples(
            [(c, ticker) for c in df.columns], names=["Price", "Ticker"]
        )
    return pd.DataFrame(df.to_numpy(), index=df.index, columns=cols).astype(
        {c: ("int64" if "Volume" in c else "float64") for c in cols}
    )


def _download_failure_frame(ticker: str = "^GSPC", multi_level_index: bool = False) -> pd.DataFrame:
    """What yf.download returns when its one ticker failed: utils.empty_df() columns, no rows."""
    cols = ["Adj Close", "Close", "High", "Low", "Open", "Volume"]
    idx = pd.DatetimeIndex([], dtype="datetime64[s]", name=None)
    if multi_level_index:
        mi = pd.MultiIndex.from_tuples([(c, ticker) for c in cols], names=["Price", "Ticker"])
        return pd.DataFrame(index=idx, columns=mi, dtype=float)
    return pd.DataFrame(index=idx, columns=cols, dtype=float)


def _history_failure_frame() -> pd.DataFrame:
    """What Ticker.history returns on failure when exceptions are hidden: utils.empty_df()."""
    import yfinance.utils

    return yfinance.utils.empty_df()


class Recorder:
    """An injectable downloader that records its calls and replays a frame or an error."""

    def __init__(self, result):
        self.result = result
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, ticker, start, end):
        self.calls.append((ticker, start, end))
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


@pytest.fixture
def online(monkeypatch):
    """Lift HEDGELIB_OFFLINE for a test that injects its downloader.

    The real yfinance downloader is replaced so a test that forgets to inject one fails
    instead of reaching the network.
    """
    monkeypatch.delenv("HEDGELIB_OFFLINE", raising=False)

    def forbidden(*args, **kwargs):
        raise AssertionError("the real Yahoo downloader must not run in tests")

    monkeypatch.setattr(D, "_yfinance_download", forbidden)


DEC = ("2018-12-01", "2018-12-31")


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(lambda: _download_frame(multi_level_index=False), id="download-flat"),
        pytest.param(lambda: _download_frame(), id="download-two-level"),
        pytest.param(lambda: _download_frame(group_by="ticker"), id="download-group-by-ticker"),
        pytest.param(lambda: _history_frame(), id="history-tz-aware"),
    ],
)
def test_yahoo_every_frame_shape_normalises_to_the_same_closes(frame, online, tmp_path):
    rec = Recorder(frame())
    h = load_yahoo("^gspc", *DEC, cache_dir=tmp_path, download=rec)
    # The closes are the real ones, on tz-naive midnight dates.
    expected = _bars()["Close"]
    assert h.prices.index.equals(pd.DatetimeIndex(expected.index.values, name="date"))
    np.testing.assert_array_equal(h.prices.to_numpy(), expected.to_numpy())
    assert h.prices.loc["2018-12-31"] == pytest.approx(2506.85, abs=0.005)
    assert h.name == "^GSPC" and h.source == "Yahoo Finance" and h.warnings == ()
    assert h.as_of == pd.Timestamp.today().normalize()
    # The request: upper-cased ticker, end made exclusive as yfinance expects.
    assert rec.calls == [("^GSPC", "2018-12-01", "2019-01-01")]


def test_recorded_frames_match_yfinance_download_code_path(monkeypatch):
    """Run yfinance 1.7's own download() with a fake Ticker: the layouts the tests replay are real."""
    import yfinance as yf
    import yfinance.multi

    class FakeTicker:
        def __init__(self, ticker):
            self.ticker = ticker
            self._price_history = None

        def history(self, **kwargs):
            assert kwargs["auto_adjust"] is True and kwargs["actions"] is False
            return _history_frame().drop(columns=["Dividends", "Stock Splits"])

    monkeypatch.setattr(yfinance.multi, "Ticker", FakeTicker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # yfinance's own pandas deprecation warnings
        for kw in (
            {"multi_level_index": True},
            {"multi_level_index": False},
            {"multi_level_index": True, "group_by": "ticker"},
        ):
            real = yf.download("^GSPC", *DEC, auto_adjust=True, progress=False, threads=False, **kw)
            ours = _download_frame(**kw)
            pd.testing.assert_frame_equal(real, ours, check_index_type=False)
            assert real.columns.names == ours.columns.names

    class FailingTicker(FakeTicker):
        def history(self, **kwargs):
            raise ConnectionError("boom")

    monkeypatch.setattr(yfinance.multi, "Ticker", FailingTicker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mli in (False, True):
            real = yf.download(
                "^GSPC",
                *DEC,
                auto_adjust=True,
                progress=False,
                threads=False,
                multi_level_index=mli,
            )
            ours = _download_failure_frame(multi_level_index=mli)
            assert real.empty and real.columns.tolist() == ours.columns.tolist()
            assert real.columns.names == ours.columns.names


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        pytest.param("dns", "no network", id="network"),
        pytest.param("rate", "rate limit", id="rate-limit"),
        pytest.param("missing", "Yahoo Finance returned no usable data", id="unknown-ticker"),
    ],
)
def test_default_downloader_turns_swallowed_yfinance_errors_into_messages(
    error, reason, monkeypatch, tmp_path
):
    """yf.download swallows failures (logs them, returns an empty frame); the reason must survive."""
    import yfinance.multi
    from curl_cffi.requests.exceptions import DNSError
    from yfinance.exceptions import YFPricesMissingError, YFRateLimitError

    exc = {
        "dns": DNSError(
            "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com"
        ),
        "rate": YFRateLimitError(),
        "missing": YFPricesMissingError("^NOPE", "(1d 2018-12-01 -> 2019-01-01)"),
    }[error]

    class FailingTicker:
        def __init__(self, ticker):
            self._price_history = None

        def history(self, **kwargs):
            raise exc

    monkeypatch.delenv("HEDGELIB_OFFLINE", raising=False)
    monkeypatch.setattr(yfinance.multi, "Ticker", FailingTicker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(HedgeLibError) as info:
            load_yahoo("^NOPE", *DEC, cache_dir=tmp_path)
    msg = str(info.value)
    assert msg.startswith("could not download ^NOPE: ")
    assert reason in msg
    assert msg.endswith("no cached copy; the bundled data or your own CSV work offline")


def test_default_downloader_success_path(monkeypatch, tmp_path):
    import yfinance.multi

    class FakeTicker:
        def __init__(self, ticker):
            self._price_history = None

        def history(self, **kwargs):
            assert (kwargs["start"], kwargs["end"]) == ("2018-12-01", "2019-01-01")
            return _history_frame().drop(columns=["Dividends", "Stock Splits"])

    monkeypatch.delenv("HEDGELIB_OFFLINE", raising=False)
    monkeypatch.setattr(yfinance.multi, "Ticker", FakeTicker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = load_yahoo("^GSPC", *DEC, cache_dir=tmp_path)
    np.testing.assert_array_equal(h.prices.to_numpy(), _bars()["Close"].to_numpy())


def test_yahoo_tz_aware_index_keeps_the_exchange_date(online, tmp_path):
    # Tokyo midnight is 15:00 UTC the day before: converting to UTC would shift every date.
    h = load_yahoo(
        "7203.T", *DEC, cache_dir=tmp_path, download=Recorder(_history_frame("Asia/Tokyo"))
    )
    assert h.first_date == pd.Timestamp("2018-12-03") and h.last_date == pd.Timestamp("2018-12-31")


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(_download_failure_frame(), id="download-failure-flat"),
        pytest.param(
            _download_failure_frame(multi_level_index=True), id="download-failure-two-level"
        ),
        pytest.param(_history_failure_frame(), id="history-failure"),
        pytest.param(pd.DataFrame(), id="bare-empty"),
    ],
)
def test_yahoo_empty_frames_are_failures_not_data(frame, online, tmp_path):
    with pytest.raises(
        HedgeLibError, match=r"^could not download \^GSPC: Yahoo Finance returned no usable data"
    ):
        load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=Recorder(frame))
    assert not (tmp_path / "yahoo").exists()


def test_yahoo_short_frame_is_a_failure(online, tmp_path):
    short = _download_frame(multi_level_index=False).iloc[:3]
    with pytest.raises(HedgeLibError, match="only 3 closes, at least 10 needed"):
        load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=Recorder(short))
    h = load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=Recorder(short), min_rows=3)
    assert len(h) == 3


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        pytest.param(
            ConnectionError("Failed to establish a new connection"), "no network", id="connection"
        ),
        pytest.param(TimeoutError("read timed out"), "no network", id="timeout"),
        pytest.param("rate", "rate limit", id="YFRateLimitError"),
        pytest.param(
            RuntimeError("something odd"),
            "the download failed (RuntimeError: something odd)",
            id="other",
        ),
    ],
)
def test_yahoo_downloader_exceptions_become_clear_errors(exc, text, online, tmp_path):
    if exc == "rate":
        from yfinance.exceptions import YFRateLimitError

        exc = YFRateLimitError()
    with pytest.raises(HedgeLibError) as info:
        load_yahoo("AAPL", "2024-01-01", "2024-03-31", cache_dir=tmp_path, download=Recorder(exc))
    msg = str(info.value)
    assert msg.startswith("could not download AAPL: ") and text in msg
    assert "the bundled data or your own CSV work offline" in msg


def test_yahoo_cache_written_then_reused_when_the_download_fails(online, tmp_path):
    good = Recorder(_download_frame())
    fresh = load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=good)
    files = list((tmp_path / "yahoo").glob("*.csv"))
    assert [f.name for f in files] == ["%5EGSPC__2018-12-01__2018-12-31.csv"]

    failing = Recorder(ConnectionError("Could not resolve host: query2.finance.yahoo.com"))
    served = load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=failing)
    assert failing.calls  # the network was tried first
    assert served.prices.equals(fresh.prices)
    assert served.source.startswith("Yahoo Finance (disk cache of ")
    assert served.as_of == fresh.as_of
    assert "no network" in served.warnings[0] and "served the copy cached on" in served.warnings[0]
    assert len(served.warnings) == 1

    # A wider request is served what the cache holds, with a note saying so.
    wider = load_yahoo("^GSPC", "2018-11-01", "2018-12-31", cache_dir=tmp_path, download=failing)
    assert len(wider) == len(fresh)
    assert "less than the 2018-11-01 to 2018-12-31 requested" in wider.warnings[1]
    # A range the cache cannot fill is still an error, not an empty result.
    with pytest.raises(HedgeLibError, match="the cache holds only 0 closes in range"):
        load_yahoo("^GSPC", "2017-01-01", "2017-12-31", cache_dir=tmp_path, download=failing)


def test_yahoo_empty_download_falls_back_to_the_cache(online, tmp_path):
    load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=Recorder(_download_frame()))
    h = load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=Recorder(_download_failure_frame()))
    assert len(h) == 19 and "returned no usable data" in h.warnings[0]


def test_offline_refuses_without_calling_the_downloader(monkeypatch, tmp_path):
    monkeypatch.setenv("HEDGELIB_OFFLINE", "1")
    rec = Recorder(_download_frame())
    with pytest.raises(
        HedgeLibError,
        match=r"^could not download \^GSPC: offline \(HEDGELIB_OFFLINE=1\) "
        r"and no cached copy; the bundled data or your own CSV work offline$",
    ):
        load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=rec)
    assert rec.calls == []


def test_offline_serves_the_cache_without_calling_the_downloader(monkeypatch, tmp_path):
    monkeypatch.delenv("HEDGELIB_OFFLINE", raising=False)
    load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=Recorder(_download_frame()))
    monkeypatch.setenv("HEDGELIB_OFFLINE", "1")
    rec = Recorder(_download_frame())
    h = load_yahoo(
        "^GSPC", "2018-12-10", "2018-12-14", cache_dir=tmp_path, download=rec, min_rows=5
    )
    assert rec.calls == []
    assert h.dates.strftime("%d").tolist() == ["10", "11", "12", "13", "14"]
    assert "offline (HEDGELIB_OFFLINE=1)" in h.warnings[0]


def test_cache_folder_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HEDGELIB_CACHE_DIR", str(tmp_path / "env-cache"))
    assert D.yahoo_cache_dir() == tmp_path / "env-cache"
    assert D.yahoo_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("HEDGELIB_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if D.sys.platform.startswith("linux"):
        assert D.yahoo_cache_dir() == tmp_path / "xdg" / "hedgelib"
    monkeypatch.setenv("HEDGELIB_CACHE_DIR", str(tmp_path / "env-cache"))
    monkeypatch.delenv("HEDGELIB_OFFLINE", raising=False)
    load_yahoo("^GSPC", *DEC, download=Recorder(_download_frame()))
    assert len(list((tmp_path / "env-cache" / "yahoo").glob("*.csv"))) == 1


def test_corrupt_cache_file_is_ignored(online, tmp_path):
    load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=Recorder(_download_frame()))
    (f,) = (tmp_path / "yahoo").glob("*.csv")
    f.write_text("# hedgelib yahoo cache: 1\n# ticker: ^GSPC\ndate,close\n2018-12-03,-5\n")
    with pytest.raises(HedgeLibError, match="no network.*no cached copy"):
        load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=Recorder(ConnectionError("x")))


@pytest.mark.parametrize("bad", ["", "   ", "AA PL", "DROP;TABLE", "A" * 21, "$AAPL", None, 42])
def test_yahoo_ticker_is_validated_before_anything_else(bad, online, tmp_path):
    rec = Recorder(_download_frame())
    with pytest.raises(HedgeLibError, match="ticker must"):
        load_yahoo(bad, cache_dir=tmp_path, download=rec)
    assert rec.calls == []


def test_yahoo_default_dates_and_date_checks(online, tmp_path):
    rec = Recorder(ConnectionError("no route"))
    with pytest.raises(HedgeLibError):
        load_yahoo("AAPL", end="2024-06-28", cache_dir=tmp_path, download=rec)
    assert rec.calls == [("AAPL", "2014-06-28", "2024-06-29")]
    with pytest.raises(HedgeLibError, match="start must not be after end"):
        load_yahoo("AAPL", "2024-02-01", "2024-01-01", cache_dir=tmp_path, download=rec)
    with pytest.raises(HedgeLibError, match="download must be callable"):
        load_yahoo("AAPL", download="yfinance")


def test_yahoo_prefers_adjusted_close_and_picks_the_ticker(online, tmp_path):
    # auto_adjust=False keeps both columns; a two-ticker download holds both tickers.
    flat = _download_frame(multi_level_index=False)
    flat["Adj Close"] = flat["Close"] * 0.5
    h = load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=Recorder(flat))
    np.testing.assert_allclose(h.prices.to_numpy(), flat["Adj Close"].to_numpy())
    assert "'Adj Close'" in h.description

    two = pd.concat(
        {
            "^GSPC": _download_frame(multi_level_index=False),
            "SPY": _download_frame(multi_level_index=False) / 10,
        },
        axis=1,
        names=["Ticker", "Price"],
    ).swaplevel(0, 1, axis=1)
    h2 = load_yahoo("SPY", *DEC, cache_dir=tmp_path, download=Recorder(two))
    assert h2.prices.iloc[-1] == pytest.approx(250.685, abs=5e-4)
    with pytest.raises(
        HedgeLibError, match=r"QQQ is not among the downloaded tickers \['SPY', '\^GSPC'\]"
    ):
        load_yahoo("QQQ", *DEC, cache_dir=tmp_path, download=Recorder(two))


def test_yahoo_gaps_duplicates_and_bad_prices(online, tmp_path):
    frame = _download_frame(multi_level_index=False)
    frame.iloc[4, frame.columns.get_loc("Close")] = np.nan
    live = frame.iloc[[-1]].copy()
    live.index = live.index + pd.Timedelta(hours=16)  # a live bar stamped later the same day
    frame = pd.concat([frame, live])
    h = load_yahoo("^GSPC", *DEC, cache_dir=tmp_path, download=Recorder(frame))
    assert len(h) == 18
    assert h.warnings == (
        "1 rows without a close were dropped",
        "1 duplicate dates were merged (kept the last close)",
    )

    neg = _download_frame(multi_level_index=False)
    neg.iloc[5, neg.columns.get_loc("Close")] = -37.63  # as WTI futures did on 2020-04-20
    with pytest.raises(
        HedgeLibError, match=r"close on 2018-12-11 is -37.63, and prices must be positive"
    ):
        load_yahoo("CL=F", *DEC, cache_dir=tmp_path, download=Recorder(neg))


# ---------------------------------------------------------------------------------------
# CSV upload
# ---------------------------------------------------------------------------------------


def _csv(rows: list[str], header: str = "Date,Close") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _days(n: int = 12, start: str = "2024-01-01") -> list[pd.Timestamp]:
    return list(pd.bdate_range(start, periods=n))


def _good_rows(n: int = 12) -> list[str]:
    return [f"{d.date()},{100 + i}" for i, d in enumerate(_days(n))]


class FakeUpload:
    """The parts of Streamlit's UploadedFile the loader uses: .name, .size, .getvalue()."""

    def __init__(self, data: bytes, name: str = "prices.csv"):
        self.name = name
        self._data = data
        self.size = len(data)

    def getvalue(self) -> bytes:
        return self._data


def test_csv_reads_every_kind_of_source(tmp_path):
    data = _csv(_good_rows())
    path = tmp_path / "my prices.csv"
    path.write_bytes(data)
    for src, source, name in [
        (path, "CSV file: my prices.csv", "my prices"),
        (str(path), "CSV file: my prices.csv", "my prices"),
        (data, "CSV upload", "data"),
        (io.BytesIO(data), "CSV upload: upload.csv", "upload"),
        (io.StringIO(data.decode()), "CSV upload: upload.csv", "upload"),
        (FakeUpload(data), "CSV upload: prices.csv", "prices"),
    ]:
        h = load_csv(src)
        assert h.source == source and h.name == name
        assert h.prices.tolist() == [100.0 + i for i in range(12)]
        assert h.as_of == h.last_date == pd.Timestamp("2024-01-16")
        assert h.warnings == ()
    assert load_csv(data, name="Mine").name == "Mine"


def test_csv_nasdaq_style_export_newest_first_with_dollars():
    # Built from the same real closes as gspc_2018-12.csv: MM/DD/YYYY, "$2,506.85", newest first.
    h = load_csv(DATA / "nasdaq_style_export.csv")
    np.testing.assert_allclose(h.prices.to_numpy(), _bars()["Close"].round(2).to_numpy())
    assert h.warnings == ("rows were newest first and were sorted oldest first",)
    assert "'Close/Last'" in h.description


def test_csv_comment_lines_and_column_choice():
    h = load_csv(DATA / "gspc_2018-12.csv")
    np.testing.assert_array_equal(h.prices.to_numpy(), _bars()["Close"].to_numpy())
    opens = load_csv(DATA / "gspc_2018-12.csv", price_column="open")
    assert opens.prices.iloc[0] == pytest.approx(2790.5)
    rows = [f"{d.date()},{100 + i},{(100 + i) * 0.98},5" for i, d in enumerate(_days())]
    adj = load_csv(_csv(rows, "Date,Close,Adj Close,Volume"))
    assert adj.prices.iloc[0] == pytest.approx(98.0)  # Adj Close beats Close
    single = load_csv(_csv(_good_rows(), "Trade Date,NAV per unit"))
    assert single.prices.iloc[-1] == 111.0
    swapped = load_csv(
        _csv([f"{100 + i};{d:%d.%m.%Y}" for i, d in enumerate(_days())], "Kurs;Datum"),
        date_column="Datum",
        price_column="Kurs",
    )
    assert swapped.first_date == pd.Timestamp("2024-01-01")


@pytest.mark.parametrize(
    ("rows", "header", "kw", "match"),
    [
        (["x,100"], "Foo,Bar", {}, r"no date column found .*'Foo', 'Bar'.*date_column="),
        (
            ["2024-01-02,1,2"],
            "Date,Open,High",
            {},
            r"several numeric columns \('Open', 'High'\).*price_column=",
        ),
        (["2024-01-02,x"], "Date,Note", {}, "no price column found"),
        (
            ["2024-01-02,1"],
            "Date,Close",
            {"price_column": "Last"},
            r"price_column='Last' is not a column; the columns are 'Date', 'Close'",
        ),
        (
            ["2024-01-02,1"],
            "Date,Close",
            {"date_column": "When"},
            r"date_column='When' is not a column",
        ),
    ],
)
def test_csv_column_detection_failures(rows, header, kw, match):
    with pytest.raises(HedgeLibError, match=match):
        load_csv(_csv(rows, header), **kw)


def test_csv_separators_encodings_and_number_formats():
    rows = [f"{d.date()};{1000 + i}" for i, d in enumerate(_days())]
    assert load_csv(_csv(rows, "Date;Close")).prices.iloc[0] == 1000.0
    tab = _csv([r.replace(";", "\t") for r in rows], "Date\tClose")
    assert len(load_csv(tab)) == 12
    assert (
        len(load_csv(b"\xef\xbb\xbf" + _csv(_good_rows()))) == 12
    )  # UTF-8 BOM (Excel "CSV UTF-8")
    assert len(load_csv(_csv(_good_rows()).decode().encode("utf-16"))) == 12  # with its BOM
    money = [f'{d.date()},"${1000 + i:,.2f}"' for i, d in enumerate(_days())]
    assert load_csv(_csv(money)).prices.iloc[-1] == 1011.0
    euro = [f"{d.date()},{1234 + i}.5 €" for i, d in enumerate(_days())]
    assert load_csv(_csv(euro)).prices.iloc[0] == 1234.5
    crlf = _csv(_good_rows()).replace(b"\n", b"\r\n")
    assert len(load_csv(crlf)) == 12
    blank = _csv(_good_rows()) + b"\n\n   \n"
    assert len(load_csv(blank)) == 12


def test_csv_dates_formats_times_and_ambiguity():
    days = _days(25)
    us = load_csv(_csv([f"{d:%m/%d/%Y},{10 + i}" for i, d in enumerate(days)]))
    eu = load_csv(_csv([f"{d:%d/%m/%Y},{10 + i}" for i, d in enumerate(days)]))
    assert us.dates.equals(eu.dates) and us.first_date == pd.Timestamp("2024-01-01")
    assert us.warnings == eu.warnings == ()  # days above 12 settle the order
    stamped = load_csv(_csv([f"{d.date()}T16:00:00-05:00,{10 + i}" for i, d in enumerate(days)]))
    assert stamped.dates.equals(us.dates)
    # 1 to 12 March 2024: every date also reads as day/month.
    short = [f"{d:%m/%d/%Y},{10 + i}" for i, d in enumerate(_days(8, "2024-03-01"))]
    amb = load_csv(_csv(short), min_rows=8)
    assert amb.first_date == pd.Timestamp("2024-03-01")
    assert "read as month/day (pass dayfirst=True for the other)" in amb.warnings[0]
    # dayfirst=True: 03/01/2024 is 3 January, ... 03/12/2024 is 3 December: newest last.
    flipped = load_csv(_csv(short), dayfirst=True, min_rows=8)
    assert flipped.first_date == pd.Timestamp("2024-01-03")


# Each rejection names the problem and the first offending line (the header is line 1).
BAD_CSV = [
    pytest.param(
        _good_rows()[:4] + ["2024-13-45,104"] + _good_rows()[5:],
        {},
        r"unparseable date '2024-13-45' on line 6",
        id="bad-date",
    ),
    pytest.param(
        _good_rows()[:2] + [",102"] + _good_rows()[3:],
        {},
        r"missing date on line 4",
        id="missing-date",
    ),
    pytest.param(
        _good_rows()[:6] + [_good_rows()[4]] + _good_rows()[7:],
        {},
        r"duplicate date 2024-01-05 on line 8 \(also on line 6\)",
        id="duplicate",
    ),
    pytest.param(
        [_good_rows()[i] for i in (0, 1, 2, 4, 3, 5, 6, 7, 8, 9, 10, 11)],
        {},
        r"not in date order: line 6 \(2024-01-04\) follows line 5 \(2024-01-05\).*oldest first",
        id="unsorted",
    ),
    pytest.param(
        _good_rows()[:3] + ["2024-01-04,"] + _good_rows()[4:],
        {},
        r"missing price on line 5 \(2024-01-04, column 'Close'\)",
        id="missing-price",
    ),
    pytest.param(
        _good_rows()[:3] + ["2024-01-04,NaN"] + _good_rows()[4:],
        {},
        r"missing price on line 5",
        id="nan-price",
    ),
    pytest.param(
        _good_rows()[:7] + ["2024-01-10,abc"] + _good_rows()[8:],
        {},
        r"price 'abc' on line 9 \(2024-01-10, column 'Close'\) is not a number",
        id="non-numeric",
    ),
    pytest.param(
        _good_rows()[:7] + ['2024-01-10,"1234,56"'] + _good_rows()[8:],
        {},
        r"price '1234,56' on line 9 .*decimal commas are not supported",
        id="decimal-comma",
    ),
    pytest.param(
        _good_rows()[:1] + ["2024-01-02,0"] + _good_rows()[2:],
        {},
        r"non-positive price '0' on line 3 \(2024-01-02\)",
        id="zero",
    ),
    pytest.param(
        _good_rows()[:1] + ["2024-01-02,-5.5"] + _good_rows()[2:],
        {},
        r"non-positive price '-5.5' on line 3",
        id="negative",
    ),
    pytest.param(
        _good_rows()[:1] + ["2024-01-02,inf"] + _good_rows()[2:],
        {},
        r"price 'inf' on line 3 is not finite",
        id="infinite",
    ),
    pytest.param(
        _good_rows()[:4] + ["2024-01-05,1,234.5"] + _good_rows()[5:],
        {},
        r"line 6 has 3 fields but the header has 2 \(an unquoted thousands separator",
        id="extra-fields",
    ),
    pytest.param(
        _good_rows()[:5], {}, r"too few rows: 5 daily closes, at least 10 needed", id="too-few"
    ),
    pytest.param(
        _good_rows(),
        {"min_rows": 20},
        r"too few rows: 12 daily closes, at least 20 needed",
        id="too-few-custom",
    ),
    pytest.param(
        [f"{d.date()} {h}:00,{100 + i}" for i, d in enumerate(_days(6)) for h in (10, 11)],
        {},
        r"duplicate date 2024-01-01 on line 3 \(also on line 2\) \(intraday data\?",
        id="intraday",
    ),
]


@pytest.mark.parametrize(("rows", "kw", "match"), BAD_CSV)
def test_csv_rejections_name_the_problem_and_the_line(rows, kw, match):
    with pytest.raises(HedgeLibError, match=match):
        load_csv(_csv(rows), **kw)


def test_csv_line_numbers_count_comments_and_blank_lines():
    text = (
        "# exported by a broker\n\nDate,Close\n"
        + "\n".join(_good_rows()[:5])
        + "\n2024-01-08,n/a\n"
    )
    # Header on line 3, five good rows on lines 4-8: the bad row is line 9.
    with pytest.raises(HedgeLibError, match=r"missing price on line 9 \(2024-01-08"):
        load_csv(text.encode())


def test_csv_trailing_empty_fields_are_not_extra_fields():
    h = load_csv(_csv([r + "," for r in _good_rows()]))
    assert h.prices.iloc[-1] == 111.0


def test_csv_missing_prices_can_be_dropped_with_a_warning():
    rows = _good_rows(14)
    rows[3] = "2024-01-04,"
    rows[8] = "2024-01-11,null"
    h = load_csv(_csv(rows), drop_missing=True)
    assert len(h) == 12 and pd.Timestamp("2024-01-04") not in h.dates
    assert h.warnings == ("2 rows without a price were dropped (first: line 5)",)


def test_csv_jumps_and_sparse_rows_are_flagged_not_rejected():
    rows = _good_rows()
    rows[6] = f"{_days()[6].date()},300"  # line 8
    h = load_csv(_csv(rows))
    assert len(h) == 12
    assert h.warnings[0].startswith(
        "jump between line 7 (2024-01-08, 105) and line 8 (2024-01-09, 300): log return +1.05"
    )
    assert h.warnings[1].startswith("jump between line 8 (2024-01-09, 300) and line 9")
    assert load_csv(_csv(rows), jump_threshold=2.0).warnings == ()
    weekly = [
        f"{d.date()},{100 + i}"
        for i, d in enumerate(pd.date_range("2024-01-05", periods=12, freq="W-FRI"))
    ]
    assert (
        "7 days apart (median): the data look weekly or monthly"
        in load_csv(_csv(weekly)).warnings[0]
    )


def test_csv_file_level_rejections(tmp_path):
    big = _csv(_good_rows())
    with pytest.raises(HedgeLibError, match=r"file too large: .* \(max_bytes=100\)"):
        load_csv(big, max_bytes=100)
    path = tmp_path / "big.csv"
    path.write_bytes(big)
    with pytest.raises(HedgeLibError, match="file too large"):
        load_csv(path, max_bytes=100)
    with pytest.raises(HedgeLibError, match="file too large"):
        load_csv(FakeUpload(big), max_bytes=100)
    with pytest.raises(HedgeLibError, match="file too large"):
        load_csv(io.BytesIO(big), max_bytes=100)
    for empty in (b"", b"  \n\n", FakeUpload(b"")):
        with pytest.raises(HedgeLibError, match="is empty"):
            load_csv(empty)
    with pytest.raises(HedgeLibError, match="has a header but no rows of data"):
        load_csv(b"Date,Close\n")
    with pytest.raises(
        HedgeLibError, match=r"line 1 must be a header .*looks like data: '2024-01-01,100'"
    ):
        load_csv(_csv(_good_rows()[1:], header="2024-01-01,100"))
    with pytest.raises(HedgeLibError, match="header \\(line 1\\) has one column 'Close'"):
        load_csv(b"Close\n1\n2\n")
    with pytest.raises(HedgeLibError, match="source is not a file"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(HedgeLibError, match="source must be a path, bytes or a file-like"):
        load_csv(12345)


def test_csv_binary_and_encoding_rejections():
    with pytest.raises(HedgeLibError, match=r"binary, not CSV text \(a NUL byte on line 3\)"):
        load_csv(b"Date,Close\n2024-01-01,1\n2024-01-02,\x00\x01\n")
    with pytest.raises(HedgeLibError, match=r"zip archive \(an Excel \.xlsx workbook\?\)"):
        load_csv(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))
    with pytest.raises(HedgeLibError, match=r"old Excel \.xls workbook"):
        load_csv(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64))
    latin1 = "Date,Close,Note\n2024-01-01,1,ok\n2024-01-02,2,café\n".encode("latin-1")
    with pytest.raises(HedgeLibError, match=r"wrong encoding: byte 0xE9 on line 3 is not UTF-8"):
        load_csv(latin1)


def test_csv_argument_checks():
    with pytest.raises(HedgeLibError, match="min_rows must be at least 2"):
        load_csv(_csv(_good_rows()), min_rows=1)
    with pytest.raises(HedgeLibError, match="jump_threshold must be positive"):
        load_csv(_csv(_good_rows()), jump_threshold=0)
    with pytest.raises(HedgeLibError, match="name must be a non-empty string"):
        load_csv(_csv(_good_rows()), name="")


@settings(max_examples=40, deadline=None)
@given(
    prices=st.lists(
        st.floats(min_value=0.01, max_value=1e7, allow_nan=False), min_size=10, max_size=40
    ),
    newest_first=st.booleans(),
    style=st.sampled_from(["plain", "dollar", "grouped"]),
    date_fmt=st.sampled_from(["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%d-%b-%Y"]),
)
def test_csv_round_trip(prices, newest_first, style, date_fmt):
    days = pd.bdate_range("2023-01-02", periods=len(prices))

    def fmt(p: float) -> str:
        if style == "dollar":
            return f"${p:.6f}"
        if style == "grouped":
            return f'"{p:,.6f}"'
        return repr(p)

    rows = [f"{d.strftime(date_fmt)},{fmt(p)}" for d, p in zip(days, prices, strict=True)]
    if newest_first:
        rows = rows[::-1]
    h = load_csv(_csv(rows), jump_threshold=100.0)
    assert h.dates.equals(pd.DatetimeIndex(days, name="date"))
    # Six decimals round by half a unit; the float nearest each value adds a few ulps.
    tol = 0 if style == "plain" else 5e-7 + 4 * float(np.spacing(max(prices)))
    np.testing.assert_allclose(h.prices.to_numpy(), prices, rtol=0, atol=tol)
    assert h.warnings == (
        ("rows were newest first and were sorted oldest first",) if newest_first else ()
    )
