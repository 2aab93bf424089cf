"""Session-state keys shared across pages, documented in one place.

Shared keys (any page may read them; the page that owns them writes them):

``"book"`` (:data:`BOOK_KEY`)
    The current option book, a ``hedgelib.book.Book``. Leg expiries are in years from
    today; quantities are signed (+ long, - short). Written by the Option Book page.
``"market"`` (:data:`MARKET_KEY`)
    A plain ``dict`` of market inputs in the library's units (see :data:`DEFAULT_MARKET`):
    ``spot`` (currency), ``volatility``, ``rate``, ``dividend_yield`` (decimals, 0.2 = 20%),
    ``valuation_time`` (years from today at which the book is valued). Written by the
    Option Book page; a plain dict so that it survives code reloads and pickles cleanly.

Page-private keys carry the page's prefix. The Option Book page (prefix ``"ob_"``) uses:

``ob_preset``, ``ob_preset_days``, ``ob_preset_width``, ``ob_preset_quantity``
    preset picker and its shape (expiry in the chosen day unit, strike width in % of spot,
    quantity per leg);
``ob_day_unit``
    ``"calendar days"`` or ``"trading days"``: how expiries are typed and shown;
``ob_legs_table``
    the leg table the editor starts from (display units: expiry in days);
``ob_legs``
    the ``st.data_editor`` edit state on top of ``ob_legs_table``;
``ob_stock``
    stock position (shares) held with the options;
``ob_spot``, ``ob_vol_pct``, ``ob_rate_pct``, ``ob_div_pct``, ``ob_valuation_days``
    market inputs as typed (percent and days);
``ob_pnl_mode``
    show the payoff chart as P&L net of premium;
``ob_iv_kind``, ``ob_iv_strike``, ``ob_iv_days``, ``ob_iv_price``
    implied-volatility calculator inputs;
``ob_saved``
    a plain dict copy of the settings above (not the market inputs, which come back from
    ``"market"``, nor the stock, which comes back from ``"book"``): Streamlit deletes a
    page's widget state when the user leaves the page, and the page restores it from here.

The data source (shared; written by :func:`ui.source_picker.pick_source`, read by any page
through ``pick_source(prefix)`` or, without widgets, ``ui.sources.current_source()``):

``"source"`` (``ui.sources.SOURCE_KEY``)
    A plain ``dict`` describing the source in use (see ``ui.sources.default_source``):
    ``kind`` (``"bundled"``, ``"yahoo"``, ``"csv"`` or ``"model"``); ``history``, the last
    real-data choice (``kind``, bundled ``key``, Yahoo ``ticker``, CSV ``filename``, window
    ``start``/``end`` as ISO dates or None); ``model`` (``name``, ``spot``, annual ``drift``,
    ``params`` per model in library units, ``calibrated``: None or where the parameters
    were fitted). It changes only when the new choice can be used.
``"source_csv"`` (``ui.sources.CSV_KEY``)
    The last valid uploaded CSV: ``{"filename", "data" (bytes), "dayfirst"}``; kept so the
    file survives page switches (the uploader widget does not).
``"source_yahoo"`` (``ui.sources.YAHOO_KEY``)
    The last successful Yahoo Finance download, a ``PriceHistory``.

The picker's widgets carry the calling page's prefix followed by ``src_`` (``ul_src_kind``,
``ul_src_start``, ...); they start from ``"source"``, so every page shows the same choice.
The Underlying page (prefix ``"ul_"``) also uses ``ul_vol_window``, ``ul_log_scale``,
``ul_show_vix`` (volatility chart), ``ul_n_paths``, ``ul_horizon_days`` (trading days),
``ul_n_steps``, ``ul_seed`` (simulation form), and ``ul_saved``, their copy across page
switches.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from hedgelib.scenario import DEFAULT_MARKET as SCENARIO_MARKET

__all__ = [
    "BOOK_KEY",
    "DEFAULT_MARKET",
    "MARKET_KEY",
    "get_book",
    "get_market",
    "set_book",
    "set_market",
]

BOOK_KEY = "book"
MARKET_KEY = "market"

# Spot, rate and dividend yield are those of a scenario that carries no market.
DEFAULT_MARKET: dict[str, float] = {
    "spot": SCENARIO_MARKET["spot"],
    "volatility": 0.20,
    "rate": SCENARIO_MARKET["rate"],
    "dividend_yield": SCENARIO_MARKET["dividend_yield"],
    "valuation_time": 0.0,
}


def _state(state: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
    return st.session_state if state is None else state


def get_market(state: MutableMapping[str, Any] | None = None) -> dict[str, float]:
    """The shared market inputs, filled with :data:`DEFAULT_MARKET` where missing."""
    stored = _state(state).get(MARKET_KEY) or {}
    return {**DEFAULT_MARKET, **{k: float(v) for k, v in stored.items() if k in DEFAULT_MARKET}}


def set_market(market: dict[str, float], state: MutableMapping[str, Any] | None = None) -> None:
    """Store the shared market inputs (library units)."""
    unknown = set(market) - set(DEFAULT_MARKET)
    if unknown:
        raise KeyError(f"unknown market keys {sorted(unknown)}; expected {sorted(DEFAULT_MARKET)}")
    _state(state)[MARKET_KEY] = {**get_market(state), **{k: float(v) for k, v in market.items()}}


def get_book(state: MutableMapping[str, Any] | None = None) -> Any:
    """The shared ``Book``, or None when no page has built one yet."""
    return _state(state).get(BOOK_KEY)


def set_book(book: Any, state: MutableMapping[str, Any] | None = None) -> None:
    """Store the shared ``Book``."""
    _state(state)[BOOK_KEY] = book
