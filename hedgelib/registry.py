"""Registries: one table per kind of part (market model, strategy, rule, cost model).

A part is a frozen dataclass whose user-facing arguments are declared with :func:`parameter`
(label, display unit, bounds, help). Registering it is one line::

    STRATEGIES.register("my-hedge", MyHedge)

and from then on every form of the app offers it, scenario files and links can name it, and
``simulate_hedge(..., strategy="my-hedge")`` finds it. Nothing here imports streamlit: the
declarations are plain data that a notebook can read as well as a page.

Display units
-------------
The library works in decimals and years; people type percent, basis points and days. A
parameter's ``unit`` says how its value is shown: ``""`` as is, ``"percent"`` (0.2 shown as
20), ``"bp"`` (1e-4 shown as 1), ``"days"`` (years shown as trading days), ``"vol_percent"``
(a variance shown as the volatility in percent, 0.04 shown as 20).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError

__all__ = ["UNITS", "Entry", "Parameter", "Registry", "from_display", "parameter", "to_display"]

UNITS: tuple[str, ...] = ("", "percent", "bp", "days", "vol_percent")
_SCALE = {"percent": 100.0, "bp": 1e4, "days": float(TRADING_DAYS_PER_YEAR)}


def to_display(value: float, unit: str) -> float:
    """A library value in the unit people type (see the module notes)."""
    if unit == "vol_percent":
        return 100.0 * math.sqrt(value)
    return value * _SCALE[unit] if unit else value


def from_display(value: float, unit: str) -> float:
    """The library value of a typed one (inverse of :func:`to_display`)."""
    if unit == "vol_percent":
        return (value / 100.0) ** 2
    return value / _SCALE[unit] if unit else value


@dataclass(frozen=True)
class Parameter:
    """How one argument of a part is shown, bounded and named in scenarios.

    ``default``, ``low`` and ``high`` are in display units (what a person types); ``key`` is
    the name of the input in a page's form and in scenario files.
    """

    name: str
    label: str
    default: Any
    unit: str = ""
    low: float | None = None
    high: float | None = None
    step: float | None = None
    help: str = ""
    key: str = ""
    choices: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise HedgeLibError(f"unit must be one of {UNITS}, got {self.unit!r}")

    @property
    def is_integer(self) -> bool:
        return isinstance(self.default, int) and not isinstance(self.default, bool)

    def to_library(self, value: Any) -> Any:
        """The typed value in library units."""
        if self.choices is not None or isinstance(value, bool | str):
            return value
        if self.is_integer:
            return int(value)
        return from_display(float(value), self.unit)


def parameter(
    default: Any,
    label: str,
    *,
    unit: str = "",
    low: float | None = None,
    high: float | None = None,
    step: float | None = None,
    help: str = "",
    key: str = "",
    choices: tuple[Any, ...] | None = None,
    shown: Any = None,
) -> Any:
    """A dataclass field of a part that forms show: ``default`` in library units.

    ``shown`` is the default a form starts from, in display units, when it differs from the
    library default converted (e.g. a required argument with no library default).
    """
    meta = {"label": label, "unit": unit, "low": low, "high": high, "step": step, "help": help,
            "key": key, "choices": choices, "shown": shown}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata={"parameter": meta})
    return dataclasses.field(default=default, metadata={"parameter": meta})


def _shown(default: Any, meta: Mapping[str, Any]) -> Any:
    """The form's starting value of a declared field, in display units."""
    if meta["shown"] is not None:
        return meta["shown"]
    if meta["choices"] is not None or isinstance(default, bool | str | int):
        return default
    return to_display(float(default), meta["unit"])


def _declared(cls: type) -> tuple[Parameter, ...]:
    if not dataclasses.is_dataclass(cls):
        return ()
    out = []
    for f in dataclasses.fields(cls):
        meta = f.metadata.get("parameter")
        if meta is None:
            continue
        if f.default is dataclasses.MISSING and meta["shown"] is None:
            raise HedgeLibError(
                f"{cls.__name__}.{f.name} has no default: declare the form's starting value with "
                "parameter(..., shown=...)"
            )
        out.append(Parameter(
            name=f.name, label=meta["label"], default=_shown(f.default, meta), unit=meta["unit"],
            low=meta["low"], high=meta["high"], step=meta["step"], help=meta["help"],
            key=meta["key"], choices=meta["choices"],
        ))
    return tuple(out)


@dataclass(frozen=True)
class Entry:
    """One registered part: its name, label, how to build it and the parameters to ask for."""

    name: str
    label: str
    factory: Callable[..., Any]
    parameters: tuple[Parameter, ...]
    help: str = ""
    cls: type | None = None

    def build(self, values: Mapping[str, Any] | None = None, **fixed: Any) -> Any:
        """The part from parameter values in display units keyed by parameter name (missing
        ones take their defaults), plus ``fixed`` arguments in library units."""
        values = values or {}
        kwargs = {p.name: p.to_library(values.get(p.name, p.default)) for p in self.parameters}
        return self.factory(**kwargs, **fixed)


class Registry(Mapping[str, Entry]):
    """Name -> :class:`Entry` for one kind of part, in registration order.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> reg = Registry("rule")
    >>> @dataclass(frozen=True)
    ... class Daily:
    ...     label = "Every day"
    ...     n: int = parameter(1, "Interval (steps)", low=1)
    >>> _ = reg.register("daily", Daily)
    >>> reg["daily"].label, [p.key for p in reg["daily"].parameters]
    ('Every day', ['daily_n'])
    >>> reg["daily"].build({"n": 5})
    Daily(n=5)
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(
        self,
        name: str,
        factory: Callable[..., Any],
        *,
        label: str | None = None,
        parameters: tuple[Parameter, ...] | None = None,
        help: str | None = None,
    ) -> Callable[..., Any]:
        """Add a part; ``parameters`` default to the dataclass fields declared with
        :func:`parameter`, ``label`` and ``help`` to the class's ``label`` and docstring."""
        if not isinstance(name, str) or not name or name in self._entries:
            raise HedgeLibError(f"{self.kind} name must be new and non-empty, got {name!r}")
        cls = factory if isinstance(factory, type) else None
        params = _declared(factory) if parameters is None else tuple(parameters)
        params = tuple(dataclasses.replace(p, key=p.key or f"{name}_{p.name}") for p in params)
        doc = (getattr(factory, "__doc__", None) or "").strip().splitlines()
        self._entries[name] = Entry(
            name=name,
            label=label or getattr(factory, "label", None) or name,
            factory=factory,
            parameters=params,
            help=help if help is not None else (doc[0] if doc else ""),
            cls=cls,
        )
        return factory

    def unregister(self, name: str) -> None:
        """Remove a part (tests that register a toy one clean up with this)."""
        self._entries.pop(name, None)

    def __getitem__(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(repr(n) for n in self._entries)
            raise HedgeLibError(f"{self.kind} must be one of {known}, got {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def get(self, name: str, default: Any = None) -> Any:
        return self._entries.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def name_of(self, part: Any) -> str | None:
        """The registered name of a part's class, or None."""
        for entry in self._entries.values():
            if entry.cls is not None and type(part) is entry.cls:
                return entry.name
        return None
