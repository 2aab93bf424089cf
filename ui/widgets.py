"""Widgets that several pages draw the same way: the book in use and numeric inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from hedgelib.book import Book
from hedgelib.conventions import TRADING_DAYS_PER_YEAR
from ui.fields import Field
from ui.hedge_lab import FIELDS, MODELS, default_book

__all__ = [
    "OPTION_BOOK_PAGE",
    "book_in_use",
    "link_to_option_book",
    "market_caption",
    "market_model_inputs",
    "number_field",
]

OPTION_BOOK_PAGE = "pages/1_Option_Book.py"


def link_to_option_book() -> None:
    """A link to the Option Book page, or a pointer to it when there is no navigation."""
    try:
        st.page_link(OPTION_BOOK_PAGE, label="Option Book & Greeks", icon=":material/stacked_line_chart:")
    except StreamlitAPIException:
        # The page was started on its own (not through app.py): no navigation to link into.
        st.markdown("Open **Option Book & Greeks** from the app's navigation.")


def book_in_use(book: Book | None, market: Mapping[str, float], *, default_use: str) -> Book:
    """Say which book the page works on and return it: the shared one, else a default.

    ``default_use`` completes "No book built yet: ..." (e.g. "hedging a default short
    at-the-money call").
    """
    if book is None:
        book = default_book(market["spot"])
        st.info(
            f"**No book built yet: {default_use}** (one option sold, strike "
            f"{market['spot']:,.2f} = spot, {book.expiry * TRADING_DAYS_PER_YEAR:.0f} trading "
            "days). Build your own book on the Option Book page."
        )
        link_to_option_book()
        return book
    legs = ", ".join(f"{leg.quantity:+g} {leg.kind} {leg.strike:,.2f} "
                     f"({leg.expiry * TRADING_DAYS_PER_YEAR:.0f}d)" for leg in book.legs)
    stock = f"; stock {book.stock:+g}" if book.stock else ""
    st.markdown(f"**Book** (from the Option Book page): {legs or 'no options'}{stock}")
    return book


def number_field(field: Field, key: str, container: Any = st) -> None:
    """A number input drawn from a :class:`ui.fields.Field`: whole numbers stay whole."""
    integer = isinstance(field.default, int)
    cast = int if integer else float
    container.number_input(
        field.label, key=key, help=field.help or None,
        min_value=None if field.min is None else cast(field.min),
        max_value=None if field.max is None else cast(field.max),
        step=None if field.step is None else cast(field.step),
        format=None if integer else "%g",
    )


def market_caption(market: Mapping[str, float]) -> None:
    """Say which market inputs (from the Option Book page) the page uses."""
    st.caption(
        f"Market from the Option Book page: spot {market['spot']:,.2f}, rate "
        f"{100 * market['rate']:.2f}%, dividend yield {100 * market['dividend_yield']:.2f}%. "
        "Expiries in trading days (252 a year)."
    )


def market_model_inputs(prefix: str) -> None:
    """The simulated market's inputs (model, drift, vol and each model's parameters), drawn
    from the Hedge Lab's fields under the page's widget prefix."""
    f = FIELDS["model"]
    st.selectbox(f.label, f.choices, key=prefix + "model", help=f.help or None, format_func=MODELS.get)
    number_field(FIELDS["drift_pct"], prefix + "drift_pct")
    number_field(FIELDS["vol_pct"], prefix + "vol_pct")
    groups = {
        "Heston parameters": ("heston_v0_vol_pct", "heston_theta_vol_pct", "heston_kappa",
                              "heston_xi", "heston_rho"),
        "Merton jump parameters": ("merton_intensity", "merton_jump_mean_pct", "merton_jump_std_pct"),
        "GARCH parameters": ("garch_alpha", "garch_beta"),
    }
    for title, names in groups.items():
        with st.expander(title):
            for name in names:
                number_field(FIELDS[name], prefix + name)
