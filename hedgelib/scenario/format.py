"""The scenario format: a page's inputs as plain data, to and from links and JSON files.

A :class:`ScenarioSchema` declares a page's inputs once (defaults, which fix their types,
choices, bounds, and aliases for values that were renamed) and converts scenarios to and from
query parameters and JSON files; a bad file raises :class:`ScenarioError` naming the input and
the value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hedgelib.conventions import HedgeLibError
from hedgelib.registry import Parameter

__all__ = [
    "SCENARIO_FORMAT",
    "ScenarioError",
    "ScenarioSchema",
]


#: Marker written into every scenario file: a JSON file from elsewhere is refused by name.
SCENARIO_FORMAT = "hedge-lab-scenario"


_TYPES = (bool, int, float, str, dict)


_TRUE = ("true", "1", "yes", "on")


_FALSE = ("false", "0", "no", "off")


class ScenarioError(HedgeLibError):
    """A scenario (link or file) that cannot be read: the message names the input and value."""


def _too_much(exc: BaseException) -> str:
    """Why ``json.loads`` gave up on valid-looking JSON."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return f"a number too long to read: {str(exc)[:60]}"


def _type_name(kind: type) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text",
            dict: "a JSON object"}[kind]


@dataclass(frozen=True)
class ScenarioSchema:
    """The inputs of one page: names, defaults (and so types), choices, bounds and aliases.

    Parameters
    ----------
    page : str
        Name of the page the scenarios belong to, written into and checked in JSON files.
    defaults : mapping of str to bool, int, float, str or dict
        Every input and its default value; the default's type is the input's type.
    choices : mapping of str to tuple, optional
        Allowed values of ``str`` (or other) inputs.
    bounds : mapping of str to (low, high), optional
        Inclusive bounds of numeric inputs (``None`` for an open end). Pages keep them equal
        to their widgets' ``min_value`` and ``max_value``, so a loaded scenario always fits
        the widgets.
    aliases : mapping of str to mapping, optional
        Old values of an input and the values they now stand for (``{"rule": {"band":
        "delta_band"}}``), so that links and files written before a rename keep loading.
    version : int, default 1
        Format version written into JSON files; files of this version or older are read.

    Examples
    --------
    >>> schema = ScenarioSchema("demo", {"model": "GBM", "vol_pct": 20.0, "n_paths": 1000},
    ...                         choices={"model": ("GBM", "Heston")},
    ...                         bounds={"vol_pct": (0.0, 300.0)})
    >>> schema.to_query_params({"model": "Heston", "vol_pct": 20.0, "n_paths": 500})
    {'model': 'Heston', 'n_paths': '500'}
    >>> schema.from_query_params({"vol_pct": "25.5", "n_paths": "many"})
    ({'vol_pct': 25.5}, ["n_paths: must be a whole number, got 'many'"])
    """

    page: str
    defaults: Mapping[str, Any]
    choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    bounds: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    version: int = 1
    aliases: Mapping[str, Mapping[Any, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value in self.defaults.items():
            if not isinstance(value, _TYPES):
                raise HedgeLibError(
                    f"defaults[{name!r}] must be a bool, int, float, str or dict, got {value!r}"
                )
        for name in (*self.choices, *self.bounds, *self.aliases):
            if name not in self.defaults:
                raise HedgeLibError(
                    f"choices, bounds and aliases must name inputs with a default, got {name!r}"
                )
        object.__setattr__(self, "defaults", dict(self.defaults))

    @classmethod
    def from_fields(
        cls,
        page: str,
        fields: Mapping[str, Parameter],
        *,
        extra: Mapping[str, Any] | None = None,
        extra_bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
        extra_choices: Mapping[str, tuple[Any, ...]] | None = None,
        aliases: Mapping[str, Mapping[Any, Any]] | None = None,
        version: int = 1,
    ) -> ScenarioSchema:
        """The schema of a page whose inputs are ``fields`` (keyed by input name), plus
        ``extra`` inputs with no widget of their own (the book, the market...)."""
        return cls(
            page=page,
            defaults={**{k: f.default for k, f in fields.items()}, **(extra or {})},
            choices={**{k: tuple(f.choices) for k, f in fields.items() if f.choices is not None},
                     **(extra_choices or {})},
            bounds={**{k: (f.low, f.high) for k, f in fields.items()
                       if f.low is not None or f.high is not None}, **(extra_bounds or {})},
            version=version,
            aliases={k: v for k, v in (aliases or {}).items() if k in fields or k in (extra or {})},
        )

    # -- one value -----------------------------------------------------------------------

    def coerce(self, name: str, value: Any) -> Any:
        """``value`` as the type of input ``name``, checked against its choices and bounds.

        Raises
        ------
        ScenarioError
            Unknown input, wrong type, a value outside the choices or the bounds.
        """
        if name not in self.defaults:
            known = ", ".join(sorted(self.defaults))
            raise ScenarioError(f"unknown input {name!r}; this page's inputs are: {known}")
        kind = type(self.defaults[name])
        bad = ScenarioError(f"{name}: must be {_type_name(kind)}, got {value!r}")
        if kind is bool:
            if not isinstance(value, bool):
                raise bad
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad
            if isinstance(value, float):
                if not value.is_integer():
                    raise bad
                value = int(value)
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad
            value = float(value)
            if not math.isfinite(value):
                raise ScenarioError(f"{name}: must be a finite number, got {value!r}")
        elif kind is str:
            if not isinstance(value, str):
                raise bad
        elif not isinstance(value, dict):
            raise bad
        if not isinstance(value, dict):
            value = self.aliases.get(name, {}).get(value, value)
        options = self.choices.get(name)
        if options is not None and value not in options:
            raise ScenarioError(
                f"{name}: must be one of {', '.join(map(repr, options))}, got {value!r}"
            )
        low, high = self.bounds.get(name, (None, None))
        if (low is not None and value < low) or (high is not None and value > high):
            raise ScenarioError(
                f"{name}: must lie in [{'-inf' if low is None else low}, "
                f"{'inf' if high is None else high}], got {value!r}"
            )
        return value

    def complete(self, scenario: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overridden by ``scenario``, every value checked (raises ScenarioError)."""
        out = dict(self.defaults)
        for name, value in scenario.items():
            out[name] = self.coerce(name, value)
        return out

    # -- query parameters ------------------------------------------------------------------

    def to_query_params(self, scenario: Mapping[str, Any]) -> dict[str, str]:
        """Query parameters (text) for the inputs of ``scenario`` that differ from the defaults.

        Examples
        --------
        >>> ScenarioSchema("p", {"on": False, "x": 1.0}).to_query_params({"on": True, "x": 0.1})
        {'on': 'true', 'x': '0.1'}
        """
        out: dict[str, str] = {}
        for name, value in self.complete(scenario).items():
            if value == self.defaults[name]:
                continue
            if isinstance(value, bool):
                out[name] = "true" if value else "false"
            elif isinstance(value, float):
                out[name] = repr(value)
            elif isinstance(value, dict):
                out[name] = json.dumps(value, separators=(",", ":"), sort_keys=True)
            else:
                out[name] = str(value)
        return out

    def _parse_text(self, name: str, text: str) -> Any:
        kind = type(self.defaults[name])
        shown = text if len(text) <= 80 else text[:77] + "..."  # a link may carry megabytes
        if kind is bool:
            low = text.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ScenarioError(f"{name}: must be true or false, got {shown!r}")
        if kind in (int, float):
            try:
                number = float(text)
            except ValueError:
                raise ScenarioError(f"{name}: must be {_type_name(kind)}, got {shown!r}") from None
            if kind is int:
                if not number.is_integer():
                    raise ScenarioError(f"{name}: must be a whole number, got {shown!r}")
                number = int(number)
            return self.coerce(name, number)
        if kind is dict:
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ScenarioError(f"{name}: must be a JSON object, got {shown!r} ({exc.msg})") from None
            except (ValueError, RecursionError) as exc:  # nested too deep, or an integer too long
                raise ScenarioError(f"{name}: must be a JSON object, got {shown!r} ({_too_much(exc)})") from None
            return self.coerce(name, value)
        return self.coerce(name, text)

    def from_query_params(self, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Read the inputs present in ``params``; skip and report the ones that do not parse.

        Parameters
        ----------
        params : mapping of str to str (or list of str)
            ``st.query_params`` or a plain dict; a repeated parameter counts by its last value.
            Parameters that are not inputs of this page are ignored silently (other tools add
            their own).

        Returns
        -------
        (dict, list of str)
            The valid inputs found, typed; and one message per parameter ignored.
        """
        found: dict[str, Any] = {}
        problems: list[str] = []
        for name in self.defaults:
            if name not in params:
                continue
            raw = params[name]
            if isinstance(raw, list | tuple):
                if not raw:
                    continue
                raw = raw[-1]
            try:
                found[name] = self._parse_text(name, str(raw))
            except ScenarioError as exc:
                problems.append(str(exc))
        return found, problems

    # -- JSON files --------------------------------------------------------------------------

    def to_json(self, scenario: Mapping[str, Any]) -> str:
        """The complete scenario (defaults filled in) as indented JSON text."""
        doc = {
            "format": SCENARIO_FORMAT,
            "page": self.page,
            "version": self.version,
            "inputs": self.complete(scenario),
        }
        return json.dumps(doc, indent=2, sort_keys=False)

    def from_json(self, data: str | bytes) -> dict[str, Any]:
        """Read a scenario file: every input of the page, defaults where the file is silent.

        Raises
        ------
        ScenarioError
            Not UTF-8 or not JSON (with the line and column), not a scenario of this page,
            an unknown input, or a value of the wrong type or out of range (naming it).

        Examples
        --------
        >>> s = ScenarioSchema("p", {"x": 1.0, "n": 2})
        >>> s.from_json(s.to_json({"x": 0.5}))
        {'x': 0.5, 'n': 2}
        >>> s.from_json('{"format": "hedge-lab-scenario", "page": "p", "inputs": {"n": 1.5}}')
        Traceback (most recent call last):
        ...
        hedgelib.scenario.format.ScenarioError: scenario file: n: must be a whole number, got 1.5
        """
        if isinstance(data, bytes | bytearray):
            try:
                data = bytes(data).decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ScenarioError("scenario file: not a text file (it is not UTF-8)") from None
        try:
            doc = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ScenarioError(
                f"scenario file: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            ) from None
        except (ValueError, RecursionError) as exc:
            raise ScenarioError(f"scenario file: not a scenario ({_too_much(exc)})") from None
        if not isinstance(doc, dict) or doc.get("format") != SCENARIO_FORMAT:
            raise ScenarioError(
                f"scenario file: not a Hedge Lab scenario (expected a JSON object with "
                f'"format": "{SCENARIO_FORMAT}"); download one from the page to see the layout'
            )
        if doc.get("page") != self.page:
            raise ScenarioError(
                f"scenario file: it is a scenario for page {doc.get('page')!r}, not {self.page!r}"
            )
        version = doc.get("version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or version > self.version:
            raise ScenarioError(
                f"scenario file: version {version!r} is newer than this app reads ({self.version})"
            )
        inputs = doc.get("inputs")
        if not isinstance(inputs, dict):
            raise ScenarioError(f'scenario file: "inputs" must be a JSON object, got {inputs!r}')
        try:
            return self.complete(inputs)
        except ScenarioError as exc:
            raise ScenarioError(f"scenario file: {exc}") from None
