"""Turn library errors and oversized requests into messages on the page, never tracebacks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import streamlit as st

from hedgelib.conventions import HedgeLibError
from hedgelib.scenario import hedge_runs

__all__ = [
    "MAX_HEDGED_PATH_STEPS",
    "MAX_PATH_STEPS",
    "comparison_refusal",
    "path_steps_refusal",
    "stop_on_error",
]


@contextmanager
def stop_on_error(prefix: str = "") -> Iterator[None]:
    """Show a ``HedgeLibError`` as ``st.error`` and stop the script run.

    Use around library calls whose result the rest of the page needs::

        with stop_on_error("Leg table: "):
            book = Book.from_frame(frame)
    """
    try:
        yield
    except HedgeLibError as exc:
        st.error(f"{prefix}{exc}")
        st.stop()


# One user's simulation may not exceed this many path-steps (n_paths x n_steps): about a
# second or two of compute on one core, and a few tens of MB of results in the cache.
MAX_PATH_STEPS = 5_000_000


def path_steps_refusal(n_paths: int, n_steps: int, cap: int = MAX_PATH_STEPS) -> str | None:
    """The refusal of a simulation above ``cap`` path-steps, or None when it fits.

    >>> path_steps_refusal(1_000, 63) is None
    True
    """
    size = int(n_paths) * int(n_steps)
    if size <= cap:
        return None
    return (
        f"This run asks for {n_paths:,} paths x {n_steps:,} steps = {size:,} path-steps, above "
        f"the lab's cap of {cap:,} path-steps per run (the server is shared). Use fewer paths "
        "or fewer steps."
    )


# A comparison may not exceed this many hedged path-steps: paths x steps x every hedge run
# (set-ups, sweep frequencies and frontier rules). About three seconds on one core.
MAX_HEDGED_PATH_STEPS = 40_000_000


def comparison_refusal(inputs: Mapping[str, Any]) -> str | None:
    """The refusal of a Rule Comparison above :data:`MAX_HEDGED_PATH_STEPS`, or None when
    it fits. Raises ``HedgeLibError`` for bad set-ups or frontier grid, naming them."""
    a, b, c = hedge_runs(inputs)
    runs = a + b + c
    size = int(inputs["n_paths"]) * int(inputs["n_steps"]) * runs
    if size <= MAX_HEDGED_PATH_STEPS:
        return None
    return (
        f"This comparison asks for {inputs['n_paths']:,} paths x {inputs['n_steps']:,} steps x "
        f"{runs} hedges ({a} set-ups + {b} sweep frequencies + {c} frontier rules) = {size:,} "
        f"hedged path-steps, above the page's cap of {MAX_HEDGED_PATH_STEPS:,} (the server is "
        "shared). Use fewer paths, fewer steps or fewer frontier rules."
    )
