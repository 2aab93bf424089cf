"""The live hedge monitor: each new price gives the book's state, an alert and a trade ticket.

:class:`Monitor` ties a position of a :class:`~hedgelib.live.store.PositionStore` to a feed
(:mod:`hedgelib.live.feeds`) and a hedge (strategy, rule, costs, volatility). Each
:meth:`Monitor.step` takes the next price and returns a :class:`Snapshot`: the book's value
and greeks at the hedge volatility, the P&L since opening, the hedge held against the
strategy's target, and, when the rule fires, an alert and a :class:`TradeTicket`. The user
accepts the ticket (:meth:`Monitor.accept`, recorded in the store's blotter) or skips it
(:meth:`Monitor.skip`, or by stepping on). Every snapshot and decision is committed before
the method returns, and a monitor built again on the same store resumes where the last one
stopped.

The arithmetic is the engine's (:mod:`hedgelib.live._engine`): a monitor that accepts every
ticket of a replayed series ends with the P&L and the trades of
:func:`~hedgelib.backtest.replay` on the same book, closes, volatility, rule and costs.

References
----------
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed. (2021), ch. 19 (greeks,
rebalancing). Whalley, A. E. and Wilmott, P. (1997), *Mathematical Finance* 7(3) (bands).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hedgelib.backtest.vol_sources import ConstantVol, as_volatility_source
from hedgelib.book import Book
from hedgelib.conventions import CALENDAR_DAYS_PER_YEAR, EXPIRY_TOLERANCE, HedgeLibError
from hedgelib.hedging.setup import EVERY_STEP, NO_COSTS, HedgeSetup
from hedgelib.live._engine import EngineStep, engine_step
from hedgelib.live.feeds import FeedEnded, FeedError, StalePrice, Tick
from hedgelib.live.schema import SNAPSHOT_COLUMNS
from hedgelib.live.store import PositionStore, expiry_date

__all__ = ["FeedStatus", "Monitor", "Snapshot", "TradeTicket"]

_SECONDS_PER_YEAR = CALENDAR_DAYS_PER_YEAR * 86400.0
_ONE_NS = pd.Timedelta(1, "ns")


@dataclass(frozen=True)
class FeedStatus:
    """What the feed did at the last :meth:`Monitor.step`.

    ``kind``: ``"idle"`` (no step yet), ``"ok"`` (a new price), ``"waiting"`` (no new price
    yet), ``"ended"`` (the feed has no more prices), ``"stale"`` (the newest price is too old),
    ``"error"`` (the feed failed; the monitor keeps its last good state) or ``"closed"`` (the
    position is closed or expired). ``message`` says it in words.
    """

    kind: str
    message: str

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


@dataclass(frozen=True)
class TradeTicket:
    """The trade the hedge asks for at one step.

    Attributes
    ----------
    step : int
    time : pandas.Timestamp
    stock : float
        Shares of the underlying to trade (signed: + buy).
    price : float
        The underlying's price.
    option : float
        Units of the hedge option to trade (0 without one).
    option_price : float or None
        Its model price at the hedge volatility.
    option_label : str or None
        Which option ("call K=2850.00 exp 2018-05-02").
    roll_option : float
        Units of the previous hedge option sold in an early roll (0 if none).
    roll_price : float or None
    cost : float
        What the ticket costs under the cost model (currency), booked on its first line.
    reason : str
    mandatory : bool
        The hedge is unwound at expiry, or an option is rolled: it cannot be skipped.
    """

    step: int
    time: pd.Timestamp
    stock: float
    price: float
    option: float
    option_price: float | None
    option_label: str | None
    roll_option: float
    roll_price: float | None
    cost: float
    reason: str
    mandatory: bool

    def lines(self, underlying: str = "stock") -> list[tuple[str, float, float, float]]:
        """``(instrument, quantity, price, cost)`` per instrument traded, for the blotter."""
        out: list[tuple[str, float, float, float]] = []
        if self.roll_option != 0.0 and self.roll_price:
            out.append((f"{self.option_label or 'hedge option'} (roll: old option)",
                        self.roll_option, self.roll_price, 0.0))
        if self.stock != 0.0:
            out.append((underlying, self.stock, self.price, 0.0))
        if self.option != 0.0 and self.option_price:
            out.append((self.option_label or "hedge option", self.option, self.option_price, 0.0))
        if out:
            first = out[0]
            out[0] = (first[0], first[1], first[2], self.cost)
        return out


@dataclass(frozen=True)
class Snapshot:
    """The monitored state of a position at one price.

    Attributes
    ----------
    position : str
    step : int
        0 at the first price.
    time : pandas.Timestamp
        The price's timestamp.
    years : float
        Time since the first price, on the position's time basis.
    price, volatility : float
        The underlying's price; the hedge volatility used (decimal).
    value : float
        Live legs plus the book's stock at the hedge volatility (currency).
    delta, gamma, vega, theta : float
        The book's greeks (raw: vega per 1.00 of volatility, theta per year).
    net_delta : float
        Delta of book plus hedge as held (before the ticket).
    stock, option : float
        Hedge held before the ticket (shares; units of the hedge option).
    target_stock, target_option : float or None
        The strategy's target (zero at expiry).
    deviation : float
        Hedge held minus target, in shares of delta (what the rule looks at).
    pnl : float
        P&L since opening as held, premium included (currency, holder's view).
    pnl_after : float
        The same after the ticket, its cost paid.
    premium : float
        Premium of the position (holder's sign).
    rule_fired : bool
    alert : str or None
        Set when there is a ticket.
    suggested_trade : TradeTicket or None
    final : bool
        The book expired at this price: the ticket unwinds the hedge.
    decision : {"none", "pending", "accepted", "skipped"}
    """

    position: str
    step: int
    time: pd.Timestamp
    years: float
    price: float
    volatility: float
    value: float
    delta: float
    gamma: float
    vega: float
    theta: float
    net_delta: float
    stock: float
    option: float
    target_stock: float | None
    target_option: float | None
    deviation: float
    pnl: float
    pnl_after: float
    premium: float
    rule_fired: bool
    alert: str | None
    suggested_trade: TradeTicket | None
    final: bool
    decision: str

    @property
    def booked_pnl(self) -> float:
        """P&L as booked: after the ticket if it was accepted, else as held."""
        return self.pnl_after if self.decision == "accepted" else self.pnl

    def to_row(self) -> dict[str, Any]:
        """The store's columns (:data:`~hedgelib.live.store.SNAPSHOT_COLUMNS`) and ``step``."""
        t = self.suggested_trade
        row = {c: getattr(self, c) for c, _ in SNAPSHOT_COLUMNS if hasattr(self, c)}
        row.update(
            step=self.step, trade_stock=t.stock if t else 0.0, trade_option=t.option if t else 0.0,
            trade_cost=t.cost if t else 0.0, option_price=t.option_price if t else None,
            option_label=t.option_label if t else None, roll_option=t.roll_option if t else 0.0,
            roll_price=t.roll_price if t else None, reason=t.reason if t else None,
            mandatory=bool(t.mandatory) if t else False,
        )
        return row

    @classmethod
    def from_row(cls, position: str, step: int, row: Any) -> Snapshot:
        """A snapshot read back from :meth:`PositionStore.snapshots` (one row)."""
        def opt(name: str) -> float | None:
            v = row[name]
            return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

        def text(name: str) -> str | None:
            v = row[name]
            return v if isinstance(v, str) and v else None

        time = pd.Timestamp(row["time"])
        ticket = None
        if row["decision"] != "none":
            ticket = TradeTicket(
                step=int(step), time=time, stock=float(row["trade_stock"]), price=float(row["price"]),
                option=float(row["trade_option"]), option_price=opt("option_price"),
                option_label=text("option_label"), roll_option=float(row["roll_option"]),
                roll_price=opt("roll_price"), cost=float(row["trade_cost"]),
                reason=text("reason") or "", mandatory=bool(row["mandatory"]),
            )
        floats = ("years", "price", "volatility", "value", "delta", "gamma", "vega", "theta",
                  "net_delta", "stock", "option", "deviation", "pnl", "pnl_after", "premium")
        return cls(
            position=position, step=int(step), time=time, **{f: float(row[f]) for f in floats},
            target_stock=opt("target_stock"), target_option=opt("target_option"),
            rule_fired=bool(row["rule_fired"]), alert=text("alert"), suggested_trade=ticket,
            final=bool(row["final"]), decision=str(row["decision"]),
        )


def _describe(part: Any) -> str:
    text = repr(part)
    if len(text) > 200:  # a data-carrying part (an implied-volatility series): name and size
        text = f"{type(part).__name__}(<{len(text)} characters>)"
    return text


class Monitor:
    """Monitor one position of a store on a price feed.

    Parameters
    ----------
    store : PositionStore
    name : str
        An open position of ``store``.
    feed : ReplayFeed, YahooFeed or any :class:`~hedgelib.live.feeds.Feed`
        Its ``time_basis`` must be the position's.
    volatility : float or volatility source
        The hedge volatility: a number, or a source (:class:`~hedgelib.backtest.ConstantVol`,
        :class:`~hedgelib.backtest.ImpliedVolSeries`, :class:`~hedgelib.backtest.RealisedVol`,
        :class:`~hedgelib.backtest.GarchVol`), asked on each new date with the feed's history
        up to that date (a source other than a constant needs a feed with ``history_until``).
    rate, dividend_yield : float, default 0.0
        Continuously compounded, decimal.
    strategy, rule, costs, hedge_option
        As in :class:`~hedgelib.hedging.setup.HedgeSetup` (``costs=None``: free).

    Notes
    -----
    At each price :math:`S_k` the engine is run on the prices seen so far (see
    :mod:`hedgelib.live._engine`), the skipped tickets held as they were. The P&L since
    opening is :math:`C_k + V_k + x_k S_k + u_k O_k`: cash (premium, settlements, trades,
    costs, interest, dividends), the book at the hedge volatility, and the hedge. When the
    position carries its own premium :math:`P` instead of the engine's :math:`P_e`, the P&L
    moves by :math:`(P_e - P)` grown at the rate. The deviation is
    :math:`(x - x^*) + (u - u^*)\\,\\Delta_{opt}`, in shares of delta.

    A monitor that resumes must be given the settings the position was monitored with (they
    are kept in the store, and a difference is refused). A ticket still pending when the
    process stopped is :attr:`pending` again.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from hedgelib.book import OptionLeg
    >>> from hedgelib.hedging import DeltaBand
    >>> from hedgelib.live import PositionStore, ReplayFeed
    >>> from hedgelib.market.history import load_bundled
    >>> store = PositionStore(pathlib.Path(tempfile.mkdtemp()) / "live.sqlite")
    >>> book = Book([OptionLeg("call", 2800.0, 21 / 252, -1.0)])
    >>> store.open_position("demo", book, underlying="S&P 500", opened="2018-02-01")
    >>> feed = ReplayFeed(load_bundled("sp500"), "2018-02-01")
    >>> mon = Monitor(store, "demo", feed, volatility=0.2, rule=DeltaBand(0.1))
    >>> snap = mon.step()
    >>> snap.alert, round(snap.suggested_trade.stock, 4)
    ('Opening hedge: trade to the Delta (stock) target', 0.5653)
    >>> mon.accept(snap)
    >>> while (s := mon.step()) is not None:
    ...     if s.suggested_trade is not None:
    ...         mon.accept(s)
    >>> mon.status.kind, round(mon.pnl, 4), len(store.trades("demo"))
    ('closed', -12.692, 9)

    Every ticket accepted: the P&L of the backtest on the same closes.

    >>> from hedgelib.backtest import replay
    >>> replay(feed.prices, book, start="2018-02-01", hedge_volatility=0.2,
    ...        rule=DeltaBand(0.1)).pnl == mon.pnl
    True
    """

    def __init__(self, store: PositionStore, name: str, feed: Any, *, volatility: Any,
                 rate: float = 0.0, dividend_yield: float = 0.0, strategy: Any = "delta",
                 rule: Any = EVERY_STEP, costs: Any = None, hedge_option: Any = None) -> None:
        if not isinstance(store, PositionStore):
            raise HedgeLibError(f"store must be a PositionStore, got {type(store).__name__}")
        self.store = store
        self.position = store.position(name)
        self.name = self.position.name
        if not callable(getattr(feed, "next_tick", None)):
            raise HedgeLibError(f"feed must be a feed with a next_tick method (ReplayFeed, YahooFeed), got {feed!r}")
        basis = getattr(feed, "time_basis", None)
        if basis != self.position.time_basis:
            raise HedgeLibError(
                f"feed must give prices on the position's time basis ({self.position.time_basis!r}), "
                f"got {getattr(feed, 'label', feed)!s} on the {basis!r} basis: open the position "
                f"with time_basis={basis!r} for this feed"
            )
        self.feed = feed
        self.source = as_volatility_source(volatility, "volatility")
        self._constant = self.source.volatility if isinstance(self.source, ConstantVol) else None
        if self._constant is None and not callable(getattr(feed, "history_until", None)):
            raise HedgeLibError(
                f"volatility must be a number for {getattr(feed, 'label', feed)!s}, got the source "
                f"{_describe(self.source)}: it needs the feed's daily history, which a live feed "
                "does not give"
            )
        self.setup = HedgeSetup(
            hedge_volatility=self._constant or 0.2, rate=rate, dividend_yield=dividend_yield,
            strategy=strategy, rule=rule, costs=NO_COSTS if costs is None else costs,
            hedge_option=hedge_option,
        )
        self.settings = {
            "volatility": _describe(self.source), "rate": self.setup.rate,
            "dividend_yield": self.setup.dividend_yield,
            "strategy": getattr(self.setup.strategy, "name", _describe(self.setup.strategy)),
            "rule": _describe(self.setup.rule), "costs": _describe(self.setup.costs),
            "hedge_option": _describe(self.setup.hedge_option if self.setup.uses_option else None),
        }
        frame = store.snapshots(self.name)
        if len(frame) and self.position.settings not in (None, self.settings):
            diff = [f"{k}={self.position.settings.get(k)!r} (given {v!r})"
                    for k, v in self.settings.items() if self.position.settings.get(k) != v]
            raise HedgeLibError(
                f"settings must be those position {self.name!r} was monitored with: "
                + "; ".join(diff)
            )
        self._snapshots = [Snapshot.from_row(self.name, int(i), r) for i, r in frame.iterrows()]
        self.status = FeedStatus("idle", "no price taken yet" if not self._snapshots else
                                 f"resumed after step {self._snapshots[-1].step}")
        if not self.position.is_open:
            self.status = FeedStatus("closed", f"position {self.name!r} is {self.position.status}")

    def __repr__(self) -> str:
        return f"Monitor({self.name!r}, {getattr(self.feed, 'label', self.feed)!s}, steps={len(self._snapshots)})"

    # -- state ------------------------------------------------------------------------------

    @property
    def last(self) -> Snapshot | None:
        """The latest snapshot (None before the first price)."""
        return self._snapshots[-1] if self._snapshots else None

    @property
    def pending(self) -> Snapshot | None:
        """The latest snapshot if its ticket awaits a decision."""
        last = self.last
        return last if last is not None and last.decision == "pending" else None

    @property
    def finished(self) -> bool:
        """The position is closed or expired: no more steps."""
        return not self.position.is_open

    @property
    def pnl(self) -> float | None:
        """P&L since opening as booked now (after the last ticket if accepted)."""
        last = self.last
        return None if last is None else last.booked_pnl

    def snapshots(self) -> pd.DataFrame:
        """Every monitored state (:meth:`PositionStore.snapshots`)."""
        return self.store.snapshots(self.name)

    def trades(self) -> pd.DataFrame:
        """The blotter (:meth:`PositionStore.trades`)."""
        return self.store.trades(self.name)

    # -- stepping ---------------------------------------------------------------------------

    def step(self) -> Snapshot | None:
        """Take the next price: the new snapshot, committed to the store.

        Returns None when there is no new price: the feed has ended, has nothing new yet, or
        failed; :attr:`status` says which, and the last good state is kept. A pending ticket
        is skipped when a new price arrives (one that cannot be skipped raises).
        """
        if self.finished:
            self.status = FeedStatus("closed", f"position {self.name!r} is {self.position.status}")
            return None
        pending = self.pending
        if pending is not None and pending.suggested_trade.mandatory:
            raise HedgeLibError(
                f"the ticket of step {pending.step} ({pending.suggested_trade.reason}) must be "
                "accepted before the next price: it cannot be skipped"
            )
        last = self.last
        after = last.time if last is not None else self.position.opened - _ONE_NS
        tick = self._poll(after)
        if tick is None:
            return None
        snap = self._compute(tick, skipped_now=pending.step if pending is not None else None)
        self.store._append_snapshot(self.name, snap.to_row(), settings=json.dumps(self.settings, sort_keys=True))
        if pending is not None:
            self._snapshots[-1] = _replace(pending, decision="skipped")
        self._snapshots.append(snap)
        if snap.final and snap.decision == "none":
            self.position = self.store.position(self.name)
        self.status = FeedStatus("ok", f"price {snap.price:,.6g} at {snap.time}")
        return snap

    def _poll(self, after: pd.Timestamp) -> Tick | None:
        label = getattr(self.feed, "label", type(self.feed).__name__)
        try:
            tick = self.feed.next_tick(after)
        except FeedEnded as exc:
            self.status = FeedStatus("ended", f"{exc}: no more prices")
            return None
        except StalePrice as exc:
            self.status = FeedStatus("stale", f"{exc}; keeping the last good state")
            return None
        except FeedError as exc:
            self.status = FeedStatus("error", f"{exc}; keeping the last good state")
            return None
        except Exception as exc:  # a feed's own failure never takes the monitor down
            self.status = FeedStatus("error", f"{label} failed ({type(exc).__name__}: {exc}); "
                                              "keeping the last good state")
            return None
        if tick is None:
            self.status = FeedStatus("waiting", f"no new price from {label} since {after}")
            return None
        try:
            ts, price = pd.Timestamp(tick[0]), float(tick[1])
        except (TypeError, ValueError, IndexError):
            self.status = FeedStatus("error", f"{label} gave {tick!r}, not (timestamp, price); ignored")
            return None
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        if not (math.isfinite(price) and price > 0):
            self.status = FeedStatus("error", f"{label} gave a price of {price!r} at {ts}; ignored, "
                                              "keeping the last good state")
            return None
        if ts <= after:
            self.status = FeedStatus("stale", f"{label} repeated a price at {ts}, not after {after}; ignored")
            return None
        return Tick(ts, price)

    def _years(self, ts: pd.Timestamp) -> float:
        if not self._snapshots:
            return 0.0
        if self.position.time_basis == "trading":
            return len(self._snapshots) / self.position.periods_per_year
        return (ts - self._snapshots[0].time).total_seconds() / _SECONDS_PER_YEAR

    def _volatility(self, ts: pd.Timestamp, years: float) -> float:
        if self._constant is not None:
            return self._constant
        history = self.feed.history_until(ts)
        dates = pd.DatetimeIndex([s.time for s in self._snapshots] + [ts])
        seen = np.array([s.years for s in self._snapshots] + [years])
        remaining = np.maximum(self.position.last_expiry - seen, 0.0)
        values = self.source.volatility_on(history, dates, remaining_years=remaining)
        v = float(np.asarray(values)[-1])
        if not (math.isfinite(v) and v > 0):
            raise HedgeLibError(f"volatility from {_describe(self.source)} on {ts} must be positive, got {v!r}")
        return v

    def _compute(self, tick: Tick, *, skipped_now: int | None) -> Snapshot:
        ts, price = tick
        years = self._years(ts)
        sigma = self._volatility(ts, years)
        snaps = self._snapshots
        book = self.position.book
        final = bool(book.legs) and years >= self.position.last_expiry - EXPIRY_TOLERANCE
        skipped = {s.step for s in snaps if s.decision == "skipped"}
        if skipped_now is not None:
            skipped.add(skipped_now)
        times = np.array([s.years for s in snaps] + [years])
        spot = np.array([s.price for s in snaps] + [price])
        vols = np.array([s.volatility for s in snaps] + [sigma])
        period = 1.0 / self.position.periods_per_year
        es = engine_step(book, times, spot, vols, self.setup, skipped=skipped, final=final, period=period)
        self._check_history(es, skipped)
        premium, shift = es.premium, 0.0
        if self.position.premium is not None:
            premium = self.position.premium
            shift = (es.premium - premium) * self._growth(times)
        greeks = _book_greeks(book, years, price, sigma, self.setup.rate, self.setup.dividend_yield)
        ticket = self._ticket(es, ts, price, years)
        return Snapshot(
            position=self.name, step=es.step, time=ts, years=years, price=price, volatility=sigma,
            value=es.book_value, **greeks,
            net_delta=greeks["delta"] + es.stock_before + es.option_before * es.option_delta,
            stock=es.stock_before, option=es.option_before, target_stock=es.target_stock,
            target_option=es.target_option if self.setup.uses_option else None,
            deviation=es.deviation, pnl=es.pnl_before + shift, pnl_after=es.pnl_after + shift,
            premium=premium, rule_fired=es.rule_fired,
            alert=None if ticket is None else ticket.reason, suggested_trade=ticket, final=final,
            decision="none" if ticket is None else "pending",
        )

    def _check_history(self, es: EngineStep, skipped: set[int]) -> None:
        """The engine's positions at earlier steps must be those the store recorded."""
        for s, x_run, u_run in zip(self._snapshots, es.stock_after_steps, es.option_after_steps, strict=True):
            t = s.suggested_trade
            done = t is not None and s.step not in skipped and s.decision != "skipped"
            x = s.stock + (t.stock if done else 0.0)
            u = s.option + (t.option if done else 0.0)
            if abs(x - x_run) > 1e-9 * max(1.0, abs(x)) or abs(u - u_run) > 1e-9 * max(1.0, abs(u)):
                raise HedgeLibError(
                    f"position {self.name!r} held {x:.10g} shares and {u:.10g} options after step "
                    f"{s.step}, but these settings and prices give {x_run:.10g} and {u_run:.10g}: "
                    "monitor it with the feed and settings it was monitored with"
                )

    def _growth(self, times: np.ndarray) -> float:
        """Growth of one unit of cash from the first price to now, as the engine accrues it."""
        r = self.setup.rate
        if r == 0.0:
            return 1.0
        g = 1.0
        for dt in np.diff(times):
            g += g * math.expm1(r * float(dt))
        return g

    def _ticket(self, es: EngineStep, ts: pd.Timestamp, price: float, years: float) -> TradeTicket | None:
        if es.stock_trade == 0.0 and es.option_trade == 0.0 and es.roll_option == 0.0:
            return None
        label = None
        if es.option_strike is not None and self.setup.hedge_option is not None:
            first = self._snapshots[0].time if self._snapshots else ts
            when = expiry_date(first, es.option_expiry, self.position.time_basis,
                               self.position.periods_per_year)
            label = f"hedge {self.setup.hedge_option.kind} K={es.option_strike:.2f} exp {when.date()}"
        if es.forced == "expiry":
            reason = "The book has expired: unwind the hedge"
        elif es.forced == "opening":
            reason = f"Opening hedge: trade to the {getattr(self.setup.strategy, 'label', 'strategy')} target"
        elif es.forced == "roll":
            reason = "Hedge option roll: the old option " + (
                "expired" if es.settled_option else "is sold") + "; buy a fresh one and re-hedge"
        else:
            rule = getattr(self.setup.rule, "label", type(self.setup.rule).__name__)
            reason = f"{rule}: the hedge is {es.deviation:+.4g} shares of delta off target"
        return TradeTicket(
            step=es.step, time=ts, stock=es.stock_trade, price=price, option=es.option_trade,
            option_price=es.option_price, option_label=label, roll_option=es.roll_option,
            roll_price=es.roll_price, cost=es.cost, reason=reason,
            mandatory=es.forced == "expiry" or es.roll_option != 0.0,
        )

    # -- decisions --------------------------------------------------------------------------

    def _pending_for(self, snapshot: Any, what: str) -> Snapshot:
        pending = self.pending
        if not isinstance(snapshot, Snapshot):
            raise HedgeLibError(f"snapshot must be a Snapshot from step(), got {type(snapshot).__name__}")
        if pending is None or snapshot.position != self.name or snapshot.step != pending.step:
            now = "no ticket is pending" if pending is None else f"step {pending.step}'s ticket is pending"
            raise HedgeLibError(
                f"snapshot must hold the pending ticket to {what}, got step {snapshot.step} of "
                f"{snapshot.position!r} ({now})"
            )
        return pending

    def accept(self, snapshot: Snapshot) -> None:
        """Accept the snapshot's ticket: its trades go into the blotter (committed now)."""
        pending = self._pending_for(snapshot, "accept")
        ticket = pending.suggested_trade
        self.store._decide(self.name, pending.step, accept=True, time=pending.time,
                           lines=ticket.lines(self.position.underlying), close=pending.final)
        self._snapshots[-1] = _replace(pending, decision="accepted")
        if pending.final:
            self.position = self.store.position(self.name)
            self.status = FeedStatus("closed", f"position {self.name!r} expired: hedge unwound")

    def skip(self, snapshot: Snapshot) -> None:
        """Skip the snapshot's ticket: the hedge stays as it is (committed now)."""
        pending = self._pending_for(snapshot, "skip")
        if pending.suggested_trade.mandatory:
            raise HedgeLibError(
                f"snapshot must hold a ticket that can be skipped, got step {pending.step}: "
                f"{pending.suggested_trade.reason}"
            )
        self.store._decide(self.name, pending.step, accept=False, time=pending.time, lines=(), close=False)
        self._snapshots[-1] = _replace(pending, decision="skipped")


def _replace(snapshot: Snapshot, **changes: Any) -> Snapshot:
    return dataclasses.replace(snapshot, **changes)


def _book_greeks(book: Book, years: float, spot: float, sigma: float, r: float, q: float) -> dict[str, float]:
    """Greeks of the legs still alive plus the book's stock (settled legs carry none)."""
    live = [g for g in book.legs if g.expiry - years > EXPIRY_TOLERANCE]
    if not live:
        return {"delta": float(book.stock), "gamma": 0.0, "vega": 0.0, "theta": 0.0}
    g = Book(live, book.stock).greeks(spot, sigma, time=years, rate=r, dividend_yield=q)
    return {"delta": float(g.delta), "gamma": float(g.gamma), "vega": float(g.vega), "theta": float(g.theta)}
