"""Feeds: the replay of a real series, and Yahoo polled through an injected downloader.

Nothing here touches the network: HEDGELIB_OFFLINE=1 (tests/conftest.py) is lifted only
where a test injects its downloader, which returns frames shaped as ``yf.download(...,
interval="1m", multi_level_index=False)`` does (tz-aware exchange times for intraday bars).
"""

from __future__ import annotations

import pandas as pd
import pytest

from hedgelib.conventions import HedgeLibError
from hedgelib.live import FeedEnded, FeedError, ReplayFeed, StalePrice, Tick, YahooFeed
from hedgelib.market.history import load_bundled

SPX = load_bundled("sp500")


def test_replay_feed_walks_the_series():
    feed = ReplayFeed(SPX, "2018-02-03", "2018-02-08")
    ticks = list(feed)
    assert [t.timestamp for t in ticks] == list(SPX.prices.loc["2018-02-05":"2018-02-08"].index)
    assert len(feed) == 4 and feed.time_basis == "trading" and feed.periods_per_year == 252
    assert feed.next_tick(None) == ticks[0]
    assert feed.next_tick(ticks[0].timestamp) == ticks[1]
    # "After" any time between two closes is the next close.
    assert feed.next_tick(ticks[1].timestamp + pd.Timedelta(hours=5)) == ticks[2]
    # A time before the start starts at the start, never earlier.
    assert feed.next_tick(pd.Timestamp("2000-01-01")) == ticks[0]
    with pytest.raises(FeedEnded, match="ended on 2018-02-08"):
        feed.next_tick(ticks[-1].timestamp)


def test_replay_history_has_no_look_ahead():
    feed = ReplayFeed(SPX, "2018-02-05")
    past = feed.history_until(pd.Timestamp("2018-02-06"))
    assert past.index[-1] == pd.Timestamp("2018-02-06") and past.index[0] == SPX.first_date


@pytest.mark.parametrize(("start", "end", "message"), [
    ("1990-01-01", None, r"start must lie within the data of S&P 500 \(1999-01-04 to 2018-12-31\), got 1990-01-01"),
    ("2019-06-01", None, "start must lie within the data"),
    ("2018-02-05", "2019-01-10", r"end must not be after the data end \(2018-12-31\), got 2019-01-10"),
    ("2018-02-05", "2018-02-02", "end must not be before the first close replayed"),
    ("yesterday-ish", None, "start must be a date"),
])
def test_replay_feed_refuses_dates_outside_the_series(start, end, message):
    with pytest.raises(HedgeLibError, match=message):
        ReplayFeed(SPX, start, end)


def test_yahoo_refuses_offline():
    with pytest.raises(FeedError, match="HEDGELIB_OFFLINE=1"):
        YahooFeed("AAPL", download=lambda *a, **k: pytest.fail("the network was touched"))


def _bars(times, closes, tz="America/New_York"):
    """``yf.download(ticker, period="1d", interval="1m", multi_level_index=False)``."""
    idx = pd.DatetimeIndex(pd.to_datetime(times)).tz_localize(tz)
    idx.name = "Datetime"
    return pd.DataFrame({"Close": closes, "High": closes, "Low": closes, "Open": closes,
                         "Volume": [1000] * len(closes)}, index=idx)


class FakeYahoo:
    """A downloader replaying scripted answers: a frame, or an exception to raise."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, ticker, *, interval, period):
        self.calls.append((ticker, interval, period))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def _clock(ts):
    return lambda: pd.Timestamp(ts, tz="America/New_York")


@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("HEDGELIB_OFFLINE", raising=False)


def test_yahoo_gives_the_newest_bar_in_utc(online):
    frame = _bars(["2024-03-05 10:00", "2024-03-05 10:01", "2024-03-05 10:02"], [170.1, 170.3, 170.2])
    fake = FakeYahoo(frame)
    feed = YahooFeed("aapl", download=fake, clock=_clock("2024-03-05 10:03"))
    assert feed.time_basis == "calendar" and feed.ticker == "AAPL"
    tick = feed.next_tick(None)
    assert tick == Tick(pd.Timestamp("2024-03-05 15:02"), 170.2)  # 10:02 New York is 15:02 UTC
    assert fake.calls == [("AAPL", "1m", "1d")]
    # Nothing newer than the last bar seen: no price yet.
    assert feed.next_tick(tick.timestamp) is None


def test_yahoo_daily_bars_keep_the_exchange_date(online):
    frame = _bars(["2024-03-04", "2024-03-05"], [170.0, 171.0])
    feed = YahooFeed("AAPL", "1d", download=FakeYahoo(frame), clock=_clock("2024-03-05 15:00"))
    assert feed.time_basis == "trading"
    assert feed.next_tick(None) == Tick(pd.Timestamp("2024-03-05"), 171.0)


def test_yahoo_faults_become_feed_errors(online):
    empty = pd.DataFrame(columns=["Adj Close", "Close", "High", "Low", "Open", "Volume"])
    nan_only = _bars(["2024-03-05 10:00"], [float("nan")])
    clock = _clock("2024-03-05 10:03")
    cases = [
        (OSError("Could not resolve host: query1.finance.yahoo.com"), "could not poll AAPL: no network"),
        (RuntimeError("Too Many Requests. Rate limited."), "rate limit"),
        (empty, "returned no prices for AAPL"),
        (nan_only, "returned no prices for AAPL"),
        (pd.DataFrame({"Volume": [1]}), r"could not poll AAPL: .*no Close column"),
    ]
    for answer, message in cases:
        feed = YahooFeed("AAPL", download=FakeYahoo(answer), clock=clock)
        with pytest.raises(FeedError, match=message):
            feed.next_tick(None)


def test_yahoo_stale_price(online):
    frame = _bars(["2024-03-01 15:59"], [170.0])  # a Friday's last bar, polled on Saturday
    feed = YahooFeed("AAPL", download=FakeYahoo(frame), clock=_clock("2024-03-02 12:00"))
    with pytest.raises(StalePrice, match=r"is 20\.0 hours old, more than 20 minutes: the market may be closed"):
        feed.next_tick(None)
    relaxed = YahooFeed("AAPL", download=FakeYahoo(frame), clock=_clock("2024-03-02 12:00"), max_age="2D")
    assert relaxed.next_tick(None).price == 170.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"ticker": "AAPL", "interval": "3m"}, "interval must be one of 1m, 2m"),
    ({"ticker": "not a ticker!"}, "ticker must be 1-20 letters"),
    ({"ticker": "AAPL", "max_age": "-5min"}, "max_age must be a positive duration"),
    ({"ticker": "AAPL", "max_age": "soon"}, "max_age must be a duration"),
    ({"ticker": "AAPL", "download": "yfinance"}, "download must be callable"),
])
def test_yahoo_bad_arguments(online, kwargs, message):
    with pytest.raises(HedgeLibError, match=message):
        YahooFeed(**kwargs)
