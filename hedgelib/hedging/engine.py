"""The hedging engine: replay a hedge of an option book along price paths, with exact books.

:func:`simulate_hedge` steps through the time grid once, vectorised across paths, keeping
O(n_paths) working memory (plus the recorded steps of the first ``record_paths`` paths).

Where the time goes
-------------------
The greeks depend on the spot and the time only, not on the hedge held, so they are computed
for a run of grid rows at once (up to the next settlement or roll, about 65,536 points per
numpy call) into preallocated buffers; the path-dependent part (targets, rules, trades,
costs, explain, financing) then walks the rows one by one. Per step the book needs one
:math:`N(d_1)` per strike and expiry, plus :math:`N(d_2)` only for theta's rate term
(:math:`r \ne 0`) and for the hedge option's price: the option's mark-to-market telescopes
to :math:`V_N - V_0` plus settlements, and the explain's residual is the whole change minus
the greek terms, so book values are computed only at t = 0, at the horizon and for recorded
paths. The two normal CDFs are most of the cost (about 10 ns a point each with
``scipy.special.ndtr``, which is faster than ``erfc`` here).

Bookkeeping
-----------
At t = 0 the book is entered at its value at the pricing volatility (the *premium*, holder's
sign), paid in cash. Then at each grid time :math:`t_i`, for every path:

1. legs of the book whose expiry is at or before :math:`t_i` settle in cash at their payoff;
   a hedge option that has expired settles too and is replaced by a fresh one (a *roll*);
2. the live book and the hedge option are valued at the hedge volatility (Black-Scholes-
   Merton greeks from one shared :math:`d_1` per strike and expiry);
3. the strategy gives target positions, the rule decides which paths trade and to what
   (every path trades to target at t = 0 and at a roll);
4. trades are paid in cash at the spot and at the option's model price, and costs are
   charged;
5. over :math:`[t_i, t_{i+1}]` cash earns :math:`e^{r\\,\\delta t} - 1` and stock held (hedge
   and the book's own stock) earns the dividend yield, credited at :math:`t_{i+1}` as
   :math:`x\\,(e^{q\\,\\delta t} - 1)\\,S_{i+1}` (dividends reinvested, so the discounted
   value of a stock position is a martingale under the pricing measure).

At the horizon (the last grid time) expiring legs settle, the hedge (stock and options) is
liquidated with costs at the spot and the model price, and legs still alive are marked at the
hedge volatility. The natural horizon is the book's last expiry; a shorter horizon reports
the marked-to-model P&L, a longer one simply carries the settled cash.

A leg whose expiry falls between two grid times settles at the first grid time at or after
its expiry (within 1e-9 years), at the spot there.

The P&L is the terminal wealth :math:`C_N + V_N` (cash plus the book's remaining value);
since the book was bought for its premium, it starts at zero. It splits exactly into the
attribution terms and into the greek explain (see :class:`~hedgelib.hedging.result.HedgeResult`).

References
----------
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed. (2021), ch. 15 and 19.
Derman, E. and Kamal, M. (1999), "When you cannot hedge continuously: the corrections of
Black-Scholes", *Risk* 12(1). Whalley, A. E. and Wilmott, P. (1997), *Mathematical Finance*
7(3).
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from hedgelib._parallel import usable_cpu_count
from hedgelib._typing import FloatArray
from hedgelib.conventions import (
    HedgeLibError,
    check_finite,
    check_int,
    check_positive,
    check_scalar,
)
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.result import STEP_COLUMNS, HedgeResult
from hedgelib.hedging.rules import EveryNSteps, RuleContext
from hedgelib.hedging.strategies import HedgeOption, HedgeState, as_strategy

__all__ = ["simulate_hedge"]

# A leg or hedge option counts as expired at a grid time within this many years of its
# expiry, so that grids built by accumulating float steps still settle on the expiry date.
_EXPIRY_TOL = 1e-9
# Paths are processed in blocks of this size: the working arrays of a block stay in cache.
# Every operation is elementwise per path, so the block size never changes a result.
_BLOCK = 16384
# Frozen defaults of simulate_hedge (EveryNSteps(1), TransactionCosts()).
_EVERY_STEP = EveryNSteps(1)
_NO_COSTS = TransactionCosts()
# Threads used by a call from the main thread when there are several blocks.
_MAX_THREADS = 2
# The greeks of several grid rows are computed together, about this many (time, path)
# points per numpy call, so that per-call overhead and thread hand-offs stay small.
_RUN_ELEMENTS = 65536
_MAX_ROWS = 64
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# Copied for a result without recorded steps (building an empty frame costs far more).
_NO_STEPS = pd.DataFrame(columns=list(STEP_COLUMNS))


# ---------------------------------------------------------------------------------------
# Black-Scholes-Merton kernel
# ---------------------------------------------------------------------------------------


class _Group:
    """Options sharing one strike and expiry, folded into calls plus a parity adjustment.

    ``calls`` is the total quantity (calls and puts), ``puts`` the put quantity: a put is a
    call minus :math:`S e^{-q\\tau}` plus :math:`K e^{-r\\tau}` (put-call parity), so a group
    needs one :math:`N(d_1)` however many legs it holds. ``strike`` may be per path (hedge
    options bought at a moneyness of each path's spot).
    """

    __slots__ = ("calls", "expiry", "log_strike", "puts", "strike")

    def __init__(self, strike: Any, expiry: float, calls: float, puts: float) -> None:
        self.strike = strike
        self.log_strike = np.log(strike)
        self.expiry = expiry
        self.calls = calls
        self.puts = puts

    def payoff(self, s: FloatArray) -> FloatArray:
        out = np.maximum(s - self.strike, 0.0)
        if self.calls != 1.0:
            out *= self.calls
        if self.puts != 0.0:
            # put payoff = call payoff + K - S
            out += self.puts * (self.strike - s)
        return out


class _Greeks:
    """Greeks of a set of groups on a (rows, n_paths) grid of (time, path) points.

    ``delta`` includes the book's stock; ``theta`` is already multiplied by each row's step
    length; ``theta``, ``vega`` and ``value`` are None unless asked for. The arrays are views
    of a :class:`_Work`: valid until its next use.
    """

    __slots__ = ("delta", "gamma", "theta", "value", "vega")

    def __init__(self, delta: Any, gamma: Any, theta: Any, vega: Any, value: Any) -> None:
        self.delta = delta
        self.gamma = gamma
        self.theta = theta
        self.vega = vega
        self.value = value


class _Work:
    """Preallocated (rows, n) buffers: three for scratch, five for the sums over groups.

    A block of paths owns one per instrument set (book, hedge option) and reuses it for every
    run of steps, so the kernel allocates nothing per step in the common cases.
    """

    __slots__ = ("n1", "n2", "phi", "sums")

    def __init__(self, rows: int, n: int) -> None:
        self.n1 = np.empty((rows, n))
        self.n2 = np.empty((rows, n))
        self.phi = np.empty((rows, n))
        self.sums = {k: np.empty((rows, n)) for k in ("delta", "sg", "theta", "vega", "value")}


class _Sums:
    """Running sums over groups in the work buffers: the first part writes, later ones add."""

    __slots__ = ("buf", "started")

    def __init__(self, work: _Work, rows: int) -> None:
        self.buf = {k: v[:rows] for k, v in work.sums.items()}
        self.started: set[str] = set()

    def scaled(self, key: str, arr: FloatArray, coef: Any) -> None:
        """Add ``arr * coef``; ``arr`` is scratch and may be overwritten."""
        if key in self.started:
            arr *= coef
            self.buf[key] += arr
        else:
            np.multiply(arr, coef, out=self.buf[key])
            self.started.add(key)

    def add(self, key: str, part: Any) -> None:
        """Add a part that broadcasts (an array, a column of per-row constants, a row)."""
        if key in self.started:
            self.buf[key] += part
        else:
            np.copyto(self.buf[key], part)
            self.started.add(key)

    def get(self, key: str) -> FloatArray | None:
        return self.buf[key] if key in self.started else None


def _col(values: Any) -> FloatArray:
    return np.array(values, dtype=np.float64).reshape(-1, 1)


def _kernel(
    groups: list[_Group],
    s: FloatArray,
    logs: FloatArray,
    t: Any,
    sig: Any,
    r: float,
    q: float,
    stock: float,
    *,
    dt: Any,
    vega: bool,
    value: bool,
    work: _Work,
    per_path: bool,
) -> _Greeks:
    """Greeks of the groups at every (time, path) point of a run of grid rows.

    Parameters
    ----------
    groups : list of _Group
        Every group must be alive (expiry after the time) on every row.
    s, logs : ndarray, shape (rows, n)
        Spot and its logarithm.
    t : sequence of float, length rows
        Grid times.
    sig : float or ndarray, shape (rows, 1) or (rows, n)
        Hedge volatility.
    r, q, stock : float
        Rate, dividend yield, and the book's stock (added to delta).
    dt : sequence of float, length rows, or None
        Step lengths: theta comes out multiplied by them. None skips theta.
    vega, value : bool
        Whether to compute them.
    work : _Work
        Buffers with at least ``rows`` rows and ``n`` columns.
    per_path : bool
        Whether ``sig`` varies across paths. It picks the order of operations, so it must
        not be read from the shape: one path's column looks like a per-time volatility.

    Notes
    -----
    With :math:`d_1 = (\\ln(S/K) + (r - q + \\sigma^2/2)\\tau) / (\\sigma\\sqrt\\tau)` and
    :math:`d_2 = d_1 - \\sigma\\sqrt\\tau`, for one call (Hull ch. 15, 19; Haug 2007, ch. 2):
    :math:`\\Delta = e^{-q\\tau}N(d_1)`, :math:`S\\Gamma = e^{-q\\tau}n(d_1)/(\\sigma\\sqrt\\tau)`,
    :math:`\\mathcal V = S^2\\Gamma\\,\\sigma\\tau`, value
    :math:`Se^{-q\\tau}N(d_1) - Ke^{-r\\tau}N(d_2)`, and theta per year of passing time

    .. math:: \\Theta = -\\tfrac12\\sigma^2 S^2\\Gamma + qS\\Delta - rKe^{-r\\tau}N(d_2).

    A put is a call minus :math:`Se^{-q\\tau}` plus :math:`Ke^{-r\\tau}` (parity): it adds
    :math:`-e^{-q\\tau}` to delta, :math:`rKe^{-r\\tau}` to theta's last term, and nothing
    else (the :math:`qS\\Delta` term takes the put's delta as it is). The first two theta
    terms are linear in the sums of :math:`S\\Gamma` and :math:`\\Delta` over groups, so
    they are formed once for the whole set; :math:`N(d_2)` is computed only where the rate or
    the value needs it. Per-row constants come from :mod:`math` and each row's own time, so
    a path's numbers never depend on how rows or paths are grouped into calls.
    """
    rows = s.shape[0]
    acc = _Sums(work, rows)
    do_theta = dt is not None
    dtc = _col(dt) if do_theta else None
    for g in groups:
        taus = [g.expiry - float(x) for x in t]
        sq = _col([math.sqrt(x) for x in taus])
        dq = _col([math.exp(-q * x) for x in taus])
        dr = _col([math.exp(-r * x) for x in taus])
        tau = _col(taus)
        vs = sig * sq
        per_path_vs = per_path
        scalar_k = np.ndim(g.strike) == 0
        d1 = work.phi[:rows]
        if scalar_k and not per_path_vs:
            inv = 1.0 / vs
            np.multiply(logs, inv, out=d1)
            d1 += ((r - q) * tau - float(g.log_strike)) * inv + 0.5 * vs
        else:
            np.subtract(logs, g.log_strike, out=d1)
            d1 += (r - q) * tau
            d1 /= vs
            d1 += 0.5 * vs
        c, p = g.calls, g.puts
        if c != 0.0:
            k = c * dq
            n1 = ndtr(d1, out=work.n1[:rows])
            n2 = None
            if value or (do_theta and r != 0.0):
                n2 = np.subtract(d1, vs, out=work.n2[:rows])
                ndtr(n2, out=n2)
                if not scalar_k:
                    n2 *= g.strike  # K N(d2), per path
            # S Gamma = c e^{-q tau} n(d1) / (sigma sqrt(tau)), built in place from d1
            phi = np.square(d1, out=d1)
            phi *= -0.5
            np.exp(phi, out=phi)
            if per_path_vs:
                phi *= k * _INV_SQRT_2PI
                phi /= vs
                coef: Any = 1.0
            else:
                coef = k * _INV_SQRT_2PI / vs
            if vega:
                if not per_path_vs:
                    phi *= coef
                    coef = 1.0
                acc.add("vega", phi * tau)
            acc.scaled("sg", phi, coef)  # phi is free from here on
            k_strike = float(g.strike) if scalar_k else 1.0
            if value:
                acc.scaled("value", np.multiply(n1, s, out=phi), k)
                acc.add("value", n2 * ((-c * k_strike) * dr))
            if do_theta and r != 0.0:
                acc.scaled("theta", n2, ((-r * c * k_strike) * dr) * dtc)
            acc.scaled("delta", n1, k)
        if p != 0.0:
            acc.add("delta", -p * dq)
            if do_theta and r != 0.0:
                acc.add("theta", ((p * r) * dr * dtc) * g.strike)
            if value:
                acc.add("value", (p * dr) * g.strike - (p * dq) * s)
    delta = acc.get("delta")
    if delta is None:
        delta = acc.buf["delta"]
        delta.fill(0.0)
    sg = acc.get("sg")
    th = None
    if do_theta:
        th_rate = acc.get("theta")
        if sg is not None or q != 0.0:
            # -1/2 sigma^2 S^2 Gamma dt + q S Delta dt, on top of the rate terms above
            th = np.multiply(sg if sg is not None else 0.0, s, out=work.n2[:rows])
            if per_path:
                th *= np.square(sig)
                th *= -0.5 * dtc
            else:
                th *= (-0.5 * dtc) * np.square(sig)
            if q != 0.0:
                th += ((q * dtc) * s) * delta
            if th_rate is not None:
                th_rate += th
                th = th_rate
        elif th_rate is not None:
            th = th_rate
        else:
            th = work.n2[:rows]
            th.fill(0.0)
    vg = None
    if vega:
        vg = acc.get("vega")
        if vg is None:
            vg = acc.buf["vega"]
            vg.fill(0.0)
        else:
            vg *= s
            vg *= sig
    val = None
    if value:
        val = acc.get("value")
        if val is None:
            val = acc.buf["value"]
            val.fill(0.0)
    if sg is None:
        gamma = acc.buf["sg"]
        gamma.fill(0.0)
    else:
        gamma = np.divide(sg, s, out=sg)
    if stock != 0.0:
        delta += stock
    return _Greeks(delta, gamma, th, vg, val)


def _group_legs(book: Any) -> list[_Group]:
    merged: dict[tuple[float, float], list[float]] = {}
    for leg in book.legs:
        key = (float(leg.expiry), float(leg.strike))
        calls_puts = merged.setdefault(key, [0.0, 0.0])
        calls_puts[0] += float(leg.quantity)
        if leg.kind == "put":
            calls_puts[1] += float(leg.quantity)
    return [_Group(k, t, c, p) for (t, k), (c, p) in merged.items() if c != 0.0 or p != 0.0]


def _row_sig(sig: Any) -> tuple[Any, bool]:
    """A volatility for one grid time (float, or per path) in the kernel's one-row shape."""
    if np.ndim(sig) == 0:
        return float(sig), False
    return np.reshape(sig, (1, -1)), True


def _book_value(groups, s, logs, t, sig, r, q, stock) -> FloatArray:
    """Value at time t of the live groups (no settlement) plus the book's stock, shape (n,)."""
    live = [g for g in groups if g.expiry - t > _EXPIRY_TOL]
    s2, logs2 = s.reshape(1, -1), logs.reshape(1, -1)
    if not live:
        return stock * s
    sig_row, per_path = _row_sig(sig)
    out = _kernel(live, s2, logs2, [t], sig_row, r, q, 0.0, dt=None, vega=False, value=True,
                  work=_Work(1, s.size), per_path=per_path)
    return out.value[0] + stock * s


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------


def _hedge_vol(value: Any, n_times: int, n_paths: int) -> FloatArray:
    arr = check_positive(value, "hedge_volatility")
    if arr.ndim == 0 or arr.shape in ((n_times,), (n_times, n_paths)):
        return arr
    raise HedgeLibError(
        f"hedge_volatility must be a number, an array of shape ({n_times},) (one per grid time) "
        f"or ({n_times}, {n_paths}) (per time and path), got shape {arr.shape}"
    )


# ---------------------------------------------------------------------------------------
# the engine
# ---------------------------------------------------------------------------------------


def simulate_hedge(
    book: Any,
    paths: Any,
    *,
    hedge_volatility: Any,
    rate: float = 0.0,
    dividend_yield: float = 0.0,
    rule: Any = _EVERY_STEP,
    costs: Any = _NO_COSTS,
    strategy: Any = "delta",
    hedge_option: HedgeOption | None = None,
    pricing_volatility: float | None = None,
    record_paths: int = 0,
) -> HedgeResult:
    """Hedge an option book along price paths and account for every cash flow.

    Parameters
    ----------
    book : Book
        The position being hedged (legs and the book's own stock), entered at t = 0.
    paths : Paths
        Prices on a grid: ``times`` (n_steps + 1,) from 0, ``spot`` (n_steps + 1, n_paths);
        every path starts at the same spot. The horizon is ``times[-1]``.
    hedge_volatility : float or ndarray, shape (n_steps + 1,) or (n_steps + 1, n_paths)
        Volatility (annualised) for the deltas, the greeks and the marks: a constant, one per
        grid time (an implied-volatility series such as the VIX), or one per time and path.
    rate : float, default 0.0
        Continuously compounded interest rate, for pricing and for the cash account.
    dividend_yield : float, default 0.0
        Continuous dividend yield, for pricing and paid on stock held.
    rule : Rule, default ``EveryNSteps(1)``
        Rebalancing rule (:mod:`hedgelib.hedging.rules`). Every path trades to target at
        t = 0 and when the hedge option is rolled, whatever the rule.
    costs : CostModel, default ``TransactionCosts()`` (free)
        Cost model (:mod:`hedgelib.hedging.costs`).
    strategy : str or Strategy, default "delta"
        ``"none"``, ``"delta"``, ``"delta-gamma"``, ``"delta-vega"`` or a strategy object
        (:mod:`hedgelib.hedging.strategies`).
    hedge_option : HedgeOption, optional
        The second instrument, required by strategies that use one. Bought at strike
        ``moneyness * spot`` with expiry ``tenor`` years later, at its model price at the
        hedge volatility; rolled into a fresh one when it expires before the horizon.
    pricing_volatility : float, optional
        Volatility at which the book is bought at t = 0 (the premium). Defaults to the hedge
        volatility at t = 0 (which must then be the same on every path).
    record_paths : int, default 0
        Record every step of the first ``record_paths`` paths in ``result.steps``.

    Returns
    -------
    HedgeResult
        P&L, premium, costs (total and per component), trades, turnover, the unhedged P&L,
        the attribution and the greek explain (each summing to the P&L to rounding), and the
        recorded steps.

    Notes
    -----
    The P&L of a path is :math:`C_N + V_N`, with :math:`C` the cash account (premium, trades,
    costs, settlements, interest, dividends) and :math:`V_N` the value at the horizon of
    book legs still alive (at the hedge volatility) plus the book's stock. Attribution:

    .. math:: \\mathrm{P\\&L} = \\underbrace{V_0^{h} - P}_{entry}
              + \\underbrace{V_N + \\textstyle\\sum \\mathrm{settlements} - V_0^{h}}_{option\\ mtm}
              + \\sum_i x_i\\,\\delta S_i + \\sum_i u_i\\,\\delta O_i + \\mathrm{interest}
              + \\mathrm{dividends} - \\mathrm{costs},

    with :math:`V_0^h` the book at the hedge volatility, :math:`x_i, u_i` the stock and option
    held over step i. The explain replaces the middle terms (the whole position's value
    change) by :math:`\\sum_i \\Delta_i\\,\\delta S_i + \\tfrac12\\Gamma_i\\,\\delta S_i^2
    + \\Theta_i\\,\\delta t_i + \\mathcal V_i\\,\\delta\\sigma_i` plus a residual, the greeks
    being those of book plus hedge after the trade at :math:`t_i`. A rule or strategy object
    must act per path and hold no mutable state (as the built-in ones do): paths are
    processed in independent blocks of at most 16,384, on two threads when called from the main
    thread, and every operation is elementwise, so the result does not depend on the
    blocking (nor on how a caller splits the paths).

    References
    ----------
    Hull (2021), ch. 19; Derman and Kamal (1999); Whalley and Wilmott (1997).

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
    times = getattr(paths, "times", None)
    spot = getattr(paths, "spot", None)
    if not isinstance(times, np.ndarray) or not isinstance(spot, np.ndarray):
        raise HedgeLibError(f"paths must be a Paths object (times and spot arrays), got {type(paths).__name__}")
    if spot.ndim != 2 or times.ndim != 1 or spot.shape[0] != times.size or times.size < 2:
        raise HedgeLibError(
            f"paths must have spot of shape (len(times), n_paths) with len(times) >= 2, got "
            f"times {times.shape} and spot {spot.shape}"
        )
    n_times, n_paths = spot.shape
    if not hasattr(book, "legs") or not hasattr(book, "stock"):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    if not book.legs and float(book.stock) == 0.0:
        raise HedgeLibError("book must hold at least one option leg or some stock, got an empty book")
    s0 = spot[0]
    if not np.all(s0 == s0[0]):
        i = int(np.argmax(s0 != s0[0]))
        raise HedgeLibError(
            f"paths must all start at the same spot, got {float(s0[0])!r} on path 0 and "
            f"{float(s0[i])!r} on path {i}"
        )
    r = check_scalar(rate, "rate", check_finite)
    q = check_scalar(dividend_yield, "dividend_yield", check_finite)
    vol = _hedge_vol(hedge_volatility, n_times, n_paths)
    if pricing_volatility is None:
        row0 = vol if vol.ndim == 0 else vol[0]
        if np.ndim(row0) and not np.all(row0 == row0[0]):
            raise HedgeLibError(
                "pricing_volatility must be given when hedge_volatility differs across paths "
                "at t = 0, got None"
            )
        sigma_p = float(np.ravel(row0)[0])
    else:
        sigma_p = check_scalar(pricing_volatility, "pricing_volatility", check_positive)
    if not callable(getattr(rule, "decide", None)):
        raise HedgeLibError(f"rule must be a rule with a decide method, got {rule!r}")
    if not callable(getattr(costs, "charge", None)) or not hasattr(costs, "components"):
        raise HedgeLibError(f"costs must be a cost model with charge and components, got {costs!r}")
    strat = as_strategy(strategy)
    uses_option = bool(getattr(strat, "uses_option", False))
    if uses_option:
        if hedge_option is None:
            raise HedgeLibError(
                f"hedge_option must be given for strategy {getattr(strat, 'name', strat)!r}, got None"
            )
        if not isinstance(hedge_option, HedgeOption):
            raise HedgeLibError(f"hedge_option must be a HedgeOption, got {hedge_option!r}")
    n_record = check_int(record_paths, "record_paths", minimum=0, maximum=n_paths)

    groups = _group_legs(book)
    stock = float(book.stock)
    s_init = np.full(1, float(s0[0]))
    premium = float(_book_value(groups, s_init, np.log(s_init), 0.0, sigma_p, r, q, stock)[0])

    setup = _Setup(
        groups=groups,
        stock=stock,
        premium=premium,
        times=times,
        spot=spot,
        vol=vol,
        r=r,
        q=q,
        rule=rule,
        costs=costs,
        strategy=strat,
        hedge_option=hedge_option if uses_option else None,
        n_record=n_record,
    )
    bounds = _blocks(n_paths)
    workers = min(_MAX_THREADS, usable_cpu_count(), len(bounds))
    if workers > 1 and threading.current_thread() is threading.main_thread():
        # numpy releases the GIL inside its loops, so blocks run in parallel; only from the
        # main thread, so that a caller already running chunks in a pool is not oversubscribed.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(lambda ab: _run_block(setup, *ab), bounds))
    else:
        parts = [_run_block(setup, a, b) for a, b in bounds]
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if not isinstance(parts[0][k], dict | list)}
    dict_keys = [k for k in parts[0] if isinstance(parts[0][k], dict)]
    for k in dict_keys:
        out[k] = {name: np.concatenate([p[k][name] for p in parts]) for name in parts[0][k]}
    rows = [row for p in parts for row in p["steps"]]
    steps = pd.DataFrame(rows, columns=list(STEP_COLUMNS)) if rows else _NO_STEPS.copy()
    if rows:
        steps = steps.sort_values(["path", "step"], kind="stable", ignore_index=True)
        steps = steps.astype({"path": np.int64, "step": np.int64})
    return HedgeResult(
        pnl=out["pnl"],
        premium=premium,
        costs=out["costs"],
        cost_breakdown=out["cost_breakdown"],
        n_trades=out["n_trades"],
        turnover=out["turnover"],
        option_turnover=out["option_turnover"],
        unhedged_pnl=out["unhedged_pnl"],
        attribution=out["attribution"],
        explain=out["explain"],
        steps=steps,
        n_steps=n_times - 1,
        horizon=float(times[-1]),
    )


def _blocks(n_paths: int) -> list[tuple[int, int]]:
    """Path ranges of at most _BLOCK paths, as many as a multiple of the threads and even.

    Equal blocks keep both threads busy to the end (seven blocks of 16,384 for 100,000 paths
    would leave one thread idle for a block); the split never changes a number.
    """
    n_blocks = -(-n_paths // _BLOCK)
    if n_blocks > 1:
        n_blocks = -(-n_blocks // _MAX_THREADS) * _MAX_THREADS
    size = -(-n_paths // n_blocks)
    return [(a, min(a + size, n_paths)) for a in range(0, n_paths, size)]


class _Setup:
    """Validated inputs shared by every block of paths."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)
        vol = self.vol
        self.vol_varies = vol.ndim > 0 and bool(np.any(np.diff(vol, axis=0) != 0))
        self.cost_names = tuple(self.costs.components)
        self.proportional = float(getattr(self.costs, "proportional", 0.0))
        self.last_expiry = max((g.expiry for g in self.groups), default=0.0)


def _rows_per_run(n: int) -> int:
    """Grid rows whose greeks are computed in one go for a block of n paths."""
    return max(1, min(_MAX_ROWS, _RUN_ELEMENTS // max(n, 1)))


def _run_block(st: _Setup, a: int, b: int) -> dict[str, Any]:
    """Hedge paths a..b-1 through the whole grid."""
    times, r, q = st.times, st.r, st.q
    t_list = [float(x) for x in times]
    spot = st.spot[:, a:b]
    n = b - a
    vol = st.vol
    if vol.ndim == 0:
        vol_float = float(vol)

        def sigma_at(i: int) -> Any:
            return vol_float

        def sigma_rows(i0: int, i1: int) -> Any:
            return vol_float
    elif vol.ndim == 1:
        def sigma_at(i: int) -> Any:
            return float(vol[i])

        def sigma_rows(i0: int, i1: int) -> Any:
            return vol[i0:i1].reshape(-1, 1)
    else:
        vol_block = vol[:, a:b]

        def sigma_at(i: int) -> Any:
            return vol_block[i]

        def sigma_rows(i0: int, i1: int) -> Any:
            return vol_block[i0:i1]

    per_path_vol = vol.ndim == 2
    strat, rule, costs = st.strategy, st.rule, st.costs
    hopt = st.hedge_option
    need_vega = st.vol_varies or bool(getattr(strat, "needs_vega", False))
    n_last = times.size - 1
    book_stock = st.stock
    # With no interest the cash account is a plain sum of the flows, rebuilt at the end;
    # with interest it is carried step by step because it earns on its running balance.
    carry_cash = r != 0.0

    zeros = np.zeros
    cash = np.full(n, -st.premium)
    # the unhedged account is the same on every path until a leg settles
    ucash: Any = -st.premium
    x = zeros(n)  # stock hedge held
    u = zeros(n)  # hedge options held
    settle = zeros(n)
    stock_gain = zeros(n)
    opt_gain = zeros(n)
    interest = zeros(n)
    dividends = zeros(n)
    ex_delta = zeros(n)
    ex_gamma2 = zeros(n)  # sum of Gamma dS^2; halved at the end (exact in binary)
    ex_theta = zeros(n)
    ex_vega = zeros(n)
    cost_acc = {name: zeros(n) for name in st.cost_names}
    n_trades = zeros(n, dtype=np.int64)
    # Trades are counted per step in one byte per path (a same-type add; adding bools into
    # int64 takes numpy's much slower casting loop) and flushed before the bytes can wrap.
    trades8 = zeros(n, dtype=np.uint8)
    unflushed = 0
    turnover = zeros(n)
    opt_turnover = zeros(n)
    # per-step scratch
    dq_buf = np.empty(n)
    du_buf = np.empty(n)
    tmp = np.empty(n)
    abs_buf = np.empty(n)
    cost_buf = np.empty(n)
    ds_buf = np.empty(n)
    # The common proportional-only costs are charged in place from |trade|, already at hand
    # for the turnover (same products as TransactionCosts.charge, without its allocations).
    prop_only = type(costs) is TransactionCosts and costs._proportional_only
    traded_buf = np.empty(n, dtype=bool)
    # greeks of several grid rows at once: fewer, longer numpy calls
    max_rows = _rows_per_run(n)
    logs_buf = np.empty((max_rows, n))
    bk_work = _Work(max_rows, n)
    op_work = _Work(max_rows, n) if hopt is not None else None
    run_start = run_end = 0
    bk_run: _Greeks | None = None
    op_run: _Greeks | None = None
    logs_run = logs_buf

    alive = list(st.groups)
    hgroup: _Group | None = None
    n_rec = max(0, min(b, st.n_record) - a)
    rec_rows: list[tuple] = []
    rec_cost = zeros(n_rec)

    def cash_now(sl: slice) -> FloatArray:
        if carry_cash:
            return cash[sl].copy()
        return (
            -st.premium + settle[sl] + stock_gain[sl] + opt_gain[sl] + dividends[sl]
            - rec_cost[: sl.stop]
        )

    def expires_at(j: int) -> bool:
        t_j = t_list[j]
        if hgroup is not None and hgroup.expiry - t_j <= _EXPIRY_TOL:
            return True
        return any(g.expiry - t_j <= _EXPIRY_TOL for g in alive)

    s = spot[0]
    sig = sigma_at(0)
    v0 = np.broadcast_to(_book_value(st.groups, s, np.log(s), 0.0, sig, r, q, book_stock), (n,))

    t = 0.0
    for i in range(n_last + 1):
        t = t_list[i]
        s = spot[i]
        sig = sigma_at(i)
        # 1. settlements of book legs and of an expired hedge option
        changed = False
        if alive and any(g.expiry - t <= _EXPIRY_TOL for g in alive):
            still = []
            for g in alive:
                if g.expiry - t <= _EXPIRY_TOL:
                    pay = g.payoff(s)
                    settle += pay
                    ucash = ucash + pay
                    if carry_cash:
                        cash += pay
                else:
                    still.append(g)
            alive = still
            changed = True
        rolled = False
        if hgroup is not None and hgroup.expiry - t <= _EXPIRY_TOL:
            pay = u * hgroup.payoff(s)
            opt_gain += pay
            if carry_cash:
                cash += pay
            u.fill(0.0)
            hgroup = None
        if i == n_last:
            break
        if hopt is not None and hgroup is None:
            hgroup = _Group(hopt.moneyness * s, t + hopt.tenor, 1.0, 1.0 if hopt.kind == "put" else 0.0)
            rolled = True
        dt = t_list[i + 1] - t

        # 2. greeks of the live book and of one hedge option at the hedge volatility, for a
        #    run of rows up to the next settlement or roll; theta comes out times dt
        if changed or rolled or i >= run_end:
            run_start = i
            run_end = i + 1
            while run_end < min(i + max_rows, n_last) and not expires_at(run_end):
                run_end += 1
            rows = run_end - i
            s_run = spot[i:run_end]
            if n == 1:
                # A single path is a strided column, on which numpy's log takes its scalar
                # loop instead of the SIMD one: copy it so its digits match any other block.
                s_run = np.ascontiguousarray(s_run)
            logs_run = np.log(s_run, out=logs_buf[:rows])
            sig_run = sigma_rows(i, run_end)
            t_run = t_list[i:run_end]
            dt_run = [t_list[j + 1] - t_list[j] for j in range(i, run_end)]
            bk_run = _kernel(alive, s_run, logs_run, t_run, sig_run, r, q, book_stock,
                             dt=dt_run, vega=need_vega, value=False, work=bk_work,
                             per_path=per_path_vol)
            op_run = None
            if hgroup is not None:
                op_run = _kernel([hgroup], s_run, logs_run, t_run, sig_run, r, q, 0.0,
                                 dt=dt_run, vega=need_vega, value=True, work=op_work,
                                 per_path=per_path_vol)
        j = i - run_start
        bd, bg, bth = bk_run.delta[j], bk_run.gamma[j], bk_run.theta[j]
        bv = bk_run.vega[j] if need_vega else None
        if op_run is not None:
            od, og, oth, ov = op_run.delta[j], op_run.gamma[j], op_run.theta[j], op_run.value[j]
            ovg = op_run.vega[j] if need_vega else None

        # 3. targets and the rule's decision
        state = HedgeState(
            step=i,
            time=t,
            spot=s,
            volatility=sig,
            book_delta=bd,
            book_gamma=bg,
            book_vega=bv,
            option_delta=None if op_run is None else od,
            option_gamma=None if op_run is None else og,
            option_vega=None if op_run is None else ovg,
            option_price=None if op_run is None else ov,
            stock=x,
            option=u,
        )
        x_t, u_t = strat.target(state)
        if i == 0 or rolled:
            trade: Any = True
            dest: Any = 0.0
        else:
            dev = x - x_t
            gam = bg
            if op_run is not None:
                dev += (u - u_t) * od
                gam = gam + u_t * og
            ctx = RuleContext(i, t, s, dev, gam, sig, max(st.last_expiry - t, 0.0), r, st.proportional)
            trade, dest = rule.decide(ctx)

        # 4. trades, cash and costs
        if isinstance(trade, np.ndarray | np.bool_):
            traded_any = bool(trade.any())
            all_paths = traded_any and bool(trade.all())
        else:
            traded_any = all_paths = bool(trade)
        dq_ = du = None
        if traded_any:
            if all_paths:
                x_new = x_t + dest if (np.ndim(dest) or dest != 0.0) else x_t
            else:
                x_new = np.where(trade, x_t + dest, x)
            dq_ = np.subtract(x_new, x, out=dq_buf)
            flow = np.multiply(dq_, s, out=tmp)
            stock_gain -= flow
            if carry_cash:
                cash -= flow
            aq = np.abs(dq_, out=abs_buf)
            turnover += aq
            traded = np.not_equal(dq_, 0.0, out=traded_buf)
            if op_run is not None:
                u_new = u_t if all_paths else np.where(trade, u_t, u)
                du = np.subtract(u_new, u, out=du_buf)
                oflow = np.multiply(du, ov, out=tmp)
                opt_gain -= oflow
                if carry_cash:
                    cash -= oflow
                opt_turnover += np.abs(du, out=tmp)
                traded |= du != 0
                np.copyto(u, u_new)
            np.add(trades8, traded.view(np.uint8), out=trades8)
            unflushed += 1
            if unflushed == 255:
                n_trades += trades8
                trades8.fill(0)
                unflushed = 0
            if prop_only:
                charged = {"proportional": costs._proportional_into(aq, s, cost_buf)}
            else:
                charged = costs.charge(dq_, s, sig, du, None if op_run is None else ov)
            for name, c in charged.items():
                cost_acc[name] += c
                if carry_cash:
                    cash -= c
                if n_rec:
                    rec_cost += c[:n_rec]
            np.copyto(x, x_new)

        if n_rec:
            sl = slice(0, n_rec)
            _record(rec_rows, st, alive, a, sl, i, t, s, logs_run[j], sig, x, u, dq_, du,
                    cash_now(sl), rec_cost, None if op_run is None else ov)

        # 5. explain terms over [t_i, t_{i+1}] for the position held, then financing
        s_next = spot[i + 1]
        ds = np.subtract(s_next, s, out=ds_buf)
        d_tot = np.add(bd, x, out=tmp)
        g_tot = bg
        th_tot = bth
        if op_run is not None:
            d_tot += u * od
            g_tot = g_tot + u * og
            th_tot = th_tot + u * oth
        d_tot *= ds
        ex_delta += d_tot
        ds *= ds
        ds *= g_tot
        ex_gamma2 += ds
        ex_theta += th_tot
        if st.vol_varies:
            dsig = sigma_at(i + 1) - sig
            v_tot = bv if op_run is None else bv + u * ovg
            ex_vega += v_tot * dsig
        if carry_cash:
            growth = math.expm1(r * dt)
            earned = np.multiply(cash, growth, out=tmp)
            cash += earned
            interest += earned
            ucash += ucash * growth
        if q != 0.0:
            yld = math.expm1(q * dt)
            div = (x + book_stock) * (yld * s_next)
            dividends += div
            if carry_cash:
                cash += div
            if book_stock != 0.0:
                ucash = ucash + book_stock * yld * s_next

    # horizon: s, sig, t are those of the last grid time; legs due have settled above.
    logs = np.log(s)
    v_end = np.broadcast_to(_book_value(alive, s, logs, t, sig, r, q, book_stock), (n,))
    liq_x = -x
    flow = liq_x * s
    stock_gain -= flow
    if carry_cash:
        cash -= flow
    turnover += np.abs(liq_x)
    traded = liq_x != 0
    du = None
    price = None
    if hgroup is not None:
        sig_row, per_path = _row_sig(sig)
        price = _kernel([hgroup], s.reshape(1, -1), logs.reshape(1, -1), [t], sig_row, r, q, 0.0,
                        dt=None, vega=False, value=True, work=_Work(1, n), per_path=per_path).value[0]
        du = -u
        oflow = du * price
        opt_gain -= oflow
        if carry_cash:
            cash -= oflow
        opt_turnover += np.abs(du)
        traded |= du != 0
    n_trades += trades8
    n_trades += traded
    charged = costs.charge(liq_x, s, sig, du, price)
    for name, c in charged.items():
        cost_acc[name] += c
        if carry_cash:
            cash -= c
        if n_rec:
            rec_cost += c[:n_rec]
    cost_total = zeros(n)
    for name in st.cost_names:
        cost_total += cost_acc[name]
    if not carry_cash:
        cash = -st.premium + settle + stock_gain + opt_gain + dividends - cost_total
    pnl = cash + v_end
    unhedged = ucash + v_end
    if n_rec:
        sl = slice(0, n_rec)
        zero = np.zeros(n)
        _record(rec_rows, st, alive, a, sl, n_last, t, s, logs, sig, zero, zero, liq_x, du,
                cash[sl].copy(), rec_cost, price)

    ex_gamma = 0.5 * ex_gamma2
    entry = v0 - st.premium
    option_mtm = v_end + settle - v0
    costs_signed = {f"cost_{name}": -cost_acc[name] for name in st.cost_names}
    attribution = {
        "entry": entry,
        "option_mtm": option_mtm,
        "hedge_stock": stock_gain,
        "hedge_options": opt_gain,
        "interest": interest,
        "dividends": dividends,
        **costs_signed,
    }
    residual = (option_mtm + stock_gain + opt_gain) - (ex_delta + ex_gamma + ex_theta + ex_vega)
    explain = {
        "entry": entry,
        "delta": ex_delta,
        "gamma": ex_gamma,
        "theta": ex_theta,
        "vega": ex_vega,
        "residual": residual,
        "interest": interest,
        "dividends": dividends,
        **costs_signed,
    }
    return {
        "pnl": pnl,
        "costs": cost_total,
        "cost_breakdown": dict(cost_acc),
        "n_trades": n_trades,
        "turnover": turnover,
        "option_turnover": opt_turnover,
        "unhedged_pnl": unhedged,
        "attribution": attribution,
        "explain": explain,
        "steps": rec_rows,
    }


def _record(rows, st, alive, a, sl, i, t, s, logs, sig, x, u, dq_, du, cash_rec, rec_cost,
            option_price) -> None:
    """Append one row per recorded path for grid step i (after the step's trades)."""
    n_rec = sl.stop
    sig_r = sig if np.ndim(sig) == 0 else sig[sl]
    bv = np.broadcast_to(_book_value(alive, s[sl], logs[sl], t, sig_r, st.r, st.q, st.stock), (n_rec,))
    price = option_price[sl] if option_price is not None else np.full(n_rec, np.nan)
    held = u[sl] * np.nan_to_num(price)
    pnl = cash_rec + bv + x[sl] * s[sl] + held
    sig_col = np.broadcast_to(sig_r, (n_rec,))
    zero = np.zeros(n_rec)
    dq_r = zero if dq_ is None else dq_[sl]
    du_r = zero if du is None else du[sl]
    for j in range(n_rec):
        rows.append(
            (a + j, i, t, float(s[j]), float(sig_col[j]), float(x[j]), float(u[j]), float(dq_r[j]),
             float(du_r[j]), float(cash_rec[j]), float(bv[j]), float(price[j]), float(pnl[j]),
             float(rec_cost[j]))
        )
