"""Underlyings: simulated market models, calibration, and real price data."""

from hedgelib.market.base import MarketModel
from hedgelib.market.calibrate import GarchFit, estimate_gbm, fit_garch, realised_volatility
from hedgelib.market.csv import load_csv
from hedgelib.market.history import (
    BUNDLED,
    BundledDataset,
    PriceHistory,
    implied_volatility_series,
    list_bundled,
    load_bundled,
)
from hedgelib.market.models import GARCH, GBM, Heston, MertonJump
from hedgelib.market.paths import Paths
from hedgelib.market.yahoo import load_yahoo, yahoo_cache_dir

__all__ = [
    "BUNDLED",
    "GARCH",
    "GBM",
    "BundledDataset",
    "GarchFit",
    "Heston",
    "MarketModel",
    "MertonJump",
    "Paths",
    "PriceHistory",
    "estimate_gbm",
    "fit_garch",
    "implied_volatility_series",
    "list_bundled",
    "load_bundled",
    "load_csv",
    "load_yahoo",
    "realised_volatility",
    "yahoo_cache_dir",
]
