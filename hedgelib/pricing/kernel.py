"""The Black-Scholes-Merton kernel for many options on one grid of spots and times.

This is where the normal distribution function is evaluated for the library's hot loops:
the hedging engine values a book and its hedge option here at every step, and
:mod:`hedgelib.pricing.black_scholes` takes its CDF and density from here.

A book is folded into :class:`OptionGroup` s, one per strike and expiry: a put is a call minus
:math:`Se^{-q\\tau}` plus :math:`Ke^{-r\\tau}` (put-call parity), so a group needs one
:math:`N(d_1)` however many legs it holds. :func:`group_greeks` evaluates the groups at every
(time, path) point of a run of grid rows, into preallocated :class:`GreekBuffers`; per-row
constants come from :mod:`math` and each row's own time, so a path's numbers never depend on
how rows or paths are grouped into calls.

References
----------
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed. (2021), ch. 15 and 19.
Haug, E. G. (2007), *The Complete Guide to Option Pricing Formulas*, 2nd ed., ch. 1-2.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import ndtr

from hedgelib._typing import FloatArray
from hedgelib.conventions import EXPIRY_TOLERANCE

__all__ = [
    "INV_SQRT_2PI",
    "GreekBuffers",
    "GroupGreeks",
    "OptionGroup",
    "group_greeks",
    "group_legs",
    "group_value",
    "ndtr",
    "normal_pdf",
    "row_volatility",
]

INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def normal_pdf(x: Any) -> Any:
    """Standard normal density :math:`e^{-x^2/2}/\\sqrt{2\\pi}`."""
    return np.exp(-0.5 * x * x) * INV_SQRT_2PI


class OptionGroup:
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


class GroupGreeks:
    """Greeks of a set of groups on a (rows, n_paths) grid of (time, path) points.

    ``delta`` includes the book's stock; ``theta`` is already multiplied by each row's step
    length; ``theta``, ``vega`` and ``value`` are None unless asked for. The arrays are views
    of a :class:`GreekBuffers`: valid until its next use.
    """

    __slots__ = ("delta", "gamma", "theta", "value", "vega")

    def __init__(self, delta: Any, gamma: Any, theta: Any, vega: Any, value: Any) -> None:
        self.delta = delta
        self.gamma = gamma
        self.theta = theta
        self.vega = vega
        self.value = value


class GreekBuffers:
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

    def __init__(self, work: GreekBuffers, rows: int) -> None:
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

    def total(self, key: str) -> FloatArray:
        """The sum so far, zeros where no group added to it."""
        if key not in self.started:
            self.buf[key].fill(0.0)
        return self.buf[key]


def _col(values: Any) -> FloatArray:
    return np.array(values, dtype=np.float64).reshape(-1, 1)


def group_greeks(
    groups: list[OptionGroup],
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
    work: GreekBuffers,
    per_path: bool,
) -> GroupGreeks:
    """Greeks of the groups at every (time, path) point of a run of grid rows.

    Parameters
    ----------
    groups : list of OptionGroup
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
    work : GreekBuffers
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
                phi *= k * INV_SQRT_2PI
                phi /= vs
                coef: Any = 1.0
            else:
                coef = k * INV_SQRT_2PI / vs
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
    delta = acc.total("delta")
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
        vg = acc.total("vega")
        if "vega" in acc.started:
            vg *= s
            vg *= sig
    val = acc.total("value") if value else None
    gamma = acc.total("sg") if sg is None else np.divide(sg, s, out=sg)
    if stock != 0.0:
        delta += stock
    return GroupGreeks(delta, gamma, th, vg, val)


def group_legs(book: Any) -> list[OptionGroup]:
    merged: dict[tuple[float, float], list[float]] = {}
    for leg in book.legs:
        key = (float(leg.expiry), float(leg.strike))
        calls_puts = merged.setdefault(key, [0.0, 0.0])
        calls_puts[0] += float(leg.quantity)
        if leg.kind == "put":
            calls_puts[1] += float(leg.quantity)
    return [OptionGroup(k, t, c, p) for (t, k), (c, p) in merged.items() if c != 0.0 or p != 0.0]


def row_volatility(sig: Any) -> tuple[Any, bool]:
    """A volatility for one grid time (float, or per path) in the kernel's one-row shape."""
    if np.ndim(sig) == 0:
        return float(sig), False
    return np.reshape(sig, (1, -1)), True


def group_value(groups, s, logs, t, sig, r, q, stock) -> FloatArray:
    """Value at time t of the live groups (no settlement) plus the book's stock, shape (n,)."""
    live = [g for g in groups if g.expiry - t > EXPIRY_TOLERANCE]
    s2, logs2 = s.reshape(1, -1), logs.reshape(1, -1)
    if not live:
        return stock * s
    sig_row, per_path = row_volatility(sig)
    out = group_greeks(live, s2, logs2, [t], sig_row, r, q, 0.0, dt=None, vega=False, value=True,
                  work=GreekBuffers(1, s.size), per_path=per_path)
    return out.value[0] + stock * s

