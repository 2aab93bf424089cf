"""Live positions kept in an SQLite file: books, trades and every monitored state.

A :class:`PositionStore` is one SQLite file in WAL mode (readers never block the writer, and
a process that dies mid-write leaves the last committed state intact). Every write is one
transaction, committed before the method returns; every method opens its own connection, so
a store object can be shared by threads, and several processes may write to one file (SQLite
serialises them; each waits up to :data:`BUSY_TIMEOUT` seconds for the others).

Schema and migrations
---------------------
The file carries its schema version (:mod:`hedgelib.live.schema`) and Hedge Lab's
``PRAGMA application_id``. Opening an older file migrates it in place, in one transaction;
a newer one, or a file that is not a store, is refused with a message saying which.

Dates
-----
A live position's legs expire on dates. On the ``"trading"`` basis (one price per trading
day, 252 a year) an expiry of ``n / 252`` years is the ``n``-th weekday after the opening
date (the leg settles at the ``n``-th close, later than that date if holidays intervene); on
the ``"calendar"`` basis it is the opening time plus ``years x 365`` days. The exact years are
kept too, so that a book read back is the book stored.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import (
    CALENDAR_DAYS_PER_YEAR,
    EXPIRY_TOLERANCE,
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_finite,
    check_int,
    check_non_negative,
    check_positive,
    check_scalar,
    check_time,
)
from hedgelib.live.schema import (
    APPLICATION_ID,
    DECISIONS,
    MIGRATIONS,
    SCHEMA_1,
    SCHEMA_VERSION,
    SNAPSHOT_COLUMNS,
    TRADE_COLUMNS,
    run_script,
    sql_value,
)

__all__ = [
    "BUSY_TIMEOUT",
    "Position",
    "PositionStore",
    "default_store_path",
    "expiry_date",
]

#: Seconds a write waits for another process's transaction before giving up.
BUSY_TIMEOUT = 30.0
_SQLITE_MAGIC = b"SQLite format 3\x00"
_FILE_NAME = "positions.sqlite"
_TIME_BASES = ("trading", "calendar")
_POSITION_COLUMNS = ("name", "underlying", "status", "opened", "closed", "premium", "legs",
                     "last_expiry", "time_basis", "steps", "trades", "last_time", "last_price", "pnl")


# -- paths and dates --------------------------------------------------------------------------

def default_store_path() -> Path:
    """Where a :class:`PositionStore` lives when no path is given.

    ``$HEDGELIB_DATA_DIR/positions.sqlite`` when that variable is set, else in the user's
    data folder: ``$XDG_DATA_HOME/hedgelib`` or ``~/.local/share/hedgelib`` (Linux),
    ``~/Library/Application Support/hedgelib`` (macOS), ``%APPDATA%\\hedgelib`` (Windows).

    Examples
    --------
    >>> import os; os.environ["HEDGELIB_DATA_DIR"] = "my-data"
    >>> default_store_path().as_posix()
    'my-data/positions.sqlite'
    >>> del os.environ["HEDGELIB_DATA_DIR"]
    """
    env = os.environ.get("HEDGELIB_DATA_DIR", "").strip()
    if env:
        return Path(env).expanduser() / _FILE_NAME
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "hedgelib" / _FILE_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "hedgelib" / _FILE_NAME
    base = os.environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return Path(base) / "hedgelib" / _FILE_NAME


def expiry_date(opened: Any, years: float, time_basis: str = "trading",
                periods_per_year: int = TRADING_DAYS_PER_YEAR) -> pd.Timestamp:
    """The calendar date (or time) of an expiry ``years`` after ``opened``.

    On the ``"trading"`` basis the ``n``-th weekday after the opening date, with ``n`` the
    number of periods rounded up (the close at which the engine settles the leg); on the
    ``"calendar"`` basis ``opened + years x 365`` days.

    Examples
    --------
    >>> expiry_date("2018-02-01", 21 / 252).date().isoformat()   # a Thursday + 21 weekdays
    '2018-03-02'
    >>> expiry_date("2018-02-01 15:30", 30 / 365, "calendar").isoformat()
    '2018-03-03T15:30:00'
    """
    t0 = check_time(opened, "opened")
    if time_basis == "calendar":
        return t0 + pd.Timedelta(days=years * CALENDAR_DAYS_PER_YEAR)
    n = int(math.ceil(years * periods_per_year - EXPIRY_TOLERANCE))
    day = np.busday_offset(np.datetime64(t0.date(), "D"), n, roll="forward")
    return pd.Timestamp(day)


def _now() -> str:
    return pd.Timestamp.now(tz="UTC").tz_localize(None).isoformat()


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise HedgeLibError(f"name must be a non-empty text naming the position, got {name!r}")
    text = name.strip()
    if len(text) > 100:
        raise HedgeLibError(f"name must be at most 100 characters, got {len(text)}")
    return text


# -- the position as read back ------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Position:
    """A position as the store holds it.

    Attributes
    ----------
    name, underlying : str
    book : Book
        Leg expiries in years from ``opened`` on the position's time basis.
    opened : pandas.Timestamp
    premium : float or None
        The premium paid (holder's sign, currency); None: the book's value at the hedge
        volatility at the first monitored price.
    time_basis : {"trading", "calendar"}
    periods_per_year : int
    status : {"open", "closed", "expired"}
        ``"expired"``: the monitor unwound the hedge at the book's last expiry.
    closed : pandas.Timestamp or None
    expiry_dates : tuple of pandas.Timestamp
        One per leg (see the module notes).
    settings : dict or None
        The monitor's settings, written at its first step (a resumed monitor must match).
    metadata : dict
        Free JSON data of the application that opened the position.
    """

    name: str
    underlying: str
    book: Book
    opened: pd.Timestamp
    premium: float | None
    time_basis: str
    periods_per_year: int
    status: str
    closed: pd.Timestamp | None
    expiry_dates: tuple[pd.Timestamp, ...]
    settings: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        """Whether the monitor may still step it."""
        return self.status == "open"

    @property
    def last_expiry(self) -> float:
        """Years from opening to the last leg's expiry (0 for a stock-only book)."""
        return max((leg.expiry for leg in self.book.legs), default=0.0)


# -- the store --------------------------------------------------------------------------------

class PositionStore:
    """Live positions, their trades and every monitored state, in one SQLite file.

    Parameters
    ----------
    path : path-like, optional
        The file; created (with its folder) when missing. Default
        :func:`default_store_path`. An older store is migrated; a newer one, or a file that
        is not a store, raises :class:`~hedgelib.conventions.HedgeLibError`.

    Notes
    -----
    WAL mode with ``synchronous=FULL``: a write is on disk when its method returns, and a
    process killed at any point leaves every earlier write intact. Writers take the lock at
    the start of their transaction (``BEGIN IMMEDIATE``), so two processes never interleave
    inside one (SQLite documentation, "Write-Ahead Logging" and "File Locking").

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from hedgelib.book import OptionLeg
    >>> store = PositionStore(pathlib.Path(tempfile.mkdtemp()) / "book.sqlite")
    >>> book = Book([OptionLeg("call", 2800.0, 21 / 252, -1.0)])
    >>> store.open_position("short call", book, underlying="S&P 500", opened="2018-02-01")
    >>> store.positions()[["name", "status", "last_expiry"]].to_dict("records")
    [{'name': 'short call', 'status': 'open', 'last_expiry': Timestamp('2018-03-02 00:00:00')}]
    >>> store.book("short call") == book
    True
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        p = default_store_path() if path is None else Path(path).expanduser()
        if p.is_dir():
            raise HedgeLibError(f"path must be a file, got the folder {str(p)!r}")
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HedgeLibError(f"path {str(p)!r}: cannot create its folder ({exc})") from None
        self.path = p
        self._open()
        # An idle connection held for the store's life: SQLite checkpoints the WAL and
        # deletes it when the last connection to the file closes, which would make every
        # operation (each opens and closes its own) pay for a checkpoint. It holds no lock.
        # It must have read once to join the WAL index; it holds no lock in between.
        self._keeper = sqlite3.connect(self.path, check_same_thread=False)
        self._keeper.execute("SELECT version FROM schema_version").fetchall()

    def __repr__(self) -> str:
        return f"PositionStore({str(self.path)!r})"

    # -- connections ------------------------------------------------------------------------

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection for one operation; ``write`` wraps it in one immediate transaction."""
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        except sqlite3.Error as exc:
            raise HedgeLibError(f"position store {str(self.path)!r}: cannot open it ({exc})") from None
        try:
            con.execute("PRAGMA foreign_keys = ON")
            con.execute("PRAGMA synchronous = FULL")
            if write:
                con.execute("BEGIN IMMEDIATE")
            yield con
            if write:
                con.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            _rollback(con)
            busy = isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))
            why = f"is busy: another process held it for more than {BUSY_TIMEOUT:g} s ({exc})" if busy else str(exc)
            raise HedgeLibError(f"position store {str(self.path)!r}: {why}") from None
        except BaseException:
            _rollback(con)
            raise
        finally:
            con.close()

    def _open(self) -> None:
        """Check the file is a store (or empty), create or migrate it, set WAL mode."""
        p = self.path
        if p.exists() and p.stat().st_size > 0:
            with open(p, "rb") as f:
                head = f.read(16)
            if head != _SQLITE_MAGIC:
                raise HedgeLibError(
                    f"path {str(p)!r} is not a Hedge Lab position store: it is not an SQLite "
                    "database. Choose another file (a new one is created)."
                )
        with self._connect() as con:
            found = self._version(con)  # refuses a foreign file before anything is written
            if found == SCHEMA_VERSION:
                return
            self._check_not_newer(found)
            con.execute("PRAGMA journal_mode = WAL")
        with self._connect(write=True) as con:
            # Read again under the write lock: another process may have created or migrated
            # the file meanwhile.
            version = self._version(con)
            if version is None:
                run_script(con, SCHEMA_1)
                con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                version = 1
            self._check_not_newer(version)
            while version < SCHEMA_VERSION:
                MIGRATIONS[version](con)
                version += 1
                con.execute("UPDATE schema_version SET version = ?", (version,))

    def _check_not_newer(self, version: int | None) -> None:
        if version is not None and version > SCHEMA_VERSION:
            raise HedgeLibError(
                f"position store {str(self.path)!r} has schema version {version}, newer than this "
                f"hedgelib reads (up to {SCHEMA_VERSION}): upgrade hedgelib to open it"
            )

    def _version(self, con: sqlite3.Connection) -> int | None:
        """The schema version, None for an empty database; refuses anything else."""
        tables = {r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        app = con.execute("PRAGMA application_id").fetchone()[0]
        if not tables:
            return None
        where = f"path {str(self.path)!r} is an SQLite database but not a Hedge Lab position store"
        if app not in (0, APPLICATION_ID):
            raise HedgeLibError(f"{where} (it belongs to another application, id {app:#x})")
        if "schema_version" not in tables:
            shown = ", ".join(sorted(tables)[:6])
            raise HedgeLibError(f"{where}: it has no schema_version table (its tables: {shown})")
        rows = con.execute("SELECT version FROM schema_version").fetchall()
        if len(rows) != 1 or not isinstance(rows[0][0], int) or rows[0][0] < 1:
            raise HedgeLibError(f"{where}: its schema_version table holds {rows!r}, not one version")
        return int(rows[0][0])

    @property
    def schema_version(self) -> int:
        """The file's schema version (always :data:`SCHEMA_VERSION` once opened)."""
        with self._connect() as con:
            return int(con.execute("SELECT version FROM schema_version").fetchone()[0])

    # -- positions --------------------------------------------------------------------------

    def open_position(
        self, name: str, book: Book, *, underlying: str, opened: Any, premium: float | None = None,
        time_basis: str = "trading", periods_per_year: int = TRADING_DAYS_PER_YEAR,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a new position.

        Parameters
        ----------
        name : str
            Unique in the store (at most 100 characters).
        book : Book
            Leg expiries in years from ``opened``; they are stored as dates too
            (:func:`expiry_date`).
        underlying : str
            What the book is written on, for display ("S&P 500", "AAPL").
        opened : date-like
            When the position was entered; the monitor starts at the first price at or
            after it.
        premium : float, optional
            Premium paid, holder's sign (negative: received). Default: the book's value at
            the hedge volatility at the first monitored price.
        time_basis : {"trading", "calendar"}, default "trading"
            ``"trading"``: the i-th monitored price is ``i / periods_per_year`` years after
            the first (daily closes); ``"calendar"``: actual/365 from the timestamps
            (intraday prices).
        periods_per_year : int, default 252
        metadata : mapping, optional
            JSON-ready data kept with the position (the app keeps its inputs here).
        """
        n = _check_name(name)
        if not isinstance(book, Book):
            raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
        if book.is_empty:
            raise HedgeLibError("book must hold at least one option leg or some stock, got an empty book")
        if not isinstance(underlying, str) or not underlying.strip():
            raise HedgeLibError(f"underlying must be a non-empty text, got {underlying!r}")
        t0 = check_time(opened, "opened")
        if premium is not None:
            premium = check_scalar(premium, "premium", check_finite)
        if time_basis not in _TIME_BASES:
            raise HedgeLibError(f"time_basis must be 'trading' or 'calendar', got {time_basis!r}")
        ppy = check_int(periods_per_year, "periods_per_year")
        try:
            meta = json.dumps(dict(metadata or {}), sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise HedgeLibError(f"metadata must be JSON-ready, got {metadata!r} ({exc})") from None
        legs = [(i, g.kind, g.strike, g.quantity, g.expiry,
                 expiry_date(t0, g.expiry, time_basis, ppy).isoformat())
                for i, g in enumerate(book.legs)]
        with self._connect(write=True) as con:
            row = con.execute("SELECT opened, status FROM positions WHERE name = ?", (n,)).fetchone()
            if row is not None:
                raise HedgeLibError(
                    f"name must be new: a position named {n!r} already exists (opened "
                    f"{row[0]}, {row[1]}); choose another name"
                )
            cur = con.execute(
                "INSERT INTO positions (name, underlying, opened, premium, stock, time_basis, "
                "periods_per_year, status, created, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
                (n, underlying.strip(), t0.isoformat(), premium, book.stock, time_basis, ppy,
                 _now(), meta),
            )
            pid = cur.lastrowid
            con.executemany(
                "INSERT INTO legs (position_id, seq, kind, strike, quantity, expiry_years, "
                "expiry_date) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(pid, *leg) for leg in legs],
            )

    def _position_row(self, con: sqlite3.Connection, name: Any) -> sqlite3.Row:
        n = _check_name(name)
        con.row_factory = sqlite3.Row
        row = con.execute("SELECT * FROM positions WHERE name = ?", (n,)).fetchone()
        if row is None:
            names = [r[0] for r in con.execute("SELECT name FROM positions ORDER BY id")]
            known = ", ".join(repr(x) for x in names[:10]) or "none yet"
            raise HedgeLibError(
                f"name must be a position of the store {str(self.path)!r}, got {n!r} (positions: {known})"
            )
        return row

    def position(self, name: str) -> Position:
        """The position called ``name`` (book, dates, status, settings, metadata)."""
        with self._connect() as con:
            row = self._position_row(con, name)
            legs = con.execute(
                "SELECT kind, strike, quantity, expiry_years, expiry_date FROM legs "
                "WHERE position_id = ? ORDER BY seq", (row["id"],)).fetchall()
        book = Book([OptionLeg(g["kind"], g["strike"], g["expiry_years"], g["quantity"]) for g in legs],
                    row["stock"])
        return Position(
            name=row["name"], underlying=row["underlying"], book=book,
            opened=pd.Timestamp(row["opened"]), premium=row["premium"],
            time_basis=row["time_basis"], periods_per_year=int(row["periods_per_year"]),
            status=row["status"],
            closed=None if row["closed"] is None else pd.Timestamp(row["closed"]),
            expiry_dates=tuple(pd.Timestamp(g["expiry_date"]) for g in legs),
            settings=None if row["settings"] is None else json.loads(row["settings"]),
            metadata=json.loads(row["metadata"] or "{}"),
        )

    def book(self, name: str) -> Book:
        """The book of the position (expiries in years from its opening)."""
        return self.position(name).book

    def positions(self) -> pd.DataFrame:
        """Every position, oldest first.

        Columns: ``name``, ``underlying``, ``status``, ``opened``, ``closed``, ``premium``,
        ``legs`` (a description), ``last_expiry`` (date), ``time_basis``, ``steps``
        (snapshots), ``trades``, ``last_time``, ``last_price``, ``pnl`` (the last P&L
        since opening, after the last ticket if it was accepted).
        """
        with self._connect() as con:
            rows = con.execute(
                """
                SELECT p.id, p.name, p.underlying, p.status, p.opened, p.closed, p.premium,
                       p.stock, p.time_basis,
                       (SELECT COUNT(*) FROM snapshots s WHERE s.position_id = p.id),
                       (SELECT COUNT(*) FROM trades t WHERE t.position_id = p.id),
                       s.time, s.price,
                       CASE WHEN s.decision = 'accepted' THEN s.pnl_after ELSE s.pnl END
                FROM positions p
                LEFT JOIN snapshots s ON s.position_id = p.id AND s.step =
                    (SELECT MAX(step) FROM snapshots WHERE position_id = p.id)
                ORDER BY p.id
                """).fetchall()
            legs = con.execute(
                "SELECT position_id, kind, strike, quantity, expiry_date FROM legs ORDER BY position_id, seq"
            ).fetchall()
        by_id: dict[int, list[tuple]] = {}
        for leg in legs:
            by_id.setdefault(leg[0], []).append(leg[1:])
        out = []
        for r in rows:
            own = by_id.get(r[0], [])
            text = [f"{q:+g} {k} {s:g} exp {pd.Timestamp(d).date()}" for k, s, q, d in own]
            if r[7]:
                text.append(f"stock {r[7]:+g}")
            out.append({
                "name": r[1], "underlying": r[2], "status": r[3], "opened": pd.Timestamp(r[4]),
                "closed": pd.Timestamp(r[5]) if r[5] else pd.NaT, "premium": r[6],
                "legs": "; ".join(text),
                "last_expiry": max((pd.Timestamp(d) for *_, d in own), default=pd.NaT),
                "time_basis": r[8], "steps": r[9], "trades": r[10],
                "last_time": pd.Timestamp(r[11]) if r[11] else pd.NaT, "last_price": r[12], "pnl": r[13],
            })
        return pd.DataFrame(out, columns=_POSITION_COLUMNS)

    def close_position(self, name: str, *, time: Any = None) -> None:
        """Mark an open position closed (at ``time``, default now): the monitor stops.

        The hedge is not traded: record the unwinding trades with :meth:`record_trade`
        first if they were made.
        """
        t = _now() if time is None else check_time(time, "time").isoformat()
        with self._connect(write=True) as con:
            row = self._position_row(con, name)
            if row["status"] != "open":
                raise HedgeLibError(f"name must be an open position, got {row['name']!r}, which is {row['status']}")
            con.execute("UPDATE positions SET status = 'closed', closed = ? WHERE id = ?", (t, row["id"]))

    def delete_position(self, name: str) -> None:
        """Remove a position with its legs, trades and snapshots (one transaction).

        For positions opened by mistake or for a demonstration; a real position is better
        closed (:meth:`close_position`), which keeps its blotter.
        """
        with self._connect(write=True) as con:
            pid = self._position_row(con, name)["id"]
            for table in ("snapshots", "trades", "legs"):
                con.execute(f"DELETE FROM {table} WHERE position_id = ?", (pid,))
            con.execute("DELETE FROM positions WHERE id = ?", (pid,))

    # -- trades -----------------------------------------------------------------------------

    def record_trade(self, name: str, *, time: Any, instrument: str, quantity: float, price: float,
                     cost: float = 0.0) -> int:
        """Record one trade of an open position; returns its id.

        Parameters
        ----------
        name : str
        time : date-like
            When it was made; not before the position's opening.
        instrument : str
            What was traded ("stock", "call 2850 exp 2018-05-02", ...).
        quantity : float
            Signed units: + bought, - sold; non-zero.
        price : float
            Price per unit, > 0.
        cost : float, default 0.0
            Fees paid, >= 0 (currency).
        """
        t, lines = self._check_lines(time, [(instrument, quantity, price, cost)])
        with self._connect(write=True) as con:
            row = self._open_row(con, name, t)
            cur = con.execute(
                "INSERT INTO trades (position_id, step, time, instrument, quantity, price, cost, "
                "recorded) VALUES (?, NULL, ?, ?, ?, ?, ?, ?)",
                (row["id"], t.isoformat(), *lines[0], _now()),
            )
            return int(cur.lastrowid)

    @staticmethod
    def _check_lines(time: Any, lines: Sequence[tuple[Any, Any, Any, Any]]) -> tuple[pd.Timestamp, list[tuple]]:
        t = check_time(time, "time")
        out = []
        for instrument, quantity, price, cost in lines:
            if not isinstance(instrument, str) or not instrument.strip():
                raise HedgeLibError(f"instrument must be a non-empty text, got {instrument!r}")
            q = check_scalar(quantity, "quantity", check_finite)
            if q == 0.0:
                raise HedgeLibError("quantity must be non-zero (+ bought, - sold), got 0.0")
            out.append((instrument.strip(), q, check_scalar(price, "price", check_positive),
                        check_scalar(cost, "cost", check_non_negative)))
        return t, out

    def _open_row(self, con: sqlite3.Connection, name: Any, t: pd.Timestamp | None = None) -> sqlite3.Row:
        row = self._position_row(con, name)
        if row["status"] != "open":
            raise HedgeLibError(f"name must be an open position, got {row['name']!r}, which is {row['status']}")
        if t is not None and t < pd.Timestamp(row["opened"]):
            raise HedgeLibError(
                f"time must not be before the position was opened ({row['opened']}), got {t.isoformat()}"
            )
        return row

    def trades(self, name: str) -> pd.DataFrame:
        """The blotter of a position, oldest first (:data:`TRADE_COLUMNS`).

        ``step`` is the monitored snapshot the trade answered (missing for a trade recorded
        by hand); ``notional`` is ``quantity x price``.
        """
        with self._connect() as con:
            row = self._position_row(con, name)
            con.row_factory = None
            rows = con.execute(
                "SELECT id, step, time, instrument, quantity, price, cost, recorded FROM trades "
                "WHERE position_id = ? ORDER BY id", (row["id"],)).fetchall()
        frame = pd.DataFrame(rows, columns=["id", "step", "time", "instrument", "quantity", "price",
                                            "cost", "recorded"])
        frame["step"] = frame["step"].astype("Int64")
        frame["time"] = pd.to_datetime(frame["time"])
        frame["recorded"] = pd.to_datetime(frame["recorded"])
        frame["notional"] = frame["quantity"] * frame["price"]
        return frame[list(TRADE_COLUMNS)]

    # -- snapshots --------------------------------------------------------------------------

    def snapshots(self, name: str) -> pd.DataFrame:
        """Every monitored state of a position, indexed by ``step`` (:data:`SNAPSHOT_COLUMNS`).

        ``time`` is the price's timestamp, ``years`` the time since the first price, ``pnl``
        the P&L since opening as held, ``pnl_after`` after the step's ticket, ``decision``
        what became of the ticket (``none``, ``pending``, ``accepted``, ``skipped``).
        """
        names = [c for c, _ in SNAPSHOT_COLUMNS]
        with self._connect() as con:
            row = self._position_row(con, name)
            con.row_factory = None
            rows = con.execute(
                f"SELECT step, {', '.join(names)} FROM snapshots WHERE position_id = ? ORDER BY step",
                (row["id"],)).fetchall()
        frame = pd.DataFrame(rows, columns=["step", *names])
        frame["time"] = pd.to_datetime(frame["time"])
        for c in ("rule_fired", "mandatory", "final"):
            frame[c] = frame[c].astype(bool)
        for c, kind in SNAPSHOT_COLUMNS:
            if kind.startswith("REAL"):
                frame[c] = frame[c].astype(np.float64)
        return frame.set_index("step")

    def _append_snapshot(self, name: str, values: Mapping[str, Any], *, settings: str) -> None:
        """The monitor's write of one step, in one transaction: an earlier ticket still
        pending becomes skipped, the settings are written at the first step, and a final
        step without a ticket closes the position as expired."""
        step = int(values["step"])
        if values["decision"] not in DECISIONS:
            raise HedgeLibError(f"decision must be one of {', '.join(DECISIONS)}, got {values['decision']!r}")
        names = [c for c, _ in SNAPSHOT_COLUMNS]
        with self._connect(write=True) as con:
            row = self._open_row(con, name)
            pid = row["id"]
            last = con.execute("SELECT MAX(step) FROM snapshots WHERE position_id = ?", (pid,)).fetchone()[0]
            expected = 0 if last is None else last + 1
            if step != expected:
                raise HedgeLibError(
                    f"position {row['name']!r} is at step {expected} in {str(self.path)!r}, not "
                    f"{step}: another monitor has advanced it; open it again to resume"
                )
            if row["settings"] is None:
                con.execute("UPDATE positions SET settings = ? WHERE id = ?", (settings, pid))
            con.execute("UPDATE snapshots SET decision = 'skipped' WHERE position_id = ? AND "
                        "decision = 'pending'", (pid,))
            con.execute(
                f"INSERT INTO snapshots (position_id, step, {', '.join(names)}, recorded) "
                f"VALUES (?, ?, {', '.join('?' * len(names))}, ?)",
                (pid, step, *(sql_value(values[c]) for c in names), _now()),
            )
            if values["final"] and values["decision"] == "none":
                con.execute("UPDATE positions SET status = 'expired', closed = ? WHERE id = ?",
                            (sql_value(values["time"]), pid))

    def _decide(self, name: str, step: int, *, accept: bool, time: Any,
                lines: Sequence[tuple[str, float, float, float]], close: bool) -> None:
        """Accept (recording ``lines``) or skip the pending ticket of ``step``, in one
        transaction; ``close`` marks the position expired (the hedge was unwound)."""
        t, checked = self._check_lines(time, lines) if accept else (check_time(time, "time"), [])
        with self._connect(write=True) as con:
            row = self._open_row(con, name)
            pid = row["id"]
            got = con.execute("SELECT decision FROM snapshots WHERE position_id = ? AND step = ?",
                              (pid, int(step))).fetchone()
            if got is None or got[0] != "pending":
                state = "missing" if got is None else got[0]
                raise HedgeLibError(
                    f"snapshot must hold the pending ticket of position {row['name']!r}, got step "
                    f"{step}, whose ticket is {'not there' if got is None else state}"
                )
            con.execute("UPDATE snapshots SET decision = ? WHERE position_id = ? AND step = ?",
                        ("accepted" if accept else "skipped", pid, int(step)))
            recorded = _now()
            con.executemany(
                "INSERT INTO trades (position_id, step, time, instrument, quantity, price, cost, "
                "recorded) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(pid, int(step), t.isoformat(), *line, recorded) for line in checked],
            )
            if close:
                con.execute("UPDATE positions SET status = 'expired', closed = ? WHERE id = ?",
                            (t.isoformat(), pid))


def _rollback(con: sqlite3.Connection) -> None:
    try:
        if con.in_transaction:
            con.execute("ROLLBACK")
    except sqlite3.Error:
        pass
