"""The scenario of the Historical Backtest: its inputs and the replay or rolling programme they
ask for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from hedgelib.backtest.replay import Replay, replay
from hedgelib.backtest.rolling import RollingResult, rolling_programme
from hedgelib.backtest.vol_sources import ConstantVol, GarchVol, ImpliedVolSeries, RealisedVol
from hedgelib.book import PRESETS, Book, OptionLeg, preset_book
from hedgelib.conventions import TRADING_DAYS_PER_YEAR, HedgeLibError
from hedgelib.market.history import BUNDLED
from hedgelib.registry import Parameter
from hedgelib.scenario.format import ScenarioSchema
from hedgelib.scenario.inputs import (
    ALIASES,
    DEFAULT_MARKET,
    MARKET_BOUNDS,
    build_hedge_option,
    build_part,
    hedge_fields,
    merge_fields,
    page_input,
)

__all__ = [
    "BOOK_KINDS",
    "DEFAULT_SERIES",
    "MODES",
    "ROLLS",
    "SIDES",
    "VOL_SOURCES",
    "backtest_fields",
    "backtest_keywords",
    "backtest_schema",
    "moneyness_book",
    "run_backtest",
]


MODES: dict[str, str] = {
    "rolling": "Rolling programme (repeat the trade)",
    "replay": "Single replay (one trade)",
}


BOOK_KINDS: dict[str, str] = {
    "preset": "A preset strategy (strikes as % of the entry spot)",
    "current": "The current book (Option Book page)",
}


SIDES: dict[str, str] = {"sell": "Sell", "buy": "Buy"}


ROLLS: dict[str, str] = {
    "monthly": "Monthly (first close of each month)",
    "weekly": "Weekly (first close of each week)",
    "quarterly": "Quarterly (first close of each quarter)",
    "days": "Every N trading days",
}


VOL_SOURCES: dict[str, str] = {
    "vix": "Implied: the VIX (S&P 500, 2014-2018)",
    "constant": "Constant",
    "realised": "Trailing realised volatility",
    "garch": "GARCH(1,1) forecast",
}


#: The real series a scenario runs on when it names none: the bundled S&P 500, 2014-2018.
DEFAULT_SERIES: dict[str, str] = {"source": "sp500", "source_start": "2014-01-01",
                                  "source_end": "2018-12-31"}


_BACKTEST: dict[str, Parameter] = {
    "mode": page_input("mode", "Mode", "rolling", choices=tuple(MODES),
                  help="One trade hedged from a start date to its expiry, or the same trade "
                       "entered again and again over a period."),
    "book_kind": page_input("book_kind", "Book", "preset", choices=tuple(BOOK_KINDS),
                       help="A preset built at the money on each entry date, or the book of the "
                            "Option Book page with its strikes rescaled to the entry spot."),
    "preset": page_input("preset", "Preset book", "straddle", choices=tuple(PRESETS)),
    "side": page_input("side", "Side", "sell", choices=tuple(SIDES),
                  help="Sell: you receive the premium and are short the options (short "
                       "volatility). Buy: the other side."),
    "size": page_input("size", "Size (options per leg)", 1.0, low=0.01, high=1e6, step=1.0),
    "width_pct": page_input("width_pct", "Strike width (% of spot)", 10.0, low=0.5, high=49.5, step=0.5,
                       help="Distance of the wings from the money for strangles, spreads, "
                            "butterflies, collars."),
    "tenor_days": page_input("tenor_days", "Tenor (trading days)", 21, low=1, high=2520, step=1,
                        help="Life of each trade: 21 is one month, 63 a quarter (252 a year)."),
    "roll": page_input("roll", "Enter", "monthly", choices=tuple(ROLLS),
                  help="When a rolling programme enters a new trade."),
    "roll_days": page_input("roll_days", "N (trading days between entries)", 21, low=1, high=2520, step=1),
    "start": page_input("start", "Start (first entry)", "2018-01-01"),
    "end": page_input("end", "End (last entry)", "2018-12-31",
                 help="Rolling programme only: entries lie between start and end; each trade "
                      "then runs to its expiry."),
    "vol_kind": page_input("vol_kind", "Volatility source", "vix", choices=tuple(VOL_SOURCES),
                      help="The volatility of the premium and of the deltas on each date, "
                           "knowing only what was known that day."),
    "const_vol_pct": page_input("const_vol_pct", "Constant volatility (%)", 20.0, low=0.1, high=300.0,
                           step=1.0),
    "realised_window": page_input("realised_window", "Realised window (trading days)", 21, low=2,
                             high=1000, step=1,
                             help="Trailing returns in the realised-volatility estimate; the "
                                  "data must hold that many closes before the start."),
    "garch_refit": page_input("garch_refit", "GARCH refit every (trading days)", 21, low=1, high=252,
                         step=1, help="Refit by maximum likelihood this often; the variance is "
                                      "rolled forward daily in between. Needs 250 returns "
                                      "before the start."),
}


_RATES: dict[str, Parameter] = {
    "rate_pct": Parameter("rate", "Rate (%)", 0.0, unit="percent", low=-10.0, high=50.0,
                          step=0.25, key="rate_pct", help="Continuously compounded; cash earns it."),
    "div_pct": Parameter("dividend_yield", "Dividend yield (%)", 0.0, unit="percent", low=-10.0,
                         high=50.0, step=0.25, key="div_pct",
                         help="Continuously compounded; stock held earns it."),
}


# One grid step of a backtest is one trading day, and its costs are a desk's, not a lesson's.
_BACKTEST_OVERRIDES: dict[str, dict[str, Any]] = {
    "every_n": {"label": "Every N trading days", "high": 252},
    "band_width": {"default": 0.10, "high": 1e6, "step": 0.05},
    "cost_bp": {"default": 1.0, "step": 0.5},
    "per_trade": {"step": 0.1},
}


def backtest_fields() -> dict[str, Parameter]:
    """The Historical Backtest's form inputs, keyed by name (dates as ISO text)."""
    return merge_fields(_BACKTEST, hedge_fields(_BACKTEST_OVERRIDES), _RATES)


def backtest_schema() -> ScenarioSchema:
    """The backtest's scenario: the form, the bundled series and its window, and the current
    book (with the spot its strikes are read against) when the form uses it."""
    return ScenarioSchema.from_fields(
        "historical_backtest", backtest_fields(),
        extra={**DEFAULT_SERIES, "book": {}, "spot": float(DEFAULT_MARKET["spot"])},
        extra_choices={"source": tuple(BUNDLED)}, extra_bounds={"spot": MARKET_BOUNDS["spot"]},
        aliases=ALIASES, version=2,
    )


def _volatility_source(inputs: Mapping[str, Any]) -> Any:
    kind = inputs["vol_kind"]
    if kind == "constant":
        return ConstantVol(inputs["const_vol_pct"] / 100.0)
    if kind == "vix":
        return ImpliedVolSeries()
    if kind == "realised":
        return RealisedVol(int(inputs["realised_window"]))
    if kind == "garch":
        return GarchVol(refit_every=int(inputs["garch_refit"]))
    raise HedgeLibError(f"volatility source must be one of {', '.join(VOL_SOURCES)}, got {kind!r}")


def backtest_keywords(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The hedge of a backtest as keywords of :func:`~hedgelib.backtest.replay` and
    :func:`~hedgelib.backtest.rolling_programme`: volatility source, rate, dividend yield,
    strategy, hedge option, rule (one step is one trading day) and costs."""
    return {
        "hedge_volatility": _volatility_source(inputs),
        **{f.name: f.to_library(inputs[k]) for k, f in _RATES.items()},
        "strategy": build_part("strategy", inputs),
        "hedge_option": build_hedge_option(inputs),
        "rule": build_part("rule", inputs),
        "costs": build_part("costs", inputs),
    }


def moneyness_book(book: Book, reference_spot: float) -> Book:
    """``book`` with each strike divided by ``reference_spot``: strikes as fractions of spot.

    The Option Book page prices its book at its own spot; dividing by it keeps the shape
    (a 90% put stays a 90% put) when the trade is entered at a historical price.
    """
    if not (math.isfinite(reference_spot) and reference_spot > 0):
        raise HedgeLibError(f"spot of the Option Book page must be positive, got {reference_spot!r}")
    if not book.legs:
        raise HedgeLibError("the current book must hold at least one option leg, got none")
    legs = [OptionLeg(g.kind, g.strike / reference_spot, g.expiry, g.quantity) for g in book.legs]
    return Book(legs, book.stock)


def _entry_close(prices: pd.Series, start: Any) -> float:
    # The replay enters at the first close on or after start; past the data the library
    # refuses start, so any price will do for the book built here.
    i = int(prices.index.searchsorted(pd.Timestamp(start), side="left"))
    return float(prices.iloc[min(i, len(prices) - 1)])


def run_backtest(
    inputs: Mapping[str, Any],
    prices: pd.Series,
    *,
    template: Book | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> Replay | RollingResult:
    """Run a backtest scenario on ``prices`` (closes on dates, the whole series so that
    trailing estimates can look back): a replay in ``"replay"`` mode, a programme in
    ``"rolling"`` mode. ``template`` is a book with strikes as fractions of the entry spot
    (:func:`moneyness_book`) that replaces the preset; ``progress(done, total)`` is called
    after each trade of a programme."""
    tenor = int(inputs["tenor_days"]) / TRADING_DAYS_PER_YEAR
    width = inputs["width_pct"] / 100.0
    hedge = backtest_keywords(inputs)
    size = float(inputs["size"])
    if inputs["mode"] == "rolling":
        roll = int(inputs["roll_days"]) if inputs["roll"] == "days" else inputs["roll"]
        if template is None:
            book: Any = inputs["preset"]
            sizing = {"tenor": tenor, "width": width,
                      "quantity": size * (-1.0 if inputs["side"] == "sell" else 1.0)}
        else:
            book, sizing = template, {}
        return rolling_programme(prices, book, start=inputs["start"], end=inputs["end"], roll=roll,
                                 progress=progress, **sizing, **hedge)
    if inputs["mode"] != "replay":
        raise HedgeLibError(f"mode must be one of {', '.join(MODES)}, got {inputs['mode']!r}")
    spot = _entry_close(prices, inputs["start"])
    if template is None:
        book = preset_book(inputs["preset"], spot, tenor, width=width, quantity=size)
        if inputs["side"] == "sell":
            book = book.scaled(-1.0)
    else:
        legs = [OptionLeg(g.kind, g.strike * spot, g.expiry, g.quantity) for g in template.legs]
        book = Book(legs, template.stock)
    return replay(prices, book, start=inputs["start"], **hedge)
