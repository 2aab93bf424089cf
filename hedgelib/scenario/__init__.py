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
  Comparison, Historical Backtest), declared with :class:`hedgelib.registry.Parameter` and
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

from hedgelib.scenario.backtest import (
    BOOK_KINDS,
    DEFAULT_SERIES,
    MODES,
    ROLLS,
    SIDES,
    VOL_SOURCES,
    backtest_fields,
    backtest_keywords,
    backtest_schema,
    moneyness_book,
    run_backtest,
)
from hedgelib.scenario.format import (
    SCENARIO_FORMAT,
    ScenarioError,
    ScenarioSchema,
)
from hedgelib.scenario.inputs import (
    ALIASES,
    DEFAULT_MARKET,
    HEDGE_OPTION_FIELDS,
    HEDGE_OPTION_INPUTS,
    HEDGE_VOLATILITY,
    PRICING_VOLATILITY,
    REGISTRIES,
    RULE_ALIASES,
    RUN_FIELDS,
    Market,
    RunSize,
    book_and_market_inputs,
    build_hedge_option,
    build_part,
    build_setup,
    costs_fields,
    default_book,
    hedge_fields,
    merge_fields,
    model_fields,
    page_input,
    registry_fields,
    resolve_book_market,
    uses_option,
)
from hedgelib.scenario.pages import (
    MAX_SETUPS,
    MIN_SETUPS,
    SETUP_COLUMNS,
    ComparisonPlan,
    Simulation,
    default_setups,
    frontier_grid,
    hedge_lab_fields,
    hedge_lab_schema,
    hedge_lab_simulation,
    hedge_runs,
    parse_numbers,
    rule_comparison,
    rule_comparison_fields,
    rule_comparison_schema,
    schema_for,
    setup_parameters,
    setup_rows,
)

__all__ = [
    "ALIASES",
    "BOOK_KINDS",
    "DEFAULT_MARKET",
    "DEFAULT_SERIES",
    "HEDGE_OPTION_FIELDS",
    "HEDGE_OPTION_INPUTS",
    "HEDGE_VOLATILITY",
    "MAX_SETUPS",
    "MIN_SETUPS",
    "MODES",
    "PRICING_VOLATILITY",
    "REGISTRIES",
    "ROLLS",
    "RULE_ALIASES",
    "RUN_FIELDS",
    "SCENARIO_FORMAT",
    "SETUP_COLUMNS",
    "SIDES",
    "VOL_SOURCES",
    "ComparisonPlan",
    "Market",
    "RunSize",
    "ScenarioError",
    "ScenarioSchema",
    "Simulation",
    "backtest_fields",
    "backtest_keywords",
    "backtest_schema",
    "book_and_market_inputs",
    "build_hedge_option",
    "build_part",
    "build_setup",
    "costs_fields",
    "default_book",
    "default_setups",
    "frontier_grid",
    "hedge_fields",
    "hedge_lab_fields",
    "hedge_lab_schema",
    "hedge_lab_simulation",
    "hedge_runs",
    "merge_fields",
    "model_fields",
    "moneyness_book",
    "page_input",
    "parse_numbers",
    "registry_fields",
    "resolve_book_market",
    "rule_comparison",
    "rule_comparison_fields",
    "rule_comparison_schema",
    "run_backtest",
    "schema_for",
    "setup_parameters",
    "setup_rows",
    "uses_option",
]
