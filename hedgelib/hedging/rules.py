"""Rebalancing rules: "which paths trade now, and to what?".

A rule looks at a :class:`RuleContext` (the step, the spot, the deviation of the current
hedge from the strategy's target, the gamma the stock hedge is left with, ...) and returns
``(trade, destination)``:

- ``trade``: a Python bool (every path, or none) or a boolean array of shape (n_paths,);
- ``destination``: the deviation from target that a trading path is left with after the
  trade, in shares of delta: ``0.0`` means "trade to the target", ``clip(deviation, -H, H)``
  means "trade to the nearest edge of a band of half-width H". Only read where ``trade``.

The deviation is measured in delta: current holdings minus the strategy's target, each
instrument weighted by its delta (for a plain delta hedge it is the net delta of book plus
hedge). When a rule fires, any hedge option moves to its target and the stock moves so that
the deviation becomes ``destination``.

The simulation grid and the rebalancing frequency are independent: a rule sees every grid
step and decides. The engine always trades every path to target at the first step (t = 0)
and at steps where the hedge option is rolled, whatever the rule says.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from hedgelib._typing import FloatArray
from hedgelib.conventions import (
    HedgeLibError,
    check_choice,
    check_int,
    check_non_negative,
    check_positive,
    check_scalar,
)
from hedgelib.registry import parameter
from hedgelib.theory import whalley_wilmott_band

__all__ = [
    "AnyOf",
    "DeltaBand",
    "EveryNSteps",
    "Rule",
    "RuleContext",
    "EveryNOrBand",
    "WhalleyWilmott",
]

Decision = tuple["bool | np.ndarray", "float | FloatArray"]


class RuleContext:
    """What a rule sees at one step (built by the engine; plain attributes, no copying).

    Attributes
    ----------
    step : int
        Index on the time grid (0 = today).
    time : float
        Years from today.
    spot : ndarray, shape (n_paths,)
        Price of the underlying.
    deviation : ndarray, shape (n_paths,)
        Current hedge minus target hedge, in shares of delta (before trading).
    gamma : ndarray, shape (n_paths,)
        Gamma of book plus hedge options at their target: what the stock hedge must follow.
    volatility : float or ndarray, shape (n_paths,)
        Hedge volatility at this step.
    time_to_expiry : float
        Years from ``time`` to the book's last expiry (0 after it).
    rate : float
        Continuously compounded interest rate.
    proportional : float
        One-way proportional cost rate of the cost model in use.
    """

    __slots__ = (
        "deviation",
        "gamma",
        "proportional",
        "rate",
        "spot",
        "step",
        "time",
        "time_to_expiry",
        "volatility",
    )

    def __init__(
        self,
        step: int,
        time: float,
        spot: FloatArray,
        deviation: FloatArray,
        gamma: FloatArray,
        volatility: FloatArray | float,
        time_to_expiry: float,
        rate: float,
        proportional: float,
    ) -> None:
        self.step = step
        self.time = time
        self.spot = spot
        self.deviation = deviation
        self.gamma = gamma
        self.volatility = volatility
        self.time_to_expiry = time_to_expiry
        self.rate = rate
        self.proportional = proportional


@runtime_checkable
class Rule(Protocol):
    """Interface of a rebalancing rule (see the module notes)."""

    def decide(self, context: RuleContext) -> Decision:
        """Return ``(trade, destination)`` for this step."""
        ...


@dataclass(frozen=True)
class EveryNSteps:
    """Rebalance every path to target every ``n`` grid steps (steps 0, n, 2n, ...).

    Parameters
    ----------
    n : int, default 1
        Rebalancing interval in grid steps (1 = every step of the grid).

    Examples
    --------
    >>> EveryNSteps(5).decide(type("C", (), {"step": 10})())
    (True, 0.0)
    """

    label = "Every N steps"
    n: int = parameter(1, "Every N steps", low=1, high=10_000, step=1, key="every_n",
                       help="Rebalancing interval in grid steps (every-N rules).")

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", check_int(self.n, "n", minimum=1))

    def decide(self, context: RuleContext) -> Decision:
        return context.step % self.n == 0, 0.0


def _check_to(to: Any) -> Literal["target", "edge"]:
    return check_choice(to, "to", ("target", "edge"))  # type: ignore[return-value]


def _band_decision(deviation: FloatArray, half_width: Any, to: str) -> Decision:
    trade = np.abs(deviation) > half_width
    if to == "target":
        return trade, 0.0
    return trade, np.clip(deviation, -half_width, half_width)


@dataclass(frozen=True)
class DeltaBand:
    """Rebalance a path when its hedge deviates from target by more than ``half_width``.

    Parameters
    ----------
    half_width : float
        Half-width of the no-trade band, in shares of delta (e.g. 0.05 for a one-option
        book). A path trades when ``|deviation| > half_width``.
    to : {"target", "edge"}, default "target"
        Where a trading path goes: back to the target, or to the nearest band edge (the
        cheaper choice under proportional costs).

    Examples
    --------
    >>> import numpy as np
    >>> ctx = type("C", (), {"deviation": np.array([0.02, -0.3])})()
    >>> DeltaBand(0.1, to="edge").decide(ctx)
    (array([False,  True]), array([ 0.02, -0.1 ]))
    """

    label = "Delta band"
    half_width: float = parameter(
        dataclasses.MISSING, "Band half-width (shares of delta)", low=0.0, high=1000.0, step=0.01,
        key="band_width", shown=0.05,
        help="Trade when the hedge is off target by more than this many shares (band rules).",
    )
    to: Literal["target", "edge"] = "target"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "half_width", check_scalar(self.half_width, "half_width", check_non_negative)
        )
        object.__setattr__(self, "to", _check_to(self.to))

    def decide(self, context: RuleContext) -> Decision:
        return _band_decision(context.deviation, self.half_width, self.to)


@dataclass(frozen=True)
class WhalleyWilmott:
    """Whalley-Wilmott band: trade to the band edge when outside the asymptotic optimal band.

    Parameters
    ----------
    risk_aversion : float
        Absolute risk aversion :math:`\\gamma` of the hedger (per unit of currency), > 0.
        Larger values mean narrower bands and more trading.

    Notes
    -----
    Half-width, in shares of delta, around the target hedge:

    .. math:: H = \\left(\\frac{3}{2}\\,\\frac{e^{-r(T-t)}\\,\\lambda\\,S\\,\\Gamma^2}{\\gamma}
              \\right)^{1/3}

    with :math:`\\lambda` the one-way proportional cost rate of the cost model, :math:`\\Gamma`
    the gamma left for the stock hedge, :math:`T` the book's last expiry. A path outside the
    band trades to its nearest edge, the optimal policy of the asymptotic analysis. With no proportional cost the band is empty and the rule trades to
    target at every step.

    References
    ----------
    Whalley, A. E. and Wilmott, P. (1997), "An asymptotic analysis of an optimal hedging
    model for option pricing with transaction costs", *Mathematical Finance* 7(3), 307-324.

    Examples
    --------
    >>> import numpy as np
    >>> ctx = type("C", (), dict(spot=np.array([100.0]), gamma=np.array([0.04]), rate=0.0,
    ...                          time_to_expiry=0.5, proportional=1e-3,
    ...                          deviation=np.array([0.2])))()
    >>> trade, dest = WhalleyWilmott(1.0).decide(ctx)
    >>> bool(trade[0]), round(float(dest[0]), 4)
    (True, 0.0621)
    """

    label = "Whalley-Wilmott band"
    risk_aversion: float = parameter(
        dataclasses.MISSING, "Whalley-Wilmott risk aversion", low=0.0, high=1e6, step=0.5,
        key="ww_risk_aversion", shown=1.0,
        help="Higher means a narrower band and more trading. Needs a proportional cost.",
    )

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "risk_aversion", check_scalar(self.risk_aversion, "risk_aversion", check_positive)
        )

    def half_width(self, context: RuleContext) -> FloatArray:
        """Band half-width per path at this step (:func:`hedgelib.theory.whalley_wilmott_band`)."""
        return whalley_wilmott_band(
            context.spot, context.gamma, context.proportional, self.risk_aversion, context.rate,
            max(float(context.time_to_expiry), 0.0),
        )

    def decide(self, context: RuleContext) -> Decision:
        return _band_decision(context.deviation, self.half_width(context), "edge")


class AnyOf:
    """Trade when any of several rules fires.

    Parameters
    ----------
    *rules : Rule
        The rules to combine (at least one).

    Notes
    -----
    Where several rules fire on a path, the path goes to the destination closest to the
    target (smallest ``|destination|``): a rebalance that happens anyway goes as far as any
    firing rule asks. So ``AnyOf(EveryNSteps(5), DeltaBand(0.1, to="edge"))`` trades to
    target every 5 steps and to the band edge in between when the band is breached.

    Examples
    --------
    >>> rule = AnyOf(EveryNSteps(5), DeltaBand(0.1))
    >>> len(rule.rules)
    2
    """

    __slots__ = ("rules",)

    def __init__(self, *rules: Rule) -> None:
        if len(rules) == 1 and isinstance(rules[0], list | tuple):
            rules = tuple(rules[0])
        if not rules:
            raise HedgeLibError("rules must hold at least one rule, got none")
        for i, rule in enumerate(rules):
            if not callable(getattr(rule, "decide", None)):
                raise HedgeLibError(f"rules[{i}] must be a rule with a decide method, got {rule!r}")
        object.__setattr__(self, "rules", tuple(rules))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("AnyOf is immutable")

    def __reduce__(self) -> tuple[type, tuple[Rule, ...]]:
        # Rebuild through __init__: the default slot-state protocol would restore ``rules``
        # with setattr, which the immutability guard refuses (process pools, Dask).
        return (AnyOf, self.rules)

    def __repr__(self) -> str:
        return f"AnyOf({', '.join(repr(r) for r in self.rules)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AnyOf) and self.rules == other.rules

    def __hash__(self) -> int:
        return hash(("AnyOf", self.rules))

    def decide(self, context: RuleContext) -> Decision:
        trade: Any = False
        dest: Any = 0.0
        first = True
        for rule in self.rules:
            t, d = rule.decide(context)
            if t is False or (isinstance(t, np.ndarray) and not t.any()):
                continue
            if first:
                trade, dest, first = t, d, False
                continue
            # Closest-to-target destination among the rules that fire on each path.
            d_new = np.where(t, d, np.inf)
            d_old = np.where(trade, dest, np.inf)
            dest = np.where(np.abs(d_new) < np.abs(d_old), d_new, d_old)
            trade = np.logical_or(trade, t)
            dest = np.where(trade, dest, 0.0)
        return trade, dest


@dataclass(frozen=True)
class EveryNOrBand:
    """Back to target every ``n`` steps, and in between whenever the delta band is breached.

    The rule ``AnyOf(EveryNSteps(n), DeltaBand(half_width))`` as one part with two parameters,
    so that forms and scenario files can offer it.

    Examples
    --------
    >>> EveryNOrBand(5, 0.1).rules
    (EveryNSteps(n=5), DeltaBand(half_width=0.1, to='target'))
    """

    label = "Every N steps or delta band"
    n: int = parameter(1, "Every N steps", low=1, high=10_000, step=1, key="every_n")
    half_width: float = parameter(0.05, "Band half-width (shares of delta)", low=0.0,
                                  high=1000.0, step=0.01, key="band_width")

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", check_int(self.n, "n", minimum=1))
        object.__setattr__(
            self, "half_width", check_scalar(self.half_width, "half_width", check_non_negative)
        )

    @property
    def rules(self) -> tuple[EveryNSteps, DeltaBand]:
        return EveryNSteps(self.n), DeltaBand(self.half_width)

    def decide(self, context: RuleContext) -> Decision:
        return AnyOf(*self.rules).decide(context)
