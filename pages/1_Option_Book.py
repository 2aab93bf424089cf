"""Option Book & Greeks: build a book of options, see its payoff, value, greeks and P&L scenarios."""

from __future__ import annotations

import numpy as np
import streamlit as st

from hedgelib.book import PRESETS, Book, preset_book
from hedgelib.conventions import HedgeLibError
from hedgelib.pricing.black_scholes import bs_price
from hedgelib.pricing.implied_vol import implied_vol, no_arbitrage_bounds
from ui.charts import greeks_profile_figure, payoff_value_figure, pnl_heatmap_figure
from ui.errors import stop_on_error
from ui.navigation import page_config
from ui.option_book import (
    analyse_book,
    book_from_table,
    book_to_table,
    dollar_gamma_of,
    takeaway,
)
from ui.state import get_book, get_market, set_book, set_market
from ui.units import (
    DAY_UNITS,
    GREEK_UNITS,
    days_to_years,
    format_money,
    from_percent,
    to_percent,
    trader_greeks,
    trader_greeks_frame,
    years_to_days,
)

page_config("Option Book & Greeks")
ss = st.session_state

DEFAULT_PRESET = "short_call"  # the book every other page uses until the user builds one
EMPTY = "(empty book)"
PRESET_DEFAULTS = {"ob_preset": DEFAULT_PRESET, "ob_preset_days": 63.0, "ob_preset_width": 10.0,
                   "ob_preset_quantity": 1.0, "ob_day_unit": "trading days"}
SHADOW = "ob_saved"  # copies of this page's settings, which outlive Streamlit's widget cleanup


def _preset_label(name: str) -> str:
    if name == EMPTY:
        return "Empty book: add your own legs"
    return f"{name.replace('_', ' ').capitalize()}: {PRESETS[name]}"


def _reset_table(book: Book) -> None:
    ss["ob_legs_table"] = book_to_table(book, ss["ob_day_unit"])
    ss.pop("ob_legs", None)  # drop the editor's edits: they referred to the old table


def _load_preset(*, reset_editor: bool = True) -> None:
    name = ss["ob_preset"]
    if name == EMPTY:
        book = Book([], 0.0)
    else:
        try:
            book = preset_book(
                name, ss["ob_spot"], days_to_years(ss["ob_preset_days"], ss["ob_day_unit"]),
                width=from_percent(ss["ob_preset_width"]), quantity=ss["ob_preset_quantity"],
            )
        except HedgeLibError as exc:
            ss["ob_preset_error"] = f"Preset {name}: {exc}"
            return
    ss.pop("ob_preset_error", None)
    set_book(book)
    ss["ob_stock"] = book.stock
    if reset_editor:
        _reset_table(book)


def _change_day_unit() -> None:
    old, new = ss[SHADOW].get("ob_day_unit", PRESET_DEFAULTS["ob_day_unit"]), ss["ob_day_unit"]
    # Same dates, new counting: convert every day count the page holds.
    for key in ("ob_preset_days", "ob_valuation_days", "ob_iv_days"):
        if key in ss:
            ss[key] = round(years_to_days(days_to_years(ss[key], old), new), 2)
    _reset_table(get_book())


def _implied_vol_calculator() -> None:
    """The calculator needs no book: drawn on every run, even when the book is empty, so that
    Streamlit never drops its inputs (a dropped number input comes back at its minimum)."""
    st.subheader("Implied volatility calculator")
    st.caption("Price in, volatility out: the Black-Scholes volatility that reproduces an option "
               "price at the market inputs above (spot, rate, dividend yield).")
    if "ob_iv_price" not in ss:
        ss["ob_iv_strike"] = spot
        ss["ob_iv_days"] = ss["ob_preset_days"]
        ss["ob_iv_price"] = round(
            bs_price(spot, spot, days_to_years(ss["ob_iv_days"], unit), volatility, rate, dividend_yield), 4
        )
    c1, c2, c3, c4, c5 = st.columns(5)
    iv_kind = c1.selectbox("Kind", ["call", "put"], key="ob_iv_kind")
    iv_strike = c2.number_input("Strike (currency)", min_value=0.01, step=1.0, key="ob_iv_strike")
    iv_days = c3.number_input(f"Expiry ({unit})", min_value=0.01, step=1.0, key="ob_iv_days")
    iv_price = c4.number_input("Option price (currency)", min_value=0.0, step=0.1, format="%.4f",
                               key="ob_iv_price")
    ss[SHADOW].update({key: ss[key] for key in ("ob_iv_kind", "ob_iv_strike", "ob_iv_days", "ob_iv_price")})
    try:
        iv_time = days_to_years(iv_days, unit)
        iv = implied_vol(iv_price, spot, iv_strike, iv_time, rate, dividend_yield, kind=iv_kind)
        if np.isnan(iv):
            low, high = no_arbitrage_bounds(spot, iv_strike, iv_time, rate, dividend_yield, kind=iv_kind)
            st.error(
                f"No volatility gives a {iv_kind} price of {iv_price:,.4f}: Black-Scholes prices of this "
                f"option lie strictly between {float(low):,.4f} and {float(high):,.4f} (the no-arbitrage "
                "bounds). Enter a price inside them."
            )
        else:
            c5.metric("Implied volatility", f"{to_percent(iv):.2f}%")
    except HedgeLibError as exc:
        st.error(f"Implied volatility: {exc}")


# ---- state: restore what Streamlit dropped while the user was on another page -------------
market = get_market()
if SHADOW not in ss:
    ss[SHADOW] = {}
for key, default in PRESET_DEFAULTS.items():
    if key not in ss:
        ss[key] = ss[SHADOW].get(key, default)
for key, saved in ss[SHADOW].items():
    if key not in ss:
        ss[key] = saved
unit = ss["ob_day_unit"]
market_widgets = {
    "ob_spot": market["spot"],
    "ob_vol_pct": to_percent(market["volatility"]),
    "ob_rate_pct": to_percent(market["rate"]),
    "ob_div_pct": to_percent(market["dividend_yield"]),
    "ob_valuation_days": round(years_to_days(market["valuation_time"], unit), 2),
}
for key, default in market_widgets.items():
    if key not in ss:
        ss[key] = default
if get_book() is None:
    _load_preset(reset_editor=False)
if "ob_stock" not in ss:
    ss["ob_stock"] = get_book().stock
if "ob_legs_table" not in ss or "ob_legs" not in ss:
    ss["ob_legs_table"] = book_to_table(get_book(), unit)

# ---- inputs -----------------------------------------------------------------------------
st.title("Option Book & Greeks")
st.caption(
    "Build a book of European options on one underlying, then read its payoff, value, greeks "
    "and P&L scenarios under Black-Scholes. The book and market inputs are shared with the "
    "other pages."
)

with st.sidebar:
    st.header("Market")
    st.number_input("Spot (currency)", min_value=0.01, step=1.0, key="ob_spot")
    st.number_input("Volatility (%)", min_value=0.1, max_value=500.0, step=1.0, key="ob_vol_pct",
                    help="Annualised Black-Scholes volatility in vol points: 20 means 20%.")
    st.number_input("Rate (%)", min_value=-10.0, max_value=50.0, step=0.25, key="ob_rate_pct",
                    help="Continuously compounded risk-free rate.")
    st.number_input("Dividend yield (%)", min_value=-10.0, max_value=50.0, step=0.25,
                    key="ob_div_pct", help="Continuously compounded.")
    st.radio("Count days in", list(DAY_UNITS), key="ob_day_unit", on_change=_change_day_unit,
             help="Calendar days (365 a year) or trading days (252 a year, the lab's convention). "
                  "The library works in years underneath.")
    st.number_input(f"Valuation date ({unit} from today)", min_value=0.0, step=1.0,
                    key="ob_valuation_days",
                    help="Value the book and its greeks at this date, spot and volatility unchanged.")

spot = float(ss["ob_spot"])
volatility = from_percent(ss["ob_vol_pct"])
rate = from_percent(ss["ob_rate_pct"])
dividend_yield = from_percent(ss["ob_div_pct"])
valuation_time = days_to_years(ss["ob_valuation_days"], unit)
set_market({"spot": spot, "volatility": volatility, "rate": rate,
            "dividend_yield": dividend_yield, "valuation_time": valuation_time})

st.subheader("Book")
c_preset, c_days, c_width, c_qty = st.columns([4, 1, 1, 1])
c_preset.selectbox("Preset (replaces the table)", [*PRESETS, EMPTY], key="ob_preset",
                   format_func=_preset_label, on_change=_load_preset)
c_days.number_input(f"Expiry ({unit})", min_value=1.0, step=1.0, key="ob_preset_days",
                    on_change=_load_preset)
c_width.number_input("Width (% of spot)", min_value=0.5, max_value=49.5, step=0.5,
                     key="ob_preset_width", on_change=_load_preset)
c_qty.number_input("Quantity per leg", min_value=0.01, step=1.0, key="ob_preset_quantity",
                   on_change=_load_preset)
if "ob_preset_error" in ss:
    st.error(ss["ob_preset_error"])
ss[SHADOW] = {**ss[SHADOW], **{key: ss[key] for key in PRESET_DEFAULTS}}

c_table, c_stock = st.columns([4, 1])
with c_table:
    edited = st.data_editor(
        ss["ob_legs_table"], key="ob_legs", num_rows="dynamic", hide_index=True,
        column_config={
            "kind": st.column_config.SelectboxColumn("Kind", options=["call", "put"], required=True),
            "strike": st.column_config.NumberColumn("Strike (currency)", format="%.2f"),
            "expiry": st.column_config.NumberColumn(f"Expiry ({unit})", format="%.1f",
                                                    help="Converted to years for the library."),
            "quantity": st.column_config.NumberColumn(
                "Quantity", format="%.2f", help="Signed: + long, - short, options on one share each."),
        },
    )
with c_stock:
    st.number_input("Stock position (shares)", step=1.0, key="ob_stock",
                    help="Signed: + long, - short. A covered call is +1 share with a short call.")
st.caption(
    f"Expiries are typed in {unit} ({DAY_UNITS[unit]} a year) and passed to the library in "
    "years. Add or delete rows at the table's edge; a row left blank is ignored."
)

with stop_on_error("Book: "):
    book = book_from_table(edited, float(ss["ob_stock"]), unit)
if book.is_empty:
    st.error("The book is empty: add an option leg or a stock position, or pick a preset.")
    _implied_vol_calculator()
    st.stop()
set_book(book)

with stop_on_error():
    result = analyse_book(book.to_dict(), spot, volatility, rate, dividend_yield, valuation_time)

# ---- net greeks ------------------------------------------------------------------------
when = "today" if valuation_time == 0 else f"in {ss['ob_valuation_days']:g} {unit}"
st.subheader(f"Net value and greeks {when}")
if book.legs and valuation_time >= book.expiry:
    st.info("Every leg has expired by the valuation date: values are intrinsic, greeks are steps.")
shown = trader_greeks(result.greeks)
metrics = [("Value (currency)", result.value, "Book value at the valuation date, stock included.", 2)]
metrics += [(GREEK_UNITS[f].label, shown[GREEK_UNITS[f].label], GREEK_UNITS[f].help, GREEK_UNITS[f].decimals)
            for f in ("delta", "gamma", "vega", "theta", "rho")]
metrics.insert(3, ("Dollar gamma per 1%", dollar_gamma_of(result.greeks, spot),
                   "Change in dollar delta (delta x spot) for a 1% move in spot: gamma x spot² / 100.", 2))
for i, (label, value, help_text, decimals) in enumerate(metrics):
    if i % 4 == 0:
        row = st.columns(4)
    row[i % 4].metric(label, f"{value:,.{decimals}f}", help=help_text)

# ---- payoff, value, statistics -----------------------------------------------------------
c_chart, c_stats = st.columns([3, 1])
stats = result.statistics
with c_stats:
    st.subheader("Key statistics")
    if stats is None:
        st.info(result.statistics_note)
    else:
        horizon_days = years_to_days(stats.horizon, unit)
        st.metric("Premium (currency)", format_money(stats.premium),
                  help="Today's value of the book: paid if positive, received if negative.")
        st.metric("Max profit at expiry", format_money(stats.max_profit))
        st.metric("Max loss at expiry", format_money(stats.max_loss))
        breakevens = ", ".join(f"{b:,.2f}" for b in stats.breakevens) or "none"
        st.metric("Breakevens (spot at expiry)", breakevens)
        st.metric("Probability of profit", f"{stats.probability_of_profit:.1%}",
                  help="Under the risk-neutral lognormal law at this volatility: not a forecast.")
        st.caption(
            f"At the {'first ' if len(book.expiries) > 1 else ''}expiry, {horizon_days:,.1f} {unit} "
            f"from today; the premium is carried at the rate to {format_money(stats.cost_at_horizon)}."
            + ("" if stats.exact else " Later legs valued by Black-Scholes (numerical).")
        )
with c_chart:
    pnl_mode = st.toggle("Show as P&L net of the premium", key="ob_pnl_mode")
    ss[SHADOW]["ob_pnl_mode"] = pnl_mode
    st.plotly_chart(
        payoff_value_figure(
            result.curve_spot, result.payoff, result.curve_value, spot=spot,
            premium=None if stats is None else stats.cost_at_horizon,
            breakevens=() if stats is None else stats.breakevens, strikes=book.strikes,
            as_pnl=pnl_mode and stats is not None,
            value_name=f"Value {when}", premium_name="Premium carried to expiry",
            title=f"Payoff at expiry and value {when}",
            x_title="Spot (currency)",
        ),
        width="stretch",
    )

# ---- per-leg greeks ----------------------------------------------------------------------
st.subheader("Per-leg values and greeks")
legs = trader_greeks_frame(result.legs)
legs.insert(legs.columns.get_loc("expiry"), f"expiry ({unit})", years_to_days(result.legs["expiry"].to_numpy(float), unit))
legs = legs.rename(columns={"expiry": "expiry (years)", "strike": "strike (currency)", "value": "value (currency)"})
# Fifteen columns: short headers (the full label and unit in each header's help) and fixed
# widths keep every column in view on a laptop screen, the sidebar open.
leg_columns = {
    "leg": st.column_config.NumberColumn("Leg", width=40),
    "kind": st.column_config.TextColumn("Kind", width=45),
    "strike (currency)": st.column_config.NumberColumn("Strike", help="Strike (currency)", format="%.2f", width=65),
    f"expiry ({unit})": st.column_config.NumberColumn("Expiry (d)", help=f"Expiry in {unit}", format="%.1f", width=75),
    "quantity": st.column_config.NumberColumn("Qty", help="Signed: + long, - short.", format="%.2f", width=50),
    "value (currency)": st.column_config.NumberColumn("Value", help="Value at the valuation date (currency)",
                                                      format="%.4f", width=70),
} | {g.label: st.column_config.NumberColumn(g.short, help=f"{g.label}: {g.help}",
                                            format=f"%.{max(g.decimals, 4)}f", width=74)
     for g in GREEK_UNITS.values() if g.label in legs.columns}
st.dataframe(legs, hide_index=True, width="stretch", column_config=leg_columns,
             column_order=list(leg_columns))  # the page counts in days: years stay out of view

# ---- greeks against spot -------------------------------------------------------------------
profile = trader_greeks_frame(result.profile)
labels = [GREEK_UNITS[f].label for f in ("delta", "gamma", "vega", "theta")]
st.plotly_chart(
    greeks_profile_figure(
        result.curve_spot, {label: profile[label].to_numpy() for label in labels},
        spot=spot, strikes=book.strikes, title=f"Greeks against spot, {when}",
    ),
    width="stretch",
)

# ---- P&L heatmaps ------------------------------------------------------------------------
st.subheader("P&L scenarios against today's value")
c_vol, c_time = st.columns(2)
pv, pt = result.pnl_spot_vol, result.pnl_spot_time
c_vol.plotly_chart(
    pnl_heatmap_figure(
        pv.index.to_numpy(), to_percent(1.0) * pv.columns.to_numpy(), pv.to_numpy().T,
        x_title="Spot (currency)", y_title="Volatility (%)",
        title="P&L over spot x volatility, instant move", marker=(spot, to_percent(volatility)),
    ),
    width="stretch",
)
c_time.plotly_chart(
    pnl_heatmap_figure(
        pt.index.to_numpy(), years_to_days(pt.columns.to_numpy(), unit), pt.to_numpy().T,
        x_title="Spot (currency)", y_title=f"Time from today ({unit})",
        title="P&L over spot x time, volatility unchanged",
        marker=(spot, float(ss["ob_valuation_days"])), marker_name="valuation date",
    ),
    width="stretch",
)
st.caption("Red is a loss, blue a gain, white flat; the cross marks today's inputs. Premium "
           "financing is not included: these are mark-to-market moves.")

_implied_vol_calculator()

# ---- explanation ---------------------------------------------------------------------------
with st.expander("What am I looking at"):
    st.markdown(
        "Each option is priced with the **Black-Scholes-Merton** formula (Hull, *Options, "
        "Futures, and Other Derivatives*, ch. 15 and 19). For a call with strike $K$ and "
        "$\\tau$ years left, at spot $S$, volatility $\\sigma$, rate $r$ and dividend yield $q$:"
    )
    st.latex(r"C = S e^{-q\tau} N(d_1) - K e^{-r\tau} N(d_2), \qquad "
             r"P = K e^{-r\tau} N(-d_2) - S e^{-q\tau} N(-d_1)")
    st.latex(r"d_1 = \frac{\ln(S/K) + (r - q + \tfrac12\sigma^2)\tau}{\sigma\sqrt{\tau}}, \qquad "
             r"d_2 = d_1 - \sigma\sqrt{\tau}")
    st.markdown("The greeks are its partial derivatives (shown for a call), summed over the legs "
                "with their signed quantities; the stock adds its shares to delta:")
    st.latex(r"\Delta = e^{-q\tau}N(d_1), \quad \Gamma = \frac{e^{-q\tau}\varphi(d_1)}{S\sigma\sqrt{\tau}}, "
             r"\quad \nu = S e^{-q\tau}\varphi(d_1)\sqrt{\tau}")
    st.latex(r"\Theta = -\frac{S e^{-q\tau}\varphi(d_1)\sigma}{2\sqrt{\tau}} - rKe^{-r\tau}N(d_2) "
             r"+ qSe^{-q\tau}N(d_1), \quad \rho = K\tau e^{-r\tau}N(d_2)")
    st.markdown(
        "Units on this page: **vega per vol point** is $\\nu/100$ (20% to 21%), **theta per "
        "trading day** is $\\Theta/252$ (one trading day of the lab's 252-day year), **rho per 1%** is "
        "$\\rho/100$, gamma is per 1.00 of spot. The payoff chart shows the value at expiry "
        "(solid) and at the valuation date (dashed); breakevens are where the payoff meets the "
        "premium carried to expiry. The heatmaps revalue the whole book on a grid and subtract "
        "today's value."
    )
    st.info(takeaway(result.greeks, spot))
