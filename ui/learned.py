"""Inputs, cached runs and display shaping of the Learned Hedging page.

The page trains a :class:`hedgelib.learned.DeepHedge` on the chosen market model for the
book of the Option Book page, compares it on fresh paths with the Black-Scholes delta,
Whalley-Wilmott's band, the minimum-variance delta and no hedge
(:func:`hedgelib.learned.compare_hedges`), and reads what the network learned; a second tab
fits Hull and White's minimum-variance delta on the bundled S&P 500 and VIX. Every number
comes from the library; this module caches the runs (bounded), draws progress and shapes the
results for the page.

Session-state keys (page prefix ``"lh_"``)
-----------------------------------------
``lh_<name>`` for every input of :func:`learned_fields`
    the training form's widgets (``lh_model``, ``lh_cost_bp``, ``lh_loss``, ``lh_epochs``...).
``lh_submitted``
    plain dict of the inputs of the run on show; absent until the first Train (or a link).
``lh_preset``
    the experiment the form was last filled from (:data:`PRESETS`).
``lh_registered``
    registry names of the deep hedges trained in this session (offered by every page).
``lh_hw_<name>`` for every input of :data:`HW_FIELDS`, ``lh_hw_submitted``
    the Hull-White tab's form and its last fit; ``lh_hs_<name>``, ``lh_hs_submitted`` the
    fit on Heston paths.
``lh_tab``, ``lh_view``, ``lh_show_none``, ``lh_download_policy``
    the open tab, the heatmap's view, whether the P&L chart shows the unhedged P&L, and the
    download of the trained policy;
``lh_note``, ``lh_link_problems``, ``lh_write_link``, ``lh_upload``, ``lh_download_scenario``
    the scenario machinery of :mod:`ui.scenario` (link, file upload and download).

The page also reads the shared ``"book"`` and ``"market"`` keys (:mod:`ui.state`).
"""

from __future__ import annotations

import io
import math
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from hedgelib.book import Book
from hedgelib.charts.learned import loss_curve_figure
from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.learned import (
    ARCHITECTURES,
    BAND_FEATURES,
    BUNDLED_FIT_WINDOW,
    BUNDLED_TEST_WINDOW,
    DEFAULT_FEATURES,
    LOSSES,
    DeepHedge,
    MinimumVarianceDelta,
    bundled_fit,
    compare_hedges,
    learned_setups,
    no_trade_band,
    policy_surface,
    whalley_wilmott_band,
)
from hedgelib.market.history import implied_volatility_series, load_bundled
from hedgelib.market.models import GBM, Heston, MertonJump
from hedgelib.registry import Parameter
from hedgelib.scenario import (
    ScenarioSchema,
    book_and_market_inputs,
    build_part,
    merge_fields,
    model_fields,
)
from ui.errors import MAX_HEDGED_PATH_STEPS, MAX_PATH_STEPS
from ui.units import format_number

__all__ = [
    "ARCHITECTURE_LABELS",
    "HW_FIELDS",
    "HS_FIELDS",
    "LOSS_LABELS",
    "MAX_TRAINING_PATH_STEPS",
    "PRESETS",
    "HullWhiteView",
    "LearnedRun",
    "fit_heston_view",
    "fit_history_view",
    "learned_fields",
    "learned_schema",
    "measure_of_loss",
    "policy_zip",
    "run_learned",
    "run_refusal",
    "takeaway",
]

# Training may not exceed this many path-steps through the network (paths x steps x
# epochs): a minute or two on two cores. Larger runs are refused with a message.
MAX_TRAINING_PATH_STEPS = 60_000_000
CACHE_ENTRIES = 8
# The fit of Hull and White's delta on a model: a quarter of daily steps, enough paths for
# standard errors of a few percent; Heston prices go through a spline (a few seconds).
_MV_PATHS, _MV_DAYS = 30, 63

LOSS_LABELS = {"entropic": "Entropic risk", "cvar": "CVaR (expected shortfall)", "variance": "Variance"}
ARCHITECTURE_LABELS = {"mlp": "Perceptron: outputs the hedge", "band": "No-transaction band network"}


def learned_fields() -> dict[str, Parameter]:
    """The training form's inputs, keyed by name (the market model's from the registry)."""
    p = Parameter
    return merge_fields(model_fields(), {
        "hedge_vol_pct": p("hedge_vol_pct", "Hedge (implied) volatility (%)", 20.0, low=1.0, high=200.0,
                           step=1.0, key="hedge_vol_pct",
                           help="Volatility of the deltas, of the premium and of the network's inputs: "
                                "what the hedger believes; the model decides how prices really move."),
        "cost_bp": p("cost_bp", "Proportional cost (bp of notional)", 100.0, low=0.0, high=1000.0, step=5.0,
                     key="cost_bp", help="One-way cost of a stock trade: 100 bp = 1% of |shares| x spot."),
        "loss": p("loss", "Loss (risk measure minimised)", "entropic", choices=LOSSES, key="loss",
                  help="Entropic risk (1/a) log E[exp(-a X)], CVaR (mean loss in the worst tail) or "
                       "variance of the hedged P&L X, costs included."),
        "risk_aversion": p("risk_aversion", "Risk aversion a (per currency unit)", 1.0, low=0.01,
                           high=100.0, step=0.1, key="risk_aversion",
                           help="Of the entropic risk, and of Whalley-Wilmott's band on the same page."),
        "cvar_level_pct": p("cvar_level_pct", "CVaR level (%)", 95.0, low=50.0, high=99.9, step=0.5,
                            key="cvar_level_pct", help="CVaR and ES in the table: the mean of the worst "
                                                       "100 - level percent of paths."),
        "architecture": p("architecture", "Network", "band", choices=ARCHITECTURES, key="architecture",
                          help="A perceptron whose output is the hedge (Buehler et al.), or a no-transaction "
                               "band network (Imaki et al.): it outputs a band around the delta and holds the "
                               "previous hedge clipped to it, so it learns where not to trade."),
        "layers": p("layers", "Hidden layers", 2, low=1, high=4, step=1, key="layers"),
        "units": p("units", "Units per layer", 32, low=2, high=128, step=2, key="units"),
        "use_delta": p("use_delta", "Also feed the Black-Scholes delta", False, key="use_delta",
                       help="Off: the network sees log-moneyness, time to expiry, volatility (and, for "
                            "the perceptron, its previous hedge). On: also the delta, which it then only "
                            "has to adjust."),
        "n_paths": p("n_paths", "Training paths", 10_000, low=100, high=500_000, step=1000, key="n_paths"),
        "n_steps": p("n_steps", "Hedging steps over the book's life", 30, low=2, high=504, step=1,
                     key="n_steps"),
        "epochs": p("epochs", "Epochs (passes over the paths)", 20, low=1, high=1000, step=5, key="epochs"),
        "batch_size": p("batch_size", "Batch size (paths per Adam step)", 500, low=16, high=50_000,
                        step=100, key="batch_size"),
        "learning_rate": p("learning_rate", "Learning rate (Adam)", 0.003, low=1e-5, high=0.1, step=0.001,
                           key="learning_rate"),
        "seed": p("seed", "Seed", 1, low=0, high=2**31 - 1, step=1, key="seed",
                  help="Training paths, initial weights and batch order; the comparison uses the "
                       "next seed, so its paths are new to the network."),
        "eval_paths": p("eval_paths", "Fresh paths for the comparison", 20_000, low=500, high=500_000,
                        step=1000, key="eval_paths"),
    })


def learned_schema() -> ScenarioSchema:
    """The page's scenario (link and file): the training inputs plus the book and market."""
    return ScenarioSchema.from_fields("learned_hedging", learned_fields(), extra=book_and_market_inputs(),
                                      extra_bounds={"spot": (0.0, None)})


#: Experiments of the issue, each a change of the defaults: label -> inputs.
PRESETS: dict[str, dict[str, Any]] = {
    "Costs of 1%: entropic risk and the no-trade band (GBM)": {
        "model": "GBM", "cost_bp": 100.0, "loss": "entropic", "risk_aversion": 1.0, "architecture": "band"},
    "No costs, variance loss: the learned hedge against the delta (GBM)": {
        "model": "GBM", "cost_bp": 0.0, "loss": "variance", "architecture": "mlp"},
    "Leverage: Heston with rho = -0.7, no costs, variance loss": {
        "model": "Heston", "heston_rho": -0.7, "heston_xi": 1.0, "cost_bp": 0.0, "loss": "variance",
        "architecture": "mlp"},
}


def run_refusal(settings: dict[str, Any]) -> str | None:
    """Why a training run is refused (too large for a shared server), or None."""
    n, m, e = int(settings["n_steps"]), int(settings["n_paths"]), int(settings["epochs"])
    if m * n > MAX_PATH_STEPS:
        return (f"{m:,} training paths x {n} steps = {m * n:,} path-steps is above the cap of "
                f"{MAX_PATH_STEPS:,} (memory of a shared server): use fewer paths or steps.")
    if m * n * e > MAX_TRAINING_PATH_STEPS:
        return (f"{m:,} paths x {n} steps x {e} epochs = {m * n * e:,} path-steps through the network, "
                f"above the cap of {MAX_TRAINING_PATH_STEPS:,} per run: use fewer epochs, paths or steps.")
    hedged = int(settings["eval_paths"]) * n * 5
    if hedged > MAX_HEDGED_PATH_STEPS:
        return (f"The comparison asks for {int(settings['eval_paths']):,} paths x {n} steps x 5 hedges, "
                f"above the cap of {MAX_HEDGED_PATH_STEPS:,}: use fewer fresh paths.")
    return None


def measure_of_loss(loss: str) -> str:
    """The column of :meth:`~hedgelib.learned.HedgeComparison.table` a loss is judged by."""
    return {"entropic": "entropic", "cvar": "es", "variance": "std"}[loss]


# -- the training run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnedRun:
    """What the page shows of one training and comparison (plain arrays, picklable)."""

    hedge: DeepHedge
    table: pd.DataFrame
    pnl: dict[str, np.ndarray]
    labels: dict[str, str]
    mv_note: str
    moneyness: np.ndarray
    times_days: tuple[float, ...]
    learned_curves: dict[str, np.ndarray]
    delta_curves: dict[str, np.ndarray]
    heat_days: np.ndarray
    heat_moneyness: np.ndarray
    heat_policy: np.ndarray
    heat_delta: np.ndarray
    band_days: float
    band: tuple[np.ndarray, np.ndarray]
    ww_band: tuple[np.ndarray, np.ndarray, np.ndarray]
    horizon: float


def _model(settings: dict[str, Any]) -> Any:
    return build_part("model", settings)


def _min_variance(model: Any, book: Book, market: dict[str, float]) -> tuple[MinimumVarianceDelta, str]:
    """Hull and White's delta fitted on this model's paths where it has a closed form, else
    the bundled S&P 500 fit; bound to the book (leg by leg)."""
    r, q = market["rate"], market["dividend_yield"]
    if isinstance(model, GBM | Heston | MertonJump):
        try:
            mv = MinimumVarianceDelta.fit_model(model, spot=market["spot"], horizon=_MV_DAYS / TRADING_DAYS_PER_YEAR,
                                                n_steps=_MV_DAYS, n_paths=_MV_PATHS, seed=0, rate=r,
                                                dividend_yield=q)
            note = (f"fitted on {_MV_PATHS} paths of {_MV_DAYS} days of this {type(model).__name__} model: "
                    f"a = {mv.a:.3f}, b = {mv.b:.3f}, c = {mv.c:.3f}")
            return mv.for_book(book, rate=r, dividend_yield=q), note
        except HedgeLibError:
            pass
    fit = bundled_fit()
    mv = MinimumVarianceDelta(fit.a, fit.b, fit.c, result=fit)
    return mv.for_book(book, rate=r, dividend_yield=q), "the bundled S&P 500 + VIX fit (2014-2016)"


def _spec(settings: dict[str, Any]) -> DeepHedge:
    band = settings["architecture"] == "band"
    features = (BAND_FEATURES if band else DEFAULT_FEATURES) + (("delta",) if settings["use_delta"] else ())
    return DeepHedge(hidden=(int(settings["units"]),) * int(settings["layers"]), loss=settings["loss"],
                     risk_aversion=float(settings["risk_aversion"]), features=features,
                     level=float(settings["cvar_level_pct"]) / 100.0, architecture=settings["architecture"])


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def run_learned(settings: dict[str, Any], book_data: dict[str, Any], market: dict[str, float]) -> LearnedRun:
    """Train the deep hedge and compare it on fresh paths (cached on the plain inputs).

    Draws a progress bar and the loss curve while it trains; both go when it is done. A
    Stop (or a new run) raises out of the progress callback, so the run is cancelled and
    nothing is cached. Raises ``HedgeLibError`` for bad input.
    """
    book = Book.from_dict(book_data)
    model = _model(settings)
    spec = _spec(settings)
    costs = TransactionCosts(proportional=float(settings["cost_bp"]) / 1e4)
    sigma = float(settings["hedge_vol_pct"]) / 100.0
    horizon = book.expiry
    n_steps, epochs = int(settings["n_steps"]), int(settings["epochs"])
    bar = st.progress(0.0, text="Compiling the training step (JAX)...")
    chart = st.empty()
    history: list[float] = []
    drawn = [0.0]

    def progress(epoch: int, total: int, loss: float) -> None:
        history.append(loss)
        bar.progress(0.85 * epoch / total, text=f"Training: epoch {epoch} of {total}, loss {loss:.4g}")
        # Redraw the curve at most twice a second: a long run has many short epochs.
        now = time.monotonic()
        if now - drawn[0] > 0.5 or epoch == total:
            drawn[0] = now
            chart.plotly_chart(loss_curve_figure(history, title="Training loss (live)"), width="stretch")

    try:
        hedge = spec.fit(
            model, book, spot=market["spot"], horizon=horizon, n_steps=n_steps,
            n_paths=int(settings["n_paths"]), seed=int(settings["seed"]), hedge_volatility=sigma,
            rate=market["rate"], dividend_yield=market["dividend_yield"], costs=costs, epochs=epochs,
            batch_size=int(settings["batch_size"]), learning_rate=float(settings["learning_rate"]),
            progress=progress,
        )
        bar.progress(0.88, text="Fitting Hull and White's delta on the model...")
        mv, mv_note = _min_variance(model, book, market)
        bar.progress(0.9, text="Comparing on fresh paths...")
        setups, labels = learned_setups(
            hedge_volatility=sigma, rate=market["rate"], dividend_yield=market["dividend_yield"],
            costs=costs, deep=hedge, min_variance=mv, ww_risk_aversion=float(settings["risk_aversion"]))
        cmp = compare_hedges(model, book, setups, spot=market["spot"], horizon=horizon, n_steps=n_steps,
                             n_paths=int(settings["eval_paths"]), seed=int(settings["seed"]) + 1,
                             labels=labels, risk_aversion=float(settings["risk_aversion"]),
                             level=float(settings["cvar_level_pct"]) / 100.0)
        return _shape(hedge, cmp, mv_note, costs, settings, horizon)
    finally:
        bar.empty()
        chart.empty()


def _shape(hedge: DeepHedge, cmp: Any, mv_note: str, costs: TransactionCosts, settings: dict[str, Any],
           horizon: float) -> LearnedRun:
    p = hedge.policy
    days = horizon * TRADING_DAYS_PER_YEAR
    moneyness = np.linspace(0.8, 1.2, 81)
    learned, delta = {}, {}
    times = tuple(float(f * days) for f in (0.9, 0.5, 0.15))
    for d in times:
        tau = d / TRADING_DAYS_PER_YEAR
        label = f"{d:.0f} days left"
        learned[label] = policy_surface(hedge, moneyness, tau)[0]
        delta[label] = p.bs_delta(moneyness * p.strike, p.horizon - tau, p.volatility)
    heat_days = np.linspace(days / 20, days, 20)
    heat_m = np.linspace(0.8, 1.2, 41)
    heat_policy = policy_surface(hedge, heat_m, heat_days / TRADING_DAYS_PER_YEAR)
    heat_delta = np.vstack([p.bs_delta(heat_m * p.strike, p.horizon - d / TRADING_DAYS_PER_YEAR, p.volatility)
                            for d in heat_days])
    band_days = 0.5 * days
    band_tau = band_days / TRADING_DAYS_PER_YEAR
    band = no_trade_band(hedge, moneyness, band_tau)
    ww = whalley_wilmott_band(p.book, moneyness, band_tau, strike=p.strike, unit=p.unit, volatility=p.volatility,
                              proportional=costs.proportional, risk_aversion=float(settings["risk_aversion"]),
                              rate=p.rate, dividend_yield=p.dividend_yield)
    return LearnedRun(
        hedge=hedge, table=cmp.table(), pnl=cmp.pnl, labels=cmp.labels, mv_note=mv_note,
        moneyness=moneyness, times_days=times, learned_curves=learned, delta_curves=delta,
        heat_days=heat_days, heat_moneyness=heat_m, heat_policy=heat_policy, heat_delta=heat_delta, band_days=band_days,
        band=band, ww_band=ww, horizon=horizon,
    )


def policy_zip(hedge: DeepHedge) -> bytes:
    """The trained policy as a zip of its ``.npz`` and ``.json`` (``DeepHedge.load`` reads them)."""
    with tempfile.TemporaryDirectory() as tmp:
        files = hedge.save(Path(tmp) / "deep_hedge")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in files:
                zf.write(f, arcname=f.name)
    return buf.getvalue()


def takeaway(run: LearnedRun, loss: str) -> str:
    """One line reading the comparison in the loss the network minimised."""
    t = run.table
    col = measure_of_loss(loss)
    name = {"entropic": "entropic risk", "cvar": "CVaR", "variance": "P&L std"}[loss]
    learned, delta = t.loc["learned"], t.loc["delta"]
    diff = learned[col] - delta[col]
    se = math.hypot(learned[f"{col}_se"], delta[f"{col}_se"])
    verdict = "below" if diff < 0 else "above"
    return (f"Takeaway: on fresh paths the learned hedge's {name} is {format_number(learned[col])} against "
            f"{format_number(delta[col])} for the delta hedge ({verdict} it by {format_number(abs(diff))}, about "
            f"{abs(diff) / se if se > 0 else float('inf'):.1f} standard errors), trading "
            f"{format_number(learned['turnover'])} shares per path against {format_number(delta['turnover'])}.")


# -- Hull and White on history and on Heston ------------------------------------------------------

HW_FIELDS: dict[str, Parameter] = {
    "fit_start": Parameter("fit_start", "Fit from", BUNDLED_FIT_WINDOW[0], key="fit_start"),
    "fit_end": Parameter("fit_end", "Fit to", BUNDLED_FIT_WINDOW[1], key="fit_end"),
    "test_start": Parameter("test_start", "Test from", BUNDLED_TEST_WINDOW[0], key="test_start"),
    "test_end": Parameter("test_end", "Test to", BUNDLED_TEST_WINDOW[1], key="test_end"),
    "kind": Parameter("kind", "Options", "call", choices=("call", "put"), key="kind"),
}

HS_FIELDS: dict[str, Parameter] = {
    "rho": Parameter("rho", "Heston: spot-vol correlation", -0.7, low=-1.0, high=1.0, step=0.1, key="rho"),
    "xi": Parameter("xi", "Heston: vol of vol", 0.8, low=0.0, high=5.0, step=0.1, key="xi"),
    "kappa": Parameter("kappa", "Heston: mean reversion (per year)", 2.0, low=0.1, high=20.0, step=0.5,
                       key="kappa"),
    "vol_pct": Parameter("vol_pct", "Heston: volatility today and long-run (%)", 20.0, low=1.0, high=100.0,
                         step=1.0, key="vol_pct"),
    "n_paths": Parameter("n_paths", "Paths of 63 days", 30, low=5, high=200, step=5, key="n_paths"),
}


@dataclass(frozen=True)
class HullWhiteView:
    """A fit: coefficients table, gains, size and where it came from."""

    a: float
    b: float
    c: float
    kind: str
    table: pd.DataFrame
    gain_in: float
    gain_out: float | None
    n_obs: int
    n_clusters: int
    source: str


def _view(mv: MinimumVarianceDelta, gain_out: float | None) -> HullWhiteView:
    r = mv.result
    return HullWhiteView(mv.a, mv.b, mv.c, mv.kind, r.table(), r.gain, gain_out, r.n_obs, r.n_clusters, r.source)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def fit_history_view(fit_start: str, fit_end: str, test_start: str, test_end: str, kind: str) -> HullWhiteView:
    """Fit on the bundled S&P 500 with the VIX over one window, test on another (cached)."""
    spx = load_bundled("sp500")
    vix = implied_volatility_series()
    mv = MinimumVarianceDelta.fit(spx, vix, start=fit_start, end=fit_end, kind=kind)
    out = mv.gain_on(spx, vix, start=test_start, end=test_end)
    return _view(mv, out)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def fit_heston_view(rho: float, xi: float, kappa: float, vol_pct: float, n_paths: int, kind: str) -> HullWhiteView:
    """Fit on daily Heston paths priced with Heston's formula (cached)."""
    v = (vol_pct / 100.0) ** 2
    model = Heston(0.0, v0=v, kappa=kappa, theta=v, xi=xi, rho=rho)
    with st.spinner("Pricing the options of every path with Heston's formula..."):
        mv = MinimumVarianceDelta.fit_model(model, spot=100.0, horizon=63 / TRADING_DAYS_PER_YEAR,
                                            n_steps=63, n_paths=int(n_paths), seed=0, kind=kind)
    return _view(mv, None)
