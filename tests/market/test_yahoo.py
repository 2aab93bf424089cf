"""The Yahoo Finance adapter, on recorded frames only.

Nothing here touches the network: tests inject recorded frames (shaped exactly as yfinance 1.7
returns them, checked against its own ``download`` code path with a fake ``Ticker``), and
HEDGELIB_OFFLINE=1 (set by conftest) is lifted only where a test injects its downloader.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hedgelib.market.yahoo as Y
from hedgelib.conventions import HedgeLibError
from hedgelib.market.yahoo import load_yahoo

DATA = Path(__file__).resolve().parents[1] / "data"


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

    monkeypatch.setattr(Y, "_yfinance_download", forbidden)


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
    assert Y.yahoo_cache_dir() == tmp_path / "env-cache"
    assert Y.yahoo_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("HEDGELIB_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert Y.yahoo_cache_dir() == tmp_path / "xdg" / "hedgelib"
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


