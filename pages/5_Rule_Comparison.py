"""Rule Comparison: several hedging set-ups side by side on the same paths, beside the theory."""

from __future__ import annotations

import numpy as np
import streamlit as st

from hedgelib.conventions import HedgeLibError
from hedgelib.scenario import (
    MAX_SETUPS,
    MIN_SETUPS,
    default_setups,
    parse_numbers,
    rule_comparison_fields,
    rule_comparison_schema,
    setup_parameters,
    setup_rows,
)
from ui import forms
from ui.charts import (
    cost_risk_frontier_figure,
    frequency_sweep_figure,
    pnl_overlay_figure,
)
from ui.errors import MAX_HEDGED_PATH_STEPS, comparison_refusal, stop_on_error
from ui.navigation import page_config
from ui.rule_comparison import (
    display_table,
    run_comparison,
    setups_frame,
    takeaway,
    theory_note,
)
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
from ui.widgets import book_in_use, csv_text, link_to_option_book, market_caption, zoom_range

page_config("Rule Comparison")
ss = st.session_state
# Computed on every run from the registries: a part registered since is offered at once.
FIELDS = rule_comparison_fields()
SCHEMA = rule_comparison_schema()


def _apply_scenario(scenario: dict, present: set[str]) -> list[str]:
    """Load a scenario's inputs into the form (and its book and market where it has them).

    Returns the problems met: set-ups that do not validate are replaced by the defaults.
    """
    problems = []
    settings = {k: scenario[k] for k in FIELDS}
    # The frontier's lists are free text: a link's that do not parse are listed and dropped.
    for name in ("every", "band_widths", "risk_aversions"):
        try:
            parse_numbers(settings[name], name, integer=name == "every")
        except HedgeLibError as exc:
            problems.append(str(exc))
            settings[name] = SCHEMA.defaults[name]
    try:
        rows = setup_rows(scenario["setups"].get("rows"))
    except HedgeLibError as exc:
        problems.append(f"setups: {exc}")
        rows = default_setups()
    settings["setups"] = {"rows": rows}
    for key in FIELDS:
        ss["rc_" + key] = settings[key]
    ss["rc_submitted"] = settings
    ss["rc_setups_table"] = setups_frame(rows)
    ss.pop("rc_setups_editor", None)
    return problems + apply_book_and_market(scenario, present)


# ---- state: first visit reads a shared link; later visits restore the last run's inputs -------
if "rc_submitted" not in ss:
    read_link_once(SCHEMA, "rc_", _apply_scenario, st.query_params)
forms.restore("rc_", FIELDS, ss["rc_submitted"])
if "rc_setups_editor" not in ss:
    # Streamlit dropped the editor's state (first visit, or back from another page): start the
    # table from the set-ups on show, so that the editor's edits apply to the right rows.
    ss["rc_setups_table"] = setups_frame(ss["rc_submitted"]["setups"]["rows"])

# ---- header: which book, which market ----------------------------------------------------
st.title("Rule Comparison")
st.caption(
    "Hedge the same book on the same simulated paths under several set-ups (strategy, rule, "
    "hedge volatility, cost) and compare risk against cost; then see how the hedge error and "
    "the cost move with the number of rebalances, and where every rule sits against the theory."
)
show_scenario_messages("rc_")

market = get_market()
book = book_in_use(get_book(), market, default_use="comparing hedges of a default short at-the-money call")
market_caption(market)

# ---- inputs ------------------------------------------------------------------------------
with st.form("rc_form"):
    st.markdown(f"**Set-ups** ({MIN_SETUPS} to {MAX_SETUPS}; the first is the reference). Each "
                "row uses the parameter columns of its own strategy and rule.")
    edited = st.data_editor(
        ss["rc_setups_table"], key="rc_setups_editor", num_rows="dynamic", hide_index=True,
        width="stretch",
        column_config={
            "name": st.column_config.TextColumn("Name", required=True, help="Unique label of the set-up."),
            "strategy": forms.registry_column(
                "strategy", "Strategy", "Strategies with a hedge option use the one set below."),
            "rule": forms.registry_column("rule", "Rule", "When to trade back to the target hedge."),
            **{key: forms.parameter_column(p) for key, p in setup_parameters().items()},
            "hedge_vol_pct": st.column_config.NumberColumn(
                "Hedge vol (%)", format="%g", min_value=0.0, required=True,
                help="Volatility of the deltas (vol points)."),
            "cost_bp": st.column_config.NumberColumn(
                "Cost (bp)", format="%g", min_value=0.0, required=True,
                help="One-way proportional cost of a stock trade, in basis points of notional."),
        },
    )
    c_model, c_more, c_grid, c_run = st.columns(4)
    with c_model:
        st.markdown("**Market model**")
        forms.registry_inputs("model", FIELDS, "rc_")
    with c_more:
        st.markdown("**Premium, hedge option and costs**")
        forms.draw_all(FIELDS, ("pricing_vol_pct",), "rc_")
        forms.hedge_option_inputs(FIELDS, "rc_")
        forms.registry_inputs("costs", FIELDS, "rc_",
                              titles={"transaction_costs": "Other costs (every set-up)"})
    with c_grid:
        st.markdown("**Frontier grid**")
        forms.draw_all(FIELDS, ("every", "band_widths", "risk_aversions"), "rc_")
    with c_run:
        st.markdown("**Run**")
        forms.draw_all(FIELDS, ("n_paths", "n_steps", "seed"), "rc_")
        st.caption(f"At most {MAX_HEDGED_PATH_STEPS:,} hedged path-steps per run: paths x steps x "
                   "hedges (set-ups + sweep frequencies + frontier rules).")
        submitted = st.form_submit_button("Run", type="primary", width="stretch")

if submitted:
    ss["rc_submitted"] = {**forms.values("rc_", FIELDS), "setups": {"rows": edited.to_dict("records")}}
    ss["rc_write_link"] = True
settings = {**{k: ss["rc_submitted"].get(k, f.default) for k, f in FIELDS.items()},
            "setups": ss["rc_submitted"]["setups"]}

# ---- validate -------------------------------------------------------------------------------
if book.is_empty:
    st.error("The book is empty: add an option leg on the Option Book page, or pick a preset there.")
    link_to_option_book()
    st.stop()
with stop_on_error(fields=FIELDS):
    # Checked here so that a bad table never reaches the link or the cache.
    rows = setup_rows(settings["setups"]["rows"])
    settings = {**settings, "setups": {"rows": rows}}
    refusal = comparison_refusal(settings, book)
if refusal:
    st.error(refusal)
    run_at_scale(SCHEMA, with_book_and_market(settings, book, market), prefix="rc_",
                 file_name="rule_comparison_scenario.json", expanded=True)
    st.stop()
with stop_on_error("Book: "):
    horizon = book.expiry
scenario = with_book_and_market(settings, book, market)

# ---- scenario: link, download, upload --------------------------------------------------------
SCENARIO_CAPTION = (
    "The address bar holds the inputs of the last run, set-ups included: copy it to "
    "share this comparison (book and market included)."
)
scenario_sidebar(SCHEMA, scenario, prefix="rc_", file_name="rule_comparison_scenario.json",
                 caption=SCENARIO_CAPTION, apply=_apply_scenario)
with stop_on_error(fields=FIELDS):
    write_link(SCHEMA, scenario, "rc_")
    run_at_scale(SCHEMA, scenario, prefix="rc_", file_name="rule_comparison_scenario.json")

# ---- run -------------------------------------------------------------------------------------
market_in = {k: float(market[k]) for k in ("spot", "rate", "dividend_yield")}
with stop_on_error(fields=FIELDS):
    view = run_comparison(dict(settings), book.to_dict(), market_in)
ref = view.reference
first = rows[0]["name"]

# ---- summary table ---------------------------------------------------------------------------
st.subheader("Summary: the set-ups on the same paths")
st.caption(
    f"{grid_text(settings['n_paths'], settings['n_steps'], horizon)}; P&L and costs in currency per path at "
    "the horizon, premium included; VaR and ES are losses (positive). SE = one standard error. "
    f"The last two columns are paired differences to {first} (same paths, so far more precise "
    "than the separate standard errors)."
)
table = display_table(view)
# Fifteen columns do not fit a laptop screen: the strategy and rule are in the set-ups table
# above (and in the CSV), the headers are short (each one's help says it in full) and the
# widths fixed, so every number stays in view.
paired = next(c for c in table.columns if c.startswith("Mean P&L minus"))
short = {
    "Set-up": ("Set-up", "The set-up's name, as in the table above.", None, 110),
    "Mean P&L": ("Mean P&L", "Mean P&L per path (currency).", "%.4f", 74),
    "Mean P&L SE": ("± SE", "One standard error of the mean P&L.", "%.4f", 64),
    "Std of P&L": ("Std", "Standard deviation of the P&L (currency).", "%.4f", 66),
    "Std SE": ("± SE", "One standard error of the std.", "%.4f", 64),
    "VaR 99%": ("VaR 99%", "Loss exceeded on 1% of paths (currency).", "%.4f", 70),
    "ES 99%": ("ES 99%", "Average loss in the worst 1% of paths (currency).", "%.4f", 70),
    "Mean cost": ("Cost", "Mean transaction costs per path (currency).", "%.4f", 66),
    "Mean trades": ("Trades", "Mean rebalances per path.", "%.1f", 62),
    "Variance cut (%)": ("Var cut %", "Variance of the P&L removed by the hedge, in percent.", "%.2f", 72),
    "Std / premium (%)": ("Std/prem %", "Std of the P&L over the absolute premium, in percent.", "%.1f", 76),
    paired: ("Δ mean", f"{paired} (currency): a paired difference, on the same paths.", "%.4f", 70),
    "Paired SE": ("± SE", "One standard error of the paired difference.", "%.4f", 64),
}
st.dataframe(
    table, hide_index=True, width="stretch", column_order=list(short),
    column_config={c: (st.column_config.TextColumn(label, help=text, width=w) if fmt is None
                       else st.column_config.NumberColumn(label, help=text, format=fmt, width=w))
                   for c, (label, text, fmt, w) in short.items()},
)
st.download_button("Download the summary table (CSV)", csv_text(table),
                   file_name="rule_comparison_summary.csv", mime="text/csv", on_click="ignore",
                   key="rc_download_table")
line = takeaway(view)
st.info(line)

# ---- overlaid P&L ------------------------------------------------------------------------
st.subheader("P&L distributions")
zoom = st.toggle("Zoom on the middle 99.8%", value=True, key="rc_zoom",
                 help="Bin only the 0.1% to 99.9% quantile range of all set-ups' P&L, so the "
                      "tails of the loosest hedge do not squash the others.")
x_range = None
if zoom:
    x_range = zoom_range(np.concatenate(list(view.pnl.values())))
st.plotly_chart(pnl_overlay_figure(view.pnl, x_range=x_range), width="stretch")
st.caption("Dotted lines: each set-up's mean P&L. Costs shift a distribution left; hedging "
           "less often widens it.")

# ---- frequency sweep ---------------------------------------------------------------------
st.subheader("Hedge error and cost against the number of rebalances")
sw = view.sweep
st.plotly_chart(
    frequency_sweep_figure(
        sw.index.to_numpy(), sw["pnl_std"], sw["mean_cost"], pnl_std_se=sw["pnl_std_se"],
        mean_cost_se=sw["mean_cost_se"], derman_kamal_std=sw["derman_kamal_std"],
        theory_std=sw["theory_std"], expected_cost=sw["expected_cost"],
    ),
    width="stretch",
)
st.caption(
    f"Delta hedge rebalanced at N equal intervals over the horizon, at the reference set-up's "
    f"hedge volatility ({ref['hedge_vol_pct']:g}%) and cost ({ref['cost_bp']:g} bp): the reference "
    f"is the first set-up, {ref['name']}. Error bars: one standard error."
)

# ---- frontier ----------------------------------------------------------------------------
st.subheader("Cost against risk across rules and band widths")
fr = view.frontier
th = view.theory
points = {str(name): (float(view.table.loc[name, "std"]), float(view.table.loc[name, "mean_cost"]))
          for name in view.table.index}
st.plotly_chart(
    cost_risk_frontier_figure(
        fr["pnl_std"], fr["mean_cost"], list(fr["label"]), list(fr["family"]),
        efficient=fr["efficient"], pnl_std_se=fr["pnl_std_se"], mean_cost_se=fr["mean_cost_se"],
        theory_std=None if th.empty else th["std"], theory_cost=None if th.empty else th["cost"],
        theory_labels=None if th.empty else [
            f"N = {n}, Leland vol {100 * v:.2f}%" for n, v in zip(th["n_rebalances"], th["leland_vol"], strict=True)
        ],
        highlight=view.highlight, setups=points, hover=list(fr["hover"]),
    ),
    width="stretch",
)
st.caption(
    "Every rule hedges delta on the same paths at the reference hedge volatility and cost; down "
    "and to the left is better. Outlined markers are efficient (no other rule is both cheaper "
    "and less risky). Dashed grey: the theory for fixed intervals. Diamonds: your set-ups."
)
note = theory_note(settings, view)
if note:
    st.caption(note)

# ---- explanation ---------------------------------------------------------------------------
with st.expander("What am I looking at"):
    st.markdown(
        "Each set-up sells (or buys) the book at the **pricing volatility** and hedges it on the "
        "**same simulated paths** (common random numbers), so the differences between rows come "
        "from the set-ups, not from luck. A delta hedge rebalanced $N$ times over the option's "
        "life leaves a hedge error whose standard deviation Derman and Kamal (1999) give, for an "
        "option at the money, as"
    )
    st.latex(r"\sigma_{\mathrm{P\&L}} \approx \sqrt{\frac{\pi}{4}}\;\frac{\mathcal{V}\,\sigma}{\sqrt{N}}")
    st.markdown(
        "($\\mathcal V$ the vega per 1.00 of volatility; the dotted 'book-exact' line integrates "
        "the book's own gamma, $\\sigma_P^2 = \\tfrac12\\sigma^4\\Delta t^2\\sum_i "
        "E[\\Gamma_i^2 S_i^4]$). Each rebalance trades about $|\\Gamma\\,\\delta S|$ shares, so "
        "with a one-way proportional cost $k$ the expected cost grows like $\\sqrt N$. Leland "
        "(1985) puts this cost into the volatility of the hedge:"
    )
    st.latex(r"\sigma_L^2 = \sigma^2\left(1 \pm \sqrt{\frac{2}{\pi}}\,\frac{2k}{\sigma\sqrt{\Delta t}}\right),"
             r"\qquad E[C] \approx \mathcal V(\sigma_L - \sigma) \approx \frac{k S\sqrt N}{\pi}"
             r"\ \text{(at the money)}")
    st.markdown(
        "(+ for a short option). Risk falls like $N^{-1/2}$ and cost rises like $N^{1/2}$: fixed "
        "intervals can only trade one for the other. Rules that trade on the hedge's *drift* "
        "instead of the clock do better; Whalley and Wilmott (1997) find the optimal no-trade "
        "band for a hedger with exponential utility and risk aversion $\\gamma$:"
    )
    st.latex(r"\left|x + \Delta\right| \le H = \left(\frac{3}{2}\,\frac{e^{-r(T-t)}\,k\,S\,\Gamma^2}{\gamma}\right)^{1/3}")
    st.markdown(
        "**How the theory is drawn.** On the sweep, the Derman-Kamal curve and the book-exact "
        "std sit on the left panel, Leland's expected cost (his cost rate summed over the "
        "rebalancing dates, entry and unwind included) on the right; with log axes they are "
        "straight lines of slope $-\\tfrac12$ and $+\\tfrac12$. On the frontier, Leland and "
        "Derman-Kamal together give one prediction per $N$: the point (predicted std, "
        "predicted cost), and the dashed curve through them is the theoretical cost-risk "
        "trade-off of fixed-interval hedging; its hover gives Leland's volatility for that $N$. "
        "The Whalley-Wilmott band has no single optimal point (each $\\gamma$ is optimal for its "
        "own hedger), so every $\\gamma$ is a red star, the hover gives the band's half-width "
        "today, and the one matching your Whalley-Wilmott set-up (or the middle of the grid) "
        f"is ringed: **{view.highlight or 'none in the grid'}**. Its stars should lie below the "
        "dashed curve: for the same risk, less cost."
    )
    dk = sw["derman_kamal_std"].iloc[-1]
    if dk == dk:  # not NaN
        st.markdown(
            f"**Prediction against measurement** at N = {sw.index[-1]}: Derman-Kamal "
            f"{dk:.4f}, book-exact {sw['theory_std'].iloc[-1]:.4f}, measured "
            f"{sw['pnl_std'].iloc[-1]:.4f} ± {sw['pnl_std_se'].iloc[-1]:.4f}; Leland's expected "
            f"cost {sw['expected_cost'].iloc[-1]:.4f}, measured {sw['mean_cost'].iloc[-1]:.4f} ± "
            f"{sw['mean_cost_se'].iloc[-1]:.4f}."
        )
    st.markdown(f"**{line}**")
