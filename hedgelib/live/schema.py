"""The position store's file format: tables, schema versions and their migrations.

=======  =================================================================================
version  contents
=======  =================================================================================
1        positions (name, underlying, opening time, premium, the book's stock, time basis),
         their legs (expiry in years from opening and as a calendar date) and trades
2        the monitor's snapshots (one row per monitored price), its settings and free
         metadata per position, and the step of the snapshot each trade answered
=======  =================================================================================

A migration takes a file from one version to the next inside the caller's transaction, so
that it is all or nothing; :class:`~hedgelib.live.store.PositionStore` applies them in turn
when it opens an older file.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "APPLICATION_ID",
    "DECISIONS",
    "MIGRATIONS",
    "SCHEMA_1",
    "SCHEMA_VERSION",
    "SNAPSHOT_COLUMNS",
    "TRADE_COLUMNS",
    "run_script",
    "sql_value",
]

#: The schema this library writes; files at a lower version are migrated when opened.
SCHEMA_VERSION = 2
#: ``PRAGMA application_id`` of a Hedge Lab store ("HGLB").
APPLICATION_ID = 0x48474C42

#: Columns of :meth:`PositionStore.snapshots` (besides the ``step`` index) and their SQL
#: types, in the order the monitor writes them (see :class:`hedgelib.live.Snapshot`).
SNAPSHOT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("time", "TEXT NOT NULL"),
    ("years", "REAL NOT NULL"),
    ("price", "REAL NOT NULL"),
    ("volatility", "REAL NOT NULL"),
    ("value", "REAL NOT NULL"),
    ("delta", "REAL NOT NULL"),
    ("gamma", "REAL NOT NULL"),
    ("vega", "REAL NOT NULL"),
    ("theta", "REAL NOT NULL"),
    ("net_delta", "REAL NOT NULL"),
    ("stock", "REAL NOT NULL"),
    ("option", "REAL NOT NULL"),
    ("target_stock", "REAL"),
    ("target_option", "REAL"),
    ("deviation", "REAL NOT NULL"),
    ("pnl", "REAL NOT NULL"),
    ("pnl_after", "REAL NOT NULL"),
    ("premium", "REAL NOT NULL"),
    ("trade_stock", "REAL NOT NULL"),
    ("trade_option", "REAL NOT NULL"),
    ("trade_cost", "REAL NOT NULL"),
    ("option_price", "REAL"),
    ("option_label", "TEXT"),
    ("roll_option", "REAL NOT NULL"),
    ("roll_price", "REAL"),
    ("rule_fired", "INTEGER NOT NULL"),
    ("alert", "TEXT"),
    ("reason", "TEXT"),
    ("mandatory", "INTEGER NOT NULL"),
    ("final", "INTEGER NOT NULL"),
    ("decision", "TEXT NOT NULL"),
)
#: Columns of :meth:`PositionStore.trades`.
TRADE_COLUMNS: tuple[str, ...] = (
    "id", "step", "time", "instrument", "quantity", "price", "notional", "cost", "recorded",
)
DECISIONS = ("none", "pending", "accepted", "skipped")


SCHEMA_1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE positions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    underlying TEXT NOT NULL,
    opened TEXT NOT NULL,
    premium REAL,
    stock REAL NOT NULL,
    time_basis TEXT NOT NULL,
    periods_per_year INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    closed TEXT,
    created TEXT NOT NULL
);
CREATE TABLE legs (
    position_id INTEGER NOT NULL REFERENCES positions(id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    strike REAL NOT NULL,
    quantity REAL NOT NULL,
    expiry_years REAL NOT NULL,
    expiry_date TEXT NOT NULL,
    PRIMARY KEY (position_id, seq)
);
CREATE TABLE trades (
    id INTEGER PRIMARY KEY,
    position_id INTEGER NOT NULL REFERENCES positions(id),
    time TEXT NOT NULL,
    instrument TEXT NOT NULL,
    quantity REAL NOT NULL,
    price REAL NOT NULL,
    cost REAL NOT NULL,
    recorded TEXT NOT NULL
);
INSERT INTO schema_version (version) VALUES (1);
"""


def _migrate_1_to_2(con: sqlite3.Connection) -> None:
    """Version 2: the monitor's snapshots, settings and metadata; each trade's step."""
    columns = ", ".join(f"{name} {kind}" for name, kind in SNAPSHOT_COLUMNS)
    run_script(con, f"""
        ALTER TABLE positions ADD COLUMN settings TEXT;
        ALTER TABLE positions ADD COLUMN metadata TEXT;
        ALTER TABLE trades ADD COLUMN step INTEGER;
        CREATE TABLE snapshots (
            position_id INTEGER NOT NULL REFERENCES positions(id),
            step INTEGER NOT NULL,
            {columns},
            recorded TEXT NOT NULL,
            PRIMARY KEY (position_id, step)
        );
        CREATE INDEX trades_by_position ON trades (position_id, id);
    """)


def run_script(con: sqlite3.Connection, script: str) -> None:
    # Statement by statement: executescript would COMMIT the caller's transaction first, and
    # a migration must be all or nothing.
    for statement in script.split(";"):
        if statement.strip():
            con.execute(statement)


#: version v -> the function taking a file from v to v + 1 (inside the caller's transaction).
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_1_to_2}


def sql_value(value: Any) -> Any:
    """A value as SQLite stores it: timestamps as ISO text, numpy scalars as Python ones."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.bool_ | bool):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
