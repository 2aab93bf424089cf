"""Yahoo Finance through ``yfinance``, with a disk cache that serves good downloads offline.

:func:`load_yahoo` downloads any ticker when the network allows and keeps good downloads in
a cache (:func:`yahoo_cache_dir`), served when the network fails or when
``HEDGELIB_OFFLINE=1`` (then the network is never touched).
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgelib.conventions import HedgeLibError, check_date_range, check_int
from hedgelib.market.history import DEFAULT_MIN_ROWS, DateLike, PriceHistory

__all__ = [
    "DownloadFailed",
    "check_ticker",
    "is_offline",
    "load_yahoo",
    "pick_close",
    "why_failed",
    "yahoo_cache_dir",
    "yfinance_frame",
]


_TICKER_RE = re.compile(r"^[A-Z0-9^][A-Z0-9^=._\-]{0,19}$")


_OFFLINE_HINT = "the bundled data or your own CSV work offline"


_CACHE_VERSION = "1"


def is_offline() -> bool:
    return os.environ.get("HEDGELIB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def check_ticker(ticker: Any) -> str:
    if not isinstance(ticker, str):
        raise HedgeLibError(f"ticker must be a string such as 'AAPL', got {ticker!r}")
    t = ticker.strip().upper()
    if not t:
        raise HedgeLibError(f"ticker must not be empty, got {ticker!r}")
    if not _TICKER_RE.match(t):
        raise HedgeLibError(
            f"ticker must be 1-20 letters, digits or ^ = . _ - (e.g. AAPL, ^GSPC, BRK-B, "
            f"EURUSD=X), got {ticker!r}"
        )
    return t


def yahoo_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder where Yahoo downloads are cached.

    Parameters
    ----------
    cache_dir : path or None
        Used as given when not None. Otherwise the environment variable
        ``HEDGELIB_CACHE_DIR``, else the user's cache folder: ``$XDG_CACHE_HOME/hedgelib``
        or ``~/.cache/hedgelib`` (Linux), ``~/Library/Caches/hedgelib`` (macOS),
        ``%LOCALAPPDATA%\\hedgelib\\Cache`` (Windows).

    Returns
    -------
    pathlib.Path
        Not created until something is written.

    Examples
    --------
    >>> yahoo_cache_dir("my-cache").name
    'my-cache'
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("HEDGELIB_CACHE_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "hedgelib" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "hedgelib"
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "hedgelib"


def _cache_stem(ticker: str) -> str:
    # ^ and = are legal tickers but awkward in file names on some systems.
    return re.sub(r"[^A-Z0-9._-]", lambda m: f"%{ord(m.group()):02X}", ticker)


def _cache_path(folder: Path, ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> Path:
    return folder / "yahoo" / f"{_cache_stem(ticker)}__{start.date()}__{end.date()}.csv"


def _write_cache(
    path: Path,
    ticker: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    prices: pd.Series,
    downloaded: pd.Timestamp,
    column: str,
) -> None:
    """Write a download to ``path`` atomically: a header of ``# key: value`` lines, then CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# hedgelib yahoo cache: {_CACHE_VERSION}\n# ticker: {ticker}\n"
        f"# start: {start.date()}\n# end: {end.date()}\n"
        f"# downloaded: {downloaded.date()}\n# column: {column}\n"
    )
    body = prices.to_frame("close").to_csv(
        index_label="date", date_format="%Y-%m-%d", float_format="%.10g"
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(header + body, encoding="utf-8")
    os.replace(tmp, path)  # readers never see a half-written file


def _read_cache(path: Path) -> tuple[dict[str, str], pd.Series] | None:
    """A cache file's header and closes, or None if it is unreadable (then it is ignored)."""
    try:
        text = path.read_text(encoding="utf-8")
        meta: dict[str, str] = {}
        lines = text.splitlines()
        i = 0
        while i < len(lines) and lines[i].startswith("#"):
            key, _, value = lines[i][1:].partition(":")
            meta[key.strip()] = value.strip()
            i += 1
        frame = pd.read_csv(io.StringIO("\n".join(lines[i:])))
        s = pd.Series(
            frame["close"].to_numpy(dtype=np.float64),
            index=pd.DatetimeIndex(pd.to_datetime(frame["date"], format="%Y-%m-%d")),
        )
        if meta.get("hedgelib yahoo cache") != _CACHE_VERSION or not len(s):
            return None
        if not (np.isfinite(s.to_numpy()).all() and (s.to_numpy() > 0).all()):
            return None
        if not (s.index.is_monotonic_increasing and s.index.is_unique):
            return None
        return meta, s
    except (OSError, ValueError, KeyError, UnicodeDecodeError, pd.errors.ParserError):
        return None


def _best_cached(
    folder: Path, ticker: str, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[dict[str, str], pd.Series] | None:
    """The cached download of ``ticker`` with most closes in [start, end]; newest on ties."""
    best: tuple[tuple[int, str], dict[str, str], pd.Series] | None = None
    stem = _cache_stem(ticker)
    for path in sorted((folder / "yahoo").glob(f"{stem}__*.csv")):
        got = _read_cache(path)
        if got is None or got[0].get("ticker") != ticker:
            continue
        meta, s = got
        part = s.loc[start:end]
        rank = (len(part), meta.get("downloaded", ""))
        if best is None or rank > best[0]:
            best = (rank, meta, part)
    return None if best is None else (best[1], best[2])


class DownloadFailed(Exception):
    """A yfinance download returned nothing usable, with yfinance's logged reason."""


class _ThreadErrors(logging.Handler):
    """Collects yfinance's ERROR records emitted by one thread during one download.

    ``yf.download`` catches every exception (network, rate limit, unknown ticker), logs it
    and returns an empty frame; the logged text is the only place the reason survives.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            msg = record.getMessage().strip()
            if msg:
                self.messages.append(msg)


def yfinance_frame(ticker: str, **download_args: Any) -> pd.DataFrame:
    """``yfinance.download`` for one ticker, adjusted closes, with its failure reason kept.

    ``download_args`` go to ``yf.download`` (``start``/``end`` or ``period``, ``interval``).
    yfinance catches its own errors and only logs them; an empty result raises
    ``DownloadFailed`` carrying the logged reason.
    """
    import yfinance as yf

    log = logging.getLogger("yfinance")
    handler = _ThreadErrors()
    log.addHandler(handler)
    try:
        # threads=False keeps the work (and its log records) on this thread.
        frame = yf.download(
            ticker,
            auto_adjust=True,
            progress=False,
            multi_level_index=False,
            threads=False,
            **download_args,
        )
    finally:
        log.removeHandler(handler)
    if (frame is None or frame.empty) and handler.messages:
        raise DownloadFailed("; ".join(handler.messages))
    return frame


def _yfinance_download(ticker: str, start: str, end: str) -> pd.DataFrame:
    """Default downloader of :func:`load_yahoo`; ``end`` is exclusive, as in yfinance."""
    return yfinance_frame(ticker, start=start, end=end)


_RATE_LIMIT_TEXT = ("too many requests", "rate limit")


# yf.download logs curl_cffi's text ("Failed to perform, curl: (6) Could not resolve host").
_NETWORK_TEXT = (
    "could not resolve host",
    "failed to perform",
    "curl:",
    "timed out",
    "connection",
    "network is unreachable",
    "name or service not known",
    "temporary failure in name",
)


def why_failed(exc: BaseException) -> str:
    """A short reason for a failed download, naming the kind of failure."""
    text = f"{type(exc).__name__}: {exc}".strip()
    low = text.lower()
    if type(exc).__name__ == "YFRateLimitError" or any(t in low for t in _RATE_LIMIT_TEXT):
        return f"Yahoo Finance rate limit, try again in a few minutes ({text})"
    if isinstance(exc, OSError) or any(t in low for t in _NETWORK_TEXT):
        return f"no network ({text})"
    if isinstance(exc, DownloadFailed):
        return f"Yahoo Finance returned no usable data ({exc})"
    return f"the download failed ({text})"


def pick_close(frame: pd.DataFrame, ticker: str) -> tuple[pd.Series, str]:
    """The close column of a yfinance frame of any of its shapes, and its name.

    Handles ``yf.download`` with one or two column levels (``('Close', 'AAPL')``, with
    ``group_by`` 'column' or 'ticker') and ``Ticker.history``. Prefers ``Adj Close`` when it
    holds data (``auto_adjust=False``); with ``auto_adjust=True`` ``Close`` is already adjusted.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DownloadFailed(f"the downloader returned {type(frame).__name__}, not a DataFrame")
    cols = frame.columns
    if isinstance(cols, pd.MultiIndex):
        level = next(
            (
                i
                for i in range(cols.nlevels)
                if {"Close", "Adj Close"} & set(cols.get_level_values(i))
            ),
            None,
        )
        if level is None:
            raise DownloadFailed(f"no Close column in {list(cols)}")
        other = [i for i in range(cols.nlevels) if i != level]
        names = {c[other[0]] for c in cols} if other else set()
        if len(other) == 1 and len(names) > 1:
            if ticker not in names:
                raise DownloadFailed(
                    f"{ticker} is not among the downloaded tickers {sorted(names)}"
                )
            frame = frame.xs(ticker, axis=1, level=other[0])
        else:
            frame = frame.droplevel(other, axis=1) if other else frame
            if isinstance(frame.columns, pd.MultiIndex):  # pragma: no cover - 3+ levels
                raise DownloadFailed(f"unexpected columns {list(cols)}")
    for column in ("Adj Close", "Close"):
        if column in frame.columns:
            s = frame[column]
            if isinstance(s, pd.DataFrame):
                s = s.iloc[:, 0]
            if column == "Adj Close" and s.notna().sum() == 0:
                continue
            return s, column
    raise DownloadFailed(f"no Close column in {list(frame.columns)}")


def _normalise_yahoo(
    frame: pd.DataFrame, ticker: str, min_rows: int
) -> tuple[pd.Series, str, list[str]]:
    """Closes on a tz-naive date index from a yfinance frame, with notes; raises on bad data."""
    s, column = pick_close(frame, ticker)
    if len(s) == 0:
        raise DownloadFailed("empty frame")
    try:
        idx = pd.DatetimeIndex(s.index)
    except (TypeError, ValueError):
        raise DownloadFailed(f"index is not dates ({type(s.index).__name__})") from None
    if idx.tz is not None:
        # Daily bars are stamped at midnight exchange time; dropping the zone keeps the
        # exchange's calendar date (converting to UTC would move Tokyo closes a day back).
        idx = idx.tz_localize(None)
    values = pd.to_numeric(pd.Series(s.to_numpy(), index=idx.normalize()), errors="coerce")
    values = values.astype(np.float64)
    notes: list[str] = []
    n_nan = int(values.isna().sum())
    if n_nan:
        values = values.dropna()
        notes.append(f"{n_nan} rows without a close were dropped")
    values = values.sort_index()
    dup = values.index.duplicated(keep="last")
    if dup.any():
        # Yahoo sometimes appends today's live bar beside the day's row: keep the last.
        notes.append(f"{int(dup.sum())} duplicate dates were merged (kept the last close)")
        values = values[~dup]
    v = values.to_numpy()
    bad = ~(np.isfinite(v) & (v > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise HedgeLibError(
            f"could not use {ticker} from Yahoo Finance: the close on "
            f"{values.index[i].date()} is {float(v[i])!r}, and prices must be positive; choose a "
            f"date range without it"
        )
    if len(values) < min_rows:
        raise DownloadFailed(f"only {len(values)} closes, at least {min_rows} needed")
    return values, column, notes


def load_yahoo(
    ticker: str,
    start: DateLike | None = None,
    end: DateLike | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    download: Callable[..., pd.DataFrame] | None = None,
    min_rows: int = DEFAULT_MIN_ROWS,
) -> PriceHistory:
    """Daily closes of any Yahoo Finance ticker, adjusted for splits and dividends.

    Tries the network first; a good download is written to the disk cache. If the download
    fails (no network, rate limit, empty or short result) or ``HEDGELIB_OFFLINE=1`` is set,
    the cached download with the most closes in the range is served instead, with a note
    in ``warnings``; with no usable cache the call raises. It never returns empty data.

    Parameters
    ----------
    ticker : str
        A Yahoo symbol: ``"AAPL"``, ``"^GSPC"``, ``"BRK-B"``, ``"EURUSD=X"``, ``"7203.T"``.
        Case-insensitive; 1-20 of letters, digits and ``^ = . _ -``.
    start, end : date-like or None
        First and last date wanted, both inclusive. ``end`` defaults to today and ``start``
        to ten years before ``end``.
    cache_dir : path or None
        Cache folder; see :func:`yahoo_cache_dir`. Files go under ``<cache_dir>/yahoo/``,
        one CSV per (ticker, start, end) request.
    download : callable or None
        Called as ``download(ticker, start="YYYY-MM-DD", end="YYYY-MM-DD")`` with ``end``
        exclusive (as in yfinance), returning a DataFrame shaped like ``yfinance.download``
        or ``Ticker.history`` output. ``None`` uses ``yfinance.download(...,
        auto_adjust=True, progress=False, multi_level_index=False)``. Tests inject recorded
        frames here.
    min_rows : int, default :data:`DEFAULT_MIN_ROWS`
        Fewer closes than this is a failed download.

    Returns
    -------
    PriceHistory
        ``source`` is ``"Yahoo Finance"`` or ``"Yahoo Finance (disk cache of <date>)"``;
        ``as_of`` is the day of the download.

    Raises
    ------
    HedgeLibError
        For a bad ticker or dates, a non-positive close in the range, or a failed download
        with no usable cache, e.g. ``"could not download AAPL: no network (...); the
        bundled data or your own CSV work offline"``.

    Notes
    -----
    ``yfinance`` with ``auto_adjust=True`` scales every past close by the cumulative
    split and dividend factor, so log returns are total returns; this is the right input
    for hedging a stock that pays dividends only if the option model also ignores them.
    Adjusted history changes after every dividend, so the cache is a fallback, not a
    substitute: the network is always tried first unless offline.

    Examples
    --------
    >>> import os; os.environ["HEDGELIB_OFFLINE"] = "1"
    >>> load_yahoo("AAPL", "2024-01-01", "2024-06-30", cache_dir="no-such-folder")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hedgelib.conventions.HedgeLibError: could not download AAPL: offline (HEDGELIB_OFFLINE=1) ...
    """
    t = check_ticker(ticker)
    n_min = check_int(min_rows, "min_rows", minimum=2)
    if download is not None and not callable(download):
        raise HedgeLibError(f"download must be callable or None, got {download!r}")
    today = pd.Timestamp.today().normalize()
    lo, hi = check_date_range(start, end)
    hi = today if hi is None else hi
    lo = hi - pd.DateOffset(years=10) if lo is None else lo
    if lo > hi:
        raise HedgeLibError(
            f"start must not be after end, got start={lo.date()} and end={hi.date()}"
        )
    folder = yahoo_cache_dir(cache_dir)

    if is_offline():
        reason = "offline (HEDGELIB_OFFLINE=1)"
    else:
        fetch = download if download is not None else _yfinance_download
        try:
            frame = fetch(t, start=str(lo.date()), end=str((hi + pd.Timedelta(days=1)).date()))
            prices, column, notes = _normalise_yahoo(frame, t, n_min)
        except HedgeLibError:
            raise
        except Exception as exc:  # every failure becomes a message, or the cache serves
            reason = why_failed(exc)
        else:
            prices = prices.loc[lo:hi]
            if len(prices) < n_min:
                reason = why_failed(
                    DownloadFailed(f"only {len(prices)} closes in range, at least {n_min} needed")
                )
            else:
                try:
                    _write_cache(_cache_path(folder, t, lo, hi), t, lo, hi, prices, today, column)
                except OSError as exc:
                    notes.append(f"could not write the disk cache ({exc})")
                return PriceHistory(
                    prices=prices,
                    name=t,
                    source="Yahoo Finance",
                    as_of=today,
                    description=_yahoo_description(t, column),
                    warnings=tuple(notes),
                )

    cached = _best_cached(folder, t, lo, hi)
    if cached is None or len(cached[1]) < n_min:
        if cached is None:
            have = " and no cached copy"
        else:
            have = f" (the cache holds only {len(cached[1])} closes in range)"
        raise HedgeLibError(f"could not download {t}: {reason}{have}; {_OFFLINE_HINT}")
    meta, prices = cached
    notes = [f"Yahoo Finance unavailable: {reason}; served the copy cached on {meta['downloaded']}"]
    c_lo, c_hi = pd.Timestamp(meta["start"]), pd.Timestamp(meta["end"])
    if lo < c_lo or hi > c_hi:
        notes.append(
            f"the cached copy covers {prices.index[0].date()} to {prices.index[-1].date()}, "
            f"less than the {lo.date()} to {hi.date()} requested"
        )
    return PriceHistory(
        prices=prices,
        name=t,
        source=f"Yahoo Finance (disk cache of {meta['downloaded']})",
        as_of=pd.Timestamp(meta["downloaded"]),
        description=_yahoo_description(t, meta.get("column", "Close")),
        warnings=tuple(notes),
    )


def _yahoo_description(ticker: str, column: str) -> str:
    return (
        f"Daily closes of {ticker} from Yahoo Finance ({column!r} column), adjusted for "
        f"splits and dividends."
    )
