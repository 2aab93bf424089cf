"""Cached runner and display shaping for the Rule Comparison page.

The page hedges one book under several set-ups on the same simulated paths and sets the
results beside the theory. Its inputs are declared in :mod:`hedgelib.scenario` (the form:
:func:`~hedgelib.scenario.rule_comparison_fields`; the set-ups table:
:func:`~hedgelib.scenario.setup_rows`, one row per set-up with its strategy, rule and their
parameters, hedge volatility and proportional cost), and the library turns them into the
set-ups (:func:`~hedgelib.scenario.rule_comparison`). This module runs
:func:`hedgelib.hedging.compare`, :func:`~hedgelib.hedging.frequency_sweep` and
:func:`~hedgelib.hedging.cost_risk_frontier` once per set of inputs (cached, bounded,
capped) and shapes the results for display. The finance comes from :mod:`hedgelib`.

Session-state keys (page prefix ``"rc_"``)
-----------------------------------------
``rc_<name>`` for every input of :func:`hedgelib.scenario.rule_comparison_fields`
    the form's widgets (``rc_model``, ``rc_vol_pct``, ``rc_n_paths``, ``rc_n_steps``,
    ``rc_seed``, ``rc_band_widths``, ``rc_risk_aversions``, ``rc_every``, ...), trader units.
``rc_setups_table``
    the set-ups table the editor starts from (a DataFrame of :func:`setup_columns`).
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

from hedgelib.book import Book
from hedgelib.hedging.setup import RULES
from hedgelib.hedging.studies import compare, cost_risk_frontier, frequency_sweep, theory_curve
from hedgelib.market.models import MODELS
from hedgelib.scenario import (
    SETUP_COLUMNS,
    Market,
    hedge_runs,
    rule_comparison,
    setup_parameters,
)
from ui import forms
from ui.memory import HELPER_BUDGET, TRIM_FROM, kept, release_memory
from ui.units import format_number
from ui.widgets import progress_bar

__all__ = [
    "CACHE_ENTRIES",
    "PROGRESS_FROM",
    "ComparisonView",
    "display_table",
    "rule_text",
    "run_comparison",
    "setup_columns",
    "setups_frame",
    "takeaway",
    "theory_note",
]

# Requests at least this large show a progress bar (smaller ones finish before it draws).
PROGRESS_FROM = 10_000_000
# Cached comparisons per server process; each holds the P&L of every set-up on at most
# KEPT_PATHS paths (ui.memory), whatever the run's size.
CACHE_ENTRIES = 8


def setup_columns() -> list[str]:
    """The set-ups table's columns: name, strategy, rule, the parameters of every registered
    strategy and rule (each row uses those of its own), hedge volatility and cost."""
    return [*SETUP_COLUMNS[:3], *setup_parameters(), *SETUP_COLUMNS[3:]]


def setups_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Set-up rows as the editor's table (columns :func:`setup_columns`)."""
    columns = setup_columns()
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)


# --------------------------------------------------------------------------------------------
# the run


@dataclass(frozen=True)
class ComparisonView:
    """What the page shows of one comparison (library units: currency, years, decimals).

    ``table`` is :meth:`Comparison.table` plus the paired difference to the first set-up
    (``diff_mean``, ``diff_mean_se``, ``diff_cost``, ``diff_cost_se``); ``pnl`` holds each
    set-up's P&L on the first :data:`~ui.memory.KEPT_PATHS` paths (the table is over all);
    ``sweep`` is :func:`frequency_sweep`'s frame; ``frontier`` is :func:`cost_risk_frontier`'s
    frame plus ``hover`` (trades, Whalley-Wilmott band today);
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


@st.cache_data(max_entries=CACHE_ENTRIES, max_size=HELPER_BUDGET, show_spinner=False)
def run_comparison(settings: dict[str, Any], book_data: dict[str, Any], market: dict[str, float]) -> ComparisonView:
    """Run the set-ups, the frequency sweep and the frontier on the same paths (cached).

    ``settings`` are the form's inputs (trader units) with ``setups = {"rows": [...]}``,
    ``book_data`` is ``Book.to_dict()``, ``market`` has ``spot``, ``rate`` and
    ``dividend_yield`` (decimals). Runs of at least :data:`PROGRESS_FROM` hedged path-steps
    draw a progress bar. Raises ``HedgeLibError`` for bad input (not cached).
    """
    a, b, c = hedge_runs(settings)
    total = int(settings["n_paths"]) * int(settings["n_steps"]) * (a + b + c)
    stages = {"set-ups": (0, a), "frequency sweep": (a, b), "frontier": (a + b, c)}
    with progress_bar(total >= PROGRESS_FROM, "Hedging the set-ups...") as bar:

        def progress_for(stage: str) -> Callable[[int, int], None] | None:
            if bar is None:
                return None
            start, weight = stages[stage]

            def report(done: int, n: int) -> None:
                bar(start + weight * done / max(n, 1), a + b + c,
                    f"Hedging: {stage}, {done:,} of {n:,} paths")

            return report

        view = _run(settings, book_data, market, progress_for)
    if total >= TRIM_FROM:
        release_memory()
    return view


def _run(settings: Mapping[str, Any], book_data: Mapping[str, Any], market: Mapping[str, float],
         progress_for: Callable[[str], Any]) -> ComparisonView:
    plan = rule_comparison(settings, book=Book.from_dict(dict(book_data)), market=Market(**market))
    book, model, run = plan.book, plan.model, plan.size.keywords()
    cmp = compare(model, book, plan.setups, progress=progress_for("set-ups"), **run)
    table = cmp.table()
    first = plan.rows[0]["name"]
    diffs = [cmp.difference(name, first) for name in table.index]
    table["diff_mean"] = [d["mean_pnl"] for d in diffs]
    table["diff_mean_se"] = [d["mean_pnl_se"] for d in diffs]
    table["diff_cost"] = [d["mean_cost"] for d in diffs]
    table["diff_cost_se"] = [d["mean_cost_se"] for d in diffs]
    table.insert(0, "strategy", [row["strategy"] for row in plan.rows])
    table.insert(1, "rule", [rule_text(row) for row in plan.rows])

    # The sweep and the frontier hedge delta with the stock at the first set-up's hedge
    # volatility and cost, so that their theory lines refer to one well-defined hedge.
    ref = plan.reference
    sweep = frequency_sweep(model, book, ref, progress=progress_for("frequency sweep"), **run)
    frontier = cost_risk_frontier(model, book, ref, **plan.grid, progress=progress_for("frontier"), **run)

    horizon = plan.size.horizon
    frontier["hover"] = [
        f"{trades:.1f} trades per path" + ("" if math.isnan(h) else f"; band today ±{format_number(h)} shares")
        for trades, h in zip(frontier["mean_trades"], frontier["band_today"], strict=True)
    ]
    curve = theory_curve(book, ref, spot=plan.size.spot, horizon=horizon, n_steps=plan.size.n_steps,
                         drift=getattr(model, "drift", None))
    ref_row = plan.rows[0]
    return ComparisonView(
        table=table, pnl={name: kept(cmp[name].pnl) for name in cmp.names},
        unhedged_pnl=kept(cmp[first].unhedged_pnl), premium=float(cmp[first].premium),
        sweep=sweep, frontier=frontier, theory=curve,
        highlight=_highlight(frontier, plan.rows),
        reference={"hedge_vol_pct": ref_row["hedge_vol_pct"], "cost_bp": ref_row["cost_bp"],
                   "name": ref_row["name"]},
        horizon=horizon, n_steps=plan.size.n_steps,
    )


def rule_text(row: Mapping[str, Any]) -> str:
    """A set-up's rule in a few words, with its parameters."""
    rule = row["rule"]
    if rule == "every_n_steps":
        n = row["every_n"]
        return "every step" if n == 1 else f"every {n:g} steps"
    if rule == "delta_band":
        return f"band ±{row['band_width']:g} shares"
    if rule == "whalley_wilmott":
        return f"Whalley-Wilmott, risk aversion {row['ww_risk_aversion']:g}"
    entry = RULES[rule]
    params = ", ".join(f"{p.label} {row[p.key]:g}" for p in entry.parameters
                       if isinstance(row.get(p.key), int | float))
    return entry.label + (f" ({params})" if params else "")


def _highlight(frontier: pd.DataFrame, rows: Sequence[Mapping[str, Any]]) -> str | None:
    """The Whalley-Wilmott point to ring: the risk aversion of the first WW set-up when the
    grid has it, else the grid's middle one."""
    ww = frontier[frontier["family"] == "whalley_wilmott"]
    if ww.empty:
        return None
    wanted = [row["ww_risk_aversion"] for row in rows if row["rule"] == "whalley_wilmott"]
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
        reasons.append(f"the market is {MODELS[settings['model']].label}, not GBM")
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
            "Strategy": t["strategy"].map(forms.labels("strategy")),
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
        return (f"Takeaway: {pick} came within {tolerance:.0%} of the risk of {best} (std {format_number(s)} "
                f"against {format_number(s_best)}) at {c / c_best:.0%} of its mean cost ({format_number(c)} against "
                f"{format_number(c_best)}).")
    cheapest = t["mean_cost"].idxmin()
    if cheapest == best:
        return (f"Takeaway: {best} was both the least risky (std {format_number(s_best)}) and the cheapest "
                f"(mean cost {format_number(c_best)}) of these set-ups.")
    s_c, c_c = float(t.loc[cheapest, "std"]), float(t.loc[cheapest, "mean_cost"])
    ratio = f"{s_c / s_best:.1f} times the risk" if s_best > 0 else "more risk"
    return (f"Takeaway: {best} had the least risk (std {format_number(s_best)}) at a mean cost of "
            f"{format_number(c_best)}; the cheapest, {cheapest} ({format_number(c_c)}), carried {ratio} "
            f"(std {format_number(s_c)}); none came within {tolerance:.0%} of {best}'s risk for less.")


