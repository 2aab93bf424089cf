"""The live side of a hedge: positions kept in SQLite, prices streamed, alerts and tickets.

- :class:`PositionStore`: positions, their trades and every monitored state in one SQLite
  file (WAL mode, versioned schema, migrations);
- feeds: :class:`ReplayFeed` (a real series, offline) and :class:`YahooFeed` (polled live);
- :class:`Monitor`: each new price gives a :class:`Snapshot` (value, greeks, P&L since
  opening, hedge against target) and, when the rule fires, an alert and a
  :class:`TradeTicket` to accept or skip.

The monitor runs the hedging engine itself on the prices seen so far, so that a replayed
series monitored with every ticket accepted ends exactly where
:func:`~hedgelib.backtest.replay` does.
"""

from hedgelib.live.feeds import (
    INTERVALS,
    Feed,
    FeedEnded,
    FeedError,
    ReplayFeed,
    StalePrice,
    Tick,
    YahooFeed,
    offline,
)
from hedgelib.live.monitor import FeedStatus, Monitor, Snapshot, TradeTicket
from hedgelib.live.schema import SCHEMA_VERSION, SNAPSHOT_COLUMNS, TRADE_COLUMNS
from hedgelib.live.store import (
    Position,
    PositionStore,
    default_store_path,
    expiry_date,
)

__all__ = [
    "INTERVALS",
    "SCHEMA_VERSION",
    "SNAPSHOT_COLUMNS",
    "TRADE_COLUMNS",
    "Feed",
    "FeedEnded",
    "FeedError",
    "FeedStatus",
    "Monitor",
    "Position",
    "PositionStore",
    "ReplayFeed",
    "Snapshot",
    "StalePrice",
    "Tick",
    "TradeTicket",
    "YahooFeed",
    "default_store_path",
    "expiry_date",
    "offline",
]
