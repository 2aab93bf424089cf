"""A monitor in its own process, for the crash and concurrency tests (not a test module).

Usage::

    python tests/live/live_worker.py run STORE NAME KILL_AT KILL_WHERE
    python tests/live/live_worker.py write STORE PREFIX N

``run`` monitors position NAME (opened if missing) on the bundled S&P 500, accepting every
ticket, and prints ``{"pnl": ..., "trades": ...}`` as JSON; with ``KILL_AT`` >= 0 it kills
itself with SIGKILL at that step, ``KILL_WHERE`` = ``"before_accept"`` (the ticket pending)
or ``"after_accept"``. ``write`` first tries to open a position called "same name" (printing
``ok`` or the error), then opens position PREFIX and records N trades and N monitored steps,
each its own transaction.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging import DeltaBand, TransactionCosts
from hedgelib.live import Monitor, PositionStore, ReplayFeed
from hedgelib.market.history import load_bundled

START = "2018-02-01"
BOOK = Book([OptionLeg("call", 2800.0, 30 / 252, -1.0), OptionLeg("put", 2650.0, 30 / 252, -1.0)])
SETTINGS = {"volatility": 0.2, "rule": DeltaBand(0.05), "costs": TransactionCosts(proportional=2e-4, per_trade=0.5),
            "rate": 0.02}


def monitor(store: PositionStore, name: str) -> Monitor:
    if name not in set(store.positions()["name"]):
        store.open_position(name, BOOK, underlying="S&P 500", opened=START)
    return Monitor(store, name, ReplayFeed(load_bundled("sp500"), START), **SETTINGS)


def run(path: str, name: str, kill_at: int = -1, where: str = "before_accept") -> dict:
    store = PositionStore(path)
    mon = monitor(store, name)
    if mon.pending is not None:  # the ticket the last process left undecided
        mon.accept(mon.pending)
    while (snap := mon.step()) is not None:
        if snap.step == kill_at and where == "before_accept":
            os.kill(os.getpid(), signal.SIGKILL)
        if snap.suggested_trade is not None:
            mon.accept(snap)
        if snap.step == kill_at and where == "after_accept":
            os.kill(os.getpid(), signal.SIGKILL)
    return {"pnl": mon.pnl, "trades": len(store.trades(name)), "steps": len(store.snapshots(name)),
            "status": store.position(name).status}


def write(path: str, prefix: str, n: int) -> str:
    store = PositionStore(path)
    try:
        store.open_position("same name", BOOK, underlying="S&P 500", opened=START)
        opened = "ok"
    except HedgeLibError as exc:
        opened = f"error: {exc}"
    mon = monitor(store, prefix)
    for i in range(n):
        store.record_trade(prefix, time=f"2018-02-{1 + i % 27:02d}", instrument=f"hand {i}",
                           quantity=1.0 + i, price=100.0 + i, cost=0.01)
        snap = mon.step()
        if snap is not None and snap.suggested_trade is not None:
            mon.accept(snap)
    return opened


def main(argv: list[str]) -> None:
    what, path = argv[0], argv[1]
    if what == "run":
        print(json.dumps(run(path, argv[2], int(argv[3]), argv[4])))
    elif what == "write":
        print(write(path, argv[2], int(argv[3])))


if __name__ == "__main__":
    main(sys.argv[1:])
