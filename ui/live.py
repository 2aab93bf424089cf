"""Inputs, monitor building, stepping and display shaping for the Live Monitor page.

The page opens a position in the store (:class:`hedgelib.live.PositionStore`, at
:func:`hedgelib.live.default_store_path`) from the current Option Book, or resumes a saved
one, and monitors it on a feed: a replay of a bundled series (offline, the default) or Yahoo
Finance (online). Everything a position needs to be monitored again (feed, hedge, volatility
source, costs) is kept with it in the store as the page's inputs (``metadata``), so a saved
position resumes after the server restarts. The finance is the library's: the monitor runs
the hedging engine; this module only builds it and shapes its snapshots for the charts.

Session-state keys (page prefix ``"lm_"``)
-----------------------------------------
``lm_<name>`` for every input of :func:`live_fields`
    the "open a position" form: ``lm_name``, ``lm_feed`` (``"replay"``/``"yahoo"``),
    ``lm_series``, ``lm_start`` (``datetime.date``), ``lm_speed`` (closes per second),
    ``lm_ticker``, ``lm_interval``, and the hedge inputs shared with the Historical Backtest
    (``lm_strategy``, ``lm_rule``, ``lm_band_width``, ..., ``lm_vol_kind``,
    ``lm_const_vol_pct``, ``lm_cost_bp``, ...).
``lm_active``
    name of the position on show (None: none yet).
``lm_monitor``
    the :class:`~hedgelib.live.Monitor` of ``lm_active`` (rebuilt from the store when missing).
``lm_running``
    whether the page refreshes on its own (Pause / Resume).
``lm_auto_accept``
    accept every ticket as it comes (otherwise the replay waits for a decision).
``lm_clicked``
    set by a button's callback, so that the refresh it triggers does not also advance.
``lm_message``
    what the last action did (shown once).
``lm_saved_pick``, ``lm_step``, ``lm_accept``, ``lm_skip``, ``lm_pause``, ``lm_resume``,
``lm_download_blotter``, ``lm_form``, ``lm_open``, ``lm_monitor_saved``
    widgets.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np
import pandas as pd

from hedgelib.book import Book
from hedgelib.conventions import HedgeLibError
from hedgelib.live import (
    INTERVALS,
    Monitor,
    PositionStore,
    ReplayFeed,
    Snapshot,
    YahooFeed,
    offline,
)
from hedgelib.market.history import BUNDLED, load_bundled
from hedgelib.registry import Parameter
from hedgelib.scenario import (
    VOL_SOURCES,
    backtest_fields,
    backtest_keywords,
    moneyness_book,
    page_input,
)
from ui.units import GREEK_UNITS

__all__ = [
    "FEEDS",
    "PAGE",
    "REFRESH_SECONDS",
    "SERIES",
    "VOL_LABELS",
    "YAHOO_REFRESH_SECONDS",
    "advance",
    "blotter_frame",
    "build_monitor",
    "default_name",
    "greek_series",
    "live_fields",
    "metric_items",
    "offline_note",
    "open_position",
    "open_store",
    "restore_inputs",
    "snapshot_frame",
    "status_line",
    "steps_per_refresh",
    "store_caption",
    "ticket_frame",
    "vix_note",
]

PAGE = "live_monitor"
#: Seconds between automatic refreshes of the live panel.
REFRESH_SECONDS = 1.0
#: Seconds between polls of a live (Yahoo) feed: its bars come once a minute at best.
YAHOO_REFRESH_SECONDS = 15.0
#: Most closes one refresh may take (the replay speed's cap).
MAX_STEPS_PER_REFRESH = 20

FEEDS: dict[str, str] = {
    "replay": "Replay a bundled series (offline)",
    "yahoo": "Yahoo Finance, live (online)",
}
#: Bundled price series (the VIX is a volatility, not a price to hedge).
SERIES: dict[str, str] = {k: d.name for k, d in BUNDLED.items() if k != "vix"}

_OWN: dict[str, Parameter] = {
    "name": page_input("name", "Position name", "", help="Unique in the store; empty: a name is made up."),
    "feed": page_input("feed", "Price feed", "replay", choices=tuple(FEEDS)),
    "series": page_input("series", "Series", "sp500", choices=tuple(SERIES)),
    "start": page_input("start", "Start (first close)", "2018-01-29",
                        help="The position is opened at the first close on or after it."),
    "speed": page_input("speed", "Replay speed (closes per second)", 2.0, low=0.2, high=20.0, step=0.5,
                        help="How fast the replay runs while the page refreshes on its own."),
    "ticker": page_input("ticker", "Yahoo ticker", "SPY"),
    "interval": page_input("interval", "Bar interval", "1m", choices=tuple(INTERVALS)),
}
_NOT_LIVE = ("mode", "book_kind", "preset", "side", "size", "width_pct", "tenor_days", "roll",
             "roll_days", "start", "end")
VOL_LABELS = VOL_SOURCES


def live_fields() -> dict[str, Parameter]:
    """The page's inputs, keyed by name, computed from the registries when asked (a part
    registered since is offered at once).

    The hedge, volatility, rate and cost inputs are the Historical Backtest's (same keys, same
    builder): one step is one close. A delta band is the live default, so that a ticket comes
    up only when the hedge is off by more than the band.
    """
    shared = {k: f for k, f in backtest_fields().items() if k not in _NOT_LIVE}
    shared["rule"] = dataclasses.replace(shared["rule"], default="delta_band")
    return {**_OWN, **shared}


def open_store(path: Any = None) -> PositionStore:
    """The page's store (default :func:`~hedgelib.live.default_store_path`)."""
    return PositionStore(path)


def default_name(store: PositionStore, settings: Mapping[str, Any]) -> str:
    """A free name such as "S&P 500 from 2018-01-29 #2"."""
    base = (f"{SERIES.get(settings['series'], settings['series'])} from {settings['start']}"
            if settings["feed"] == "replay" else f"{str(settings['ticker']).upper()} live")
    taken = set(store.positions()["name"])
    n = 1
    while f"{base} #{n}" in taken:
        n += 1
    return f"{base} #{n}"


def _plain(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in settings.items()}


def build_feed(settings: Mapping[str, Any]) -> Any:
    """The feed the inputs ask for; a bad date or an offline Yahoo raises HedgeLibError."""
    if settings["feed"] == "replay":
        key = settings["series"]
        if key not in SERIES:
            raise HedgeLibError(f"Series must be one of {', '.join(SERIES)}, got {key!r}")
        return ReplayFeed(load_bundled(key), settings["start"])
    if settings["feed"] == "yahoo":
        try:
            return YahooFeed(str(settings["ticker"]), settings["interval"])
        except HedgeLibError as exc:
            raise HedgeLibError(f"Yahoo ticker: {exc}") from None
    raise HedgeLibError(f"Price feed must be one of {', '.join(FEEDS)}, got {settings['feed']!r}")


def _monitor_keywords(settings: Mapping[str, Any], feed: Any) -> dict[str, Any]:
    if settings["feed"] == "yahoo" and settings["vol_kind"] != "constant":
        raise HedgeLibError(
            f"Volatility source: a live feed needs a constant volatility, got "
            f"{VOL_LABELS.get(settings['vol_kind'], settings['vol_kind'])!r}"
        )
    kw = backtest_keywords(settings)
    kw["volatility"] = kw.pop("hedge_volatility")
    return kw


def build_monitor(store: PositionStore, name: str) -> Monitor:
    """The monitor of a position the page opened, from the inputs kept with it."""
    meta = store.position(name).metadata
    if meta.get("page") != PAGE:
        raise HedgeLibError(
            f"position {name!r} was opened outside this page (no feed kept with it): its history "
            "is shown, but only the program that opened it can monitor it"
        )
    settings = {**{k: f.default for k, f in live_fields().items()}, **meta["inputs"]}
    feed = build_feed(settings)
    return Monitor(store, name, feed, **_monitor_keywords(settings, feed))


def open_position(store: PositionStore, settings: Mapping[str, Any], book: Book,
                  reference_spot: float) -> Monitor:
    """Open a position on the current book and take its first price.

    The book's strikes are read as fractions of ``reference_spot`` (the Option Book page's
    spot) and rescaled to the first price of the feed, as the Historical Backtest does.
    """
    inputs = _plain(settings)
    if not str(inputs.get("name") or "").strip():
        inputs["name"] = default_name(store, inputs)
    feed = build_feed(inputs)
    kw = _monitor_keywords(inputs, feed)
    try:
        first = feed.next_tick(None)
    except Exception as exc:
        raise HedgeLibError(f"Price feed: no first price to open at ({exc})") from None
    if first is None:
        raise HedgeLibError("Price feed: no first price to open at yet; try again in a minute")
    template = moneyness_book(book, reference_spot)
    legs = [dataclasses.replace(g, strike=g.strike * first.price) for g in template.legs]
    live_book = Book(legs, book.stock)
    underlying = SERIES.get(inputs["series"], "") if inputs["feed"] == "replay" else str(inputs["ticker"]).upper()
    store.open_position(inputs["name"], live_book, underlying=underlying, opened=first.timestamp,
                        time_basis=feed.time_basis, metadata={"page": PAGE, "inputs": inputs})
    try:
        mon = Monitor(store, inputs["name"], feed, **kw)
    except HedgeLibError:
        store.delete_position(inputs["name"])  # nothing monitored: only a name in the way
        raise
    try:
        mon.step()
    except HedgeLibError as exc:
        # The first price is in hand, so what failed is the volatility on that date.
        store.delete_position(inputs["name"])
        raise HedgeLibError(f"Volatility source: {exc}") from None
    if mon.last is None:
        store.delete_position(inputs["name"])
        raise HedgeLibError(f"Price feed: no first price ({mon.status.message})")
    return mon


def advance(monitor: Monitor, n: int, *, auto_accept: bool) -> list[Snapshot]:
    """Take up to ``n`` prices; stop at a ticket awaiting a decision unless ``auto_accept``
    (then accept it). Stops early when the feed has nothing new."""
    out: list[Snapshot] = []
    for _ in range(max(int(n), 0)):
        pending = monitor.pending
        if pending is not None:
            if not auto_accept:
                break
            monitor.accept(pending)
        if monitor.finished:
            break
        snap = monitor.step()
        if snap is None:
            break
        out.append(snap)
    if auto_accept and monitor.pending is not None:
        monitor.accept(monitor.pending)
    return out


def steps_per_refresh(speed: float) -> int:
    """Closes per refresh for a replay speed in closes per second."""
    return max(1, min(MAX_STEPS_PER_REFRESH, int(round(float(speed) * REFRESH_SECONDS))))


def vix_note(settings: Mapping[str, Any]) -> str | None:
    """A warning when the VIX stands in for another index's implied volatility."""
    if settings.get("vol_kind") == "vix" and not (settings.get("feed") == "replay" and settings.get("series") == "sp500"):
        return ("The VIX is the implied volatility of the S&P 500: it is used here as a stand-in "
                "for this underlying's.")
    return None


def status_line(monitor: Monitor) -> tuple[str, str]:
    """``(kind, text)`` for the banner: ``kind`` is "success", "info", "warning" or "error"."""
    s = monitor.status
    last = monitor.last
    where = "" if last is None else f" Step {last.step}, {last.time:%Y-%m-%d %H:%M}."
    if monitor.finished:
        return "success", f"Position {monitor.name!r} is {monitor.position.status}: {s.message}.{where}"
    kind = {"ok": "info", "idle": "info", "waiting": "info", "ended": "warning", "stale": "warning"}.get(s.kind, "error")
    return kind, f"Feed: {s.message}.{where}"


def snapshot_frame(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Arrays for the charts from :meth:`PositionStore.snapshots`: times, price, booked P&L,
    held after each decision, target, option held and target."""
    accepted = (frame["decision"] == "accepted").to_numpy()
    return {
        "time": frame["time"].to_numpy(),
        "price": frame["price"].to_numpy(),
        "pnl": np.where(accepted, frame["pnl_after"], frame["pnl"]),
        "held": frame["stock"].to_numpy() + np.where(accepted, frame["trade_stock"], 0.0),
        "target": frame["target_stock"].to_numpy(dtype=np.float64),
        "option_held": frame["option"].to_numpy() + np.where(accepted, frame["trade_option"], 0.0),
        "option_target": frame["target_option"].to_numpy(dtype=np.float64),
    }


def greek_series(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The book's greeks over time in trader units, keyed by their labels."""
    out = {}
    for field in ("delta", "gamma", "vega", "theta"):
        unit = GREEK_UNITS[field]
        out[unit.label] = frame[field].to_numpy() / unit.divisor
    return out


def ticket_frame(snapshot: Snapshot, underlying: str) -> pd.DataFrame:
    """The ticket's lines: instrument, side, quantity, price, notional, cost."""
    t = snapshot.suggested_trade
    rows = []
    for instrument, qty, price, cost in ([] if t is None else t.lines(underlying)):
        rows.append({"instrument": instrument, "side": "buy" if qty > 0 else "sell",
                     "quantity": abs(qty), "price": price, "notional": qty * price, "cost": cost})
    return pd.DataFrame(rows, columns=["instrument", "side", "quantity", "price", "notional", "cost"])


def blotter_frame(trades: pd.DataFrame) -> pd.DataFrame:
    """The blotter for display and CSV: time, step, instrument, side, quantity, price,
    notional, cost."""
    out = trades[["time", "step", "instrument", "quantity", "price", "notional", "cost"]].copy()
    out.insert(3, "side", np.where(out["quantity"] > 0, "buy", "sell"))
    return out


def restore_inputs(state: MutableMapping[str, Any], saved: Mapping[str, Any]) -> None:
    """Give each form widget its value from ``saved`` (else its default); dates as dates."""
    for name, f in live_fields().items():
        key = "lm_" + name
        if key in state:
            continue
        value = saved.get(name, f.default)
        if name == "start":
            value = pd.Timestamp(value).date()
        state[key] = value
        if f.choices is not None and state[key] not in f.choices:
            state[key] = f.default


def metric_items(monitor: Monitor) -> list[tuple[str, str, str | None]]:
    """The headline metrics of the latest snapshot: ``(label, value, help)``."""
    s = monitor.last
    if s is None:
        return []
    g = {f: GREEK_UNITS[f] for f in ("delta", "gamma", "vega", "theta")}
    target = "n/a" if s.target_stock is None or math.isnan(s.target_stock) else f"{s.target_stock:+,.4f}"
    return [
        ("Price", f"{s.price:,.2f}", f"{monitor.position.underlying} at {s.time}"),
        ("P&L since opening", f"{round(s.booked_pnl, 2) + 0.0:+,.2f}",
         "Book at the hedge volatility plus hedge plus cash, premium included (currency)."),
        ("Premium", f"{s.premium:+,.2f}", "Paid for the book, holder's sign: negative means received."),
        ("Hedge volatility", f"{100 * s.volatility:.2f}%", None),
        ("Hedge held (shares)", f"{s.stock:+,.4f}", "Before this step's ticket."),
        ("Target (shares)", target, "What the strategy asks for now."),
        ("Deviation (shares of delta)", f"{s.deviation:+,.4f}", "Held minus target: what the rule watches."),
        ("Net delta", f"{s.net_delta:+,.4f}", "Book plus hedge as held."),
        (g["delta"].label, f"{s.delta / g['delta'].divisor:+,.4f}", g["delta"].help),
        (g["gamma"].label, f"{s.gamma / g['gamma'].divisor:+,.5f}", g["gamma"].help),
        (g["vega"].label, f"{s.vega / g['vega'].divisor:+,.3f}", g["vega"].help),
        (g["theta"].label, f"{s.theta / g['theta'].divisor:+,.3f}", g["theta"].help),
    ]


def offline_note() -> str | None:
    """Why Yahoo cannot be used now, or None."""
    if offline():
        return ("Yahoo Finance is unavailable: HEDGELIB_OFFLINE=1 is set. Replay a bundled series "
                "instead; it works offline.")
    return None


def store_caption(store: PositionStore) -> str:
    return (f"Positions are kept in `{store.path}` (the folder comes from HEDGELIB_DATA_DIR when "
            "set); they survive restarts and can be resumed below.")
