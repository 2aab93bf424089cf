"""Inputs, cached runner and display shaping for the Rule Comparison page.

The page hedges one book under several set-ups on the same simulated paths and sets the
results beside the theory. This module declares the inputs once (the market model, pricing
volatility, hedge option and run size are the Monte Carlo Hedge Lab's own :data:`FIELDS
<ui.hedge_lab.FIELDS>`, built into library objects by its builders; the set-ups table and the
frontier grid are this page's), runs :func:`hedgelib.hedging.compare`,
:func:`~hedgelib.hedging.frequency_sweep` and :func:`~hedgelib.hedging.cost_risk_frontier`
once per set of inputs (cached, bounded, capped) and shapes the results for display. The
finance (P&L, statistics, predictions) comes from :mod:`hedgelib`.

Units: the form speaks trader units (volatility in percent, costs in basis points); the
library works in decimals and years underneath.

Session-state keys (page prefix ``"rc_"``)
-----------------------------------------
``rc_<name>`` for every ``name`` in :data:`WIDGETS`
    the form's widgets (``rc_model``, ``rc_vol_pct``, ``rc_n_paths``, ``rc_n_steps``,
    ``rc_seed``, ``rc_band_widths``, ``rc_risk_aversions``, ``rc_every``, ...), trader units.
``rc_setups_table``
    the set-ups table the editor starts from (a DataFrame of :data:`SETUP_COLUMNS`).
``rc_setups_editor``
    the ``st.data_editor`` edit state on top of ``rc_setups_table``.
``rc_submitted``
    plain dict of the inputs of the run on show (the last Run, upload or link), set-ups
    included as ``{"rows": [...]}``. It outlives Streamlit's widget cleanup when the user
    visits another page, and the form is restored from it.
``rc_link_problems``, ``rc_note``, ``rc_write_link``, ``rc_upload``
    as on the Hedge Lab page: link parameters that could not be read; a message left by the
    scenario uploader; write the inputs into the URL on the next run; the uploader.
``rc_zoom``, ``rc_download_table``, ``rc_download_scenario``
    zoom of the P&L histogram; the download buttons.

The page reads the shared ``"book"`` and ``"market"`` keys (:mod:`ui.state`) and writes them
when a scenario link or file carries a book or market inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from hedgelib import theory
from hedgelib.book import Book
from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError
from hedgelib.hedging import compare, cost_risk_frontier, frequency_sweep
from ui.fields import Field
from ui.hedge_lab import FIELDS as LAB_FIELDS
from ui.hedge_lab import (
    MODELS,
    STRATEGIES,
    build_costs,
    build_hedge_option,
    build_model,
    build_rule,
    default_book,
)
from ui.scenario import ScenarioSchema
from ui.state import DEFAULT_MARKET

__all__ = [
    "CACHE_ENTRIES",
    "FIELDS",
    "MAX_HEDGED_PATH_STEPS",
    "MAX_SETUPS",
    "MIN_SETUPS",
    "MODEL_FIELDS",
    "PROGRESS_FROM",
    "SCHEMA",
    "SETUP_COLUMNS",
    "SETUP_RULES",
    "WIDGETS",
    "ComparisonView",
    "cap_message",
    "days_per_step",
    "default_setups",
    "display_table",
    "hedge_count",
    "parse_numbers",
    "run_comparison",
    "scenario_of",
    "setups_frame",
    "setups_from_frame",
    "takeaway",
    "theory_note",
    "validate",
]

# One request may not exceed this many hedged path-steps: paths x steps x every hedge run
# (set-ups, sweep frequencies and frontier rules). About three seconds on one core.
MAX_HEDGED_PATH_STEPS = 40_000_000
# Requests at least this large show a progress bar (smaller ones finish before it draws).
PROGRESS_FROM = 10_000_000
# Cached comparisons per server process; each holds the P&L of every set-up per path.
CACHE_ENTRIES = 8
MIN_SETUPS, MAX_SETUPS = 2, 5
# frequency_sweep uses at most this many rebalance counts (divisors of n_steps).
_MAX_SWEEP_COUNTS = 8

SETUP_RULES: dict[str, str] = {
    "every": "Every N steps",
    "band": "Delta band",
    "ww": "Whalley-Wilmott band",
}
SETUP_COLUMNS: tuple[str, ...] = ("name", "strategy", "rule", "parameter", "hedge_vol_pct", "cost_bp")

MODEL_FIELDS: tuple[str, ...] = (
    "model", "drift_pct", "vol_pct", "heston_v0_vol_pct", "heston_theta_vol_pct", "heston_kappa",
    "heston_xi", "heston_rho", "merton_intensity", "merton_jump_mean_pct", "merton_jump_std_pct",
    "garch_alpha", "garch_beta",
)
_SHARED = (*MODEL_FIELDS, "pricing_vol_pct", "hopt_kind", "hopt_moneyness_pct", "hopt_tenor_days",
           "n_steps", "seed")

FIELDS: dict[str, Field] = {
    **{k: LAB_FIELDS[k] for k in _SHARED},
    "n_paths": Field(5_000, "Paths", min=100, max=1_000_000, step=1000,
                     help="Paths per set-up; every set-up, sweep frequency and frontier rule "
                          "hedges the same paths."),
    "every": Field("1, 2, 5, 10, 21", "Frontier: every N steps",
                   help="Fixed intervals (in grid steps) on the cost-risk frontier, separated "
                        "by commas; intervals longer than the run are dropped."),
    "band_widths": Field("0.01, 0.02, 0.05, 0.1, 0.2", "Frontier: band half-widths (shares)",
                         help="Delta-band half-widths on the frontier, in shares of delta."),
    "risk_aversions": Field("0.1, 1, 10, 100", "Frontier: Whalley-Wilmott risk aversions",
                            help="Risk aversions of the Whalley-Wilmott bands on the frontier "
                                 "(per unit of currency): higher means a narrower band."),
}
WIDGETS: tuple[str, ...] = tuple(FIELDS)


def default_setups() -> list[dict[str, Any]]:
    """The default set-ups: daily, weekly, a 0.05 delta band and Whalley-Wilmott, at 5 bp."""
    base = {"strategy": "delta", "hedge_vol_pct": 20.0, "cost_bp": 5.0}
    return [
        {"name": "daily", "rule": "every", "parameter": 1.0, **base},
        {"name": "weekly", "rule": "every", "parameter": 5.0, **base},
        {"name": "band 0.05", "rule": "band", "parameter": 0.05, **base},
        {"name": "Whalley-Wilmott 1", "rule": "ww", "parameter": 1.0, **base},
    ]


_EXTRA_DEFAULTS: dict[str, Any] = {
    "setups": {"rows": default_setups()},
    "book": default_book(DEFAULT_MARKET["spot"]).to_dict(),
    "spot": float(DEFAULT_MARKET["spot"]),
    "rate_pct": 100.0 * DEFAULT_MARKET["rate"],
    "div_pct": 100.0 * DEFAULT_MARKET["dividend_yield"],
}
SCHEMA = ScenarioSchema(
    page="rule_comparison",
    defaults={**{k: f.default for k, f in FIELDS.items()}, **_EXTRA_DEFAULTS},
    choices={k: f.choices for k, f in FIELDS.items() if f.choices is not None},
    bounds={
        **{k: (f.min, f.max) for k, f in FIELDS.items() if f.min is not None or f.max is not None},
        "spot": (0.0, None),
    },
)


def scenario_of(settings: Mapping[str, Any], book: Book, market: Mapping[str, float]) -> dict[str, Any]:
    """The full scenario: the form's inputs and set-ups plus the book and the market."""
    return {
        **{k: settings[k] for k in WIDGETS},
        "setups": {"rows": [dict(r) for r in settings["setups"]["rows"]]},
        "book": book.to_dict(),
        "spot": float(market["spot"]),
        "rate_pct": 100.0 * float(market["rate"]),
        "div_pct": 100.0 * float(market["dividend_yield"]),
    }


# --------------------------------------------------------------------------------------------
# the set-ups table and the frontier grid


def setups_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Set-up rows as the editor's table (columns :data:`SETUP_COLUMNS`)."""
    return pd.DataFrame([{c: r.get(c) for c in SETUP_COLUMNS} for r in rows], columns=list(SETUP_COLUMNS))


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _row_number(value: Any, row: int, column: str) -> float:
    if _blank(value) or isinstance(value, bool):
        raise HedgeLibError(f"Set-up row {row}: {column} must be a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise HedgeLibError(f"Set-up row {row}: {column} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise HedgeLibError(f"Set-up row {row}: {column} must be finite, got {value!r}")
    return x


def setups_from_frame(frame: pd.DataFrame | Sequence[Mapping[str, Any]], n_steps: int) -> list[dict[str, Any]]:
    """Validated set-ups from the editor's table (rows left wholly blank are ignored).

    Raises ``HedgeLibError`` naming the row (1-based) and the column: fewer than
    :data:`MIN_SETUPS` or more than :data:`MAX_SETUPS` set-ups, an empty or repeated name, an
    unknown strategy or rule, a parameter that does not fit its rule (an interval must be a
    whole number of steps between 1 and ``n_steps``; a band half-width >= 0; a risk
    aversion > 0), a hedge volatility <= 0 or a negative cost.
    """
    if isinstance(frame, pd.DataFrame):
        records = frame.to_dict("records")
    elif isinstance(frame, list | tuple) and all(isinstance(r, Mapping) for r in frame):
        records = [dict(r) for r in frame]
    else:
        raise HedgeLibError(f"Set-ups must be a table or a list of rows (objects with "
                            f"{', '.join(SETUP_COLUMNS)}), got {frame!r}")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, rec in enumerate(records, start=1):
        if all(_blank(rec.get(c)) for c in SETUP_COLUMNS):
            continue
        name = rec.get("name")
        if _blank(name):
            raise HedgeLibError(f"Set-up row {i}: name must not be empty")
        name = str(name).strip()
        if name in seen:
            raise HedgeLibError(f"Set-up row {i}: name {name!r} is used twice; give each set-up its own name")
        seen.add(name)
        strategy = rec.get("strategy")
        if strategy not in STRATEGIES:
            raise HedgeLibError(f"Set-up row {i} ({name}): strategy must be one of "
                                f"{', '.join(STRATEGIES)}, got {strategy!r}")
        rule = rec.get("rule")
        if rule not in SETUP_RULES:
            raise HedgeLibError(f"Set-up row {i} ({name}): rule must be one of "
                                f"{', '.join(SETUP_RULES)}, got {rule!r}")
        p = _row_number(rec.get("parameter"), i, "parameter")
        if rule == "every" and not (p.is_integer() and 1 <= p <= n_steps):
            raise HedgeLibError(f"Set-up row {i} ({name}): for 'every' the parameter is an interval "
                                f"in steps, a whole number from 1 to {n_steps}, got {p:g}")
        if rule == "band" and p < 0:
            raise HedgeLibError(f"Set-up row {i} ({name}): a band half-width must be >= 0, got {p:g}")
        if rule == "ww" and p <= 0:
            raise HedgeLibError(f"Set-up row {i} ({name}): a risk aversion must be > 0, got {p:g}")
        vol = _row_number(rec.get("hedge_vol_pct"), i, "hedge_vol_pct")
        if vol <= 0:
            raise HedgeLibError(f"Set-up row {i} ({name}): hedge volatility must be > 0 %, got {vol:g}")
        cost = _row_number(rec.get("cost_bp"), i, "cost_bp")
        if cost < 0:
            raise HedgeLibError(f"Set-up row {i} ({name}): cost must be >= 0 bp, got {cost:g}")
        out.append({"name": name, "strategy": strategy, "rule": rule, "parameter": p,
                    "hedge_vol_pct": vol, "cost_bp": cost})
    if not MIN_SETUPS <= len(out) <= MAX_SETUPS:
        raise HedgeLibError(f"Set-ups: compare {MIN_SETUPS} to {MAX_SETUPS} set-ups, got {len(out)}")
    return out


def parse_numbers(text: str, name: str, *, integer: bool = False, minimum: float = 0.0) -> tuple[float, ...]:
    """Comma-separated numbers, each > ``minimum`` (whole numbers when ``integer``); may be empty.

    >>> parse_numbers("0.01, 0.05,0.1", "band widths")
    (0.01, 0.05, 0.1)
    """
    values = []
    for part in str(text).replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            x = float(part)
        except ValueError:
            raise HedgeLibError(f"{name}: {part!r} is not a number (separate numbers by commas)") from None
        if not math.isfinite(x) or x <= minimum or (integer and not x.is_integer()):
            kind = "whole numbers" if integer else "numbers"
            raise HedgeLibError(f"{name}: must be {kind} above {minimum:g}, got {part!r}")
        values.append(int(x) if integer else x)
    return tuple(values)


@dataclass(frozen=True)
class _Plan:
    setups: list[dict[str, Any]]
    every: tuple[int, ...]
    band_widths: tuple[float, ...]
    risk_aversions: tuple[float, ...]


def validate(settings: Mapping[str, Any]) -> _Plan:
    """Check the set-ups and the frontier grid (raises ``HedgeLibError`` naming the input)."""
    n_steps = int(settings["n_steps"])
    setups = setups_from_frame(settings["setups"]["rows"], n_steps)
    every = tuple(e for e in parse_numbers(settings["every"], FIELDS["every"].label, integer=True)
                  if e <= n_steps)
    bands = parse_numbers(settings["band_widths"], FIELDS["band_widths"].label)
    gammas = parse_numbers(settings["risk_aversions"], FIELDS["risk_aversions"].label)
    if not (every or bands or gammas):
        raise HedgeLibError("Frontier: give at least one interval, band width or risk aversion")
    return _Plan(setups, tuple(sorted(set(every))), tuple(sorted(set(bands))), tuple(sorted(set(gammas))))


def hedge_count(settings: Mapping[str, Any]) -> tuple[int, int, int]:
    """Hedge runs of a request: (set-ups, sweep frequencies at most, frontier rules)."""
    plan = validate(settings)
    n = int(settings["n_steps"])
    n_div = sum(1 for d in range(1, n + 1) if n % d == 0) if n <= 100_000 else _MAX_SWEEP_COUNTS
    return (len(plan.setups), min(n_div, _MAX_SWEEP_COUNTS),
            len(plan.every) + len(plan.band_widths) + len(plan.risk_aversions))


def cap_message(settings: Mapping[str, Any]) -> str | None:
    """The refusal for a request above :data:`MAX_HEDGED_PATH_STEPS`, or None when it fits."""
    a, b, c = hedge_count(settings)
    runs = a + b + c
    size = int(settings["n_paths"]) * int(settings["n_steps"]) * runs
    if size <= MAX_HEDGED_PATH_STEPS:
        return None
    return (
        f"This comparison asks for {settings['n_paths']:,} paths x {settings['n_steps']:,} steps x "
        f"{runs} hedges ({a} set-ups + {b} sweep frequencies + {c} frontier rules) = {size:,} "
        f"hedged path-steps, above the page's cap of {MAX_HEDGED_PATH_STEPS:,} (the server is "
        "shared). Use fewer paths, fewer steps or fewer frontier rules."
    )


# --------------------------------------------------------------------------------------------
# the run


def _setup_settings(settings: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """The Hedge Lab's settings dict for one set-up row, so its builders can be reused."""
    p = row["parameter"]
    defaults = {k: f.default for k, f in LAB_FIELDS.items()}
    return {
        **defaults,
        **{k: settings[k] for k in _SHARED},
        "strategy": row["strategy"], "rule": row["rule"], "cost_bp": row["cost_bp"],
        "every_n": int(p) if row["rule"] == "every" else 1, "band_width": p, "ww_risk_aversion": p,
        "hedge_vol_pct": row["hedge_vol_pct"],
    }


def _setup_keywords(settings: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    s = _setup_settings(settings, row)
    try:
        return {
            "rule": build_rule(s), "costs": build_costs(s), "strategy": s["strategy"],
            "hedge_option": build_hedge_option(s), "hedge_volatility": s["hedge_vol_pct"] / 100.0,
        }
    except HedgeLibError as exc:
        raise HedgeLibError(f"Set-up {row['name']!r}: {exc}") from None


@dataclass(frozen=True)
class ComparisonView:
    """What the page shows of one comparison (library units: currency, years, decimals).

    ``table`` is :meth:`Comparison.table` plus the paired difference to the first set-up
    (``diff_mean``, ``diff_mean_se``, ``diff_cost``, ``diff_cost_se``); ``pnl`` holds each
    set-up's P&L per path; ``sweep`` is :func:`frequency_sweep`'s frame; ``frontier`` is
    :func:`cost_risk_frontier`'s frame plus ``hover`` (trades, Whalley-Wilmott band today);
    ``theory`` is the fixed-interval prediction curve (``n_rebalances``, ``std``, ``cost``,
    ``leland_vol``); ``highlight`` the frontier label of the Whalley-Wilmott band ringed.
    """

    table: pd.DataFrame
    pnl: dict[str, np.ndarray]
    unhedged_pnl: np.ndarray
    premium: float
    sweep: pd.DataFrame
    frontier: pd.DataFrame
    theory: pd.DataFrame
    highlight: str | None
    reference: dict[str, float]
    horizon: float
    n_steps: int


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def run_comparison(settings: dict[str, Any], book_data: dict[str, Any], market: dict[str, float]) -> ComparisonView:
    """Run the set-ups, the frequency sweep and the frontier on the same paths (cached).

    ``settings`` are the form's inputs (trader units) with ``setups = {"rows": [...]}``,
    ``book_data`` is ``Book.to_dict()``, ``market`` has ``spot``, ``rate`` and
    ``dividend_yield`` (decimals). Runs of at least :data:`PROGRESS_FROM` hedged path-steps
    draw a progress bar, created and emptied here (Streamlit replays a cached function's
    own elements on a cache hit). Raises ``HedgeLibError`` for bad input (not cached).
    """
    a, b, c = hedge_count(settings)
    total = int(settings["n_paths"]) * int(settings["n_steps"]) * (a + b + c)
    bar = st.progress(0.0, text="Hedging the set-ups...") if total >= PROGRESS_FROM else None
    stages = {"set-ups": (0, a), "frequency sweep": (a, b), "frontier": (a + b, c)}

    def progress_for(stage: str) -> Callable[[int, int], None] | None:
        if bar is None:
            return None
        start, weight = stages[stage]

        def report(done: int, n: int) -> None:
            frac = (start + weight * done / max(n, 1)) / (a + b + c)
            bar.progress(min(frac, 1.0), text=f"Hedging: {stage}, {done:,} of {n:,} paths")

        return report

    try:
        return _run(settings, book_data, market, progress_for)
    finally:
        if bar is not None:
            bar.empty()


def _run(settings: Mapping[str, Any], book_data: Mapping[str, Any], market: Mapping[str, float],
         progress_for: Callable[[str], Any]) -> ComparisonView:
    plan = validate(settings)
    book = Book.from_dict(dict(book_data))
    horizon = float(book.expiry)
    s0, r, q = float(market["spot"]), float(market["rate"]), float(market["dividend_yield"])
    model = build_model(settings, q)
    n_steps, n_paths, seed = int(settings["n_steps"]), int(settings["n_paths"]), int(settings["seed"])
    run = {"spot": s0, "horizon": horizon, "n_steps": n_steps, "n_paths": n_paths, "seed": seed}
    common = {"rate": r, "dividend_yield": q, "pricing_volatility": settings["pricing_vol_pct"] / 100.0}

    cmp = compare(model, book, {row["name"]: _setup_keywords(settings, row) for row in plan.setups},
                  progress=progress_for("set-ups"), **run, **common)
    table = cmp.table()
    first = plan.setups[0]["name"]
    diffs = [cmp.difference(name, first) for name in table.index]
    table["diff_mean"] = [d["mean_pnl"] for d in diffs]
    table["diff_mean_se"] = [d["mean_pnl_se"] for d in diffs]
    table["diff_cost"] = [d["mean_cost"] for d in diffs]
    table["diff_cost_se"] = [d["mean_cost_se"] for d in diffs]
    table.insert(0, "strategy", [row["strategy"] for row in plan.setups])
    table.insert(1, "rule", [_rule_text(row) for row in plan.setups])

    # The sweep and the frontier hedge delta with the stock at the first set-up's hedge
    # volatility and cost, so that their theory lines refer to one well-defined hedge.
    ref = plan.setups[0]
    sigma_h = ref["hedge_vol_pct"] / 100.0
    k = ref["cost_bp"] / 1e4
    ref_settings = _setup_settings(settings, {**ref, "strategy": "delta"})
    costs = build_costs(ref_settings)
    hedge = {"hedge_volatility": sigma_h, "strategy": "delta", "costs": costs, **common}
    sweep = frequency_sweep(model, book, progress=progress_for("frequency sweep"), **run, **hedge)
    del hedge["costs"]
    frontier = cost_risk_frontier(
        model, book, costs=costs, every=plan.every, band_widths=plan.band_widths,
        risk_aversions=plan.risk_aversions, progress=progress_for("frontier"), **run, **hedge,
    )

    gamma0 = float(book.greeks(s0, sigma_h, rate=r, dividend_yield=q).gamma)
    hover = []
    for fam, p, trades in zip(frontier["family"], frontier["parameter"], frontier["mean_trades"], strict=True):
        text = f"{trades:.1f} trades per path"
        if fam == "whalley_wilmott" and k > 0:
            h = theory.whalley_wilmott_half_width(s0, gamma0, k, p, r, horizon)
            text += f"; band today ±{h:.3g} shares"
        hover.append(text)
    frontier["hover"] = hover

    theory_curve = _theory_curve(book, s0, sigma_h, k, horizon, r, q, n_steps, gamma0,
                                 getattr(model, "drift", None))
    return ComparisonView(
        table=table, pnl={name: np.asarray(cmp[name].pnl) for name in cmp.names},
        unhedged_pnl=np.asarray(cmp[first].unhedged_pnl), premium=float(cmp[first].premium),
        sweep=sweep, frontier=frontier, theory=theory_curve,
        highlight=_highlight(frontier, plan), reference={"hedge_vol_pct": ref["hedge_vol_pct"],
                                                         "cost_bp": ref["cost_bp"], "name": ref["name"]},
        horizon=horizon, n_steps=n_steps,
    )


def _rule_text(row: Mapping[str, Any]) -> str:
    p = row["parameter"]
    if row["rule"] == "every":
        return "every step" if p == 1 else f"every {p:g} steps"
    if row["rule"] == "band":
        return f"band ±{p:g} shares"
    return f"Whalley-Wilmott, risk aversion {p:g}"


def _theory_curve(book: Book, s0: float, sigma: float, k: float, horizon: float, r: float, q: float,
                  n_steps: int, gamma0: float, drift: float | None) -> pd.DataFrame:
    """Book-exact Derman-Kamal risk and Leland cost of fixed-interval hedging, N = 1..n_steps.

    Empty when the formulas do not apply (a horizon beyond the first expiry: they follow one
    unchanged book).
    """
    cols = ["n_rebalances", "std", "cost", "leland_vol"]
    if horizon > book.first_expiry * (1 + 1e-12) or not book.legs:
        return pd.DataFrame(columns=cols)
    counts = sorted({int(round(x)) for x in np.geomspace(1, n_steps, min(n_steps, 12))})
    common = {"spot": s0, "volatility": sigma, "horizon": horizon, "rate": r, "dividend_yield": q,
              "drift": drift}
    position = "short" if gamma0 < 0 else "long"
    rows = []
    for n in counts:
        rows.append({
            "n_rebalances": n,
            "std": theory.hedge_error_std(book, n_rebalances=n, **common),
            "cost": theory.expected_rebalancing_cost(book, proportional=k, n_rebalances=n, **common),
            "leland_vol": theory.leland_volatility(sigma, k, horizon / n, position=position),
        })
    return pd.DataFrame(rows, columns=cols)


def _highlight(frontier: pd.DataFrame, plan: _Plan) -> str | None:
    """The Whalley-Wilmott point to ring: the risk aversion of the first WW set-up when the
    grid has it, else the grid's middle one."""
    ww = frontier[frontier["family"] == "whalley_wilmott"]
    if ww.empty:
        return None
    wanted = [row["parameter"] for row in plan.setups if row["rule"] == "ww"]
    for g in wanted:
        hit = ww[np.isclose(ww["parameter"], g)]
        if not hit.empty:
            return str(hit["label"].iloc[0])
    return str(ww["label"].iloc[len(ww) // 2])


# --------------------------------------------------------------------------------------------
# display


def theory_note(settings: Mapping[str, Any], view: ComparisonView) -> str | None:
    """Why the theory lines need not match the measurements here, or None when they should."""
    reasons = []
    if settings["model"] != "GBM":
        reasons.append(f"the market is {MODELS[settings['model']]}, not GBM")
    elif not math.isclose(view.reference["hedge_vol_pct"], settings["vol_pct"]):
        reasons.append(f"the hedge volatility ({view.reference['hedge_vol_pct']:g}%) differs from the "
                       f"realised one ({settings['vol_pct']:g}%)")
    if view.theory.empty:
        reasons.append("the book's legs expire before the horizon (the formulas follow one unchanged book)")
    if not reasons:
        return None
    return "The theory assumes GBM paths moving at the hedge volatility; here " + "; ".join(reasons) + "."


def display_table(view: ComparisonView) -> pd.DataFrame:
    """The summary table in trader units, one row per set-up, for display and CSV download."""
    t = view.table
    first = t.index[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({
            "Set-up": t.index,
            "Strategy": t["strategy"].map(STRATEGIES),
            "Rule": t["rule"],
            "Mean P&L": t["mean"],
            "Mean P&L SE": t["se_mean"],
            "Std of P&L": t["std"],
            "Std SE": t["std_se"],
            "VaR 99%": t["var_99"],
            "ES 99%": t["es_99"],
            "Mean cost": t["mean_cost"],
            "Mean trades": t["mean_trades"],
            "Variance cut (%)": 100.0 * t["variance_reduction"],
            "Std / premium (%)": 100.0 * t["hedge_error"],
            f"Mean P&L minus {first}": t["diff_mean"],
            "Paired SE": t["diff_mean_se"],
        })
    return out.reset_index(drop=True)


def _num(x: float) -> str:
    a = abs(x)
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def takeaway(view: ComparisonView, tolerance: float = 0.15) -> str:
    """One line reading the table: the cheapest set-up within ``tolerance`` of the least risky.

    >>> t = pd.DataFrame({"std": [0.43, 0.94, 0.46], "mean_cost": [0.18, 0.11, 0.07]},
    ...                  index=["daily", "weekly", "band 0.05"])
    >>> v = ComparisonView(t, {}, np.zeros(1), 0.0, pd.DataFrame(), pd.DataFrame(),
    ...                    pd.DataFrame(), None, {}, 0.25, 63)
    >>> takeaway(v)
    'Takeaway: band 0.05 came within 15% of the risk of daily (std 0.46 against 0.43) at 39% of its mean cost (0.07 against 0.18).'
    """
    t = view.table
    best = t["std"].idxmin()
    s_best, c_best = float(t.loc[best, "std"]), float(t.loc[best, "mean_cost"])
    close = t[(t.index != best) & (t["std"] <= (1 + tolerance) * s_best) & (t["mean_cost"] < c_best)]
    if not close.empty and c_best > 0:
        pick = close["mean_cost"].idxmin()
        s, c = float(t.loc[pick, "std"]), float(t.loc[pick, "mean_cost"])
        return (f"Takeaway: {pick} came within {tolerance:.0%} of the risk of {best} (std {_num(s)} "
                f"against {_num(s_best)}) at {c / c_best:.0%} of its mean cost ({_num(c)} against "
                f"{_num(c_best)}).")
    cheapest = t["mean_cost"].idxmin()
    if cheapest == best:
        return (f"Takeaway: {best} was both the least risky (std {_num(s_best)}) and the cheapest "
                f"(mean cost {_num(c_best)}) of these set-ups.")
    s_c, c_c = float(t.loc[cheapest, "std"]), float(t.loc[cheapest, "mean_cost"])
    ratio = f"{s_c / s_best:.1f} times the risk" if s_best > 0 else "more risk"
    return (f"Takeaway: {best} had the least risk (std {_num(s_best)}) at a mean cost of "
            f"{_num(c_best)}; the cheapest, {cheapest} ({_num(c_c)}), carried {ratio} "
            f"(std {_num(s_c)}); none came within {tolerance:.0%} of {best}'s risk for less.")


def days_per_step(horizon: float, n_steps: int) -> float:
    """Length of one grid step in trading days."""
    return horizon * TRADING_DAYS_PER_YEAR / n_steps
