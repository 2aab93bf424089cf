"""Display pieces several pages draw the same way: the book in use, the market, a row of
metrics, a progress bar for long cached runs, the zoom of a P&L histogram."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from hedgelib.book import Book
from hedgelib.conventions import TRADING_DAYS_PER_YEAR
from hedgelib.scenario import default_book

__all__ = [
    "OPTION_BOOK_PAGE",
    "book_in_use",
    "csv_text",
    "link_to_option_book",
    "market_caption",
    "metric_grid",
    "progress_bar",
    "zoom_range",
]

OPTION_BOOK_PAGE = "pages/1_Option_Book.py"

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value):
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)  # "-0.5" is a number, not a formula
        return value
    except ValueError:
        return "'" + value


def csv_text(frame: pd.DataFrame, *, index: bool = False) -> str:
    """``frame`` as CSV text for a download, every text cell a spreadsheet would run as a
    formula (``=HYPERLINK(...)``, ``@SUM(...)``) made inert with a leading apostrophe: set-up
    names, labels and tickers come from users and from links.

    >>> csv_text(pd.DataFrame({"set-up": ["=HYPERLINK(1)", "daily"], "pnl": [-1.5, 2.0]})).splitlines()
    ['set-up,pnl', "'=HYPERLINK(1),-1.5", 'daily,2.0']
    """
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(_inert)
    if not isinstance(out.columns, pd.MultiIndex):
        out.columns = [_inert(c) for c in out.columns]
    if index and not isinstance(out.index, pd.MultiIndex) and not pd.api.types.is_numeric_dtype(out.index):
        out.index = out.index.map(_inert)
    return out.to_csv(index=index)


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


def market_caption(market: Mapping[str, float]) -> None:
    """Say which market inputs (from the Option Book page) the page uses."""
    st.caption(
        f"Market from the Option Book page: spot {market['spot']:,.2f}, rate "
        f"{100 * market['rate']:.2f}%, dividend yield {100 * market['dividend_yield']:.2f}%. "
        "Expiries in trading days (252 a year)."
    )


def metric_grid(items: Sequence[tuple[str, str, str | None]], per_row: int = 4) -> None:
    """Metrics ``(label, value, help)`` in rows of ``per_row``."""
    for i, (label, value, help_text) in enumerate(items):
        if i % per_row == 0:
            row = st.columns(per_row)
        row[i % per_row].metric(label, value, help=help_text)


@contextmanager
def progress_bar(show: bool, text: str) -> Iterator[Callable[[int, int, str], None] | None]:
    """A progress bar for a long run, emptied at the end; yields ``report(done, total,
    what)`` (or None when ``show`` is False).

    Call it inside the cached function that runs: Streamlit replays a cached function's
    elements on a cache hit, which works only for elements the function creates itself.
    """
    bar = st.progress(0.0, text=text) if show else None

    def report(done: int, total: int, what: str = text) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=what)

    try:
        yield None if bar is None else report
    finally:
        if bar is not None:
            bar.empty()


def zoom_range(pnl: np.ndarray) -> tuple[float, float] | None:
    """The 0.1% to 99.9% quantile range of a P&L sample, or None when it is a single point."""
    lo, hi = (float(v) for v in np.quantile(pnl, [0.001, 0.999]))
    return (lo, hi) if hi > lo else None
