"""Scenarios: the inputs of an app page as plain data, their file and link format, and what
they mean in library objects.

A *scenario* is a ``dict`` of a page's inputs in trader units (``{"model": "GBM",
"vol_pct": 20.0, "rule": "delta_band", ...}``): plain values, so it hashes for caches,
pickles, and travels as a link or a JSON file. This module holds, without streamlit:

- the format: :class:`ScenarioSchema` declares a page's inputs (defaults, which fix their
  types, choices, bounds, and aliases for values that were renamed) and converts scenarios to
  and from query parameters and JSON files; a bad file raises :class:`ScenarioError` naming
  the input and the value;
- the inputs of the pages that run the library on a scenario (Monte Carlo Hedge Lab, Rule
  Comparison, Historical Backtest, Portfolio Hedging), declared with :class:`hedgelib.registry.Parameter` and
  **computed from the registries when asked**: a strategy, rule, cost model or market model
  registered at any time is a choice of every page, its parameters are inputs;
- the translation of those inputs into library objects (market model, book, hedge set-up, run
  size), so that the app and the command line (``python -m hedgelib run SCENARIO.json``) run
  the same thing.

Units: inputs are what people type (percent, basis points, trading days); a parameter's
``unit`` says how it converts (:func:`hedgelib.registry.from_display`).

Examples
--------
>>> s = hedge_lab_schema()
>>> inputs = s.complete({"rule": "band", "n_paths": 2000})   # an old link's rule value
>>> inputs["rule"], s.to_query_params(inputs)
('delta_band', {'rule': 'delta_band', 'n_paths': '2000'})
>>> sim = hedge_lab_simulation(inputs)
>>> type(sim.setup.rule).__name__, sim.size.n_paths, round(sim.size.horizon * 252)
('DeltaBand', 2000, 63)
"""

from hedgelib.scenario import backtest, format, inputs, pages, portfolio
from hedgelib.scenario.backtest import *  # noqa: F403
from hedgelib.scenario.format import *  # noqa: F403
from hedgelib.scenario.inputs import *  # noqa: F403
from hedgelib.scenario.pages import *  # noqa: F403
from hedgelib.scenario.portfolio import *  # noqa: F403

__all__ = [
    *format.__all__,
    *inputs.__all__,
    *pages.__all__,
    *backtest.__all__,
    *portfolio.__all__,
]
