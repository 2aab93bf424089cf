"""Scenarios on a page: the shareable link, the scenario file buttons and what they load.

The format itself (:class:`~hedgelib.scenario.ScenarioSchema`, :class:`ScenarioError`,
:data:`SCENARIO_FORMAT`) lives in :mod:`hedgelib.scenario`, readable without streamlit; this
module draws it on a page: the sidebar's download and upload buttons, the link in the
address bar, the messages of what could not be read, and the shared book and market a
scenario carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from hedgelib.book import Book
from hedgelib.conventions import HedgeLibError
from hedgelib.scenario import SCENARIO_FORMAT, ScenarioError, ScenarioSchema
from ui.errors import MAX_LEGS
from ui.state import set_book, set_market

__all__ = [
    "SCENARIO_FORMAT",
    "ScenarioError",
    "ScenarioSchema",
    "apply_book_and_market",
    "load_uploaded",
    "read_link_once",
    "scenario_sidebar",
    "show_scenario_messages",
    "with_book_and_market",
    "write_link",
]

# Scenario inputs of the shared market: input -> (key of ui.state's market, display scale).
_MARKET_INPUTS = {"spot": ("spot", 1.0), "market_vol_pct": ("volatility", 100.0),
                  "rate_pct": ("rate", 100.0), "div_pct": ("dividend_yield", 100.0)}


def with_book_and_market(settings: Mapping[str, Any], book: Book, market: Mapping[str, float],
                         *, volatility: bool = False) -> dict[str, Any]:
    """A page's inputs plus the book and the market (percent), so that a shared link
    reproduces the run; ``volatility`` adds the market's implied volatility too."""
    names = [n for n in _MARKET_INPUTS if volatility or n != "market_vol_pct"]
    return {**settings, "book": book.to_dict(),
            **{n: _MARKET_INPUTS[n][1] * float(market[_MARKET_INPUTS[n][0]]) for n in names}}


def apply_book_and_market(scenario: Mapping[str, Any], present: set[str]) -> list[str]:
    """Make the book and the market inputs a scenario carries (those in ``present``) the
    shared ones; returns the problems (a book the library refuses)."""
    problems = []
    legs = scenario.get("book", {}).get("legs") if "book" in present else None
    if isinstance(legs, list) and len(legs) > MAX_LEGS:
        # Counted before any leg is built: a link may carry tens of thousands.
        problems.append(f"book: holds {len(legs):,} option legs, more than the {MAX_LEGS} a book "
                        "may hold in the lab")
    elif "book" in present:
        try:
            set_book(Book.from_dict(scenario["book"]))
        except (HedgeLibError, KeyError, TypeError) as exc:
            problems.append(f"book: {exc}")
    market = {key: scenario[name] / scale for name, (key, scale) in _MARKET_INPUTS.items()
              if name in present}
    if market:
        set_market(market)
    return problems


# -- the sidebar of a page with scenarios (Streamlit) -----------------------------------------
# A page keeps its own keys under its prefix: ``<prefix>upload`` (the uploader),
# ``<prefix>note`` (what the last upload did), ``<prefix>write_link`` (write the URL on the
# next run) and ``<prefix>link_problems`` (what the link on arrival could not give).


def load_uploaded(schema: ScenarioSchema, prefix: str, apply: Any) -> None:
    """Uploader callback: read the file with ``schema`` and hand it to ``apply``.

    ``apply(scenario, present)`` loads the inputs into the page's state and returns a list
    of problems met (empty when all went in); it may raise ``HedgeLibError``. The outcome is
    left in ``<prefix>note`` for :func:`show_scenario_messages`.
    """
    ss = st.session_state
    file = ss.get(prefix + "upload")
    if file is None:
        return
    try:
        scenario = schema.from_json(file.getvalue())
        problems = apply(scenario, set(scenario)) or []
    except HedgeLibError as exc:  # ScenarioError, or a book or source the app refuses
        ss[prefix + "note"] = ("error", f"Could not load {file.name}: {exc}")
        return
    if problems:
        ss[prefix + "note"] = ("error", f"Loaded {file.name}, except: " + "; ".join(problems))
    else:
        ss[prefix + "note"] = ("success", f"Loaded the scenario from {file.name} and ran it.")
    ss[prefix + "write_link"] = True


def read_link_once(schema: ScenarioSchema, prefix: str, apply: Any, params: Mapping[str, Any]) -> None:
    """On a session's first visit: load the link's inputs with ``apply`` and keep the problems.

    ``apply(scenario, present)`` as for :func:`load_uploaded`; ``present`` holds only the
    inputs the link carried. The problems go to ``<prefix>link_problems``.
    """
    found, problems = schema.from_query_params(params)
    problems += apply(schema.complete(found), set(found)) or []
    st.session_state[prefix + "link_problems"] = problems


def show_scenario_messages(prefix: str) -> None:
    """Show, once, the link's ignored settings and the outcome of the last upload."""
    ss = st.session_state
    if ss.get(prefix + "link_problems"):
        st.warning("Some settings in the link were ignored: " + "; ".join(ss[prefix + "link_problems"]))
        ss[prefix + "link_problems"] = []
    if prefix + "note" in ss:
        level, text = ss.pop(prefix + "note")
        (st.error if level == "error" else st.success)(text)


def scenario_sidebar(schema: ScenarioSchema, scenario: Mapping[str, Any], *, prefix: str,
                     file_name: str, caption: str, apply: Any) -> None:
    """Draw the sidebar's Scenario section: a caption, the download and the upload buttons."""
    with st.sidebar:
        st.header("Scenario")
        st.caption(caption)
        st.download_button("Download scenario (JSON)", schema.to_json(scenario), file_name=file_name,
                           mime="application/json", on_click="ignore", key=prefix + "download_scenario")
        st.file_uploader("Upload scenario (JSON)", type=["json"], key=prefix + "upload",
                         on_change=load_uploaded, args=(schema, prefix, apply))


def write_link(schema: ScenarioSchema, scenario: Mapping[str, Any], prefix: str, *, always: bool = False) -> None:
    """Put the scenario's non-default inputs in the URL when the page asked for it (or always)."""
    if st.session_state.pop(prefix + "write_link", False) or always:
        st.query_params.from_dict(schema.to_query_params(scenario))
