"""Monte Carlo Hedge Lab: hedge the book on simulated paths and see what the hedge achieved."""

from __future__ import annotations

import streamlit as st

from hedgelib.scenario import hedge_lab_fields, hedge_lab_schema, uses_option
from ui import forms
from ui.charts import (
    attribution_waterfall_figure,
    cost_breakdown_figure,
    pnl_histogram_figure,
    sample_paths_figure,
)
from ui.errors import MAX_PATH_STEPS, path_steps_refusal, stop_on_error
from ui.hedge_lab import (
    ledger_frame,
    prediction_note,
    results_frame,
    run_lab,
    sample_arrays,
    std_error_of_std,
    takeaway,
    waterfall_terms,
)
from ui.navigation import page_config
from ui.scale import run_at_scale
from ui.scenario import (
    apply_book_and_market,
    read_link_once,
    scenario_sidebar,
    show_scenario_messages,
    with_book_and_market,
    write_link,
)
from ui.state import get_book, get_market
from ui.units import grid_text
from ui.widgets import (
    book_in_use,
    csv_text,
    link_to_option_book,
    market_caption,
    metric_grid,
    zoom_range,
)

page_config("Monte Carlo Hedge Lab")
ss = st.session_state
# Computed on every run from the registries: a part registered since is offered at once.
FIELDS = hedge_lab_fields()
SCHEMA = hedge_lab_schema()


def _apply_scenario(scenario: dict, present: set[str]) -> list[str]:
    """Load a scenario's inputs into the form, and its book and market where it has them."""
    settings = {k: scenario[k] for k in FIELDS}
    for key, value in settings.items():
        ss["hl_" + key] = value
    ss["hl_submitted"] = settings
    return apply_book_and_market(scenario, present)


# ---- state: first visit reads a shared link; later visits restore the last run's inputs -------
if "hl_submitted" not in ss:
    read_link_once(SCHEMA, "hl_", _apply_scenario, st.query_params)
forms.restore("hl_", FIELDS, ss["hl_submitted"])

# ---- header: which book, which market ----------------------------------------------------
st.title("Monte Carlo Hedge Lab")
st.caption(
    "Sell (or buy) the book at the pricing volatility, hedge it along simulated market paths "
    "at the hedge volatility, pay the costs, and look at the P&L at the book's last expiry."
)
show_scenario_messages("hl_")

market = get_market()
book = book_in_use(get_book(), market, default_use="hedging a default short at-the-money call")
market_caption(market)

# ---- inputs ------------------------------------------------------------------------------
with st.form("hl_form"):
    c_model, c_hedge, c_vol, c_run = st.columns(4)
    with c_model:
        st.markdown("**Market model**")
        forms.registry_inputs("model", FIELDS, "hl_")
    with c_hedge:
        st.markdown("**Hedge**")
        forms.registry_inputs("strategy", FIELDS, "hl_")
        forms.registry_inputs("rule", FIELDS, "hl_", group=False)
        forms.hedge_option_inputs(FIELDS, "hl_")
    with c_vol:
        st.markdown("**Volatility and costs**")
        forms.draw_all(FIELDS, ("hedge_vol_pct", "pricing_vol_pct"), "hl_")
        forms.registry_inputs("costs", FIELDS, "hl_", main=("cost_bp", "per_trade"),
                              titles={"transaction_costs": "Impact and option spread"})
    with c_run:
        st.markdown("**Run**")
        forms.draw_all(FIELDS, ("n_paths", "n_steps", "seed"), "hl_")
        st.caption(f"At most {MAX_PATH_STEPS:,} path-steps (paths x steps) per run.")
        submitted = st.form_submit_button("Run", type="primary", width="stretch")

if submitted:
    ss["hl_submitted"] = forms.values("hl_", FIELDS)
    ss["hl_write_link"] = True
settings = {k: ss["hl_submitted"].get(k, f.default) for k, f in FIELDS.items()}
scenario = with_book_and_market(settings, book, market)

# ---- scenario: link, download, upload --------------------------------------------------------
SCENARIO_CAPTION = (
    "The address bar holds the inputs of the last run: copy it to share this "
    "scenario (book and market included)."
)
scenario_sidebar(SCHEMA, scenario, prefix="hl_", file_name="hedge_lab_scenario.json",
                 caption=SCENARIO_CAPTION, apply=_apply_scenario)
with stop_on_error(fields=FIELDS):
    write_link(SCHEMA, scenario, "hl_")
    run_at_scale(SCHEMA, scenario, prefix="hl_", file_name="hedge_lab_scenario.json",
                 expanded=path_steps_refusal(settings["n_paths"], settings["n_steps"], book) is not None)

# ---- validate and run ----------------------------------------------------------------------
if book.is_empty:
    st.error("The book is empty: add an option leg on the Option Book page, or pick a preset there.")
    link_to_option_book()
    st.stop()
refusal = path_steps_refusal(settings["n_paths"], settings["n_steps"], book)
if refusal:
    st.error(refusal)
    st.stop()
with stop_on_error("Book: "):
    horizon = book.expiry
if settings["rule"] == "whalley_wilmott" and settings.get("cost_bp") == 0:
    st.info("With no proportional cost the Whalley-Wilmott band is empty: it rebalances every step.")

market_in = {k: float(market[k]) for k in ("spot", "rate", "dividend_yield")}
with stop_on_error(fields=FIELDS):
    result = run_lab(dict(settings), book.to_dict(), market_in)

# ---- headline numbers ------------------------------------------------------------------------
s = result.summary
hedged = settings["strategy"] != "none"
st.subheader("Headline numbers")
st.caption(
    f"{grid_text(settings['n_paths'], settings['n_steps'], horizon)}; P&L in currency at the horizon, "
    "premium included; VaR and ES are losses (positive)."
)
if settings["n_paths"] < 2:
    st.warning("One path shows one outcome: its standard deviation is 0 and its VaR and ES are "
               "that path's loss. Use at least a few hundred paths for a distribution.")
pred = result.prediction
note = prediction_note(result)
metrics = [
    ("Mean P&L", f"{s['mean']:,.4f}", f"± {s['se_mean']:.4f} (one standard error)"),
    ("Std of P&L" + (" (hedged)" if hedged else ""), f"{s['std']:,.4f}", None),
    ("Std unhedged", f"{s['unhedged_std']:,.4f}", "The same book on the same paths, no hedge."),
    ("Hedge error / premium", "n/a" if s["hedge_error"] != s["hedge_error"] else f"{s['hedge_error']:.1%}",
     "Std of the P&L over the absolute premium."),
    ("VaR 95%", f"{s['var_95']:,.4f}", "Loss exceeded on 5% of paths."),
    ("ES 95%", f"{s['es_95']:,.4f}", "Average loss in the worst 5% of paths."),
    ("VaR 99%", f"{s['var_99']:,.4f}", "Loss exceeded on 1% of paths."),
    ("ES 99%", f"{s['es_99']:,.4f}", "Average loss in the worst 1% of paths."),
    ("Mean cost", f"{s['mean_cost']:,.4f}", "Transaction costs paid per path (currency)."),
    ("Mean trades", f"{s['mean_trades']:,.1f}", "Rebalances per path, liquidation included."),
    ("Premium", f"{result.premium:,.4f}",
     "Book value at the pricing volatility today, holder's sign: negative means received."),
]
if pred.applies:
    metrics.append(("Derman-Kamal std", f"{pred.std:,.4f}", note))
metric_grid(metrics)
if not pred.applies and hedged:
    st.caption(note)
st.info(takeaway(settings, result))

# ---- P&L distribution ------------------------------------------------------------------------
zoom = st.toggle("Zoom on the hedged P&L", key="hl_zoom",
                 help="Bin only the range of the hedged P&L (0.1% to 99.9% quantiles).")
x_range = zoom_range(result.pnl) if zoom and hedged else None
st.plotly_chart(
    pnl_histogram_figure(
        result.pnl, result.unhedged_pnl if hedged else None,
        x_range=x_range, markers={"VaR 99%": -s["var_99"]},
        names=("Hedged", "Unhedged") if hedged else ("Unhedged", ""),
        title="P&L per path at the horizon: hedged against unhedged" if hedged
        else "P&L per path at the horizon (no hedge)",
    ),
    width="stretch",
)
if result.sampled:
    st.caption(f"The histogram shows the first {result.pnl.size:,} of the {result.n_paths:,} paths; "
               "the headline numbers use every path.")

# ---- attribution and costs -------------------------------------------------------------------
c_attr, c_cost = st.columns([3, 2])
with c_attr:
    view = st.radio("Attribution view", ["Bookkeeping", "Greek explain"], horizontal=True,
                    key="hl_view",
                    help="Bookkeeping: where the cash went (the entry edge is the book's value at the "
                         "hedge volatility minus the premium). Greek explain: delta, gamma, theta, "
                         "vega and a residual, step by step. Both add up to the mean P&L.")
    terms = (waterfall_terms(result.attribution) if view == "Bookkeeping"
             else waterfall_terms(result.explain, merge_costs=True))
    st.plotly_chart(
        attribution_waterfall_figure(terms, total=s["mean"], total_name="mean P&L",
                                     title=f"Where the P&L comes from ({view.lower()}, mean per path)"),
        width="stretch",
    )
with c_cost:
    costs = {k.replace("_", " "): v for k, v in result.cost_breakdown.items() if v > 0}
    if costs:
        st.plotly_chart(cost_breakdown_figure(costs), width="stretch")
    else:
        st.info("No transaction costs in this run: set a proportional cost, a fixed fee, impact "
                "or an option spread to see their breakdown.")

# ---- sample paths and ledger -----------------------------------------------------------------
st.subheader("Sample paths")
arrays = sample_arrays(result.steps)
with_option = uses_option(settings["strategy"])
st.plotly_chart(
    sample_paths_figure(
        arrays["time"], arrays["spot"], arrays["stock"], arrays["pnl"],
        option=arrays["option"] if with_option else None,
        labels=[f"path {p + 1}" for p in arrays["paths"]], strikes=book.strikes,
    ),
    width="stretch",
)
st.caption("Positions after each step's trade; the last step liquidates the hedge. The running "
           "P&L is cash + hedge + book at the hedge volatility, premium included.")

st.subheader("Ledger of one path")
path = st.selectbox("Path", list(arrays["paths"]), key="hl_ledger_path",
                    format_func=lambda p: f"path {p + 1}")
ledger = ledger_frame(result.steps, int(path), with_option=with_option)
st.dataframe(ledger, hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.4f")
                            for c in ledger.columns if c != "step"})
c_dl1, c_dl2 = st.columns(2)
c_dl1.download_button("Download this ledger (CSV)", csv_text(ledger),
                      file_name=f"hedge_lab_ledger_path{int(path) + 1}.csv", mime="text/csv",
                      on_click="ignore", key="hl_download_ledger")
# Built on click: a big run's cached result keeps a sample, and the download repeats the run.
c_dl2.download_button("Download P&L per path (CSV)", lambda: csv_text(results_frame(result)),
                      file_name="hedge_lab_pnl_per_path.csv", mime="text/csv",
                      on_click="ignore", key="hl_download_results")

# ---- explanation ---------------------------------------------------------------------------
with st.expander("What am I looking at"):
    st.markdown(
        "The book is entered today at its value at the **pricing volatility** (the premium, "
        "holder's sign: selling an option receives it). The hedger then trades the stock (and, "
        "for delta-gamma or delta-vega, one listed option) to the targets of the **hedge "
        "volatility**, when the rule says so, paying costs; cash earns the rate. The P&L of a "
        "path at the horizon $T$ is"
    )
    st.latex(r"\mathrm{P\&L}_T = \underbrace{V_T + \textstyle\sum \text{settlements} - P}_{\text{book}}"
             r" + \sum_{i} x_{t_i}\,(S_{t_{i+1}} - S_{t_i}) + \text{interest} + \text{dividends}"
             r" - \text{costs}")
    st.markdown(
        "with $P$ the premium and $x_{t_i}$ the shares held over step $i$ (for a delta hedge, "
        "$x = -\\Delta_{\\text{book}}$). With no costs, continuous hedging at the true volatility "
        "would make it zero on every path. Hedging $N$ times instead of continuously leaves a "
        "**hedge error** whose standard deviation Derman and Kamal (1999) give for an "
        "at-the-money option:"
    )
    st.latex(r"\sigma_{\mathrm{P\&L}} \approx \sqrt{\frac{\pi}{4}}\;\frac{\mathcal{V}\,\sigma}{\sqrt{N}}")
    st.markdown(
        "($\\mathcal V$ the vega per 1.00 of volatility): four times the rebalances halve the "
        "error. Over each step the hedged position earns its **gamma P&L**, which is where a "
        "wrong hedge volatility shows up:"
    )
    st.latex(r"\mathrm{d}\,\mathrm{P\&L} = \tfrac12\,\Gamma S^2\left(\sigma_r^2 - \sigma_i^2\right)\mathrm{d}t")
    st.markdown(
        "with $\\sigma_r$ the realised and $\\sigma_i$ the hedge (implied) volatility: short gamma "
        "loses when the market moves more than the hedge assumed. The **greek explain** sums "
        "$\\Delta\\,\\delta S + \\tfrac12\\Gamma\\,\\delta S^2 + \\Theta\\,\\delta t + \\mathcal V\\,\\delta\\sigma$ "
        "step by step; the **bookkeeping** view splits the same P&L by cash flow. Costs: "
        "proportional $k|q|S$ (in bp), a fixed fee per rebalance, square-root impact "
        "$\\eta\\,\\sigma_d S|q|\\sqrt{|q|/V_d}$, and a spread on option trades. Whalley and "
        "Wilmott (1997) trade only outside a band of half-width "
        "$\\left(\\tfrac32 e^{-r(T-t)} k S \\Gamma^2/\\gamma\\right)^{1/3}$."
    )
    if pred.applies:
        st.markdown(
            f"**Prediction against measurement:** Derman-Kamal gives {pred.std:.4f} for "
            f"{pred.n_rebalances:g} rebalances (book-exact: {pred.numerical_std:.4f}); the "
            f"simulation measured {s['std']:.4f} ± {std_error_of_std(s['std'], settings['n_paths']):.4f}."
        )
    else:
        st.markdown(note)
