"""Forms: one declaration of an input, and the widgets of the library's registries.

Every input of every page is declared once as a :class:`Field`, the library's own
:class:`hedgelib.registry.Parameter` (name, label, default in display units, unit, bounds,
step, help, key, choices): the parameters of the registered parts (market models,
strategies, rules, cost models) are Fields already, the inputs of the scenario pages come
from :mod:`hedgelib.scenario`, and a page declares the rest with :func:`field`.

The registry-driven widgets take their choices and parameters from the registries **when
they are drawn**: a part registered with one class and one registry line is a choice of every
page that offers its kind, and its parameters are inputs, with no page touched.

- :func:`registry_inputs` draws the select of a registry's entries (with their labels) and
  the number inputs of their parameters, each key once, under the page's widget prefix;
- :func:`registry_column` is the same select as a column of a ``st.data_editor``;
- :func:`draw` draws one Field (number, select, text or checkbox from its declaration);
- :func:`restore` and :func:`values` move a page's inputs between session state and the
  plain dict of its last run.

Widget keys are the page's prefix plus the input's key (``hl_rule``, ``rc_every_n``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any

import streamlit as st

from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.setup import STRATEGIES
from hedgelib.registry import Parameter
from hedgelib.scenario import HEDGE_OPTION_INPUTS, REGISTRIES, page_input, uses_option

__all__ = [
    "Field",
    "count_input",
    "draw",
    "draw_all",
    "page_input",
    "hedge_option_inputs",
    "labels",
    "number_input",
    "parameter_column",
    "parse_count",
    "registry_column",
    "registry_inputs",
    "restore",
    "values",
]

#: The one declaration of an input (see the module notes).
Field = Parameter


def labels(kind: str) -> Callable[[Any], str]:
    """Option labels of the registry behind ``kind`` (``"model"``, ``"strategy"``, ``"rule"``,
    ``"costs"``); a name no longer registered shows as itself."""
    registry = REGISTRIES[kind]
    return lambda name: registry[name].label if (name in registry) else str(name)


def number_input(f: Field, key: str, container: Any = st, *, disabled: bool = False,
                 help: str | None = None) -> Any:
    """A number input drawn from a Field (whole numbers stay whole); returns its value."""
    integer = f.is_integer
    cast = int if integer else float
    return container.number_input(
        f.label, key=key, help=help or f.help or None, disabled=disabled,
        min_value=None if f.low is None else cast(f.low),
        max_value=None if f.high is None else cast(f.high),
        step=None if f.step is None else cast(f.step),
        format=None if integer else "%g",
    )


# Widget key -> message, for each count input whose text did not give an allowed count.
INVALID_COUNTS = "forms_invalid_counts"


def is_count(f: Field) -> bool:
    """Counts (``n_paths``, ``n_steps``) run to hundreds of thousands and people type them
    "2e5" or "200,000": an integer number input keeps only what precedes the "e" or the
    comma, so counts are typed as text and parsed here."""
    return f.is_integer and (f.key or f.name).startswith("n_")


def parse_count(text: Any, f: Field) -> int:
    """The whole number in ``text`` ("200000", "200,000", "2e5"), within the Field's bounds;
    else ``HedgeLibError`` naming the Field's label, what was typed and the bound.

    >>> parse_count("2e5", Field("n_paths", "Paths", 10, low=1, high=1_000_000))
    200000
    """
    typed = str(text).strip()
    try:
        x = float(re.sub(r"[\s,_']", "", typed))
    except ValueError:
        x = math.nan
    if math.isnan(x) or (math.isfinite(x) and not x.is_integer()):
        raise HedgeLibError(f"{f.label}: {typed!r} is not a whole number; type e.g. 200000, "
                            "200,000 or 2e5.")
    if f.high is not None and x > f.high:
        shown = f"{x:,.0f}" if math.isfinite(x) else "too large"
        raise HedgeLibError(f"{f.label}: {typed} ({shown}) is above the largest allowed, {int(f.high):,}.")
    if f.low is not None and x < f.low:
        raise HedgeLibError(f"{f.label}: {typed} ({x:,.0f}) is below the smallest allowed, {int(f.low):,}.")
    return int(x)


def count_input(f: Field, key: str, container: Any = st) -> int:
    """A count typed as text (see :func:`is_count`); returns the last allowed count.

    ``st.session_state[key]`` keeps the count as an int, as for any other input; the text
    sits under ``key + "_text"``. A text that gives no allowed count shows its error under
    the field and is recorded, so that :func:`values` refuses to run with it.
    """
    ss = st.session_state
    text_key, shown_key = key + "_text", key + "_shown"
    current = ss.get(key, f.default)
    invalid = ss.setdefault(INVALID_COUNTS, {})
    if text_key not in ss or ss.get(shown_key) != current:
        # Set elsewhere (a restore, a link, a scenario file) or never shown: show it.
        ss[text_key], ss[shown_key] = str(current), current
        invalid.pop(key, None)
    bounds = " to ".join(f"{int(b):,}" for b in (f.low, f.high) if b is not None)
    hint = f"A whole number{f' from {bounds}' if bounds else ''}; 200000, 200,000 and 2e5 all work."
    text = container.text_input(f.label, key=text_key, help=f"{f.help} {hint}".strip())
    try:
        n = parse_count(text, f)
    except HedgeLibError as exc:
        invalid[key] = str(exc)
        container.error(str(exc))
        return current
    invalid.pop(key, None)
    ss[key] = ss[shown_key] = n
    return n


def draw(f: Field, key: str, container: Any = st, *, option_labels: Any = None,
         radio: bool = False, disabled: bool = False, help: str | None = None) -> Any:
    """The widget of a Field: a select (or radio) for choices, a checkbox, a text or a number
    input; returns its value. ``option_labels`` is a mapping or a function giving each
    choice's label; ``help`` replaces the Field's own (say why an input is ``disabled``)."""
    shown_help = help or f.help or None
    if f.choices is not None:
        fmt = option_labels.get if isinstance(option_labels, Mapping) else option_labels
        widget = container.radio if radio else container.selectbox
        return widget(f.label, list(f.choices), key=key, help=shown_help, format_func=fmt or str,
                      disabled=disabled)
    if isinstance(f.default, bool):
        return container.checkbox(f.label, key=key, help=shown_help, disabled=disabled)
    if isinstance(f.default, str):
        return container.text_input(f.label, key=key, help=shown_help, disabled=disabled)
    if is_count(f):
        return count_input(f, key, container)
    return number_input(f, key, container, disabled=disabled, help=help)


def draw_all(fields: Mapping[str, Field], names: Iterable[str], prefix: str,
             container: Any = st) -> None:
    """Several Fields one under the other."""
    for name in names:
        draw(fields[name], prefix + name, container)


def _choose(kind: str, f: Field, key: str, container: Any) -> None:
    if len(REGISTRIES[kind]) < 2:
        return  # one choice is no choice: its parameters still show
    draw(f, key, container, option_labels=labels(kind))


def registry_inputs(
    kind: str,
    fields: Mapping[str, Field],
    prefix: str,
    container: Any = st,
    *,
    main: Iterable[str] = (),
    group: bool = True,
    titles: Mapping[str, str] | None = None,
    select: bool = True,
    params: bool = True,
) -> None:
    """The select of a registry's entries and the inputs of their parameters.

    Parameters
    ----------
    kind : {"model", "strategy", "rule", "costs"}
        Which registry (:data:`hedgelib.scenario.REGISTRIES`); ``fields[kind]`` declares the
        select (its label, help, default). The select is left out when one part is
        registered.
    fields : mapping of str to Field
        The page's inputs: a parameter is drawn when the page declares its key (so a page
        can leave some out, or override their bounds).
    prefix : str
        The page's widget prefix.
    main : iterable of str
        Parameter keys drawn first, outside any group (the page's main controls).
    group : bool, default True
        Draw a key that several parts share once, at the top, and the keys of one part in an
        expander named after it (``titles`` may rename it); False draws every key in line.
    select, params : bool, default True
        Draw the select, the parameters (a page may put them in two places).
    """
    registry = REGISTRIES[kind]
    if select:
        _choose(kind, fields[kind], prefix + kind, container)
    if not params:
        return
    keys = {name: [p.key for p in e.parameters if p.key in fields] for name, e in registry.items()}
    drawn: set[str] = set()

    def put(key: str, where: Any) -> None:
        if key not in drawn:
            drawn.add(key)
            draw(fields[key], prefix + key, where)

    for key in main:
        put(key, container)
    shared = Counter(k for ks in keys.values() for k in set(ks))
    for ks in keys.values():
        for key in ks:
            if not group or shared[key] > 1:
                put(key, container)
    for name, ks in keys.items():
        own = [k for k in ks if k not in drawn]
        if own:
            with container.expander((titles or {}).get(name) or f"{registry[name].label}: parameters"):
                for key in own:
                    put(key, st)


def hedge_option_inputs(fields: Mapping[str, Field], prefix: str, container: Any = st) -> None:
    """The hedge option's inputs in an expander named after the strategies that trade one."""
    using = [name for name in STRATEGIES if uses_option(name)]
    with container.expander(f"Hedge option ({', '.join(using) or 'no strategy uses one'})"):
        draw_all(fields, HEDGE_OPTION_INPUTS, prefix)


def registry_column(kind: str, label: str, help: str) -> Any:
    """A ``st.data_editor`` column choosing one of a registry's entries, shown by label."""
    return st.column_config.SelectboxColumn(
        label, options=list(REGISTRIES[kind]), format_func=labels(kind), required=True, help=help,
    )


def parameter_column(f: Field) -> Any:
    """A ``st.data_editor`` number column of a Field (its label, bounds and help)."""
    return st.column_config.NumberColumn(f.label, format="%g", min_value=f.low, max_value=f.high,
                                         help=f.help or None)


def restore(prefix: str, fields: Mapping[str, Field], saved: Mapping[str, Any],
            state: MutableMapping[str, Any] | None = None) -> None:
    """Give each widget that has no state its value from ``saved`` (else its default), and
    reset a choice that is no longer offered (a part unregistered since) to the default.

    Streamlit drops a page's widget state when the user leaves the page; pages keep their
    inputs in a plain dict and restore the widgets from it with this.
    """
    ss = st.session_state if state is None else state
    for name, f in fields.items():
        key = prefix + name
        if key not in ss:
            ss[key] = saved.get(name, f.default)
        if f.choices is not None and ss[key] not in f.choices:
            ss[key] = f.default if f.default in f.choices else f.choices[0]


def values(prefix: str, fields: Iterable[str], state: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The page's inputs as typed, by name, from the widgets' state.

    A count typed out of bounds (or not a number) stops the page with its message: nothing
    runs on the last allowed value behind the user's back.
    """
    ss = st.session_state if state is None else state
    names = list(fields)
    refused = [msg for key, msg in ss.get(INVALID_COUNTS, {}).items()
               if key.startswith(prefix) and key[len(prefix):] in names]
    if refused:
        st.error("Not run: " + " ".join(refused))
        st.stop()
    return {name: ss[prefix + name] for name in names}
