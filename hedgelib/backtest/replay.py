"""Hedging on real history: replay one book over a price series, and rolling programmes.

The hedging engine (:func:`~hedgelib.hedging.engine.simulate_hedge`) runs unchanged: a
historical series is one path. This module turns dates into a time grid, chooses the
volatility used for the premium and the deltas on each date, and dates the engine's output.

Time
----
``time_basis="trading"`` (the default) puts row ``i`` of the series at ``i /
periods_per_year`` years after the start (252 for daily closes, 52 for weekly ones), the
convention of Hull (ch. 15) for volatility measured on trading days. ``"calendar"`` uses
actual/365 from the dates. A book's expiries are in years from the start date on that
basis; a leg expiring between two closes settles at the first close at or after its expiry.

Volatility sources
------------------
Small frozen specs, each answering "which volatility on each of these dates, knowing only
what was known then?": :class:`ConstantVol`, :class:`ImpliedVolSeries` (the bundled VIX for
the S&P 500, or a user's series), :class:`RealisedVol` (trailing window) and
:class:`GarchVol` (GARCH(1,1) refitted as of each date, no look-ahead).

References
----------
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed. (2021), ch. 15, 19, 23.
Bollerslev, T. (1986), "Generalized autoregressive conditional heteroskedasticity",
*Journal of Econometrics* 31(3). Carr, P. and Madan, D. (1998), "Towards a theory of
volatility trading", in *Volatility*, Risk Books (the P&L of a delta hedge as gamma-weighted
implied minus realised variance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from hedgelib.backtest.vol_sources import as_volatility_source
from hedgelib.book import Book
from hedgelib.conventions import (
    CALENDAR_DAYS_PER_YEAR,
    EXPIRY_TOLERANCE,
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_choice,
    check_date,
    check_int,
    check_positive,
    check_rate,
    check_scalar,
    iso_date,
)
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.hedging.result import HedgeResult
from hedgelib.hedging.setup import EVERY_STEP, NO_COSTS, HedgeSetup
from hedgelib.hedging.strategies import HedgeOption
from hedgelib.market.history import price_series, start_row
from hedgelib.market.paths import Paths

__all__ = [
    "ATTRIBUTION_OVER_TIME_COLUMNS",
    "PastDataEnd",
    "Replay",
    "TimeBasis",
    "replay",
]


TimeBasis = Literal["trading", "calendar"]


#: Columns of :attr:`Replay.attribution_over_time` (cumulative, in currency).
ATTRIBUTION_OVER_TIME_COLUMNS: tuple[str, ...] = (
    "entry",
    "delta",
    "gamma",
    "theta",
    "vega",
    "residual",
    "interest",
    "dividends",
    "costs",
    "pnl",
)


class PastDataEnd(HedgeLibError):
    """A trade that would need closes after the data end (a rolling programme skips it)."""


@dataclass(frozen=True, eq=False)
class Replay:
    """The hedge of one book over one stretch of real history.

    Attributes
    ----------
    result : HedgeResult
        The engine's result on the one path (``result.pnl[0]`` is the P&L).
    ledger : pandas.DataFrame
        One row per date (index ``date``): ``time`` (years), ``spot``, ``volatility`` (used
        for the deltas), ``stock`` (hedge shares held after the day's trade),
        ``stock_trade``, ``cash`` (after the trade, interest included), ``book_value``
        (live legs at the hedge volatility, plus the book's stock), ``pnl`` (mark-to-market
        P&L so far, premium included), ``costs`` (cumulative); with a hedge option also
        ``option``, ``option_trade``, ``option_price``. The last row is after liquidation.
    trades : pandas.DataFrame
        One row per hedge trade: ``date``, ``shares`` (signed), ``price``, ``notional``,
        ``cost``, ``position`` (shares after); with a hedge option also ``options``,
        ``option_price``, ``option_position``.
    attribution_over_time : pandas.DataFrame
        Cumulative greek explain by date (:data:`ATTRIBUTION_OVER_TIME_COLUMNS`): ``delta``
        :math:`\\sum\\Delta\\,\\delta S`, ``gamma`` :math:`\\sum\\tfrac12\\Gamma\\,\\delta S^2`,
        ``theta`` :math:`\\sum\\Theta\\,\\delta t`, ``vega`` :math:`\\sum\\mathcal V\\,\\delta
        \\sigma`, ``residual``, ``interest``, ``dividends``, ``costs`` (negative) and
        ``entry``; each row sums to ``pnl``, and the last row equals ``result.explain``.
    volatility : pandas.Series
        The hedge volatility on each date.
    gamma : pandas.Series
        Gamma of the whole position (book plus hedge options) after each date's trade.
    book : Book
        The book, expiries in years from ``start``.
    start, end : pandas.Timestamp
        First and last dates of the replay.
    time_basis : {"trading", "calendar"}
    volatility_label : str
        Where the volatility came from, for display.
    warnings : tuple of str
        Notes from the volatility source (e.g. a GARCH refit accepted without a clean
        optimizer convergence).
    """

    result: HedgeResult
    ledger: pd.DataFrame
    trades: pd.DataFrame
    attribution_over_time: pd.DataFrame
    volatility: pd.Series
    gamma: pd.Series
    book: Book
    start: pd.Timestamp
    end: pd.Timestamp
    time_basis: str
    volatility_label: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def pnl(self) -> float:
        """Final P&L of book plus hedge, premium included."""
        return float(self.result.pnl[0])

    def __repr__(self) -> str:
        return (
            f"Replay({iso_date(self.start)}..{iso_date(self.end)}, steps={self.result.n_steps}, "
            f"premium={self.result.premium:.6g}, pnl={self.pnl:.6g})"
        )

    def realised_volatility(self) -> float:
        """Realised volatility over the replay, zero mean: :math:`\\sqrt{\\sum r_i^2 / T}`.

        With ``T`` the replay's length in years (``result.horizon``) on its time basis.
        """
        s = self.ledger["spot"].to_numpy()
        r = np.diff(np.log(s))
        return math.sqrt(float(np.sum(r * r)) / self.result.horizon)

    def gamma_exposure(self) -> float:
        """:math:`\\tfrac12\\sum_i \\Gamma_i S_i^2\\,\\delta t_i`: P&L per unit of realised minus
        implied variance (:func:`hedgelib.theory.gamma_pnl` summed over the steps)."""
        g = self.gamma.to_numpy()[:-1]
        s = self.ledger["spot"].to_numpy()[:-1]
        dt = np.diff(self.ledger["time"].to_numpy())
        return float(0.5 * np.sum(g * s * s * dt))

    def summary(self) -> dict[str, Any]:
        """Headline figures: dates, premium, P&L, unhedged P&L, costs, trades, volatilities."""
        res = self.result
        return {
            "start": self.start,
            "end": self.end,
            "entry_spot": float(self.ledger["spot"].iloc[0]),
            "exit_spot": float(self.ledger["spot"].iloc[-1]),
            "premium": res.premium,
            "pnl": self.pnl,
            "unhedged_pnl": float(res.unhedged_pnl[0]),
            "costs": float(res.costs[0]),
            "n_trades": int(res.n_trades[0]),
            "turnover": float(res.turnover[0]),
            "implied_vol": float(self.volatility.iloc[0]),
            "realised_vol": self.realised_volatility(),
        }


def _locate_range(
    prices: pd.Series, name: str, start: Any, end: Any, expiry: float, time_basis: str, ppy: int,
) -> tuple[int, int]:
    """Rows of the first and last date of a replay."""
    idx = prices.index
    last = idx[-1]
    i0 = start_row(idx, name, start)
    if i0 >= len(idx) - 1:
        raise PastDataEnd(
            f"start {iso_date(idx[i0])} leaves no later close of {name} to hedge on (the data end on {iso_date(last)})"
        )
    d_start = idx[i0]
    if end is not None:
        d1 = check_date(end, "end")
        if d1 > last:
            raise HedgeLibError(
                f"end must not be after the data end ({iso_date(last)}), got {iso_date(d1)}"
            )
        i1 = int(idx.searchsorted(d1, side="right")) - 1
        if i1 <= i0:
            raise HedgeLibError(
                f"the range from start={iso_date(d_start)} to end={iso_date(d1)} holds no later close of "
                f"{name}: nothing to hedge"
            )
        return i0, i1
    if expiry <= 0:
        raise HedgeLibError("end must be given for a book with no option legs, got None")
    if time_basis == "trading":
        n = int(math.ceil(expiry * ppy - 1e-9))
        i1 = i0 + n
        if i1 > len(idx) - 1:
            short = i1 - (len(idx) - 1)
            raise PastDataEnd(
                f"book expires {n} trading days after start ({iso_date(d_start)}) at "
                f"periods_per_year={ppy}, but the data of "
                f"{name} end on {iso_date(last)}: {short} more trading day(s) of data are missing"
            )
        return i0, i1
    days = (idx[i0:] - d_start).days.to_numpy() / CALENDAR_DAYS_PER_YEAR
    after = np.nonzero(days >= expiry - EXPIRY_TOLERANCE)[0]
    if after.size == 0:
        expiry_date = d_start + pd.Timedelta(days=expiry * CALENDAR_DAYS_PER_YEAR)
        missing = (expiry_date.normalize() - last).days
        raise PastDataEnd(
            f"book expires on {iso_date(expiry_date)} ({expiry:.6g} years after {iso_date(d_start)}), but "
            f"the data of {name} end on {iso_date(last)}: about {missing} calendar day(s) of data are missing"
        )
    return i0, i0 + int(after[0])






# Cumulative explain columns the engine records for a replayed path.
_EXPLAIN_COLUMNS = ("explain_delta", "explain_gamma", "explain_theta", "explain_vega",
                    "interest", "dividends")


def _attribution_over_time(frame: pd.DataFrame, entry: float) -> pd.DataFrame:
    """The engine's recorded explain by date; the residual closes each row onto its P&L."""
    cols = {k: frame[f"explain_{k}"].to_numpy() for k in ("delta", "gamma", "theta", "vega")}
    interest = frame["interest"].to_numpy()
    dividends = frame["dividends"].to_numpy()
    costs = -frame["costs"].to_numpy()
    pnl = frame["pnl"].to_numpy()
    greeks = cols["delta"] + cols["gamma"] + cols["theta"] + cols["vega"]
    residual = pnl - entry - interest - dividends - costs - greeks
    return pd.DataFrame(
        {"entry": np.full(pnl.size, entry), **cols, "residual": residual, "interest": interest,
         "dividends": dividends, "costs": costs, "pnl": pnl},
        index=frame.index,
    )


def replay(
    history: Any, book: Book, *, start: Any, end: Any = None, hedge_volatility: Any = 0.2,
    pricing_volatility: float | None = None, rate: float = 0.0, dividend_yield: float = 0.0,
    rule: Any = EVERY_STEP, costs: Any = NO_COSTS, strategy: Any = "delta",
    hedge_option: HedgeOption | None = None, time_basis: TimeBasis = "trading",
    periods_per_year: int = TRADING_DAYS_PER_YEAR,
) -> Replay:
    """Hedge one book over real closes, from ``start`` to its last expiry (or ``end``).

    Parameters
    ----------
    history : PriceHistory or pandas.Series
        Closes on dates (oldest first). The series is one path of the engine.
    book : Book
        The position, entered at the close of ``start``; leg expiries are in years from
        ``start`` on the chosen time basis.
    start : date-like
        First date; a non-trading day moves to the next close.
    end : date-like, optional
        Last date (the last close on or before it). Default: the first close at or after
        the book's last expiry, which must lie within the data.
    hedge_volatility : float or volatility source, default 0.2
        Volatility for the deltas and the marks on each date: a number (constant),
        :class:`ConstantVol`, :class:`ImpliedVolSeries`, :class:`RealisedVol`,
        :class:`GarchVol`, or any object with the same ``volatility_on`` method.
    pricing_volatility : float, optional
        Volatility of the premium; default the source's value on ``start``.
    rate, dividend_yield : float, default 0.0
        Continuously compounded, decimal: cash earns ``rate``; stock held earns the yield.
    rule, costs, strategy, hedge_option
        As in :class:`~hedgelib.hedging.setup.HedgeSetup`.
    time_basis : {"trading", "calendar"}, default "trading"
        ``"trading"``: row ``i`` after the start is ``i / periods_per_year`` years;
        ``"calendar"``: actual/365 from the dates.
    periods_per_year : int, default 252
        Rows per year on the trading basis (52 for weekly closes).

    Returns
    -------
    Replay
        The engine's :class:`~hedgelib.hedging.result.HedgeResult` plus the dated ledger,
        the trade log, the attribution over time and the volatility used.

    Raises
    ------
    HedgeLibError
        Dates outside the data, an empty range, a book expiring after the data end (with how
        much data is missing), too little history for the volatility source.

    Notes
    -----
    The engine's bookkeeping (Hull 2021, ch. 19): the book is bought at its value at the
    pricing volatility, the hedge is set at each close to the strategy's target when the
    rule says so, cash earns :math:`e^{r\\delta t} - 1` per step, legs settle at their payoff
    and the hedge is liquidated at the end. The attribution over time accumulates the
    engine's explain step by step, :math:`\\Delta\\,\\delta S + \\tfrac12\\Gamma\\,\\delta S^2
    + \\Theta\\,\\delta t + \\mathcal V\\,\\delta\\sigma` plus a residual, so that each date's
    row sums to the mark-to-market P&L of that date.

    Examples
    --------
    >>> from hedgelib.book import OptionLeg
    >>> from hedgelib.backtest import ImpliedVolSeries
    >>> from hedgelib.market.history import load_bundled
    >>> spx = load_bundled("sp500")
    >>> book = Book([OptionLeg("call", 2800.0, 21 / 252, -1.0)])
    >>> rp = replay(spx, book, start="2018-02-01", hedge_volatility=ImpliedVolSeries())
    >>> rp.end.date().isoformat(), len(rp.ledger)
    ('2018-03-05', 22)
    >>> bool(abs(rp.attribution_over_time.iloc[-1, :-1].sum() - rp.pnl) < 1e-6)
    True
    """
    prices, name = price_series(history)
    if not isinstance(book, Book):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    if book.is_empty:
        raise HedgeLibError("book must hold at least one option leg or some stock, got an empty book")
    check_choice(time_basis, "time_basis", ("trading", "calendar"))
    ppy = check_int(periods_per_year, "periods_per_year")
    source = as_volatility_source(hedge_volatility)
    r = check_scalar(rate, "rate", check_rate)
    q = check_scalar(dividend_yield, "dividend_yield", check_rate)
    expiry = max((float(leg.expiry) for leg in book.legs), default=0.0)
    i0, i1 = _locate_range(prices, name, start, end, expiry, time_basis, ppy)
    dates = prices.index[i0 : i1 + 1]
    spot = prices.to_numpy(dtype=np.float64)[i0 : i1 + 1]
    if time_basis == "trading":
        times = np.arange(i1 - i0 + 1, dtype=np.float64) / ppy
    else:
        times = (dates - dates[0]).days.to_numpy().astype(np.float64) / CALENDAR_DAYS_PER_YEAR
    vol_series = source.volatility_on(prices, dates, remaining_years=np.maximum(expiry - times, 0.0))
    if not isinstance(vol_series, pd.Series) or len(vol_series) != len(dates):
        raise HedgeLibError(f"volatility source {source!r} must give one value per date")
    source_notes = tuple(vol_series.attrs.get("warnings", ()))
    sig = check_positive(vol_series.to_numpy(dtype=np.float64, na_value=np.nan), "volatility")
    vol_series = pd.Series(sig, index=pd.DatetimeIndex(dates, name="date"), name="volatility")

    paths = Paths(times=times, spot=spot.reshape(-1, 1))
    setup = HedgeSetup(sig, pricing_volatility, r, q, strategy, rule, costs, hedge_option)
    res = simulate_hedge(book, paths, setup=setup, record_paths=1)
    frame = res.steps.drop(columns=["path", "step"]).set_index(pd.DatetimeIndex(dates, name="date"))
    uses_option = bool(np.any(frame["option"].to_numpy() != 0.0))
    ledger = frame.drop(columns=["gamma", *_EXPLAIN_COLUMNS])
    if not uses_option:
        ledger = ledger.drop(columns=["option", "option_trade", "option_price", "option_strike",
                                      "option_expiry"])
    attribution = _attribution_over_time(frame, float(res.explain["entry"][0]))

    step_cost = np.diff(np.concatenate(([0.0], ledger["costs"].to_numpy())))
    traded = ledger["stock_trade"].to_numpy() != 0.0
    if uses_option:
        traded |= ledger["option_trade"].to_numpy() != 0.0
    trades = pd.DataFrame(
        {
            "date": dates[traded],
            "shares": ledger["stock_trade"].to_numpy()[traded],
            "price": spot[traded],
            "notional": ledger["stock_trade"].to_numpy()[traded] * spot[traded],
            "cost": step_cost[traded],
            "position": ledger["stock"].to_numpy()[traded],
        }
    )
    if uses_option:
        trades["options"] = ledger["option_trade"].to_numpy()[traded]
        trades["option_price"] = ledger["option_price"].to_numpy()[traded]
        trades["option_position"] = ledger["option"].to_numpy()[traded]
    return Replay(
        result=res,
        ledger=ledger,
        trades=trades,
        attribution_over_time=attribution,
        volatility=vol_series,
        gamma=frame["gamma"].rename("gamma"),
        book=book,
        start=dates[0],
        end=dates[-1],
        time_basis=time_basis,
        volatility_label=str(getattr(source, "label", type(source).__name__)),
        warnings=source_notes,
    )
