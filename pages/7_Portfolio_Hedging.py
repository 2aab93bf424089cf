"""Portfolio Hedging: insure a portfolio (CPPI, TIPP, puts) or hedge it with index futures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import streamlit as st

from hedgelib.conventions import HedgeLibError
from hedgelib.portfolio import HEDGE_METHODS, INSURANCE_RULES, INSURANCE_STRATEGIES
from hedgelib.scenario.portfolio import (
    MARKETS,
    SERIES,
    TABS,
    insurance_refusal,
    portfolio_fields,
    portfolio_schema,
)
from ui import forms
from ui.charts import (
    dated_lines_figure,
    hedge_ratio_figure,
    insurance_costs_figure,
    insurance_fan_figure,
    payoff_scatter_figure,
    terminal_values_figure,
    variance_reduction_figure,
    yearly_returns_figure,
)
from ui.navigation import page_config
from ui.portfolio import (
    DATE_FIELDS,
    FUTURES_INPUTS,
    INSURANCE_INPUTS,
    PREFIX,
    SUBMITTED,
    SUMMARY_HEADERS,
    TAB_KEY,
    futures_takeaway,
    insurance_takeaway,
    run_futures,
    run_insurance_view,
    run_programme,
    series_history,
    show_error,
    subset,
    summary_frame,
    widget_value,
)
from ui.scenario import read_link_once, scenario_sidebar, show_scenario_messages, write_link
from ui.source_picker import pick_source
from ui.widgets import csv_text

page_config("Portfolio Hedging")
ss = st.session_state
FIELDS = portfolio_fields()
SCHEMA = portfolio_schema()
LABELS = {"market": MARKETS, "fut_portfolio": SERIES, "fut_index": SERIES, "fut_method": HEDGE_METHODS,
          "rule": {k: e.label for k, e in INSURANCE_RULES.items()}}


def _apply_scenario(scenario: dict, present: set[str]) -> list[str]:
    """Load a scenario (link, file) into both forms; returns what could not be loaded. The
    library checks the inputs when the tabs run, and says there what it refuses."""
    settings = {k: scenario[k] for k in FIELDS}
    problems = []
    for name in DATE_FIELDS:
        try:
            dt.date.fromisoformat(settings[name])
        except ValueError:
            problems.append(f"{name}: must be a date like 2008-01-02, got {settings[name]!r}")
            settings[name] = FIELDS[name].default
    for key, value in settings.items():
        ss[PREFIX + key] = widget_value(key, value)
    ss[SUBMITTED] = settings
    return problems


# ---- state: a shared link on the first visit, else the last run's inputs ---------------------
if SUBMITTED not in ss:
    read_link_once(SCHEMA, PREFIX, _apply_scenario, st.query_params)
saved = {k: widget_value(k, v) for k, v in ss[SUBMITTED].items()}
forms.restore(PREFIX, {k: f for k, f in FIELDS.items() if k not in DATE_FIELDS}, saved)
for name in DATE_FIELDS:
    # A preset writes dates as ISO text; the date inputs hold datetime.date.
    ss[PREFIX + name] = widget_value(name, ss.get(PREFIX + name, saved[name]))

st.title("Portfolio Hedging")
st.caption(
    "Protect a portfolio: portfolio insurance (CPPI and TIPP keep the exposure a multiple of the "
    "cushion above a floor; a put bought or replicated pays the floor) on simulated paths or on "
    "real history, and a stock portfolio hedged with index futures whose ratio is re-estimated "
    "as data arrive."
)
show_scenario_messages(PREFIX)
with st.sidebar:
    st.header("Data source")
    st.caption("Used where a series is 'the data source in use' (Yahoo Finance or a CSV file).")
    source = pick_source(PREFIX)

settings = dict(ss[SUBMITTED])
scenario_sidebar(SCHEMA, settings, prefix=PREFIX, file_name="portfolio_hedging_scenario.json",
                 caption="The address bar holds the inputs of the last run of both tabs: copy it to "
                         "share this scenario.", apply=_apply_scenario)
write_link(SCHEMA, settings, PREFIX)


def _draw(*names: str) -> None:
    for name in names:
        if name in DATE_FIELDS:
            f = FIELDS[name]
            st.date_input(f.label, key=PREFIX + name, help=f.help or None, format="YYYY-MM-DD",
                          min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
        else:
            forms.draw(FIELDS[name], PREFIX + name, option_labels=LABELS.get(name))


def _submit(names: tuple[str, ...]) -> None:
    values = forms.values(PREFIX, names)
    values = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}
    ss[SUBMITTED] = {**ss[SUBMITTED], **values}
    ss[PREFIX + "write_link"] = True
    st.rerun()


def _tab_changed() -> None:
    # The open tab is part of the scenario: the link then opens on it.
    ss[SUBMITTED] = {**ss[SUBMITTED], "tab": ss[TAB_KEY]}
    ss[PREFIX + "write_link"] = True


def _insurance_tab() -> None:
    with st.form("ph_ins_form"):
        c_strat, c_market, c_rule, c_run = st.columns(4)
        with c_strat:
            st.markdown("**Strategies to compare**")
            _draw(*(f"use_{n}" for n in INSURANCE_STRATEGIES))
            params = dict.fromkeys(p.key for e in INSURANCE_STRATEGIES.values() for p in e.parameters)
            _draw(*params)
        with c_market:
            st.markdown("**Market**")
            _draw("market", "capital", "horizon_days", "ins_start")
            forms.registry_inputs("model", FIELDS, PREFIX)
        with c_rule:
            st.markdown("**Rebalancing and costs**")
            _draw("rule", "every_n", "exposure_band_pct")
            forms.registry_inputs("costs", FIELDS, PREFIX, main=("cost_bp", "per_trade"),
                                  titles={"transaction_costs": "Impact and option spread"})
        with c_run:
            st.markdown("**Run**")
            _draw("rate_pct", "div_pct", "n_paths", "n_steps", "seed")
            ins_go = st.form_submit_button("Run insurance", type="primary", width="stretch")
    if ins_go:
        _submit(INSURANCE_INPUTS)

    ins = subset(settings, INSURANCE_INPUTS)
    view = programme = history = None
    try:
        refusal = insurance_refusal(ins)
        if refusal:
            raise HedgeLibError(refusal)
        history = None if ins["market"] == "model" else series_history(ins["market"], source)
        view = run_insurance_view(ins, None if history is None else history.prices)
    except HedgeLibError as exc:
        show_error(exc, "Insurance", INSURANCE_INPUTS)
    if view is not None:
        where = ("simulated " + f"{view.n_paths:,} paths x {view.n_steps} steps"
                 if history is None else f"{history.name} from {view.dates[0].date()} "
                 f"to {view.dates[-1].date()} ({history.source})")
        st.caption(f"Market: {where}; capital {view.capital:,.2f}; values in currency at the horizon.")
        st.info(insurance_takeaway(view))
        table = summary_frame(view)
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(SUMMARY_HEADERS[c], help=c, format="%.2f")
                                    for c in table.columns if c != "Strategy"})
        labels = view.labels
        floors = {labels[k]: f for k, f in view.floors.items() if k != "buy_and_hold" or f.any()}
        if view.market == "model":
            st.plotly_chart(insurance_fan_figure(view.times, {labels[k]: b for k, b in view.bands.items()},
                                                 floors), width="stretch")
            first_floor = next(iter(view.floors.values()))[-1]
            c_dist, c_pay = st.columns(2)
            c_dist.plotly_chart(terminal_values_figure({labels[k]: v for k, v in view.terminal.items()},
                                                       floor=first_floor, capital=view.capital), width="stretch")
            c_pay.plotly_chart(payoff_scatter_figure(view.index_return,
                                                     {labels[k]: v for k, v in view.terminal.items()},
                                                     floor=first_floor), width="stretch")
        else:
            lines = {labels[k]: b[0.5] for k, b in view.bands.items()}
            lines["floor"] = next(iter(view.floors.values()))
            st.plotly_chart(dated_lines_figure(view.dates, lines, title="Portfolio value on history, "
                                               "strategy by strategy", y_title="Value (currency)"),
                            width="stretch")
        s = view.summaries
        st.plotly_chart(insurance_costs_figure(
            [labels[k] for k in s],
            {"upside given up (rising markets)": [np.nan_to_num(s[k]["upside_given_up"]) for k in s],
             "transaction costs": [s[k]["mean_cost"] for k in s],
             "put premium": [s[k]["premium"] for k in s],
             "expected shortfall below the floor": [s[k]["expected_shortfall"] for k in s]}),
            width="stretch")
        st.download_button("Download the summary (CSV)", csv_text(table),
                           file_name="insurance_summary.csv", mime="text/csv", on_click="ignore",
                           key="ph_download_summary")

        st.subheader("The crashes replayed: yearly programmes")
        if history is None:
            st.caption("Pick a real-history market (the bundled S&P 500 or NASDAQ, or the data source "
                       "in use) and run: every strategy is then renewed each calendar year over the "
                       "whole series, one bar per year, the 2000-2002 and 2008 crashes shaded.")
        else:
            try:
                programme = run_programme(ins, history.prices)
            except HedgeLibError as exc:
                show_error(exc, "Yearly programmes", INSURANCE_INPUTS)
    if programme is not None:
        returns = programme.returns()
        st.plotly_chart(yearly_returns_figure(
            returns.index.to_numpy(), {programme.labels[k]: 100.0 * returns[k].to_numpy() for k in returns},
            floor_return=100.0 * float(programme.table["floor_return"].iloc[0])), width="stretch")
        st.caption(f"On {history.name}: each strategy starts afresh at the first close of every year "
                   "with the same capital and floor and runs to the first close of the next; the grey "
                   "bands are the 2000-2002 and 2008 crashes. "
                   + " ".join(w[0].upper() + w[1:] + "." for w in programme.warnings))
    with st.expander("What am I looking at: CPPI, its gap risk, and why a synthetic put needs the volatility right"):
        st.markdown("**CPPI** keeps in the risky asset a multiple $m$ of the *cushion* above the floor "
                    "$F_t = f\\,C_0\\,e^{-r(T-t)}$:")
        st.latex(r"E_t = \min\big(m\,(V_t - F_t)^+,\; c\,V_t\big), \qquad "
                 r"E[V_T] = F_T + C_0\,e^{(r + m(\mu - r))T}\ \text{(Black-Perold, no cap)}")
        st.markdown("Traded continuously, the cushion is a power of the price and never reaches zero. "
                    "Traded at discrete times it is wiped out by a fall of more than $1/m$ between two "
                    "trades (a third for $m = 3$): that **gap risk** is what the jumps of the Merton model "
                    "and October 1987 make real. **TIPP** raises the floor to a share of the running peak.")
        st.markdown("The **protective put** buys $n$ shares and $n$ puts with $n(S_0 + P(K)) = C_0$ and "
                    "$nK = f\\,C_0$, and ends at $n\\max(S_T, K)$. The **synthetic put** (Leland-Rubinstein) "
                    "holds $n(1 + \\Delta_P)$ shares instead; rebalanced $N$ times it misses by a hedge "
                    "error of standard deviation about $\\sqrt{\\pi/4}\\,n\\mathcal V\\sigma/\\sqrt N$ "
                    "(Derman-Kamal), and if the market moves at $\\sigma_r$ instead of the $\\sigma_i$ "
                    "of its deltas it loses")
        st.latex(r"\tfrac12\,n\,\Gamma S^2\,(\sigma_r^2 - \sigma_i^2)\,\mathrm{d}t")
        st.markdown("on every step: the volatility must be right, or the floor is missed.")


def _futures_tab() -> None:
    with st.form("ph_fut_form"):
        c_series, c_method, c_dates, c_costs = st.columns(4)
        with c_series:
            st.markdown("**Series**")
            _draw("fut_portfolio", "fut_index")
        with c_method:
            st.markdown("**Hedge ratio**")
            _draw("fut_method", "fut_window", "fut_rebalance")
        with c_dates:
            st.markdown("**Period**")
            _draw("fut_start", "fut_end", "fut_roll_days")
        with c_costs:
            st.markdown("**Carry and costs**")
            _draw("fut_rate_pct", "fut_div_pct", "fut_cost_bp")
            fut_go = st.form_submit_button("Run hedge", type="primary", width="stretch")
    if fut_go:
        _submit(FUTURES_INPUTS)

    fut = subset(settings, FUTURES_INPUTS)
    fview = None
    try:
        p_hist = series_history(fut["fut_portfolio"], source)
        i_hist = series_history(fut["fut_index"], source)
        fview = run_futures(fut, p_hist.prices.rename(p_hist.name), i_hist.prices.rename(i_hist.name))
    except HedgeLibError as exc:
        show_error(exc, "Futures hedge", FUTURES_INPUTS)
    if fview is not None:
        h = fview.hedge
        sm = h.summary()
        st.info(futures_takeaway(fview))
        for w in h.warnings:
            st.warning(w)
        cols = st.columns(4)
        cols[0].metric("Variance reduction", f"{100 * sm['variance_reduction']:.1f}%",
                       help="1 - Var(hedged) / Var(unhedged) of daily returns (Ederington).")
        cols[1].metric("Volatility", f"{100 * sm['volatility_hedged']:.1f}%",
                       f"{100 * (sm['volatility_hedged'] - sm['volatility_unhedged']):+.1f} pts", delta_color="inverse")
        cols[2].metric("Beta to the index", f"{sm['beta_hedged']:.2f}", f"from {sm['beta_unhedged']:.2f}",
                       delta_color="off")
        cols[3].metric("Max drawdown", f"{100 * sm['max_drawdown_hedged']:.1f}%",
                       f"from {100 * sm['max_drawdown_unhedged']:.1f}%", delta_color="off")
        st.dataframe(fview.methods, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.2f")
                                    for c in fview.methods.columns if c != "Method"})
        cum = h.cumulative()
        c_a, c_b = st.columns(2)
        c_a.plotly_chart(dated_lines_figure(cum.index, {"unhedged": cum["unhedged"].to_numpy(),
                                                        "hedged": cum["hedged"].to_numpy()},
                                            title="Growth of one unit, hedged and unhedged",
                                            y_title="Value (per unit of capital)"), width="stretch")
        c_b.plotly_chart(hedge_ratio_figure(h.hedge_ratio.index, h.hedge_ratio.to_numpy(), name=h.label,
                                            reference=sm["beta_unhedged"]), width="stretch")
        vol = h.rolling_volatility(63)
        c_c, c_d = st.columns(2)
        c_c.plotly_chart(dated_lines_figure(vol.index, {"unhedged": 100 * vol["unhedged"].to_numpy(),
                                                        "hedged": 100 * vol["hedged"].to_numpy()},
                                            title="Rolling volatility (63 trading days)",
                                            y_title="Volatility (% a year)"), width="stretch")
        by_year = fview.by_year.drop(columns=[HEDGE_METHODS["none"]], errors="ignore")
        c_d.plotly_chart(variance_reduction_figure(by_year.index.to_numpy(),
                                                   {c: by_year[c].to_numpy() for c in by_year}),
                         width="stretch")
        led = h.ledger
        st.plotly_chart(dated_lines_figure(led.index, {
            "roll costs": 100 * led["roll_cost"].cumsum().to_numpy() / h.contract.notional,
            "rebalancing costs": 100 * led["rebalance_cost"].cumsum().to_numpy() / h.contract.notional,
            "basis P&L": 100 * led["basis_pnl"].cumsum().to_numpy() / h.contract.notional},
            title="Roll and rebalancing costs, and the basis P&L, cumulated",
            y_title="% of the starting capital"), width="stretch")
        st.download_button("Download the daily ledger (CSV)", csv_text(led, index=True), file_name="futures_hedge_ledger.csv",
                           mime="text/csv", on_click="ignore", key="ph_download_ledger")
    with st.expander("What am I looking at: the minimum-variance hedge ratio"):
        st.markdown("Selling $N$ futures against a portfolio worth $V$ leaves the return "
                    "$r_H = r_P - h\\,r_F$ with $h = N F M / V$. Its variance is smallest for")
        st.latex(r"h^* = \rho\,\frac{\sigma_P}{\sigma_F} = \frac{\mathrm{Cov}(r_P, r_F)}{\mathrm{Var}(r_F)},"
                 r"\qquad 1 - \frac{\mathrm{Var}(r_H)}{\mathrm{Var}(r_P)} = \rho^2")
        st.markdown("(Hull, ch. 3; Ederington 1979). The rolling beta estimates it by OLS on the last "
                    "*window* daily returns, the minimum-variance method from exponentially weighted "
                    "covariances; both use only returns dated **before** each rebalance. The futures are "
                    "priced at $F = S e^{(r-q)(T-t)}$ and rolled each quarter: the basis $F - S$ shrinks to "
                    "zero at expiry, a P&L of its own, and every roll pays costs.")


# Only the open tab runs (its state is tracked); under a runner without tab state (.open is
# None) both do.
tab_ins, tab_fut = st.tabs(list(TABS), key=TAB_KEY, on_change=_tab_changed)
with tab_ins:
    if tab_ins.open is not False:
        _insurance_tab()
with tab_fut:
    if tab_fut.open is not False:
        _futures_tab()
