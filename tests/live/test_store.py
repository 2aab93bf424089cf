"""The position store: round trips, validation, WAL, refusals, schema versions and migrations."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.live import SCHEMA_VERSION, PositionStore, default_store_path, expiry_date

BOOK = Book([OptionLeg("call", 2800.0, 21 / 252, -1.0), OptionLeg("put", 2700.0, 42 / 252, 2.0)],
            stock=0.5)


@pytest.fixture
def store(tmp_path):
    return PositionStore(tmp_path / "store.sqlite")


def test_open_position_round_trip(store):
    store.open_position("strangle", BOOK, underlying="S&P 500", opened="2018-02-01",
                        premium=-12.5, metadata={"feed": "sp500"})
    pos = store.position("strangle")
    assert pos.book == BOOK  # expiries in years, exactly
    assert pos.opened == pd.Timestamp("2018-02-01") and pos.premium == -12.5
    assert pos.status == "open" and pos.is_open and pos.closed is None
    assert pos.metadata == {"feed": "sp500"} and pos.settings is None
    # 21 and 42 weekdays after Thursday 1 February 2018
    assert [d.date().isoformat() for d in pos.expiry_dates] == ["2018-03-02", "2018-04-02"]
    assert pos.last_expiry == 42 / 252
    frame = store.positions()
    assert frame.loc[0, "name"] == "strangle" and frame.loc[0, "steps"] == 0
    assert frame.loc[0, "legs"] == ("-1 call 2800 exp 2018-03-02; +2 put 2700 exp 2018-04-02; "
                                    "stock +0.5")
    assert frame.loc[0, "last_expiry"] == pd.Timestamp("2018-04-02")


def test_wal_mode_and_schema_version(store):
    with sqlite3.connect(store.path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    assert store.schema_version == SCHEMA_VERSION
    # Opening again changes nothing.
    assert PositionStore(store.path).schema_version == SCHEMA_VERSION


def test_expiry_dates_on_both_bases():
    # Friday + 1 weekday is Monday; a fraction of a day rounds up to the settling close.
    assert expiry_date("2018-02-02", 1 / 252) == pd.Timestamp("2018-02-05")
    assert expiry_date("2018-02-02", 1.5 / 252) == pd.Timestamp("2018-02-06")
    # A Saturday opening counts from the next weekday, as the first close does.
    assert expiry_date("2018-02-03", 1 / 252) == pd.Timestamp("2018-02-06")
    assert expiry_date("2018-02-01 14:00", 1 / 365, "calendar") == pd.Timestamp("2018-02-02 14:00")


def test_default_path_follows_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HEDGELIB_DATA_DIR", str(tmp_path / "data"))
    assert default_store_path() == tmp_path / "data" / "positions.sqlite"
    store = PositionStore()
    assert store.path == tmp_path / "data" / "positions.sqlite" and store.path.exists()
    monkeypatch.delenv("HEDGELIB_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if default_store_path().parts[-3:-1] == ("xdg", "hedgelib"):  # Linux layout
        assert default_store_path() == tmp_path / "xdg" / "hedgelib" / "positions.sqlite"


def test_trades_are_recorded_and_validated(store):
    store.open_position("p", BOOK, underlying="S&P 500", opened="2018-02-01")
    i = store.record_trade("p", time="2018-02-02", instrument="stock", quantity=-0.25, price=2760.0,
                           cost=0.07)
    trades = store.trades("p")
    assert list(trades["id"]) == [i] and pd.isna(trades.loc[0, "step"])
    assert trades.loc[0, "notional"] == -0.25 * 2760.0
    bad = [
        ({"quantity": 0.0}, "quantity must be non-zero"),
        ({"price": -1.0}, "price must be positive"),
        ({"price": float("nan")}, "price must not be NaN"),
        ({"cost": -0.5}, "cost must be non-negative"),
        ({"instrument": " "}, "instrument must be a non-empty text"),
        ({"time": "2018-01-31"}, "time must not be before the position was opened"),
        ({"time": "not a date"}, "time must be a date"),
    ]
    good = {"time": "2018-02-02", "instrument": "stock", "quantity": 1.0, "price": 2760.0, "cost": 0.0}
    for change, message in bad:
        with pytest.raises(HedgeLibError, match=message):
            store.record_trade("p", **{**good, **change})
    assert len(store.trades("p")) == 1  # nothing half-written


def test_names_are_checked(store):
    store.open_position("p", BOOK, underlying="S&P 500", opened="2018-02-01")
    with pytest.raises(HedgeLibError, match="name must be new: a position named 'p' already exists"):
        store.open_position("p", BOOK, underlying="S&P 500", opened="2018-02-01")
    with pytest.raises(HedgeLibError, match=r"name must be a position of the store .* got 'q' \(positions: 'p'\)"):
        store.book("q")
    with pytest.raises(HedgeLibError, match="name must be a non-empty text"):
        store.open_position("  ", BOOK, underlying="S&P 500", opened="2018-02-01")
    with pytest.raises(HedgeLibError, match="book must hold at least one option leg"):
        store.open_position("e", Book([]), underlying="S&P 500", opened="2018-02-01")
    with pytest.raises(HedgeLibError, match="opened must be a date"):
        store.open_position("e", BOOK, underlying="S&P 500", opened=20180201)
    with pytest.raises(HedgeLibError, match="time_basis must be 'trading' or 'calendar'"):
        store.open_position("e", BOOK, underlying="S&P 500", opened="2018-02-01", time_basis="daily")
    with pytest.raises(HedgeLibError, match="metadata must be JSON-ready"):
        store.open_position("e", BOOK, underlying="S&P 500", opened="2018-02-01", metadata={"x": object()})


def test_close_position(store):
    store.open_position("p", BOOK, underlying="S&P 500", opened="2018-02-01")
    store.close_position("p", time="2018-02-10")
    pos = store.position("p")
    assert pos.status == "closed" and pos.closed == pd.Timestamp("2018-02-10")
    with pytest.raises(HedgeLibError, match="name must be an open position, got 'p', which is closed"):
        store.close_position("p")
    with pytest.raises(HedgeLibError, match="which is closed"):
        store.record_trade("p", time="2018-02-11", instrument="stock", quantity=1.0, price=1.0)


def test_a_file_that_is_not_a_store_is_refused_untouched(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a database\n" * 10)
    before = text.read_bytes()
    with pytest.raises(HedgeLibError, match="is not a Hedge Lab position store: it is not an SQLite database"):
        PositionStore(text)
    assert text.read_bytes() == before

    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE customers (id INTEGER)")
    before = other.read_bytes()
    with pytest.raises(HedgeLibError, match=r"an SQLite database but not a Hedge Lab position store: "
                                            r"it has no schema_version table \(its tables: customers\)"):
        PositionStore(other)
    assert other.read_bytes() == before  # not even switched to WAL

    with pytest.raises(HedgeLibError, match="path must be a file, got the folder"):
        PositionStore(tmp_path)


def test_a_newer_store_is_refused(store):
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(HedgeLibError, match=f"schema version {SCHEMA_VERSION + 1}, newer than this hedgelib reads"):
        PositionStore(store.path)


# The schema of version 1 as it was written (a fixture, not the library's copy): a store of
# that version must open, keep its data and gain the monitor's tables.
SCHEMA_1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE positions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, underlying TEXT NOT NULL,
    opened TEXT NOT NULL, premium REAL, stock REAL NOT NULL, time_basis TEXT NOT NULL,
    periods_per_year INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'open', closed TEXT,
    created TEXT NOT NULL);
CREATE TABLE legs (position_id INTEGER NOT NULL REFERENCES positions(id), seq INTEGER NOT NULL,
    kind TEXT NOT NULL, strike REAL NOT NULL, quantity REAL NOT NULL, expiry_years REAL NOT NULL,
    expiry_date TEXT NOT NULL, PRIMARY KEY (position_id, seq));
CREATE TABLE trades (id INTEGER PRIMARY KEY, position_id INTEGER NOT NULL REFERENCES positions(id),
    time TEXT NOT NULL, instrument TEXT NOT NULL, quantity REAL NOT NULL, price REAL NOT NULL,
    cost REAL NOT NULL, recorded TEXT NOT NULL);
INSERT INTO schema_version VALUES (1);
INSERT INTO positions VALUES (1, 'old', 'S&P 500', '2018-02-01T00:00:00', NULL, 0.0, 'trading', 252,
    'open', NULL, '2018-02-01T09:00:00');
INSERT INTO legs VALUES (1, 0, 'call', 2800.0, -1.0, 0.08333333333333333, '2018-03-02T00:00:00');
INSERT INTO trades VALUES (1, 1, '2018-02-01T00:00:00', 'stock', 0.56, 2821.98, 0.0,
    '2018-02-01T09:00:01');
"""


def test_migration_from_version_1(tmp_path):
    path = tmp_path / "v1.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript(SCHEMA_1)
    store = PositionStore(path)
    assert store.schema_version == SCHEMA_VERSION == 2
    assert store.book("old") == Book([OptionLeg("call", 2800.0, 21 / 252, -1.0)])
    trades = store.trades("old")
    assert trades[["instrument", "quantity", "price"]].to_dict("records") == [
        {"instrument": "stock", "quantity": 0.56, "price": 2821.98}]
    assert pd.isna(trades.loc[0, "step"])
    assert store.snapshots("old").empty and store.position("old").metadata == {}
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # The migrated store takes a monitor.
    from hedgelib.live import Monitor, ReplayFeed
    from hedgelib.market.history import load_bundled

    mon = Monitor(store, "old", ReplayFeed(load_bundled("sp500"), "2018-02-01"), volatility=0.2)
    assert mon.step().step == 0 and len(store.snapshots("old")) == 1


def test_a_failed_migration_leaves_version_1(tmp_path, monkeypatch):
    import hedgelib.live.schema as S

    path = tmp_path / "v1.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript(SCHEMA_1)

    def broken(con):
        con.execute("ALTER TABLE positions ADD COLUMN settings TEXT")
        raise sqlite3.OperationalError("disk on fire")

    monkeypatch.setitem(S.MIGRATIONS, 1, broken)
    with pytest.raises(HedgeLibError, match="disk on fire"):
        PositionStore(path)
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT version FROM schema_version").fetchone()[0] == 1
        columns = [r[1] for r in con.execute("PRAGMA table_info(positions)")]
    assert "settings" not in columns  # the half-done migration was rolled back


def test_snapshots_frame_is_typed(store):
    store.open_position("p", BOOK, underlying="S&P 500", opened="2018-02-01")
    frame = store.snapshots("p")
    assert frame.index.name == "step" and frame.empty
    assert frame["pnl"].dtype == np.float64


def test_delete_position(store):
    store.open_position("a", BOOK, underlying="S&P 500", opened="2018-02-01")
    store.open_position("b", BOOK, underlying="S&P 500", opened="2018-02-01")
    store.record_trade("a", time="2018-02-02", instrument="stock", quantity=1.0, price=2760.0)
    store.delete_position("a")
    assert list(store.positions()["name"]) == ["b"]
    with sqlite3.connect(store.path) as con:
        assert con.execute("SELECT COUNT(*) FROM trades").fetchone()[0] == 0
        assert con.execute("SELECT COUNT(*) FROM legs").fetchone()[0] == 2
    with pytest.raises(HedgeLibError, match="got 'a'"):
        store.delete_position("a")
