"""Hedging on real history: volatility sources, one replay, rolling programmes."""

from hedgelib.backtest.replay import ATTRIBUTION_OVER_TIME_COLUMNS, PastDataEnd, Replay, replay
from hedgelib.backtest.rolling import RollingResult, rolling_programme
from hedgelib.backtest.vol_sources import (
    ConstantVol,
    GarchVol,
    ImpliedVolSeries,
    RealisedVol,
    VolatilitySource,
    as_volatility_source,
)

__all__ = [
    "ATTRIBUTION_OVER_TIME_COLUMNS",
    "ConstantVol",
    "GarchVol",
    "ImpliedVolSeries",
    "PastDataEnd",
    "RealisedVol",
    "Replay",
    "RollingResult",
    "VolatilitySource",
    "as_volatility_source",
    "replay",
    "rolling_programme",
]
