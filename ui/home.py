"""The home page: what the lab does, its pages, its data and its units."""

from __future__ import annotations

import streamlit as st

from ui.pages import available_pages

__all__ = ["render_home"]


def render_home() -> None:
    """Draw the home page (the app's default page)."""
    st.title("Hedge Lab")
    st.markdown(
        "**Dynamic hedging of option books, hands on.** Build a book of options, **price** it "
        "with Black-Scholes and friends, **hedge** it by trading the underlying (how often, at "
        "which volatility, at what cost), and **measure** what the hedge really achieved on "
        "simulated or real market paths: P&L, hedging error, costs and risk."
    )
    st.caption(
        "For students and teachers of derivatives (demos, exercises) and for traders and risk "
        "people doing quick what-if analysis."
    )

    st.header("Pages")
    for page in available_pages():
        with st.container(border=True):
            st.page_link(page.path, label=page.title, icon=page.icon)
            if page.summary:
                st.markdown(page.summary)

    st.header("Where the data come from")
    st.markdown(
        """
    - **Bundled real index data, offline**: daily prices shipped inside the `arch` package:
      the **S&P 500** and the **NASDAQ** Composite (1999-2018), the **VIX** (2014-2018) and
      **WTI** crude oil.
    - **Yahoo Finance**, when the machine is online: any ticker, cached on disk so it keeps
      working offline.
    - **Your own CSV**: a date column and a close column, checked row by row.
    - **Simulated models**: geometric Brownian motion, Heston stochastic volatility, Merton
      jump-diffusion and GARCH(1,1), seeded so every run can be reproduced.

    Every page says which source it is using.
    """
    )

    st.header("Units")
    st.markdown(
        "Time in years (expiries typed in calendar or trading days; **252 trading days a year**); "
        "volatility, rates and dividend yields typed in **percent**, continuously compounded; "
        "quantities signed (+ long, − short); P&L in currency from the holder's view; greeks "
        "labelled with their unit: **vega per vol point**, **theta per trading day**, "
        "**rho per 1%**, gamma per 1.00 of spot."
    )
