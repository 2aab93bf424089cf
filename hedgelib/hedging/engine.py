"""The hedging engine: hedge an option book along price paths, with exact books.

:func:`simulate_hedge` steps through the time grid once, vectorised across paths, keeping
O(n_paths) working memory (plus the recorded steps of the first ``record_paths`` paths).
The greeks depend on the spot and the time only, not on the hedge held, so they are computed
for a run of grid rows at once by the kernel of :mod:`hedgelib.pricing.kernel`; the
path-dependent part (targets, rules, trades, costs, explain, financing) walks the rows.

Bookkeeping
-----------
At t = 0 the book is entered at its value at the pricing volatility (the *premium*, holder's
sign), paid in cash. Then at each grid time :math:`t_i`, for every path:

1. legs of the book whose expiry is at or before :math:`t_i` settle in cash at their payoff;
   a hedge option that has expired settles too, or one within ``roll_before`` of its expiry
   is sold at its model price, and a fresh one is bought (a *roll*);
2. the live book and the hedge option are valued at the hedge volatility;
3. the strategy gives target positions, the rule decides which paths trade and to what
   (every path trades to target at t = 0 and at a roll);
4. trades are paid in cash at the spot and at the option's model price, and costs are
   charged;
5. over :math:`[t_i, t_{i+1}]` cash earns :math:`e^{r\\,\\delta t} - 1` and stock held (hedge
   and the book's own stock) earns the dividend yield, :math:`x\\,(e^{q\\,\\delta t} - 1)\\,
   S_{i+1}` (dividends reinvested, so the discounted value of a stock position is a martingale
   under the pricing measure).

At the horizon expiring legs settle, the hedge is liquidated with costs, and legs still
alive are marked at the hedge volatility. A leg whose expiry falls between two grid times
settles at the first grid time at or after it (within 1e-9 years), at the spot there.

References
----------
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed. (2021), ch. 15 and 19.
Derman, E. and Kamal, M. (1999), *Risk* 12(1). Whalley, A. E. and Wilmott, P. (1997),
*Mathematical Finance* 7(3).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from hedgelib._parallel import thread_map
from hedgelib._typing import FloatArray
from hedgelib.conventions import EXPIRY_TOLERANCE, HedgeLibError, check_int
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.result import STEP_COLUMNS, HedgeResult
from hedgelib.hedging.rules import RuleContext
from hedgelib.hedging.setup import EVERY_STEP, NO_COSTS, HedgeSetup, resolve_setup
from hedgelib.hedging.strategies import HedgeOption, HedgeState
from hedgelib.pricing.kernel import (
    GreekBuffers,
    GroupGreeks,
    OptionGroup,
    group_greeks,
    group_legs,
    group_value,
    row_volatility,
)

__all__ = ["simulate_hedge"]

# Paths are processed in blocks of this size: the working arrays of a block stay in cache.
# Every operation is elementwise per path, so the block size never changes a result.
_BLOCK = 16384
# Blocks come in multiples of this, so that two threads finish together; a constant, not the
# machine's core count, because results must not depend on the machine.
_BLOCK_MULTIPLE = 2
# The greeks of several grid rows are computed together, about this many (time, path)
# points per numpy call, so that per-call overhead and thread hand-offs stay small.
_RUN_ELEMENTS = 65536
_MAX_ROWS = 64
# Copied for a result without recorded steps (building an empty frame costs far more).
_NO_STEPS = pd.DataFrame(columns=list(STEP_COLUMNS))
_TOL = EXPIRY_TOLERANCE


def simulate_hedge(
    book: Any, paths: Any, *, hedge_volatility: Any = None, rate: float = 0.0,
    dividend_yield: float = 0.0, rule: Any = EVERY_STEP, costs: Any = NO_COSTS,
    strategy: Any = "delta", hedge_option: HedgeOption | None = None,
    pricing_volatility: float | None = None, setup: HedgeSetup | None = None, record_paths: int = 0,
) -> HedgeResult:
    """Hedge an option book along price paths and account for every cash flow.

    Parameters
    ----------
    book : Book
        The position being hedged (legs and the book's own stock), entered at t = 0.
    paths : Paths
        Prices on a grid: ``times`` (n_steps + 1,) from 0, ``spot`` (n_steps + 1, n_paths);
        every path starts at the same spot. The horizon is ``times[-1]``.
    hedge_volatility, rate, dividend_yield, rule, costs, strategy, hedge_option, pricing_volatility
        The hedge, as in :class:`~hedgelib.hedging.setup.HedgeSetup` (``hedge_volatility``
        required).
    setup : HedgeSetup, optional
        The same settings as one object, instead of the keywords above.
    record_paths : int, default 0
        Record every step of the first ``record_paths`` paths in ``result.steps``.

    Returns
    -------
    HedgeResult
        P&L, premium, costs, trades, turnover, the unhedged P&L, the attribution and the greek
        explain (each summing to the P&L to rounding), and the recorded steps.

    Notes
    -----
    The P&L of a path is :math:`C_N + V_N`, with :math:`C` the cash account and :math:`V_N`
    the value at the horizon of book legs still alive (at the hedge volatility) plus the
    book's stock:

    .. math:: \\mathrm{P\\&L} = (V_0^{h} - P) + (V_N + \\textstyle\\sum \\mathrm{settlements}
              - V_0^{h}) + \\sum_i x_i\\,\\delta S_i + \\sum_i u_i\\,\\delta O_i
              + \\mathrm{interest} + \\mathrm{dividends} - \\mathrm{costs},

    with :math:`V_0^h` the book at the hedge volatility and :math:`x_i, u_i` the stock and
    option held over step i. The explain replaces the value changes by
    :math:`\\sum_i \\Delta_i\\,\\delta S_i + \\tfrac12\\Gamma_i\\,\\delta S_i^2 + \\Theta_i\\,
    \\delta t_i + \\mathcal V_i\\,\\delta\\sigma_i` plus a residual. Rules and strategies must
    act per path and keep no state: paths are hedged in independent blocks (on the library's
    thread pool), so the result does not depend on the blocking.

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> from hedgelib.market.models import GBM
    >>> book = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])
    >>> paths = GBM(0.05, 0.2).simulate(100.0, 1 / 12, 21, 2000, rng=1)
    >>> res = simulate_hedge(book, paths, hedge_volatility=0.2, rate=0.05)
    >>> round(res.premium, 3)
    -2.512
    >>> abs(res.summary()["mean"]) < 0.05
    True
    """
    setup = resolve_setup(
        setup, hedge_volatility=hedge_volatility, rate=rate, dividend_yield=dividend_yield,
        rule=rule, costs=costs, strategy=strategy, hedge_option=hedge_option,
        pricing_volatility=pricing_volatility,
    )
    run = _Run(book, paths, setup, record_paths)
    parts = thread_map(lambda ab: _Block(run, *ab).hedge(), _blocks(run.n_paths))
    return run.result(parts)


def _blocks(n_paths: int) -> list[tuple[int, int]]:
    """Path ranges of at most _BLOCK paths, a multiple of _BLOCK_MULTIPLE of them, even."""
    n_blocks = -(-n_paths // _BLOCK)
    if n_blocks > 1:
        n_blocks = -(-n_blocks // _BLOCK_MULTIPLE) * _BLOCK_MULTIPLE
    size = -(-n_paths // n_blocks)
    return [(a, min(a + size, n_paths)) for a in range(0, n_paths, size)]


def _check_paths(paths: Any) -> tuple[FloatArray, FloatArray]:
    times = getattr(paths, "times", None)
    spot = getattr(paths, "spot", None)
    if not isinstance(times, np.ndarray) or not isinstance(spot, np.ndarray):
        raise HedgeLibError(f"paths must be a Paths object (times and spot arrays), got {type(paths).__name__}")
    if spot.ndim != 2 or times.ndim != 1 or spot.shape[0] != times.size or times.size < 2:
        raise HedgeLibError(
            f"paths must have spot of shape (len(times), n_paths) with len(times) >= 2, got "
            f"times {times.shape} and spot {spot.shape}"
        )
    s0 = spot[0]
    if not np.all(s0 == s0[0]):
        i = int(np.argmax(s0 != s0[0]))
        raise HedgeLibError(
            f"paths must all start at the same spot, got {float(s0[0])!r} on path 0 and "
            f"{float(s0[i])!r} on path {i}"
        )
    return times, spot


class _Run:
    """Validated inputs shared by every block of paths, and the merge of their results."""

    def __init__(self, book: Any, paths: Any, setup: HedgeSetup, record_paths: Any) -> None:
        self.times, self.spot = _check_paths(paths)
        n_times, self.n_paths = self.spot.shape
        if not hasattr(book, "legs") or not hasattr(book, "stock"):
            raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
        if not book.legs and float(book.stock) == 0.0:
            raise HedgeLibError("book must hold at least one option leg or some stock, got an empty book")
        vol = np.asarray(setup.hedge_volatility)
        if not (vol.ndim == 0 or vol.shape in ((n_times,), (n_times, self.n_paths))):
            raise HedgeLibError(
                f"hedge_volatility must be a number, an array of shape ({n_times},) (one per grid "
                f"time) or ({n_times}, {self.n_paths}) (per time and path), got shape {vol.shape}"
            )
        if setup.pricing_volatility is None:
            row0 = vol if vol.ndim == 0 else vol[0]
            if np.ndim(row0) and not np.all(row0 == row0[0]):
                raise HedgeLibError(
                    "pricing_volatility must be given when hedge_volatility differs across paths "
                    "at t = 0, got None"
                )
            sigma_p = float(np.ravel(row0)[0])
        else:
            sigma_p = setup.pricing_volatility
        self.vol = vol
        self.vol_varies = vol.ndim > 0 and bool(np.any(np.diff(vol, axis=0) != 0))
        self.r, self.q = setup.rate, setup.dividend_yield
        self.strategy, self.rule, self.costs = setup.strategy, setup.rule, setup.costs
        self.hedge_option = setup.hedge_option if setup.uses_option else None
        self.n_record = check_int(record_paths, "record_paths", minimum=0, maximum=self.n_paths)
        self.groups = group_legs(book)
        self.stock = float(book.stock)
        self.cost_names = tuple(self.costs.components)
        self.proportional = setup.proportional
        self.last_expiry = max((g.expiry for g in self.groups), default=0.0)
        s_init = np.full(1, float(self.spot[0, 0]))
        self.premium = float(group_value(self.groups, s_init, np.log(s_init), 0.0, sigma_p,
                                         self.r, self.q, self.stock)[0])

    def result(self, parts: list[dict[str, Any]]) -> HedgeResult:
        out = {k: np.concatenate([p[k] for p in parts]) for k, v in parts[0].items()
               if not isinstance(v, dict | list)}
        for k, v in parts[0].items():
            if isinstance(v, dict):
                out[k] = {name: np.concatenate([p[k][name] for p in parts]) for name in v}
        rows = [row for p in parts for row in p["steps"]]
        steps = pd.DataFrame(rows, columns=list(STEP_COLUMNS)) if rows else _NO_STEPS.copy()
        if rows:
            steps = steps.sort_values(["path", "step"], kind="stable", ignore_index=True)
            steps = steps.astype({"path": np.int64, "step": np.int64})
        return HedgeResult(
            pnl=out["pnl"], premium=self.premium, costs=out["costs"],
            cost_breakdown=out["cost_breakdown"], n_trades=out["n_trades"],
            turnover=out["turnover"], option_turnover=out["option_turnover"],
            unhedged_pnl=out["unhedged_pnl"], attribution=out["attribution"],
            explain=out["explain"], steps=steps, n_steps=self.times.size - 1,
            horizon=float(self.times[-1]),
        )


class _Block:
    """Paths a..b-1 hedged through the whole grid: the state, and one method per stage."""

    def __init__(self, run: _Run, a: int, b: int) -> None:
        self.run, self.a = run, a
        self.t_list = [float(x) for x in run.times]
        self.spot = run.spot[:, a:b]
        n = self.n = b - a
        vol = run.vol
        self.per_path_vol = vol.ndim == 2
        # The hedge volatility at a grid time and over a run of rows, in the kernel's shapes;
        # chosen once per block, since they are called at every step.
        if vol.ndim == 0:
            v = float(vol)
            self.sigma_at = lambda i: v
            self.sigma_rows = lambda i0, i1: v
        elif vol.ndim == 1:
            self.sigma_at = lambda i: float(vol[i])
            self.sigma_rows = lambda i0, i1: vol[i0:i1].reshape(-1, 1)
        else:
            block = vol[:, a:b]
            self.sigma_at = block.__getitem__
            self.sigma_rows = lambda i0, i1: block[i0:i1]
        self.need_vega = run.vol_varies or bool(getattr(run.strategy, "needs_vega", False))
        # With no interest the cash account is a plain sum of the flows, rebuilt at the end;
        # with interest it is carried step by step because it earns on its running balance.
        self.carry_cash = run.r != 0.0
        zeros = np.zeros
        self.cash = np.full(n, -run.premium)
        self.ucash: Any = -run.premium  # the unhedged account: the same on every path
        self.x, self.u = zeros(n), zeros(n)  # stock and hedge options held
        self.settle, self.stock_gain, self.opt_gain = zeros(n), zeros(n), zeros(n)
        self.interest, self.dividends = zeros(n), zeros(n)
        self.ex_delta, self.ex_gamma2 = zeros(n), zeros(n)  # gamma2: sum of Gamma dS^2
        self.ex_theta, self.ex_vega = zeros(n), zeros(n)
        self.cost_acc = {name: zeros(n) for name in run.cost_names}
        self.n_trades = zeros(n, dtype=np.int64)
        # Trades are counted per step in one byte per path (adding bools into int64 takes
        # numpy's slow casting loop) and flushed before the bytes can wrap.
        self.trades8 = zeros(n, dtype=np.uint8)
        self.unflushed = 0
        self.turnover, self.opt_turnover = zeros(n), zeros(n)
        self.dq_buf, self.du_buf, self.tmp = np.empty(n), np.empty(n), np.empty(n)
        self.abs_buf, self.cost_buf, self.ds_buf = np.empty(n), np.empty(n), np.empty(n)
        self.traded_buf = np.empty(n, dtype=bool)
        costs = run.costs
        # Proportional-only costs are charged in place from |trade|, already at hand for the
        # turnover (the same products as TransactionCosts.charge, without its allocations).
        self.prop_only = type(costs) is TransactionCosts and costs.proportional_only
        self.max_rows = max(1, min(_MAX_ROWS, _RUN_ELEMENTS // max(n, 1)))
        self.logs_buf = np.empty((self.max_rows, n))
        self.bk_work = GreekBuffers(self.max_rows, n)
        self.op_work = GreekBuffers(self.max_rows, n) if run.hedge_option is not None else None
        self.run_start = self.run_end = 0
        self.bk_run: GroupGreeks | None = None
        self.op_run: GroupGreeks | None = None
        self.logs_run = self.logs_buf
        self.alive = list(run.groups)
        self.hgroup: OptionGroup | None = None
        self.n_rec = max(0, min(b, run.n_record) - a)
        self.rec_rows: list[tuple] = []
        self.rec_cost = zeros(self.n_rec)

    # -- the loop ---------------------------------------------------------------------------

    def hedge(self) -> dict[str, Any]:
        run, t_list = self.run, self.t_list
        n_last = len(t_list) - 1
        s = self.spot[0]
        self.v0 = np.broadcast_to(
            group_value(run.groups, s, np.log(s), 0.0, self.sigma_at(0), run.r, run.q, run.stock),
            (self.n,),
        )
        for i in range(n_last + 1):
            t, s, sig = t_list[i], self.spot[i], self.sigma_at(i)
            changed = self.settle_legs(t, s)
            rolled = self.settle_or_roll_option(i, t, s, sig)
            if i == n_last:
                break
            if run.hedge_option is not None and self.hgroup is None:
                h = run.hedge_option
                self.hgroup = OptionGroup(h.moneyness * s, t + h.tenor, 1.0, 1.0 if h.kind == "put" else 0.0)
                rolled = True
            if changed or rolled or i >= self.run_end:
                self.compute_greeks(i)
            j = i - self.run_start
            x_t, u_t, trade, dest = self.decide(i, t, s, sig, j, force=i == 0 or rolled)
            dq, du = self.trade(s, sig, j, x_t, u_t, trade, dest)
            if self.n_rec:
                self.record(i, t, s, self.logs_run[j], sig, self.x, self.u, dq, du,
                            self.cash_now(), self.option_price(j), j)
            self.explain_and_finance(i, s, sig, j)
        return self.liquidate(n_last, t, s, sig)

    # -- 1. settlements and rolls -----------------------------------------------------------

    def settle_legs(self, t: float, s: FloatArray) -> bool:
        if not (self.alive and any(g.expiry - t <= _TOL for g in self.alive)):
            return False
        still = []
        for g in self.alive:
            if g.expiry - t <= _TOL:
                pay = g.payoff(s)
                self.settle += pay
                self.ucash = self.ucash + pay
                if self.carry_cash:
                    self.cash += pay
            else:
                still.append(g)
        self.alive = still
        return True

    def due(self, t: float) -> bool:
        """Whether the hedge option settles or rolls at time t."""
        h = self.hgroup
        return h is not None and h.expiry - self.run.hedge_option.roll_before - t <= _TOL

    def settle_or_roll_option(self, i: int, t: float, s: FloatArray, sig: Any) -> bool:
        if self.hgroup is None or not self.due(t):
            return False
        g, u = self.hgroup, self.u
        if g.expiry - t <= _TOL:
            flow = u * g.payoff(s)  # expired: settles at its payoff, not a trade
        else:
            # rolled early: sold at its model price, a trade that pays costs
            price = self.option_value([g], s, t, sig)
            flow = u * price
            self.opt_turnover += np.abs(u)
            self.charge(self.charge_costs(np.zeros(self.n), s, sig, -u, price))
        self.opt_gain += flow
        if self.carry_cash:
            self.cash += flow
        u.fill(0.0)
        self.hgroup = None
        return True

    # -- 2. greeks for a run of rows --------------------------------------------------------

    def expires_at(self, j: int) -> bool:
        t_j = self.t_list[j]
        return self.due(t_j) or any(g.expiry - t_j <= _TOL for g in self.alive)

    def compute_greeks(self, i: int) -> None:
        """Greeks of the live book and of one hedge option, for the rows from i up to the next
        settlement or roll; theta comes out multiplied by each row's step."""
        run, t_list = self.run, self.t_list
        n_last = len(t_list) - 1
        self.run_start = i
        end = i + 1
        while end < min(i + self.max_rows, n_last) and not self.expires_at(end):
            end += 1
        self.run_end = end
        s_run = self.spot[i:end]
        if self.n == 1:
            # A single path is a strided column, on which numpy's log takes its scalar loop
            # instead of the SIMD one: copy it so its digits match any other block.
            s_run = np.ascontiguousarray(s_run)
        logs_run = self.logs_run = np.log(s_run, out=self.logs_buf[: end - i])
        sig_run = self.sigma_rows(i, end)
        t_run = t_list[i:end]
        dt_run = [t_list[k + 1] - t_list[k] for k in range(i, end)]
        self.bk_run = group_greeks(
            self.alive, s_run, logs_run, t_run, sig_run, run.r, run.q, run.stock, dt=dt_run,
            vega=self.need_vega, value=False, work=self.bk_work, per_path=self.per_path_vol,
        )
        self.op_run = None
        if self.hgroup is not None:
            self.op_run = group_greeks(
                [self.hgroup], s_run, logs_run, t_run, sig_run, run.r, run.q, 0.0, dt=dt_run,
                vega=self.need_vega, value=True, work=self.op_work, per_path=self.per_path_vol,
            )

    def option_price(self, j: int) -> FloatArray | None:
        return None if self.op_run is None else self.op_run.value[j]

    def option_value(self, groups: list[OptionGroup], s: FloatArray, t: float, sig: Any) -> FloatArray:
        sig_row, per_path = row_volatility(sig)
        return group_greeks(groups, s.reshape(1, -1), np.log(s).reshape(1, -1), [t], sig_row,
                            self.run.r, self.run.q, 0.0, dt=None, vega=False, value=True,
                            work=GreekBuffers(1, self.n), per_path=per_path).value[0]

    # -- 3. targets and the rule's decision -------------------------------------------------

    def decide(self, i: int, t: float, s: FloatArray, sig: Any, j: int, *, force: bool) -> tuple:
        run, bk, op = self.run, self.bk_run, self.op_run
        bg = bk.gamma[j]
        state = HedgeState(
            step=i, time=t, spot=s, volatility=sig, book_delta=bk.delta[j], book_gamma=bg,
            book_vega=bk.vega[j] if self.need_vega else None,
            option_delta=None if op is None else op.delta[j],
            option_gamma=None if op is None else op.gamma[j],
            option_vega=None if op is None or not self.need_vega else op.vega[j],
            option_price=None if op is None else op.value[j],
            stock=self.x, option=self.u, time_to_expiry=max(run.last_expiry - t, 0.0),
        )
        x_t, u_t = run.strategy.target(state)
        if force:
            return x_t, u_t, True, 0.0
        dev = self.x - x_t
        gam = bg
        if op is not None:
            dev += (self.u - u_t) * op.delta[j]
            gam = gam + u_t * op.gamma[j]
        ctx = RuleContext(i, t, s, dev, gam, sig, max(run.last_expiry - t, 0.0), run.r, run.proportional)
        trade, dest = run.rule.decide(ctx)
        return x_t, u_t, trade, dest

    # -- 4. trades, cash and costs ----------------------------------------------------------

    def charge_costs(self, dq: FloatArray, s: FloatArray, sig: Any, du: Any, price: Any) -> dict:
        return self.run.costs.charge(dq, s, sig, du, price)

    def charge(self, charged: dict[str, FloatArray]) -> None:
        for name, c in charged.items():
            self.cost_acc[name] += c
            if self.carry_cash:
                self.cash -= c
            if self.n_rec:
                self.rec_cost += c[: self.n_rec]

    def trade(self, s: FloatArray, sig: Any, j: int, x_t: Any, u_t: Any, trade: Any, dest: Any) -> tuple:
        if isinstance(trade, np.ndarray | np.bool_):
            traded_any = bool(trade.any())
            all_paths = traded_any and bool(trade.all())
        else:
            traded_any = all_paths = bool(trade)
        if not traded_any:
            return None, None
        x, u, op = self.x, self.u, self.op_run
        if all_paths:
            x_new = x_t + dest if (np.ndim(dest) or dest != 0.0) else x_t
        else:
            x_new = np.where(trade, x_t + dest, x)
        dq = np.subtract(x_new, x, out=self.dq_buf)
        flow = np.multiply(dq, s, out=self.tmp)
        self.stock_gain -= flow
        if self.carry_cash:
            self.cash -= flow
        aq = np.abs(dq, out=self.abs_buf)
        self.turnover += aq
        traded = np.not_equal(dq, 0.0, out=self.traded_buf)
        du = None
        if op is not None:
            ov = op.value[j]
            u_new = u_t if all_paths else np.where(trade, u_t, u)
            du = np.subtract(u_new, u, out=self.du_buf)
            oflow = np.multiply(du, ov, out=self.tmp)
            self.opt_gain -= oflow
            if self.carry_cash:
                self.cash -= oflow
            self.opt_turnover += np.abs(du, out=self.tmp)
            traded |= du != 0
            np.copyto(u, u_new)
        np.add(self.trades8, traded.view(np.uint8), out=self.trades8)
        self.unflushed += 1
        if self.unflushed == 255:
            self.n_trades += self.trades8
            self.trades8.fill(0)
            self.unflushed = 0
        if self.prop_only:
            charged = {"proportional": self.run.costs.proportional_into(aq, s, self.cost_buf)}
        else:
            charged = self.charge_costs(dq, s, sig, du, None if op is None else op.value[j])
        self.charge(charged)
        np.copyto(x, x_new)
        return dq, du

    # -- 5. explain over [t_i, t_{i+1}], then financing --------------------------------------

    def explain_and_finance(self, i: int, s: FloatArray, sig: Any, j: int) -> None:
        run, bk, op = self.run, self.bk_run, self.op_run
        u = self.u
        s_next = self.spot[i + 1]
        ds = np.subtract(s_next, s, out=self.ds_buf)
        d_tot = np.add(bk.delta[j], self.x, out=self.tmp)
        g_tot = bk.gamma[j]
        th_tot = bk.theta[j]
        if op is not None:
            d_tot += u * op.delta[j]
            g_tot = g_tot + u * op.gamma[j]
            th_tot = th_tot + u * op.theta[j]
        d_tot *= ds
        self.ex_delta += d_tot
        ds *= ds
        ds *= g_tot
        self.ex_gamma2 += ds
        self.ex_theta += th_tot
        if run.vol_varies:
            dsig = self.sigma_at(i + 1) - sig
            v_tot = bk.vega[j] if op is None else bk.vega[j] + u * op.vega[j]
            self.ex_vega += v_tot * dsig
        dt = self.t_list[i + 1] - self.t_list[i]
        if self.carry_cash:
            growth = math.expm1(run.r * dt)
            earned = np.multiply(self.cash, growth, out=self.tmp)
            self.cash += earned
            self.interest += earned
            self.ucash += self.ucash * growth
        if run.q != 0.0:
            yld = math.expm1(run.q * dt)
            div = (self.x + run.stock) * (yld * s_next)
            self.dividends += div
            if self.carry_cash:
                self.cash += div
            if run.stock != 0.0:
                self.ucash = self.ucash + run.stock * yld * s_next

    # -- the horizon ------------------------------------------------------------------------

    def liquidate(self, n_last: int, t: float, s: FloatArray, sig: Any) -> dict[str, Any]:
        run, n = self.run, self.n
        x, u = self.x, self.u
        logs = np.log(s)
        v_end = np.broadcast_to(group_value(self.alive, s, logs, t, sig, run.r, run.q, run.stock), (n,))
        liq_x = -x
        flow = liq_x * s
        self.stock_gain -= flow
        if self.carry_cash:
            self.cash -= flow
        self.turnover += np.abs(liq_x)
        traded = liq_x != 0
        du = price = None
        if self.hgroup is not None:
            price = self.option_value([self.hgroup], s, t, sig)
            du = -u
            oflow = du * price
            self.opt_gain -= oflow
            if self.carry_cash:
                self.cash -= oflow
            self.opt_turnover += np.abs(du)
            traded |= du != 0
        self.n_trades += self.trades8
        self.n_trades += traded
        self.charge(self.charge_costs(liq_x, s, sig, du, price))
        cost_total = np.zeros(n)
        for name in run.cost_names:
            cost_total += self.cost_acc[name]
        if not self.carry_cash:
            self.cash = (-run.premium + self.settle + self.stock_gain + self.opt_gain
                         + self.dividends - cost_total)
        pnl = self.cash + v_end
        if self.n_rec:
            zero = np.zeros(n)
            self.record(n_last, t, s, logs, sig, zero, zero, liq_x, du,
                        self.cash[: self.n_rec].copy(), price, None)
        ex_gamma = 0.5 * self.ex_gamma2
        entry = self.v0 - run.premium
        option_mtm = v_end + self.settle - self.v0
        costs_signed = {f"cost_{name}": -self.cost_acc[name] for name in run.cost_names}
        common = {"interest": self.interest, "dividends": self.dividends, **costs_signed}
        residual = ((option_mtm + self.stock_gain + self.opt_gain)
                    - (self.ex_delta + ex_gamma + self.ex_theta + self.ex_vega))
        return {
            "pnl": pnl,
            "costs": cost_total,
            "cost_breakdown": dict(self.cost_acc),
            "n_trades": self.n_trades,
            "turnover": self.turnover,
            "option_turnover": self.opt_turnover,
            "unhedged_pnl": self.ucash + v_end,
            "attribution": {"entry": entry, "option_mtm": option_mtm, "hedge_stock": self.stock_gain,
                            "hedge_options": self.opt_gain, **common},
            "explain": {"entry": entry, "delta": self.ex_delta, "gamma": ex_gamma,
                        "theta": self.ex_theta, "vega": self.ex_vega, "residual": residual, **common},
            "steps": self.rec_rows,
        }

    # -- recorded paths ---------------------------------------------------------------------

    def cash_now(self) -> FloatArray:
        sl = slice(0, self.n_rec)
        if self.carry_cash:
            return self.cash[sl].copy()
        return (-self.run.premium + self.settle[sl] + self.stock_gain[sl] + self.opt_gain[sl]
                + self.dividends[sl] - self.rec_cost[: sl.stop])

    def record(self, i: int, t: float, s: FloatArray, logs: FloatArray, sig: Any, x: FloatArray,
               u: FloatArray, dq: Any, du: Any, cash_rec: FloatArray, option_price: Any,
               j: int | None) -> None:
        """One row per recorded path for grid step i, after the step's trades; the explain
        columns are cumulative up to t_i (the step's own terms come after). ``j`` is the row
        in the greek run, None at the horizon (the position is flat)."""
        run, m = self.run, self.n_rec
        sl = slice(0, m)
        sig_r = sig if np.ndim(sig) == 0 else sig[sl]
        bv = np.broadcast_to(group_value(self.alive, s[sl], logs[sl], t, sig_r, run.r, run.q, run.stock), (m,))
        price = option_price[sl] if option_price is not None else np.full(m, np.nan)
        pnl = cash_rec + bv + x[sl] * s[sl] + u[sl] * np.nan_to_num(price)
        zero = np.zeros(m)
        gamma = zero
        if j is not None:
            gamma = self.bk_run.gamma[j][sl]
            if self.op_run is not None:
                gamma = gamma + u[sl] * self.op_run.gamma[j][sl]
        h = self.hgroup
        strike = np.broadcast_to(np.nan if h is None else h.strike, (self.n,))[sl]
        expiry = np.nan if h is None else h.expiry
        cols = (
            np.broadcast_to(sig_r, (m,)), x[sl], u[sl], zero if dq is None else dq[sl],
            zero if du is None else du[sl], cash_rec, bv, price, pnl, self.rec_cost, gamma,
            self.ex_delta[sl], 0.5 * self.ex_gamma2[sl], self.ex_theta[sl], self.ex_vega[sl],
            self.interest[sl], self.dividends[sl], strike,
        )
        for k in range(m):
            self.rec_rows.append(
                (self.a + k, i, t, float(s[k]), *(float(c[k]) for c in cols), expiry)
            )
