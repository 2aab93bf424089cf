"""The home page: what the lab does, one-click scenario presets, its pages, its data and its units."""

from __future__ import annotations

import streamlit as st

from hedgelib.conventions import HedgeLibError
from ui.pages import available_pages
from ui.presets import Preset, apply_preset, presets_for

__all__ = ["render_home"]

_PRESET_COLUMNS = 3


def _open_preset(preset: Preset, page_titles: dict[str, str]) -> None:
    """One card: title, what to look for, and the button that sets it up and switches."""
    with st.container(border=True):
        st.subheader(preset.title)
        st.markdown(preset.blurb)
        st.caption(f"Opens: {page_titles[preset.page]}")
        if st.button("Open", key=f"preset_{preset.key}", type="primary", icon=":material/play_arrow:"):
            try:
                apply_preset(preset)
            except HedgeLibError as exc:  # a preset the page no longer accepts
                st.error(f"This scenario could not be set up: {exc}")
                return
            st.switch_page(preset.page)


def _scenarios(pages: list) -> None:
    titles = {p.path: p.title for p in pages}
    presets = presets_for(frozenset(titles))
    if not presets:
        return
    st.header("Scenarios")
    st.markdown(
        "Classic lessons, set up in one click: **Open** sets the book, the market and the "
        "page's inputs, then takes you to the page with the result on show. Change anything "
        "there and run again."
    )
    for start in range(0, len(presets), _PRESET_COLUMNS):
        columns = st.columns(_PRESET_COLUMNS)
        for column, preset in zip(columns, presets[start:start + _PRESET_COLUMNS], strict=False):
            with column:
                _open_preset(preset, titles)


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

    pages = available_pages()
    _scenarios(pages)

    st.header("Pages")
    for page in pages:
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
