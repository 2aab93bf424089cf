"""Risk: the book's VaR and ES hedged and unhedged, a stress grid, and historical VaR."""

from __future__ import annotations

import streamlit as st

from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError
from ui import forms
from ui.charts import (
    revaluation_figure,
    risk_bars_figure,
    scenario_histogram_figure,
    stress_heatmaps_figure,
)
from ui.errors import path_steps_refusal, stop_on_error
from ui.navigation import page_config
from ui.risk_page import (
    base_lab_settings,
    form_fields,
    hedge_inputs,
    historical_input,
    lab_settings,
    mc_measures,
    measures_frame,
    risk_fields,
    risk_schema,
    run_historical,
    run_simulation,
    run_stress,
    shock_axes,
    stress_frame,
    takeaway,
)
from ui.scenario import (
    apply_book_and_market,
    read_link_once,
    scenario_sidebar,
    show_scenario_messages,
    with_book_and_market,
    write_link,
)
from ui.source_picker import pick_source, show_source
from ui.sources import apply_source, source_scenario
from ui.state import get_book, get_market
from ui.widgets import book_in_use, csv_text

page_config("Risk")
ss = st.session_state
# Computed on every run from the registries: a part registered since is offered at once.
FIELDS = risk_fields()
FORM = form_fields()
SCHEMA = risk_schema()


def _apply_scenario(scenario: dict, present: set[str]) -> list[str]:
    """Load a scenario into the widgets and, where it carries them, the shared book, market
    and bundled series. Returns what could not be loaded."""
    # Only what the scenario holds: the other widgets keep their values (or, on arrival, start
    # from the Hedge Lab's set-up as usual).
    loaded = {name: scenario[name] for name in FIELDS if name in present}
    for name, value in loaded.items():
        ss["rk_" + name] = value
    ss["rk_saved"] = {**ss.get("rk_saved", {}), **loaded}
    ss.pop("rk_submitted", None)  # rebuilt from the widgets below: the loaded run is shown
    problems = apply_book_and_market(scenario, present)
    if present & {"source", "source_start", "source_end"}:
        try:
            apply_source(scenario, ss, "rk_")
        except HedgeLibError as exc:
            problems.append(f"source: {exc}")
    ss["rk_write_link"] = True
    return problems


if "rk_link_read" not in ss:
    read_link_once(SCHEMA, "rk_", _apply_scenario, st.query_params)
    ss["rk_link_read"] = True
    ss.pop("rk_write_link", None)  # the link on arrival stays as it is

# ---- state: widgets start from the last visit, else from the Hedge Lab's set-up ------------
market = get_market()
base = base_lab_settings(ss, market)
forms.restore("rk_", FIELDS, {**{k: base[k] for k in FORM if k != "n_paths"}, **ss.get("rk_saved", {})})
if "rk_submitted" not in ss:
    ss["rk_submitted"] = forms.values("rk_", FORM)

# ---- header: which book, which market ----------------------------------------------------
st.title("Risk")
st.caption(
    "How much can the book lose? Value at risk and expected shortfall from simulated paths, "
    "hedged and unhedged; a stress grid of instant spot and volatility shocks; and historical "
    "VaR from the real moves of the chosen series. Losses are positive numbers, in currency."
)
book = book_in_use(get_book(), market, default_use="showing the risk of a default short at-the-money call")
st.caption(
    f"Market from the Option Book page: spot {market['spot']:,.2f}, implied volatility "
    f"{100 * market['volatility']:.2f}%, rate {100 * market['rate']:.2f}%, dividend yield "
    f"{100 * market['dividend_yield']:.2f}%; the book is valued today. Expiries in trading days "
    "(252 a year)."
)
if book.is_empty:
    st.error("The book is empty: add an option leg on the Option Book page, or pick a preset there.")
    st.stop()

with st.sidebar:
    st.header("Data for historical VaR")
    choice = pick_source("rk_")


def _number(name: str, container=st) -> None:
    forms.draw(FIELDS[name], "rk_" + name, container)


# ---- Monte Carlo VaR and ES ------------------------------------------------------------------
st.header("Value at risk from simulated paths")
with st.form("rk_form"):
    c1, c2, c3, c4 = st.columns(4)
    forms.registry_inputs("model", FIELDS, "rk_", c1, main=("vol_pct",))
    forms.registry_inputs("strategy", FIELDS, "rk_", c2)
    forms.registry_inputs("rule", FIELDS, "rk_", c2, params=False)
    _number("hedge_vol_pct", c2)
    _number("cost_bp", c3)
    _number("n_steps", c3)
    with c3.expander("Rule parameters"):
        forms.registry_inputs("rule", FIELDS, "rk_", select=False, group=False)
    _number("n_paths", c4)
    _number("seed", c4)
    submitted = st.form_submit_button("Run", type="primary")
if submitted:
    ss["rk_submitted"] = forms.values("rk_", FORM)
    ss["rk_write_link"] = True
form = {**{k: ss["rk_" + k] for k in FORM}, **ss["rk_submitted"]}

# ---- scenario: link, download, upload --------------------------------------------------------
source, travel_note = source_scenario(choice.description)
scenario = with_book_and_market({**forms.values("rk_", FIELDS), **form, **source}, book, market,
                                volatility=True)
scenario_sidebar(
    SCHEMA, scenario, prefix="rk_", file_name="risk_scenario.json", apply=_apply_scenario,
    caption="The address bar holds this page's inputs (the simulation's as of the last Run), the "
            "book, the market and the bundled series: copy it to share this scenario.",
)
if travel_note:
    st.sidebar.warning(travel_note)
show_scenario_messages("rk_")
# The stress and history controls act without a Run: after arrival, the link follows every change.
with stop_on_error(fields=FIELDS):
    write_link(SCHEMA, scenario, "rk_", always="rk_link_ready" in ss)
ss["rk_link_ready"] = True
settings = lab_settings(form, base)
st.caption(
    "Other settings (pricing volatility, model parameters, other costs, hedge option) come "
    + ("from your last Hedge Lab run." if "hl_submitted" in ss else
       "from the Hedge Lab's defaults, with every volatility at the market's.")
)
refusal = path_steps_refusal(settings["n_paths"], settings["n_steps"], book)
if refusal:
    st.error(refusal)
    st.stop()
market_in = {k: float(market[k]) for k in ("spot", "rate", "dividend_yield")}
with stop_on_error("Simulation: ", fields=FIELDS):
    lab = run_simulation(dict(settings), book.to_dict(), market_in)
measures = mc_measures(lab.summary, lab.unhedged_pnl)
hedge_name = forms.labels("strategy")(form["strategy"]).split(" (")[0].lower()

cols = st.columns(4)
for i, name in enumerate(("VaR 95%", "ES 95%", "VaR 99%", "ES 99%")):
    u, h = measures["Unhedged"][name], measures["Hedged"][name]
    cols[i].metric(f"{name} hedged", f"{h:,.4f}", delta=f"{h - u:+,.4f} vs unhedged",
                   delta_color="inverse",
                   help=f"Unhedged: {u:,.4f}. Loss over the book's life ({lab.horizon * TRADING_DAYS_PER_YEAR:.0f} "
                        "trading days), premium included; positive is a loss.")
st.download_button("Download VaR and ES (CSV)", csv_text(measures_frame(measures)),
                   file_name="risk_var_es.csv", mime="text/csv", on_click="ignore",
                   key="rk_download_measures")
st.plotly_chart(
    risk_bars_figure(measures, title=f"VaR and ES at the book's expiry: unhedged against {hedge_name} hedged "
                                     f"({form['n_paths']:,} paths)",
                     y_title="Loss (currency)"),
    width="stretch",
)
st.caption(
    f"{form['n_paths']:,} paths of the {forms.labels('model')(form['model'])} model, {form['n_steps']} steps to the "
    f"book's last expiry; the hedge is rebalanced along each path (the Monte Carlo Hedge Lab shows "
    "the distribution and its attribution)."
)

# ---- stress grid -----------------------------------------------------------------------------
st.header("Stress grid")
s1, s2, s3, s4, s5 = st.columns(5)
_number("spot_range_pct", s1)
_number("spot_points", s2)
_number("vol_range_pts", s3)
_number("vol_points", s4)
_number("stress_days", s5)
hedge = hedge_inputs(settings)
with stop_on_error("Stress grid: "):
    ds, dv = shock_axes({k: ss["rk_" + k] for k in FIELDS}, market["volatility"])
    grid = run_stress(
        book.to_dict(), {k: float(market[k]) for k in ("spot", "volatility", "rate", "dividend_yield")},
        tuple(float(x) for x in ds), tuple(float(x) for x in dv), int(ss["rk_stress_days"]), hedge,
    )
if len(dv) < ss["rk_vol_points"]:
    st.caption("Volatility shocks that would take the volatility below zero are left out.")
when = ("instantly" if ss["rk_stress_days"] == 0 else
        f"over {ss['rk_stress_days']} trading days (the options decay meanwhile)")
st.plotly_chart(
    stress_heatmaps_figure(
        100.0 * ds, 100.0 * dv,
        {"Book": grid.book.to_numpy(), f"Book + static {hedge_name} hedge": grid.hedged.to_numpy()},
        x_title="Spot shock (%)", y_title="Volatility shock (vol points)",
        colorbar_title="P&L (currency)",
        title=f"P&L when spot and volatility jump {when}: full revaluation, same colour scale",
    ),
    width="stretch",
)
st.caption("Hedge held through the shock: " + grid.hedge.describe() + ". Red is a loss.")
w1, w2, w3 = st.columns(3)
loss_b, ds_b, dv_b = grid.worst("book")
loss_h, ds_h, dv_h = grid.worst("hedged")
w1.metric("Worst cell, book", f"{loss_b:,.4f}", help=f"Spot {100 * ds_b:+.1f}%, vol {100 * dv_b:+.1f} pts.")
w2.metric("Worst cell, hedged", f"{loss_h:,.4f}", help=f"Spot {100 * ds_h:+.1f}%, vol {100 * dv_h:+.1f} pts.")
zero_col = int(abs(grid.book.columns.to_numpy()).argmin())
gap = (grid.hedged - grid.hedged_approx).abs().to_numpy().max()
w3.metric("Largest greek-approximation error (hedged)", f"{gap:,.4f}",
          help="Full revaluation minus the second-order greek approximation, largest over the grid.")
v0 = grid.book.columns[zero_col]
st.plotly_chart(
    revaluation_figure(
        100.0 * ds,
        {"Book": grid.book.iloc[:, zero_col], "Book (greek approx)": grid.book_approx.iloc[:, zero_col],
         "Hedged": grid.hedged.iloc[:, zero_col],
         "Hedged (greek approx)": grid.hedged_approx.iloc[:, zero_col]},
        x_title="Spot shock (%)", y_title="P&L (currency)",
        title=f"Full revaluation against the greek approximation, volatility shock {100 * v0:+g} pts",
    ),
    width="stretch",
)
st.download_button("Download the stress grid (CSV)", csv_text(stress_frame(grid)),
                   file_name="risk_stress_grid.csv", mime="text/csv", on_click="ignore",
                   key="rk_download_grid")

# ---- historical VaR --------------------------------------------------------------------------
st.header("Historical VaR on real moves")
show_source(choice, show_warnings=False)
data = historical_input(choice)
if data.fallback:
    st.warning(
        "The chosen source is simulated, and historical VaR needs real moves: using the bundled "
        f"**{data.label}** instead. Pick a real series in the sidebar to use it."
    )
h1, h2 = st.columns(2)
_number("hist_days", h1)
forms.draw(FIELDS["hist_level_pct"], "rk_hist_level_pct", h2, option_labels=lambda x: f"{x:g}%")
level = ss["rk_hist_level_pct"] / 100.0
with stop_on_error("Historical VaR: "):
    hist = run_historical(
        book.to_dict(), data.prices,
        {k: float(market[k]) for k in ("spot", "volatility", "rate", "dividend_yield")},
        int(ss["rk_hist_days"]), level, hedge,
    )
tag = f"{ss['rk_hist_level_pct']:g}%"
m1, m2, m3, m4 = st.columns(4)
m1.metric(f"Historical VaR {tag}, book", f"{hist.var:,.4f}")
m2.metric(f"Historical ES {tag}, book", f"{hist.es:,.4f}")
m3.metric(f"Historical VaR {tag}, hedged", f"{hist.hedged_var:,.4f}")
m4.metric(f"Historical ES {tag}, hedged", f"{hist.hedged_es:,.4f}")
st.plotly_chart(
    scenario_histogram_figure(
        {"Book": hist.scenarios["book_pnl"], f"Hedged ({hedge_name})": hist.scenarios["hedged_pnl"]},
        var={"Book": hist.var, f"Hedged ({hedge_name})": hist.hedged_var},
        es={"Book": hist.es, f"Hedged ({hedge_name})": hist.hedged_es},
        level_label=tag,
        title=f"P&L over {hist.horizon_days} trading day{'s' if hist.horizon_days > 1 else ''} in "
              f"{hist.n_scenarios:,} scenarios from {data.label}",
        x_title=f"P&L over {hist.horizon_days} trading day(s) (currency)",
    ),
    width="stretch",
)
st.caption(
    f"Each scenario moves today's spot ({hist.spot:,.2f}) by one past {hist.horizon_days}-day "
    f"relative move of {hist.series} (overlapping windows) and revalues the book at "
    f"{100 * hist.volatility:.2f}% volatility, legs aged by the horizon."
)
st.dataframe(hist.table().rename(index={"book": "Book", "hedged": "Hedged"}),
             column_config={c: st.column_config.NumberColumn(format="%.4f")
                            for c in hist.table().columns})
st.download_button("Download the scenarios (CSV)", csv_text(hist.scenarios, index=True),
                   file_name="risk_historical_scenarios.csv", mime="text/csv", on_click="ignore",
                   key="rk_download_scenarios")

st.info(takeaway(hedge_name, measures, grid, hist))

# ---- explanation ---------------------------------------------------------------------------
with st.expander("What am I looking at"):
    st.markdown(
        "**Value at risk** at level $\\alpha$ (95% or 99%) is the loss exceeded with probability "
        "$1-\\alpha$; **expected shortfall** is the average loss in that tail. With the P&L "
        "$X$ (a loss is negative):"
    )
    st.latex(r"\mathrm{VaR}_\alpha = -\inf\{x : P(X \le x) > 1-\alpha\}, \qquad "
             r"\mathrm{ES}_\alpha = -\,\mathbb{E}\left[X \mid X \le -\mathrm{VaR}_\alpha\right]")
    st.markdown(
        "Both are read off a sample: the simulated paths (P&L to the book's expiry, the hedge "
        "rebalanced along the way), or the historical scenarios (Hull, *Risk Management and "
        "Financial Institutions*, ch. 13). The **stress grid** revalues the book in full at "
        "each shocked spot $S(1+\\delta_S)$ and volatility $\\sigma+\\delta_\\sigma$; the hedge "
        "is set before the shock and held through it, so the hedged position is flat in spot "
        "to first order but keeps its gamma. The greeks give the familiar approximation "
        "(delta-gamma-vega, with the cross terms and theta):"
    )
    st.latex(r"\Delta V \approx \Delta\,\delta S + \tfrac12\,\Gamma\,\delta S^2 + "
             r"\mathcal{V}\,\delta\sigma + \mathrm{vanna}\,\delta S\,\delta\sigma + "
             r"\tfrac12\,\mathrm{volga}\,\delta\sigma^2 + \Theta\,\delta t")
    st.markdown(
        "It agrees with full revaluation for small moves and parts from it for large ones: the "
        "gap in the line chart is what the greeks miss. **Historical VaR** applies each past "
        "$h$-day relative move of the series to today's spot:"
    )
    st.latex(r"S_i = S_0\,\frac{p_{i+h}}{p_i}, \qquad "
             r"\Pi_i = V\!\left(S_i, \sigma, t + \tfrac{h}{252}\right) - V(S_0, \sigma, t)")
    st.markdown(
        "with overlapping windows (each uses every $h$-day move of the data, but neighbours "
        "share $h-1$ days, so the scenarios are not independent). Volatility is held at the "
        "market's: the price series carries no implied-volatility moves."
    )

ss["rk_saved"] = {name: ss["rk_" + name] for name in FIELDS}
