"""Option books: legs and books, strategy presets, and what a book does at expiry and under
scenarios."""

from hedgelib.book.analysis import ExpiryStatistics, expiry_statistics, greeks_profile, scenario_pnl
from hedgelib.book.book import EMPTY_BOOK_MESSAGE, LEG_COLUMNS, Book, OptionLeg
from hedgelib.book.presets import PRESETS, preset_book

__all__ = [
    "EMPTY_BOOK_MESSAGE",
    "LEG_COLUMNS",
    "PRESETS",
    "Book",
    "ExpiryStatistics",
    "OptionLeg",
    "expiry_statistics",
    "greeks_profile",
    "preset_book",
    "scenario_pnl",
]
