"""Hedging on real history: volatility sources, one replay, rolling programmes."""

from hedgelib.backtest.replay import ATTRIBUTION_OVER_TIME_COLUMNS, Replay, replay
from hedgelib.backtest.rolling import RollingResult, rolling_programme
from hedgelib.backtest.vol_sources import (
    ConstantVol,
    GarchVol,
    ImpliedVolSeries,
    RealisedVol,
    VolatilitySource,
)

__all__ = [
    "ATTRIBUTION_OVER_TIME_COLUMNS",
    "ConstantVol",
    "GarchVol",
    "ImpliedVolSeries",
    "RealisedVol",
    "Replay",
    "RollingResult",
    "VolatilitySource",
    "replay",
    "rolling_programme",
]
