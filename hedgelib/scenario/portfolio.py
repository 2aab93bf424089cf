"""The scenario of the Portfolio Hedging page: its inputs and what they ask the library to run.

Two tabs share one scenario. **Insurance**: the strategies to compare (every registered
insurance strategy, :data:`~hedgelib.portfolio.strategies.INSURANCE_STRATEGIES`, with its
parameters; the floor is one input), the capital and horizon, the market (a registered model,
the bundled S&P 500 or NASDAQ, or the data source in use), the rule and the costs.
**Futures hedge**: a portfolio series and an index series, the estimator, its window and the
rebalancing. Dates travel as ISO text. The builders here turn the inputs into library calls,
so that the page, the presets and a notebook run the same thing.

Examples
--------
>>> inputs = portfolio_schema().complete({"floor_pct": 85.0, "use_tipp": False})
>>> [type(s).__name__ for s in insurance_strategies(inputs).values()]
['CPPI', 'SyntheticPut', 'ProtectivePut', 'BuyAndHold']
>>> futures_keywords(inputs)["method"], insurance_rule(inputs)
('beta', EveryNSteps(n=1))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.market.history import BUNDLED
from hedgelib.portfolio.futures import HEDGE_METHODS, FuturesContract
from hedgelib.portfolio.strategies import INSURANCE_RULES, INSURANCE_STRATEGIES
from hedgelib.registry import Parameter
from hedgelib.scenario.format import ScenarioSchema
from hedgelib.scenario.inputs import (
    build_part,
    costs_fields,
    merge_fields,
    model_fields,
    page_input,
    registry_fields,
)

__all__ = [
    "MAX_INSURANCE_PATH_STEPS",
    "MARKETS",
    "PORTFOLIO_PAGE",
    "SERIES",
    "TABS",
    "futures_keywords",
    "horizon_years",
    "insurance_costs",
    "insurance_model",
    "insurance_refusal",
    "insurance_rule",
    "insurance_strategies",
    "portfolio_fields",
    "portfolio_schema",
    "portfolio_settings",
    "series_key",
]

#: The name scenario files of the page carry.
PORTFOLIO_PAGE = "portfolio_hedging"

#: Where the insurance runs: a simulated market, or one of the real series.
MARKETS: dict[str, str] = {
    "model": "Simulated market (model below)",
    "sp500": "Real history: S&P 500 (bundled, 1999-2018)",
    "nasdaq": "Real history: NASDAQ Composite (bundled, 1999-2018)",
    "source": "Real history: the data source in use (sidebar: Yahoo Finance or CSV)",
}

#: Real series a tab can use.
SERIES: dict[str, str] = {
    "nasdaq": "NASDAQ Composite (bundled)",
    "sp500": "S&P 500 (bundled)",
    "source": "The data source in use (sidebar)",
}

#: The page's tabs; a scenario opens on one of them.
TABS: tuple[str, ...] = ("Insurance", "Futures hedge")

#: Most simulated path-steps one Insurance run may ask for, over all its strategies.
MAX_INSURANCE_PATH_STEPS = 20_000_000


def _strategy_switches() -> dict[str, Parameter]:
    return {f"use_{name}": page_input(f"use_{name}", e.label, True, help=e.help)
            for name, e in INSURANCE_STRATEGIES.items()}


_INSURANCE: dict[str, Parameter] = {
    "tab": page_input("tab", "Tab", TABS[0], choices=TABS, help="The tab the page opens on."),
    "capital": page_input("capital", "Capital (currency)", 100.0, low=0.0, high=1e12, step=10.0,
                          help="Invested at the start; 100 reads as percent of the capital."),
    "horizon_days": page_input("horizon_days", "Horizon (trading days)", 252, low=1, high=2520, step=21,
                               help="How long the insurance runs; 252 is a year. The floor and the puts "
                                    "expire then."),
    "market": page_input("market", "Market", "model", choices=tuple(MARKETS),
                         help="Simulated paths, or one stretch of real history replayed as one path."),
    "ins_start": page_input("ins_start", "Start on history", "2008-01-02",
                            help="Real history: the insurance starts at the first close on or after it."),
    "rate_pct": Parameter("rate", "Rate (%)", 0.0, unit="percent", low=-10.0, high=50.0, step=0.25,
                          key="rate_pct", help="Continuously compounded; cash and the floor grow at it."),
    "div_pct": Parameter("dividend_yield", "Dividend yield (%)", 0.0, unit="percent", low=-10.0, high=50.0,
                         step=0.25, key="div_pct", help="Paid by the risky asset into cash."),
    "n_paths": page_input("n_paths", "Paths", 2000, low=1, high=200_000, step=1000),
    "n_steps": page_input("n_steps", "Steps over the horizon", 252, low=1, high=5040, step=1,
                          help="Grid steps of the simulation; equal to the horizon in days means daily."),
    "seed": page_input("seed", "Seed", 42, low=0, high=2**32 - 1, step=1),
    "rule": page_input("rule", "Rebalancing rule", "every_n_steps", choices=tuple(INSURANCE_RULES),
                       help="When the dynamic strategies trade back to their target exposure."),
}

# Each input is named by the argument of futures_hedge it sets (window, rate, ...), in its
# unit, so that an error the library raises can be shown by the input's label.
_FUTURES: dict[str, Parameter] = {
    "fut_portfolio": page_input("fut_portfolio", "Portfolio", "nasdaq", choices=tuple(SERIES)),
    "fut_index": page_input("fut_index", "Index (the futures' underlying)", "sp500", choices=tuple(SERIES)),
    "fut_method": Parameter("method", "Hedge ratio", "beta", key="fut_method", choices=tuple(HEDGE_METHODS),
                            help="How the ratio is estimated from returns before each rebalance."),
    "fut_window": Parameter("window", "Window (trading days)", 60, key="fut_window", low=2, high=2520, step=5,
                            help="Returns in the rolling beta, span of the EWMA, returns of the static fit."),
    "fut_rebalance": Parameter("rebalance_every", "Rebalance every (trading days)", 5, key="fut_rebalance",
                               low=1, high=252, step=1),
    "fut_start": Parameter("start", "Start", "2001-01-02", key="fut_start"),
    "fut_end": Parameter("end", "End", "2018-12-31", key="fut_end"),
    "fut_cost_bp": Parameter("proportional", "Futures cost (bp of notional)", 0.5, unit="bp", key="fut_cost_bp",
                             low=0.0, high=1000.0, step=0.5,
                             help="One-way, on the futures notional traded (rolls and rebalances)."),
    "fut_rate_pct": Parameter("rate", "Rate (%)", 1.5, unit="percent", key="fut_rate_pct", low=-10.0, high=50.0,
                              step=0.25, help="Cost of carry of the futures: F = S exp((r - q)(T - t))."),
    "fut_div_pct": Parameter("dividend_yield", "Index dividend yield (%)", 2.0, unit="percent", key="fut_div_pct",
                             low=-10.0, high=50.0, step=0.25),
    "fut_roll_days": Parameter("roll_days", "Roll before expiry (trading days)", 5, key="fut_roll_days",
                               low=0, high=60, step=1),
}

# The insurance tab's costs are the engine's cost models with their usual inputs.
_COST_OVERRIDES = {"cost_bp": {"default": 0.0}}


def portfolio_fields() -> dict[str, Parameter]:
    """The page's form inputs, keyed by name, from the registries as they are now."""
    return merge_fields(
        _strategy_switches(), registry_fields(INSURANCE_STRATEGIES), _INSURANCE,
        registry_fields(INSURANCE_RULES), model_fields(), costs_fields(_COST_OVERRIDES), _FUTURES,
    )


def portfolio_schema() -> ScenarioSchema:
    """The page's scenario: every input of both tabs."""
    return ScenarioSchema.from_fields(PORTFOLIO_PAGE, portfolio_fields(), version=1)


def _date(inputs: Mapping[str, Any], name: str) -> str:
    value = inputs[name]
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise HedgeLibError(f"{name}: must be a date like 2008-01-02, got {value!r}") from None


def insurance_strategies(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The strategies switched on, in registry order, built from their inputs; errors name the
    strategy. Raises when none is switched on."""
    out = {}
    for name, entry in INSURANCE_STRATEGIES.items():
        if not inputs.get(f"use_{name}", False):
            continue
        try:
            out[name] = entry.build({p.name: inputs[p.key] for p in entry.parameters if p.key in inputs})
        except HedgeLibError as exc:
            raise HedgeLibError(f"{entry.label}: {exc}") from None
    if not out:
        raise HedgeLibError("strategies: switch on at least one strategy to compare, got none")
    return out


def insurance_rule(inputs: Mapping[str, Any]) -> Any:
    """The rebalancing rule of the dynamic strategies."""
    entry = INSURANCE_RULES[inputs["rule"]]
    try:
        return entry.build({p.name: inputs[p.key] for p in entry.parameters if p.key in inputs})
    except HedgeLibError as exc:
        raise HedgeLibError(f"{entry.label}: {exc}") from None


def insurance_costs(inputs: Mapping[str, Any]) -> Any:
    """The cost model of the insurance trades."""
    return build_part("costs", inputs)


def insurance_model(inputs: Mapping[str, Any]) -> Any:
    """The simulated market (its dividend yield is the scenario's)."""
    return build_part("model", inputs, dividend_yield=inputs["div_pct"] / 100.0)


def insurance_refusal(inputs: Mapping[str, Any]) -> str | None:
    """Why a simulated Insurance run is too large for the shared server, or None."""
    if inputs["market"] != "model":
        return None
    runs = max(1, sum(bool(inputs.get(f"use_{n}", False)) for n in INSURANCE_STRATEGIES))
    size = int(inputs["n_paths"]) * int(inputs["n_steps"]) * runs
    if size <= MAX_INSURANCE_PATH_STEPS:
        return None
    return (
        f"This run asks for {inputs['n_paths']:,} paths x {inputs['n_steps']:,} steps x {runs} "
        f"strategies = {size:,} path-steps, above the page's cap of {MAX_INSURANCE_PATH_STEPS:,} "
        "(the server is shared). Use fewer paths, fewer steps or fewer strategies."
    )


def futures_keywords(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Keywords of :func:`~hedgelib.portfolio.futures.futures_hedge` besides the two series."""
    f = _FUTURES
    return {
        "start": _date(inputs, "fut_start"), "end": _date(inputs, "fut_end"),
        **{f[k].name: f[k].to_library(inputs[k])
           for k in ("fut_method", "fut_window", "fut_rebalance", "fut_rate_pct", "fut_div_pct")},
        "costs": TransactionCosts(proportional=f["fut_cost_bp"].to_library(inputs["fut_cost_bp"])),
        "contract": FuturesContract(roll_days=f["fut_roll_days"].to_library(inputs["fut_roll_days"])),
    }


def portfolio_settings(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Complete, checked inputs of the page (a preset's, a scenario file's): defaults filled in,
    every input against its declaration, the strategies, rule, costs, model and dates built
    once, the size against the cap. Raises ``HedgeLibError`` naming the input."""
    fields = portfolio_fields()
    extra = set(inputs) - set(fields)
    if extra:
        raise HedgeLibError(f"not inputs of the Portfolio Hedging form: {sorted(extra)}; its inputs are: "
                            f"{', '.join(fields)}")
    text = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in inputs.items()}
    settings = portfolio_schema().complete(text)
    for name in ("ins_start", "fut_start", "fut_end"):
        settings[name] = _date(settings, name)
    if settings["fut_end"] < settings["fut_start"]:
        raise HedgeLibError(f"fut_end ({settings['fut_end']}) must not be before fut_start ({settings['fut_start']})")
    insurance_strategies(settings)
    insurance_rule(settings)
    insurance_costs(settings)
    insurance_model(settings)
    futures_keywords(settings)
    refusal = insurance_refusal(settings)
    if refusal:
        raise HedgeLibError(refusal)
    return settings


def horizon_years(inputs: Mapping[str, Any]) -> float:
    """The insurance horizon in years (trading days / 252)."""
    return int(inputs["horizon_days"]) / TRADING_DAYS_PER_YEAR


def series_key(choice: str) -> str | None:
    """The bundled dataset of a series choice, or None for the data source in use."""
    if choice in BUNDLED:
        return choice
    if choice == "source":
        return None
    raise HedgeLibError(f"series must be one of {', '.join(SERIES)}, got {choice!r}")
