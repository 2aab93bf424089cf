"""The insurance runner's inner loop: one group of paths stepped through time (private).

:func:`run_chunk` simulates a chunk of seeded blocks (or takes given columns of paths) and runs
every strategy of a :class:`Run` along them, with the bookkeeping of
:mod:`hedgelib.portfolio.insurance` (module notes there). Everything is per path and O(n_paths)
per step besides the value and exposure grids, which are written into the caller's arrays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hedgelib._parallel import serial
from hedgelib._typing import FloatArray
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.rules import EveryNSteps, RuleContext

__all__ = ["BREACH_TOL", "Chunk", "Run", "run_chunk"]

# A value below the floor by less than this fraction of the capital is rounding, not a breach.
BREACH_TOL = 1e-12


@dataclass(frozen=True)
class Run:
    """What every chunk of a run shares (picklable, for any executor)."""

    strategies: Mapping[str, Any]
    times: FloatArray
    capital: float
    rate: float
    dividend_yield: float
    rule: Any
    costs: Any
    volatility: Mapping[str, float]
    floors: Mapping[str, FloatArray]


def _insure(spec: Any, spot: FloatArray, run: Run, floor: FloatArray, vol: float,
            value_out: FloatArray, expo_out: FloatArray) -> dict[str, Any]:
    """One strategy along the paths ``spot`` (time-major, C-contiguous), writing the value and
    exposure grids into ``value_out`` and ``expo_out``; returns the per-path results."""
    n = spot.shape[0] - 1
    m = spot.shape[1]
    times, capital, r, q = run.times, run.capital, run.rate, run.dividend_yield
    rule, costs = run.rule, run.costs
    horizon = float(times[-1])
    t_list = times.tolist()
    floors = floor.tolist()
    pol = spec.policy(capital=capital, spot=spot, times=times, rate=r, dividend_yield=q)
    x = np.zeros(m)
    units: FloatArray | None = None  # puts held
    cash = np.full(m, capital)
    peak = np.full(m, capital)
    low_ratio = np.ones(m)  # lowest value / running peak so far
    low_cushion = np.full(m, np.inf)  # lowest value - floor so far
    names = tuple(costs.components)
    cost_acc = {name: np.zeros(m) for name in names}
    notional = np.zeros(m)
    n_trades = np.zeros(m, dtype=np.int64)
    # Trades are counted in one byte per path and flushed before it can wrap (adding bools
    # into int64 takes numpy's slow casting loop).
    trades8 = np.zeros(m, dtype=np.uint8)
    unflushed = 0
    v, held, tmp, dq, aq, cbuf = (np.empty(m) for _ in range(6))
    traded = np.empty(m, dtype=bool)
    free = bool(getattr(costs, "is_free", False))
    prop_only = type(costs) is TransactionCosts and costs.proportional_only
    proportional = float(getattr(costs, "proportional", 0.0))
    # EveryNSteps decides from the step alone: no deviation to compute for it.
    every = rule.n if type(rule) is EveryNSteps else None
    premium = 0.0
    price = pdelta = None
    tol = BREACH_TOL * capital

    def _record(i: int) -> None:
        # Value and exposure at grid time i, and the running lows of value/peak and cushion.
        value_out[i] = v
        if units is not None:
            np.multiply(units, pdelta, out=tmp)
            np.multiply(tmp, s, out=tmp)
            np.add(held, tmp, out=expo_out[i])
        else:
            expo_out[i] = held
        np.divide(v, peak, out=tmp)
        np.minimum(low_ratio, tmp, out=low_ratio)
        np.subtract(v, floors[i], out=tmp)
        np.minimum(low_cushion, tmp, out=low_cushion)

    for i in range(n + 1):
        t = t_list[i]
        s = spot[i]
        if i:
            dt = t - t_list[i - 1]
            if r != 0.0:
                cash *= math.exp(r * dt)
            if q != 0.0:
                np.multiply(x, s, out=tmp)
                tmp *= math.expm1(q * dt)
                cash += tmp
        np.multiply(x, s, out=held)
        np.add(held, cash, out=v)
        if units is not None:
            price, pdelta = pol.options(i)
            np.multiply(units, price, out=tmp)
            v += tmp
        if i == n:
            break
        np.maximum(peak, v, out=peak)
        du = None
        trade: Any = False
        if spec.static:
            if i == 0:
                shares, opts = pol.initial(v)
                np.copyto(dq, shares)
                if opts is not None:
                    price, pdelta = pol.options(i)
                    units = du = opts
                    premium = float(units[0] * price[0])
                trade = True
        elif every is not None and i % every:
            pass  # not a rebalancing step: the target is not even needed
        else:
            target = pol.target(i, v, peak)
            dest: Any = 0.0
            if i == 0 or every is not None:
                trade = True
            else:
                # The deviation in the rule's unit: exposure off target over the value.
                np.subtract(held, target, out=tmp)
                np.abs(v, out=aq)
                aq[aq == 0.0] = 1.0
                tmp /= aq
                ctx = RuleContext(i, t, s, tmp, 0.0, vol, max(horizon - t, 0.0), r, proportional)
                trade, dest = rule.decide(ctx)
                if isinstance(trade, np.ndarray):
                    trade = True if trade.all() else (trade.copy() if trade.any() else False)
                else:
                    trade = bool(trade)
            if trade is not False:
                if np.ndim(dest) or dest != 0.0:
                    np.abs(v, out=aq)
                    target = target + dest * aq
                np.divide(target, s, out=dq)
                dq -= x
                if trade is not True:
                    dq[~trade] = 0.0
        if trade is not False:
            np.multiply(dq, s, out=tmp)
            cash -= tmp
            np.abs(tmp, out=tmp)
            notional += tmp
            np.not_equal(dq, 0.0, out=traded)
            if du is not None:
                flow = du * price
                cash -= flow
                notional += np.abs(flow)
                traded |= du != 0.0
            np.add(trades8, traded.view(np.uint8), out=trades8)
            unflushed += 1
            if unflushed == 255:
                n_trades += trades8
                trades8.fill(0)
                unflushed = 0
            if not free:
                if prop_only:
                    np.abs(dq, out=aq)
                    charged = {"proportional": costs.proportional_into(aq, s, cbuf)}
                else:
                    charged = costs.charge(dq, s, vol, du, price)
                for name, c in charged.items():
                    cost_acc[name] += c
                    cash -= c
                    v -= c
            x += dq
            np.multiply(x, s, out=held)
        _record(i)
    n_trades += trades8
    np.maximum(peak, v, out=peak)
    _record(n)
    total = np.zeros(m)
    for c in cost_acc.values():
        total += c
    return {
        "floor_breached": low_cushion < -tol, "costs": total, "cost_breakdown": cost_acc,
        "turnover": notional / capital, "n_trades": n_trades, "max_drawdown": 1.0 - low_ratio,
        "premium": premium,
    }


def _run_group(run: Run, spot: FloatArray, outs: Mapping[str, tuple[FloatArray, FloatArray]] | None
               ) -> dict[str, dict[str, Any]]:
    """Every strategy of the run on one group of paths; the grids go into ``outs`` (views of
    the run's arrays) or, without them, into new arrays returned with the results."""
    n1, m = spot.shape
    results = {}
    with serial():
        for name, spec in run.strategies.items():
            if outs is None:
                value, expo = np.empty((n1, m)), np.empty((n1, m))
            else:
                value, expo = outs[name]
            res = _insure(spec, spot, run, run.floors[name], run.volatility[name], value, expo)
            if outs is None:
                res["value"], res["exposure"] = value, expo
            res["spot_start"], res["spot_end"] = spot[0].copy(), spot[-1].copy()
            results[name] = res
    return results


@dataclass(frozen=True)
class Chunk:
    """One task: consecutive seeded blocks of a model's paths, or columns of given paths."""

    run: Run
    model: Any
    spot0: float
    seeds: tuple[np.random.SeedSequence, ...]
    sizes: tuple[int, ...]
    paths: FloatArray | None = None


def _simulate(task: Chunk) -> FloatArray:
    if task.paths is not None:
        return task.paths
    model, n = task.model, task.run.times.size - 1
    horizon = float(task.run.times[-1])
    blocks = [(size, np.random.default_rng(seed)) for seed, size in zip(task.seeds, task.sizes, strict=True)]
    if callable(getattr(model, "simulate_blocks", None)):
        return np.ascontiguousarray(model.simulate_blocks(task.spot0, horizon, n, blocks).spot)
    parts = [model.simulate(task.spot0, horizon, n, size, rng=rng).spot for size, rng in blocks]
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def run_chunk(task: Chunk, outs: Mapping[str, tuple[FloatArray, FloatArray]] | None = None
               ) -> dict[str, dict[str, Any]]:
    """Simulate one chunk (module level, so that it pickles for any executor) and insure it."""
    return _run_group(task.run, _simulate(task), outs)
