"""What a scenario file asks the command line to run: read it, apply the size options and
the ``--vary`` grid, and turn each case into library objects.

The scenario format and its meaning are :mod:`hedgelib.scenario`'s (the app's own): a Hedge
Lab file is one hedge set-up (:func:`~hedgelib.scenario.hedge_lab_simulation`), a Rule
Comparison file several set-ups on the same paths (:func:`~hedgelib.scenario.rule_comparison`).
Nothing here re-declares an input.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hedgelib.book import Book
from hedgelib.cli.args import PAGES, CommandError, parse_count
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.setup import HedgeSetup
from hedgelib.scenario import (
    SCENARIO_FORMAT,
    RunSize,
    ScenarioError,
    ScenarioSchema,
    hedge_lab_simulation,
    rule_comparison,
    schema_for,
)

__all__ = [
    "HEDGE_LAB_SETUP",
    "MAX_COMBINATIONS",
    "Case",
    "Group",
    "group_cases",
    "load_scenario",
    "plan_case",
    "setup_key",
    "sweep_cases",
    "with_size",
]

#: Name of the one set-up of a Hedge Lab scenario.
HEDGE_LAB_SETUP = "hedge_lab"

#: Most combinations one sweep may ask for (a typo in a grid should not start a week's run).
MAX_COMBINATIONS = 10_000

# Inputs of a Rule Comparison that only its frequency sweep and frontier read: the command
# line compares the set-ups and does not run those studies, so varying them changes nothing.
_NOT_RUN = {"rule_comparison": ("every", "band_widths", "risk_aversions")}

# Kept per path and set-up for the statistics (see hedgelib.cli.stream): a sweep hedges at
# most this many paths x set-ups on one set of paths at a time, so that its memory stays
# bounded (about 40 bytes each).
_GROUP_PATHS = 8_000_000
# Set-ups hedged in one task at most: a task hedges its set-ups one after the other, and a
# sweep of small runs should still make enough tasks to keep every worker busy.
_GROUP_SETUPS = 16


def load_scenario(path: str | Path) -> tuple[str, ScenarioSchema, dict[str, Any]]:
    """Read a scenario file: its page, the page's schema and the complete inputs.

    Raises
    ------
    CommandError
        A missing or unreadable file, or one that is not a scenario of a page the command line
        runs; ScenarioError (a HedgeLibError) for a value of the wrong type or out of range,
        naming it.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{path}: is a folder, not a scenario file") from None
    except OSError as exc:
        raise CommandError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != SCENARIO_FORMAT:
        # The format's own reader words the problem (not JSON, with the line; not a scenario).
        page = PAGES[0]
    else:
        page = doc.get("page")
        if page not in PAGES:
            raise CommandError(
                f"{path}: a scenario of page {page!r}; the command line runs {' and '.join(PAGES)} "
                "scenarios (a Historical Backtest replays one history: run it on its page)"
            )
    schema = schema_for(page)
    try:
        inputs = schema.from_json(data)
    except ScenarioError as exc:
        raise CommandError(f"{path}: {str(exc).removeprefix('scenario file: ')}") from None
    return page, schema, inputs


def _coerce(schema: ScenarioSchema, name: str, value: Any, option: str) -> Any:
    try:
        return schema.coerce(name, value)
    except ScenarioError as exc:
        raise CommandError(f"{option}: {exc}") from None


def with_size(schema: ScenarioSchema, inputs: Mapping[str, Any], *, paths: int | None,
              steps: int | None, seed: int | None) -> dict[str, Any]:
    """The inputs with ``--paths``, ``--steps`` and ``--seed`` applied.

    Paths are not held to the page's cap (that is the point of the command line); steps and
    the seed keep the scenario's bounds.
    """
    out = dict(inputs)
    if paths is not None:
        out["n_paths"] = int(paths)
    if steps is not None:
        out["n_steps"] = _coerce(schema, "n_steps", steps, "--steps")
    if seed is not None:
        out["seed"] = _coerce(schema, "seed", seed, "--seed")
    return out


@dataclass(frozen=True)
class Case:
    """One run of a scenario: its inputs and what they ask the library.

    ``setups`` are hedged on the same paths of ``model`` (one for a Hedge Lab scenario,
    named :data:`HEDGE_LAB_SETUP`; the table's set-ups, in order, for a Rule Comparison);
    ``varied`` holds the ``--vary`` values of a sweep's case.
    """

    page: str
    inputs: dict[str, Any]
    model: Any
    book: Book
    setups: dict[str, HedgeSetup]
    size: RunSize
    varied: dict[str, Any]


def plan_case(page: str, inputs: Mapping[str, Any], varied: Mapping[str, Any] | None = None) -> Case:
    """The library objects of a scenario's inputs (raises HedgeLibError naming the input)."""
    inputs = dict(inputs)
    if page == "hedge_lab":
        sim = hedge_lab_simulation(inputs)
        model, book, setups, size = sim.model, sim.book, {HEDGE_LAB_SETUP: sim.setup}, sim.size
    elif page == "rule_comparison":
        plan = rule_comparison(inputs)
        model, book, setups, size = plan.model, plan.book, dict(plan.setups), plan.size
    else:
        raise CommandError(f"page must be one of {', '.join(PAGES)}, got {page!r}")
    return Case(page, inputs, model, book, setups, size, dict(varied or {}))


def _vary_values(schema: ScenarioSchema, page: str, name: str, texts: Sequence[str]) -> list[Any]:
    if name not in schema.defaults:
        known = ", ".join(k for k, v in schema.defaults.items() if not isinstance(v, dict))
        raise CommandError(f"--vary {name}: not an input of a {page} scenario; its inputs are: {known}")
    if isinstance(schema.defaults[name], dict) or name in _NOT_RUN.get(page, ()):
        raise CommandError(f"--vary {name}: cannot be varied from the command line")
    values = []
    for text in texts:
        if name == "n_paths":
            values.append(parse_count(text, f"--vary {name}"))
            continue
        found, problems = schema.from_query_params({name: text})
        if problems:
            raise CommandError(f"--vary {name}: {problems[0].removeprefix(f'{name}: ')}")
        values.append(found[name])
    if len(set(map(repr, values))) != len(values):
        raise CommandError(f"--vary {name}: a value is repeated in {', '.join(texts)}")
    return values


def sweep_cases(page: str, schema: ScenarioSchema, inputs: Mapping[str, Any],
                varies: Sequence[tuple[str, Sequence[str]]], *, fixed: Sequence[str] = ()) -> list[Case]:
    """Every combination of the ``--vary`` values, as cases (the last input varies fastest).

    ``fixed`` names inputs set by ``--paths``, ``--steps`` or ``--seed``, which may not be
    varied too. Raises CommandError naming the option, the input and the value.
    """
    grid = []
    for name, texts in varies:
        if name in fixed:
            raise CommandError(f"--vary {name}: also set by an option; drop one of them")
        grid.append((name, _vary_values(schema, page, name, texts)))
    n = 1
    for _, values in grid:
        n *= len(values)
    if n > MAX_COMBINATIONS:
        raise CommandError(f"--vary: {n:,} combinations, above the limit of {MAX_COMBINATIONS:,}")
    cases = []
    names = [name for name, _ in grid]
    for combo in itertools.product(*(values for _, values in grid)):
        varied = dict(zip(names, combo, strict=True))
        try:
            cases.append(plan_case(page, {**inputs, **varied}, varied))
        except HedgeLibError as exc:
            where = ", ".join(f"{k}={v}" for k, v in varied.items())
            raise CommandError(f"--vary combination {where}: {exc}") from None
    return cases


@dataclass(frozen=True)
class Group:
    """Cases hedged on the same paths: one model, book and run size, their set-ups together.

    ``setups`` is keyed ``"<case index>/<set-up name>"`` so that cases never collide.
    """

    model: Any
    book: Book
    size: RunSize
    cases: tuple[int, ...]
    setups: dict[str, HedgeSetup]


def setup_key(case_index: int, name: str) -> str:
    return f"{case_index}/{name}"


def group_cases(cases: Sequence[Case], *, max_paths: int = _GROUP_PATHS,
                max_setups: int = _GROUP_SETUPS) -> list[Group]:
    """Consecutive cases that share their paths, in groups of at most ``max_paths`` hedged
    paths (paths x set-ups) and ``max_setups`` set-ups (always at least one whole case).

    Cases that differ only in the hedge (rule, costs, hedge volatility...) hedge the same
    simulated paths once simulated: common random numbers, as on the Rule Comparison page,
    and less work. A group's numbers are those of each case run alone.
    """
    groups: list[Group] = []
    current: list[int] = []
    n_setups = 0

    def close() -> None:
        if current:
            first = cases[current[0]]
            setups = {setup_key(i, name): s for i in current for name, s in cases[i].setups.items()}
            groups.append(Group(first.model, first.book, first.size, tuple(current), setups))
            current.clear()

    for i, case in enumerate(cases):
        if current:
            head = cases[current[0]]
            same = (case.model == head.model and case.book == head.book and case.size == head.size)
            more = n_setups + len(case.setups)
            if not same or more > max_setups or case.size.n_paths * more > max_paths:
                close()
                n_setups = 0
        current.append(i)
        n_setups += len(case.setups)
    close()
    return groups
