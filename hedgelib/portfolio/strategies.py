"""Portfolio insurance strategies: "how much of the portfolio goes into the risky asset?".

A strategy is a frozen spec that validates itself. At the start of a run it makes a *policy*
for a group of paths (:meth:`policy`), which answers at each grid time with the target
exposure in currency (what is held in the risky asset), or, for a static strategy, only
once at t = 0. The runner (:mod:`hedgelib.portfolio.insurance`) owns the cash, the trades, the
costs and the rules, as the hedging engine does for option books.

The floor
---------
Every strategy protects (or, for buy-and-hold, is measured against) a floor: a fraction
``floor`` of the initial capital guaranteed at the horizon, :math:`G = f\\,C_0`, whose value
before then accretes at the rate, :math:`F_t = G\\,e^{-r(T - t)}` (so :math:`F_T = G`; at
``rate = 0`` the floor is simply ``floor x capital`` all along). CPPI keeps its exposure a
multiple of the cushion above this floor; the put strategies buy (or replicate) a put that
pays the floor at expiry.

References
----------
Black, F. and Jones, R. (1987), "Simplifying portfolio insurance", *Journal of Portfolio
Management* 14(1). Black, F. and Perold, A. F. (1992), "Theory of constant proportion portfolio
insurance", *Journal of Economic Dynamics and Control* 16(3-4). Estep, T. and Kritzman, M. (1988),
"TIPP: insurance without complexity", *Journal of Portfolio Management* 14(4). Leland, H. E. and
Rubinstein, M. (1988), "The evolution of portfolio insurance", in Luskin (ed.), *Portfolio
Insurance: A Guide to Dynamic Hedging*, Wiley. Hull, J. C., *Options, Futures, and Other
Derivatives*, 11th ed., ch. 17 (portfolio insurance and index options).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from scipy.optimize import brentq

from hedgelib._typing import FloatArray
from hedgelib.conventions import (
    EXPIRY_TOLERANCE,
    HedgeLibError,
    check_in_range,
    check_positive,
    check_positive_volatility,
    check_positive_years,
    check_scalar,
)
from hedgelib.hedging.rules import DeltaBand, EveryNSteps
from hedgelib.pricing.black_scholes import bs_price
from hedgelib.pricing.kernel import GreekBuffers, OptionGroup, group_greeks
from hedgelib.registry import Parameter, Registry, parameter

__all__ = [
    "CPPI",
    "INSURANCE_RULES",
    "INSURANCE_STRATEGIES",
    "BuyAndHold",
    "ExposureBand",
    "InsuranceStrategy",
    "ProtectivePut",
    "SyntheticPut",
    "floor_curve",
    "put_strike",
]


def _floor(value: Any) -> float:
    return float(check_in_range(check_scalar(value, "floor"), "floor", 0.0, 1.0,
                                inclusive=(False, False)))


def floor_curve(floor: float, capital: float, times: Any, expiry: float, rate: float) -> FloatArray:
    """The floor in currency at each time: ``floor x capital`` at ``expiry``, discounted before.

    Parameters
    ----------
    floor : float
        Fraction of the initial capital guaranteed at ``expiry``, in (0, 1).
    capital : float
        Initial capital (currency).
    times : array_like, shape (n,)
        Years from today.
    expiry : float
        Years from today at which the floor is paid.
    rate : float
        Continuously compounded rate.

    Returns
    -------
    ndarray, shape (n,)
        :math:`F_t = f\\,C_0\\,e^{-r(T - t)}`.

    Examples
    --------
    >>> floor_curve(0.9, 100.0, [0.0, 1.0], 1.0, 0.0).tolist()
    [90.0, 90.0]
    """
    t = np.asarray(times, dtype=np.float64)
    return floor * capital * np.exp(-rate * (expiry - t))


def put_strike(floor: float, time_to_expiry: float, volatility: float, rate: float = 0.0,
               dividend_yield: float = 0.0) -> float:
    """The strike, as a fraction of the spot, of a protective put that guarantees ``floor``.

    Solves :math:`k = f\\,(1 + P(1, k))` for :math:`k`, with :math:`P(1, k)` the Black-Scholes
    put on a spot of 1: the investor buys :math:`n` shares and :math:`n` puts with all the
    capital, :math:`n(S_0 + P) = C_0`, and the puts pay at least :math:`nK = f\\,C_0`.

    Parameters
    ----------
    floor : float
        Fraction of the capital guaranteed at expiry, in (0, 1).
    time_to_expiry, volatility : float
        Years to the put's expiry and its volatility, > 0.
    rate, dividend_yield : float, default 0.0
        Continuously compounded.

    Returns
    -------
    float
        ``K / S_0``.

    Raises
    ------
    HedgeLibError
        When no strike reaches the floor (possible only with a negative rate:
        ``k / (1 + P)`` rises from 0 to :math:`e^{rT}`).

    Notes
    -----
    :math:`k/(1 + P(1,k))` increases with :math:`k` (its derivative has the sign of
    :math:`1 - e^{-qT}N(-d_1) > 0`) from 0 to :math:`e^{rT}`, so the root is unique and
    bracketed for :math:`f < e^{rT}`.

    Examples
    --------
    >>> k = put_strike(0.9, 1.0, 0.2)
    >>> round(k, 4), round(k / (1 + float(bs_price(1.0, k, 1.0, 0.2, kind="put"))), 6)
    (0.9495, 0.9)
    """
    f = _floor(floor)
    t = check_scalar(time_to_expiry, "time_to_expiry", check_positive_years)
    sigma = check_scalar(volatility, "volatility", check_positive_volatility)
    cap = math.exp(rate * t)
    if f >= cap * (1.0 - 1e-12):
        raise HedgeLibError(
            f"floor must be below exp(rate x time_to_expiry) = {cap:.6g} for a put to guarantee "
            f"it (a negative rate makes the floor dearer than the capital), got {f!r}"
        )

    def gap(k: float) -> float:
        return k - f * (1.0 + float(bs_price(1.0, k, t, sigma, rate, dividend_yield, "put")))

    hi = 1.0
    while gap(hi) < 0.0:
        hi *= 2.0
    return float(brentq(gap, 1e-12, hi, xtol=1e-14, rtol=1e-13))


@runtime_checkable
class InsuranceStrategy(Protocol):
    """Interface of an insurance strategy, as the runner uses it.

    ``floor`` is the fraction of the capital it guarantees (or is measured against, None for
    none); ``static`` says whether it trades only at t = 0; :meth:`floor_expiry` gives the
    time its floor is paid (the horizon, or a put's later expiry). :meth:`policy` returns,
    for one group of paths (``spot`` of shape ``(n_steps + 1, n_paths)`` on the grid
    ``times``), an object with

    - ``target(step, value, peak) -> exposure`` (currency per path) for a dynamic strategy,
      or ``initial(value) -> (shares, options or None)`` for a static one;
    - ``options(step) -> (price, delta)`` of one option per path when it holds options,
      else the attribute ``options = None``.

    A policy acts per path and may precompute anything that depends only on the spot and the
    time (the runner's arithmetic is per path, so blocking never changes a number).
    """

    floor: float | None
    static: bool

    def policy(self, *, capital: float, spot: FloatArray, times: FloatArray, rate: float,
               dividend_yield: float) -> Any: ...

    def floor_expiry(self, horizon: float) -> float: ...


# --------------------------------------------------------------------------------------------
# CPPI and TIPP


class _CPPIPolicy:
    __slots__ = ("cap", "floors", "m", "ratchet", "tmp")
    options = None

    def __init__(self, spec: CPPI, capital: float, n: int, times: FloatArray, rate: float) -> None:
        self.m, self.cap, self.ratchet = spec.multiplier, spec.max_exposure, spec.ratchet
        self.floors = floor_curve(spec.floor, capital, times, float(times[-1]), rate).tolist()
        self.tmp = np.empty(n)

    def target(self, step: int, value: FloatArray, peak: FloatArray) -> FloatArray:
        floor = self.floors[step]
        out = self.tmp
        if self.ratchet is None:
            np.subtract(value, floor, out=out)
        else:
            # TIPP: the floor is the larger of the guarantee and a fraction of the peak.
            np.multiply(peak, self.ratchet, out=out)
            np.maximum(out, floor, out=out)
            np.subtract(value, out, out=out)
        out *= self.m
        np.maximum(out, 0.0, out=out)  # no short position below the floor
        if self.cap is not None:
            np.minimum(out, value * self.cap, out=out)
        return out


@dataclass(frozen=True)
class CPPI:
    """Constant proportion portfolio insurance: exposure a multiple of the cushion.

    Parameters
    ----------
    multiplier : float
        :math:`m > 0`: the exposure is :math:`m` times the cushion :math:`V - F`.
    floor : float
        Fraction of the initial capital guaranteed at the horizon, in (0, 1); its value
        accretes at the rate (module notes).
    max_exposure : float or None, default 1.0
        Cap on the exposure as a fraction of the portfolio value (1.0: no borrowing); None
        for no cap (borrowing allowed), the textbook case of Black and Perold.
    ratchet : float or None, default None
        TIPP (time-invariant portfolio protection): the floor rises to ``ratchet`` times the
        running peak of the portfolio value whenever that is higher, in (0, 1).

    Notes
    -----
    With :math:`F_t = f C_0 e^{-r(T-t)}` the floor and :math:`V_t` the portfolio value,

    .. math:: E_t = \\min\\big(m\\,(V_t - F_t)^+,\\; c\\,V_t\\big)

    is held in the risky asset, the rest in cash. Rebalanced continuously without a cap the
    cushion :math:`C = V - F` is :math:`C_0` times a power of the price, so
    :math:`V_T \\ge F_T` on every path and

    .. math:: E[V_T] = F_T + C_0\\,e^{(r + m(\\mu - r))T}

    (Black and Perold 1992). Rebalanced at discrete times the cushion is wiped out by a fall
    larger than :math:`1/m` between two trades, and the value ends below the floor: the
    **gap risk** that jumps make real.

    References
    ----------
    Black and Perold (1992); Estep and Kritzman (1988) for TIPP (module references).

    Examples
    --------
    >>> CPPI(4.0, 0.8).label, CPPI(4.0, 0.8, ratchet=0.9).label
    ('CPPI (m = 4)', 'TIPP (m = 4, ratchet 90%)')
    >>> CPPI(0.0, 0.8)
    Traceback (most recent call last):
    ...
    hedgelib.conventions.HedgeLibError: multiplier must be positive and finite, got 0.0
    """

    multiplier: float
    floor: float
    max_exposure: float | None = 1.0
    ratchet: float | None = None

    static = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "multiplier",
                           check_scalar(self.multiplier, "multiplier", check_positive))
        object.__setattr__(self, "floor", _floor(self.floor))
        if self.max_exposure is not None:
            object.__setattr__(self, "max_exposure",
                               check_scalar(self.max_exposure, "max_exposure", check_positive))
        if self.ratchet is not None:
            r = check_scalar(self.ratchet, "ratchet")
            object.__setattr__(self, "ratchet", float(check_in_range(
                r, "ratchet", 0.0, 1.0, inclusive=(False, False))))

    @property
    def label(self) -> str:
        m = f"m = {self.multiplier:g}"
        if self.ratchet is None:
            return f"CPPI ({m})"
        return f"TIPP ({m}, ratchet {100 * self.ratchet:g}%)"

    def floor_expiry(self, horizon: float) -> float:
        return horizon

    def policy(self, *, capital: float, spot: FloatArray, times: FloatArray, rate: float,
               dividend_yield: float) -> _CPPIPolicy:
        return _CPPIPolicy(self, capital, spot.shape[1], times, rate)


# --------------------------------------------------------------------------------------------
# option-based insurance


def _put_terms(spec: Any, capital: float, spot: FloatArray, horizon: float, rate: float,
               dividend_yield: float) -> tuple[float, FloatArray, FloatArray]:
    """Expiry, strike and number of units of the put insurance on each path (``spot``: the
    starting spots).

    The price is homogeneous in spot and strike, so ``K / S_0`` is solved once and every
    path's strike scales with its own starting spot.
    """
    expiry = spec.floor_expiry(horizon)
    k_unit = put_strike(spec.floor, expiry, spec.volatility, rate, dividend_yield)
    p_unit = float(bs_price(1.0, k_unit, expiry, spec.volatility, rate, dividend_yield, "put"))
    strike = k_unit * spot
    units = capital / (spot * (1.0 + p_unit))
    return expiry, strike, units


def _check_expiry(expiry: Any) -> float | None:
    return None if expiry is None else check_scalar(expiry, "expiry", check_positive_years)


# Puts are priced for a run of grid rows at once, about this many (row, path) points per
# call, so that the pricer's per-call work is paid once per run, not once per step.
_RUN_ELEMENTS = 65536
_MAX_ROWS = 64


class _PutPolicy:
    """Black-Scholes price and delta of the insuring put along the grid, a run of rows at a time.

    The put is priced by the library's Black-Scholes-Merton kernel
    (:func:`hedgelib.pricing.kernel.group_greeks`, the one the hedging engine and
    :mod:`hedgelib.pricing.black_scholes` share), which takes a run of grid rows per call.
    """

    def __init__(self, spec: Any, capital: float, spot: FloatArray, times: FloatArray, rate: float,
                 dividend_yield: float) -> None:
        self.expiry, self.strike, self.units = _put_terms(
            spec, capital, spot[0].copy(), float(times[-1]), rate, dividend_yield)
        self.sigma, self.r, self.q = spec.volatility, rate, dividend_yield
        self.spot, self.times = spot, times.tolist()
        n = spot.shape[1]
        self.group = OptionGroup(self.strike, self.expiry, 1.0, 1.0)  # one put (parity form)
        self.rows = max(1, min(_MAX_ROWS, _RUN_ELEMENTS // max(n, 1)))
        self.work = GreekBuffers(self.rows, n)
        self.first = self.stop = 0
        self.price: FloatArray | None = None
        self.delta: FloatArray | None = None
        self.tmp = np.empty(n)

    #: Whether the put's price is needed (a put held), or only its delta (a put replicated).
    priced = True

    def put_at(self, step: int) -> tuple[FloatArray, FloatArray]:
        """Price (None unless ``priced``) and delta of one put on each path at ``step``."""
        times = self.times
        if self.expiry - times[step] <= EXPIRY_TOLERANCE:
            s = self.spot[step]
            return np.maximum(self.strike - s, 0.0), -(s < self.strike).astype(np.float64)
        if not self.first <= step < self.stop:
            # A run of rows when called step after step; one row when called sparsely (a
            # rule that rebalances every few steps asks only at its steps).
            rows = self.rows if step == self.stop else 1
            stop = step + 1
            while (stop < min(step + rows, len(times))
                   and self.expiry - times[stop] > EXPIRY_TOLERANCE):
                stop += 1
            s_run = self.spot[step:stop]
            g = group_greeks([self.group], s_run, np.log(s_run), times[step:stop], self.sigma,
                             self.r, self.q, 0.0, dt=None, vega=False, value=self.priced,
                             work=self.work, per_path=False)
            self.price, self.delta = g.value, g.delta
            self.first, self.stop = step, stop
        j = step - self.first
        return (None if self.price is None else self.price[j]), self.delta[j]


class _SyntheticPutPolicy(_PutPolicy):
    options = None  # it holds no put: it replicates one
    priced = False

    def target(self, step: int, value: FloatArray, peak: FloatArray) -> FloatArray:
        # n (S + P) replicated: n (1 + put delta) shares, the rest in cash.
        _, delta = self.put_at(step)
        out = np.add(delta, 1.0, out=self.tmp)
        out *= self.units
        out *= self.spot[step]
        return out


class _ProtectivePutPolicy(_PutPolicy):
    def initial(self, value: FloatArray) -> tuple[FloatArray, FloatArray]:
        return self.units.copy(), self.units.copy()

    def options(self, step: int) -> tuple[FloatArray, FloatArray]:
        return self.put_at(step)


@dataclass(frozen=True)
class SyntheticPut:
    """Option-based portfolio insurance replicated dynamically (Leland and Rubinstein).

    Parameters
    ----------
    floor : float
        Fraction of the capital guaranteed at the put's expiry, in (0, 1).
    volatility : float
        Volatility of the Black-Scholes put replicated, > 0: the hedger's forecast.
    expiry : float or None, default None
        Years to the put's expiry; default the horizon of the run (at least the horizon).

    Notes
    -----
    The insured portfolio is :math:`n` shares plus :math:`n` puts of strike :math:`K`, with

    .. math:: n\\,(S_0 + P(S_0, K)) = C_0, \\qquad n K = f\\,C_0,

    (:func:`put_strike`), which pays :math:`n \\max(S_T, K) \\ge f C_0`. Instead of buying
    the puts the strategy holds their replicating portfolio: :math:`n(1 + \\Delta_P)` shares,
    :math:`\\Delta_P = -e^{-q\\tau}N(-d_1)` (:func:`~hedgelib.pricing.black_scholes.bs_greeks`),
    and the rest in cash. Rebalanced :math:`N` times, the terminal value misses
    :math:`n \\max(S_T, K)` by a hedging error of standard deviation close to
    :math:`\\sqrt{\\pi/4}\\,n\\,\\mathcal V\\sigma/\\sqrt N` (Derman and Kamal 1999): it shrinks
    like :math:`1/\\sqrt N`. If the market moves at another volatility than ``volatility``
    the replication is off by the gamma P&L :math:`\\tfrac12 n\\Gamma S^2(\\sigma_i^2 -
    \\sigma_r^2)dt` (Hull, ch. 19), which is why October 1987 broke it.

    Examples
    --------
    >>> SyntheticPut(0.9, 0.2).label
    'Synthetic put (vol 20%)'
    """

    floor: float
    volatility: float
    expiry: float | None = None

    static = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "floor", _floor(self.floor))
        object.__setattr__(self, "volatility",
                           check_scalar(self.volatility, "volatility", check_positive_volatility))
        object.__setattr__(self, "expiry", _check_expiry(self.expiry))

    @property
    def label(self) -> str:
        return f"Synthetic put (vol {100 * self.volatility:g}%)"

    def floor_expiry(self, horizon: float) -> float:
        if self.expiry is None:
            return horizon
        if self.expiry < horizon * (1.0 - 1e-12):
            raise HedgeLibError(
                f"expiry must be at least the horizon ({horizon:g} years): the put must outlive "
                f"the insurance, got {self.expiry!r}"
            )
        return self.expiry

    def policy(self, *, capital: float, spot: FloatArray, times: FloatArray, rate: float,
               dividend_yield: float) -> _SyntheticPutPolicy:
        return _SyntheticPutPolicy(self, capital, spot, times, rate, dividend_yield)


@dataclass(frozen=True)
class ProtectivePut(SyntheticPut):
    """The same insurance bought outright: :math:`n` shares and :math:`n` puts at t = 0.

    Parameters as :class:`SyntheticPut`; ``volatility`` prices the puts (bought at their
    Black-Scholes price, marked at it later). Static: it never trades again, so a rule has no
    effect. It costs :math:`n P(K)` upfront (the premium), and pays
    :math:`n \\max(S_T, K)` at expiry whatever the path.

    Examples
    --------
    >>> ProtectivePut(0.9, 0.2).label
    'Protective put (vol 20%)'
    """

    static = True

    @property
    def label(self) -> str:
        return f"Protective put (vol {100 * self.volatility:g}%)"

    def policy(self, *, capital: float, spot: FloatArray, times: FloatArray, rate: float,
               dividend_yield: float) -> _ProtectivePutPolicy:
        return _ProtectivePutPolicy(self, capital, spot, times, rate, dividend_yield)


class _BuyAndHoldPolicy:
    options = None

    def __init__(self, capital: float, spot: FloatArray) -> None:
        self.capital, self.spot0 = capital, spot[0].copy()

    def initial(self, value: FloatArray) -> tuple[FloatArray, None]:
        return self.capital / self.spot0, None


@dataclass(frozen=True)
class BuyAndHold:
    """All the capital in the risky asset at t = 0, held: the uninsured benchmark.

    Parameters
    ----------
    floor : float or None, default None
        A floor to measure breaches against (it does not change what is held), in (0, 1);
        None measures against a floor of zero.

    Examples
    --------
    >>> BuyAndHold().label, BuyAndHold(0.9).floor
    ('Buy and hold', 0.9)
    """

    floor: float | None = None
    label = "Buy and hold"
    static = True

    def __post_init__(self) -> None:
        if self.floor is not None:
            object.__setattr__(self, "floor", _floor(self.floor))

    def floor_expiry(self, horizon: float) -> float:
        return horizon

    def policy(self, *, capital: float, spot: FloatArray, times: FloatArray, rate: float,
               dividend_yield: float) -> _BuyAndHoldPolicy:
        return _BuyAndHoldPolicy(capital, spot)


# --------------------------------------------------------------------------------------------
# the rule on the exposure


@dataclass(frozen=True)
class ExposureBand(DeltaBand):
    """Rebalance when the exposure is off its target by more than ``half_width`` of the value.

    The engine's :class:`~hedgelib.hedging.rules.DeltaBand` with the deviation measured as
    the insurance runner measures it: (exposure held - target exposure) / portfolio value.

    Parameters
    ----------
    half_width : float
        Half-width of the no-trade band as a fraction of the portfolio value (0.02 = 2%).
    to : {"target", "edge"}, default "target"
        Where a trading path goes: back to the target, or to the nearest band edge.

    Examples
    --------
    >>> import numpy as np
    >>> ctx = type("C", (), {"deviation": np.array([0.01, -0.05])})()
    >>> ExposureBand(0.02).decide(ctx)
    (array([False,  True]), 0.0)
    """

    label = "Exposure band"
    half_width: float = parameter(
        dataclasses.MISSING, "Exposure band half-width (% of value)", unit="percent", low=0.0,
        high=100.0, step=0.5, key="exposure_band_pct", shown=2.0,
        help="Trade when the exposure is off its target by more than this share of the "
             "portfolio value.",
    )


# --------------------------------------------------------------------------------------------
# registries: what a page offers


def _cppi(floor: float, multiplier: float, max_exposure: float) -> CPPI:
    # A form has no None: a cap of 0 means no cap.
    return CPPI(multiplier, floor, max_exposure or None)


def _tipp(floor: float, multiplier: float, max_exposure: float, ratchet: float) -> CPPI:
    return CPPI(multiplier, floor, max_exposure or None, ratchet)


# Form bounds are wide on purpose: a floor of 100% or a multiplier of 0 reaches the strategy,
# whose message names the input, rather than a widget that silently refuses it.
_FLOOR = Parameter("floor", "Floor (% of capital)", 90.0, unit="percent", low=0.0, high=100.0,
                   step=1.0, key="floor_pct",
                   help="Fraction of the capital protected at the horizon (accreting at the rate).")
_MULTIPLIER = Parameter("multiplier", "CPPI multiplier m", 3.0, low=0.0, high=50.0, step=0.5,
                        key="multiplier", help="Exposure = m x cushion above the floor.")
_CAP = Parameter("max_exposure", "Max exposure (% of value, 0 = no cap)", 100.0, unit="percent",
                 low=0.0, high=1000.0, step=10.0, key="max_exposure_pct",
                 help="100 forbids borrowing; 0 lifts the cap (the textbook CPPI).")
_RATCHET = Parameter("ratchet", "TIPP ratchet (% of the peak)", 90.0, unit="percent", low=0.0,
                     high=100.0, step=1.0, key="ratchet_pct",
                     help="The floor rises to this share of the highest portfolio value so far.")
_PUT_VOL = Parameter("volatility", "Put volatility (%)", 20.0, unit="percent", low=0.0,
                     high=300.0, step=1.0, key="put_vol_pct",
                     help="Prices the protective put; sets the deltas of the synthetic put.")

#: The insurance strategies every page offers, with their form parameters; ``floor_pct`` is
#: one input shared by all.
INSURANCE_STRATEGIES = Registry("insurance strategy")
INSURANCE_STRATEGIES.register("cppi", _cppi, label="CPPI", parameters=(_FLOOR, _MULTIPLIER, _CAP),
                              help="Exposure = m x (value - floor), capped.")
INSURANCE_STRATEGIES.register("tipp", _tipp, label="TIPP (CPPI with a ratchet)",
                              parameters=(_FLOOR, _MULTIPLIER, _CAP, _RATCHET),
                              help="CPPI whose floor ratchets up with the portfolio's peak.")
INSURANCE_STRATEGIES.register("synthetic_put", SyntheticPut, label="Synthetic put",
                              parameters=(_FLOOR, _PUT_VOL),
                              help="Replicate n (S + P) by trading the stock: Leland-Rubinstein.")
INSURANCE_STRATEGIES.register("protective_put", ProtectivePut, label="Protective put",
                              parameters=(_FLOOR, _PUT_VOL),
                              help="Buy n shares and n puts at t = 0 and hold them.")
INSURANCE_STRATEGIES.register("buy_and_hold", BuyAndHold, label="Buy and hold",
                              parameters=(_FLOOR,),
                              help="The uninsured benchmark, measured against the same floor.")

#: When insurance strategies trade: every N steps, or a band on the exposure.
INSURANCE_RULES = Registry("insurance rule")
INSURANCE_RULES.register("every_n_steps", EveryNSteps)
INSURANCE_RULES.register("exposure_band", ExposureBand)
