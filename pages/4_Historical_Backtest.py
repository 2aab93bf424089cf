"""Historical Backtest: hedge a book on real prices, once or as a rolling programme."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from hedgelib.backtest import RollingResult
from hedgelib.conventions import HedgeLibError
from hedgelib.scenario import (
    BOOK_KINDS,
    MODES,
    ROLLS,
    SIDES,
    VOL_SOURCES,
    backtest_fields,
    backtest_schema,
    moneyness_book,
)
from ui import forms
from ui.backtest import (
    attribution_terms,
    cap_message,
    default_dates,
    real_history,
    replay_takeaway,
    replay_trades_table,
    replay_view,
    rolling_takeaway,
    rolling_trades_table,
    rolling_view,
    run_backtest,
    scenario_of,
    settings_from_scenario,
    source_is_sp500,
    theory_note,
    trades_csv,
)
from ui.charts import (
    hedge_position_figure,
    pnl_attribution_figure,
    price_trades_figure,
    trade_pnl_histogram_figure,
    variance_scatter_figure,
    volatility_comparison_figure,
)
from ui.errors import stop_on_error
from ui.navigation import page_config
from ui.scenario import (
    apply_book_and_market,
    read_link_once,
    scenario_sidebar,
    show_scenario_messages,
    write_link,
)
from ui.source_picker import pick_source, show_source
from ui.sources import apply_source, dates_signature, get_source
from ui.state import get_book, get_market
from ui.units import to_percent
from ui.widgets import metric_grid

page_config("Historical Backtest")
ss = st.session_state
SUBMITTED = "bt_submitted"  # inputs of the run on show; outlives Streamlit's widget cleanup
# Computed on every run from the registries: a part registered since is offered at once.
FIELDS = backtest_fields()
SCHEMA = backtest_schema()
LABELS = {"mode": MODES, "book_kind": BOOK_KINDS, "side": SIDES, "roll": ROLLS, "vol_kind": VOL_SOURCES,
          "preset": {k: k.replace("_", " ") for k in FIELDS["preset"].choices}}


def _apply_scenario(scenario: dict, present: set[str]) -> list[str]:
    """Load a scenario into the form, the shared source (bundled series and window) and, when
    it carries them, the current book and spot. Returns what could not be loaded."""
    settings, problems = settings_from_scenario(scenario)
    if present & {"source", "source_start", "source_end"}:
        try:
            apply_source(scenario, ss, "bt_")
        except HedgeLibError as exc:
            problems.append(f"source: {exc}")
    if present:
        # The dates follow the data only when the data change after this: not the ones loaded.
        ss["bt_dates_for"] = dates_signature(get_source(ss))
    for key, value in settings.items():
        ss["bt_" + key] = value
    ss[SUBMITTED] = settings
    return problems + apply_book_and_market(scenario, present & {"book", "spot"})


if SUBMITTED not in ss:
    read_link_once(SCHEMA, "bt_", _apply_scenario, st.query_params)

st.title("Historical Backtest")
st.caption(
    "Hedge an option book on real closes: one trade from a chosen date to its expiry, or a "
    "rolling programme that enters the same trade again and again (say, sell a one-month "
    "straddle every month at the VIX). Every trade is priced and hedged with what was known "
    "on the day."
)

with st.sidebar:
    st.header("Underlying")
    choice = pick_source("bt_")
show_source(choice)
full, window, source_note = real_history(choice)
if source_note:
    st.warning(source_note)

# ---- state: dates follow the underlying; the form comes back after a page switch ------------
signature = dates_signature(choice.description)
if ss.get("bt_dates_for") != signature:
    start, end = default_dates(window)
    ss[SUBMITTED] = {**ss[SUBMITTED], "start": start, "end": end}
    ss["bt_start"], ss["bt_end"] = start, end
    ss["bt_dates_for"] = signature
forms.restore("bt_", {k: f for k, f in FIELDS.items() if k not in ("start", "end")}, ss[SUBMITTED])
for name in ("start", "end"):
    ss.setdefault("bt_" + name, ss[SUBMITTED][name])


# What the current book fixes itself: its legs, sides, quantities, strikes and expiries.
PRESET_ONLY = ("preset", "side", "size", "width_pct", "tenor_days")


def _inputs(*names: str, radio: tuple[str, ...] = ()) -> None:
    current = ss.get("bt_book_kind") == "current"
    for name in names:
        unused = current and name in PRESET_ONLY
        forms.draw(FIELDS[name], "bt_" + name, option_labels=LABELS.get(name), radio=name in radio,
                   disabled=unused,
                   help=("Not used with the current book: its legs, sides, quantities, strikes and "
                         "expiries are the ones built on the Option Book page.") if unused else None)


def _date(name: str) -> None:
    f = FIELDS[name]
    # Wide bounds on purpose: a date outside the data gets the library's message naming the
    # data's range, rather than a widget that silently refuses it.
    st.date_input(f.label, key="bt_" + name, help=f.help or None, format="YYYY-MM-DD",
                  min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


with st.form("bt_form"):
    c_trade, c_dates, c_vol, c_hedge = st.columns(4)
    with c_trade:
        st.markdown("**Trade**")
        _inputs("mode", "book_kind", "preset", "side", "size", "width_pct", "tenor_days",
                radio=("mode", "side"))
    with c_dates:
        st.markdown("**Dates**")
        _date("start")
        _date("end")
        _inputs("roll", "roll_days")
        st.caption(f"Data: {full.name}, {full.first_date.date()} to {full.last_date.date()}. A "
                   "single replay runs from the start to the book's expiry.")
    with c_vol:
        st.markdown("**Volatility**")
        _inputs("vol_kind", "const_vol_pct", "realised_window", "garch_refit", "rate_pct", "div_pct")
    with c_hedge:
        st.markdown("**Hedge and costs**")
        forms.registry_inputs("strategy", FIELDS, "bt_")
        forms.hedge_option_inputs(FIELDS, "bt_")
        forms.registry_inputs("rule", FIELDS, "bt_", group=False)
        st.caption("One step is one trading day.")
        forms.registry_inputs("costs", FIELDS, "bt_", main=("cost_bp", "per_trade"),
                              titles={"transaction_costs": "Impact and option spread"})
        submitted = st.form_submit_button("Run", type="primary", width="stretch", key="bt_run")

if submitted:
    ss[SUBMITTED] = forms.values("bt_", FIELDS)
    ss["bt_write_link"] = True
settings = {**{k: f.default for k, f in FIELDS.items()}, **ss[SUBMITTED]}

# ---- scenario: link, download, upload --------------------------------------------------------
scenario, travel_note = scenario_of(settings, choice.description, get_book(), get_market()["spot"])
scenario_sidebar(
    SCHEMA, scenario, prefix="bt_", file_name="backtest_scenario.json", apply=_apply_scenario,
    caption="The address bar holds the inputs of the last run and the bundled series with its "
            "window (and the current book, when the form uses it): copy it to share this scenario.",
)
if travel_note:
    st.sidebar.warning(travel_note)
show_scenario_messages("bt_")
with stop_on_error(fields=FIELDS):
    write_link(SCHEMA, scenario, "bt_")
rolling = settings["mode"] == "rolling"


# ---- checks, then the run -------------------------------------------------------------------
def _book_template() -> dict | None:
    if settings["book_kind"] != "current":
        return None
    book = get_book()
    if book is None:
        raise HedgeLibError("no current book yet: build one on the Option Book page, or pick a preset")
    spot = get_market()["spot"]
    st.caption(f"Current book: strikes divided by the Option Book page's spot ({spot:,.2f}) and "
               "rescaled to the entry spot; quantities and expiries as built there.")
    return moneyness_book(book, spot).to_dict()


def _run():
    if settings["vol_kind"] == "vix" and not source_is_sp500(choice):
        st.warning(f"The VIX is the implied volatility of the S&P 500, not of {full.name}: it is "
                   "used here as a stand-in.")
    refusal = cap_message(full.dates, settings)
    if refusal:
        st.error(refusal)
        return None
    try:
        return run_backtest(settings, full.prices, _book_template())
    except HedgeLibError as exc:
        st.error(f"Backtest: {exc}")
        return None


result = _run()
UNITS = ("P&L in the underlying's price units (index points for an index, currency for a stock) "
         "for one option per leg on one unit; premium included, holder's view.")


def _charts(view, *, entries: bool) -> None:
    c1, c2 = st.columns(2)
    c1.plotly_chart(
        price_trades_figure(
            view.dates, view.prices, view.trade_dates, view.trade_shares,
            trade_prices=view.trade_prices, entry_dates=view.entry_dates if entries else None,
            levels={f"strike {k:,.2f}": k for k in view.strikes}, name=full.name,
            title="Price and hedge trades" + (" (all live options)" if entries else ""),
            y_title=f"{full.name} close (price units)",
        ),
        width="stretch",
    )
    c2.plotly_chart(
        hedge_position_figure(
            view.dates, view.position,
            title="Hedge position" + (" (all live trades)" if entries else " after each day's trade"),
        ),
        width="stretch",
    )
    c3, c4 = st.columns(2)
    terms = attribution_terms(view.attribution)
    c3.plotly_chart(
        pnl_attribution_figure(
            view.dates, terms, total=view.attribution["pnl"].to_numpy(),
            title="Cumulative P&L by source" + (" (all trades)" if entries else ""),
            y_title="Cumulative P&L (price units)",
        ),
        width="stretch",
    )
    levels = {}
    if not entries:
        levels = {"Realised over the life": to_percent(result.realised_volatility())}
    c4.plotly_chart(
        volatility_comparison_figure(
            view.vol_dates, to_percent(1.0) * view.implied, to_percent(1.0) * view.realised,
            implied_name=("Implied at entry: " if entries else "Hedge volatility: ") + result.volatility_label,
            realised_name=view.realised_label, markers=entries, levels=levels,
            x_title="Entry date" if entries else "Date",
        ),
        width="stretch",
    )
    for note in view.notes:
        st.caption(note)


if isinstance(result, RollingResult):
    for w in result.warnings:
        st.warning(w)
    s = result.summary()
    st.subheader("Programme results")
    st.caption(UNITS)
    metric_grid([
        ("Trades", f"{int(s['n_trades'])}", "Trades entered and hedged to expiry."),
        ("Total P&L (hedged)", f"{s['total_pnl']:,.2f}", "Sum of the trades' final P&L."),
        ("Total P&L (unhedged)", f"{s['total_unhedged_pnl']:,.2f}", "The same trades, no hedge."),
        ("Mean P&L per trade", f"{s['mean_pnl']:,.2f}", f"Standard deviation {s['std_pnl']:,.2f}."),
        ("Hit rate", f"{s['hit_rate']:.0%}", "Share of trades that made money."),
        ("Worst trade", f"{s['worst_pnl']:,.2f}", None),
        ("Total costs", f"{s['total_costs']:,.2f}", "Transaction costs of the hedges."),
        ("Mean implied / realised vol", f"{s['mean_implied_vol']:.1%} / {s['mean_realised_vol']:.1%}",
         "Implied at entry; realised over each trade's life (zero mean)."),
    ])
    takeaway = rolling_takeaway(settings, result, full.name)
    st.info(takeaway)
    _charts(rolling_view(result, full.prices), entries=True)

    c5, c6 = st.columns(2)
    t = result.trades
    c5.plotly_chart(
        trade_pnl_histogram_figure(t["pnl"].to_numpy(), unhedged=t["unhedged_pnl"].to_numpy(),
                                   x_title="P&L per trade (price units)"),
        width="stretch",
    )
    rel = result.variance_relation()
    c6.plotly_chart(
        variance_scatter_figure(
            rel["variance_spread"].to_numpy(), rel["pnl"].to_numpy(), theory_slope=result.theory_slope,
            theory_pnl=rel["theory_pnl"].to_numpy(), labels=[d.date().isoformat() for d in rel.index],
            y_title="P&L per trade (price units)",
        ),
        width="stretch",
    )
    st.subheader("Every trade")
    table = rolling_trades_table(result)
    money = {c: st.column_config.NumberColumn(format="%.2f")
             for c in table.columns if c not in ("entry", "expiry", "hedge trades")}
    # Seventeen columns do not fit a laptop screen: the trade and its result, then its P&L
    # split by greek, each table with every column in view.
    explain = [c for c in ("gamma", "theta", "vega", "delta", "residual", "theory P&L") if c in table.columns]
    st.dataframe(table, hide_index=True, width="stretch", column_config=money,
                 column_order=[c for c in table.columns if c not in explain])
    st.caption("P&L of each trade split by greek (price units), and the theory P&L: what the "
               "trade's variance spread predicts from its gamma exposure.")
    st.dataframe(table, hide_index=True, width="stretch", column_config=money,
                 column_order=["entry", *explain])
elif result is not None:
    s = result.summary()
    st.subheader("Replay results")
    st.caption(UNITS)
    metric_grid([
        ("P&L (hedged)", f"{s['pnl']:,.2f}", "Final P&L of book and hedge, premium included."),
        ("P&L (unhedged)", f"{s['unhedged_pnl']:,.2f}", "The book alone, held to expiry."),
        ("Premium", f"{s['premium']:,.2f}", "Book value at entry, holder's sign: negative means received."),
        ("Costs", f"{s['costs']:,.2f}", "Transaction costs of the hedge."),
        ("Hedge trades", f"{s['n_trades']}", "Rebalances, the final liquidation included."),
        ("Implied vol at entry", f"{s['implied_vol']:.1%}", result.volatility_label),
        ("Realised vol over the life", f"{s['realised_vol']:.1%}", "Zero-mean, annualised."),
        ("Days hedged", f"{len(result.ledger) - 1}", f"Trading days from {s['start'].date()} to {s['end'].date()}."),
    ])
    takeaway = replay_takeaway(settings, result, full.name)
    st.info(takeaway)
    window_days = int(settings["realised_window"]) if settings["vol_kind"] == "realised" else 21
    _charts(replay_view(result, full.prices, window_days), entries=False)
    st.subheader("Hedge trades")
    table = replay_trades_table(result)
    st.dataframe(table, hide_index=True, width="stretch")
else:
    takeaway = None

if result is not None:
    st.download_button(
        "Download the trades (CSV)", trades_csv(result),
        file_name="backtest_programme.csv" if rolling else "backtest_hedge_trades.csv",
        mime="text/csv", on_click="ignore", key="bt_download_trades", icon=":material/download:",
    )

# ---- explanation ---------------------------------------------------------------------------
with st.expander("Why does a delta-hedged short option earn implied minus realised variance?"):
    st.markdown(
        "Sell an option at the implied volatility $\\sigma_i$ and hold $\\Delta$ shares, the "
        "Black-Scholes delta at $\\sigma_i$. Over a short step the option's value $V$ moves by "
        "(Itô, with the market's realised volatility $\\sigma_r$):"
    )
    st.latex(r"\delta V \approx \Theta\,\delta t + \Delta\,\delta S + \tfrac12\,\Gamma\,\delta S^2,"
             r"\qquad \delta S^2 \approx \sigma_r^2 S^2\,\delta t")
    st.markdown("The Black-Scholes equation at $\\sigma_i$ (zero rate, for clarity) ties theta to gamma:")
    st.latex(r"\Theta + \tfrac12\,\sigma_i^2 S^2\,\Gamma = 0")
    st.markdown("so the delta term cancels against the hedge and, for the seller of the option, each "
                "step leaves")
    st.latex(r"\delta\,\mathrm{P\&L} = -(\delta V - \Delta\,\delta S) \approx "
             r"\tfrac12\,\Gamma S^2\left(\sigma_i^2 - \sigma_r^2\right)\delta t")
    st.latex(r"\mathrm{P\&L} \approx \tfrac12 \sum_t \Gamma_t S_t^2\left(\sigma_i^2 - \sigma_r^2\right)\Delta t")
    st.markdown(
        "The seller earns the gap between implied and realised **variance**, weighted by **dollar "
        "gamma** $\\Gamma S^2$, which is largest when the price sits near the strike close to "
        "expiry. So the same realised volatility costs more when it comes late and at the money. "
        "Implied volatility usually exceeds realised (the variance risk premium), which is why "
        "short-volatility programmes earn small amounts most months and lose large amounts in "
        "a few (Carr and Madan 1998; Hull, *Options, Futures, and Other Derivatives*, ch. 19). "
        "The P&L chart splits each day's move into delta, gamma "
        "($\\tfrac12\\Gamma\\,\\delta S^2$), theta ($\\Theta\\,\\delta t$), vega "
        "($\\mathcal V\\,\\delta\\sigma$, when the hedge volatility moves), financing, costs and "
        "a residual; the scatter puts each trade's P&L against its $\\sigma_i^2 - \\sigma_r^2$ "
        "with the theory line of slope $-\\tfrac12\\sum\\Gamma S^2\\Delta t$ (the mean over the trades)."
    )
    if result is not None:
        st.markdown(theory_note(result))
        st.info(takeaway)
    else:
        st.caption("Run a backtest to see these numbers for your trades.")
