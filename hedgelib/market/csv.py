"""A user's CSV of daily closes, read and validated with messages that name the problem and line.

:func:`load_csv` reads a path, bytes, or a file-like such as Streamlit's ``UploadedFile``.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgelib.conventions import HedgeLibError, check_int, check_positive
from hedgelib.market.history import DEFAULT_MIN_ROWS, PriceHistory

__all__ = [
    "MAX_COLUMNS",
    "MAX_CSV_BYTES",
    "load_csv",
]

#: Largest CSV accepted by default (bytes). Twenty years of daily OHLCV is about 0.5 MB.
MAX_CSV_BYTES = 10_000_000
#: Most columns a header may have: finding the date and price columns tries every header
#: cell against many date formats, which must stay quick whatever a file holds.
MAX_COLUMNS = 200


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
                if len(fields) > MAX_COLUMNS:
                    raise HedgeLibError(
                        f"the file's header has {len(fields):,} columns; a price file has a date "
                        f"and a few prices, and at most {MAX_COLUMNS} columns are read"
                    )
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
