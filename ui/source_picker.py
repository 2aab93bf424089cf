"""The data-source picker every page shares: real history or a simulated market.

A page calls :func:`pick_source` where the picker should appear (usually inside
``with st.sidebar:``) and gets a :class:`~ui.sources.SourceChoice`; :func:`show_source`
says on the page which source is in use. A page that only needs the source the user already
picked, without the widgets, calls :func:`ui.sources.current_source`.

The picker's widgets carry the calling page's prefix followed by ``src_`` (``ul_src_kind``,
``ul_src_start``, ``ul_src_GARCH_beta``, ...) and start from the shared description
(:mod:`ui.sources`), so every page shows the same choice. A new choice that cannot be used (no
file yet, a bad file, a failed download, a bad parameter) is explained with ``st.error`` or
``st.info``, and the source in use stays until then, so the rest of the page keeps working.
A simulated market offers every registered model and asks for its parameters
(:func:`ui.sources.model_parameters`).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Callable, MutableMapping
from typing import Any

import pandas as pd
import streamlit as st

from hedgelib.conventions import HedgeLibError
from hedgelib.market.csv import MAX_CSV_BYTES
from hedgelib.market.history import BUNDLED, PriceHistory
from hedgelib.market.models import MODELS
from hedgelib.registry import to_display
from ui import forms
from ui.sources import (
    CSV_KEY,
    KINDS,
    YAHOO_KEY,
    SourceChoice,
    build_choice,
    calibrate,
    current_source,
    describe_source,
    fetch_yahoo,
    get_source,
    history_from_description,
    iso,
    load_bundled_cached,
    model_parameters,
    parse_csv,
    set_source,
)
from ui.units import from_percent, to_percent

__all__ = ["pick_source", "show_source"]

# Quick date windows for real data: (label, start, end); None leaves that end at the data's edge.
WINDOWS: dict[str, tuple[str | None, str | None]] = {
    "Whole history": (None, None),
    "2008 (financial crisis)": ("2008-01-01", "2008-12-31"),
    "2014-2018 (VIX available)": ("2014-01-01", "2018-12-31"),
    "2018": ("2018-01-01", "2018-12-31"),
}
CUSTOM = "Custom"
YAHOO_EARLIEST = dt.date(1970, 1, 1)



def show_source(choice: SourceChoice, *, show_warnings: bool = True) -> None:
    """Say which source is in use (and, by default, the loader's warnings) on the page, and
    why the picker's latest choice could not be used: the picker sits in the sidebar, but
    people look at the page."""
    for problem in choice.problems:
        st.error(problem)
    st.info("Source in use: " + describe_source(choice), icon=":material/database:")
    if show_warnings:
        for w in choice.warnings:
            st.warning(f"{choice.history.name if choice.history else 'Data'}: {w}")



# ---- the widgets ------------------------------------------------------------------------


def _keys(prefix: str) -> Callable[[str], str]:
    return lambda name: f"{prefix}src_{name}"


def _problem(ss: MutableMapping[str, Any], k: Callable[[str], str], message: str) -> None:
    """Show why a choice cannot be used, here, and keep it for :func:`show_source`."""
    st.error(message)
    ss[k("problems")] = [*ss.get(k("problems"), []), message]


def _param_key(k: Callable[[str], str], model: str, fld: str) -> str:
    return k(f"{model}_{fld}")


def _set_model_widgets(ss: MutableMapping[str, Any], k: Callable[[str], str], model: dict[str, Any]) -> None:
    ss[k("spot")] = max(float(model["spot"]), 0.01)
    ss[k("drift_pct")] = min(max(to_percent(model["drift"]), -100.0), 100.0)
    for name in MODELS:
        for p in model_parameters(name):
            value = to_display(model["params"][name][p.name], p.unit)
            # A widget refuses a value outside its bounds: clamp (the note then says "edited").
            if p.low is not None:
                value = max(value, p.low)
            if p.high is not None:
                value = min(value, p.high)
            ss[_param_key(k, name, p.name)] = float(value)


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
                    _problem(ss, k, f"CSV file {upload.name}: {exc}")
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
                _problem(ss, k, f"Yahoo Finance: {exc}")
        got = ss.get(YAHOO_KEY)
        if got is None:
            st.info("Type a ticker and press the button: Yahoo is only called on request.")
            return None
        if got.name != ticker.strip().upper():
            st.caption(f"Loaded: {got.name}. Press the button to load {ticker.strip().upper()}.")
        h.update(kind="yahoo", ticker=got.name, start=iso(got.first_date), end=iso(got.last_date))
        return h

    _clamp_window(ss, k, full, h)
    start, end = _window_widgets(k, prefix, full.first_date.date(), full.last_date.date())
    h.update(start=iso(start), end=iso(end))
    try:
        full.between(h["start"], h["end"])
    except HedgeLibError as exc:
        _problem(ss, k, f"Date window: {exc}")
        return None
    return h


def _model_panel(ss: MutableMapping[str, Any], k: Callable[[str], str], prefix: str,
                 desc: dict[str, Any]) -> dict[str, Any] | None:
    name = st.selectbox("Model", list(MODELS), key=k("model"), format_func=lambda x: MODELS[x].label)
    st.number_input("Spot today (currency)", min_value=0.01, step=1.0, key=k("spot"))
    st.number_input("Drift (% a year)", min_value=-100.0, max_value=100.0, step=1.0, key=k("drift_pct"),
                    help="Expected total return: E[S_T] = S_0 exp(drift T). Use the rate for "
                         "the pricing measure.")
    params = {}
    for p in model_parameters(name):
        params[p.name] = p.to_library(forms.number_input(p, _param_key(k, name, p.name)))
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
        _problem(ss, k, ss[k("calib_error")])
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
    ss[k("problems")] = []
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
            _problem(ss, k, f"{KINDS[kind]}: {exc}")
        else:
            set_source(new, ss)
            return dataclasses.replace(choice, problems=tuple(ss[k("problems")]))
    previous = current_source(ss)
    st.caption(f"Still using: {previous.label}.")
    return dataclasses.replace(previous, problems=tuple(ss[k("problems")]))
