"""Live Monitor: a hedged position price by price, with alerts, trade tickets and a blotter."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from hedgelib.charts.live import live_greeks_figure, live_hedge_figure, live_price_pnl_figure
from hedgelib.conventions import HedgeLibError
from ui import forms
from ui.errors import in_labels, stop_on_error
from ui.live import (
    FEEDS,
    REFRESH_SECONDS,
    SERIES,
    VOL_LABELS,
    YAHOO_REFRESH_SECONDS,
    advance,
    blotter_frame,
    build_monitor,
    greek_series,
    live_fields,
    metric_items,
    offline_note,
    open_position,
    open_store,
    restore_inputs,
    snapshot_frame,
    status_line,
    steps_per_refresh,
    store_caption,
    ticket_frame,
    vix_note,
)
from ui.navigation import page_config
from ui.state import get_book, get_market
from ui.widgets import book_in_use, csv_text, metric_grid

page_config("Live Monitor")
ss = st.session_state
# Computed on every run from the registries: a part registered since is offered at once.
FIELDS = live_fields()
ss.setdefault("lm_running", True)
ss.setdefault("lm_auto_accept", False)
ss.setdefault("lm_active", None)

st.title("Live Monitor")
st.caption(
    "The last step of a dynamic hedge: the position is live, prices arrive, the greeks drift, "
    "and when the rule fires a trade ticket comes up to accept or skip. Replay a real series "
    "at a few closes a second (offline), or follow a Yahoo Finance ticker (online)."
)
with stop_on_error("Position store: "):
    store = open_store()
st.caption(store_caption(store))


def _note(kind: str, text: str) -> None:
    ss["lm_message"] = (kind, text)


def _clicked() -> None:
    ss["lm_clicked"] = True


# ---- open a position, or pick a saved one -----------------------------------------------------
active = ss["lm_active"]
market = get_market()
refused = None
with st.expander("Open a position", expanded=active is None):
    book = book_in_use(get_book(), market, default_use="monitoring a default short at-the-money call")
    st.caption(f"Strikes are read as fractions of the Option Book page's spot ({market['spot']:,.2f}) "
               "and rescaled to the first price of the feed; expiries count from it.")
    restore_inputs(ss, ss.get("lm_saved", {}))
    note = offline_note()
    with st.form("lm_form"):
        c_feed, c_hedge, c_vol, c_cost = st.columns(4)
        with c_feed:
            st.markdown("**Position and feed**")
            forms.draw(FIELDS["name"], "lm_name")
            forms.draw(FIELDS["feed"], "lm_feed", option_labels=FEEDS, radio=True)
            forms.draw(FIELDS["series"], "lm_series", option_labels=SERIES)
            st.date_input(FIELDS["start"].label, key="lm_start", format="YYYY-MM-DD",
                          min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31),
                          help=FIELDS["start"].help)
            forms.draw(FIELDS["speed"], "lm_speed")
            forms.draw(FIELDS["ticker"], "lm_ticker")
            forms.draw(FIELDS["interval"], "lm_interval")
            if note:
                st.caption(note)
        with c_hedge:
            st.markdown("**Hedge**")
            forms.registry_inputs("strategy", FIELDS, "lm_")
            forms.hedge_option_inputs(FIELDS, "lm_")
            forms.registry_inputs("rule", FIELDS, "lm_", group=False)
            st.caption("One step is one price of the feed (one close for a replay).")
        with c_vol:
            st.markdown("**Volatility and rates**")
            for name in ("vol_kind", "const_vol_pct", "realised_window", "garch_refit", "rate_pct", "div_pct"):
                forms.draw(FIELDS[name], "lm_" + name, option_labels=VOL_LABELS)
        with c_cost:
            st.markdown("**Costs**")
            forms.registry_inputs("costs", FIELDS, "lm_", main=("cost_bp", "per_trade"),
                                  titles={"transaction_costs": "Impact and option spread"})
        opened = st.form_submit_button("Open position", type="primary", key="lm_open")
    if opened:
        settings = forms.values("lm_", FIELDS)
        ss["lm_saved"] = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in settings.items()}
        try:
            mon = open_position(store, settings, book, market["spot"])
        except HedgeLibError as exc:
            refused = in_labels(str(exc), FIELDS)
        else:
            ss.update(lm_active=mon.name, lm_monitor=mon, lm_running=True, lm_clicked=True)
            active = mon.name
# Below the expander, not in it: with a position on show the expander closes on the rerun,
# and the reason a second position was refused would be hidden inside it.
if refused:
    st.error(refused)

positions = store.positions()
with st.expander(f"Saved positions ({len(positions)})", expanded=False):
    if positions.empty:
        st.caption("No position saved yet.")
    else:
        st.dataframe(positions.drop(columns=["time_basis"]), hide_index=True, width="stretch")
        pick = st.selectbox("Position", list(positions["name"]), key="lm_saved_pick")
        if st.button("Monitor this position", key="lm_monitor_saved"):
            ss.update(lm_active=pick, lm_running=False, lm_clicked=True)
            ss.pop("lm_monitor", None)
            active = pick

if not active:
    st.info("Open a position above (the defaults replay the S&P 500 from the end of January "
            "2018, into the February volatility shock), or pick a saved one.")
    st.stop()

# ---- the monitor of the active position -------------------------------------------------------
mon = ss.get("lm_monitor")
problem = None
if mon is None or mon.name != active:
    try:
        mon = build_monitor(store, active)
        ss["lm_monitor"] = mon
    except HedgeLibError as exc:
        mon, problem = None, in_labels(str(exc), FIELDS)

st.header(active)
if mon is None:
    st.warning(problem)
elif vix_note(mon.position.metadata.get("inputs", {})):
    st.warning(vix_note(mon.position.metadata["inputs"]))
live = mon is not None and not mon.finished
yahoo = mon is not None and mon.position.time_basis == "calendar"
running = live and ss["lm_running"]
settings = mon.position.metadata.get("inputs", {}) if mon is not None else {}


def _toggle_running() -> None:
    ss["lm_running"] = not ss["lm_running"]
    _clicked()


if mon is not None:
    c_run, c_auto, c_speed = st.columns([1, 2, 3])
    c_run.button("Pause" if running else "Resume", key="lm_pause", on_click=_toggle_running,
                 disabled=not live, help="Stop or restart the automatic refresh.")
    c_auto.toggle("Accept tickets automatically", key="lm_auto_accept", on_change=_clicked,
                  help="Otherwise a replay waits for your decision on each ticket.")
    c_speed.caption(
        f"Feed: {getattr(mon.feed, 'label', mon.feed)}. "
        + (f"Polled every {YAHOO_REFRESH_SECONDS:g} s." if yahoo else
           f"{steps_per_refresh(settings.get('speed', 2.0))} close(s) every {REFRESH_SECONDS:g} s while running.")
    )


def _step() -> None:
    _clicked()
    try:
        snap = mon.step()
    except HedgeLibError as exc:
        _note("error", str(exc))
        return
    if snap is None:
        _note("info", mon.status.message)


def _decide(accept: bool) -> None:
    _clicked()
    pending = mon.pending
    if pending is None:
        return
    try:
        if accept:
            mon.accept(pending)
        else:
            mon.skip(pending)
    except HedgeLibError as exc:
        _note("error", str(exc))


def _render() -> None:
    """Status, metrics, the ticket, charts and the blotter of the active position."""
    if mon is not None:
        kind, text = status_line(mon)
        getattr(st, kind)(text)
    message = ss.pop("lm_message", None)
    if message:
        getattr(st, message[0])(message[1])
    if mon is not None:
        metric_grid(metric_items(mon))
        pending = mon.pending
        if pending is not None:
            ticket = pending.suggested_trade
            st.warning(f"**Alert (step {pending.step}, {pending.time:%Y-%m-%d %H:%M}):** {pending.alert}",
                       icon=":material/notifications_active:")
            st.markdown("**Trade ticket**" + (" (cannot be skipped)" if ticket.mandatory else ""))
            st.dataframe(ticket_frame(pending, mon.position.underlying), hide_index=True, width="stretch",
                         column_config={c: st.column_config.NumberColumn(format="%.4f")
                                        for c in ("quantity", "price", "notional", "cost")})
            c_ok, c_skip, _ = st.columns([1, 1, 4])
            c_ok.button("Accept", key="lm_accept", type="primary", on_click=_decide, args=(True,))
            c_skip.button("Skip", key="lm_skip", on_click=_decide, args=(False,), disabled=ticket.mandatory)
            if running and not ss["lm_auto_accept"] and not yahoo:
                st.caption("The replay waits for your decision on this ticket.")
        st.button("Step", key="lm_step", on_click=_step, disabled=not live,
                  help="Take the next price now; a ticket still open is skipped.")
    frame = store.snapshots(active)
    if frame.empty:
        st.info("No price monitored yet.")
        return
    arrays = snapshot_frame(frame)
    trades = store.trades(active)
    stock = trades[trades["instrument"] == store.position(active).underlying]
    st.plotly_chart(live_price_pnl_figure(arrays["time"], arrays["price"], arrays["pnl"],
                                          trade_times=stock["time"], trade_shares=stock["quantity"]),
                    width="stretch")
    c_hedge, c_greeks = st.columns(2)
    with_option = bool(frame["target_option"].notna().any())
    with c_hedge:
        st.plotly_chart(live_hedge_figure(
            arrays["time"], arrays["held"], arrays["target"],
            option_held=arrays["option_held"] if with_option else None,
            option_target=arrays["option_target"] if with_option else None,
        ), width="stretch")
    with c_greeks:
        st.plotly_chart(live_greeks_figure(arrays["time"], greek_series(frame)), width="stretch")
    st.subheader("Blotter")
    blotter = blotter_frame(trades)
    if blotter.empty:
        st.caption("No trade accepted yet.")
    else:
        st.dataframe(blotter, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.4f")
                                    for c in ("quantity", "price", "notional", "cost")})
    st.download_button("Download the blotter (CSV)", csv_text(blotter),
                       file_name=f"blotter_{active.replace(' ', '_')}.csv", mime="text/csv",
                       on_click="ignore", key="lm_download_blotter")


@st.fragment(run_every=(YAHOO_REFRESH_SECONDS if yahoo else REFRESH_SECONDS) if running else None)
def live_panel() -> None:
    # A refresh of its own advances the feed; one caused by a button has done its work.
    if running and not ss.pop("lm_clicked", False):
        n = 1 if yahoo else steps_per_refresh(settings.get("speed", 2.0))
        try:
            advance(mon, n, auto_accept=ss["lm_auto_accept"])
        except HedgeLibError as exc:
            _note("error", str(exc))
        if mon.finished:
            st.rerun()  # the whole page: its timer stops and Pause becomes inactive
    _render()


live_panel()
ss.pop("lm_clicked", None)

# ---- explanation -----------------------------------------------------------------------------
with st.expander("What am I looking at"):
    st.markdown(
        "Each price $S_k$ is a **snapshot**: the book is valued at the hedge volatility, its "
        "greeks are computed, and the strategy gives a target hedge $x^*_k$ (for a delta hedge, "
        "$x^* = -\\Delta_{\\text{book}}$). The rule looks at the **deviation** of the hedge held "
        "from the target, in shares of delta,"
    )
    st.latex(r"d_k = (x_k - x^*_k) + (u_k - u^*_k)\,\Delta_{\text{opt}}")
    st.markdown(
        "and fires (a delta band when $|d_k| > H$; Whalley-Wilmott with a band "
        "$H = \\left(\\tfrac32 e^{-r(T-t)} k S \\Gamma^2/\\gamma\\right)^{1/3}$; every N steps on a "
        "schedule). Then an **alert** and a **trade ticket** come up: accept it and the trade "
        "enters the blotter, skip it and the hedge stays as it is. The **P&L since opening** is"
    )
    st.latex(r"\mathrm{P\&L}_k = C_k + V_k + x_k S_k + u_k O_k")
    st.markdown(
        "with $C_k$ the cash (premium, trades, costs, interest, dividends), $V_k$ the book at the "
        "hedge volatility and $O_k$ the hedge option's model price. Nothing here is computed "
        "twice: each price runs the same hedging engine as the Historical Backtest on the prices "
        "seen so far, so a replay with every ticket accepted ends exactly where the backtest "
        "does. Every snapshot and decision is written to the store before the next price: a "
        "position survives a restart, and the blotter downloads as CSV."
    )
