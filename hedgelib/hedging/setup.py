"""How a book is hedged, in one typed object, and the registries of the parts that do it.

A :class:`HedgeSetup` holds everything the engine needs besides the book and the paths: the
hedge and pricing volatilities, rate and dividend yield, the strategy ("what is the target
hedge?"), the rule ("which paths trade now?"), the cost model ("what does this trade
cost?") and the hedge option. :func:`~hedgelib.hedging.engine.simulate_hedge`,
:func:`~hedgelib.hedging.experiment.run_experiment`, the studies and the backtests all build
one and hand it down, so a setting can be followed from a page to the engine.

The registries name the parts every page offers. Adding a strategy, a rule or a cost model
is one class plus one line here (or in the module that defines it)::

    STRATEGIES.register("my-hedge", MyHedge)

A class only has to follow the documented protocol (:class:`~hedgelib.hedging.strategies.
Strategy`, :class:`~hedgelib.hedging.rules.Rule`, :class:`~hedgelib.hedging.costs.CostModel`);
its arguments declared with :func:`hedgelib.registry.parameter` become form fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from hedgelib._typing import FloatArray
from hedgelib.conventions import (
    HedgeLibError,
    check_positive_volatility,
    check_rate,
    check_scalar,
)
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.rules import DeltaBand, EveryNOrBand, EveryNSteps, WhalleyWilmott
from hedgelib.hedging.strategies import (
    DeltaGammaHedge,
    DeltaHedge,
    DeltaVegaHedge,
    HedgeOption,
    NoHedge,
    Strategy,
)
from hedgelib.registry import Registry

__all__ = [
    "COST_MODELS",
    "EVERY_STEP",
    "NO_COSTS",
    "RULES",
    "STRATEGIES",
    "HedgeSetup",
    "as_strategy",
    "resolve_setup",
]

#: The default rule (rebalance at every grid step) and cost model (free).
EVERY_STEP = EveryNSteps(1)
NO_COSTS = TransactionCosts()

STRATEGIES = Registry("strategy")
STRATEGIES.register("none", NoHedge)
STRATEGIES.register("delta", DeltaHedge)
STRATEGIES.register("delta-gamma", DeltaGammaHedge)
STRATEGIES.register("delta-vega", DeltaVegaHedge)

RULES = Registry("rule")
RULES.register("every_n_steps", EveryNSteps)
RULES.register("delta_band", DeltaBand)
RULES.register("whalley_wilmott", WhalleyWilmott)
RULES.register("every_n_or_band", EveryNOrBand)

COST_MODELS = Registry("cost model")
COST_MODELS.register("transaction_costs", TransactionCosts)


def as_strategy(strategy: Any) -> Strategy:
    """A strategy object from a registered name (``"delta"``, ``"delta_gamma"``...) or an
    object with a ``target`` method, returned as is.

    Examples
    --------
    >>> as_strategy("delta-gamma").name
    'delta-gamma'
    """
    if isinstance(strategy, str):
        key = strategy.strip().lower().replace("_", "-")
        names = {n.replace("_", "-"): n for n in STRATEGIES}
        if key in names:
            return STRATEGIES[names[key]].build()
        known = ", ".join(repr(n) for n in STRATEGIES)
        raise HedgeLibError(f"strategy must be one of {known} or a strategy object, got {strategy!r}")
    if callable(getattr(strategy, "target", None)):
        return strategy
    raise HedgeLibError(f"strategy must be a name or an object with a target method, got {strategy!r}")


def _volatility(value: Any) -> float | FloatArray:
    arr = check_positive_volatility(value, "hedge_volatility")
    if arr.ndim == 0:
        return float(arr)
    arr = np.array(arr, dtype=np.float64)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class HedgeSetup:
    """Everything about a hedge except the book and the paths.

    Parameters
    ----------
    hedge_volatility : float or ndarray
        Volatility (annualised) of the deltas, greeks and marks: a number, one per grid time,
        shape ``(n_steps + 1,)``, or one per time and path, ``(n_steps + 1, n_paths)``
        (:func:`~hedgelib.hedging.experiment.run_experiment` also takes ``(1, n_paths)``).
    pricing_volatility : float, optional
        Volatility of the premium paid at t = 0; default the hedge volatility at t = 0.
    rate, dividend_yield : float, default 0.0
        Continuously compounded, decimal: cash earns the rate, stock held earns the yield.
    strategy : str or Strategy, default "delta"
        A name registered in :data:`STRATEGIES` or a strategy object.
    rule : Rule, default ``EveryNSteps(1)``
        When paths trade (:mod:`hedgelib.hedging.rules`); every path trades to target at
        t = 0 and when the hedge option rolls, whatever the rule.
    costs : CostModel, default ``TransactionCosts()`` (free)
        What trades cost (:mod:`hedgelib.hedging.costs`).
    hedge_option : HedgeOption, optional
        The second instrument, required by strategies that use one.

    Examples
    --------
    >>> setup = HedgeSetup(0.2, rate=0.05, rule=EveryNSteps(5))
    >>> setup.replace(rule=DeltaBand(0.1)).rule
    DeltaBand(half_width=0.1, to='target')
    >>> HedgeSetup(0.2, strategy="delta-gamma")
    Traceback (most recent call last):
    ...
    hedgelib.conventions.HedgeLibError: hedge_option must be given for strategy 'delta-gamma', got None
    """

    hedge_volatility: float | FloatArray
    pricing_volatility: float | None = None
    rate: float = 0.0
    dividend_yield: float = 0.0
    strategy: Any = "delta"
    rule: Any = EVERY_STEP
    costs: Any = NO_COSTS
    hedge_option: HedgeOption | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "hedge_volatility", _volatility(self.hedge_volatility))
        if self.pricing_volatility is not None:
            set_(self, "pricing_volatility",
                 check_scalar(self.pricing_volatility, "pricing_volatility", check_positive_volatility))
        set_(self, "rate", check_scalar(self.rate, "rate", check_rate))
        set_(self, "dividend_yield", check_scalar(self.dividend_yield, "dividend_yield", check_rate))
        strategy = as_strategy(self.strategy)
        set_(self, "strategy", strategy)
        if not callable(getattr(self.rule, "decide", None)):
            raise HedgeLibError(f"rule must be a rule with a decide method, got {self.rule!r}")
        if not callable(getattr(self.costs, "charge", None)) or not hasattr(self.costs, "components"):
            raise HedgeLibError(f"costs must be a cost model with charge and components, got {self.costs!r}")
        if self.hedge_option is not None and not isinstance(self.hedge_option, HedgeOption):
            raise HedgeLibError(f"hedge_option must be a HedgeOption, got {self.hedge_option!r}")
        if self.uses_option and self.hedge_option is None:
            raise HedgeLibError(
                f"hedge_option must be given for strategy {getattr(strategy, 'name', strategy)!r}, got None"
            )

    @property
    def uses_option(self) -> bool:
        """Whether the strategy trades the hedge option."""
        return bool(getattr(self.strategy, "uses_option", False))

    @property
    def proportional(self) -> float:
        """The cost model's one-way proportional rate (0 where it has none)."""
        return float(getattr(self.costs, "proportional", 0.0))

    def replace(self, **changes: Any) -> HedgeSetup:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


def resolve_setup(
    setup: HedgeSetup | None,
    *,
    hedge_volatility: Any,
    rate: float,
    dividend_yield: float,
    rule: Any,
    costs: Any,
    strategy: Any,
    hedge_option: HedgeOption | None,
    pricing_volatility: float | None,
) -> HedgeSetup:
    """The set-up of an entry point that takes either ``setup`` or the hedge keywords."""
    if setup is None:
        if hedge_volatility is None:
            raise HedgeLibError("hedge_volatility must be given (or a setup), got None")
        return HedgeSetup(hedge_volatility, pricing_volatility, rate, dividend_yield, strategy,
                          rule, costs, hedge_option)
    if not isinstance(setup, HedgeSetup):
        raise HedgeLibError(f"setup must be a HedgeSetup, got {type(setup).__name__}")
    given = [name for name, value, default in (
        ("hedge_volatility", hedge_volatility, None), ("rate", rate, 0.0),
        ("dividend_yield", dividend_yield, 0.0), ("rule", rule, EVERY_STEP),
        ("costs", costs, NO_COSTS), ("strategy", strategy, "delta"),
        ("hedge_option", hedge_option, None), ("pricing_volatility", pricing_volatility, None),
    ) if value is not default and not (isinstance(value, int | float | str) and value == default)]
    if given:
        raise HedgeLibError(f"give either setup or {', '.join(given)}, not both")
    return setup
