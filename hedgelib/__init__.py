"""hedgelib: pricing, markets and dynamic hedging of option books.

The public API is importable from here; see DESIGN section 3 of the project docs and each
function's docstring. ``hedgelib`` never imports streamlit.
"""

from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError

__all__ = ["TRADING_DAYS_PER_YEAR", "HedgeLibError"]
