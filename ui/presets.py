"""Scenario presets: one click on the home page sets up a whole lesson on another page.

A :class:`Preset` is data: a title, a one-paragraph teaching blurb (what to look for), the
page it opens, the shared book and market it sets (:mod:`ui.state`), and the page's inputs
as a plain dict in that page's own vocabulary (the input names of the page's scenario,
:mod:`hedgelib.scenario`, in trader units; inputs left out keep the page's defaults).
:func:`preset_settings` checks a preset against its page's schema (names, types, choices,
bounds, the page's caps and the library's own checks), so a renamed input breaks a test
rather than the app.

:func:`apply_preset` writes a preset into session state through the keys each page already
restores itself from (no page needs a hook):

- Monte Carlo Hedge Lab: ``hl_submitted`` and the ``hl_<input>`` widget keys; the page runs
  the submitted inputs on arrival, so the result is on show without a Run click (the run
  takes well under a second). ``hl_write_link`` puts the preset into the address bar.
- Historical Backtest: ``bt_submitted`` and the ``bt_<input>`` keys; the shared ``"source"``
  (the bundled S&P 500); and ``bt_dates_for``, the source signature the page moves its dates
  for, so that it keeps the preset's dates. The picker's ``bt_src_*`` widgets are dropped so
  that they start again from the source.
- Rule Comparison: ``rc_submitted`` (set-ups included) and the ``rc_<input>`` keys; the
  editor's state is dropped, so the page starts its set-ups table from the preset's.

Everything a preset needs of its page is in the library (:mod:`hedgelib.scenario`: the
schemas and the builders) or in the shared modules (:mod:`ui.errors` for the caps,
:mod:`ui.sources` for the data source): no page module is imported.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import HedgeLibError
from hedgelib.scenario import (
    Market,
    backtest_fields,
    backtest_keywords,
    backtest_schema,
    default_book,
    hedge_lab_fields,
    hedge_lab_schema,
    hedge_lab_simulation,
    rule_comparison_fields,
    rule_comparison_schema,
    setup_rows,
)
from hedgelib.scenario.portfolio import portfolio_settings
from ui.errors import comparison_refusal, path_steps_refusal
from ui.sources import dates_signature, get_source, parse_date, set_source
from ui.state import DEFAULT_MARKET, set_book, set_market

__all__ = [
    "BACKTEST_PAGE",
    "HEDGE_LAB_PAGE",
    "PORTFOLIO_PAGE",
    "PRESETS",
    "RULE_COMPARISON_PAGE",
    "TARGET_PAGES",
    "Preset",
    "apply_preset",
    "preset_settings",
    "presets_for",
]

HEDGE_LAB_PAGE = "pages/3_Hedge_Lab.py"
BACKTEST_PAGE = "pages/4_Historical_Backtest.py"
RULE_COMPARISON_PAGE = "pages/5_Rule_Comparison.py"
PORTFOLIO_PAGE = "pages/7_Portfolio_Hedging.py"
#: Pages a preset may open, with the widget prefix of each.
TARGET_PAGES: dict[str, str] = {
    HEDGE_LAB_PAGE: "hl_",
    BACKTEST_PAGE: "bt_",
    RULE_COMPARISON_PAGE: "rc_",
    PORTFOLIO_PAGE: "ph_",
}
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _freeze_check_market(market: Mapping[str, float]) -> None:
    for name, value in market.items():
        if name not in DEFAULT_MARKET:
            raise HedgeLibError(f"market: unknown key {name!r}; expected some of {sorted(DEFAULT_MARKET)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise HedgeLibError(f"market[{name!r}] must be a finite number, got {value!r}")
    if "spot" in market and market["spot"] <= 0:
        raise HedgeLibError(f"market['spot'] must be positive, got {market['spot']!r}")
    if "volatility" in market and market["volatility"] <= 0:
        raise HedgeLibError(f"market['volatility'] must be positive, got {market['volatility']!r}")


@dataclass(frozen=True)
class Preset:
    """One scenario preset: what it teaches, which page it opens, and everything it sets.

    Parameters
    ----------
    key : str
        Short identifier (lower case, digits, underscores): the home page's button key is
        ``"preset_<key>"``.
    title : str
        Card title on the home page.
    blurb : str
        One teaching paragraph (markdown): the set-up and what to look for on the page.
    page : str
        Target page path, one of :data:`TARGET_PAGES` (``"pages/3_Hedge_Lab.py"``, ...).
    inputs : mapping
        The page's inputs in its own vocabulary and trader units (percent, basis points,
        trading days; backtest dates as ISO text or ``datetime.date``). Inputs left out keep
        the page's defaults.
    book : mapping or None
        ``Book.to_dict()`` of the shared book (strikes in currency, expiries in years,
        signed quantities), or None to leave the shared book alone.
    market : mapping or None
        Shared market inputs in library units (``spot``, ``volatility``, ``rate``,
        ``dividend_yield``, ``valuation_time``; decimals), or None to leave them alone.
    source : mapping or None
        The real-data part (``"history"``) of the shared source description
        (:func:`ui.sources.default_source`), for pages that replay history.

    Raises
    ------
    HedgeLibError
        A malformed key, an empty title or blurb, an unknown page, a book the library
        refuses, or market inputs that are unknown or not finite. The inputs themselves are
        checked against the page by :func:`preset_settings`.
    """

    key: str
    title: str
    blurb: str
    page: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    book: Mapping[str, Any] | None = None
    market: Mapping[str, float] | None = None
    source: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not _KEY.match(self.key):
            raise HedgeLibError(f"key must be lower-case letters, digits and underscores, got {self.key!r}")
        for name in ("title", "blurb"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise HedgeLibError(f"{name} of preset {self.key!r} must be non-empty text, got {value!r}")
        if self.page not in TARGET_PAGES:
            raise HedgeLibError(f"page of preset {self.key!r} must be one of {sorted(TARGET_PAGES)}, got {self.page!r}")
        if not isinstance(self.inputs, Mapping):
            raise HedgeLibError(f"inputs of preset {self.key!r} must be a mapping, got {self.inputs!r}")
        if self.book is not None:
            Book.from_dict(dict(self.book))  # the library's own checks, with its messages
        if self.market is not None:
            _freeze_check_market(self.market)
        if self.source is not None and self.source.get("kind") not in ("bundled",):
            # Only bundled data are sure to be there on arrival (no upload, no download).
            raise HedgeLibError(f"source of preset {self.key!r} must be bundled data, got {self.source!r}")


# --------------------------------------------------------------------------------------------
# checking inputs against a page


def _check_names(inputs: Mapping[str, Any], fields: Mapping[str, Any], page: str,
                 allowed: tuple[str, ...] = ()) -> None:
    # The book and the market travel in the preset's own fields, once.
    extra = set(inputs) - set(fields) - set(allowed)
    if extra:
        raise HedgeLibError(f"not inputs of the {page} form: {sorted(extra)}; its inputs are: "
                            f"{', '.join(fields)}")


def _hedge_lab_settings(inputs: Mapping[str, Any]) -> dict[str, Any]:
    fields = hedge_lab_fields()
    _check_names(inputs, fields, "Hedge Lab")
    full = hedge_lab_schema().complete(dict(inputs))
    settings = {k: full[k] for k in fields}
    refusal = path_steps_refusal(settings["n_paths"], settings["n_steps"])
    if refusal:
        raise HedgeLibError(refusal)
    # The library's own checks of the model and the hedge (any book and market will do).
    spot = DEFAULT_MARKET["spot"]
    hedge_lab_simulation(settings, book=default_book(spot), market=Market(spot, 0.0, 0.0))
    return settings


def _backtest_settings(inputs: Mapping[str, Any]) -> dict[str, Any]:
    fields = backtest_fields()
    _check_names(inputs, fields, "Historical Backtest")
    # Dates travel as ISO text in scenarios; presets may give datetime.date.
    text = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in inputs.items()}
    full = backtest_schema().complete(text)
    settings = {k: full[k] for k in fields}
    for name in ("start", "end"):
        settings[name] = parse_date(name, settings[name])
    if settings["mode"] == "rolling" and settings["end"] < settings["start"]:
        raise HedgeLibError(f"end ({settings['end']}) must not be before start ({settings['start']})")
    backtest_keywords(settings)
    return settings


def _rule_comparison_settings(inputs: Mapping[str, Any]) -> dict[str, Any]:
    fields = rule_comparison_fields()
    _check_names(inputs, fields, "Rule Comparison", ("setups",))
    full = rule_comparison_schema().complete(dict(inputs))
    settings = {k: full[k] for k in fields}
    settings["setups"] = {"rows": setup_rows(full["setups"].get("rows"))}
    refusal = comparison_refusal(settings)  # validates the frontier grid too
    if refusal:
        raise HedgeLibError(refusal)
    return settings


_SETTINGS = {
    HEDGE_LAB_PAGE: _hedge_lab_settings,
    BACKTEST_PAGE: _backtest_settings,
    RULE_COMPARISON_PAGE: _rule_comparison_settings,
    # Portfolio Hedging: its scenario checks itself (hedgelib.scenario.portfolio); dates stay ISO
    # text in its submitted inputs, and the "tab" input opens the preset's tab.
    PORTFOLIO_PAGE: portfolio_settings,
}


def preset_settings(preset: Preset) -> dict[str, Any]:
    """The complete inputs the preset gives its page: defaults overridden by the preset.

    Returns the page's ``*_submitted`` dict (every form input, typed as the page types it).
    Raises ``HedgeLibError`` (``ScenarioError`` for the scenario pages) naming the input:
    an unknown input, a wrong type, a value outside the choices or the widget's bounds, a
    request above the page's cap, or parameters the library refuses.

    Examples
    --------
    >>> s = preset_settings(PRESETS[0])
    >>> s["every_n"], s["n_steps"], s["drift_pct"]
    (5, 100, 13.0)
    """
    try:
        return _SETTINGS[preset.page](preset.inputs)
    except HedgeLibError as exc:
        raise type(exc)(f"preset {preset.title!r}: {exc}") from None


# --------------------------------------------------------------------------------------------
# applying a preset


def _state(state: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
    return st.session_state if state is None else state


def _apply_page(ss: MutableMapping[str, Any], prefix: str, settings: Mapping[str, Any]) -> None:
    """The page's widgets and its submitted inputs, as the page's own scenario loader sets
    them; the page runs the submitted inputs on arrival and writes them into the link."""
    for key, value in settings.items():
        if key != "setups":
            ss[prefix + key] = value
    ss[prefix + "submitted"] = dict(settings)
    ss[prefix + "write_link"] = True
    ss[prefix + "link_problems"] = []
    ss.pop(prefix + "note", None)


def _apply_hedge_lab(ss: MutableMapping[str, Any], settings: dict[str, Any], preset: Preset) -> None:
    _apply_page(ss, "hl_", settings)


def _apply_backtest(ss: MutableMapping[str, Any], settings: dict[str, Any], preset: Preset) -> None:
    desc = get_source(ss)
    if preset.source is not None:
        desc["kind"] = preset.source["kind"]
        desc["history"] = {**desc["history"], **dict(preset.source)}
        set_source(desc, ss)
        for key in [k for k in ss if str(k).startswith("bt_src_")]:
            del ss[key]  # the picker restores its widgets from the new source
    # The page moves its dates to the data's last year when the source signature changes:
    # record the signature of the source in use so that the preset's dates stay.
    ss["bt_dates_for"] = dates_signature(desc)
    _apply_page(ss, "bt_", settings)


def _apply_rule_comparison(ss: MutableMapping[str, Any], settings: dict[str, Any], preset: Preset) -> None:
    rows = [dict(r) for r in settings["setups"]["rows"]]
    _apply_page(ss, "rc_", {**settings, "setups": {"rows": rows}})
    ss.pop("rc_setups_editor", None)  # its edits referred to the old table


_APPLY = {
    HEDGE_LAB_PAGE: _apply_hedge_lab,
    BACKTEST_PAGE: _apply_backtest,
    RULE_COMPARISON_PAGE: _apply_rule_comparison,
    PORTFOLIO_PAGE: lambda ss, settings, preset: _apply_page(ss, "ph_", settings),
}


def apply_preset(preset: Preset, state: MutableMapping[str, Any] | None = None) -> dict[str, Any]:
    """Write the preset into session state: shared book and market, then the page's inputs.

    Everything is checked before anything is written, so a bad preset leaves the state as it
    was. Returns the page's settings (as :func:`preset_settings`). Call
    ``st.switch_page(preset.page)`` next to open the page.
    """
    settings = preset_settings(preset)
    book = None if preset.book is None else Book.from_dict(dict(preset.book))
    ss = _state(state)
    if book is not None:
        set_book(book, ss)
    if preset.market is not None:
        set_market(dict(preset.market), ss)
    _APPLY[preset.page](ss, settings, preset)
    return settings


def presets_for(pages: set[str] | frozenset[str]) -> list[Preset]:
    """The presets whose target page is among ``pages`` (the pages the app has)."""
    return [p for p in PRESETS if p.page in pages]


# --------------------------------------------------------------------------------------------
# the presets

_QUARTER = 63 / 252  # 63 trading days


def _book(*legs: tuple[str, float, float, float], stock: float = 0.0) -> dict[str, Any]:
    return Book([OptionLeg(*leg) for leg in legs], stock).to_dict()


_SHORT_ATM_CALL = _book(("call", 100.0, _QUARTER, -1.0))
_MARKET_100 = {"spot": 100.0, "volatility": 0.20, "rate": 0.03, "dividend_yield": 0.0,
               "valuation_time": 0.0}


def _delta_hedge(**changes: Any) -> dict[str, Any]:
    """Hedge Lab inputs of the lessons: a daily delta hedge at 20% on GBM at 20%, no costs,
    10,000 paths; spelled out in full, so that a lesson does not move with the defaults."""
    return {"model": "GBM", "drift_pct": 5.0, "vol_pct": 20.0, "strategy": "delta",
            "rule": "every_n_steps", "every_n": 1, "n_steps": 63, "hedge_vol_pct": 20.0,
            "pricing_vol_pct": 20.0, "cost_bp": 0.0, "n_paths": 10_000, "seed": 42, **changes}

PRESETS: tuple[Preset, ...] = (
    Preset(
        key="hull_textbook",
        title="Hull's textbook hedge",
        blurb=(
            "Hull's delta-hedging example (*Options, Futures, and Other Derivatives*, the "
            "tables of delta hedging): sell one call with spot 49, strike 50, 20 weeks to "
            "expiry, 20% volatility and a 5% rate (Black-Scholes price 2.40), on a stock that "
            "drifts up 13% a year, and delta hedge it **weekly**. Look at *Hedge error / "
            "premium*: Hull's table gives **0.19** for weekly rebalancing. Then set *Every N "
            "steps* to 1 (daily) and run again: the error falls to about 0.09, the "
            "√5 ≈ 2.2 that Derman-Kamal predicts for five times as many rebalances."
        ),
        page=HEDGE_LAB_PAGE,
        book=_book(("call", 50.0, 20 / 52, -1.0)),
        market={"spot": 49.0, "volatility": 0.20, "rate": 0.05, "dividend_yield": 0.0,
                "valuation_time": 0.0},
        inputs=_delta_hedge(drift_pct=13.0, every_n=5, n_steps=100),
    ),
    Preset(
        key="gamma_scalping",
        title="Gamma scalping a long straddle",
        blurb=(
            "Buy an at-the-money straddle (63 trading days) at 20% implied volatility while "
            "the market actually moves at **30%**, and delta hedge it every day at the implied "
            "20%. Each re-hedge sells after a rise and buys after a fall, locking in "
            "½ΓS²(σ²realised − σ²implied)dt. Look at the **positive mean P&L** (many standard "
            "errors above zero), the *Greek explain* view where gamma beats theta, and one "
            "path's ledger to watch the scalps."
        ),
        page=HEDGE_LAB_PAGE,
        book=_book(("call", 100.0, _QUARTER, 1.0), ("put", 100.0, _QUARTER, 1.0)),
        market=_MARKET_100,
        inputs=_delta_hedge(vol_pct=30.0),
    ),
    Preset(
        key="short_vol_2018",
        title="Short vol through February 2018",
        blurb=(
            "Sell a one-month at-the-money straddle on the S&P 500 at the first close of every "
            "month from June 2017 to June 2018, priced and delta hedged daily at the VIX. In "
            "the calm of 2017 realised volatility ran well below the VIX and the programme "
            "earned a little every month; then on 5 February 2018 the VIX doubled in a day. "
            "Look at the **February 2018 trade** in the table and on the scatter of P&L "
            "against implied minus realised variance: one month gives back the premium of several."
        ),
        page=BACKTEST_PAGE,
        source={"kind": "bundled", "key": "sp500", "ticker": "^GSPC", "filename": None,
                "start": "2014-01-01", "end": "2018-12-31"},
        inputs={"mode": "rolling", "book_kind": "preset", "preset": "straddle", "side": "sell",
                "size": 1.0, "tenor_days": 21, "roll": "monthly", "start": "2017-06-01",
                "end": "2018-06-29", "vol_kind": "vix", "rule": "every_n_steps", "every_n": 1,
                "cost_bp": 1.0, "rate_pct": 0.0, "div_pct": 0.0},
    ),
    Preset(
        key="costs_when_to_stop",
        title="Hedging with costs: when to stop rebalancing",
        blurb=(
            "A short at-the-money call hedged with **20 bp** proportional costs, four ways on "
            "the same paths: daily, weekly, a fixed delta band and Whalley-Wilmott's "
            "utility-based band. Daily hedging has the smallest hedge error but pays the most "
            "in costs. Look at the table: the Whalley-Wilmott band is both **cheaper and less "
            "risky than weekly** hedging. On the **cost-risk frontier** the bands reach each "
            "level of risk for less cost than fixed intervals; the theory curves (Leland, "
            "Whalley-Wilmott) sit beside the measured points."
        ),
        page=RULE_COMPARISON_PAGE,
        book=_SHORT_ATM_CALL,
        market=_MARKET_100,
        inputs={
            "model": "GBM", "drift_pct": 5.0, "vol_pct": 20.0, "pricing_vol_pct": 20.0,
            "n_steps": 63, "n_paths": 5_000, "seed": 42,
            "setups": {"rows": [
                {"name": "daily", "strategy": "delta", "rule": "every_n_steps", "every_n": 1,
                 "hedge_vol_pct": 20.0, "cost_bp": 20.0},
                {"name": "weekly", "strategy": "delta", "rule": "every_n_steps", "every_n": 5,
                 "hedge_vol_pct": 20.0, "cost_bp": 20.0},
                {"name": "band 0.1", "strategy": "delta", "rule": "delta_band", "band_width": 0.1,
                 "hedge_vol_pct": 20.0, "cost_bp": 20.0},
                {"name": "Whalley-Wilmott 1", "strategy": "delta", "rule": "whalley_wilmott",
                 "ww_risk_aversion": 1.0, "hedge_vol_pct": 20.0, "cost_bp": 20.0},
            ]},
        },
    ),
    Preset(
        key="wrong_volatility",
        title="Model risk: hedging at the wrong volatility",
        blurb=(
            "Sell an at-the-money call at 20% and delta hedge it daily at 20%, while the market "
            "delivers **30%**. Hedging removes the exposure to the price, not to volatility: "
            "look at the **negative mean P&L**, close to the call's value at 30% minus its "
            "value at 20%, and the gamma term of the *Greek explain*. Then set *Hedge "
            "volatility* to 30 and run: the mean loss stays (it was locked in at the sale) "
            "but the P&L's spread shrinks, because the deltas are now right."
        ),
        page=HEDGE_LAB_PAGE,
        book=_SHORT_ATM_CALL,
        market=_MARKET_100,
        inputs=_delta_hedge(vol_pct=30.0),
    ),
    Preset(
        key="jumps",
        title="Jumps break delta hedging",
        blurb=(
            "Sell an at-the-money call on a Merton jump-diffusion (20% diffusion volatility, "
            "about **one jump a year**, mean log jump −10%, std 5%) and delta hedge it daily "
            "at 23%, the volatility of its total variance, so that the premium is about fair. "
            "A jump moves the price before the hedge can follow. Look at the **left tail**: "
            "the mean is near zero, yet the 99% VaR and ES are several times the standard "
            "deviation, where a diffusion would give about 2.3x and 2.7x."
        ),
        page=HEDGE_LAB_PAGE,
        book=_SHORT_ATM_CALL,
        market=_MARKET_100,
        inputs=_delta_hedge(model="Merton", merton_intensity=1.0, merton_jump_mean_pct=-10.0,
                            merton_jump_std_pct=5.0, hedge_vol_pct=23.0, pricing_vol_pct=23.0),
    ),
    Preset(
        key="cppi_2008",
        title="CPPI through 2008",
        blurb=(
            "Insure 100 invested in the S&P 500 on 2 January 2008 with a 90% floor, five ways: "
            "CPPI (m = 4), TIPP, a synthetic put and a bought put (both at 20% volatility), and "
            "buy-and-hold. The index lost 38% that year. Look at the **value paths**: CPPI sold "
            "out as the cushion shrank and ends just above 90; the bought put pays its floor "
            "exactly; the synthetic put, replicating at 20% a year that realised 41%, **misses "
            "its floor** (the gamma loss). Then scroll to the **yearly programmes**: one bar per "
            "year from 1999, the 2000-2002 and 2008 crashes shaded."
        ),
        page=PORTFOLIO_PAGE,
        inputs={"tab": "Insurance", "market": "sp500", "ins_start": "2008-01-02",
                "horizon_days": 252, "capital": 100.0, "floor_pct": 90.0, "multiplier": 4.0,
                "max_exposure_pct": 100.0, "ratchet_pct": 90.0, "put_vol_pct": 20.0,
                "rule": "every_n_steps", "every_n": 1, "cost_bp": 0.0, "rate_pct": 2.0},
    ),
    Preset(
        key="synthetic_vs_real_put",
        title="Synthetic put vs real put",
        blurb=(
            "The same 90% insurance bought as a put or replicated by trading the index "
            "(Leland-Rubinstein), priced and hedged at 20% volatility, on a market that moves "
            "at **30%**. Look at the **payoff scatter**: the bought put sits exactly on its "
            "hockey stick, while the synthetic put's cloud sags below the floor, about half of "
            "its paths end under it. Replication at the wrong volatility loses "
            "½ΓS²(σ²realised − σ²implied)dt every day. Then set *Volatility* to 20 and run: "
            "the two agree in mean, the synthetic one with a small hedging error."
        ),
        page=PORTFOLIO_PAGE,
        inputs={"tab": "Insurance", "market": "model", "model": "GBM", "drift_pct": 6.0,
                "vol_pct": 30.0, "use_cppi": False, "use_tipp": False, "use_synthetic_put": True,
                "use_protective_put": True, "use_buy_and_hold": True, "floor_pct": 90.0,
                "put_vol_pct": 20.0, "horizon_days": 252, "n_steps": 252, "n_paths": 4000,
                "seed": 42, "cost_bp": 0.0, "rule": "every_n_steps", "every_n": 1},
    ),
    Preset(
        key="nasdaq_sp_futures",
        title="Hedging the NASDAQ with S&P futures",
        blurb=(
            "A NASDAQ Composite portfolio hedged from 2001 to 2018 by selling S&P 500 futures, "
            "rolled every quarter, with the hedge ratio re-estimated every week from the last 60 "
            "daily returns (only data before each date). Look at the **variance reduction**: "
            "about 87% of the daily variance goes, and the hedge ratio falls from about 2 in "
            "2001 to about 1.1. The table compares the methods on the same days: a static ratio "
            "fitted on late 2000 and held removes only a tenth."
        ),
        page=PORTFOLIO_PAGE,
        inputs={"tab": "Futures hedge", "fut_portfolio": "nasdaq", "fut_index": "sp500",
                "fut_method": "beta", "fut_window": 60, "fut_rebalance": 5,
                "fut_start": "2001-01-02", "fut_end": "2018-12-31", "fut_cost_bp": 0.5},
    ),
)
