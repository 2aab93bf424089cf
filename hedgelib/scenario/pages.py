"""The scenarios of the Monte Carlo Hedge Lab and the Rule Comparison: their inputs and what they
ask the library to run.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hedgelib.book import Book
from hedgelib.conventions import HedgeLibError, check_int
from hedgelib.hedging.setup import RULES, STRATEGIES, HedgeSetup
from hedgelib.hedging.studies import default_rebalance_counts
from hedgelib.market.models import MarketModel
from hedgelib.registry import Parameter
from hedgelib.scenario.backtest import backtest_schema
from hedgelib.scenario.format import ScenarioError, ScenarioSchema
from hedgelib.scenario.inputs import (
    ALIASES,
    HEDGE_OPTION_FIELDS,
    HEDGE_VOLATILITY,
    MARKET_BOUNDS,
    PRICING_VOLATILITY,
    REGISTRIES,
    RULE_ALIASES,
    RUN_FIELDS,
    Market,
    RunSize,
    book_and_market_inputs,
    build_part,
    build_setup,
    costs_fields,
    hedge_fields,
    merge_fields,
    model_fields,
    page_input,
    registry_fields,
    resolve_book_market,
)
from hedgelib.scenario.portfolio import PORTFOLIO_PAGE, portfolio_schema

__all__ = [
    "MAX_SETUPS",
    "MIN_SETUPS",
    "SETUP_COLUMNS",
    "ComparisonPlan",
    "Simulation",
    "default_setups",
    "frontier_grid",
    "hedge_lab_fields",
    "hedge_lab_schema",
    "hedge_lab_simulation",
    "hedge_runs",
    "parse_numbers",
    "rule_comparison",
    "rule_comparison_fields",
    "rule_comparison_schema",
    "schema_for",
    "setup_parameters",
    "setup_rows",
]


def hedge_lab_fields() -> dict[str, Parameter]:
    """The Hedge Lab's form inputs, keyed by name, from the registries as they are now."""
    return merge_fields(model_fields(), hedge_fields({"cost_bp": {"default": 5.0}}),
                  {"hedge_vol_pct": HEDGE_VOLATILITY, "pricing_vol_pct": PRICING_VOLATILITY}, RUN_FIELDS)


def hedge_lab_schema() -> ScenarioSchema:
    """The Hedge Lab's scenario: its form inputs plus the book and the market."""
    return ScenarioSchema.from_fields(
        "hedge_lab", hedge_lab_fields(), extra=book_and_market_inputs(),
        extra_bounds=MARKET_BOUNDS, aliases=ALIASES, version=2,
    )


@dataclass(frozen=True)
class Simulation:
    """What a Hedge Lab scenario asks the library: hedge ``book`` along paths of ``model``."""

    model: MarketModel
    book: Book
    setup: HedgeSetup
    size: RunSize

    def keywords(self) -> dict[str, Any]:
        """Keywords of :func:`~hedgelib.hedging.run_experiment` (add ``progress`` etc.)."""
        return {"model": self.model, "book": self.book, "setup": self.setup, **self.size.keywords()}


def hedge_lab_simulation(inputs: Mapping[str, Any], *, book: Book | None = None,
                         market: Market | None = None) -> Simulation:
    """The library objects of a Hedge Lab scenario.

    ``book`` and ``market`` replace the scenario's own (the app passes the shared ones, in
    library units, so that nothing goes through percent and back).
    """
    book, market = resolve_book_market(inputs, book, market)
    return Simulation(
        model=build_part("model", inputs, dividend_yield=market.dividend_yield),
        book=book,
        setup=build_setup(inputs, market),
        size=RunSize(market.spot, float(book.expiry), int(inputs["n_steps"]),
                     int(inputs["n_paths"]), int(inputs["seed"])),
    )


#: Columns of a set-up row besides the parameters of its strategy and rule.
SETUP_COLUMNS: tuple[str, ...] = ("name", "strategy", "rule", "hedge_vol_pct", "cost_bp")


MIN_SETUPS, MAX_SETUPS = 2, 5




_FRONTIER: dict[str, Parameter] = {
    "every": page_input("every", "Frontier: every N steps", "1, 2, 5, 10, 21",
                   help="Fixed intervals (in grid steps) on the cost-risk frontier, separated "
                        "by commas; intervals longer than the run are dropped."),
    "band_widths": page_input("band_widths", "Frontier: band half-widths (shares)",
                         "0.01, 0.02, 0.05, 0.1, 0.2",
                         help="Delta-band half-widths on the frontier, in shares of delta."),
    "risk_aversions": page_input("risk_aversions", "Frontier: Whalley-Wilmott risk aversions",
                            "0.1, 1, 10, 100",
                            help="Risk aversions of the Whalley-Wilmott bands on the frontier "
                                 "(per unit of currency): higher means a narrower band."),
}


def default_setups() -> list[dict[str, Any]]:
    """The default set-ups: daily, weekly, a 0.05 delta band and Whalley-Wilmott, at 5 bp."""
    base = {"strategy": "delta", "hedge_vol_pct": 20.0, "cost_bp": 5.0}
    return [
        {"name": "daily", "rule": "every_n_steps", "every_n": 1, **base},
        {"name": "weekly", "rule": "every_n_steps", "every_n": 5, **base},
        {"name": "band 0.05", "rule": "delta_band", "band_width": 0.05, **base},
        {"name": "Whalley-Wilmott 1", "rule": "whalley_wilmott", "ww_risk_aversion": 1.0, **base},
    ]


def rule_comparison_fields() -> dict[str, Parameter]:
    """The Rule Comparison's form inputs besides the set-ups table: the market model, the
    premium, the hedge option, the costs every set-up shares, the run and the frontier grid.

    The set-ups table holds each set-up's strategy, rule (and their parameters), hedge
    volatility and proportional cost (``cost_bp``).
    """
    return merge_fields(
        model_fields(), {"pricing_vol_pct": PRICING_VOLATILITY}, HEDGE_OPTION_FIELDS, costs_fields(skip=("cost_bp",)),
        {"n_paths": dataclasses.replace(
            RUN_FIELDS["n_paths"], default=5_000, low=100,
            help="Paths per set-up; every set-up, sweep frequency and frontier rule hedges the "
                 "same paths.")},
        {k: RUN_FIELDS[k] for k in ("n_steps", "seed")}, _FRONTIER,
    )


def rule_comparison_schema() -> ScenarioSchema:
    """The Rule Comparison's scenario: its form, the set-ups (``{"rows": [...]}``), the book
    and the market."""
    return ScenarioSchema.from_fields(
        "rule_comparison", rule_comparison_fields(),
        extra={"setups": {"rows": default_setups()}, **book_and_market_inputs()},
        extra_bounds=MARKET_BOUNDS, version=2,
    )


def setup_parameters() -> dict[str, Parameter]:
    """The parameters a set-up row may carry: those of every strategy and rule, by key."""
    return merge_fields(registry_fields(STRATEGIES), registry_fields(RULES))


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _row_number(value: Any, where: str, what: str) -> float:
    if _blank(value) or isinstance(value, bool):
        raise HedgeLibError(f"{where}: {what} must be a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise HedgeLibError(f"{where}: {what} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise HedgeLibError(f"{where}: {what} must be finite, got {value!r}")
    return x


def _row_parameter(p: Parameter, value: Any, where: str) -> Any:
    """A set-up's parameter value, checked against its declaration."""
    if p.choices is not None:
        if value not in p.choices:
            raise HedgeLibError(f"{where}: {p.label} must be one of {p.choices}, got {value!r}")
        return value
    x = _row_number(value, where, p.label)
    low = -math.inf if p.low is None else p.low
    high = math.inf if p.high is None else p.high
    if p.is_integer:
        if not (x.is_integer() and low <= x <= high):
            raise HedgeLibError(f"{where}: {p.label} must be a whole number from {low:g} to "
                                f"{high:g}, got {x:g}")
        return int(x)
    if not low <= x <= high:
        raise HedgeLibError(f"{where}: {p.label} must lie in [{low:g}, {high:g}], got {x:g}")
    return x


def setup_rows(rows: Any) -> list[dict[str, Any]]:
    """Validated set-up rows (rows left wholly blank are ignored), in the current layout.

    A row holds ``name``, ``strategy``, ``rule``, the parameters of its strategy and rule (by
    input key), ``hedge_vol_pct`` and ``cost_bp``. Rows of older scenarios (rule ``"every"``,
    ``"band"``, ``"ww"`` with one ``parameter``) are read too. Raises ``HedgeLibError`` naming
    the row (1-based) and the column: fewer than 2 or more than 5 set-ups, an empty or
    repeated name, an unknown strategy or rule, a parameter outside its declared range, a
    hedge volatility <= 0 or a negative cost.
    """
    if isinstance(rows, pd.DataFrame):
        records = rows.to_dict("records")
    elif isinstance(rows, list | tuple) and all(isinstance(r, Mapping) for r in rows):
        records = [dict(r) for r in rows]
    else:
        raise HedgeLibError(f"Set-ups must be a table or a list of rows (objects with "
                            f"{', '.join(SETUP_COLUMNS)}), got {rows!r}")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, rec in enumerate(records, start=1):
        if all(_blank(v) for v in rec.values()):
            continue
        name = rec.get("name")
        if _blank(name):
            raise HedgeLibError(f"Set-up row {i}: name must not be empty")
        name = str(name).strip()
        where = f"Set-up row {i} ({name})"
        if name in seen:
            raise HedgeLibError(f"Set-up row {i}: name {name!r} is used twice; give each set-up its own name")
        seen.add(name)
        row: dict[str, Any] = {"name": name}
        rule = rec.get("rule")
        rule = RULE_ALIASES.get(rule, rule) if isinstance(rule, str) else rule
        for kind, value in (("strategy", rec.get("strategy")), ("rule", rule)):
            if value not in REGISTRIES[kind]:
                raise HedgeLibError(f"{where}: {kind} must be one of "
                                    f"{', '.join(REGISTRIES[kind])}, got {value!r}")
            row[kind] = value
        rule_params = RULES[rule].parameters
        if "parameter" in rec and rule_params and _blank(rec.get(rule_params[0].key)):
            # A row of an older scenario: the rule's one parameter in a column of its own.
            rec = {**rec, rule_params[0].key: rec["parameter"]}
        for p in (*STRATEGIES[row["strategy"]].parameters, *rule_params):
            row[p.key] = _row_parameter(p, rec.get(p.key), where)
        vol = _row_number(rec.get("hedge_vol_pct"), where, "hedge_vol_pct")
        if vol <= 0:
            raise HedgeLibError(f"{where}: hedge volatility must be > 0 %, got {vol:g}")
        cost = _row_number(rec.get("cost_bp"), where, "cost_bp")
        if cost < 0:
            raise HedgeLibError(f"{where}: cost must be >= 0 bp, got {cost:g}")
        out.append({**row, "hedge_vol_pct": vol, "cost_bp": cost})
    if not MIN_SETUPS <= len(out) <= MAX_SETUPS:
        raise HedgeLibError(f"Set-ups: compare {MIN_SETUPS} to {MAX_SETUPS} set-ups, got {len(out)}")
    return out


def parse_numbers(text: str, name: str, *, integer: bool = False, minimum: float = 0.0) -> tuple[float, ...]:
    """Comma-separated numbers, each > ``minimum`` (whole numbers when ``integer``); may be empty.

    >>> parse_numbers("0.01, 0.05,0.1", "band widths")
    (0.01, 0.05, 0.1)
    """
    values = []
    for part in str(text).replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            x = float(part)
        except ValueError:
            raise HedgeLibError(f"{name}: {part!r} is not a number (separate numbers by commas)") from None
        if not math.isfinite(x) or x <= minimum or (integer and not x.is_integer()):
            kind = "whole numbers" if integer else "numbers"
            raise HedgeLibError(f"{name}: must be {kind} above {minimum:g}, got {part!r}")
        values.append(int(x) if integer else x)
    return tuple(values)


def frontier_grid(inputs: Mapping[str, Any]) -> dict[str, tuple[float, ...]]:
    """The frontier's ``every``, ``band_widths`` and ``risk_aversions``, sorted and unique;
    intervals longer than ``n_steps`` dropped. Raises ``HedgeLibError`` naming the input."""
    n_steps = int(inputs["n_steps"])
    every = [e for e in parse_numbers(inputs["every"], _FRONTIER["every"].label, integer=True)
             if e <= n_steps]
    bands = parse_numbers(inputs["band_widths"], _FRONTIER["band_widths"].label)
    gammas = parse_numbers(inputs["risk_aversions"], _FRONTIER["risk_aversions"].label)
    if not (every or bands or gammas):
        raise HedgeLibError("Frontier: give at least one interval, band width or risk aversion")
    return {"every": tuple(sorted(set(every))), "band_widths": tuple(sorted(set(bands))),
            "risk_aversions": tuple(sorted(set(gammas)))}


def hedge_runs(inputs: Mapping[str, Any]) -> tuple[int, int, int]:
    """How many hedges of the paths a Rule Comparison scenario asks for: set-ups, frequency
    sweep counts (at most), frontier rules. Raises ``HedgeLibError`` for bad set-ups or a bad
    frontier grid, naming them."""
    rows = setup_rows(inputs["setups"]["rows"])
    grid = frontier_grid(inputs)
    n_sweep = len(default_rebalance_counts(check_int(inputs["n_steps"], "n_steps")))
    return len(rows), n_sweep, sum(len(v) for v in grid.values())


@dataclass(frozen=True)
class ComparisonPlan:
    """What a Rule Comparison scenario asks the library.

    ``setups`` (name to :class:`HedgeSetup`, in the table's order) are compared on common
    paths; ``reference`` is the first set-up as a plain delta hedge, which the frequency sweep
    and the cost-risk frontier run over ``grid`` (:func:`frontier_grid`).
    """

    model: MarketModel
    book: Book
    setups: dict[str, HedgeSetup]
    rows: list[dict[str, Any]]
    reference: HedgeSetup
    grid: dict[str, tuple[float, ...]]
    size: RunSize


def rule_comparison(inputs: Mapping[str, Any], *, book: Book | None = None,
                    market: Market | None = None) -> ComparisonPlan:
    """The library objects of a Rule Comparison scenario (``book`` and ``market`` as in
    :func:`hedge_lab_simulation`). Errors name the set-up or the input."""
    book, market = resolve_book_market(inputs, book, market)
    rows = setup_rows(inputs["setups"]["rows"])
    grid = frontier_grid(inputs)
    setups = {}
    for row in rows:
        try:
            setups[row["name"]] = build_setup({**inputs, **row}, market)
        except HedgeLibError as exc:
            raise HedgeLibError(f"Set-up {row['name']!r}: {exc}") from None
    first = setups[rows[0]["name"]]
    return ComparisonPlan(
        model=build_part("model", inputs, dividend_yield=market.dividend_yield),
        book=book, setups=setups, rows=rows,
        reference=first.replace(strategy="delta", hedge_option=None),
        grid=grid,
        size=RunSize(market.spot, float(book.expiry), int(inputs["n_steps"]),
                     int(inputs["n_paths"]), int(inputs["seed"])),
    )


def schema_for(page: str) -> ScenarioSchema:
    """The schema of a page's scenario files, by the ``page`` they carry: ``"hedge_lab"``,
    ``"rule_comparison"``, ``"historical_backtest"`` or ``"portfolio_hedging"``."""
    schemas = {"hedge_lab": hedge_lab_schema, "rule_comparison": rule_comparison_schema,
               "historical_backtest": backtest_schema, PORTFOLIO_PAGE: portfolio_schema}
    if page not in schemas:
        raise ScenarioError(f"page must be one of {', '.join(schemas)}, got {page!r}")
    return schemas[page]()
