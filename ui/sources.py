"""The data source every page shares, as plain data: real history or a simulated market.

Four kinds of source:

``bundled``
    Real daily index data shipped inside ``arch`` (S&P 500, NASDAQ, VIX, WTI), offline.
``yahoo``
    Any Yahoo Finance ticker, downloaded only when the user presses the button, cached.
``csv``
    A file the user uploads; its bytes are kept in session state so it survives page
    switches.
``model``
    A simulated market, one of the library's registered models
    (:data:`hedgelib.market.models.MODELS`) with its parameters, optionally calibrated from
    the last history the user picked (GBM by moments, GARCH by maximum likelihood) on that
    history's date window.

The choice lives in ``st.session_state["source"]`` (:data:`SOURCE_KEY`) as plain data (see
:func:`default_source`); the uploaded file in :data:`CSV_KEY` and the last Yahoo download
in :data:`YAHOO_KEY`. :func:`build_choice` turns a description into a :class:`SourceChoice`
(the loaded history, or the model); :func:`current_source` gives the one in use. The
widgets that change it are in :mod:`ui.source_picker`. A scenario carries only a bundled
series and its window (:func:`source_scenario`, :func:`apply_source`).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from hedgelib.conventions import HedgeLibError
from hedgelib.market.calibrate import estimate_gbm, fit_garch, realised_volatility
from hedgelib.market.csv import load_csv
from hedgelib.market.history import BUNDLED, PriceHistory, load_bundled
from hedgelib.market.models import MODELS, MarketModel
from hedgelib.market.yahoo import load_yahoo
from hedgelib.registry import Parameter
from hedgelib.scenario import DEFAULT_SERIES
from ui.units import to_percent

__all__ = [
    "CSV_KEY",
    "KINDS",
    "SOURCE_KEY",
    "YAHOO_KEY",
    "SourceChoice",
    "apply_source",
    "build_choice",
    "calibrate",
    "current_source",
    "dates_signature",
    "default_params",
    "default_source",
    "describe_source",
    "fetch_yahoo",
    "get_source",
    "history_from_description",
    "iso",
    "load_bundled_cached",
    "model_from_description",
    "model_parameters",
    "parse_csv",
    "parse_date",
    "set_source",
    "source_scenario",
]

SOURCE_KEY = "source"
CSV_KEY = "source_csv"
YAHOO_KEY = "source_yahoo"

KINDS: dict[str, str] = {
    "bundled": "Bundled real data (offline)",
    "yahoo": "Yahoo Finance ticker",
    "csv": "Upload a CSV",
    "model": "Simulated model",
}

# The models are the library's (hedgelib.market.models.MODELS), with their parameters. The
# drift is one input for every model (the description keeps it beside the parameters), and:
_SHARED = ("drift",)
# GARCH's volatility today, which calibration sets to the variance forecast for the day after
# the data. MODELS["GARCH"] does not declare it (yet), so the picker asks for it itself and
# passes it to the model as a fixed argument.
_EXTRA: dict[str, tuple[Parameter, ...]] = {
    "GARCH": (Parameter("initial_volatility", "GARCH: volatility today (%)", 20.0, unit="percent",
                        low=0.1, high=500.0, step=1.0, key="initial_volatility",
                        help="Volatility of the first simulated day, annualised."),),
}
# Starting values of the picker that differ from the registry's (library units).
_START = {"Merton": {"volatility": 0.15}}
# Names the models had in descriptions of earlier versions.
_RENAMED = {"MertonJump": "Merton"}


def model_parameters(name: str) -> tuple[Parameter, ...]:
    """The inputs of model ``name`` in the picker besides the shared drift."""
    return (*(p for p in MODELS[name].parameters if p.name not in _SHARED), *_EXTRA.get(name, ()))


def default_params() -> dict[str, dict[str, float]]:
    """Starting parameters of every registered model, library units, by parameter name."""
    return {name: {**{p.name: p.to_library(p.default) for p in model_parameters(name)},
                   **_START.get(name, {})} for name in MODELS}


def default_source() -> dict[str, Any]:
    """The plain-data description of the default source, the S&P 500 in 2014-2018.

    Keys: ``kind`` (one of :data:`KINDS`: which source is in use); ``history``, the last
    real-data choice (``kind``, bundled ``key``, Yahoo ``ticker``, CSV ``filename``, window
    ``start``/``end`` as ISO dates or None for the data's edge; for Yahoo the window is the
    download range); ``model``, the simulated market (``name``, ``spot``, annual ``drift``,
    ``params`` per model in library units, and ``calibrated``: None or a dict with
    ``label`` and the ``params`` the calibration produced).
    """
    return {
        "kind": "bundled",
        "history": {"kind": "bundled", "key": DEFAULT_SERIES["source"], "ticker": "^GSPC",
                    "filename": None, "start": DEFAULT_SERIES["source_start"],
                    "end": DEFAULT_SERIES["source_end"]},
        "model": {"name": "GBM", "spot": 100.0, "drift": 0.05, "params": default_params(),
                  "calibrated": None},
    }


def _state(state: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
    return st.session_state if state is None else state


def get_source(state: MutableMapping[str, Any] | None = None) -> dict[str, Any]:
    """A copy of the stored source description, filled with the defaults where missing."""
    stored = _state(state).get(SOURCE_KEY)
    out = default_source()
    if isinstance(stored, dict):
        out["kind"] = stored.get("kind", out["kind"]) if stored.get("kind") in KINDS else out["kind"]
        out["history"].update(copy.deepcopy(stored.get("history") or {}))
        model = copy.deepcopy(stored.get("model") or {})
        params = model.pop("params", {}) or {}
        out["model"].update(model)
        out["model"]["name"] = _RENAMED.get(out["model"]["name"], out["model"]["name"])
        if out["model"]["name"] not in MODELS:  # a model unregistered since
            out["model"]["name"] = "GBM"
        for name, values in params.items():
            name = _RENAMED.get(name, name)
            if name in out["model"]["params"]:
                out["model"]["params"][name].update(values)
    return out


def set_source(description: dict[str, Any], state: MutableMapping[str, Any] | None = None) -> None:
    """Store a source description (a deep copy, so later edits do not leak in)."""
    _state(state)[SOURCE_KEY] = copy.deepcopy(description)


# ---- cached loaders -------------------------------------------------------------------


@st.cache_data(max_entries=16, show_spinner=False)
def load_bundled_cached(key: str) -> PriceHistory:
    """The whole bundled series ``key`` (cached)."""
    return load_bundled(key)


@st.cache_data(max_entries=8, show_spinner=False)
def parse_csv(data: bytes, filename: str, dayfirst: bool = False) -> PriceHistory:
    """An uploaded CSV file's bytes as a validated ``PriceHistory`` (cached).

    Raises ``HedgeLibError`` naming the problem and the line (not cached).
    """
    return load_csv(_NamedBytes(data, filename), dayfirst=dayfirst)


class _NamedBytes:
    """Bytes with a file name, the shape ``load_csv`` reads from an upload."""

    def __init__(self, data: bytes, name: str) -> None:
        self._data = data
        self.name = name

    def getvalue(self) -> bytes:
        return self._data


@st.cache_data(max_entries=16, ttl=3600, show_spinner="Downloading from Yahoo Finance...")
def fetch_yahoo(ticker: str, start: str, end: str) -> PriceHistory:
    """Daily closes of ``ticker`` from Yahoo Finance, cached for an hour.

    Raises ``HedgeLibError`` (offline, unknown ticker, no data), which is never cached.
    """
    return load_yahoo(ticker, start, end)


# ---- the choice ----------------------------------------------------------------------


@dataclass(frozen=True)
class SourceChoice:
    """The source in use: a real price history, or a simulated market and its spot.

    Attributes
    ----------
    description : dict
        The plain-data description stored under :data:`SOURCE_KEY` (see
        :func:`default_source`).
    label : str
        One line naming the source, e.g. ``"S&P 500 (bundled (arch.data.sp500))"``.
    history : PriceHistory or None
        The closes in the chosen window, for a real-data source; None for a model.
    model : MarketModel or None
        The simulated market, for a model source.
    spot : float
        Price today: the last close of the history, or the model's starting spot.
    volatility : float
        Realised volatility of the history's log returns, or the model's long-run
        volatility (decimal, annualised).
    warnings : tuple of str
        Notes from the loader (cleaned rows, suspicious jumps, a stale cache).
    note : str
        For a model: where its parameters came from.
    problems : tuple of str
        Why the picker's latest choice could not be used (a bad file, a failed download, a
        bad date window); the source in use is then the one before.
    """

    description: dict[str, Any]
    label: str
    history: PriceHistory | None = None
    model: MarketModel | None = None
    spot: float = math.nan
    volatility: float = math.nan
    warnings: tuple[str, ...] = field(default=())
    note: str = ""
    problems: tuple[str, ...] = field(default=())

    @property
    def kind(self) -> str:
        return str(self.description["kind"])

    @property
    def is_simulated(self) -> bool:
        return self.model is not None

    @property
    def date_range(self) -> str:
        """``"2008-01-02 to 2008-12-31"`` for a history; ``"simulated"`` for a model."""
        if self.history is None:
            return "simulated"
        return f"{self.history.first_date.date()} to {self.history.last_date.date()}"


def iso(value: Any) -> str | None:
    """A date-like as ISO text (``"2018-01-31"``), None as None."""
    return None if value is None else pd.Timestamp(value).date().isoformat()


def history_from_description(
    history: dict[str, Any], state: MutableMapping[str, Any] | None = None
) -> tuple[PriceHistory, PriceHistory]:
    """The full series and its chosen window for a real-data description.

    Raises ``HedgeLibError`` when the data are not available (no upload kept, no Yahoo
    download yet) or the window holds fewer than two closes.
    """
    ss = _state(state)
    kind = history.get("kind")
    if kind == "bundled":
        full = load_bundled_cached(history["key"])
    elif kind == "csv":
        kept = ss.get(CSV_KEY)
        if not kept:
            raise HedgeLibError("no CSV file uploaded in this session")
        full = parse_csv(kept["data"], kept["filename"], kept.get("dayfirst", False))
    elif kind == "yahoo":
        full = ss.get(YAHOO_KEY)
        if full is None:
            raise HedgeLibError("nothing downloaded from Yahoo Finance in this session")
        return full, full  # the download range is the window
    else:
        raise HedgeLibError(f"history kind must be bundled, csv or yahoo, got {kind!r}")
    return full, full.between(history.get("start"), history.get("end"))


def model_from_description(model: dict[str, Any]) -> MarketModel:
    """The market model of a description's ``"model"`` part; raises ``HedgeLibError``."""
    name = model["name"]
    if name not in MODELS:
        raise HedgeLibError(f"model must be one of {', '.join(MODELS)}, got {name!r}")
    p = model["params"][name]
    # Library units already: the registry's factory, not Entry.build (which takes display units).
    return MODELS[name].factory(drift=float(model["drift"]),
                                **{q.name: p[q.name] for q in model_parameters(name)})


def _history_label(h: PriceHistory) -> str:
    return f"{h.name} ({h.source})"


def build_choice(
    description: dict[str, Any], state: MutableMapping[str, Any] | None = None
) -> SourceChoice:
    """The :class:`SourceChoice` a description stands for; raises ``HedgeLibError``."""
    desc = copy.deepcopy(description)
    if desc["kind"] == "model":
        m = desc["model"]
        model = model_from_description(m)
        spot = float(m["spot"])
        if not (math.isfinite(spot) and spot > 0):
            raise HedgeLibError(f"spot must be positive, got {spot!r}")
        cal = m.get("calibrated")
        note = "parameters typed by hand"
        if cal:
            edited = any(
                not math.isclose(m["params"][m["name"]].get(k, math.nan), v, rel_tol=1e-9, abs_tol=1e-12)
                for k, v in cal["params"].items()
            ) or cal.get("name") != m["name"]
            note = f"calibrated to {cal['label']}" + ("; edited since" if edited else "")
        return SourceChoice(
            description=desc, label=f"Simulated {MODELS[m['name']].label}", model=model,
            spot=spot, volatility=float(model.long_run_volatility), note=note,
        )
    _, hist = history_from_description(desc["history"], state)
    return SourceChoice(
        description=desc, label=_history_label(hist), history=hist,
        spot=float(hist.prices.iloc[-1]), volatility=float(realised_volatility(hist.prices)),
        warnings=hist.warnings,
    )


def current_source(state: MutableMapping[str, Any] | None = None) -> SourceChoice:
    """The source in use, without widgets; the default S&P 500 if the stored one is unusable."""
    try:
        return build_choice(get_source(state), state)
    except (HedgeLibError, KeyError, TypeError):
        return build_choice(default_source(), state)


def describe_source(choice: SourceChoice) -> str:
    """One markdown line: which source, its dates, its (realised) volatility."""
    if choice.is_simulated:
        return (
            f"**{choice.label}** from spot {choice.spot:,.2f}, drift "
            f"{to_percent(choice.description['model']['drift']):.2f}% a year, long-run volatility "
            f"**{to_percent(choice.volatility):.2f}%** ({choice.note})"
        )
    h = choice.history
    assert h is not None
    return (
        f"**{choice.label}**, {choice.date_range} ({len(h):,} closes), realised volatility "
        f"**{to_percent(choice.volatility):.2f}%** a year"
    )


# ---- the source in a scenario ----------------------------------------------------------


def parse_date(name: str, text: str) -> dt.date:
    """An ISO date of a scenario (``"2018-01-31"``); raises ``HedgeLibError`` naming it."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise HedgeLibError(f"{name}: must be a date like 2018-01-31, got {text!r}") from None


def _edges(key: str) -> tuple[str, str]:
    full = load_bundled_cached(key)
    return full.first_date.date().isoformat(), full.last_date.date().isoformat()


def source_scenario(description: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The scenario inputs naming the data source, and a note when the source cannot travel.

    A bundled series travels with its window (``source``, ``source_start``,
    ``source_end``); any other source (a CSV upload, a Yahoo download, a simulated model) is
    not there when someone else opens the link: it is replaced by the default bundled series
    (:data:`hedgelib.scenario.DEFAULT_SERIES`), and the note says so.
    """
    h = description.get("history", {})
    if description.get("kind") == "bundled" and h.get("key") in BUNDLED:
        lo, hi = _edges(h["key"])
        return {"source": h["key"], "source_start": h.get("start") or lo,
                "source_end": h.get("end") or hi}, None
    what = {"csv": "an uploaded CSV file", "yahoo": "a Yahoo Finance download",
            "model": "a simulated model"}.get(str(description.get("kind")), "this source")
    return dict(DEFAULT_SERIES), (
        f"The data in use, {what}, cannot travel in a link or a scenario file: they carry the "
        f"default bundled series ({BUNDLED[DEFAULT_SERIES['source']].name}, "
        f"{DEFAULT_SERIES['source_start']} to {DEFAULT_SERIES['source_end']}) instead."
    )


def apply_source(scenario: Mapping[str, Any], state: MutableMapping[str, Any], prefix: str) -> None:
    """Make the scenario's bundled series and window the shared source in use.

    The window is clamped to the data (as the picker would), and the picker's widgets under
    ``prefix`` are dropped so that it redraws from the new source. Raises ``HedgeLibError``
    for a date that does not parse or a window outside the data.
    """
    key = scenario["source"]
    lo, hi = _edges(key)
    dates, wrong = {}, []
    for name in ("source_start", "source_end"):  # both named when both are wrong
        try:
            dates[name] = parse_date(name, scenario[name]).isoformat()
        except HedgeLibError as exc:
            wrong.append(str(exc))
    if wrong:
        raise HedgeLibError("; ".join(wrong))
    start, end = dates["source_start"], dates["source_end"]
    start, end = min(max(start, lo), hi), min(max(end, lo), hi)  # ISO text sorts as dates
    load_bundled_cached(key).between(start, end)  # refuses an empty window, naming it
    desc = get_source(state)
    desc["kind"] = "bundled"
    desc["history"].update(kind="bundled", key=key, start=start, end=end)
    set_source(desc, state)
    for name in [k for k in state if str(k).startswith(prefix + "src_")]:
        del state[name]


def dates_signature(description: Mapping[str, Any]) -> str:
    """A key for the real data a description uses: when it changes, pages with dates move
    them to the new data."""
    return json.dumps(description.get("history", {}), sort_keys=True, default=str)


# ---- calibration ------------------------------------------------------------------------


def calibrate(model_name: str, history: PriceHistory) -> tuple[dict[str, float], float]:
    """Parameters (library units, as in :func:`default_params`) and drift fitted to ``history``.

    GBM: :func:`hedgelib.market.calibrate.estimate_gbm` (moments of log returns). GARCH:
    :func:`hedgelib.market.calibrate.fit_garch` then ``GarchFit.to_model()``, starting from
    the variance forecast for the day after the window. Raises ``HedgeLibError`` for other
    models or a failed fit.
    """
    if model_name == "GBM":
        gbm = estimate_gbm(history.prices)
        return {"volatility": gbm.volatility}, gbm.drift
    if model_name == "GARCH":
        garch = fit_garch(history.prices).to_model()
        params = {
            "volatility": garch.long_run_volatility,
            "initial_volatility": math.sqrt(garch.periods_per_year * garch.start_variance),
            "alpha": garch.alpha,
            "beta": garch.beta,
        }
        return params, garch.drift
    raise HedgeLibError(
        f"calibration from history is available for GBM and GARCH, not {model_name!r}"
    )
