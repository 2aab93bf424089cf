"""Dynamic hedging: set-ups and their parts (strategies, rules, costs), the engine, experiments
and studies. Everything public in the modules below is importable from here."""

from hedgelib.hedging import costs, engine, experiment, result, rules, setup, strategies, studies
from hedgelib.hedging.costs import *  # noqa: F403
from hedgelib.hedging.engine import *  # noqa: F403
from hedgelib.hedging.experiment import *  # noqa: F403
from hedgelib.hedging.result import *  # noqa: F403
from hedgelib.hedging.rules import *  # noqa: F403
from hedgelib.hedging.setup import *  # noqa: F403
from hedgelib.hedging.strategies import *  # noqa: F403
from hedgelib.hedging.studies import *  # noqa: F403

__all__ = [
    *costs.__all__,
    *engine.__all__,
    *experiment.__all__,
    *result.__all__,
    *rules.__all__,
    *setup.__all__,
    *strategies.__all__,
    *studies.__all__,
]
