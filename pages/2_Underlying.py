"""Underlying: pick the market (real history or a simulated model) and look at its prices and volatility."""

from __future__ import annotations

import streamlit as st

from hedgelib.conventions import TRADING_DAYS_PER_YEAR
from hedgelib.market.models import MODELS
from ui import forms
from ui.charts import fan_chart_figure, price_history_figure, volatility_history_figure
from ui.errors import stop_on_error
from ui.navigation import page_config
from ui.source_picker import pick_source, show_source
from ui.underlying import (
    FAN_LEVELS,
    MAX_CELLS,
    MAX_PATHS,
    MAX_STEPS,
    VIX_TICKERS,
    analyse_history,
    check_simulation_size,
    history_takeaway,
    simulate_fan,
    simulation_takeaway,
)
from ui.units import to_percent

page_config("Underlying")
ss = st.session_state

PAGE_DEFAULTS = {"ul_vol_window": 21, "ul_log_scale": False, "ul_show_vix": True,
                 "ul_n_paths": 1000, "ul_horizon_days": 252, "ul_n_steps": 252, "ul_seed": 7}
SHADOW = "ul_saved"  # copies of this page's settings, which outlive Streamlit's widget cleanup
VOL_WINDOWS = (10, 21, 63, 126, 252)

if SHADOW not in ss:
    ss[SHADOW] = {}


def saved(key: str):
    """The value a page widget starts from: its last setting on this page, else the default.

    Passed as the widget's ``value`` rather than written into session state, so that a
    frontend that re-creates the widget in the middle of a rerun resends this value and not
    the widget's first option (seen with the select slider while a CSV upload reran the page).
    """
    return ss[SHADOW].get(key, PAGE_DEFAULTS[key])


def remember(*keys: str) -> None:
    ss[SHADOW] = {**ss[SHADOW], **{k: ss[k] for k in keys if k in ss}}


st.title("Underlying")
st.caption(
    "Choose what the underlying does: real daily closes (bundled, Yahoo Finance or your own "
    "CSV) or a simulated market. The choice is shared with the other pages."
)

with st.sidebar:
    st.header("Data source")
    choice = pick_source("ul_")

show_source(choice)

# ---- real history ------------------------------------------------------------------------
if choice.history is not None:
    h = choice.history
    c_win, c_log, c_vix = st.columns([2, 1, 1])
    window = c_win.select_slider(
        "Rolling window (trading days)", options=VOL_WINDOWS, key="ul_vol_window", value=saved("ul_vol_window"),
        help="Realised volatility over the last n daily log returns, annualised with 252 days.",
    )
    log_scale = c_log.toggle("Log price axis", key="ul_log_scale", value=saved("ul_log_scale"))
    desc = choice.description["history"]
    vix_match = (desc["kind"] == "bundled" and desc["key"] == "sp500") or (
        desc["kind"] == "yahoo" and str(desc.get("ticker")).upper() in VIX_TICKERS)
    show_vix = vix_match and c_vix.toggle(
        "Compare with the VIX", key="ul_show_vix", value=saved("ul_show_vix"),
        help="The VIX is the 30-day implied volatility of S&P 500 options, so it is shown "
             "for the S&P 500 only. The bundled VIX covers 2014-2018.",
    )
    remember("ul_vol_window", "ul_log_scale", "ul_show_vix")

    with stop_on_error("Realised volatility: "):
        a = analyse_history(h.prices, int(window), bool(show_vix and vix_match))

    st.subheader("Summary")
    cols = st.columns(5)
    cols[0].metric("Rows (daily closes)", f"{a.rows:,}")
    cols[1].metric("First date", f"{a.first_date.date()}")
    cols[2].metric("Last date", f"{a.last_date.date()}")
    cols[3].metric("Realised volatility", f"{to_percent(a.realised_volatility):.2f}%",
                   help="Annualised standard deviation of daily log returns over the window.")
    cols[4].metric("Annual drift", f"{to_percent(a.drift):+.2f}%",
                   help="GBM drift fitted by moments: 252 x mean log return + σ²/2. Very noisy: "
                        "its standard error is σ/√T for T years of data.")

    unit = "vol points" if h.name == "CBOE VIX" else "currency"
    st.plotly_chart(
        price_history_figure(h.dates, h.prices.to_numpy(), name=h.name, log_scale=log_scale,
                             title=f"{h.name}: daily closes", y_title=f"Close ({unit})"),
        width="stretch",
    )
    implied_kwargs = {}
    if a.implied is not None:
        implied_kwargs = dict(implied_dates=a.implied.index, implied=to_percent(1.0) * a.implied.to_numpy(),
                              implied_name="VIX (implied, 30 days)")
    st.plotly_chart(
        volatility_history_figure(
            a.rolling.index, to_percent(1.0) * a.rolling.to_numpy(),
            realised_name=f"Realised, {window}-day", average=to_percent(a.realised_volatility),
            title=f"{h.name}: {window}-day realised volatility" + (" against the VIX" if a.implied is not None else ""),
            **implied_kwargs,
        ),
        width="stretch",
    )
    if show_vix and vix_match and a.implied is None:
        st.caption(f"No VIX here: {a.implied_note}.")
    takeaway = history_takeaway(h.name, a)

# ---- simulated market ----------------------------------------------------------------------
else:
    st.subheader("Simulated sample paths")
    with st.form("ul_sim_form"):
        c1, c2, c3, c4 = st.columns(4)
        forms.count_input(forms.Field("n_paths", "Paths", saved("ul_n_paths"), low=10, high=MAX_PATHS),
                          "ul_n_paths", c1)
        c2.number_input("Horizon (trading days)", min_value=1, max_value=MAX_STEPS, step=21,
                        key="ul_horizon_days", value=saved("ul_horizon_days"), help=f"{TRADING_DAYS_PER_YEAR} trading days a year.")
        forms.count_input(forms.Field("n_steps", "Time steps", saved("ul_n_steps"), low=1, high=MAX_STEPS,
                                      help="Equal steps over the horizon; one per trading day is the "
                                           "natural grid."), "ul_n_steps", c3)
        c4.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="ul_seed", value=saved("ul_seed"),
                        help="The same seed gives the same paths.")
        st.form_submit_button("Simulate", icon=":material/play_arrow:")
        st.caption(f"Capped at {MAX_PATHS:,} paths, {MAX_STEPS:,} steps and {MAX_CELLS:,} paths x steps.")
    remember("ul_n_paths", "ul_horizon_days", "ul_n_steps", "ul_seed")
    if {"ul_n_paths", "ul_n_steps"} & set(ss.get(forms.INVALID_COUNTS, {})):
        st.stop()  # the form says why, under the field: nothing is simulated
    n_paths, n_steps = int(ss["ul_n_paths"]), int(ss["ul_n_steps"])
    horizon = int(ss["ul_horizon_days"]) / TRADING_DAYS_PER_YEAR
    with stop_on_error("Simulation: "):
        check_simulation_size(n_paths, n_steps)
        fan = simulate_fan(choice.description["model"], choice.spot, horizon, n_steps, n_paths,
                           int(ss["ul_seed"]))

    cols = st.columns(4)
    cols[0].metric("Spot today", f"{choice.spot:,.2f}")
    cols[1].metric("Model long-run volatility", f"{to_percent(fan.model_volatility):.2f}%")
    cols[2].metric("Mean realised volatility of the paths", f"{to_percent(float(fan.path_volatility.mean())):.2f}%"
                   if n_steps > 1 else "n/a", help="Each path's annualised standard deviation of log returns, averaged.")
    cols[3].metric("Median at the horizon", f"{fan.bands[0.5][-1]:,.2f}")
    levels = ", ".join(f"{q:.0%}" for q in FAN_LEVELS)
    st.plotly_chart(
        fan_chart_figure(
            fan.days, fan.bands, samples=fan.samples,
            title=f"{MODELS[choice.description['model']['name']].label}: {n_paths:,} paths, quantiles {levels}",
            x_title="Trading days from today", y_title="Price (currency)",
        ),
        width="stretch",
    )
    st.caption(f"Shaded: 5-95% and 25-75% of paths at each date; the line is the median; grey lines "
               f"are {fan.samples.shape[1]} sample paths.")
    takeaway = simulation_takeaway(fan, choice.spot)

# ---- explanation ---------------------------------------------------------------------------
with st.expander("What am I looking at"):
    st.markdown(
        "**Realised volatility** is the annualised standard deviation of daily log returns "
        "$r_i = \\ln(S_i / S_{i-1})$ over the last $n$ trading days (Hull, *Options, Futures, "
        "and Other Derivatives*, 15.4), shown in vol points (20 = 20% a year):"
    )
    st.latex(r"\hat\sigma = \sqrt{252}\,\sqrt{\frac{1}{n-1}\sum_{i=1}^{n}\left(r_i - \bar r\right)^2}")
    st.markdown(
        "The **VIX** is the market's 30-day implied volatility of the S&P 500, from option "
        "prices; it usually sits above realised volatility (the variance risk premium)."
    )
    st.markdown("**Geometric Brownian motion** (Black-Scholes' market; calibrated by the moments "
                "of log returns, $\\hat\\mu = 252\\,\\bar r + \\tfrac12\\hat\\sigma^2$):")
    st.latex(r"dS_t = \mu S_t\,dt + \sigma S_t\,dW_t \quad\Longrightarrow\quad "
             r"S_T = S_0 \exp\!\left((\mu - \tfrac12\sigma^2)T + \sigma W_T\right)")
    st.markdown("**GARCH(1,1)** (Bollerslev 1986): today's variance reacts to yesterday's shock "
                "and persists, so calm and stormy periods cluster; fitted by maximum likelihood:")
    st.latex(r"r_t = \mu + \varepsilon_t,\quad \varepsilon_t = \sqrt{h_t}\,z_t,\quad "
             r"h_t = \omega + \alpha\,\varepsilon_{t-1}^2 + \beta\,h_{t-1},\quad "
             r"\sigma_\infty = \sqrt{\frac{252\,\omega}{1-\alpha-\beta}}")
    st.markdown("**Heston** (1993) lets variance mean-revert with its own noise; **Merton** (1976) "
                "adds log-normal jumps at rate $\\lambda$:")
    st.latex(r"dV_t = \kappa(\theta - V_t)\,dt + \xi\sqrt{V_t}\,dW^V_t, \qquad "
             r"\frac{dS_t}{S_{t^-}} = (\mu - \lambda k)\,dt + \sigma\,dW_t + (e^{Y}-1)\,dN_t")
    st.markdown(
        "The fan chart shows, at each date, the 5%, 25%, 50%, 75% and 95% quantiles of the "
        "simulated prices: half the paths lie in the darker band, nine in ten in the lighter one."
    )
    st.info(takeaway)
