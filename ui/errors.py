"""Turn library errors and oversized requests into messages on the page, never tracebacks."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import streamlit as st

from hedgelib.book import Book
from hedgelib.conventions import HedgeLibError
from hedgelib.registry import Parameter, Registry, to_display
from hedgelib.scenario import hedge_runs

__all__ = [
    "MAX_HEDGED_PATH_STEPS",
    "MAX_LEGS",
    "MAX_PATH_STEPS",
    "comparison_refusal",
    "in_labels",
    "legs_refusal",
    "path_steps_refusal",
    "registry_parts",
    "stop_on_error",
]


# The library names the argument first ("kappa must be positive, got 0.0"), after a part's
# own prefix ("Heston (stochastic volatility): kappa ...") and ends with the value it got.
_SUBJECT = re.compile(r"(^|: )([A-Za-z_][A-Za-z0-9_]*)(?= (?:must|is|are|should|cannot|has|needs|=)\b)")
_GOT = re.compile(r"(, got )(-?[0-9.]+(?:e[-+]?[0-9]+)?)(?=\s*$|[ ;])")


def in_labels(message: str, fields: Mapping[str, Parameter],
              parts: Mapping[str, Collection[str]] | None = None) -> str:
    """``message`` with the argument it names (``kappa``, ``hedge_volatility``) replaced by
    the page's label for it, and the value it got in the label's unit.

    ``fields`` are the page's Field declarations: their ``name`` is the library's argument
    and their key the scenario's input, so no second list of names is kept. Where two inputs
    set arguments of one name (the put's ``volatility`` and the model's), ``parts`` (a part's
    label: the keys of its inputs, see :func:`registry_parts`) picks the one of the part the
    message names first.

    >>> f = Parameter("hedge_volatility", "Hedge volatility (%)", 20.0, unit="percent", key="hedge_vol_pct")
    >>> in_labels("hedge_volatility must be positive and finite, got -0.05", {"hedge_vol_pct": f})
    'Hedge volatility (%) must be positive and finite, got -5'
    """
    match = _SUBJECT.search(message)
    if match is None:
        return message
    name = match.group(2)
    part = message[:match.start(2)].removesuffix(": ").rpartition(": ")[2]
    own = [fields[k] for k in (parts or {}).get(part, ()) if k in fields]
    f = (next((g for g in own if g.name == name), None)
         or next((g for g in fields.values() if g.name == name), None) or fields.get(name))
    if f is None:
        return message
    head = message[:match.start(2)]
    if part and part.casefold() == f.label.casefold():
        head = head.removesuffix(part + ": ")  # "Start: start must" reads "Start must"
    out = head + f.label + message[match.end(2):]
    got = _GOT.search(out)
    if got and f.unit and f.choices is None:
        try:
            shown = to_display(float(got.group(2)), f.unit)
        except (ValueError, ArithmeticError):
            return out
        if math.isfinite(shown):
            out = out[:got.start(2)] + f"{shown:g}" + out[got.end(2):]
    return out


def registry_parts(*registries: Registry) -> dict[str, tuple[str, ...]]:
    """The input keys of every entry of ``registries``, by the label its errors start with."""
    return {e.label: tuple(p.key for p in e.parameters) for r in registries for e in r.values()}


@contextmanager
def stop_on_error(prefix: str = "", fields: Mapping[str, Parameter] | None = None) -> Iterator[None]:
    """Show a ``HedgeLibError`` as ``st.error`` and stop the script run.

    Use around library calls whose result the rest of the page needs::

        with stop_on_error("Leg table: "):
            book = Book.from_frame(frame)

    With the page's ``fields``, the argument the error names is shown by its label.
    """
    try:
        yield
    except HedgeLibError as exc:
        message = str(exc) if fields is None else in_labels(str(exc), fields)
        st.error(f"{prefix}{message}")
        st.stop()


# One user's simulation may not exceed this much work: n_paths x n_steps x the book's
# distinct (strike, expiry) pairs, each priced at every path-step. About a second or two of
# compute on one core, and a few tens of MB of results in the cache.
MAX_PATH_STEPS = 5_000_000

# The most option legs a book may hold in the app (a link or a file could carry thousands).
MAX_LEGS = 50


def legs_refusal(book: Book | None) -> str | None:
    """The refusal of a book with more than :data:`MAX_LEGS` option legs, or None."""
    if book is None or len(book.legs) <= MAX_LEGS:
        return None
    return (f"The book holds {len(book.legs):,} option legs; the lab runs books of at most "
            f"{MAX_LEGS} legs (the server is shared). Net the legs on the Option Book page.")


def _pairs(book: Book | None) -> tuple[int, str]:
    """How many Black-Scholes evaluations a path-step costs (one per distinct strike and
    expiry of the book), and how a refusal says it."""
    groups = max(1, len({(leg.strike, leg.expiry) for leg in book.legs})) if book is not None else 1
    return groups, (f" x {groups} strike-expiry pairs" if groups > 1 else "")


def path_steps_refusal(n_paths: int, n_steps: int, book: Book | None = None,
                       cap: int = MAX_PATH_STEPS) -> str | None:
    """The refusal of a simulation above ``cap`` path-steps per (strike, expiry) of ``book``,
    or of a book over :data:`MAX_LEGS` legs; None when it fits.

    >>> path_steps_refusal(1_000, 63) is None
    True
    """
    if too_many := legs_refusal(book):
        return too_many
    groups, per = _pairs(book)
    size = int(n_paths) * int(n_steps) * groups
    if size <= cap:
        return None
    return (
        f"This run asks for {n_paths:,} paths x {n_steps:,} steps{per} = {size:,} path-steps, "
        f"above the lab's cap of {cap:,} per run (the server is shared). Use fewer paths "
        "or fewer steps."
    )


# A comparison may not exceed this many hedged path-steps: paths x steps x every hedge run
# (set-ups, sweep frequencies and frontier rules). About three seconds on one core.
MAX_HEDGED_PATH_STEPS = 40_000_000


def comparison_refusal(inputs: Mapping[str, Any], book: Book | None = None) -> str | None:
    """The refusal of a Rule Comparison above :data:`MAX_HEDGED_PATH_STEPS` (per
    (strike, expiry) of ``book``), or of a book over :data:`MAX_LEGS` legs; None when it
    fits. Raises ``HedgeLibError`` for bad set-ups or frontier grid, naming them."""
    a, b, c = hedge_runs(inputs)
    if too_many := legs_refusal(book):
        return too_many
    runs = a + b + c
    groups, per = _pairs(book)
    size = int(inputs["n_paths"]) * int(inputs["n_steps"]) * runs * groups
    if size <= MAX_HEDGED_PATH_STEPS:
        return None
    return (
        f"This comparison asks for {inputs['n_paths']:,} paths x {inputs['n_steps']:,} steps x "
        f"{runs} hedges ({a} set-ups + {b} sweep frequencies + {c} frontier rules){per} = {size:,} "
        f"hedged path-steps, above the page's cap of {MAX_HEDGED_PATH_STEPS:,} (the server is "
        "shared). Use fewer paths, fewer steps or fewer frontier rules."
    )
