"""The library's figure builders, each cached per inputs for the life of the server.

A page's results come from cached runs, so the same arrays reach the same builders on every
rerun and in every session that runs the defaults; building a plotly figure (its property
validation, subplots) is then half the server's time for a page. A page imports its builders
from here instead of :mod:`hedgelib.charts`, under the same names::

    from ui.charts import pnl_histogram_figure

The Live Monitor builds its figures from prices that change on every refresh, so it takes
them from the library directly.

Figures are shared, not copied (``st.cache_resource``): Streamlit only reads a figure it is
given (``to_dict``), and no page changes a figure after building it. Inputs Streamlit cannot
hash fall back to building the figure uncached.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

import hedgelib.charts

# Figures kept per builder: the defaults and a few recent variants. A figure holds at most a
# few thousand points (the builders thin and bin), so this bounds the memory to a few MB.
FIGURE_ENTRIES = 8


def cached(builder: Callable[..., Any]) -> Callable[..., Any]:
    """``builder`` with its figures cached per arguments (see the module's note)."""
    memo = st.cache_resource(max_entries=FIGURE_ENTRIES, show_spinner=False)(builder)

    @functools.wraps(builder)
    def figure(*args: Any, **kwargs: Any) -> Any:
        try:
            return memo(*args, **kwargs)
        except StreamlitAPIException:  # the cache's refusal of inputs it cannot hash
            return builder(*args, **kwargs)

    return figure


def __getattr__(name: str) -> Callable[..., Any]:
    # Every public builder of hedgelib.charts, wrapped once on first import.
    if name.startswith("_") or name not in hedgelib.charts.__all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = wrapped = cached(getattr(hedgelib.charts, name))
    return wrapped
