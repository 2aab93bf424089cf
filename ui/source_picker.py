"""The data-source picker every page shares: real history or a simulated market.

A page calls :func:`pick_source` where the picker should appear (usually inside
``with st.sidebar:``) and gets a :class:`SourceChoice`. A page that only needs the source
the user already picked, without the widgets, calls :func:`current_source`.

Four kinds of source:

``bundled``
    Real daily index data shipped inside ``arch`` (S&P 500, NASDAQ, VIX, WTI), offline.
``yahoo``
    Any Yahoo Finance ticker, downloaded only when the user presses the button, cached.
``csv``
    A file the user uploads; its bytes are kept in session state so it survives page
    switches.
``model``
    A simulated market (GBM, Heston, Merton jumps, GARCH) with its parameters, optionally
    calibrated from the last history the user picked (GBM by moments, GARCH by maximum
    likelihood) on that history's date window.

The choice lives in ``st.session_state["source"]`` (:data:`SOURCE_KEY`) as plain data (see
:func:`default_source`); the uploaded file in :data:`CSV_KEY` and the last Yahoo download
in :data:`YAHOO_KEY`. A picker whose new choice cannot be used (no file yet, a bad file, a
failed download, a bad parameter) says why with ``st.error`` or ``st.info`` and keeps the
source in use until then, so the rest of the page keeps working.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from hedgelib.conventions import HedgeLibError
from hedgelib.market.calibrate import estimate_gbm, fit_garch, realised_volatility
from hedgelib.market.csv import MAX_CSV_BYTES, load_csv
from hedgelib.market.history import BUNDLED, PriceHistory, load_bundled
from hedgelib.market.models import GARCH, GBM, Heston, MarketModel, MertonJump
from hedgelib.market.yahoo import load_yahoo
from ui.units import from_percent, to_percent

__all__ = [
    "CSV_KEY",
    "KINDS",
    "MODELS",
    "SOURCE_KEY",
    "YAHOO_KEY",
    "SourceChoice",
    "build_choice",
    "calibrate",
    "current_source",
    "default_source",
    "describe_source",
    "fetch_yahoo",
    "get_source",
    "history_from_description",
    "load_bundled_cached",
    "model_from_description",
    "model_volatility",
    "parse_csv",
    "pick_source",
    "set_source",
    "show_source",
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

# Each model parameter: (library field, label, to widget, from widget, widget bounds, step, help).
# Volatilities are typed in vol points, variances as the volatility they imply.


@dataclass(frozen=True)
class _Param:
    field: str
    label: str
    to_widget: Callable[[float], float]
    from_widget: Callable[[float], float]
    low: float | None
    high: float | None
    step: float
    help: str = ""
    format: str = "%.2f"


def _vol_to_var(pct: float) -> float:
    return from_percent(pct) ** 2


def _var_to_vol(var: float) -> float:
    return to_percent(math.sqrt(max(var, 0.0)))


def _same(x: float) -> float:
    return float(x)


MODELS: dict[str, tuple[str, tuple[_Param, ...]]] = {
    "GBM": ("Geometric Brownian motion", (
        _Param("volatility", "Volatility (%)", to_percent, from_percent, 0.0, 500.0, 1.0,
               "Annualised volatility in vol points: 20 means 20% a year."),
    )),
    "Heston": ("Heston stochastic volatility", (
        _Param("v0", "Volatility today (%)", _var_to_vol, _vol_to_var, 0.0, 500.0, 1.0,
               "Instantaneous volatility today; the model's v0 is its square."),
        _Param("theta", "Long-run volatility (%)", _var_to_vol, _vol_to_var, 0.1, 500.0, 1.0,
               "Volatility the variance reverts to; the model's theta is its square."),
        _Param("kappa", "Mean reversion κ (per year)", _same, _same, 0.01, 50.0, 0.5,
               "Speed of reversion: a variance shock halves in ln 2 / κ years.", format="%.4f"),
        _Param("xi", "Vol of vol ξ", _same, _same, 0.01, 5.0, 0.05,
               "Volatility of the variance (decimal, per square-root year).", format="%.4f"),
        _Param("rho", "Correlation ρ", _same, _same, -1.0, 1.0, 0.05,
               "Correlation of price and variance shocks; negative gives the equity skew.", format="%.4f"),
    )),
    "MertonJump": ("Merton jump-diffusion", (
        _Param("volatility", "Diffusion volatility (%)", to_percent, from_percent, 0.0, 500.0, 1.0,
               "Volatility between jumps, in vol points."),
        _Param("jump_intensity", "Jumps per year λ", _same, _same, 0.0, 100.0, 0.5,
               "Expected number of jumps a year."),
        _Param("jump_mean", "Mean log jump (%)", to_percent, from_percent, -100.0, 100.0, 1.0,
               "Mean of the log jump Y in percent: -10 means a typical fall of about 9.5%."),
        _Param("jump_std", "Log jump std (%)", to_percent, from_percent, 0.0, 100.0, 1.0,
               "Standard deviation of the log jump Y, in percent."),
    )),
    "GARCH": ("GARCH(1,1)", (
        _Param("volatility", "Long-run volatility (%)", to_percent, from_percent, 0.1, 500.0, 1.0,
               "Unconditional volatility, annualised; sets omega = σ²/252 (1 - α - β)."),
        _Param("initial_volatility", "Volatility today (%)", to_percent, from_percent, 0.1, 500.0, 1.0,
               "Volatility of the first simulated day, annualised."),
        _Param("alpha", "α (reaction)", _same, _same, 0.0, 1.0, 0.01,
               "Weight of the last squared shock; α + β must stay below 1.", format="%.4f"),
        _Param("beta", "β (persistence)", _same, _same, 0.0, 1.0, 0.01,
               "Weight of the last variance; α + β must stay below 1.", format="%.4f"),
    )),
}

DEFAULT_PARAMS: dict[str, dict[str, float]] = {
    "GBM": {"volatility": 0.20},
    "Heston": {"v0": 0.04, "theta": 0.04, "kappa": 2.0, "xi": 0.5, "rho": -0.7},
    "MertonJump": {"volatility": 0.15, "jump_intensity": 0.5, "jump_mean": -0.10, "jump_std": 0.15},
    "GARCH": {"volatility": 0.20, "initial_volatility": 0.20, "alpha": 0.08, "beta": 0.90},
}

# Quick date windows for real data: (label, start, end); None leaves that end at the data's edge.
WINDOWS: dict[str, tuple[str | None, str | None]] = {
    "Whole history": (None, None),
    "2008 (financial crisis)": ("2008-01-01", "2008-12-31"),
    "2014-2018 (VIX available)": ("2014-01-01", "2018-12-31"),
    "2018": ("2018-01-01", "2018-12-31"),
}
CUSTOM = "Custom"
YAHOO_EARLIEST = dt.date(1970, 1, 1)


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
        "history": {"kind": "bundled", "key": "sp500", "ticker": "^GSPC", "filename": None,
                    "start": "2014-01-01", "end": "2018-12-31"},
        "model": {"name": "GBM", "spot": 100.0, "drift": 0.05,
                  "params": copy.deepcopy(DEFAULT_PARAMS), "calibrated": None},
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
        for name, values in params.items():
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


def model_volatility(model: MarketModel) -> float:
    """The model's long-run annualised volatility of log returns (decimal).

    GBM: ``sigma``; Heston: ``sqrt(theta)``; Merton: ``sqrt(sigma^2 + lambda (m^2 + s^2))``,
    the diffusion and the jumps together (Merton 1976); GARCH: ``sqrt(252 omega / (1 -
    alpha - beta))``.
    """
    if isinstance(model, GBM):
        return float(model.volatility)
    if isinstance(model, Heston):
        return math.sqrt(model.theta)
    if isinstance(model, MertonJump):
        jumps = model.jump_intensity * (model.jump_mean**2 + model.jump_std**2)
        return math.sqrt(model.volatility**2 + jumps)
    if isinstance(model, GARCH):
        return float(model.long_run_volatility)
    raise HedgeLibError(f"model must be GBM, Heston, MertonJump or GARCH, got {type(model).__name__}")


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
    """

    description: dict[str, Any]
    label: str
    history: PriceHistory | None = None
    model: MarketModel | None = None
    spot: float = math.nan
    volatility: float = math.nan
    warnings: tuple[str, ...] = field(default=())
    note: str = ""

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


def _iso(value: Any) -> str | None:
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
    p = model["params"][name]
    drift = float(model["drift"])
    if name == "GBM":
        return GBM(drift, p["volatility"])
    if name == "Heston":
        return Heston(drift, p["v0"], p["kappa"], p["theta"], p["xi"], p["rho"])
    if name == "MertonJump":
        return MertonJump(drift, p["volatility"], p["jump_intensity"], p["jump_mean"], p["jump_std"])
    if name == "GARCH":
        return GARCH.from_annualised(drift, p["volatility"], p["alpha"], p["beta"],
                                     initial_volatility=p["initial_volatility"])
    raise HedgeLibError(f"model must be one of {sorted(MODELS)}, got {name!r}")


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
            description=desc, label=f"Simulated {MODELS[m['name']][0]}", model=model,
            spot=spot, volatility=model_volatility(model), note=note,
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


def show_source(choice: SourceChoice, *, show_warnings: bool = True) -> None:
    """Say which source is in use (and, by default, the loader's warnings) on the page."""
    st.info("Source in use: " + describe_source(choice), icon=":material/database:")
    if show_warnings:
        for w in choice.warnings:
            st.warning(f"{choice.history.name if choice.history else 'Data'}: {w}")


# ---- calibration ------------------------------------------------------------------------


def calibrate(model_name: str, history: PriceHistory) -> tuple[dict[str, float], float]:
    """Parameters (library units, as in :data:`DEFAULT_PARAMS`) and drift fitted to ``history``.

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


# ---- the widgets ------------------------------------------------------------------------


def _keys(prefix: str) -> Callable[[str], str]:
    return lambda name: f"{prefix}src_{name}"


def _param_key(k: Callable[[str], str], model: str, fld: str) -> str:
    return k(f"{model}_{fld}")


def _set_model_widgets(ss: MutableMapping[str, Any], k: Callable[[str], str], model: dict[str, Any]) -> None:
    ss[k("spot")] = max(float(model["spot"]), 0.01)
    ss[k("drift_pct")] = min(max(to_percent(model["drift"]), -100.0), 100.0)
    for name, (_, params) in MODELS.items():
        for p in params:
            value = p.to_widget(model["params"][name][p.field])
            # A widget refuses a value outside its bounds: clamp (the note then says "edited").
            if p.low is not None:
                value = max(value, p.low)
            if p.high is not None:
                value = min(value, p.high)
            ss[_param_key(k, name, p.field)] = float(value)


def _restore_widgets(ss: MutableMapping[str, Any], k: Callable[[str], str], desc: dict[str, Any]) -> None:
    """Give missing widgets their value from the description: shared across pages, and
    restored after Streamlit drops a page's widget state on a page switch."""
    h, m = desc["history"], desc["model"]
    wanted: dict[str, Any] = {
        k("kind"): desc["kind"],
        k("bundled"): h["key"] if h.get("key") in BUNDLED else "sp500",
        k("ticker"): h.get("ticker") or "^GSPC",
        k("window"): next((label for label, (a, b) in WINDOWS.items()
                           if (a, b) == (h.get("start"), h.get("end"))), CUSTOM),
        k("model"): m["name"],
    }
    for key, value in wanted.items():
        if key not in ss:
            ss[key] = value
    if k("spot") not in ss:
        _set_model_widgets(ss, k, m)


def _clamp_window(ss: MutableMapping[str, Any], k: Callable[[str], str], full: PriceHistory,
                  history: dict[str, Any]) -> None:
    """Window widgets inside the data's range; the whole range if they do not overlap it."""
    lo, hi = full.first_date.date(), full.last_date.date()
    start = ss.get(k("start"))
    end = ss.get(k("end"))
    if start is None or end is None:
        start = pd.Timestamp(history["start"]).date() if history.get("start") else lo
        end = pd.Timestamp(history["end"]).date() if history.get("end") else hi
    if end < lo or start > hi:
        start, end = lo, hi
    ss[k("start")] = min(max(start, lo), hi)
    ss[k("end")] = min(max(end, lo), hi)
    # Name the window after the preset it matches on these data, else Custom.
    current = (ss[k("start")], ss[k("end")])
    ss[k("window")] = CUSTOM
    for label, (a, b) in WINDOWS.items():
        want = (pd.Timestamp(a).date() if a else lo, pd.Timestamp(b).date() if b else hi)
        if tuple(min(max(d, lo), hi) for d in want) == current:
            ss[k("window")] = label
            break


def _apply_window(prefix: str) -> None:
    ss = st.session_state
    k = _keys(prefix)
    label = ss[k("window")]
    if label == CUSTOM:
        return
    start, end = WINDOWS[label]
    # Unset ends fall back to the data's edges when the widgets are clamped.
    ss[k("start")] = pd.Timestamp(start).date() if start else dt.date(1900, 1, 1)
    ss[k("end")] = pd.Timestamp(end).date() if end else dt.date(2100, 1, 1)


def _window_widgets(k: Callable[[str], str], prefix: str, lo: dt.date, hi: dt.date) -> tuple[dt.date, dt.date]:
    st.selectbox("Date window", [CUSTOM, *WINDOWS], key=k("window"), on_change=_apply_window,
                 args=(prefix,), help="A quick window, or Custom to type the dates below.")
    start = st.date_input("From", min_value=lo, max_value=hi, key=k("start"),
                          format="YYYY-MM-DD")
    end = st.date_input("To", min_value=lo, max_value=hi, key=k("end"),
                        format="YYYY-MM-DD")
    return start, end


def _calibrate_callback(prefix: str) -> None:
    ss = st.session_state
    k = _keys(prefix)
    desc = get_source()
    name = ss[k("model")]
    ss.pop(k("calib_error"), None)
    try:
        _, hist = history_from_description(desc["history"])
        params, drift = calibrate(name, hist)
    except HedgeLibError as exc:
        ss[k("calib_error")] = f"Calibration: {exc}"
        return
    model = desc["model"]
    model["name"] = name
    model["params"][name].update(params)
    model["drift"] = drift
    model["spot"] = float(hist.prices.iloc[-1])
    label = f"{hist.name} from {hist.first_date.date()} to {hist.last_date.date()}, {len(hist) - 1:,} returns"
    model["calibrated"] = {"name": name, "label": label, "params": dict(params)}
    desc["kind"] = "model"
    set_source(desc)
    _set_model_widgets(ss, k, model)


def _history_panel(ss: MutableMapping[str, Any], k: Callable[[str], str], prefix: str,
                   kind: str, desc: dict[str, Any]) -> dict[str, Any] | None:
    """Widgets for a real-data source; the new description, or None (reason shown)."""
    h = dict(desc["history"])
    if kind == "bundled":
        key = st.selectbox("Series", list(BUNDLED), key=k("bundled"),
                           format_func=lambda x: BUNDLED[x].name,
                           help="Real daily closes shipped inside the arch package.")
        full = load_bundled_cached(key)
        st.caption(BUNDLED[key].description)
        h.update(kind="bundled", key=key)
    elif kind == "csv":
        dayfirst = st.checkbox("Dates are day/month (e.g. 31/01/2020)", key=k("csv_dayfirst"),
                               help="Only needed when every date reads both ways.")
        upload = st.file_uploader("CSV file: a date column and a close column", type=["csv", "txt"],
                                  key=k("csv"), max_upload_size=MAX_CSV_BYTES // 1_000_000)
        if upload is not None:
            data = upload.getvalue()
            kept = ss.get(CSV_KEY)
            new = kept is None or (kept["data"], kept["filename"], kept.get("dayfirst")) != (
                data, upload.name, dayfirst)
            if new:
                try:
                    parse_csv(data, upload.name, dayfirst)
                except HedgeLibError as exc:
                    st.error(f"CSV file {upload.name}: {exc}")
                    return None
                ss[CSV_KEY] = {"filename": upload.name, "data": data, "dayfirst": dayfirst}
                # A new file: show all of it first.
                ss.pop(k("start"), None)
                ss.pop(k("end"), None)
                h.update(start=None, end=None)
        kept = ss.get(CSV_KEY)
        if kept is None:
            st.info("Upload a CSV file of daily closes to use it.")
            return None
        if upload is None:
            st.caption(f"Using the file uploaded earlier: {kept['filename']}. Upload another to replace it.")
        full = parse_csv(kept["data"], kept["filename"], kept.get("dayfirst", False))
        h.update(kind="csv", filename=kept["filename"])
    else:  # yahoo
        ticker = st.text_input("Ticker", key=k("ticker"), help="e.g. AAPL, ^GSPC, BRK-B, EURUSD=X")
        today = dt.date.today()
        if k("y_start") not in ss:
            ss[k("y_start")] = pd.Timestamp(h.get("start") or "2014-01-01").date()
            ss[k("y_end")] = min(pd.Timestamp(h.get("end") or today).date(), today)
        start = st.date_input("From", min_value=YAHOO_EARLIEST, max_value=today, key=k("y_start"),
                              format="YYYY-MM-DD")
        end = st.date_input("To", min_value=YAHOO_EARLIEST, max_value=today, key=k("y_end"),
                            format="YYYY-MM-DD")
        if st.button("Download from Yahoo Finance", key=k("yahoo_go"), icon=":material/download:"):
            try:
                ss[YAHOO_KEY] = fetch_yahoo(ticker.strip().upper(), start.isoformat(), end.isoformat())
            except HedgeLibError as exc:
                st.error(f"Yahoo Finance: {exc}")
        got = ss.get(YAHOO_KEY)
        if got is None:
            st.info("Type a ticker and press the button: Yahoo is only called on request.")
            return None
        if got.name != ticker.strip().upper():
            st.caption(f"Loaded: {got.name}. Press the button to load {ticker.strip().upper()}.")
        h.update(kind="yahoo", ticker=got.name, start=_iso(got.first_date), end=_iso(got.last_date))
        return h

    _clamp_window(ss, k, full, h)
    start, end = _window_widgets(k, prefix, full.first_date.date(), full.last_date.date())
    h.update(start=_iso(start), end=_iso(end))
    try:
        full.between(h["start"], h["end"])
    except HedgeLibError as exc:
        st.error(f"Date window: {exc}")
        return None
    return h


def _model_panel(ss: MutableMapping[str, Any], k: Callable[[str], str], prefix: str,
                 desc: dict[str, Any]) -> dict[str, Any] | None:
    name = st.selectbox("Model", list(MODELS), key=k("model"), format_func=lambda x: MODELS[x][0])
    st.number_input("Spot today (currency)", min_value=0.01, step=1.0, key=k("spot"))
    st.number_input("Drift (% a year)", min_value=-100.0, max_value=100.0, step=1.0, key=k("drift_pct"),
                    help="Expected total return: E[S_T] = S_0 exp(drift T). Use the rate for "
                         "the pricing measure.")
    params = {}
    for p in MODELS[name][1]:
        value = st.number_input(p.label, min_value=p.low, max_value=p.high, step=p.step,
                                key=_param_key(k, name, p.field), help=p.help, format=p.format)
        params[p.field] = p.from_widget(value)
    hist = desc["history"]
    what = {"bundled": BUNDLED.get(hist.get("key"), BUNDLED["sp500"]).name,
            "yahoo": hist.get("ticker"), "csv": hist.get("filename")}.get(hist["kind"], "?")
    window = f"{hist.get('start') or 'start'} to {hist.get('end') or 'end'}"
    st.button(f"Calibrate from {what}, {window}", key=k("calibrate"), on_click=_calibrate_callback,
              args=(prefix,), disabled=name not in ("GBM", "GARCH"), icon=":material/tune:",
              help="GBM: drift and volatility from the moments of daily log returns. GARCH: "
                   "maximum likelihood (arch), simulated from the variance forecast for the "
                   "next day. Pick the history and its window under another source kind first.")
    if k("calib_error") in ss:
        st.error(ss[k("calib_error")])
    m = copy.deepcopy(desc["model"])
    m["name"] = name
    m["spot"] = float(ss[k("spot")])
    m["drift"] = from_percent(ss[k("drift_pct")])
    m["params"][name].update(params)
    return m


def pick_source(prefix: str) -> SourceChoice:
    """Draw the source picker in the current container and return the source in use.

    Parameters
    ----------
    prefix : str
        The calling page's widget-key prefix, e.g. ``"ul_"``: keys are ``<prefix>src_*``.
        Widgets start from the shared description, so every page shows the same choice.

    Returns
    -------
    SourceChoice
        The new choice when it can be used; otherwise the source in use before (the
        picker shows why with ``st.error`` or ``st.info``).
    """
    ss = st.session_state
    k = _keys(prefix)
    desc = get_source(ss)
    _restore_widgets(ss, k, desc)
    kind = st.radio("Source", list(KINDS), key=k("kind"), format_func=KINDS.get)
    new = copy.deepcopy(desc)
    ok = True
    if kind == "model":
        model = _model_panel(ss, k, prefix, desc)
        new.update(kind="model", model=model)
    else:
        hist = _history_panel(ss, k, prefix, kind, desc)
        if hist is None:
            ok = False
        else:
            new.update(kind=kind, history=hist)
    if ok:
        try:
            choice = build_choice(new, ss)
        except HedgeLibError as exc:
            st.error(f"{KINDS[kind]}: {exc}")
        else:
            set_source(new, ss)
            return choice
    previous = current_source(ss)
    st.caption(f"Still using: {previous.label}.")
    return previous
