"""Stress grids and historical value at risk of an option book, hedged and unhedged.

Two questions a risk desk asks of a book:

- **Stress test**: what does the book lose if spot jumps by x% and implied volatility by y
  points, right now? :func:`stress_grid` revalues the book, and the book plus a static hedge
  set up before the shock, on a grid of relative spot shocks x absolute volatility shocks,
  by full revaluation, with the second-order greek approximation beside it for comparison.
- **Historical simulation**: what would the book lose over the next ``h`` days if the
  underlying moved as it did over each ``h``-day window of its own past?
  :func:`historical_var` answers with the scenario P&Ls, their value at risk and expected
  shortfall, for the book and the hedged position.

The hedge
---------
The hedge is *static through the shock*: it is set at today's spot and volatility, as a
hedger would hold it going into the move, then kept while the market jumps. It is one of the
engine's strategies (:mod:`hedgelib.hedging.strategies`): ``"none"``; ``"delta"``, shares
:math:`x = -\\Delta_{book}`; ``"delta-gamma"`` or ``"delta-vega"``, :math:`u` units of one
listed option (:class:`~hedgelib.hedging.strategies.HedgeOption`, struck at ``moneyness x
spot`` with ``tenor`` years to run) chosen to cancel gamma or vega, then shares to cancel the
remaining delta (Hull 2021, ch. 19). The *hedged position* is the book plus the hedge, itself
a :class:`~hedgelib.book.Book`, so the same Black-Scholes-Merton revaluation applies to both.

P&L is the mark-to-market change in value, holder's view (a loss is negative); financing of
the hedge and dividends over the horizon are not included, as on a trader's risk ladder.
VaR and ES are positive losses (:mod:`hedgelib.risk`).

References
----------
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed., Pearson (2021), ch. 19
("The Greek letters": delta, gamma and vega hedging; Taylor series expansions) and ch. 22
("Value at risk and expected shortfall": historical simulation, the quadratic model).
Hull, J. C., *Risk Management and Financial Institutions*, 5th ed., Wiley (2018), ch. 13
("Historical simulation and extreme value theory") and ch. 14 (model building, the
delta-gamma approximation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hedgelib._typing import ArrayLike, FloatArray
from hedgelib.book import Book, OptionLeg
from hedgelib.conventions import (
    TRADING_DAYS_PER_YEAR,
    HedgeLibError,
    check_finite,
    check_in_range,
    check_int,
    check_positive,
    check_positive_volatility,
    check_price,
    check_rate,
    check_scalar,
    check_years,
)
from hedgelib.hedging.setup import as_strategy
from hedgelib.hedging.strategies import HedgeOption, HedgeState
from hedgelib.market.history import PriceHistory
from hedgelib.risk import expected_shortfall, value_at_risk

__all__ = [
    "HistoricalVaR",
    "StaticHedge",
    "StressGrid",
    "historical_var",
    "static_hedge",
    "stress_grid",
]


# --------------------------------------------------------------------------------------------
# private helpers


def _shocks(values: Any, name: str) -> FloatArray:
    arr = check_finite(values, name)
    if arr.ndim != 1 or arr.size == 0:
        raise HedgeLibError(f"{name} must be a non-empty 1-D sequence, got shape {arr.shape}")
    return arr


def _check_book(book: Any) -> Book:
    if not isinstance(book, Book):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    book._require_content()
    return book


def _position_value(position: Book, s: Any, sigma: Any, t: Any, r: float, q: float) -> np.ndarray:
    """Value of a position; an empty one (a stock-only book whose delta hedge sold the
    stock) is worth nothing rather than an error."""
    if position.is_empty:
        return np.zeros(np.broadcast_shapes(np.shape(s), np.shape(sigma), np.shape(t)))
    return np.asarray(position.value(s, sigma, time=t, rate=r, dividend_yield=q), dtype=float)


# --------------------------------------------------------------------------------------------
# the static hedge


@dataclass(frozen=True)
class StaticHedge:
    """A hedge set up once and held through a shock.

    Attributes
    ----------
    strategy : str
        Name of the strategy that chose it (``"none"``, ``"delta"``, ``"delta-gamma"``,
        ``"delta-vega"`` or a custom strategy's ``name``).
    stock : float
        Shares of the underlying added by the hedge (signed).
    option : OptionLeg or None
        The hedge option position (quantity = units held), or None when the strategy uses
        none or holds none of it.
    position : Book
        Book plus hedge: the hedged position.
    """

    strategy: str
    stock: float
    option: OptionLeg | None
    position: Book

    def describe(self) -> str:
        """One line, e.g. ``"delta hedge: -0.5400 shares"``."""
        text = f"{self.strategy} hedge: {self.stock:+.4f} shares"
        if self.option is not None:
            o = self.option
            text += f", {o.quantity:+.4f} {o.kind} K={o.strike:.4g} expiring at {o.expiry:.4g} y"
        return text


def static_hedge(
    book: Book, *, spot: float, volatility: float, rate: float = 0.0, dividend_yield: float = 0.0,
    time: float = 0.0, strategy: Any = "delta", hedge_option: HedgeOption | None = None,
) -> StaticHedge:
    """The hedge a strategy holds at one instant, and the hedged position it makes.

    Parameters
    ----------
    book : Book
        Non-empty book.
    spot : float
        Underlying price, > 0.
    volatility : float
        Volatility of the greeks (decimal), > 0.
    rate, dividend_yield : float, default 0.0
        Continuously compounded.
    time : float, default 0.0
        Years elapsed since the book's today (legs age accordingly), >= 0.
    strategy : str or Strategy, default "delta"
        ``"none"``, ``"delta"``, ``"delta-gamma"``, ``"delta-vega"``, or a strategy object
        (anything with ``target(state)``, see :mod:`hedgelib.hedging.strategies`).
    hedge_option : HedgeOption, optional
        The listed option of the delta-gamma and delta-vega hedges; default an at-the-money
        call with three months to run. Ignored by strategies without one.

    Returns
    -------
    StaticHedge

    Notes
    -----
    Delta-gamma: :math:`u = -\\Gamma_{book}/\\Gamma_{opt}`, :math:`x = -(\\Delta_{book} +
    u\\Delta_{opt})`; delta-vega likewise with vega (Hull 2021, ch. 19). The option is struck
    at ``moneyness * spot`` and expires ``tenor`` years after ``time``.

    Examples
    --------
    >>> from hedgelib.book import preset_book
    >>> h = static_hedge(preset_book("short_call", 100.0, 0.25), spot=100.0, volatility=0.2)
    >>> round(h.stock, 4)
    0.5199
    """
    book = _check_book(book)
    s = check_scalar(spot, "spot", check_price)
    sigma = check_scalar(volatility, "volatility", check_positive_volatility)
    r = check_scalar(rate, "rate", check_rate)
    q = check_scalar(dividend_yield, "dividend_yield", check_rate)
    t = check_scalar(time, "time", check_years)
    strategy = as_strategy(strategy)
    name = str(getattr(strategy, "name", type(strategy).__name__))
    uses_option = bool(getattr(strategy, "uses_option", False))

    g = book.greeks(s, sigma, time=t, rate=r, dividend_yield=q)
    state = HedgeState(
        step=0, time=t, spot=np.array([s]), volatility=sigma,
        book_delta=np.array([float(g.delta)]), book_gamma=np.array([float(g.gamma)]),
        book_vega=np.array([float(g.vega)]), stock=np.zeros(1), option=np.zeros(1),
        time_to_expiry=max(book.expiry - t, 0.0) if book.legs else 0.0,
    )
    unit = None
    if uses_option:
        spec = HedgeOption() if hedge_option is None else hedge_option
        if not isinstance(spec, HedgeOption):
            raise HedgeLibError(f"hedge_option must be a HedgeOption, got {spec!r}")
        unit = OptionLeg(spec.kind, spec.moneyness * s, t + spec.tenor, 1.0)
        og = unit.greeks(s, sigma, time=t, rate=r, dividend_yield=q)
        state.option_delta = np.array([float(og.delta)])
        state.option_gamma = np.array([float(og.gamma)])
        state.option_vega = np.array([float(og.vega)])
        state.option_price = np.array([float(unit.value(s, sigma, time=t, rate=r, dividend_yield=q))])
    x, u = strategy.target(state)
    x = float(np.asarray(x, dtype=float).reshape(-1)[0])
    u = float(np.asarray(u, dtype=float).reshape(-1)[0])
    if not (np.isfinite(x) and np.isfinite(u)):
        raise HedgeLibError(f"the {name} hedge is not finite here (stock {x!r}, option {u!r})")
    legs = list(book.legs)
    option = None
    if unit is not None and u != 0.0:
        option = OptionLeg(unit.kind, unit.strike, unit.expiry, u)
        legs.append(option)
    return StaticHedge(strategy=name, stock=x, option=option, position=Book(legs, book.stock + x))


# --------------------------------------------------------------------------------------------
# stress grid


@dataclass(frozen=True)
class StressGrid:
    """Result of :func:`stress_grid`: P&L over spot shocks x volatility shocks.

    Every frame has index ``spot_shock`` (relative, 0.1 = +10%) and columns ``vol_shock``
    (absolute, decimal: 0.05 = +5 vol points); values are P&L in currency, holder's view.

    Attributes
    ----------
    book, hedged : pandas.DataFrame
        Full revaluation of the book, and of the book plus its static hedge.
    book_approx, hedged_approx : pandas.DataFrame
        The second-order greek approximation of the same P&Ls.
    hedge : StaticHedge
        The hedge held through the shock.
    spot, volatility, horizon : float
        The base market and the years over which the shock plays out.
    """

    book: pd.DataFrame
    hedged: pd.DataFrame
    book_approx: pd.DataFrame
    hedged_approx: pd.DataFrame
    hedge: StaticHedge
    spot: float
    volatility: float
    horizon: float

    def worst(self, which: str = "book") -> tuple[float, float, float]:
        """``(loss, spot_shock, vol_shock)`` of the worst cell of ``"book"`` or ``"hedged"``
        (full revaluation); the loss is positive when the cell loses money."""
        if which not in ("book", "hedged"):
            raise HedgeLibError(f"which must be 'book' or 'hedged', got {which!r}")
        frame = getattr(self, which)
        values = frame.to_numpy()
        i, j = np.unravel_index(int(np.argmin(values)), values.shape)
        return float(-values[i, j]), float(frame.index[i]), float(frame.columns[j])


def stress_grid(
    book: Book, *, spot: float, volatility: float, rate: float = 0.0, dividend_yield: float = 0.0,
    spot_shocks: ArrayLike, vol_shocks: ArrayLike, time: float = 0.0, horizon: float = 0.0,
    strategy: Any = "delta", hedge_option: HedgeOption | None = None,
) -> StressGrid:
    """P&L of the book and of its static hedge under spot and volatility shocks.

    Parameters
    ----------
    book : Book
        Non-empty book.
    spot : float
        Underlying price before the shock, > 0.
    volatility : float
        Implied volatility before the shock (decimal), > 0.
    rate, dividend_yield : float, default 0.0
        Continuously compounded, not shocked.
    spot_shocks : array_like, shape (n_spot,)
        Relative spot moves, each > -1: the shocked spot is ``spot * (1 + shock)``.
    vol_shocks : array_like, shape (n_vol,)
        Absolute volatility moves, decimal (0.05 is +5 vol points); ``volatility + shock``
        must stay >= 0.
    time : float, default 0.0
        Years elapsed since the book's today at which it is stressed, >= 0.
    horizon : float, default 0.0
        Years over which the shock plays out, >= 0: legs age by ``horizon`` (0 is an
        instantaneous shock).
    strategy : str or Strategy, default "delta"
        The static hedge (see :func:`static_hedge`).
    hedge_option : HedgeOption, optional
        The hedge option of ``"delta-gamma"`` and ``"delta-vega"``.

    Returns
    -------
    StressGrid
        Frames of shape ``(n_spot, n_vol)``.

    Notes
    -----
    Full revaluation (Hull 2021, ch. 22): with :math:`S' = S(1 + \\delta_S)`,
    :math:`\\sigma' = \\sigma + \\delta_\\sigma`, :math:`h` the horizon,

    .. math:: \\Pi(\\delta_S, \\delta_\\sigma) = V(S', \\sigma', t + h) - V(S, \\sigma, t).

    The greek approximation is the second-order Taylor expansion in spot and volatility
    (the delta-gamma-vega approximation with its vanna and volga terms) plus theta, with
    greeks taken before the shock, :math:`\\delta S = S\\delta_S`:

    .. math:: \\Pi \\approx \\Delta\\,\\delta S + \\tfrac12\\Gamma\\,\\delta S^2
              + \\mathcal V\\,\\delta_\\sigma + \\mathrm{vanna}\\,\\delta S\\,\\delta_\\sigma
              + \\tfrac12\\,\\mathrm{volga}\\,\\delta_\\sigma^2 + \\Theta\\,h.

    Its error is third order in the shocks (plus :math:`O(h\\,\\delta)` cross terms), so the
    two agree for small moves and part for large ones, where the gap shows what the greeks
    miss. The hedged position is a book too, so the same formulas apply to it; its delta is
    zero, so its P&L starts flat in spot.

    Examples
    --------
    >>> from hedgelib.book import preset_book
    >>> g = stress_grid(preset_book("short_straddle", 100.0, 0.25), spot=100.0, volatility=0.2,
    ...                 spot_shocks=[-0.1, 0.0, 0.1], vol_shocks=[0.0, 0.05])
    >>> float(g.book.loc[0.0, 0.0]), round(float(g.hedged.loc[-0.1, 0.0]), 4)
    (0.0, -3.848)
    """
    book = _check_book(book)
    s0 = check_scalar(spot, "spot", check_price)
    sigma0 = check_scalar(volatility, "volatility", check_positive_volatility)
    r = check_scalar(rate, "rate", check_rate)
    q = check_scalar(dividend_yield, "dividend_yield", check_rate)
    t = check_scalar(time, "time", check_years)
    h = check_scalar(horizon, "horizon", check_years)
    ds = _shocks(spot_shocks, "spot_shocks")
    dv = _shocks(vol_shocks, "vol_shocks")
    bad = ds <= -1.0
    if bad.any():
        raise HedgeLibError(
            f"spot_shocks must be greater than -1 (a -100% move leaves no price), got "
            f"{float(ds[bad][0])!r}"
        )
    low = sigma0 + dv < 0.0
    if low.any():
        raise HedgeLibError(
            f"vol_shocks must keep the volatility non-negative: volatility {sigma0:g} + shock "
            f"{float(dv[low][0])!r} is negative"
        )
    hedge_result = static_hedge(
        book, spot=s0, volatility=sigma0, rate=r, dividend_yield=q, time=t, strategy=strategy,
        hedge_option=hedge_option,
    )
    s_new = s0 * (1.0 + ds)[:, None]
    sigma_new = (sigma0 + dv)[None, :]
    d_s = (s0 * ds)[:, None]
    d_v = dv[None, :]

    def full(position: Book) -> np.ndarray:
        base = _position_value(position, s0, sigma0, t, r, q)
        return _position_value(position, s_new, sigma_new, t + h, r, q) - base

    def approx(position: Book) -> np.ndarray:
        shape = (ds.size, dv.size)
        if position.is_empty:
            return np.zeros(shape)
        g = position.greeks(s0, sigma0, time=t, rate=r, dividend_yield=q)
        out = (
            g.delta * d_s + 0.5 * g.gamma * d_s**2 + g.vega * d_v + g.vanna * d_s * d_v
            + 0.5 * g.volga * d_v**2 + g.theta * h
        )
        return np.broadcast_to(out, shape).astype(float)

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(
            values, index=pd.Index(ds, name="spot_shock"), columns=pd.Index(dv, name="vol_shock")
        )

    position = hedge_result.position
    return StressGrid(
        book=frame(full(book)),
        hedged=frame(full(position)),
        book_approx=frame(approx(book)),
        hedged_approx=frame(approx(position)),
        hedge=hedge_result,
        spot=s0,
        volatility=sigma0,
        horizon=h,
    )


# --------------------------------------------------------------------------------------------
# historical simulation


@dataclass(frozen=True)
class HistoricalVaR:
    """Result of :func:`historical_var`.

    Attributes
    ----------
    level : float
        Confidence level of ``var`` and ``es``.
    horizon_days : int
        Trading days in each scenario.
    spot, volatility : float
        Today's spot the moves are applied to, and the volatility held through them.
    var, es : float
        Value at risk and expected shortfall of the book (positive losses).
    hedged_var, hedged_es : float
        The same for the book plus its static hedge.
    scenarios : pandas.DataFrame
        One row per scenario, indexed by the window's last date (``end``): ``start`` (the
        window's first date), ``relative_move`` (``p_end / p_start - 1``), ``spot`` (today's
        spot moved by it), ``book_pnl``, ``hedged_pnl`` (currency).
    hedge : StaticHedge
        The hedge held through every scenario.
    series : str
        Name of the price series.
    """

    level: float
    horizon_days: int
    spot: float
    volatility: float
    var: float
    es: float
    hedged_var: float
    hedged_es: float
    scenarios: pd.DataFrame
    hedge: StaticHedge
    series: str

    @property
    def n_scenarios(self) -> int:
        """Number of overlapping windows (scenarios)."""
        return len(self.scenarios)

    def table(self, levels: tuple[float, ...] = (0.95, 0.99)) -> pd.DataFrame:
        """VaR and ES of the book and the hedged position at each level.

        Rows ``book``, ``hedged``; columns ``VaR 95%``, ``ES 95%``, ... (positive losses).
        """
        out = {}
        for level in levels:
            tag = f"{100 * float(level):g}%"
            out[f"VaR {tag}"] = [value_at_risk(self.scenarios[c], level) for c in ("book_pnl", "hedged_pnl")]
            out[f"ES {tag}"] = [expected_shortfall(self.scenarios[c], level) for c in ("book_pnl", "hedged_pnl")]
        return pd.DataFrame(out, index=pd.Index(["book", "hedged"], name="position"))


def _closes(history: Any) -> tuple[pd.Series, str]:
    if isinstance(history, PriceHistory):
        return history.prices, history.name
    if isinstance(history, pd.Series):
        values = check_positive(history.to_numpy(dtype=float, na_value=np.nan), "history")
        return pd.Series(values, index=history.index), str(history.name or "series")
    raise HedgeLibError(
        f"history must be a PriceHistory or a pandas Series of prices, got {type(history).__name__}"
    )


def historical_var(
    book: Book, history: PriceHistory | pd.Series, *, horizon_days: int = 1, level: float = 0.99,
    volatility: float, spot: float | None = None, rate: float = 0.0, dividend_yield: float = 0.0,
    time: float = 0.0, strategy: Any = "delta", hedge_option: HedgeOption | None = None,
) -> HistoricalVaR:
    """Historical-simulation VaR and ES of the book, and of its static hedge, by full revaluation.

    Parameters
    ----------
    book : Book
        Non-empty book.
    history : PriceHistory or pandas.Series
        Daily closes of the underlying (positive), oldest first; only their relative moves
        are used.
    horizon_days : int, default 1
        Trading days per scenario, >= 1, fewer than the number of closes.
    level : float, default 0.99
        Confidence level in (0, 1).
    volatility : float
        Implied volatility at which the book is valued before and after each move (decimal),
        > 0. It is held fixed: the series carries no volatility moves.
    spot : float, optional
        Today's price of the book's underlying, > 0; default the last close of ``history``.
        The series' moves are applied to it, so a book on a stock at 100 can be stressed with
        the S&P 500's history.
    rate, dividend_yield, time, strategy, hedge_option
        As in :func:`static_hedge`: the static hedge is set today and held over the horizon.

    Returns
    -------
    HistoricalVaR

    Notes
    -----
    With closes :math:`p_0, \\dots, p_N` and horizon :math:`h` days, scenario :math:`i`
    (:math:`i = 0, \\dots, N - h`) moves today's spot by the window's relative move,

    .. math:: S_i = S_0\\,\\frac{p_{i+h}}{p_i}, \\qquad
              \\Pi_i = V(S_i, \\sigma, t + h/252) - V(S_0, \\sigma, t),

    a full revaluation in which the legs age by :math:`h` trading days (Hull 2018, ch. 13).
    The hedged position adds the static hedge's shares and option to :math:`V`. Windows
    *overlap*: consecutive scenarios share :math:`h - 1` daily moves, which uses every
    :math:`h`-day move of the data (rather than :math:`N/h` disjoint ones) at the price of
    dependent scenarios, so the effective sample is nearer :math:`N/h` than :math:`N - h + 1`.
    VaR and ES are the empirical quantile and tail mean of the :math:`\\Pi_i`
    (:func:`hedgelib.risk.value_at_risk`, :func:`hedgelib.risk.expected_shortfall`).

    Examples
    --------
    >>> import pandas as pd
    >>> from hedgelib.book import Book
    >>> closes = pd.Series([100.0, 102.0, 99.0, 101.0, 97.0])
    >>> res = historical_var(Book([], stock=1.0), closes, horizon_days=1, level=0.5,
    ...                      volatility=0.2, spot=100.0, strategy="none")
    >>> res.scenarios["book_pnl"].round(4).tolist()
    [2.0, -2.9412, 2.0202, -3.9604]
    >>> round(res.var, 4), round(res.es, 4)
    (2.9412, 3.4508)
    """
    book = _check_book(book)
    prices, name = _closes(history)
    n = check_int(horizon_days, "horizon_days", minimum=1)
    if n >= len(prices):
        raise HedgeLibError(
            f"horizon_days must be smaller than the number of closes ({len(prices)}), got {n}"
        )
    lvl = check_scalar(level, "level", lambda v, nm: check_in_range(v, nm, 0.0, 1.0, inclusive=(False, False)))
    sigma = check_scalar(volatility, "volatility", check_positive_volatility)
    p = prices.to_numpy(dtype=float)
    s0 = float(p[-1]) if spot is None else check_scalar(spot, "spot", check_price)
    r = check_scalar(rate, "rate", check_rate)
    q = check_scalar(dividend_yield, "dividend_yield", check_rate)
    t = check_scalar(time, "time", check_years)
    hedge_result = static_hedge(
        book, spot=s0, volatility=sigma, rate=r, dividend_yield=q, time=t, strategy=strategy,
        hedge_option=hedge_option,
    )
    move = p[n:] / p[:-n] - 1.0
    s_new = s0 * (1.0 + move)
    t_new = t + n / TRADING_DAYS_PER_YEAR

    def pnl(position: Book) -> np.ndarray:
        return _position_value(position, s_new, sigma, t_new, r, q) - _position_value(
            position, s0, sigma, t, r, q
        )

    book_pnl = pnl(book)
    hedged_pnl = pnl(hedge_result.position)
    idx = prices.index
    scenarios = pd.DataFrame(
        {
            "start": idx[:-n],
            "relative_move": move,
            "spot": s_new,
            "book_pnl": book_pnl,
            "hedged_pnl": hedged_pnl,
        },
        index=pd.Index(idx[n:], name="end"),
    )
    return HistoricalVaR(
        level=lvl,
        horizon_days=n,
        spot=s0,
        volatility=sigma,
        var=value_at_risk(book_pnl, lvl),
        es=expected_shortfall(book_pnl, lvl),
        hedged_var=value_at_risk(hedged_pnl, lvl),
        hedged_es=expected_shortfall(hedged_pnl, lvl),
        scenarios=scenarios,
        hedge=hedge_result,
        series=name,
    )
