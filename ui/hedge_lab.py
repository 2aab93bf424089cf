"""Inputs, cached runner and explanations for the Monte Carlo Hedge Lab page.

The page gathers its inputs in a form; this module declares them once (:data:`FIELDS`:
default, label, bounds, help, in trader units), turns them into library objects (market
model, strategy, rule, costs), runs :func:`hedgelib.hedging.run_experiment` once per set of
inputs (cached, bounded, capped) and shapes the result for display. It holds no finance of
its own: P&L, statistics and predictions come from :mod:`hedgelib`.

Units: the form speaks trader units (volatility and drift in percent, costs in basis points,
tenors in trading days); the library works in decimals and years underneath.

Session-state keys (page prefix ``"hl_"``)
-----------------------------------------
``hl_<name>`` for every ``name`` in :data:`WIDGETS`
    the form's widgets (``hl_model``, ``hl_vol_pct``, ``hl_strategy``, ``hl_rule``,
    ``hl_cost_bp``, ``hl_n_paths``, ``hl_n_steps``, ``hl_seed``, ...), in trader units.
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
``hl_upload``
    the scenario-file uploader.
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

from hedgelib import theory
from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError
from hedgelib.hedging import (
    AnyOf,
    DeltaBand,
    EveryNSteps,
    HedgeOption,
    TransactionCosts,
    WhalleyWilmott,
    run_experiment,
)
from hedgelib.market.models import GARCH, GBM, Heston, MertonJump
from ui.fields import Field
from ui.scenario import ScenarioSchema
from ui.state import DEFAULT_MARKET

__all__ = [
    "FIELDS",
    "MAX_PATH_STEPS",
    "MODELS",
    "N_SAMPLE_PATHS",
    "PROGRESS_FROM",
    "RULES",
    "SCHEMA",
    "STRATEGIES",
    "WIDGETS",
    "LabResult",
    "Prediction",
    "build_costs",
    "build_hedge_option",
    "build_model",
    "build_rule",
    "cap_message",
    "default_book",
    "ledger_frame",
    "path_steps",
    "results_frame",
    "rule_phrase",
    "run_lab",
    "sample_arrays",
    "scenario_of",
    "std_error_of_std",
    "step_days",
    "takeaway",
    "waterfall_terms",
    "zoom_range",
]

# One user's request may not exceed this many path-steps (n_paths x n_steps): about a
# second or two of compute on one core, and a few tens of MB of results in the cache.
MAX_PATH_STEPS = 5_000_000
# Runs at least this large show a progress bar (smaller ones finish before it would draw).
PROGRESS_FROM = 1_000_000
# Paths whose every step is recorded for the sample-path charts and the ledger.
N_SAMPLE_PATHS = 5
# Cached runs kept per server process; each holds four float arrays of n_paths.
CACHE_ENTRIES = 16

MODELS: dict[str, str] = {
    "GBM": "GBM (constant volatility)",
    "Heston": "Heston (stochastic volatility)",
    "Merton": "Merton (jumps)",
    "GARCH": "GARCH(1,1) (volatility clusters)",
}
STRATEGIES: dict[str, str] = {
    "none": "No hedge",
    "delta": "Delta (stock)",
    "delta-gamma": "Delta-gamma (stock + option)",
    "delta-vega": "Delta-vega (stock + option)",
}
RULES: dict[str, str] = {
    "every": "Every N steps",
    "band": "Delta band",
    "ww": "Whalley-Wilmott band",
    "anyof": "Every N steps or delta band",
}


FIELDS: dict[str, Field] = {
    # market model
    "model": Field("GBM", "Market model", choices=tuple(MODELS),
                   help="How the simulated spot moves. The hedger does not know it: the deltas use "
                        "the hedge volatility below."),
    "drift_pct": Field(5.0, "Drift (% per year)", min=-100.0, max=100.0, step=1.0,
                       help="Expected total return of the underlying; equal to the rate for the "
                            "pricing measure. Hedged P&L barely depends on it."),
    "vol_pct": Field(20.0, "Volatility (%)", min=0.0, max=300.0, step=1.0,
                     help="Realised volatility of GBM, diffusion volatility of Merton, long-run "
                          "volatility of GARCH (annualised, vol points)."),
    "heston_v0_vol_pct": Field(20.0, "Heston: volatility today (%)", min=0.0, max=300.0, step=1.0,
                               help="Square root of the initial variance v0."),
    "heston_theta_vol_pct": Field(20.0, "Heston: long-run volatility (%)", min=0.0, max=300.0,
                                  step=1.0, help="Square root of the long-run variance theta."),
    "heston_kappa": Field(2.0, "Heston: mean reversion (per year)", min=0.0, max=50.0, step=0.5),
    "heston_xi": Field(0.5, "Heston: vol of vol", min=0.0, max=10.0, step=0.1),
    "heston_rho": Field(-0.7, "Heston: spot-vol correlation", min=-1.0, max=1.0, step=0.1),
    "merton_intensity": Field(0.5, "Merton: jumps per year", min=0.0, max=100.0, step=0.5),
    "merton_jump_mean_pct": Field(-10.0, "Merton: mean log jump (%)", min=-100.0, max=100.0,
                                  step=1.0),
    "merton_jump_std_pct": Field(15.0, "Merton: log jump std (%)", min=0.0, max=100.0, step=1.0),
    "garch_alpha": Field(0.08, "GARCH: alpha (reaction)", min=0.0, max=1.0, step=0.01),
    "garch_beta": Field(0.90, "GARCH: beta (persistence)", min=0.0, max=1.0, step=0.01,
                        help="alpha + beta must stay below 1; the long-run volatility is the "
                             "volatility above."),
    # hedge
    "strategy": Field("delta", "Strategy", choices=tuple(STRATEGIES),
                      help="What the hedge targets: nothing, delta with the stock, or gamma / vega "
                           "with one listed option and then delta with the stock."),
    "hopt_kind": Field("call", "Hedge option: kind", choices=("call", "put")),
    "hopt_moneyness_pct": Field(100.0, "Hedge option: strike (% of spot)", min=0.0, max=500.0,
                                step=5.0, help="Strike as a percentage of the spot on the day it "
                                               "is bought; 100 is at the money."),
    "hopt_tenor_days": Field(126.0, "Hedge option: tenor (trading days)", min=0.0, max=2520.0,
                             step=21.0, help="Life of the hedge option when bought; rolled into a "
                                             "fresh one when it expires before the horizon."),
    "rule": Field("every", "Rebalancing rule", choices=tuple(RULES),
                  help="When to trade back to the target hedge."),
    "every_n": Field(1, "Every N steps", min=1, max=10_000, step=1,
                     help="Rebalancing interval in grid steps (every-N rules)."),
    "band_width": Field(0.05, "Band half-width (shares of delta)", min=0.0, max=1000.0, step=0.01,
                        help="Trade when the hedge is off target by more than this many shares "
                             "(band rules)."),
    "ww_risk_aversion": Field(1.0, "Whalley-Wilmott risk aversion", min=0.0, max=1e6, step=0.5,
                              help="Higher means a narrower band and more trading. Needs a "
                                   "proportional cost."),
    "hedge_vol_pct": Field(20.0, "Hedge volatility (%)", min=0.0, max=300.0, step=1.0,
                           help="Volatility the hedger uses for deltas and marks: the model-risk "
                                "lever."),
    "pricing_vol_pct": Field(20.0, "Pricing volatility (%)", min=0.0, max=300.0, step=1.0,
                             help="Volatility at which the book was traded: sets the premium."),
    # costs
    "cost_bp": Field(5.0, "Proportional cost (bp of notional)", min=0.0, max=10_000.0, step=1.0,
                     help="One-way cost of a stock trade in basis points of |shares| x spot."),
    "per_trade": Field(0.0, "Fixed cost per rebalance (currency)", min=0.0, max=1e6, step=0.01),
    "impact": Field(0.0, "Impact coefficient (square-root law)", min=0.0, max=100.0, step=0.1,
                    help="Price moves against a trade by about coefficient x daily vol x "
                         "sqrt(shares / daily volume)."),
    "daily_volume": Field(1e6, "Daily volume (shares)", min=0.0, max=1e12, step=1e5),
    "option_spread_pct": Field(0.0, "Option spread (% of option price)", min=0.0, max=100.0,
                               step=0.5),
    # run
    "n_paths": Field(10_000, "Paths", min=1, max=1_000_000, step=1000),
    "n_steps": Field(63, "Steps over the horizon", min=1, max=10_000, step=1,
                     help="Equal grid steps from today to the book's last expiry."),
    "seed": Field(42, "Seed", min=0, max=2**32 - 1, step=1,
                  help="The same seed gives the same paths."),
}
WIDGETS: tuple[str, ...] = tuple(FIELDS)

_DEFAULT_BOOK_DAYS = 63  # a quarter of the lab's trading year


def default_book(spot: float) -> Book:
    """The fallback book: one short at-the-money call, 63 trading days, strike = ``spot``."""
    return Book([OptionLeg("call", float(spot), _DEFAULT_BOOK_DAYS / TRADING_DAYS_PER_YEAR, -1.0)])


# Book and market travel with a scenario too, so a shared link reproduces the run exactly.
_EXTRA_DEFAULTS: dict[str, Any] = {
    "book": default_book(DEFAULT_MARKET["spot"]).to_dict(),
    "spot": float(DEFAULT_MARKET["spot"]),
    "rate_pct": 100.0 * DEFAULT_MARKET["rate"],
    "div_pct": 100.0 * DEFAULT_MARKET["dividend_yield"],
}
SCHEMA = ScenarioSchema(
    page="hedge_lab",
    defaults={**{k: f.default for k, f in FIELDS.items()}, **_EXTRA_DEFAULTS},
    choices={k: f.choices for k, f in FIELDS.items() if f.choices is not None},
    bounds={
        **{k: (f.min, f.max) for k, f in FIELDS.items() if f.min is not None or f.max is not None},
        "spot": (0.0, None),
    },
)


def scenario_of(settings: Mapping[str, Any], book: Book, market: Mapping[str, float]) -> dict[str, Any]:
    """The full scenario: the form's inputs plus the book and the market (rates in percent)."""
    return {
        **{k: settings[k] for k in WIDGETS},
        "book": book.to_dict(),
        "spot": float(market["spot"]),
        "rate_pct": 100.0 * float(market["rate"]),
        "div_pct": 100.0 * float(market["dividend_yield"]),
    }


# --------------------------------------------------------------------------------------------
# inputs -> library objects


def build_model(settings: Mapping[str, Any], dividend_yield: float) -> Any:
    """The market model of the form (percent inputs converted to decimals)."""
    drift = settings["drift_pct"] / 100.0
    vol = settings["vol_pct"] / 100.0
    name = settings["model"]
    if name == "GBM":
        return GBM(drift, vol, dividend_yield)
    if name == "Heston":
        return Heston(
            drift, (settings["heston_v0_vol_pct"] / 100.0) ** 2, settings["heston_kappa"],
            (settings["heston_theta_vol_pct"] / 100.0) ** 2, settings["heston_xi"],
            settings["heston_rho"], dividend_yield,
        )
    if name == "Merton":
        return MertonJump(
            drift, vol, settings["merton_intensity"], settings["merton_jump_mean_pct"] / 100.0,
            settings["merton_jump_std_pct"] / 100.0, dividend_yield,
        )
    if name == "GARCH":
        return GARCH.from_annualised(
            drift, vol, settings["garch_alpha"], settings["garch_beta"], dividend_yield
        )
    raise HedgeLibError(f"model must be one of {', '.join(MODELS)}, got {name!r}")


def build_rule(settings: Mapping[str, Any]) -> Any:
    """The rebalancing rule of the form."""
    name = settings["rule"]
    if name == "every":
        return EveryNSteps(settings["every_n"])
    if name == "band":
        return DeltaBand(settings["band_width"])
    if name == "ww":
        return WhalleyWilmott(settings["ww_risk_aversion"])
    if name == "anyof":
        return AnyOf(EveryNSteps(settings["every_n"]), DeltaBand(settings["band_width"]))
    raise HedgeLibError(f"rule must be one of {', '.join(RULES)}, got {name!r}")


def build_costs(settings: Mapping[str, Any]) -> TransactionCosts:
    """The cost model of the form (bp and percent converted to fractions)."""
    return TransactionCosts(
        proportional=settings["cost_bp"] / 1e4,
        per_trade=settings["per_trade"],
        impact=settings["impact"],
        daily_volume=settings["daily_volume"],
        option_spread=settings["option_spread_pct"] / 100.0,
    )


def build_hedge_option(settings: Mapping[str, Any]) -> HedgeOption | None:
    """The hedge option for strategies that use one (else None); errors say "Hedge option"."""
    if settings["strategy"] not in ("delta-gamma", "delta-vega"):
        return None
    try:
        return HedgeOption(
            settings["hopt_kind"], settings["hopt_moneyness_pct"] / 100.0,
            settings["hopt_tenor_days"] / TRADING_DAYS_PER_YEAR,
        )
    except HedgeLibError as exc:
        raise HedgeLibError(
            f"Hedge option for the {settings['strategy']} strategy: {exc} (set its strike and "
            "tenor, or pick a strategy without an option)"
        ) from None


def path_steps(settings: Mapping[str, Any]) -> int:
    """Size of the request: paths x steps."""
    return int(settings["n_paths"]) * int(settings["n_steps"])


def cap_message(settings: Mapping[str, Any]) -> str | None:
    """The refusal for a request above :data:`MAX_PATH_STEPS`, or None when it fits."""
    size = path_steps(settings)
    if size <= MAX_PATH_STEPS:
        return None
    return (
        f"This run asks for {settings['n_paths']:,} paths x {settings['n_steps']:,} steps = "
        f"{size:,} path-steps, above the lab's cap of {MAX_PATH_STEPS:,} path-steps per run "
        "(the server is shared). Use fewer paths or fewer steps."
    )


def step_days(horizon: float, n_steps: int) -> float:
    """Length of one grid step in trading days."""
    return horizon * TRADING_DAYS_PER_YEAR / n_steps


# --------------------------------------------------------------------------------------------
# the run


@dataclass(frozen=True)
class Prediction:
    """Derman-Kamal prediction of the hedged P&L's std, or why it does not apply.

    ``std`` is the at-the-money closed form :math:`\\sqrt{\\pi/4}\\,\\mathcal V\\sigma/\\sqrt N`;
    ``numerical_std`` integrates the book's own gamma (:func:`hedgelib.theory.hedge_error_std`).
    Both are None when the set-up is outside the formula's assumptions (``note`` says which).
    """

    std: float | None
    numerical_std: float | None
    n_rebalances: float
    note: str


@dataclass(frozen=True)
class LabResult:
    """What the page shows of one run; per-path arrays only where the page needs them.

    ``attribution``, ``explain`` and ``cost_breakdown`` are means over paths, in currency.
    ``steps`` holds the recorded steps of the first :data:`N_SAMPLE_PATHS` paths.
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


def _prediction(settings: Mapping[str, Any], book: Book, market: Mapping[str, float],
                horizon: float) -> Prediction:
    every = int(settings["every_n"])
    n = int(settings["n_steps"])
    n_reb = n / every
    reasons = []
    if settings["model"] != "GBM":
        reasons.append("the model is not GBM")
    if settings["strategy"] != "delta":
        reasons.append("the strategy is not a plain delta hedge")
    if settings["rule"] != "every":
        reasons.append("the rule is not a fixed interval")
    elif n % every:
        reasons.append("the interval does not divide the steps evenly")
    if settings["hedge_vol_pct"] != settings["vol_pct"]:
        reasons.append("the hedge volatility differs from the realised one")
    if len(book.expiries) != 1:
        reasons.append("the book's legs expire on different dates")
    if reasons:
        return Prediction(None, None, n_reb, "Derman-Kamal does not apply here: " + "; ".join(reasons) + ".")
    sigma = settings["vol_pct"] / 100.0
    r, q = float(market["rate"]), float(market["dividend_yield"])
    vega = float(book.greeks(float(market["spot"]), sigma, rate=r, dividend_yield=q).vega)
    closed = float(theory.derman_kamal_std(vega, sigma, n_reb))
    numerical = float(theory.hedge_error_std(
        book, spot=float(market["spot"]), volatility=sigma, n_rebalances=int(n_reb),
        horizon=horizon, rate=r, dividend_yield=q, drift=settings["drift_pct"] / 100.0,
    ))
    note = ("Derman-Kamal: sqrt(pi/4) x vega x vol / sqrt(N) with N = "
            f"{n_reb:g} rebalances; the book-exact version integrates its gamma: {numerical:.4g}.")
    if settings["cost_bp"] or settings["per_trade"] or settings["impact"]:
        note += " Costs are not in the formula."
    return Prediction(closed, numerical, n_reb, note)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def run_lab(
    settings: dict[str, Any],
    book_data: dict[str, Any],
    market: dict[str, float],
) -> LabResult:
    """Hedge the book on simulated paths (cached on the plain-data inputs).

    ``settings`` are the form's inputs (trader units), ``book_data`` is ``Book.to_dict()``,
    ``market`` has ``spot``, ``rate`` and ``dividend_yield`` (decimals). Runs of at least
    :data:`PROGRESS_FROM` path-steps draw a progress bar, created here and emptied at the end:
    Streamlit replays a cached function's elements on a cache hit, which works only for
    elements the function creates itself. Raises ``HedgeLibError`` for bad input (not cached).
    """
    bar = None
    if path_steps(settings) >= PROGRESS_FROM:
        bar = st.progress(0.0, text="Simulating and hedging...")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Simulating and hedging: {done:,} of {total:,} paths")

    try:
        return _run(settings, book_data, market, None if bar is None else progress)
    finally:
        if bar is not None:
            bar.empty()


def _run(settings: dict[str, Any], book_data: dict[str, Any], market: dict[str, float],
         progress: Callable[[int, int], Any] | None) -> LabResult:
    book = Book.from_dict(book_data)
    horizon = book.expiry
    r, q = float(market["rate"]), float(market["dividend_yield"])
    model = build_model(settings, q)
    res = run_experiment(
        model, book, spot=float(market["spot"]), horizon=horizon,
        n_steps=int(settings["n_steps"]), n_paths=int(settings["n_paths"]),
        seed=int(settings["seed"]), progress=progress,
        hedge_volatility=settings["hedge_vol_pct"] / 100.0,
        pricing_volatility=settings["pricing_vol_pct"] / 100.0,
        rate=r, dividend_yield=q, rule=build_rule(settings), costs=build_costs(settings),
        strategy=settings["strategy"], hedge_option=build_hedge_option(settings),
        record_paths=min(N_SAMPLE_PATHS, int(settings["n_paths"])),
    )
    return LabResult(
        pnl=np.asarray(res.pnl), unhedged_pnl=np.asarray(res.unhedged_pnl),
        costs=np.asarray(res.costs), n_trades=np.asarray(res.n_trades),
        premium=res.premium, summary=res.summary(),
        attribution={k: float(v.mean()) for k, v in res.attribution.items()},
        explain={k: float(v.mean()) for k, v in res.explain.items()},
        cost_breakdown={k: float(v.mean()) for k, v in res.cost_breakdown.items()},
        steps=res.steps, horizon=float(horizon), n_steps=int(settings["n_steps"]),
        prediction=_prediction(settings, book, market, horizon),
    )


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
    "book_value": "book value",
    "cash": "cash",
    "costs": "costs to date",
    "pnl": "running P&L",
}


def ledger_frame(steps: pd.DataFrame, path: int, *, with_option: bool) -> pd.DataFrame:
    """The per-step ledger of one recorded path, columns renamed with their units.

    Time in trading days, hedge volatility in percent, money in currency. The option
    columns are dropped for strategies without a hedge option.
    """
    f = steps[steps["path"] == path].sort_values("step").copy()
    if f.empty:
        raise HedgeLibError(f"path {path} was not recorded")
    f["time"] = f["time"] * TRADING_DAYS_PER_YEAR
    f["volatility"] = f["volatility"] * 100.0
    cols = [c for c in _LEDGER_COLUMNS if with_option or not c.startswith("option")]
    return f[cols].rename(columns=_LEDGER_COLUMNS).reset_index(drop=True)


def results_frame(result: LabResult) -> pd.DataFrame:
    """P&L per path for download: path, hedged and unhedged P&L, costs, trades."""
    return pd.DataFrame({
        "path": np.arange(result.pnl.size),
        "hedged_pnl": result.pnl,
        "unhedged_pnl": result.unhedged_pnl,
        "costs": result.costs,
        "n_trades": result.n_trades,
    })


def zoom_range(pnl: np.ndarray) -> tuple[float, float] | None:
    """The 0.1% to 99.9% quantile range of a P&L sample, or None when it is a single point."""
    lo, hi = (float(v) for v in np.quantile(pnl, [0.001, 0.999]))
    return (lo, hi) if hi > lo else None


def std_error_of_std(std: float, n_paths: int) -> float:
    """Standard error of a sample std, ``std / sqrt(2 (n - 1))`` (normal approximation)."""
    return std / math.sqrt(2.0 * max(n_paths - 1, 1))


def _num(x: float) -> str:
    a = abs(x)
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def rule_phrase(settings: Mapping[str, Any], horizon: float) -> str:
    """The rebalancing rule in words, with its interval in trading days."""
    every_days = settings["every_n"] * step_days(horizon, int(settings["n_steps"]))
    every = "daily" if math.isclose(every_days, 1.0) else f"every {every_days:.3g} trading days"
    band = f"when the hedge is off by more than {settings['band_width']:g} shares"
    return {
        "every": f"rebalanced {every}",
        "band": f"rebalanced {band}",
        "ww": f"rebalanced at the edge of a Whalley-Wilmott band (risk aversion {settings['ww_risk_aversion']:g})",
        "anyof": f"rebalanced {every} or {band}",
    }[settings["rule"]]


def takeaway(settings: Mapping[str, Any], result: LabResult) -> str:
    """One line reading the run: how much the hedge cut the risk, and at what cost.

    >>> s = {**{k: f.default for k, f in FIELDS.items()}}
    >>> r = LabResult(np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), 1.0,
    ...               {"std": 0.31, "unhedged_std": 4.1, "mean_cost": 0.12, "mean_trades": 64.0,
    ...                "mean": -0.05, "var_99": 0.9}, {}, {}, {}, pd.DataFrame(), 0.25, 63,
    ...               Prediction(None, None, 63.0, ""))
    >>> takeaway(s, r)
    'Takeaway: delta hedging rebalanced daily cut the P&L std from 4.10 to 0.31 (92% less), at a mean cost of 0.12 over 64.0 trades per path.'
    """
    s = result.summary
    std, ustd = s["std"], s["unhedged_std"]
    if settings["strategy"] == "none":
        return (f"Takeaway: unhedged, the book's P&L has a std of {_num(std)} around a mean of "
                f"{_num(s['mean'])}; one path in a hundred loses more than {_num(s['var_99'])}.")
    who = f"{settings['strategy']} hedging {rule_phrase(settings, result.horizon)}"
    cost = f"at a mean cost of {_num(s['mean_cost'])} over {s['mean_trades']:.1f} trades per path"
    if ustd > 0 and std <= ustd:
        return (f"Takeaway: {who} cut the P&L std from {_num(ustd)} to {_num(std)} "
                f"({1 - std / ustd:.0%} less), {cost}.")
    return f"Takeaway: {who} left the P&L std at {_num(std)} against {_num(ustd)} unhedged, {cost}."
