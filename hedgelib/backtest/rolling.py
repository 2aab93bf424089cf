"""Rolling programmes: one trade repeated over a period, each entry an independent replay.

References
----------
Hull (2021), ch. 19; Carr, P. and Madan, D. (1998), "Towards a theory of volatility trading",
in *Volatility*, Risk Books.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from hedgelib.backtest.replay import PastDataEnd, Replay, TimeBasis, replay
from hedgelib.book import Book, OptionLeg, preset_book
from hedgelib.conventions import (
    MAX_STEPS,
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_int,
    check_positive_years,
    check_quantity,
    check_scalar,
    iso_date,
)
from hedgelib.hedging.setup import EVERY_STEP, NO_COSTS
from hedgelib.hedging.strategies import HedgeOption
from hedgelib.market.history import data_window, price_series
from hedgelib.theory import realised_gamma_pnl

__all__ = [
    "RollingResult",
    "rolling_programme",
]


_ROLLS = ("weekly", "monthly", "quarterly")


@dataclass(frozen=True, eq=False)
class RollingResult:
    """A trade repeated over a period: one replay per entry date.

    Attributes
    ----------
    trades : pandas.DataFrame
        One row per trade: ``entry_date``, ``expiry_date`` (last date of the replay),
        ``entry_spot``, ``exit_spot``, ``premium`` (holder's sign), ``implied_vol`` (the
        source's value at entry), ``realised_vol`` (zero-mean, over the life),
        ``variance_spread`` (implied² - realised²), ``pnl``, ``unhedged_pnl``, ``costs``,
        ``n_trades``, ``turnover``, the explain terms ``entry``, ``delta``, ``gamma``,
        ``theta``, ``vega``, ``residual``, ``interest``, ``dividends``, ``cost_<component>``
        (summing to ``pnl``), ``gamma_exposure`` (:math:`\\tfrac12\\sum\\Gamma S^2\\delta t`),
        ``theory_pnl`` (:math:`-\\text{gamma\\_exposure}\\times\\text{variance\\_spread}`) and
        ``gamma_pnl_realised`` (:func:`hedgelib.theory.realised_gamma_pnl` along the path).
    cumulative_pnl : pandas.Series
        Sum over trades of each trade's mark-to-market P&L by date (a finished trade keeps
        its final P&L), from the first entry to the last expiry.
    replays : tuple of Replay
        The trades themselves, for drilling into one.
    warnings : tuple of str
        Notes, e.g. entries skipped because their expiry is after the data end.
    volatility_label : str
        Where the volatility came from.
    """

    trades: pd.DataFrame
    cumulative_pnl: pd.Series
    replays: tuple[Replay, ...]
    warnings: tuple[str, ...] = field(default=())
    volatility_label: str = ""

    def __repr__(self) -> str:
        return (
            f"RollingResult(trades={len(self.trades)}, total_pnl={float(self.trades['pnl'].sum()):.6g}, "
            f"volatility={self.volatility_label!r})"
        )

    @property
    def theory_slope(self) -> float:
        """Slope of the theory line P&L = slope x (implied² - realised²): minus the mean
        gamma exposure of the trades."""
        return -float(self.trades["gamma_exposure"].mean())

    def variance_relation(self) -> pd.DataFrame:
        """P&L against implied minus realised variance, with the theory line.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``entry_date``: ``variance_spread`` :math:`x = \\sigma_i^2 - \\sigma_r^2`,
            ``pnl``, ``theory_pnl`` (per trade, its own gamma exposure times ``-x``),
            ``theory_line`` (``theory_slope * x``, one common slope) and ``gamma_exposure``.

        Notes
        -----
        A delta hedge at volatility :math:`\\sigma_i` earns to leading order
        :math:`\\tfrac12\\sum_t\\Gamma_t S_t^2(\\sigma_r^2 - \\sigma_i^2)\\,\\delta t`
        (:func:`hedgelib.theory.gamma_pnl`; Carr and Madan 1998): a short-gamma trade gains
        when implied exceeds realised variance, in proportion to its dollar gamma.
        """
        t = self.trades
        return pd.DataFrame(
            {
                "variance_spread": t["variance_spread"].to_numpy(),
                "pnl": t["pnl"].to_numpy(),
                "theory_pnl": t["theory_pnl"].to_numpy(),
                "theory_line": self.theory_slope * t["variance_spread"].to_numpy(),
                "gamma_exposure": t["gamma_exposure"].to_numpy(),
            },
            index=pd.DatetimeIndex(t["entry_date"], name="entry_date"),
        )

    def summary(self) -> dict[str, float]:
        """Totals and averages over the trades."""
        t = self.trades
        pnl = t["pnl"].to_numpy()
        return {
            "n_trades": float(len(t)),
            "total_pnl": float(pnl.sum()),
            "mean_pnl": float(pnl.mean()),
            "std_pnl": float(pnl.std(ddof=1)) if pnl.size > 1 else 0.0,
            "hit_rate": float((pnl > 0).mean()),
            "worst_pnl": float(pnl.min()),
            "best_pnl": float(pnl.max()),
            "total_unhedged_pnl": float(t["unhedged_pnl"].sum()),
            "total_costs": float(t["costs"].sum()),
            "mean_implied_vol": float(t["implied_vol"].mean()),
            "mean_realised_vol": float(t["realised_vol"].mean()),
        }


def _entry_rows(
    idx: pd.DatetimeIndex, i_lo: int, i_hi: int, roll: Any
) -> list[int]:
    if isinstance(roll, str):
        if roll not in _ROLLS:
            raise HedgeLibError(f"roll must be a number of rows or one of {list(_ROLLS)}, got {roll!r}")
        window = idx[i_lo : i_hi + 1]
        if roll == "weekly":
            key = window.to_period("W")
        elif roll == "monthly":
            key = window.to_period("M")
        else:
            key = window.to_period("Q")
        # the first close of each period in the range
        first = ~pd.Series(key).duplicated().to_numpy()
        return [i_lo + int(i) for i in np.nonzero(first)[0]]
    n = check_int(roll, "roll")
    return list(range(i_lo, i_hi + 1, n))


def _book_builder(
    book: Any, tenor: float | None, quantity: float, width: float
) -> Callable[[float], Book]:
    sign = 1.0 if quantity > 0 else -1.0
    size = abs(quantity)
    if isinstance(book, str):
        if tenor is None:
            raise HedgeLibError(f"tenor must be given with a preset book ({book!r}), got None")
        try:  # validate once, early
            preset_book(book, 100.0, tenor, width=width, quantity=size)
        except HedgeLibError as exc:
            raise HedgeLibError(f"book: {exc}") from None

        def build(spot: float) -> Book:
            b = preset_book(book, spot, tenor, width=width, quantity=size)
            return b if sign > 0 else b.scaled(-1.0)

        return build
    if isinstance(book, Book):
        if book.is_empty or not book.legs:
            raise HedgeLibError("book must hold at least one option leg, got none")
        if tenor is not None and abs(tenor - book.expiry) > 1e-12:
            raise HedgeLibError(
                f"tenor must be None or the template book's last expiry ({book.expiry!r}), got {tenor!r}"
            )
        template = book

        def build(spot: float) -> Book:
            legs = [
                OptionLeg(leg.kind, leg.strike * spot, leg.expiry, leg.quantity * quantity)
                for leg in template.legs
            ]
            return Book(legs, stock=template.stock * quantity)

        return build
    if callable(book):
        def build(spot: float) -> Book:
            b = book(spot)
            if not isinstance(b, Book):
                raise HedgeLibError(f"book(entry_spot) must return a Book, got {type(b).__name__}")
            if tenor is not None and abs(tenor - b.expiry) > 1e-12:
                raise HedgeLibError(
                    f"tenor must be None or the built book's last expiry ({b.expiry!r}), got {tenor!r}"
                )
            return b if quantity == 1.0 else b.scaled(quantity)

        return build
    raise HedgeLibError(
        f"book must be a preset name, a Book with strikes as moneyness, or a function of the "
        f"entry spot, got {book!r}"
    )


def rolling_programme(
    history: Any, book: str | Book | Callable[[float], Book], *, tenor: float | None = None,
    start: Any = None, end: Any = None,
    roll: int | Literal["weekly", "monthly", "quarterly"] = "monthly", hedge_volatility: Any = 0.2,
    quantity: float = 1.0, width: float = 0.10, rate: float = 0.0, dividend_yield: float = 0.0,
    rule: Any = EVERY_STEP, costs: Any = NO_COSTS, strategy: Any = "delta",
    hedge_option: HedgeOption | None = None, time_basis: TimeBasis = "trading",
    periods_per_year: int = TRADING_DAYS_PER_YEAR,
    progress: Callable[[int, int], Any] | None = None,
) -> RollingResult:
    """Repeat one trade over a period: enter at each roll date, hedge, hold to expiry.

    Parameters
    ----------
    history : PriceHistory or pandas.Series
        Closes on dates.
    book : str, Book or callable
        The trade, built afresh at each entry: a preset name of
        :func:`~hedgelib.book.preset_book` (at the money at the entry spot, strikes
        ``spot * (1 +- width)``); a Book whose strikes are fractions of the entry spot
        (``OptionLeg("put", 0.9, 0.25, 1.0)`` is a 3-month 90% put) and whose expiries are
        years from entry; or a function ``book(entry_spot) -> Book``.
    tenor : float, optional
        Years to expiry, required for a preset (``1 / 12`` for one month on the trading
        basis); for the other forms it defaults to the book's last expiry.
    start, end : date-like, optional
        Entry dates lie between them (inclusive); default the whole data. A trade runs to
        its expiry even past ``end``; trades whose expiry is after the data end are skipped
        (noted in ``warnings``).
    roll : int or {"weekly", "monthly", "quarterly"}, default "monthly"
        Enter every ``roll`` rows (trading days), or on the first close of each calendar
        week, month or quarter.
    hedge_volatility : float or volatility source, default 0.2
        As in :func:`~hedgelib.backtest.replay.replay`; its value at entry is the premium's
        volatility.
    quantity : float, default 1.0
        Signed size: -1 sells the book (a short straddle from ``"straddle"``).
    width : float, default 0.10
        Strike spacing of presets.
    rate, dividend_yield, rule, costs, strategy, hedge_option, time_basis, periods_per_year
        As in :func:`replay`.
    progress : callable, optional
        Called as ``progress(done, total)`` after each trade.

    Returns
    -------
    RollingResult

    Notes
    -----
    Each trade is an independent :func:`replay`; trades may overlap (rolling more often than
    the tenor). The P&L of a delta-hedged trade is about
    :math:`\\tfrac12\\sum\\Gamma S^2(\\sigma_r^2 - \\sigma_i^2)\\delta t` (Hull 2021, ch. 19;
    Carr and Madan 1998), shown per trade as ``theory_pnl`` and by
    :meth:`RollingResult.variance_relation`.

    Examples
    --------
    >>> from hedgelib.backtest import ImpliedVolSeries
    >>> from hedgelib.market.history import load_bundled
    >>> spx = load_bundled("sp500")
    >>> prog = rolling_programme(spx, "straddle", tenor=21 / 252, quantity=-1.0,
    ...                          start="2017-01-01", end="2017-06-30",
    ...                          hedge_volatility=ImpliedVolSeries())
    >>> len(prog.trades), prog.trades["entry_date"].iloc[0].date().isoformat()
    (6, '2017-01-03')
    """
    prices, name = price_series(history)
    q_size = check_scalar(quantity, "quantity", check_quantity)
    if q_size == 0.0:
        raise HedgeLibError("quantity must not be zero, got 0.0")
    ppy = check_int(periods_per_year, "periods_per_year", maximum=MAX_STEPS)
    if tenor is not None:
        tenor = check_scalar(tenor, "tenor", check_positive_years)
        # Shorter than one period, a trade would open and expire on the same close.
        if tenor * ppy < 1.0:
            raise HedgeLibError(f"tenor must be at least one period (1/{ppy} years), got {tenor!r}")
    build = _book_builder(book, tenor, q_size, width)
    if progress is not None and not callable(progress):
        raise HedgeLibError(f"progress must be callable(done, total), got {progress!r}")
    idx = prices.index
    lo, hi = data_window(idx, name, start, end)
    i_lo = int(idx.searchsorted(lo, side="left"))
    i_hi = int(idx.searchsorted(hi, side="right")) - 1
    if i_hi < i_lo:
        raise HedgeLibError(f"no close of {name} between {iso_date(lo)} and {iso_date(hi)}")
    rows = _entry_rows(idx, i_lo, i_hi, roll)
    values = prices.to_numpy(dtype=np.float64)
    replays: list[Replay] = []
    notes: list[str] = []
    skipped: list[pd.Timestamp] = []
    total = len(rows)
    for done, i in enumerate(rows, start=1):
        b = build(float(values[i]))
        try:
            rp = replay(
                prices, b, start=idx[i], hedge_volatility=hedge_volatility, rate=rate,
                dividend_yield=dividend_yield, rule=rule, costs=costs, strategy=strategy,
                hedge_option=hedge_option, time_basis=time_basis, periods_per_year=periods_per_year,
            )
        except PastDataEnd:
            # only a trade that runs past the data end is skipped; every other error stands
            skipped.append(idx[i])
        else:
            replays.append(rp)
            notes.extend(rp.warnings)
        if progress is not None:
            progress(done, total)
    if skipped:
        notes.append(
            f"{len(skipped)} entr{'y' if len(skipped) == 1 else 'ies'} from {iso_date(skipped[0])} "
            f"skipped: the trade would expire after the data end ({iso_date(idx[-1])})"
        )
    if not replays:
        raise HedgeLibError(
            f"no trade of the programme fits in the data of {name}: entries from {iso_date(idx[i_lo])} "
            f"to {iso_date(idx[i_hi])} all expire after {iso_date(idx[-1])}; a shorter tenor or an earlier "
            f"start would fit"
        )
    table = pd.DataFrame([_trade_row(rp) for rp in replays])
    curves = []
    for rp in replays:
        curves.append(rp.ledger["pnl"])
    span = idx[idx.get_loc(replays[0].start) : idx.get_loc(max(rp.end for rp in replays)) + 1]
    cum = np.zeros(len(span))
    for c in curves:
        cur = c.reindex(span)
        # before entry a trade contributes nothing; after expiry its final P&L stays
        cur = cur.ffill().fillna(0.0)
        cum += cur.to_numpy()
    cumulative = pd.Series(cum, index=pd.DatetimeIndex(span, name="date"), name="cumulative_pnl")
    label = replays[0].volatility_label
    return RollingResult(
        trades=table,
        cumulative_pnl=cumulative,
        replays=tuple(replays),
        warnings=tuple(notes),
        volatility_label=label,
    )


def _trade_row(rp: Replay) -> dict[str, Any]:
    res = rp.result
    iv = float(rp.volatility.iloc[0])
    rv = rp.realised_volatility()
    g_exp = rp.gamma_exposure()
    spread = iv * iv - rv * rv
    led = rp.ledger
    row: dict[str, Any] = {
        "entry_date": rp.start,
        "expiry_date": rp.end,
        "entry_spot": float(led["spot"].iloc[0]),
        "exit_spot": float(led["spot"].iloc[-1]),
        "premium": res.premium,
        "implied_vol": iv,
        "realised_vol": rv,
        "variance_spread": spread,
        "pnl": float(res.pnl[0]),
        "unhedged_pnl": float(res.unhedged_pnl[0]),
        "costs": float(res.costs[0]),
        "n_trades": int(res.n_trades[0]),
        "turnover": float(res.turnover[0]),
    }
    for k, v in res.explain.items():
        row[k] = float(v[0])
    row["gamma_exposure"] = g_exp
    row["theory_pnl"] = -g_exp * spread
    row["gamma_pnl_realised"] = float(
        realised_gamma_pnl(
            rp.gamma.to_numpy()[:-1], led["spot"].to_numpy(), rp.volatility.to_numpy()[:-1],
            led["time"].to_numpy(),
        )
    )
    return row
