"""Price feeds for the live monitor: a replay of a real series, or Yahoo Finance polled live.

A feed answers one question, :meth:`next_tick(after) <ReplayFeed.next_tick>`: "what is the
next price after this time?". It returns a :class:`Tick` ``(timestamp, price)``, or None when
nothing new has arrived yet (a live feed between bars); it raises :class:`FeedEnded` when no
price will ever come (a replay at its end) and :class:`FeedError` when it failed (no network,
offline, an empty answer, a stale price). Because the question carries the last time seen, a
monitor rebuilt after a crash resumes from the store alone.

``time_basis`` tells the monitor how to count time between ticks: ``"trading"`` (each tick
is one period, 1/252 of a year for daily closes, as :func:`~hedgelib.backtest.replay` does)
or ``"calendar"`` (actual/365 from the timestamps, for intraday prices).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from hedgelib.conventions import (
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_date,
    check_int,
    iso_date,
)
from hedgelib.market.history import price_series, start_row
from hedgelib.market.yahoo import check_ticker, is_offline, pick_close, why_failed, yfinance_frame

__all__ = [
    "INTERVALS",
    "Feed",
    "FeedEnded",
    "FeedError",
    "ReplayFeed",
    "StalePrice",
    "Tick",
    "YahooFeed",
    "offline",
]


class Tick(NamedTuple):
    """One price: ``timestamp`` (tz-naive) and ``price`` (> 0)."""

    timestamp: pd.Timestamp
    price: float


class FeedEnded(Exception):
    """The feed has no more prices and never will (a replay past its last close)."""


class FeedError(HedgeLibError):
    """The feed failed to give a price now (no network, offline, an empty or bad answer)."""


class StalePrice(FeedError):
    """The feed's newest price is too old to act on (market closed, feed delayed)."""


@runtime_checkable
class Feed(Protocol):
    """What the monitor needs from a feed (see the module notes)."""

    time_basis: str
    periods_per_year: int
    label: str

    def next_tick(self, after: pd.Timestamp | None) -> Tick | None:
        """The next price after ``after`` (None: the first), or None when none yet."""
        ...


class ReplayFeed:
    """Closes of a real series, replayed one at a time: the offline feed.

    Parameters
    ----------
    history : PriceHistory or pandas.Series
        Closes on dates (a bundled series, a Yahoo download, a CSV).
    start : date-like
        First close replayed (a non-trading day moves to the next close).
    end : date-like, optional
        Last date replayed (the last close on or before it); default the end of the data.
    periods_per_year : int, default 252
        Closes per year: each close is ``1 / periods_per_year`` years after the previous
        one (``time_basis = "trading"``, as :func:`~hedgelib.backtest.replay`).

    Examples
    --------
    >>> from hedgelib.market.history import load_bundled
    >>> feed = ReplayFeed(load_bundled("sp500"), "2018-02-03", "2018-02-07")
    >>> [(t.date().isoformat(), round(p, 2)) for t, p in feed]
    [('2018-02-05', 2648.94), ('2018-02-06', 2695.14), ('2018-02-07', 2681.66)]
    >>> feed.next_tick(pd.Timestamp("2018-02-05"))  # the first close after a time
    Tick(timestamp=Timestamp('2018-02-06 00:00:00'), price=2695.139893)
    """

    time_basis = "trading"

    def __init__(self, history: Any, start: Any, end: Any = None, *,
                 periods_per_year: int = TRADING_DAYS_PER_YEAR) -> None:
        prices, name = price_series(history)
        self.periods_per_year = check_int(periods_per_year, "periods_per_year")
        idx = prices.index
        last = idx[-1]
        i0 = start_row(idx, name, start)
        i1 = len(idx) - 1
        if end is not None:
            d1 = check_date(end, "end")
            if d1 > last:
                raise HedgeLibError(f"end must not be after the data end ({iso_date(last)}), got {iso_date(d1)}")
            i1 = int(idx.searchsorted(d1, side="right")) - 1
            if i1 < i0:
                raise HedgeLibError(
                    f"end must not be before the first close replayed ({iso_date(idx[i0])}), got {iso_date(d1)}"
                )
        self.name = name
        self._history = prices
        # Searched in nanoseconds: a monitor asks "after opening minus 1 ns", which a
        # microsecond index (the bundled data) cannot hold.
        self._ns = idx.as_unit("ns")
        self._i0, self._i1 = i0, i1
        self.label = f"replay of {name}, {iso_date(idx[i0])} to {iso_date(idx[i1])}"

    def __repr__(self) -> str:
        return f"ReplayFeed({self.label})"

    @property
    def prices(self) -> pd.Series:
        """The closes replayed."""
        return self._history.iloc[self._i0 : self._i1 + 1]

    def __iter__(self) -> Iterator[Tick]:
        for ts, p in self.prices.items():
            yield Tick(pd.Timestamp(ts), float(p))

    def __len__(self) -> int:
        return self._i1 - self._i0 + 1

    def next_tick(self, after: pd.Timestamp | None) -> Tick:
        """The first close after ``after`` (None: the first close replayed).

        Raises :class:`FeedEnded` after the last one.
        """
        idx = self._history.index
        i = self._i0
        if after is not None:
            i = max(i, int(self._ns.searchsorted(pd.Timestamp(after).as_unit("ns"), side="right")))
        if i > self._i1:
            raise FeedEnded(f"the replay of {self.name} ended on {iso_date(idx[self._i1])}")
        return Tick(pd.Timestamp(idx[i]), float(self._history.iloc[i]))

    def history_until(self, timestamp: Any) -> pd.Series:
        """The whole series up to ``timestamp`` inclusive, earlier data included: what a
        volatility source may look at on that date."""
        i = int(self._ns.searchsorted(pd.Timestamp(timestamp).as_unit("ns"), side="right"))
        return self._history.iloc[:i]


#: yfinance intervals a :class:`YahooFeed` accepts, and the look-back period polled for each.
INTERVALS: dict[str, str] = {
    "1m": "1d", "2m": "5d", "5m": "5d", "15m": "5d", "30m": "5d", "60m": "1mo", "90m": "1mo",
    "1h": "1mo", "1d": "1mo",
}
_MINUTES = {"1m": 1, "2m": 2, "5m": 5, "15m": 15, "30m": 30, "60m": 60, "90m": 90, "1h": 60}


def _poll_download(ticker: str, *, interval: str, period: str) -> pd.DataFrame:
    """Default poller: ``yfinance.download`` of the last ``period`` at ``interval``."""
    return yfinance_frame(ticker, period=period, interval=interval)


class YahooFeed:
    """The latest price of a Yahoo Finance ticker, polled through ``yfinance``.

    Parameters
    ----------
    ticker : str
        A Yahoo symbol (``"AAPL"``, ``"^GSPC"``, ``"EURUSD=X"``).
    interval : str, default "1m"
        Bar size, one of :data:`INTERVALS`. Intraday bars give ``time_basis="calendar"``
        (timestamps in UTC); ``"1d"`` gives ``"trading"`` (one close per period, dates in
        the exchange's calendar).
    max_age : pandas.Timedelta or str, optional
        A newest bar older than this is stale (:class:`StalePrice`): the market is closed or
        the feed is delayed. Default 20 minutes intraday, 4 days for daily bars.
    download : callable, optional
        Called as ``download(ticker, interval=..., period=...)``, returning a frame shaped
        like ``yfinance.download`` output; default yfinance. Tests inject recorded frames.
    clock : callable, optional
        Returns the current time as a tz-aware Timestamp (default: now, UTC), for the
        staleness check.

    Notes
    -----
    Each :meth:`next_tick` polls once and returns the newest bar if it is later than the last
    one seen: a monitor that falls behind jumps to the latest price rather than trading on
    old ones. With daily bars, today's bar is live until the close: it is taken when it first
    appears, at its price then. ``HEDGELIB_OFFLINE=1`` makes the feed refuse at once, without touching the
    network; a failed poll raises :class:`FeedError` with yfinance's reason, and the next poll
    tries again.

    Examples
    --------
    >>> import os; os.environ["HEDGELIB_OFFLINE"] = "1"
    >>> YahooFeed("AAPL")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hedgelib.live.feeds.FeedError: YahooFeed needs the network, but HEDGELIB_OFFLINE=1 is set...
    """

    def __init__(self, ticker: str, interval: str = "1m", *, max_age: Any = None,
                 download: Callable[..., pd.DataFrame] | None = None,
                 clock: Callable[[], pd.Timestamp] | None = None) -> None:
        self.ticker = check_ticker(ticker)
        if interval not in INTERVALS:
            raise HedgeLibError(f"interval must be one of {', '.join(INTERVALS)}, got {interval!r}")
        if download is not None and not callable(download):
            raise HedgeLibError(f"download must be callable or None, got {download!r}")
        self.interval = interval
        self.daily = interval == "1d"
        self.time_basis = "trading" if self.daily else "calendar"
        self.periods_per_year = TRADING_DAYS_PER_YEAR
        if max_age is None:
            age = pd.Timedelta(days=4) if self.daily else pd.Timedelta(minutes=20)
        else:
            try:
                age = pd.Timedelta(max_age)
            except (TypeError, ValueError):
                raise HedgeLibError(f"max_age must be a duration such as '20min', got {max_age!r}") from None
            if age is pd.NaT or age <= pd.Timedelta(0):
                raise HedgeLibError(f"max_age must be a positive duration, got {max_age!r}")
        self.max_age = age
        self._download = download if download is not None else _poll_download
        self._clock = clock or (lambda: pd.Timestamp.now(tz="UTC"))
        self.label = f"Yahoo Finance {self.ticker}, {interval} bars"
        self._refuse_offline()

    def __repr__(self) -> str:
        return f"YahooFeed({self.ticker!r}, {self.interval!r})"

    def _refuse_offline(self) -> None:
        if is_offline():
            raise FeedError(
                "YahooFeed needs the network, but HEDGELIB_OFFLINE=1 is set: replay a series "
                "instead (ReplayFeed), which works offline"
            )

    def next_tick(self, after: pd.Timestamp | None) -> Tick | None:
        """Poll once: the newest bar if later than ``after``, else None (no new price).

        Raises :class:`FeedError` when the poll fails or returns nothing usable, and
        :class:`StalePrice` when the newest bar is older than ``max_age``.
        """
        self._refuse_offline()
        try:
            frame = self._download(self.ticker, interval=self.interval, period=INTERVALS[self.interval])
            closes, _ = pick_close(frame, self.ticker)
        except Exception as exc:  # every failure of a poll is a message; the next one retries
            raise FeedError(f"could not poll {self.ticker}: {why_failed(exc)}") from None
        values = pd.to_numeric(pd.Series(np.asarray(closes), index=closes.index), errors="coerce")
        values = values[np.isfinite(values.to_numpy(dtype=np.float64, na_value=np.nan))]
        if values.empty:
            raise FeedError(
                f"Yahoo Finance returned no prices for {self.ticker} ({self.interval} bars over "
                f"the last {INTERVALS[self.interval]}): the market may be closed or the ticker unknown"
            )
        try:
            idx = pd.DatetimeIndex(values.index)
        except (TypeError, ValueError):
            raise FeedError(f"Yahoo Finance returned bars without times for {self.ticker}") from None
        order = np.argsort(idx.asi8, kind="stable")
        stamp, price = idx[order[-1]], float(values.iloc[order[-1]])
        if not (math.isfinite(price) and price > 0):
            raise FeedError(f"Yahoo Finance gave {self.ticker} a price of {price!r} at {stamp}; prices must be positive")
        aware = stamp if stamp.tzinfo is not None else stamp.tz_localize("UTC")
        now = self._clock()
        now = now.tz_localize("UTC") if now.tzinfo is None else now
        # Daily bars keep the exchange's calendar date; intraday times are kept in UTC.
        ts = stamp.tz_localize(None) if self.daily else aware.tz_convert("UTC").tz_localize(None)
        if self.daily:
            ts = ts.normalize()
        if after is not None and ts <= after:
            return None
        age = now - aware
        if age > self.max_age:
            raise StalePrice(
                f"the newest price of {self.ticker} ({price:g} at {aware}) is "
                f"{_duration(age)} old, more than {_duration(self.max_age)}: the market may be closed"
            )
        return Tick(ts, price)


def _duration(delta: pd.Timedelta) -> str:
    minutes = delta.total_seconds() / 60
    if minutes < 120:
        return f"{minutes:.0f} minutes"
    hours = minutes / 60
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"


def offline() -> bool:
    """Whether ``HEDGELIB_OFFLINE`` forbids the network (then a :class:`YahooFeed` refuses)."""
    return is_offline()
