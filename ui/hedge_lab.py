"""Cached runner, display shaping and takeaways for the Monte Carlo Hedge Lab page.

The page's inputs are declared in :mod:`hedgelib.scenario` (:func:`~hedgelib.scenario.
hedge_lab_fields`, from the registries, in trader units) and drawn by :mod:`ui.forms`; the
library turns them into a market model, a book, a :class:`~hedgelib.hedging.HedgeSetup` and a
run size (:func:`~hedgelib.scenario.hedge_lab_simulation`). This module runs
:func:`hedgelib.hedging.run_experiment` once per set of inputs (cached, bounded, capped) and
shapes the result for display. It holds no finance of its own: P&L, statistics and the
Derman-Kamal prediction (:func:`hedgelib.hedging.predicted_hedge_error`) come from the library.

Session-state keys (page prefix ``"hl_"``)
-----------------------------------------
``hl_<name>`` for every input of :func:`hedgelib.scenario.hedge_lab_fields`
    the form's widgets (``hl_model``, ``hl_vol_pct``, ``hl_strategy``, ``hl_rule``,
    ``hl_every_n``, ``hl_cost_bp``, ``hl_hopt_roll_days``, ``hl_n_paths``, ``hl_seed``, and
    the parameters of any part registered later), in trader units.
``hl_submitted``
    plain dict of the widget inputs of the run on show (the last Run, upload or link). It
    outlives Streamlit's widget cleanup when the user visits another page, and the form is
    restored from it.
``hl_link_problems``
    list of messages for query parameters of a shared link that could not be read.
``hl_note``
    ``(level, message)`` left by the scenario uploader for the next run to show.
``hl_write_link``
    True when the next run must write the inputs into the URL (after Run or an upload).
``hl_upload``, ``hl_download_scenario``
    the scenario-file uploader and download button.
``hl_zoom``, ``hl_view``, ``hl_ledger_path``
    display choices: zoom the histogram on the hedged P&L; attribution view
    (bookkeeping or greek explain); which sample path's ledger to show.

The page also reads the shared ``"book"`` and ``"market"`` keys (:mod:`ui.state`) and writes
them when a scenario link or file carries a book or market inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from hedgelib.book import Book
from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError
from hedgelib.hedging import Prediction, predicted_hedge_error, run_experiment
from hedgelib.hedging.setup import RULES
from hedgelib.scenario import Market, hedge_lab_simulation
from ui.errors import MAX_PATH_STEPS
from ui.memory import HELPER_BUDGET, KEPT_PATHS, TRIM_FROM, kept, release_memory
from ui.units import format_number, step_days
from ui.widgets import progress_bar

__all__ = [
    "KEPT_PATHS",
    "MAX_PATH_STEPS",
    "N_SAMPLE_PATHS",
    "PROGRESS_FROM",
    "LabResult",
    "ledger_frame",
    "prediction_note",
    "results_frame",
    "rule_phrase",
    "run_lab",
    "sample_arrays",
    "std_error_of_std",
    "takeaway",
    "waterfall_terms",
]

# Runs at least this large show a progress bar (smaller ones finish before it would draw).
PROGRESS_FROM = 1_000_000
# Paths whose every step is recorded for the sample-path charts and the ledger.
N_SAMPLE_PATHS = 5
# Cached runs kept per server process; each holds at most KEPT_PATHS values per array, so
# the whole cache stays within a few tens of MB however many paths the runs had.
CACHE_ENTRIES = 16


# --------------------------------------------------------------------------------------------
# the run


@dataclass(frozen=True)
class LabResult:
    """What the page shows of one run; per-path arrays only where the page needs them.

    ``pnl``, ``unhedged_pnl``, ``costs`` and ``n_trades`` hold the first
    :data:`~ui.memory.KEPT_PATHS` paths of the ``n_paths`` run (all of them in a smaller run);
    ``summary`` is over every path. ``inputs`` are the arguments of :func:`run_lab`, for
    :func:`results_frame` to run again when the per-path download needs every path.
    ``attribution``, ``explain`` and ``cost_breakdown`` are means over paths, in currency.
    ``steps`` holds the recorded steps of the first :data:`N_SAMPLE_PATHS` paths;
    ``prediction`` is :func:`hedgelib.hedging.predicted_hedge_error` of the set-up.
    """

    pnl: np.ndarray
    unhedged_pnl: np.ndarray
    costs: np.ndarray
    n_trades: np.ndarray
    premium: float
    summary: dict[str, float]
    attribution: dict[str, float]
    explain: dict[str, float]
    cost_breakdown: dict[str, float]
    steps: pd.DataFrame
    horizon: float
    n_steps: int
    prediction: Prediction
    n_paths: int = 0
    inputs: tuple[dict[str, Any], dict[str, Any], dict[str, float]] | None = None

    @property
    def sampled(self) -> bool:
        """True when the per-path arrays hold fewer paths than the run."""
        return self.pnl.size < self.n_paths


@st.cache_data(max_entries=CACHE_ENTRIES, max_size=HELPER_BUDGET, show_spinner=False)
def run_lab(
    settings: dict[str, Any],
    book_data: dict[str, Any],
    market: dict[str, float],
) -> LabResult:
    """Hedge the book on simulated paths (cached on the plain-data inputs).

    ``settings`` are the form's inputs (trader units), ``book_data`` is ``Book.to_dict()``,
    ``market`` has ``spot``, ``rate`` and ``dividend_yield`` (decimals). Runs of at least
    :data:`PROGRESS_FROM` path-steps draw a progress bar. Raises ``HedgeLibError`` for bad
    input (not cached).
    """
    size = int(settings["n_paths"]) * int(settings["n_steps"])
    with progress_bar(size >= PROGRESS_FROM, "Simulating and hedging...") as report:
        progress = None if report is None else (
            lambda done, total: report(done, total, f"Simulating and hedging: {done:,} of {total:,} paths"))
        result = _run(settings, book_data, market, progress)
    if size >= TRIM_FROM:
        release_memory()
    return result


def _experiment(settings: dict[str, Any], book_data: dict[str, Any], market: dict[str, float],
                progress: Callable[[int, int], Any] | None):
    sim = hedge_lab_simulation(settings, book=Book.from_dict(book_data), market=Market(**market))
    res = run_experiment(**sim.keywords(), progress=progress,
                         record_paths=min(N_SAMPLE_PATHS, sim.size.n_paths))
    return sim, res


def _run(settings: dict[str, Any], book_data: dict[str, Any], market: dict[str, float],
         progress: Callable[[int, int], Any] | None) -> LabResult:
    sim, res = _experiment(settings, book_data, market, progress)
    size = sim.size
    return LabResult(
        pnl=kept(res.pnl), unhedged_pnl=kept(res.unhedged_pnl),
        costs=kept(res.costs), n_trades=kept(res.n_trades),
        premium=res.premium, summary=res.summary(),
        attribution={k: float(v.mean()) for k, v in res.attribution.items()},
        explain={k: float(v.mean()) for k, v in res.explain.items()},
        cost_breakdown={k: float(v.mean()) for k, v in res.cost_breakdown.items()},
        steps=res.steps, horizon=size.horizon, n_steps=size.n_steps,
        prediction=predicted_hedge_error(sim.model, sim.book, sim.setup, spot=size.spot,
                                         horizon=size.horizon, n_steps=size.n_steps),
        n_paths=size.n_paths, inputs=(dict(settings), dict(book_data), dict(market)),
    )


def prediction_note(result: LabResult) -> str:
    """The Derman-Kamal prediction in words, or why it does not apply here."""
    pred = result.prediction
    if not pred.applies:
        return "Derman-Kamal does not apply here: " + "; ".join(pred.reasons) + "."
    note = ("Derman-Kamal: sqrt(pi/4) x vega x vol / sqrt(N) with N = "
            f"{pred.n_rebalances:g} rebalances; the book-exact version integrates its gamma: "
            f"{format_number(pred.numerical_std)}.")
    if result.summary["mean_cost"] > 0:
        note += " Costs are not in the formula."
    return note


# --------------------------------------------------------------------------------------------
# shaping results for display

_TERM_LABELS = {
    "entry": "entry edge",
    "option_mtm": "book value change",
    "hedge_stock": "stock hedge",
    "hedge_options": "option hedge",
    "interest": "interest",
    "dividends": "dividends",
    "delta": "delta",
    "gamma": "gamma",
    "theta": "theta",
    "vega": "vega",
    "residual": "residual",
}


def waterfall_terms(terms: Mapping[str, float], *, merge_costs: bool = False) -> dict[str, float]:
    """Display labels for mean P&L terms; terms that are zero on average are dropped.

    ``cost_<component>`` keys become "cost: <component>", or one "costs" term when
    ``merge_costs``. The entry term is always kept (it is the premium's edge or loss).
    """
    out: dict[str, float] = {}
    cost_total = 0.0
    for key, value in terms.items():
        if key.startswith("cost_"):
            if merge_costs:
                cost_total += value
            elif value != 0.0:
                out["cost: " + key[5:].replace("_", " ")] = value
        elif value != 0.0 or key == "entry":
            out[_TERM_LABELS.get(key, key)] = value
    if merge_costs and cost_total != 0.0:
        out["costs"] = cost_total
    return out


def sample_arrays(steps: pd.DataFrame) -> dict[str, np.ndarray]:
    """Recorded steps as time-major arrays (n_times, k): time in trading days, spot, stock,
    option, pnl; plus ``paths`` (the path numbers)."""
    paths = sorted(steps["path"].unique())
    out: dict[str, np.ndarray] = {"paths": np.asarray(paths)}
    for col in ("spot", "stock", "option", "pnl"):
        out[col] = steps.pivot(index="step", columns="path", values=col)[paths].to_numpy(dtype=float)
    first = steps[steps["path"] == paths[0]].sort_values("step")
    out["time"] = first["time"].to_numpy(dtype=float) * TRADING_DAYS_PER_YEAR
    return out


_LEDGER_COLUMNS = {
    "step": "step",
    "time": "time (trading days)",
    "spot": "spot",
    "volatility": "hedge vol (%)",
    "stock": "stock held (shares)",
    "stock_trade": "shares traded",
    "option": "hedge options held",
    "option_trade": "options traded",
    "option_price": "hedge option price",
    "option_strike": "hedge option strike",
    "option_expiry": "hedge option expiry (trading day)",
    "book_value": "book value",
    "cash": "cash",
    "costs": "costs to date",
    "pnl": "running P&L",
}


def ledger_frame(steps: pd.DataFrame, path: int, *, with_option: bool) -> pd.DataFrame:
    """The per-step ledger of one recorded path, columns renamed with their units.

    Time and the hedge option's expiry in trading days from today, hedge volatility in
    percent, money in currency. The option columns are dropped for strategies without a
    hedge option.
    """
    f = steps[steps["path"] == path].sort_values("step").copy()
    if f.empty:
        raise HedgeLibError(f"path {path} was not recorded")
    f["time"] = f["time"] * TRADING_DAYS_PER_YEAR
    if "option_expiry" in f:
        f["option_expiry"] = f["option_expiry"] * TRADING_DAYS_PER_YEAR
    f["volatility"] = f["volatility"] * 100.0
    cols = [c for c in _LEDGER_COLUMNS if c in f and (with_option or not c.startswith("option"))]
    return f[cols].rename(columns=_LEDGER_COLUMNS).reset_index(drop=True)


def results_frame(result: LabResult) -> pd.DataFrame:
    """P&L per path for download: path, hedged and unhedged P&L, costs, trades.

    Every path of the run: when the cached result keeps only a sample, the run is repeated
    (seeded, so bit-identical) without caching its arrays, only for the download.
    """
    source: Any = result
    if result.sampled and result.inputs is not None:
        _, source = _experiment(*result.inputs, None)
    frame = pd.DataFrame({
        "path": np.arange(source.pnl.size),
        "hedged_pnl": source.pnl,
        "unhedged_pnl": source.unhedged_pnl,
        "costs": source.costs,
        "n_trades": source.n_trades,
    })
    if source is not result:
        del source
        release_memory()
    return frame


def std_error_of_std(std: float, n_paths: int) -> float:
    """Standard error of a sample std, ``std / sqrt(2 (n - 1))`` (normal approximation)."""
    return std / math.sqrt(2.0 * max(n_paths - 1, 1))


def rule_phrase(settings: Mapping[str, Any], horizon: float) -> str:
    """The rebalancing rule in words, with its interval in trading days; a rule registered
    later is named by its label and parameters."""
    name = settings["rule"]
    if name in ("every_n_steps", "every_n_or_band"):
        days = settings["every_n"] * step_days(horizon, int(settings["n_steps"]))
        every = "daily" if math.isclose(days, 1.0) else f"every {days:.3g} trading days"
    band = f"when the hedge is off by more than {settings.get('band_width', 0.0):g} shares"
    if name == "every_n_steps":
        return f"rebalanced {every}"
    if name == "delta_band":
        return f"rebalanced {band}"
    if name == "whalley_wilmott":
        return ("rebalanced at the edge of a Whalley-Wilmott band (risk aversion "
                f"{settings['ww_risk_aversion']:g})")
    if name == "every_n_or_band":
        return f"rebalanced {every} or {band}"
    entry = RULES[name]
    params = ", ".join(f"{p.label} {settings[p.key]:g}" for p in entry.parameters
                       if isinstance(settings.get(p.key), int | float))
    return f"rebalanced by the rule {entry.label}" + (f" ({params})" if params else "")


def takeaway(settings: Mapping[str, Any], result: LabResult) -> str:
    """One line reading the run: how much the hedge cut the risk, and at what cost.

    >>> from hedgelib.scenario import hedge_lab_fields
    >>> s = {k: f.default for k, f in hedge_lab_fields().items()}
    >>> r = LabResult(np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), 1.0,
    ...               {"std": 0.31, "unhedged_std": 4.1, "mean_cost": 0.12, "mean_trades": 64.0,
    ...                "mean": -0.05, "var_99": 0.9}, {}, {}, {}, pd.DataFrame(), 0.25, 63,
    ...               Prediction(None, None, 63.0))
    >>> takeaway(s, r)
    'Takeaway: delta hedging rebalanced daily cut the P&L std from 4.10 to 0.31 (92% less), at a mean cost of 0.12 over 64.0 trades per path.'
    """
    s = result.summary
    std, ustd = s["std"], s["unhedged_std"]
    if settings["strategy"] == "none":
        return (f"Takeaway: unhedged, the book's P&L has a std of {format_number(std)} around a mean of "
                f"{format_number(s['mean'])}; one path in a hundred loses more than {format_number(s['var_99'])}.")
    who = f"{settings['strategy']} hedging {rule_phrase(settings, result.horizon)}"
    cost = f"at a mean cost of {format_number(s['mean_cost'])} over {s['mean_trades']:.1f} trades per path"
    if ustd > 0 and std <= ustd:
        return (f"Takeaway: {who} cut the P&L std from {format_number(ustd)} to {format_number(std)} "
                f"({1 - std / ustd:.0%} less), {cost}.")
    return f"Takeaway: {who} left the P&L std at {format_number(std)} against {format_number(ustd)} unhedged, {cost}."
