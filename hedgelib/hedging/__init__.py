"""Dynamic hedging: set-ups and their parts (strategies, rules, costs), the engine, experiments
and studies."""

from hedgelib.hedging.costs import CostModel, TransactionCosts
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.hedging.experiment import run_experiment, run_setups
from hedgelib.hedging.result import HedgeResult
from hedgelib.hedging.rules import (
    AnyOf,
    DeltaBand,
    EveryNOrBand,
    EveryNSteps,
    Rule,
    RuleContext,
    WhalleyWilmott,
)
from hedgelib.hedging.setup import COST_MODELS, RULES, STRATEGIES, HedgeSetup, as_strategy
from hedgelib.hedging.strategies import (
    DeltaGammaHedge,
    DeltaHedge,
    DeltaVegaHedge,
    HedgeOption,
    HedgeState,
    NoHedge,
    Strategy,
)
from hedgelib.hedging.studies import (
    Comparison,
    Prediction,
    compare,
    cost_risk_frontier,
    frequency_sweep,
    predicted_hedge_error,
    theory_curve,
)

__all__ = [
    "COST_MODELS",
    "RULES",
    "STRATEGIES",
    "AnyOf",
    "Comparison",
    "CostModel",
    "DeltaBand",
    "DeltaGammaHedge",
    "DeltaHedge",
    "DeltaVegaHedge",
    "EveryNOrBand",
    "EveryNSteps",
    "HedgeOption",
    "HedgeResult",
    "HedgeSetup",
    "HedgeState",
    "NoHedge",
    "Prediction",
    "Rule",
    "RuleContext",
    "Strategy",
    "TransactionCosts",
    "WhalleyWilmott",
    "as_strategy",
    "compare",
    "cost_risk_frontier",
    "frequency_sweep",
    "predicted_hedge_error",
    "run_experiment",
    "run_setups",
    "simulate_hedge",
    "theory_curve",
]
