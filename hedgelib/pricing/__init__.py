"""Closed-form and Monte Carlo option pricing."""

from hedgelib.pricing.black_scholes import Greeks, bs_greeks, bs_price, bs_price_and_greeks
from hedgelib.pricing.heston import heston_price
from hedgelib.pricing.implied_vol import implied_vol, no_arbitrage_bounds
from hedgelib.pricing.merton import merton_price
from hedgelib.pricing.monte_carlo import MonteCarloResult, monte_carlo_price

__all__ = [
    "Greeks",
    "MonteCarloResult",
    "bs_greeks",
    "bs_price",
    "bs_price_and_greeks",
    "heston_price",
    "implied_vol",
    "merton_price",
    "monte_carlo_price",
    "no_arbitrage_bounds",
]
