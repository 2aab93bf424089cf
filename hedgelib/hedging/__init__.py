"""Dynamic hedging: strategies, rebalancing rules, costs, the engine and experiments."""

from hedgelib.hedging.costs import CostModel, TransactionCosts
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.hedging.experiment import (
    Comparison,
    compare,
    cost_risk_frontier,
    frequency_sweep,
    run_experiment,
)
from hedgelib.hedging.result import HedgeResult
from hedgelib.hedging.rules import AnyOf, DeltaBand, EveryNSteps, Rule, WhalleyWilmott
from hedgelib.hedging.strategies import (
    DeltaGammaHedge,
    DeltaHedge,
    DeltaVegaHedge,
    HedgeOption,
    NoHedge,
    Strategy,
)

__all__ = [
    "AnyOf",
    "Comparison",
    "CostModel",
    "DeltaBand",
    "DeltaGammaHedge",
    "DeltaHedge",
    "DeltaVegaHedge",
    "EveryNSteps",
    "HedgeOption",
    "HedgeResult",
    "NoHedge",
    "Rule",
    "Strategy",
    "TransactionCosts",
    "WhalleyWilmott",
    "compare",
    "cost_risk_frontier",
    "frequency_sweep",
    "run_experiment",
    "simulate_hedge",
]
