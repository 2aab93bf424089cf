"""Inputs declared once, registries included, and what they build.

A page input is a :class:`hedgelib.registry.Parameter` keyed by its name in forms and
scenarios. The choices of a model, strategy, rule or cost model and their parameters are
computed from the registries when asked, so a part registered at any time is offered
everywhere. The builders turn inputs (trader units) into library objects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import MAX_PRICE, TRADING_DAYS_PER_YEAR, HedgeLibError
from hedgelib.hedging.setup import COST_MODELS, RULES, STRATEGIES, HedgeSetup
from hedgelib.hedging.strategies import HedgeOption
from hedgelib.market.models import MODELS
from hedgelib.registry import Entry, Parameter, Registry

__all__ = [
    "ALIASES",
    "DEFAULT_MARKET",
    "HEDGE_OPTION_FIELDS",
    "HEDGE_OPTION_INPUTS",
    "HEDGE_VOLATILITY",
    "MARKET_BOUNDS",
    "PRICING_VOLATILITY",
    "REGISTRIES",
    "RULE_ALIASES",
    "RUN_FIELDS",
    "Market",
    "RunSize",
    "book_and_market_inputs",
    "build_hedge_option",
    "build_part",
    "build_setup",
    "costs_fields",
    "default_book",
    "page_input",
    "hedge_fields",
    "merge_fields",
    "model_fields",
    "registry_fields",
    "resolve_book_market",
    "uses_option",
]


def page_input(key: str, label: str, default: Any, **options: Any) -> Parameter:
    """One input of a page that is not a part's parameter: ``key`` is its name in forms and
    scenarios (and its ``name``); ``options`` as in :class:`~hedgelib.registry.Parameter`."""
    return Parameter(name=key, label=label, default=default, key=key, **options)


#: The registry behind each choice input of the pages.
REGISTRIES: dict[str, Registry] = {
    "model": MODELS, "strategy": STRATEGIES, "rule": RULES, "costs": COST_MODELS,
}


#: Rule names of scenarios written before the rules had registry names.
RULE_ALIASES: dict[str, str] = {
    "every": "every_n_steps", "band": "delta_band", "ww": "whalley_wilmott", "anyof": "every_n_or_band",
}


ALIASES = {"rule": RULE_ALIASES}


def _choice(key: str, label: str, default: str, help: str) -> Parameter:
    """The select of a registry's entries; its choices are the entries registered now."""
    return page_input(key, label, default, choices=tuple(REGISTRIES[key]), help=help)


def registry_fields(
    registry: Registry,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    skip: Sequence[str] = (),
) -> dict[str, Parameter]:
    """The parameters of a registry's entries as page inputs, keyed by input name.

    A key several entries declare (``every_n`` of two rules) is one input: the first
    declaration wins. ``overrides`` changes a key's declaration on one page (``{"cost_bp":
    {"default": 5.0}}``); keys in ``skip`` are left out.
    """
    out: dict[str, Parameter] = {}
    for entry in registry.values():
        for p in entry.parameters:
            if p.key not in out and p.key not in skip:
                out[p.key] = dataclasses.replace(p, **(overrides or {}).get(p.key, {}))
    return out


def merge_fields(*groups: Mapping[str, Parameter]) -> dict[str, Parameter]:
    """Page inputs from several groups; a part's parameter may not take the name of another
    input of the page (a scenario would not know which one it sets)."""
    out: dict[str, Parameter] = {}
    for group in groups:
        for key, f in group.items():
            if key in out:
                raise HedgeLibError(
                    f"input {key!r} is declared twice ({out[key].label!r} and {f.label!r}): give "
                    "the registered part's parameter another key"
                )
            out[key] = f
    return out


def uses_option(strategy: str) -> bool:
    """Whether the registered strategy ``strategy`` trades the hedge option."""
    entry = STRATEGIES[strategy]
    return bool(getattr(entry.cls if entry.cls is not None else entry.build(), "uses_option", False))


def _values(entry: Entry, inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {p.name: inputs[p.key] for p in entry.parameters if p.key in inputs}


def build_part(kind: str, inputs: Mapping[str, Any], **fixed: Any) -> Any:
    """The part the inputs choose for ``kind`` (``"model"``, ``"strategy"``, ``"rule"`` or
    ``"costs"``), built from the inputs of its parameters; errors name the part.

    >>> build_part("rule", {"rule": "delta_band", "band_width": 0.1})
    DeltaBand(half_width=0.1, to='target')
    """
    entry = REGISTRIES[kind][inputs[kind]]
    try:
        return entry.build(_values(entry, inputs), **fixed)
    except HedgeLibError as exc:
        raise HedgeLibError(f"{entry.label}: {exc}") from None


_STRATEGY_HELP = ("What the hedge targets: nothing, delta with the stock, or gamma / vega with one "
                  "listed option and then delta with the stock.")


HEDGE_OPTION_FIELDS: dict[str, Parameter] = {
    "hopt_kind": Parameter("kind", "Hedge option: kind", "call", choices=("call", "put"),
                           key="hopt_kind"),
    "hopt_moneyness_pct": Parameter(
        "moneyness", "Hedge option: strike (% of spot)", 100.0, unit="percent", low=0.0,
        high=500.0, step=5.0, key="hopt_moneyness_pct",
        help="Strike as a percentage of the spot on the day it is bought; 100 is at the money."),
    "hopt_tenor_days": Parameter(
        "tenor", "Hedge option: tenor (trading days)", 126.0, unit="days", low=0.0, high=2520.0,
        step=21.0, key="hopt_tenor_days",
        help="Life of the hedge option when bought; rolled into a fresh one (same strike as a "
             "percentage of spot, same tenor) before it expires."),
    "hopt_roll_days": Parameter(
        "roll_before", "Roll before expiry (trading days)", 5.0, unit="days", low=0.0,
        high=2520.0, step=1.0, key="hopt_roll_days",
        help="Sell the hedge option this many trading days before it expires and buy a fresh "
             "one: close to expiry its gamma and vega pile up at the strike and the hedge ratio "
             "can explode. 0 holds it to expiry."),
}


#: The inputs of the hedge option (kind, strike, tenor, roll).
HEDGE_OPTION_INPUTS: tuple[str, ...] = tuple(HEDGE_OPTION_FIELDS)


def build_hedge_option(inputs: Mapping[str, Any]) -> HedgeOption | None:
    """The hedge option for a strategy that trades one (else None); errors say "Hedge option"."""
    if not uses_option(inputs["strategy"]):
        return None
    try:
        return HedgeOption(**{f.name: f.to_library(inputs[k]) for k, f in HEDGE_OPTION_FIELDS.items()})
    except HedgeLibError as exc:
        raise HedgeLibError(
            f"Hedge option for the {inputs['strategy']} strategy: {exc} (set its strike and "
            "tenor, or pick a strategy without an option)"
        ) from None


def hedge_fields(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Parameter]:
    """Strategy, hedge option, rule and costs, with their parts' parameters."""
    return merge_fields(
        {"strategy": _choice("strategy", "Strategy", "delta", _STRATEGY_HELP)},
        registry_fields(STRATEGIES, overrides),
        HEDGE_OPTION_FIELDS,
        {"rule": _choice("rule", "Rebalancing rule", "every_n_steps",
                         "When to trade back to the target hedge.")},
        registry_fields(RULES, overrides),
        costs_fields(overrides),
    )


def costs_fields(overrides: Mapping[str, Mapping[str, Any]] | None = None,
                  *, skip: Sequence[str] = ()) -> dict[str, Parameter]:
    return {"costs": _choice("costs", "Cost model", "transaction_costs", "What a trade costs."),
            **registry_fields(COST_MODELS, overrides, skip=skip)}


def model_fields() -> dict[str, Parameter]:
    return merge_fields(
        {"model": _choice("model", "Market model", "GBM",
                          "How the simulated spot moves. The hedger does not know it: the deltas "
                          "use the hedge volatility below.")},
        registry_fields(MODELS),
    )


def _volatility(key: str, name: str, label: str, help: str) -> Parameter:
    return Parameter(name, label, 20.0, unit="percent", low=0.0, high=300.0, step=1.0, key=key,
                     help=help)


HEDGE_VOLATILITY = _volatility("hedge_vol_pct", "hedge_volatility", "Hedge volatility (%)",
                         "Volatility the hedger uses for deltas and marks: the model-risk lever.")


PRICING_VOLATILITY = _volatility("pricing_vol_pct", "pricing_volatility", "Pricing volatility (%)",
                           "Volatility at which the book was traded: sets the premium.")


RUN_FIELDS: dict[str, Parameter] = {
    "n_paths": page_input("n_paths", "Paths", 10_000, low=1, high=1_000_000, step=1000),
    "n_steps": page_input("n_steps", "Steps over the horizon", 63, low=1, high=10_000, step=1,
                     help="Equal grid steps from today to the book's last expiry."),
    "seed": page_input("seed", "Seed", 42, low=0, high=2**32 - 1, step=1,
                  help="The same seed gives the same paths."),
}


#: The market of a scenario that carries none (library units): spot, rate, dividend yield.
DEFAULT_MARKET: dict[str, float] = {"spot": 100.0, "rate": 0.03, "dividend_yield": 0.0}


_DEFAULT_BOOK_DAYS = 63  # a quarter of the lab's trading year


def default_book(spot: float) -> Book:
    """The fallback book: one short at-the-money call, 63 trading days, strike = ``spot``."""
    return Book([OptionLeg("call", float(spot), _DEFAULT_BOOK_DAYS / TRADING_DAYS_PER_YEAR, -1.0)])


#: Bounds of the market a scenario carries, as the Option Book page's inputs allow: a link
#: or file outside them is listed and ignored, not run (a spot of 0 has no default book).
MARKET_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "spot": (0.01, MAX_PRICE), "rate_pct": (-10.0, 50.0), "div_pct": (-10.0, 50.0),
}


def book_and_market_inputs() -> dict[str, Any]:
    """The book and the market travel with a scenario, so a shared link reproduces the run."""
    return {
        "book": default_book(DEFAULT_MARKET["spot"]).to_dict(),
        "spot": float(DEFAULT_MARKET["spot"]),
        "rate_pct": 100.0 * DEFAULT_MARKET["rate"],
        "div_pct": 100.0 * DEFAULT_MARKET["dividend_yield"],
    }


@dataclass(frozen=True)
class Market:
    """Spot (currency), rate and dividend yield (decimals, continuously compounded)."""

    spot: float
    rate: float
    dividend_yield: float

    @classmethod
    def of(cls, scenario: Mapping[str, Any]) -> Market:
        """The market a scenario carries (``spot``, ``rate_pct``, ``div_pct``)."""
        return cls(float(scenario["spot"]), scenario["rate_pct"] / 100.0, scenario["div_pct"] / 100.0)


@dataclass(frozen=True)
class RunSize:
    """Where and how long a Monte Carlo run goes: spot, horizon (years), steps, paths, seed."""

    spot: float
    horizon: float
    n_steps: int
    n_paths: int
    seed: int

    def keywords(self) -> dict[str, Any]:
        """As keywords of :func:`~hedgelib.hedging.run_experiment` and the studies."""
        return dataclasses.asdict(self)


def build_setup(inputs: Mapping[str, Any], market: Market) -> HedgeSetup:
    """The :class:`HedgeSetup` of the inputs (strategy, hedge option, rule, costs, hedge and
    pricing volatilities) in ``market`` (its rate and dividend yield)."""
    return HedgeSetup(
        hedge_volatility=HEDGE_VOLATILITY.to_library(inputs["hedge_vol_pct"]),
        pricing_volatility=PRICING_VOLATILITY.to_library(inputs["pricing_vol_pct"]),
        rate=market.rate,
        dividend_yield=market.dividend_yield,
        strategy=build_part("strategy", inputs),
        rule=build_part("rule", inputs),
        costs=build_part("costs", inputs),
        hedge_option=build_hedge_option(inputs),
    )


def resolve_book_market(inputs: Mapping[str, Any], book: Book | None,
                 market: Market | None) -> tuple[Book, Market]:
    book = Book.from_dict(dict(inputs["book"])) if book is None else book
    return book, Market.of(inputs) if market is None else market
