"""Adapter: the hedging engine, driven one price at a time on the path seen so far.

The monitor does no hedge arithmetic of its own. At each new price it runs
:func:`~hedgelib.hedging.engine.simulate_hedge` (the one engine, unchanged) over every price
seen since opening, and reads the last step off the engine's recorded ledger: the positions,
the target, the rule's decision, the trade, its cost, the cash and the P&L. Two thin wrappers
make this possible without touching the engine:

- :class:`_LiveStrategy` delegates to the strategy, notes what it targets at the current
  step, and at the steps whose ticket the user skipped targets what was held, so that no
  trade happens there: the engine then replays the user's decisions exactly;
- :class:`_LiveRule` delegates to the rule and notes its decision at the current step.

The engine decides step ``k`` only when it is not the last grid time (the last one
liquidates). Unless the book has expired at ``k``, a copy of the current price is appended one
period later as the grid's next time: step ``k``'s row (recorded before the step's explain and
financing) does not depend on that price.

Cost: one engine run over ``k + 2`` prices per step, so O(k) per step (about 10 ms at 21
closes, 50 ms at 252). What would let the monitor drop the re-run is noted below the imports.

With every ticket accepted, the run at the book's expiry is the run
:func:`~hedgelib.backtest.replay` makes on the same closes, so the final P&L and trades are
``replay``'s to the last bit (the wrappers return the strategy's and the rule's own values).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from hedgelib.book import Book
from hedgelib.conventions import EXPIRY_TOLERANCE
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.hedging.setup import HedgeSetup
from hedgelib.market.paths import Paths
from hedgelib.pricing import bs_greeks, bs_price

# A step-at-a-time engine interface would let the monitor keep one engine state instead of
# re-running the path: a ``_Block`` for one path that can be (1) advanced to a new grid time
# with one new price and volatility without knowing the next one (today ``hedge`` loops over a
# fixed grid and needs ``spot[i + 1]`` for the step's explain and financing, which could move
# to the start of the next step); (2) asked for the step's target, rule decision and proposed
# trade before committing it, and told to commit or hold (today ``decide`` and ``trade`` run
# back to back); (3) liquidated on demand; (4) snapshotted and restored (its arrays and
# ``alive`` legs), so that a crashed monitor restores it from the store.


class _Notes:
    """What the wrappers saw at the current step ``k``."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.target: tuple[float, float] | None = None
        self.fired: bool | None = None
        self.deviation: float | None = None


def _first(value: Any) -> float:
    return float(np.ravel(value)[0])


class _LiveStrategy:
    """The strategy, noting its target at step k and holding still at skipped steps."""

    def __init__(self, base: Any, notes: _Notes, skipped: Collection[int]) -> None:
        self.base, self.notes, self.skipped = base, notes, frozenset(skipped)
        self.name = getattr(base, "name", type(base).__name__)
        self.label = getattr(base, "label", self.name)
        self.uses_option = bool(getattr(base, "uses_option", False))
        self.needs_vega = bool(getattr(base, "needs_vega", False))

    def target(self, state: Any) -> tuple[Any, Any]:
        x_t, u_t = self.base.target(state)
        if state.step == self.notes.k:
            self.notes.target = (_first(x_t), _first(u_t))
        if state.step in self.skipped:
            # Skipped ticket: the target is what is held, so the engine trades nothing here.
            return np.array(state.stock, copy=True), np.array(state.option, copy=True)
        return x_t, u_t


class _LiveRule:
    """The rule, noting its decision at step k."""

    def __init__(self, base: Any, notes: _Notes) -> None:
        self.base, self.notes = base, notes

    def decide(self, context: Any) -> Any:
        trade, dest = self.base.decide(context)
        if context.step == self.notes.k:
            self.notes.fired = bool(np.any(trade))
            self.notes.deviation = _first(context.deviation)
        return trade, dest


@dataclass(frozen=True)
class EngineStep:
    """The engine's view of the last price seen (step ``k``), read off its recorded ledger.

    Positions are shares of stock and units of the hedge option; ``*_before`` are held when
    the price arrives, ``*_trade`` is what the strategy and rule ask for now (zero when the
    rule does not fire). P&L is since opening, premium (the engine's) included.
    """

    step: int
    premium: float
    stock_before: float
    option_before: float
    stock_trade: float
    option_trade: float
    target_stock: float | None
    target_option: float | None
    deviation: float
    rule_fired: bool
    forced: str | None  # "opening", "roll", "expiry" or None
    cost: float
    pnl_before: float
    pnl_after: float
    book_value: float
    option_price: float | None
    option_strike: float | None
    option_expiry: float | None
    option_delta: float
    roll_option: float  # units of the old hedge option sold early in a roll (0 if none)
    roll_price: float | None
    settled_option: bool  # the old hedge option expired here and settled in cash
    stock_after_steps: np.ndarray  # stock held after each earlier step's trade
    option_after_steps: np.ndarray


def _nan_to_none(x: float) -> float | None:
    return None if math.isnan(x) else x


def engine_step(book: Book, times: np.ndarray, spot: np.ndarray, volatility: np.ndarray,
                setup: HedgeSetup, *, skipped: Collection[int], final: bool,
                period: float) -> EngineStep:
    """Run the engine over the prices seen so far and read step ``k = len(times) - 1``.

    ``skipped``: earlier steps whose ticket was skipped. ``final``: the book has expired at
    ``k`` (the engine liquidates there). ``period``: years from the last price to the
    appended copy (any positive value gives the same step ``k``).
    """
    k = times.size - 1
    notes = _Notes(k)
    if not final:
        times = np.append(times, times[-1] + period)
        spot = np.append(spot, spot[-1])
        volatility = np.append(volatility, volatility[-1])
    live = setup.replace(
        strategy=_LiveStrategy(setup.strategy, notes, skipped),
        rule=_LiveRule(setup.rule, notes),
        hedge_volatility=volatility,
    )
    res = simulate_hedge(book, Paths(times=times, spot=spot.reshape(-1, 1)), setup=live, record_paths=1)
    col = {c: res.steps[c].to_numpy(dtype=np.float64) for c in
           ("stock", "option", "stock_trade", "option_trade", "pnl", "costs", "book_value",
            "option_price", "option_strike", "option_expiry")}
    row = {c: float(v[k]) for c, v in col.items()}
    dq, du = row["stock_trade"], row["option_trade"]
    cost = row["costs"] - (float(col["costs"][k - 1]) if k else 0.0)
    x_before = row["stock"] - dq
    u_before = row["option"] - du
    strike, expiry = row["option_strike"], row["option_expiry"]
    t, s, sig = float(times[k]), float(spot[k]), float(volatility[k])
    r, q = setup.rate, setup.dividend_yield
    kind = setup.hedge_option.kind if setup.hedge_option is not None else "call"
    opt_delta = 0.0
    if not math.isnan(strike) and expiry - t > EXPIRY_TOLERANCE:
        opt_delta = float(bs_greeks(s, strike, expiry - t, sig, r, q, kind=kind).delta)

    # The hedge option changed since the previous step: rolled early (sold at its model
    # price, a trade), or expired (settled at its payoff, not a trade).
    roll_option, roll_price, settled, rolled = 0.0, None, False, False
    if k and setup.hedge_option is not None:
        old_k, old_t = float(col["option_strike"][k - 1]), float(col["option_expiry"][k - 1])
        u_old = float(col["option"][k - 1])
        changed = not (old_k == strike and old_t == expiry)
        if changed and not math.isnan(old_k):
            rolled = True
            if old_t - t > EXPIRY_TOLERANCE:
                roll_option = -u_old
                roll_price = float(bs_price(s, old_k, old_t - t, sig, r, q, kind=kind))
            else:
                settled = u_old != 0.0

    forced = "expiry" if final else "opening" if k == 0 else "roll" if rolled else None
    if notes.target is not None:
        target_x, target_u = notes.target
    else:  # the horizon: the engine flattens the hedge without asking the strategy
        target_x, target_u = 0.0, 0.0
    if notes.deviation is not None:
        deviation = notes.deviation
    else:  # forced steps: the rule is not asked; the deviation as RuleContext defines it
        deviation = (x_before - target_x) + (u_before - target_u) * opt_delta
    fired = bool(notes.fired) if forced is None else True
    return EngineStep(
        step=k, premium=float(res.premium), stock_before=x_before, option_before=u_before,
        stock_trade=dq, option_trade=du, target_stock=target_x, target_option=target_u,
        deviation=deviation, rule_fired=fired, forced=forced, cost=cost,
        pnl_before=row["pnl"] + cost, pnl_after=row["pnl"], book_value=row["book_value"],
        option_price=_nan_to_none(row["option_price"]), option_strike=_nan_to_none(strike),
        option_expiry=_nan_to_none(expiry), option_delta=opt_delta, roll_option=roll_option,
        roll_price=roll_price, settled_option=settled,
        stock_after_steps=col["stock"][:k], option_after_steps=col["option"][:k],
    )
