"""Cached runner, display shaping and takeaways for the Historical Backtest page.

The page's inputs are declared in :mod:`hedgelib.scenario` (:func:`~hedgelib.scenario.
backtest_fields`, in trader units: volatility in percent, costs in basis points, tenors in
trading days, dates as ISO text; the strategy, rule and costs from the registries), and the
library runs them (:func:`hedgelib.scenario.run_backtest`: a
:func:`~hedgelib.backtest.replay` or a :func:`~hedgelib.backtest.rolling_programme`). This
module runs that once per set of inputs (cached, bounded, capped) and shapes the result for
the charts of :mod:`hedgelib.charts.backtest`. It holds no finance of its own: P&L,
attribution, volatilities and the theory line come from :mod:`hedgelib.backtest`.

Session-state keys (page prefix ``"bt_"``)
-----------------------------------------
``bt_<name>`` for every input of :func:`hedgelib.scenario.backtest_fields`
    the form's widgets: ``bt_mode`` (``"rolling"`` or ``"replay"``), ``bt_book_kind``
    (``"preset"`` or ``"current"``), ``bt_preset``, ``bt_side`` (``"sell"``/``"buy"``),
    ``bt_size``, ``bt_width_pct``, ``bt_tenor_days`` (trading days), ``bt_roll``,
    ``bt_roll_days``, ``bt_start``, ``bt_end`` (``datetime.date``), ``bt_vol_kind``
    (``"constant"``, ``"vix"``, ``"realised"``, ``"garch"``), ``bt_const_vol_pct``,
    ``bt_realised_window``, ``bt_garch_refit``, ``bt_strategy``, ``bt_hopt_*``, ``bt_rule``
    and its parameters (``bt_every_n``, ``bt_band_width``, ``bt_ww_risk_aversion``, ...),
    ``bt_costs`` and its parameters (``bt_cost_bp``, ``bt_per_trade``, ...), ``bt_rate_pct``,
    ``bt_div_pct``.
``bt_submitted``
    plain dict of the inputs of the run on show (the last Run, or the defaults). It outlives
    Streamlit's widget cleanup when the user visits another page; the form is restored
    from it.
``bt_dates_for``
    the data source (its ``"history"`` description as JSON) the dates were last defaulted
    for: when the user picks another underlying, the dates move to the last year of its
    window and the run follows.
``bt_src_*``
    the shared source picker's widgets (:func:`ui.source_picker.pick_source` with prefix
    ``"bt_"``).
``bt_download_trades``
    the CSV download button.
``bt_link_problems``, ``bt_note``, ``bt_write_link``, ``bt_upload``, ``bt_download_scenario``
    the shareable link and scenario files (:mod:`ui.scenario`,
    :func:`hedgelib.scenario.backtest_schema`): query parameters of the link on arrival that
    could not be read; what the last upload did; write the inputs into the URL on the next
    run; the uploader; the download button.

The page reads the shared ``"book"`` and ``"market"`` keys (:mod:`ui.state`) for the
"current book" choice, and the shared ``"source"`` / ``"source_csv"`` / ``"source_yahoo"``
keys (:mod:`ui.sources`). It writes them only through the picker, or when a link or scenario
file carries a bundled series and window, a current book or a spot.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from hedgelib.backtest import RealisedVol, Replay, RollingResult
from hedgelib.book import Book
from hedgelib.conventions import HedgeLibError
from hedgelib.market.history import PriceHistory
from hedgelib.scenario import backtest_fields
from hedgelib.scenario import run_backtest as run_scenario
from ui.sources import (
    SourceChoice,
    default_source,
    history_from_description,
    parse_date,
    source_scenario,
)
from ui.widgets import csv_text, progress_bar

__all__ = [
    "CACHE_ENTRIES",
    "MAX_GARCH_TRADES",
    "MAX_TRADES",
    "VIX_TICKERS",
    "BacktestView",
    "attribution_terms",
    "book_phrase",
    "cap_message",
    "count_entries",
    "default_dates",
    "real_history",
    "replay_takeaway",
    "replay_trades_table",
    "replay_view",
    "rolling_takeaway",
    "rolling_trades_table",
    "rolling_view",
    "run_backtest",
    "scenario_of",
    "settings_from_scenario",
    "source_is_sp500",
    "theory_note",
    "trades_csv",
]

#: Cached runs kept per server process; five years of monthly trades pickle to 0.8 MB, weekly to 3.4 MB.
CACHE_ENTRIES = 8
#: Most trades one rolling run may hold (weekly over five years is 260).
MAX_TRADES = 300
#: GARCH refits cost about 0.1 s each, one or two per trade: a tighter cap.
MAX_GARCH_TRADES = 120
#: Tickers whose implied volatility the VIX is (the index, its ETF and futures).
VIX_TICKERS = frozenset({"^GSPC", "^SPX", "SPY", "ES=F"})


# --------------------------------------------------------------------------------------------
# scenarios: the form, the bundled series and its window, and the current book travel together


def scenario_of(settings: Mapping[str, Any], description: Mapping[str, Any],
                book: Book | None, spot: float) -> tuple[dict[str, Any], str | None]:
    """The page's full scenario, and a note when its data source cannot travel.

    The current book (and the spot its strikes are read against) travels only when the
    form uses it.
    """
    out = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in settings.items()}
    source, note = source_scenario(description)
    out.update(source)
    if settings["book_kind"] == "current" and book is not None:
        out.update(book=book.to_dict(), spot=float(spot))
    return out, note


def settings_from_scenario(scenario: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The form's inputs of a complete scenario, dates as ``datetime.date``, and the problems.

    A date that does not parse is replaced by its default, and the problem names it.

    Examples
    --------
    >>> from hedgelib.scenario import backtest_schema
    >>> settings, problems = settings_from_scenario({**backtest_schema().defaults, "end": "2017-13-01"})
    >>> settings["start"], settings["end"], problems
    (datetime.date(2018, 1, 1), datetime.date(2018, 12, 31), ["end: must be a date like 2018-01-31, got '2017-13-01'"])
    """
    fields = backtest_fields()
    out = {k: scenario[k] for k in fields}
    problems = []
    for name in ("start", "end"):
        try:
            out[name] = parse_date(name, out[name])
        except HedgeLibError as exc:
            problems.append(str(exc))
            out[name] = parse_date(name, fields[name].default)
    return out, problems


# --------------------------------------------------------------------------------------------
# the underlying and its dates


def real_history(
    choice: SourceChoice, state: MutableMapping[str, Any] | None = None
) -> tuple[PriceHistory, PriceHistory, str | None]:
    """The whole real series behind the source in use, its chosen window, and a note.

    The backtest gets the whole series, so trailing windows and GARCH fits can look back
    before the first entry. A simulated source is not history: its last real-data choice is
    used instead (the note says so), or the default S&P 500 when that cannot be loaded.
    """
    desc = choice.description
    note = None
    if choice.is_simulated:
        note = ("The backtest needs real prices, not a simulated model: it uses the last real "
                "data picked, ")
    try:
        full, window = history_from_description(desc["history"], state)
    except (HedgeLibError, KeyError, TypeError):
        full, window = history_from_description(default_source()["history"], state)
        if note is not None:
            note += "which could not be loaded, so the default S&P 500."
            return full, window, note
    if note is not None:
        note += f"{window.name} ({window.first_date.date()} to {window.last_date.date()})."
    return full, window, note


def default_dates(window: PriceHistory) -> tuple[dt.date, dt.date]:
    """The last year of the chosen window (all of it when shorter): first and last entry."""
    end = window.last_date
    start = max(window.first_date, end - pd.DateOffset(years=1) + pd.Timedelta(days=1))
    return start.date(), end.date()


def source_is_sp500(choice: SourceChoice) -> bool:
    """Whether the VIX is the implied volatility of this underlying."""
    h = choice.description.get("history", {})
    return (h.get("kind") == "bundled" and h.get("key") == "sp500") or (
        h.get("kind") == "yahoo" and str(h.get("ticker", "")).upper() in VIX_TICKERS
    )


# --------------------------------------------------------------------------------------------
# the run


def count_entries(index: pd.DatetimeIndex, settings: Mapping[str, Any]) -> int:
    """Entry dates a rolling programme of these settings would have (before skips)."""
    lo, hi = pd.Timestamp(settings["start"]), pd.Timestamp(settings["end"])
    window = index[(index >= lo) & (index <= hi)]
    if window.empty:
        return 0
    roll = settings["roll"]
    if roll == "days":
        return math.ceil(len(window) / int(settings["roll_days"]))
    freq = {"weekly": "W", "monthly": "M", "quarterly": "Q"}[roll]
    return int(window.to_period(freq).nunique())


def cap_message(index: pd.DatetimeIndex, settings: Mapping[str, Any]) -> str | None:
    """The refusal for a programme above the caps, or None when it fits."""
    if settings["mode"] != "rolling":
        return None
    n = count_entries(index, settings)
    garch = settings["vol_kind"] == "garch"
    cap = MAX_GARCH_TRADES if garch else MAX_TRADES
    if n <= cap:
        return None
    why = " with GARCH, which refits by maximum likelihood for every trade" if garch else ""
    return (
        f"This programme would enter {n:,} trades, above the lab's cap of {cap:,} per run{why} "
        "(the server is shared). Shorten the period or enter less often."
    )


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def run_backtest(
    settings: dict[str, Any],
    prices: pd.Series,
    book_template: dict[str, Any] | None = None,
) -> Replay | RollingResult:
    """Run the backtest of the form (cached on the plain-data inputs).

    Parameters
    ----------
    settings : dict
        The form's inputs (trader units).
    prices : pandas.Series
        Closes on dates, named after the instrument: the whole series, not just the
        window, so trailing estimates can look back.
    book_template : dict, optional
        ``Book.to_dict()`` of a book whose strikes are fractions of the entry spot
        (:func:`hedgelib.scenario.moneyness_book`); None uses the preset of the form.

    Returns
    -------
    Replay or RollingResult
        A replay in ``"replay"`` mode, a programme in ``"rolling"`` mode.

    Raises
    ------
    HedgeLibError
        Bad input, dates outside the data, too little history for the volatility source, a
        single trade expiring after the data end (never cached).

    Notes
    -----
    A programme draws its own progress bar (the library calls back after each trade).
    """
    template = None if book_template is None else Book.from_dict(book_template)
    with progress_bar(settings["mode"] == "rolling", "Hedging the programme's trades...") as bar:
        progress = None if bar is None else (
            lambda done, total: bar(done, total, f"Hedging trade {done} of {total}"))
        return run_scenario(settings, prices, template=template, progress=progress)


# --------------------------------------------------------------------------------------------
# shaping results for display


@dataclass(frozen=True)
class BacktestView:
    """The arrays the charts need, from one replay or a whole programme.

    Dates are a DatetimeIndex; money in the underlying's price units; volatilities decimal.
    For a programme, hedge trades are netted by date, positions and attribution summed over
    the trades alive on each date (a finished trade keeps its final P&L).
    """

    dates: pd.DatetimeIndex
    prices: np.ndarray
    trade_dates: pd.DatetimeIndex
    trade_shares: np.ndarray
    trade_prices: np.ndarray
    position: np.ndarray
    attribution: pd.DataFrame
    vol_dates: pd.DatetimeIndex
    implied: np.ndarray
    realised: np.ndarray
    entry_dates: pd.DatetimeIndex | None = None
    strikes: tuple[float, ...] = ()
    realised_label: str = ""
    notes: tuple[str, ...] = field(default=())


def replay_view(rp: Replay, prices: pd.Series, realised_window: int = 21) -> BacktestView:
    """Chart data of one replay; the realised line is trailing over ``realised_window`` days."""
    led = rp.ledger
    notes = []
    try:
        trailing = RealisedVol(realised_window).volatility_on(prices, led.index).to_numpy()
    except HedgeLibError as exc:
        trailing = np.full(len(led), np.nan)
        notes.append(f"Trailing realised volatility not shown: {exc}")
    return BacktestView(
        dates=pd.DatetimeIndex(led.index),
        prices=led["spot"].to_numpy(dtype=float),
        trade_dates=pd.DatetimeIndex(rp.trades["date"]),
        trade_shares=rp.trades["shares"].to_numpy(dtype=float),
        trade_prices=rp.trades["price"].to_numpy(dtype=float),
        position=led["stock"].to_numpy(dtype=float),
        attribution=rp.attribution_over_time,
        vol_dates=pd.DatetimeIndex(led.index),
        implied=rp.volatility.to_numpy(dtype=float),
        realised=trailing,
        strikes=rp.book.strikes,
        realised_label=f"Trailing realised, {realised_window} days",
        notes=tuple(notes),
    )


def rolling_view(rr: RollingResult, prices: pd.Series) -> BacktestView:
    """Chart data of a programme: every trade's hedge on one calendar of dates."""
    span = pd.DatetimeIndex(rr.cumulative_pnl.index)
    attribution = pd.DataFrame(0.0, index=span, columns=rr.replays[0].attribution_over_time.columns)
    position = np.zeros(len(span))
    for rp in rr.replays:
        # before entry a trade contributes nothing; after expiry its final P&L stays
        attribution += rp.attribution_over_time.reindex(span).ffill().fillna(0.0)
        position += rp.ledger["stock"].reindex(span).fillna(0.0).to_numpy()
    trades = pd.concat([rp.trades[["date", "shares"]] for rp in rr.replays], ignore_index=True)
    net = trades.groupby("date")["shares"].sum()
    net = net[net != 0.0]
    t = rr.trades
    return BacktestView(
        dates=span,
        prices=prices.reindex(span).to_numpy(dtype=float),
        trade_dates=pd.DatetimeIndex(net.index),
        trade_shares=net.to_numpy(dtype=float),
        trade_prices=prices.reindex(net.index).to_numpy(dtype=float),
        position=position,
        attribution=attribution,
        vol_dates=pd.DatetimeIndex(t["entry_date"]),
        implied=t["implied_vol"].to_numpy(dtype=float),
        realised=t["realised_vol"].to_numpy(dtype=float),
        entry_dates=pd.DatetimeIndex(t["entry_date"]),
        realised_label="Realised over each trade's life",
    )


_TRADE_COLUMNS = {
    "entry_date": "entry",
    "expiry_date": "expiry",
    "entry_spot": "entry spot",
    "exit_spot": "exit spot",
    "premium": "premium",
    "implied_vol": "implied vol (%)",
    "realised_vol": "realised vol (%)",
    "pnl": "P&L hedged",
    "unhedged_pnl": "P&L unhedged",
    "costs": "costs",
    "n_trades": "hedge trades",
    "gamma": "gamma",
    "theta": "theta",
    "vega": "vega",
    "delta": "delta",
    "residual": "residual",
    "theory_pnl": "theory P&L",
}


def rolling_trades_table(rr: RollingResult) -> pd.DataFrame:
    """One row per trade for display: dates, spots, premium, volatilities in percent, P&L
    hedged and unhedged, costs, the main explain terms and the theory P&L."""
    t = rr.trades
    out = t[list(_TRADE_COLUMNS)].copy()
    out["entry_date"] = pd.DatetimeIndex(t["entry_date"]).date
    out["expiry_date"] = pd.DatetimeIndex(t["expiry_date"]).date
    out["implied_vol"] = 100.0 * t["implied_vol"]
    out["realised_vol"] = 100.0 * t["realised_vol"]
    return out.rename(columns=_TRADE_COLUMNS).reset_index(drop=True)


def replay_trades_table(rp: Replay) -> pd.DataFrame:
    """The hedge trades of one replay for display and download."""
    out = rp.trades.copy()
    out["date"] = pd.DatetimeIndex(out["date"]).date
    return out.rename(columns={"shares": "shares traded", "position": "shares held after",
                               "notional": "notional (signed)", "options": "options traded",
                               "option_price": "option price", "option_position": "options held after"})


def trades_csv(result: Replay | RollingResult) -> str:
    """CSV of one row per trade, in library units (decimal volatilities), dates ISO."""
    frame = result.trades.copy()
    for col in ("entry_date", "expiry_date", "date"):
        if col in frame.columns:
            frame[col] = pd.DatetimeIndex(frame[col]).strftime("%Y-%m-%d")
    return csv_text(frame)


# --------------------------------------------------------------------------------------------
# takeaways


def book_phrase(settings: Mapping[str, Any], *, plural: bool = False) -> str:
    """The trade in words: "short straddle(s)", "long butterfly", or "the current book"."""
    if settings["book_kind"] == "current":
        return "trades of the current book" if plural else "the current book"
    name = settings["preset"].replace("_", " ")
    short = settings["side"] == "sell"
    # selling a "short straddle" preset is buying a straddle
    for word, flip in (("short ", True), ("long ", False)):
        if name.startswith(word):
            name, short = name[len(word):], short != flip
    return f"{'short' if short else 'long'} {name}{'s' if plural else ''}"


def _points(x: float) -> str:
    return f"{abs(x):,.1f} points"


def _when(entry: pd.Timestamp, roll: str) -> str:
    if roll == "monthly":
        return entry.strftime("%B %Y")
    if roll == "quarterly":
        return f"Q{entry.quarter} {entry.year}"
    return f"the one entered on {entry.date().isoformat()}"


def rolling_takeaway(settings: Mapping[str, Any], rr: RollingResult, name: str) -> str:
    """One line reading a programme: total, hit rate, and the worst trade with its vol ratio.

    >>> t = pd.DataFrame({"entry_date": pd.to_datetime(["2018-01-02", "2018-02-01"]),
    ...                   "pnl": [30.0, -80.0], "unhedged_pnl": [40.0, -10.0],
    ...                   "implied_vol": [0.10, 0.15], "realised_vol": [0.07, 0.27]})
    >>> rr = RollingResult(t, pd.Series(dtype=float), (), (), "VIX / 100")
    >>> from hedgelib.scenario import backtest_fields
    >>> s = {k: f.default for k, f in backtest_fields().items()}
    >>> rolling_takeaway(s, rr, "S&P 500")
    'Takeaway: 2 monthly short straddles on S&P 500 hedged at VIX / 100 lost 50.0 points in all (1 of 2 made money; unhedged they would have made 30.0 points). The worst, February 2018, lost 80.0 when realised volatility ran at 1.8x implied (27% against 15%).'
    """
    t = rr.trades
    n = len(t)
    total = float(t["pnl"].sum())
    unhedged = float(t["unhedged_pnl"].sum())
    wins = int((t["pnl"] > 0).sum())
    roll = settings["roll"]
    every = f"every-{int(settings['roll_days'])}-day" if roll == "days" else roll
    head = (
        f"Takeaway: {n} {every} {book_phrase(settings, plural=n != 1)} on {name} hedged at "
        f"{rr.volatility_label} {'made' if total >= 0 else 'lost'} {_points(total)} in all "
        f"({wins} of {n} made money; unhedged they would have "
        f"{'made' if unhedged >= 0 else 'lost'} {_points(unhedged)})."
    )
    w = t.loc[t["pnl"].idxmin()]
    iv, rv, worst = float(w["implied_vol"]), float(w["realised_vol"]), float(w["pnl"])
    ratio = f"{rv / iv:.1f}x implied ({rv:.0%} against {iv:.0%})" if iv > 0 else f"{rv:.0%}"
    when = _when(pd.Timestamp(w["entry_date"]), roll)
    if worst < 0:
        return f"{head} The worst, {when}, lost {abs(worst):,.1f} when realised volatility ran at {ratio}."
    return f"{head} Even the worst, {when}, made {worst:,.1f}; realised volatility ran at {ratio}."


def replay_takeaway(settings: Mapping[str, Any], rp: Replay, name: str) -> str:
    """One line reading a replay: P&L hedged and unhedged, realised against implied, theory.

    The theory figure is the replay's dollar-gamma sum times the variance gap,
    :math:`\\tfrac12\\sum\\Gamma S^2\\delta t\\,(\\sigma_r^2 - \\sigma_i^2)` (Carr and Madan 1998).
    """
    s = rp.summary()
    iv, rv = s["implied_vol"], s["realised_vol"]
    theory = rp.gamma_exposure() * (rv * rv - iv * iv)
    verb = "made" if s["pnl"] >= 0 else "lost"
    ratio = f", {rv / iv:.1f}x implied" if iv > 0 else ""
    return (
        f"Takeaway: {book_phrase(settings)} on {name}, entered on {s['start'].date().isoformat()} "
        f"at {iv:.1%} ({rp.volatility_label}) and hedged to {s['end'].date().isoformat()}, {verb} "
        f"{_points(s['pnl'])} ({s['unhedged_pnl']:+,.1f} unhedged, costs {s['costs']:,.1f}). "
        f"Realised volatility over its life was {rv:.1%}{ratio}; the gamma-weighted variance gap "
        f"predicts {theory:+,.1f}."
    )


# --------------------------------------------------------------------------------------------
# explanation helpers

_ATTRIBUTION_ORDER = ("delta", "gamma", "theta", "vega", "residual", "interest", "dividends", "costs", "entry")


def attribution_terms(attribution: pd.DataFrame) -> dict[str, np.ndarray]:
    """The cumulative explain columns worth drawing: every term that is not zero throughout
    (delta, gamma, theta and vega always), in a fixed order."""
    out: dict[str, np.ndarray] = {}
    for key in _ATTRIBUTION_ORDER:
        if key not in attribution.columns:
            continue
        values = attribution[key].to_numpy(dtype=float)
        if key in ("delta", "gamma", "theta", "vega") or np.any(np.abs(values) > 1e-12):
            out[key] = values
    return out


def theory_note(result: Replay | RollingResult) -> str:
    """How well the gamma-weighted variance gap explains this run, in one or two sentences."""
    if isinstance(result, RollingResult):
        t = result.trades
        pnl, theory = t["pnl"].to_numpy(float), t["theory_pnl"].to_numpy(float)
        text = (
            f"Across the {len(t)} trades the theory line has slope {result.theory_slope:,.0f}: "
            f"each 0.01 of implied minus realised variance (e.g. 20% implied against 17.3% "
            f"realised) is worth about {0.01 * result.theory_slope:+,.1f} per trade. The trades' own "
            f"theory P&L sums to {theory.sum():+,.1f} against {pnl.sum():+,.1f} measured"
        )
        if len(t) > 2 and np.std(pnl) > 0 and np.std(theory) > 0:
            text += f"; their correlation is {np.corrcoef(pnl, theory)[0, 1]:.2f}"
        return text + ". Costs, vega (the hedge volatility moving) and the discrete hedge make up the rest."
    s = result.summary()
    iv, rv = s["implied_vol"], s["realised_vol"]
    g = result.gamma_exposure()
    return (
        f"This trade's dollar-gamma sum is ½ΣΓS²Δt = {g:,.1f}; with {iv:.1%} implied at entry and "
        f"{rv:.1%} realised, theory gives {g * (rv * rv - iv * iv):+,.1f} against {s['pnl']:+,.1f} "
        "measured (costs, vega and the daily hedge make up the rest)."
    )
