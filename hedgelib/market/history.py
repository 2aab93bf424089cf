"""Daily price histories in one normalised shape, and the real data bundled with ``arch``.

Every loader (:func:`load_bundled`, :func:`~hedgelib.market.yahoo.load_yahoo`,
:func:`~hedgelib.market.csv.load_csv`) returns a :class:`PriceHistory`: daily closes (float,
positive, finite) on a tz-naive, sorted, unique index of dates, with where they came from and
what was cleaned.

The bundled series ship inside the ``arch`` package, so the lab works offline: the S&P 500 and
NASDAQ Composite (1999-2018), the CBOE VIX (2014 to early 2019, in vol points) and WTI crude
(1986-2019, FRED); :func:`implied_volatility_series` serves the VIX as the implied volatility of
the S&P 500.

Examples
--------
>>> spx = load_bundled("sp500", start="2018-01-01")
>>> spx.name, spx.first_date.date().isoformat(), len(spx)
('S&P 500', '2018-01-02', 251)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from hedgelib.conventions import (
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_date,
    check_date_range,
    check_int,
    iso_date,
)

__all__ = [
    "data_window",
    "price_series",
    "start_row",
    "BUNDLED",
    "DEFAULT_MIN_ROWS",
    "BundledDataset",
    "DateLike",
    "PriceHistory",
    "implied_volatility_series",
    "list_bundled",
    "load_bundled",
]


#: Fewest daily closes a CSV file or a Yahoo download must hold to be usable.
DEFAULT_MIN_ROWS = 10


DateLike = str | pd.Timestamp | np.datetime64 | Any


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
        object.__setattr__(self, "as_of", check_date(self.as_of, "as_of"))

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
        lo, hi = check_date_range(start, end)
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
        hedgelib.market.paths.Paths
            ``times = arange(n) / 252`` years and ``spot`` of shape ``(n, 1)``: row ``i`` is
            the ``i``-th close, whatever the calendar gap to the previous one.

        Examples
        --------
        >>> p = load_bundled("sp500").between("2018-01-01", "2018-12-31").to_paths()
        >>> p.spot.shape, round(float(p.times[-1]), 4)
        ((251, 1), 0.9921)
        """
        from hedgelib.market.paths import Paths

        n = len(self.prices)
        times = np.arange(n, dtype=np.float64) / TRADING_DAYS_PER_YEAR
        return Paths(times=times, spot=self.prices.to_numpy(dtype=np.float64).reshape(n, 1))


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


def price_series(history: Any, name: str = "history") -> tuple[pd.Series, str]:
    """Closes on dates as a validated float Series, and a display name.

    ``history`` is a :class:`PriceHistory` or a ``pandas.Series`` of closes on dates (checked
    as a PriceHistory would be: positive, finite, dated, unique, oldest first).
    """
    if isinstance(history, PriceHistory):
        return history.prices, history.name
    if isinstance(history, pd.Series):
        label = str(history.name) if history.name is not None else "prices"
        try:
            h = PriceHistory(history, name=label, source="user series", as_of=history.index[-1])
        except (IndexError, TypeError):
            raise HedgeLibError(
                f"{name} must be a PriceHistory or a Series of closes on dates, got {len(history)} rows"
            ) from None
        return h.prices, h.name
    raise HedgeLibError(
        f"{name} must be a PriceHistory or a pandas Series of closes on dates, got {type(history).__name__}"
    )


def data_window(index: pd.DatetimeIndex, name: str, start: Any, end: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``start`` and ``end`` (each optional: the first and last date) as dates that overlap
    the dated ``index`` of the data called ``name``; refuses a window outside the data."""
    lo, hi = check_date_range(start, end)
    lo = index[0] if lo is None else lo
    hi = index[-1] if hi is None else hi
    if lo > index[-1] or hi < index[0]:
        raise HedgeLibError(
            f"start and end must overlap the data of {name} ({iso_date(index[0])} to "
            f"{iso_date(index[-1])}), got {iso_date(lo)} to {iso_date(hi)}"
        )
    return lo, hi


def start_row(index: pd.DatetimeIndex, name: str, start: Any) -> int:
    """The row of the first date on or after ``start`` in the dated ``index`` of the data
    called ``name``; refuses a start outside the data."""
    d0 = check_date(start, "start")
    if d0 < index[0] or d0 > index[-1]:
        raise HedgeLibError(
            f"start must lie within the data of {name} ({iso_date(index[0])} to "
            f"{iso_date(index[-1])}), got {iso_date(d0)}"
        )
    return int(index.searchsorted(d0, side="left"))
