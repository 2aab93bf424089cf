"""Real daily prices from three sources, in one normalised shape.

Every loader returns a :class:`PriceHistory`: a series of daily closes (float, positive,
finite) on a tz-naive, sorted, unique index of dates, together with where the data came from
and any notes about what was cleaned.

Sources
-------
bundled
    Real daily data shipped inside the ``arch`` package, so the lab works offline:
    the S&P 500 and NASDAQ Composite indices (1999-2018), the CBOE VIX (2014 to early 2019,
    in vol points) and WTI crude oil (1986-2019, FRED). See :data:`BUNDLED`, :func:`list_bundled`,
    :func:`load_bundled`, and :func:`implied_volatility_series` for the VIX as the implied
    volatility of the S&P 500.
Yahoo Finance
    :func:`load_yahoo` downloads any ticker through ``yfinance`` when the network allows and
    keeps good downloads in a disk cache, served when the network fails or when
    ``HEDGELIB_OFFLINE=1``.
CSV
    :func:`load_csv` reads a file the user uploads (a path, bytes, or a file-like such as
    Streamlit's ``UploadedFile``) and validates it, naming the problem and the line.

Examples
--------
>>> from hedgelib.market.data import load_bundled
>>> spx = load_bundled("sp500", start="2018-01-01")
>>> spx.name, spx.first_date.date().isoformat(), len(spx)
('S&P 500', '2018-01-02', 251)
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError, check_int, check_positive

__all__ = [
    "BUNDLED",
    "DEFAULT_MIN_ROWS",
    "MAX_CSV_BYTES",
    "BundledDataset",
    "PriceHistory",
    "implied_volatility_series",
    "list_bundled",
    "load_bundled",
    "load_csv",
    "load_yahoo",
    "yahoo_cache_dir",
]

#: Fewest daily closes a CSV file or a Yahoo download must hold to be usable.
DEFAULT_MIN_ROWS = 10
#: Largest CSV accepted by default (bytes). Twenty years of daily OHLCV is about 0.5 MB.
MAX_CSV_BYTES = 10_000_000

DateLike = str | pd.Timestamp | np.datetime64 | Any


# --------------------------------------------------------------------------------------
# The normalised shape
# --------------------------------------------------------------------------------------


def _to_date(value: DateLike, name: str) -> pd.Timestamp:
    """A date argument as a tz-naive midnight Timestamp, or a HedgeLibError naming it."""
    if value is None or isinstance(value, bool | int | float | np.number):
        # pandas would read a bare number as nanoseconds since 1970: never what was meant.
        raise HedgeLibError(f"{name} must be a date such as '2020-01-31', got {value!r}")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        raise HedgeLibError(f"{name} must be a date such as '2020-01-31', got {value!r}") from None
    if ts is pd.NaT or pd.isna(ts):
        raise HedgeLibError(f"{name} must be a date such as '2020-01-31', got {value!r}")
    if ts.tzinfo is not None:
        # The local calendar date is what a daily close belongs to.
        ts = ts.tz_localize(None)
    return ts.normalize()


def _date_range_args(
    start: DateLike | None, end: DateLike | None
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    lo = None if start is None else _to_date(start, "start")
    hi = None if end is None else _to_date(end, "end")
    if lo is not None and hi is not None and lo > hi:
        raise HedgeLibError(
            f"start must not be after end, got start={lo.date().isoformat()} and "
            f"end={hi.date().isoformat()}"
        )
    return lo, hi


@dataclass(frozen=True, eq=False)
class PriceHistory:
    """Daily closes of one instrument, with where they came from.

    Every loader in this module (bundled, Yahoo Finance, CSV) returns this one shape, so the
    rest of the library and the app never care about the source.

    Parameters
    ----------
    prices : pandas.Series
        Daily closes in the instrument's currency (or its units, e.g. vol points for the VIX):
        float, positive and finite, indexed by a tz-naive, strictly increasing
        DatetimeIndex of dates (midnight). At least two rows. A copy is stored, named after
        ``name``, with the index named ``"date"``.
    name : str
        Display name, e.g. ``"S&P 500"`` or ``"AAPL"``.
    source : str
        Where the data came from, e.g. ``"bundled (arch.data.sp500)"``, ``"Yahoo Finance"``,
        ``"CSV upload: prices.csv"``.
    as_of : pandas.Timestamp
        The date the data were obtained from their source when that is known (the day of a
        Yahoo download, also for a copy served from the disk cache); otherwise the last date
        in the data (bundled snapshots, CSV files).
    description : str
        One or two sentences for a user: what the series is and which column was used.
    warnings : tuple of str
        Human-readable notes about what was cleaned or looks suspicious, e.g.
        ``"rows were newest first and were sorted oldest first"``.

    Raises
    ------
    HedgeLibError
        If ``prices`` is not such a series; the message names the first offending date.

    Notes
    -----
    Returns are measured on the data's own trading days: :meth:`to_paths` places row ``i``
    at time ``i / 252`` years, the convention of Hull (*Options, Futures, and Other
    Derivatives*, ch. 15) for estimating volatility from daily closes.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"])
    >>> h = PriceHistory(pd.Series([100.0, 101.0, 99.0], index=idx), name="demo",
    ...                  source="example", as_of=idx[-1])
    >>> round(float(h.log_returns().iloc[0]), 6)
    0.00995
    """

    prices: pd.Series
    name: str
    source: str
    as_of: pd.Timestamp
    description: str = ""
    warnings: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for attr in ("name", "source", "description"):
            if not isinstance(getattr(self, attr), str):
                raise HedgeLibError(f"{attr} must be a string, got {getattr(self, attr)!r}")
        if not self.name.strip():
            raise HedgeLibError(f"name must not be empty, got {self.name!r}")
        warns = self.warnings
        if isinstance(warns, str) or not all(isinstance(w, str) for w in warns):
            raise HedgeLibError(f"warnings must be a tuple of strings, got {warns!r}")
        object.__setattr__(self, "warnings", tuple(warns))
        object.__setattr__(self, "as_of", _to_date(self.as_of, "as_of"))

        s = self.prices
        if not isinstance(s, pd.Series):
            raise HedgeLibError(f"prices must be a pandas Series, got {type(s).__name__}")
        idx = s.index
        if not isinstance(idx, pd.DatetimeIndex):
            raise HedgeLibError(
                f"prices must be indexed by dates (a DatetimeIndex), got {type(idx).__name__}"
            )
        if idx.tz is not None:
            raise HedgeLibError(f"prices index must be tz-naive, got timezone {idx.tz}")
        if len(s) < 2:
            raise HedgeLibError(f"prices must hold at least 2 rows, got {len(s)}")
        not_midnight = idx != idx.normalize()
        if not_midnight.any():
            raise HedgeLibError(
                f"prices index must hold dates (midnight), got {idx[not_midnight][0]}"
            )
        dup = idx.duplicated()
        if dup.any():
            raise HedgeLibError(f"prices index must be unique, got {idx[dup][0].date()} twice")
        if not idx.is_monotonic_increasing:
            pos = int(np.argmax(np.diff(idx.asi8) < 0)) + 1
            raise HedgeLibError(
                f"prices index must be sorted oldest first, got {idx[pos].date()} after "
                f"{idx[pos - 1].date()}"
            )
        try:
            values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise HedgeLibError(f"prices must be numbers, got dtype {s.dtype}") from None
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            i = int(np.argmax(bad))
            raise HedgeLibError(
                f"prices must be positive and finite, got {float(values[i])!r} on {idx[i].date()}"
            )
        clean = pd.Series(
            values.copy(), index=pd.DatetimeIndex(idx.values, name="date"), name=self.name
        )
        object.__setattr__(self, "prices", clean)

    # -- views -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.prices)

    def __repr__(self) -> str:
        return (
            f"PriceHistory(name={self.name!r}, source={self.source!r}, rows={len(self)}, "
            f"{self.first_date.date()}..{self.last_date.date()}, warnings={len(self.warnings)})"
        )

    @property
    def first_date(self) -> pd.Timestamp:
        """Date of the first close."""
        return self.prices.index[0]

    @property
    def last_date(self) -> pd.Timestamp:
        """Date of the last close."""
        return self.prices.index[-1]

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The dates of the closes, oldest first."""
        return self.prices.index

    def between(self, start: DateLike | None = None, end: DateLike | None = None) -> PriceHistory:
        """The closes from ``start`` to ``end``, both inclusive; ``None`` leaves that end open.

        Parameters
        ----------
        start, end : date-like or None
            Anything ``pandas.Timestamp`` reads: ``"2020-01-31"``, a ``date``, a Timestamp.

        Returns
        -------
        PriceHistory
            Same name, source, description and warnings; at least two rows.

        Raises
        ------
        HedgeLibError
            If ``start`` is after ``end`` or fewer than two closes fall in the range.

        Examples
        --------
        >>> h = load_bundled("sp500")
        >>> len(h.between("2018-12-24", "2018-12-31"))
        5
        """
        lo, hi = _date_range_args(start, end)
        sliced = self.prices.loc[lo:hi]
        if len(sliced) < 2:
            lo_s = "the start" if lo is None else lo.date().isoformat()
            hi_s = "the end" if hi is None else hi.date().isoformat()
            raise HedgeLibError(
                f"only {len(sliced)} close(s) of {self.name} between {lo_s} and {hi_s}; "
                f"the data cover {self.first_date.date()} to {self.last_date.date()}"
            )
        return PriceHistory(
            prices=sliced,
            name=self.name,
            source=self.source,
            as_of=self.as_of,
            description=self.description,
            warnings=self.warnings,
        )

    def log_returns(self) -> pd.Series:
        """Daily log returns ``log(S_i / S_{i-1})``, indexed by the date of ``S_i``.

        Returns
        -------
        pandas.Series
            ``len(self) - 1`` floats.

        Examples
        --------
        >>> r = load_bundled("sp500").between("2018-12-24", "2018-12-31").log_returns()
        >>> len(r), round(float(r.iloc[0]), 4)  # Boxing Day 2018: the index rose 4.96%
        (4, 0.0484)
        """
        s = self.prices
        r = np.diff(np.log(s.to_numpy()))
        return pd.Series(r, index=s.index[1:], name="log return")

    def to_paths(self) -> Any:
        """The closes as one path on trading-day time, for the hedging engine.

        Returns
        -------
        hedgelib.market.models.Paths
            ``times = arange(n) / 252`` years and ``spot`` of shape ``(n, 1)``: row ``i`` is
            the ``i``-th close, whatever the calendar gap to the previous one.

        Examples
        --------
        >>> p = load_bundled("sp500").between("2018-01-01", "2018-12-31").to_paths()
        >>> p.spot.shape, round(float(p.times[-1]), 4)
        ((251, 1), 0.9921)
        """
        from hedgelib.market.models import Paths  # models imports numpy only; keep data light

        n = len(self.prices)
        times = np.arange(n, dtype=np.float64) / TRADING_DAYS_PER_YEAR
        return Paths(times=times, spot=self.prices.to_numpy(dtype=np.float64).reshape(n, 1))


# --------------------------------------------------------------------------------------
# Bundled data (arch.data)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundledDataset:
    """One real daily series shipped inside the ``arch`` package.

    Parameters
    ----------
    key : str
        Short name for :func:`load_bundled`.
    name : str
        Display name.
    module : str
        The ``arch.data`` submodule whose ``load()`` returns the data.
    column : str
        The column used as the daily close.
    description : str
        One line for a user, with units.
    """

    key: str
    name: str
    module: str
    column: str
    description: str

    @property
    def source(self) -> str:
        return f"bundled ({self.module})"


BUNDLED: Mapping[str, BundledDataset] = MappingProxyType(
    {
        d.key: d
        for d in (
            BundledDataset(
                "sp500",
                "S&P 500",
                "arch.data.sp500",
                "Adj Close",
                "S&P 500 index daily closes, 1999-2018, in index points (a price index: "
                "dividends are not reinvested).",
            ),
            BundledDataset(
                "nasdaq",
                "NASDAQ Composite",
                "arch.data.nasdaq",
                "Adj Close",
                "NASDAQ Composite index daily closes, 1999-2018, in index points (a price "
                "index: dividends are not reinvested).",
            ),
            BundledDataset(
                "vix",
                "CBOE VIX",
                "arch.data.vix",
                "vix",
                "CBOE VIX daily closes, January 2014 to January 2019, in vol points "
                "(20 = 20% a year): the 30-day implied volatility of S&P 500 options.",
            ),
            BundledDataset(
                "wti",
                "WTI crude oil",
                "arch.data.wti",
                "DCOILWTICO",
                "West Texas Intermediate crude oil spot price (FRED DCOILWTICO), 1986-2019, "
                "in US dollars per barrel.",
            ),
        )
    }
)


@lru_cache(maxsize=len(BUNDLED))
def _bundled_raw(key: str) -> tuple[pd.Series, int]:
    """The raw column of a bundled dataset without its empty rows, and how many were empty.

    Cached because decompressing the CSV costs milliseconds on every app rerun; callers get
    the cached Series and must not mutate it (PriceHistory copies).
    """
    spec = BUNDLED[key]
    frame = _read_arch_file(spec.module)
    col = pd.to_numeric(frame[spec.column], errors="coerce").astype(np.float64)
    col.index = pd.DatetimeIndex(pd.to_datetime(col.index)).normalize()
    n_missing = int(col.isna().sum())
    return col.dropna(), n_missing


def _read_arch_file(module: str) -> pd.DataFrame:
    """The frame ``arch.data.<name>.load()`` returns, without importing ``arch`` if possible.

    ``import arch`` takes about two seconds (it loads its models); the data are plain
    ``<name>/<name>.csv.gz`` files inside the package, with a ``Date`` column. Locating the
    package does not execute it. If the file is not where this arch version keeps it, fall
    back to arch's own loader.
    """
    import importlib
    import importlib.util

    name = module.rsplit(".", 1)[1]
    spec = importlib.util.find_spec("arch")
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    for root in roots:
        path = Path(root) / "data" / name / f"{name}.csv.gz"
        if path.is_file():
            frame = pd.read_csv(path)
            if "Date" in frame.columns:
                return frame.set_index(pd.DatetimeIndex(pd.to_datetime(frame["Date"])))
    return importlib.import_module(module).load()


def _bundled_key(key: Any) -> str:
    if isinstance(key, str) and key.strip().lower() in BUNDLED:
        return key.strip().lower()
    raise HedgeLibError(f"key must be one of {sorted(BUNDLED)}, got {key!r}")


def load_bundled(
    key: str, start: DateLike | None = None, end: DateLike | None = None
) -> PriceHistory:
    """Load a real daily series that ships with the ``arch`` package (offline).

    Parameters
    ----------
    key : {"sp500", "nasdaq", "vix", "wti"}
        Which series (case-insensitive); see :data:`BUNDLED` or :func:`list_bundled`.
    start, end : date-like or None
        Keep closes from ``start`` to ``end``, both inclusive.

    Returns
    -------
    PriceHistory
        ``source`` is ``"bundled (arch.data.<key>)"``; ``as_of`` is the last date of the
        full dataset (the snapshot date; ``arch`` does not record when it was taken). Days
        the source lists without a value (exchange holidays in the VIX and WTI files) are
        dropped, with a note in ``warnings``.

    Notes
    -----
    The S&P 500 and NASDAQ series use the ``Adj Close`` column, which equals ``Close`` for
    these price indices. The VIX is in vol points: divide by 100 for the decimal
    volatility the library uses, or call :func:`implied_volatility_series`.

    Examples
    --------
    >>> wti = load_bundled("wti", start="2008-01-01", end="2008-12-31")
    >>> round(float(wti.prices.max()), 2)  # the July 2008 peak, dollars per barrel
    145.31
    """
    k = _bundled_key(key)
    spec = BUNDLED[k]
    raw, n_missing = _bundled_raw(k)
    notes = ()
    if n_missing:
        notes = (f"{n_missing} dates listed without a value (holidays) were dropped",)
    full = PriceHistory(
        prices=raw,
        name=spec.name,
        source=spec.source,
        as_of=raw.index[-1],
        description=spec.description,
        warnings=notes,
    )
    if start is None and end is None:
        return full
    return full.between(start, end)


def list_bundled() -> pd.DataFrame:
    """The bundled datasets: key, name, description, first and last date, rows.

    Returns
    -------
    pandas.DataFrame
        One row per dataset, indexed 0..3, with columns ``key, name, description,
        first_date, last_date, rows, source``.

    Examples
    --------
    >>> list_bundled()["key"].tolist()
    ['sp500', 'nasdaq', 'vix', 'wti']
    """
    rows = []
    for k, spec in BUNDLED.items():
        raw, _ = _bundled_raw(k)
        rows.append(
            {
                "key": k,
                "name": spec.name,
                "description": spec.description,
                "first_date": raw.index[0],
                "last_date": raw.index[-1],
                "rows": len(raw),
                "source": spec.source,
            }
        )
    return pd.DataFrame(rows)


def implied_volatility_series(
    dates: PriceHistory
    | pd.Series
    | pd.DataFrame
    | pd.DatetimeIndex
    | Iterable[DateLike]
    | None = None,
    *,
    max_stale_days: int = 5,
) -> pd.Series:
    """The bundled VIX as a decimal implied volatility of the S&P 500, on given dates.

    Parameters
    ----------
    dates : PriceHistory, Series, DataFrame, DatetimeIndex, list of dates, or None
        The dates wanted (for a series or frame, its index). ``None`` gives every VIX close.
    max_stale_days : int, default 5
        A date without its own VIX close takes the last close at most this many calendar
        days earlier (a long weekend with a holiday is 4 days); older than that is missing.

    Returns
    -------
    pandas.Series
        ``VIX / 100`` (0.2 = 20% a year), indexed by the requested dates (normalised).

    Raises
    ------
    HedgeLibError
        If any requested date has no VIX close within ``max_stale_days`` (the VIX data
        cover 2014-01-03 to 2019-01-03); the message names the first such date.

    Notes
    -----
    The VIX is the square root of a model-free 30-day variance swap rate on the S&P 500,
    built from out-of-the-money option prices (CBOE VIX White Paper; Carr and Wu 2006,
    "A tale of two indices"). Because of the volatility skew it usually sits a little
    above at-the-money Black-Scholes implied volatility, so it is a fair, slightly high,
    stand-in for the volatility at which a trader would have priced and hedged index
    options on that day.

    Examples
    --------
    >>> spx = load_bundled("sp500", start="2018-02-01", end="2018-02-09")
    >>> iv = implied_volatility_series(spx)
    >>> round(float(iv.loc["2018-02-05"]), 4)  # "Volmageddon": VIX closed at 37.32
    0.3732
    """
    stale = check_int(max_stale_days, "max_stale_days", minimum=0)
    raw, _ = _bundled_raw("vix")
    vix = (raw / 100.0).rename("VIX implied volatility")
    if dates is None:
        return vix.copy()
    if isinstance(dates, PriceHistory):
        idx = dates.dates
    elif isinstance(dates, pd.Series | pd.DataFrame):
        idx = dates.index
    else:
        idx = dates
    try:
        want = pd.DatetimeIndex(idx)
    except (TypeError, ValueError):
        raise HedgeLibError(f"dates must be dates, got {dates!r}") from None
    if want.tz is not None:
        want = want.tz_localize(None)
    want = want.normalize()
    if not want.is_monotonic_increasing:
        raise HedgeLibError("dates must be sorted oldest first")
    aligned = vix.reindex(want, method="ffill", tolerance=pd.Timedelta(days=stale))
    missing = aligned.isna().to_numpy()
    if missing.any():
        d = want[int(np.argmax(missing))]
        raise HedgeLibError(
            f"no VIX close on or within {stale} days before {d.date()}; the bundled VIX "
            f"covers {raw.index[0].date()} to {raw.index[-1].date()}"
        )
    aligned.index.name = "date"
    return aligned


# --------------------------------------------------------------------------------------
# Yahoo Finance
# --------------------------------------------------------------------------------------

_TICKER_RE = re.compile(r"^[A-Z0-9^][A-Z0-9^=._\-]{0,19}$")
_OFFLINE_HINT = "the bundled data or your own CSV work offline"
_CACHE_VERSION = "1"


def _is_offline() -> bool:
    return os.environ.get("HEDGELIB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _check_ticker(ticker: Any) -> str:
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


class _DownloadFailed(Exception):
    """Internal: the default downloader got nothing, with yfinance's logged reason."""


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


def _yfinance_download(ticker: str, start: str, end: str) -> pd.DataFrame:
    """Default downloader: ``yfinance.download`` for one ticker, adjusted closes.

    ``end`` is exclusive, as in yfinance. Raises ``_DownloadFailed`` carrying yfinance's
    logged reason when the result is empty.
    """
    import yfinance as yf

    log = logging.getLogger("yfinance")
    handler = _ThreadErrors()
    log.addHandler(handler)
    try:
        # threads=False keeps the work (and its log records) on this thread.
        frame = yf.download(
            ticker,
            start=start,
            end=end,
            auto_adjust=True,
            progress=False,
            multi_level_index=False,
            threads=False,
        )
    finally:
        log.removeHandler(handler)
    if (frame is None or frame.empty) and handler.messages:
        raise _DownloadFailed("; ".join(handler.messages))
    return frame


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


def _why(exc: BaseException) -> str:
    """A short reason for a failed download, naming the kind of failure."""
    text = f"{type(exc).__name__}: {exc}".strip()
    low = text.lower()
    if type(exc).__name__ == "YFRateLimitError" or any(t in low for t in _RATE_LIMIT_TEXT):
        return f"Yahoo Finance rate limit, try again in a few minutes ({text})"
    if isinstance(exc, OSError) or any(t in low for t in _NETWORK_TEXT):
        return f"no network ({text})"
    if isinstance(exc, _DownloadFailed):
        return f"Yahoo Finance returned no usable data ({exc})"
    return f"the download failed ({text})"


def _pick_close(frame: pd.DataFrame, ticker: str) -> tuple[pd.Series, str]:
    """The close column of a yfinance frame of any of its shapes, and its name.

    Handles ``yf.download`` with one or two column levels (``('Close', 'AAPL')``, with
    ``group_by`` 'column' or 'ticker') and ``Ticker.history``. Prefers ``Adj Close`` when it
    holds data (``auto_adjust=False``); with ``auto_adjust=True`` ``Close`` is already adjusted.
    """
    if not isinstance(frame, pd.DataFrame):
        raise _DownloadFailed(f"the downloader returned {type(frame).__name__}, not a DataFrame")
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
            raise _DownloadFailed(f"no Close column in {list(cols)}")
        other = [i for i in range(cols.nlevels) if i != level]
        names = {c[other[0]] for c in cols} if other else set()
        if len(other) == 1 and len(names) > 1:
            if ticker not in names:
                raise _DownloadFailed(
                    f"{ticker} is not among the downloaded tickers {sorted(names)}"
                )
            frame = frame.xs(ticker, axis=1, level=other[0])
        else:
            frame = frame.droplevel(other, axis=1) if other else frame
            if isinstance(frame.columns, pd.MultiIndex):  # pragma: no cover - 3+ levels
                raise _DownloadFailed(f"unexpected columns {list(cols)}")
    for column in ("Adj Close", "Close"):
        if column in frame.columns:
            s = frame[column]
            if isinstance(s, pd.DataFrame):
                s = s.iloc[:, 0]
            if column == "Adj Close" and s.notna().sum() == 0:
                continue
            return s, column
    raise _DownloadFailed(f"no Close column in {list(frame.columns)}")


def _normalise_yahoo(
    frame: pd.DataFrame, ticker: str, min_rows: int
) -> tuple[pd.Series, str, list[str]]:
    """Closes on a tz-naive date index from a yfinance frame, with notes; raises on bad data."""
    s, column = _pick_close(frame, ticker)
    if len(s) == 0:
        raise _DownloadFailed("empty frame")
    try:
        idx = pd.DatetimeIndex(s.index)
    except (TypeError, ValueError):
        raise _DownloadFailed(f"index is not dates ({type(s.index).__name__})") from None
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
        raise _DownloadFailed(f"only {len(values)} closes, at least {min_rows} needed")
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
    t = _check_ticker(ticker)
    n_min = check_int(min_rows, "min_rows", minimum=2)
    if download is not None and not callable(download):
        raise HedgeLibError(f"download must be callable or None, got {download!r}")
    today = pd.Timestamp.today().normalize()
    lo, hi = _date_range_args(start, end)
    hi = today if hi is None else hi
    lo = hi - pd.DateOffset(years=10) if lo is None else lo
    if lo > hi:
        raise HedgeLibError(
            f"start must not be after end, got start={lo.date()} and end={hi.date()}"
        )
    folder = yahoo_cache_dir(cache_dir)

    if _is_offline():
        reason = "offline (HEDGELIB_OFFLINE=1)"
    else:
        fetch = download if download is not None else _yfinance_download
        try:
            frame = fetch(t, start=str(lo.date()), end=str((hi + pd.Timedelta(days=1)).date()))
            prices, column, notes = _normalise_yahoo(frame, t, n_min)
        except HedgeLibError:
            raise
        except Exception as exc:  # every failure becomes a message, or the cache serves
            reason = _why(exc)
        else:
            prices = prices.loc[lo:hi]
            if len(prices) < n_min:
                reason = _why(
                    _DownloadFailed(f"only {len(prices)} closes in range, at least {n_min} needed")
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


# --------------------------------------------------------------------------------------
# CSV upload
# --------------------------------------------------------------------------------------

# Normalised header names (lower case, letters and digits only), best first.
_DATE_NAMES = (
    "date",
    "datetime",
    "timestamp",
    "time",
    "day",
    "tradedate",
    "tradingdate",
    "asofdate",
    "pricedate",
    "valuedate",
)
_PRICE_NAMES = (
    "adjclose",
    "adjustedclose",
    "close",
    "closelast",
    "closeprice",
    "closingprice",
    "price",
    "last",
    "lastprice",
    "pxlast",
    "settle",
    "settlement",
    "value",
    "nav",
)
_MISSING = {"", "na", "n/a", "nan", "null", "none", "-", "--", "#n/a", "nil"}
_CURRENCY = "$€£¥₹₩₽₺₪฿"
_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_TIME_RE = re.compile(
    r"^(?P<date>.+?)[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?"  # the date, then a time of day,
    r"\s*([aApP][mM])?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"  # then an optional am/pm and zone
)
# Tried in order; on a tie (every value parses both ways) the earlier wins, with a warning:
# month first, as in pandas, unless dayfirst=True swaps each ambiguous pair.
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%m-%d-%Y",
    "%d-%m-%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%b %d %Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%d-%b-%y",
    "%m/%d/%y",
    "%d/%m/%y",
)
_AMBIGUOUS = {("%m/%d/%Y", "%d/%m/%Y"), ("%m-%d-%Y", "%d-%m-%Y"), ("%m/%d/%y", "%d/%m/%y")}


def _norm_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.strip().lower())


def _read_bytes(source: Any, max_bytes: int) -> tuple[bytes, str, str]:
    """The raw bytes of ``source``, its file name, and the wording for ``PriceHistory.source``."""

    def too_big(n: int) -> HedgeLibError:
        return HedgeLibError(
            f"file too large: {n / 1e6:.1f} MB, the limit is {max_bytes / 1e6:.1f} MB "
            f"(max_bytes={max_bytes}); daily closes for decades fit in well under 1 MB"
        )

    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise HedgeLibError(f"source is not a file: {str(source)!r}")
        size = path.stat().st_size
        if size > max_bytes:
            raise too_big(size)
        return path.read_bytes(), path.name, f"CSV file: {path.name}"
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > max_bytes:
            raise too_big(len(data))
        return data, "data.csv", "CSV upload"
    fname = getattr(source, "name", None)
    fname = Path(fname).name if isinstance(fname, str) and fname else "upload.csv"
    size = getattr(source, "size", None)
    if isinstance(size, int) and size > max_bytes:
        raise too_big(size)
    if hasattr(source, "getvalue"):
        data = source.getvalue()
    elif hasattr(source, "read"):
        data = source.read(max_bytes + 1)
    else:
        raise HedgeLibError(
            f"source must be a path, bytes or a file-like object, got {type(source).__name__}"
        )
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, bytes | bytearray):
        raise HedgeLibError(f"source gave {type(data).__name__}, not bytes or text")
    if len(data) > max_bytes:
        raise too_big(len(data))
    return bytes(data), fname, f"CSV upload: {fname}"


def _decode(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (BOM optional) or UTF-16 with a BOM; anything else is refused.

    Guessing a legacy code page would silently turn a stray byte into a wrong character;
    asking for UTF-8 (what Excel's "CSV UTF-8" writes) is the safe, explainable rule.
    """
    if data[:4] == b"PK\x03\x04":
        raise HedgeLibError(
            "the file is a zip archive (an Excel .xlsx workbook?), not CSV text; save it as "
            "CSV (comma delimited) and upload that"
        )
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise HedgeLibError(
            "the file is an old Excel .xls workbook, not CSV text; save it as CSV and upload that"
        )
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise HedgeLibError(
                f"the file starts like UTF-16 text but is not valid UTF-16 ({exc.reason})"
            ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise HedgeLibError(
            f"the file is binary, not CSV text (a NUL byte on line {line}); upload a CSV file"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise HedgeLibError(
            f"wrong encoding: byte 0x{data[exc.start]:02X} on line {line} is not UTF-8; save "
            f"the file as 'CSV UTF-8'"
        ) from None


def _split_rows(text: str) -> tuple[list[str], int, list[tuple[int, list[str]]]]:
    """Header, its line number, and (line number, fields) of the data rows.

    Line numbers are the file's own (the header is line 1 unless blank lines precede it).
    """
    first = next(
        (ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), ""
    )
    # The delimiter is whichever candidate the header uses most: a header is plain text,
    # while data rows may hold quoted '1,234.50' prices that would fool a count there.
    delim = max(",;\t|", key=first.count)
    if first.count(delim) == 0:
        delim = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, skipinitialspace=True)
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, list[str]]] = []
    try:
        for fields in reader:
            if not "".join(fields).strip():
                continue
            if header is None:
                if fields[0].lstrip().startswith("#"):
                    continue  # a comment before the header, as some exporters write
                header = [f.strip() for f in fields]
                header_line = reader.line_num
            else:
                rows.append((reader.line_num, fields))
    except csv.Error as exc:
        raise HedgeLibError(f"the file is not valid CSV: {exc} (line {reader.line_num})") from None
    if header is None:
        raise HedgeLibError("the file is empty: it holds no header and no rows")
    return header, header_line, rows


def _looks_like_date(text: str) -> bool:
    t = text.strip()
    m = _TIME_RE.match(t)
    t = m.group("date") if m else t
    for fmt in _DATE_FORMATS:
        try:
            pd.to_datetime(t, format=fmt)
            return True
        except (ValueError, TypeError):
            continue
    return False


def _pick_columns(
    header: list[str],
    rows: list[tuple[int, list[str]]],
    date_column: str | None,
    price_column: str | None,
) -> tuple[int, int]:
    names = [_norm_name(h) for h in header]
    shown = ", ".join(repr(h) for h in header)

    def find(arg: str, what: str) -> int:
        if not isinstance(arg, str) or not arg.strip():
            raise HedgeLibError(f"{what} must be a column name, got {arg!r}")
        exact = [i for i, h in enumerate(header) if h == arg]
        loose = [i for i, h in enumerate(header) if h.strip().lower() == arg.strip().lower()]
        hit = exact or loose
        if not hit:
            raise HedgeLibError(f"{what}={arg!r} is not a column; the columns are {shown}")
        return hit[0]

    if date_column is not None:
        d = find(date_column, "date_column")
    else:
        d = next((names.index(n) for n in _DATE_NAMES if n in names), None)
        if d is None:
            d = next((i for i, n in enumerate(names) if "date" in n), None)
        if d is None and rows and rows[0][1] and _looks_like_date(rows[0][1][0]):
            d = 0
        if d is None:
            raise HedgeLibError(
                f"no date column found (looked for Date, Time, Timestamp); the columns are "
                f"{shown}; name one with date_column="
            )
    if price_column is not None:
        p = find(price_column, "price_column")
    else:
        p = next((names.index(n) for n in _PRICE_NAMES if n in names and names.index(n) != d), None)
        if p is None:
            numeric = []
            sample = rows[:50]
            for i in range(len(header)):
                if i == d:
                    continue
                vals = [
                    f[i] for _, f in sample if i < len(f) and f[i].strip().lower() not in _MISSING
                ]
                if vals and all(_parse_price(v)[0] is not None for v in vals):
                    numeric.append(i)
            if len(numeric) == 1:
                p = numeric[0]
            elif not numeric:
                raise HedgeLibError(
                    f"no price column found (looked for Adj Close, Close, Price, Last, Value, "
                    f"or a single numeric column); the columns are {shown}; name one with "
                    f"price_column="
                )
            else:
                several = ", ".join(repr(header[i]) for i in numeric)
                raise HedgeLibError(
                    f"several numeric columns ({several}) and none is named like a close; "
                    f"choose one with price_column="
                )
    if p == d:
        raise HedgeLibError(f"date and price columns must differ, both are {header[d]!r}")
    return d, p


def _parse_price(raw: str) -> tuple[float | None, str]:
    """(value, "") for a number; (None, reason) otherwise. ``None, "missing"`` for blanks.

    Accepted: a decimal point, an optional currency symbol before or after the number,
    and commas as thousands separators in whole groups of three (1,234,567.89). A decimal
    comma (1234,56) is refused: it cannot be told apart from a thousands separator.
    """
    t = raw.strip().strip('"').strip()
    if t.lower() in _MISSING:
        return None, "missing"
    t = t.replace("\u00a0", "").replace(" ", "")
    sign = ""
    if t[:1] in "+-":
        sign, t = t[:1], t[1:]
    t = t.strip(_CURRENCY)
    if t[:1] in "+-" and not sign:
        sign, t = t[:1], t[1:]
    t = sign + t
    if "," in t:
        if not _GROUPED_RE.match(t):
            return None, "not a number (decimal commas are not supported: use a decimal point)"
        t = t.replace(",", "")
    if t.lower().lstrip("+-") in {"inf", "infinity"}:
        return math.inf, ""
    if not _NUMBER_RE.match(t):
        return None, "not a number"
    return float(t), ""


def _parse_dates(raw: list[str], dayfirst: bool) -> tuple[pd.DatetimeIndex, str, bool, bool]:
    """Parse the date strings with the single format that reads the most of them.

    Returns the dates (NaT where unreadable), the format, whether it was ambiguous (every
    value also reads with day and month swapped), and whether the values carried a time.
    """
    parts = []
    timed = False
    for r in raw:
        t = r.strip()
        m = _TIME_RE.match(t)
        timed = timed or m is not None
        parts.append(m.group("date").strip() if m else t)
    values = pd.Series(parts, dtype=object)
    formats = list(_DATE_FORMATS)
    if dayfirst:
        for a, b in _AMBIGUOUS:
            ia, ib = formats.index(a), formats.index(b)
            formats[ia], formats[ib] = formats[ib], formats[ia]
    best: tuple[int, str, pd.DatetimeIndex] | None = None
    counts: dict[str, int] = {}

    def attempt(fmt: str) -> pd.DatetimeIndex:
        parsed = pd.DatetimeIndex(pd.to_datetime(values, format=fmt, errors="coerce"))
        counts[fmt] = int(parsed.notna().sum())
        return parsed

    for fmt in formats:
        parsed = attempt(fmt)
        if best is None or counts[fmt] > best[0]:
            best = (counts[fmt], fmt, parsed)
        if counts[fmt] == len(values):
            break  # a format reads everything: only its day/month twin can tie
    assert best is not None
    n, fmt, parsed = best
    ambiguous = False
    for pair in _AMBIGUOUS:
        if fmt in pair:
            twin = pair[1] if fmt == pair[0] else pair[0]
            if twin not in counts:
                attempt(twin)
            ambiguous = counts[twin] == n
    return parsed, fmt, ambiguous, timed


def load_csv(
    source: Any,
    *,
    date_column: str | None = None,
    price_column: str | None = None,
    name: str | None = None,
    min_rows: int = DEFAULT_MIN_ROWS,
    max_bytes: int = MAX_CSV_BYTES,
    dayfirst: bool = False,
    drop_missing: bool = False,
    jump_threshold: float = 0.5,
) -> PriceHistory:
    """Read and validate a CSV file of daily closes.

    Parameters
    ----------
    source : path, bytes, or file-like
        A path (``str`` or ``PathLike``; a ``str`` is always a path, never CSV text), the
        file's bytes, or an object with ``getvalue()`` or ``read()`` (Streamlit's
        ``UploadedFile``, ``io.BytesIO``, ``io.StringIO``); its ``.name`` names the file.
    date_column, price_column : str or None
        Column names (exact, else case-insensitive). By default the date column is the
        one named Date / Datetime / Timestamp / Time / Day (or containing "date"), else the
        first column if it holds dates; the price column is the first of Adj Close,
        Adjusted Close, Close, Close/Last, Close Price, Price, Last, PX_LAST, Settle, Value,
        NAV, else the only other numeric column.
    name : str or None
        Display name; defaults to the file name without its extension.
    min_rows : int, default :data:`DEFAULT_MIN_ROWS`
        Fewest daily closes accepted.
    max_bytes : int, default :data:`MAX_CSV_BYTES`
        Largest file accepted.
    dayfirst : bool, default False
        Read ambiguous dates such as 03/04/2020 as day/month. A file whose dates include a
        day above 12 settles the order itself; only an all-ambiguous file needs this.
    drop_missing : bool, default False
        Drop rows with an empty price (with a warning) instead of rejecting the file.
    jump_threshold : float, default 0.5
        A daily ``|log return|`` above this is flagged in ``warnings`` (not rejected).

    Returns
    -------
    PriceHistory
        ``source`` is ``"CSV upload: <file name>"`` (``"CSV file: <name>"`` for a path);
        ``as_of`` is the last date in the file.

    Raises
    ------
    HedgeLibError
        Naming the problem and the first offending line (the header is line 1): file too
        large, empty, binary or not UTF-8; no header; no date or price column; a row with
        more fields than the header; a missing or unparseable date; a missing,
        non-numeric, non-positive or infinite price; a duplicate date; rows out of order;
        too few rows.

    Notes
    -----
    Decisions, and why:

    * **Order.** A file that runs newest first (how nasdaq.com and many brokers export)
      is reversed, with a warning. Any other disorder is rejected, naming the first line
      out of step: shuffled rows usually mean pieces pasted together or a mistyped year,
      and sorting would hide that.
    * **Duplicates** are rejected (which of two closes is right cannot be guessed); with
      times in the dates this usually means intraday data, and the message says so.
    * **Jumps.** ``|log return| > jump_threshold`` (default 0.5, i.e. a fall of 39% or a
      rise of 65% in a day) is a warning naming both lines, not an error: such days are
      rare but real (crashes, biotech news), while a split or a typo looks the same.
    * **Number formats.** A currency symbol ($, €, £, ...) before or after the number
      and comma thousands separators (``"1,234.56"``, quoted in a comma-separated file)
      are accepted; a decimal comma is refused, because ``1,234`` cannot be told apart
      from one thousand two hundred and thirty-four.
    * **Delimiter**: comma, semicolon, tab or ``|``, whichever the header uses most.
      Blank lines, and lines starting with ``#`` before the header, are skipped.
    * **Dates**: one format for the whole column, the one that reads the most values
      (ISO ``2020-01-31``, ``01/31/2020``, ``31.01.2020``, ``31-Jan-2020``, ...); a time of day
      and a UTC offset are ignored: the date as written is the trading day.
    * **Spacing.** If the median gap between rows exceeds four calendar days, a warning
      says the data look weekly or monthly: the hedging engine treats each row as one
      trading day.

    Examples
    --------
    >>> text = b"Date,Close\\n" + b"".join(
    ...     f"2024-01-{d:02d},{100 + d}\\n".encode() for d in range(2, 14))
    >>> h = load_csv(text, name="demo")
    >>> len(h), h.last_date.date().isoformat(), h.source
    (12, '2024-01-13', 'CSV upload')
    """
    n_min = check_int(min_rows, "min_rows", minimum=2)
    limit = check_int(max_bytes, "max_bytes", minimum=1)
    jump = float(check_positive(jump_threshold, "jump_threshold"))
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise HedgeLibError(f"name must be a non-empty string or None, got {name!r}")

    data, fname, source_text = _read_bytes(source, limit)
    if not data.strip():
        raise HedgeLibError(f"the file {fname!r} is empty")
    text = _decode(data)
    if not text.strip():
        raise HedgeLibError(f"the file {fname!r} is empty")
    header, header_line, rows = _split_rows(text)
    if len(header) < 2:
        raise HedgeLibError(
            f"the header (line {header_line}) has one column {header[0]!r}; the file needs a "
            f"date column and a price column separated by commas (or ; tab |)"
        )
    if any(_looks_like_date(h) for h in header):
        raise HedgeLibError(
            f"line {header_line} must be a header naming the columns (e.g. Date,Close), but it "
            f"looks like data: {','.join(header)!r}"
        )
    if not rows:
        raise HedgeLibError(f"the file {fname!r} has a header but no rows of data")
    d_col, p_col = _pick_columns(header, rows, date_column, price_column)
    d_name, p_name = header[d_col], header[p_col]

    for line, fields in rows:
        if len(fields) > len(header) and any(f.strip() for f in fields[len(header) :]):
            raise HedgeLibError(
                f"line {line} has {len(fields)} fields but the header has {len(header)} "
                f"(an unquoted thousands separator such as 1,234.56?)"
            )
    lines = np.array([ln for ln, _ in rows])
    raw_dates = [f[d_col] if d_col < len(f) else "" for _, f in rows]
    raw_prices = [f[p_col] if p_col < len(f) else "" for _, f in rows]
    dates, fmt, ambiguous, timed = _parse_dates(raw_dates, dayfirst)
    notes: list[str] = []
    if ambiguous:
        order = "day/month" if dayfirst else "month/day"
        notes.append(
            f"dates such as {raw_dates[0].strip()!r} read either way; read as {order} "
            f"(pass dayfirst={not dayfirst} for the other)"
        )

    unread = np.asarray(dates.isna())
    # Dates as plain strings, made once: indexing a DatetimeIndex row by row is slow.
    day_text = np.asarray(dates.strftime("%Y-%m-%d"), dtype=object)
    # Plain numbers (most files) convert in one vectorised step; every other cell goes
    # through _parse_price, which is the rule, and names the reason when it refuses.
    stripped = pd.Series(raw_prices, dtype=object).str.strip()
    plain = stripped.str.fullmatch(_NUMBER_RE.pattern).fillna(False).to_numpy(dtype=bool)
    prices = np.full(len(rows), np.nan)
    prices[plain] = stripped[plain].astype(np.float64).to_numpy()
    missing = np.zeros(len(rows), dtype=bool)
    ok = plain & ~unread & np.isfinite(prices) & (prices > 0)
    for i in np.flatnonzero(~ok):
        raw_d, raw_p = raw_dates[i], raw_prices[i]
        line = lines[i]
        if unread[i]:
            if not raw_d.strip():
                raise HedgeLibError(f"missing date on line {line}")
            raise HedgeLibError(
                f"unparseable date {raw_d.strip()!r} on line {line} (column {d_name!r}; the "
                f"other rows read as {fmt.replace('%', '')})"
            )
        value, why = _parse_price(raw_p)
        if value is None:
            if why == "missing":
                if drop_missing:
                    missing[i] = True
                    prices[i] = np.nan
                    continue
                raise HedgeLibError(
                    f"missing price on line {line} ({day_text[i]}, column {p_name!r}); "
                    f"fill it in, or pass drop_missing=True to drop such rows"
                )
            raise HedgeLibError(
                f"price {raw_p.strip()!r} on line {line} ({day_text[i]}, column "
                f"{p_name!r}) is {why}"
            )
        if not math.isfinite(value):
            raise HedgeLibError(f"price {raw_p.strip()!r} on line {line} is not finite")
        if value <= 0:
            raise HedgeLibError(
                f"non-positive price {raw_p.strip()!r} on line {line} ({day_text[i]}); "
                f"prices must be above zero"
            )
        prices[i] = value

    if missing.any():
        first = int(lines[missing][0])
        notes.append(
            f"{int(missing.sum())} rows without a price were dropped (first: line {first})"
        )
        keep = ~missing
        lines, dates, prices = lines[keep], dates[keep], prices[keep]

    day = dates.normalize()
    dup = np.asarray(day.duplicated())
    if dup.any():
        k = int(np.argmax(dup))
        j = int(np.argmax(np.asarray(day == day[k])))
        hint = " (intraday data? this loader wants one close per day)" if timed else ""
        raise HedgeLibError(
            f"duplicate date {day[k].date()} on line {lines[k]} (also on line {lines[j]}){hint}"
        )

    step = np.diff(day.asi8)
    if len(step) and not (step > 0).all():
        if (step < 0).all():
            notes.append("rows were newest first and were sorted oldest first")
            order = np.arange(len(day))[::-1]
            lines, day, prices = lines[order], day[order], prices[order]
        else:
            rising = int((step > 0).sum()) >= int((step < 0).sum())
            k = int(np.argmax(step < 0 if rising else step > 0))
            runs = "oldest first" if rising else "newest first"
            raise HedgeLibError(
                f"rows are not in date order: line {lines[k + 1]} ({day[k + 1].date()}) follows "
                f"line {lines[k]} ({day[k].date()}) while the file otherwise runs {runs}; "
                f"sort the file by date"
            )

    if len(prices) < n_min:
        raise HedgeLibError(
            f"too few rows: {len(prices)} daily closes, at least {n_min} needed (min_rows)"
        )

    r = np.diff(np.log(prices))
    big = np.flatnonzero(np.abs(r) > jump)
    for k in big[:3]:
        notes.append(
            f"jump between line {lines[k]} ({day[k].date()}, {prices[k]:g}) and line "
            f"{lines[k + 1]} ({day[k + 1].date()}, {prices[k + 1]:g}): log return "
            f"{r[k]:+.2f}, beyond +/-{jump:g}; check for a split, a unit change or a typo"
        )
    if len(big) > 3:
        notes.append(f"{len(big) - 3} more jumps beyond +/-{jump:g}")
    gap_days = float(np.median(np.diff(day.values) / np.timedelta64(1, "D")))
    if gap_days > 4:
        notes.append(
            f"rows are {gap_days:.0f} days apart (median): the data look weekly or monthly, "
            f"but each row is treated as one trading day"
        )

    label = name.strip() if name is not None else (Path(fname).stem or "CSV data")
    return PriceHistory(
        prices=pd.Series(prices, index=day),
        name=label,
        source=source_text,
        as_of=day[-1],
        description=(
            f"Daily closes from column {p_name!r} (dates from {d_name!r}) of {fname}, "
            f"{len(prices)} rows."
        ),
        warnings=tuple(notes),
    )
