"""Option books: legs, books, strategy presets, expiry statistics and scenario grids.

An :class:`OptionLeg` is one European option position (kind, strike, expiry in years from
today, signed quantity in units of the underlying). A :class:`Book` is a tuple of legs plus a
signed stock position. Books are frozen and hashable, so they can be cached and compared.

Values and greeks come from Black-Scholes-Merton (:func:`hedgelib.pricing.black_scholes.bs_price`
and :func:`~hedgelib.pricing.black_scholes.bs_greeks`), vectorised with broadcasting over spot,
volatility and elapsed time.

Conventions
-----------
- ``time`` is the number of years elapsed since today; a leg's remaining life is
  ``expiry - time``.
- A leg whose expiry is at or before ``time`` is worth its intrinsic value at that spot (the
  usual calculator convention "after expiry"): no discounting, no settlement cash. Its greeks
  are the derivatives of that intrinsic value: delta is the step (1 above the strike for a
  call, -1 below the strike for a put, one half of that exactly at the strike, as
  ``bs_greeks`` does at zero maturity) and every other greek is 0.
- The stock position contributes ``stock * spot`` to the value and ``stock`` to delta.
- Strikes of the presets are exact fractions of spot (not rounded), so a straddle is exactly
  at the money and the scenario figures stay symmetric.

References
----------
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed., Pearson (2021), ch. 12
("Trading strategies involving options") and ch. 15 (Black-Scholes-Merton).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from hedgelib._typing import ArrayLike, FloatArray, OptionKind
from hedgelib.conventions import (
    HedgeLibError,
    check_finite,
    check_in_range,
    check_kind,
    check_non_negative,
    check_positive,
)
from hedgelib.pricing.black_scholes import Greeks, bs_greeks, bs_price

__all__ = [
    "PRESETS",
    "Book",
    "ExpiryStatistics",
    "OptionLeg",
    "expiry_statistics",
    "greeks_profile",
    "preset_book",
    "scenario_pnl",
]

EMPTY_BOOK_MESSAGE = "the book is empty: add a leg or a stock position"
LEG_COLUMNS: tuple[str, ...] = ("kind", "strike", "expiry", "quantity")
GREEK_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Greeks))

# Relative tolerance for "this slope is zero" and "these expiries are the same": quantities
# are user-typed decimals, so sums such as 0.1 - 0.2 + 0.1 may miss zero by a few ulps.
_REL_TOL = 1e-12
# Points on the numerical grid of a multi-expiry book (first expiry and later legs valued by
# Black-Scholes): fine enough that two breakevens never share a cell for sensible books.
_N_GRID = 4001


# --------------------------------------------------------------------------------------------
# small private helpers


def _to_output(arr: np.ndarray) -> float | FloatArray:
    """Python float for a 0-d result, the array otherwise (the library's scalar rule)."""
    return float(arr) if np.ndim(arr) == 0 else arr


def _scalar(value: Any, name: str, check: Any = check_finite) -> float:
    """A validated Python float; arrays are refused because a leg has one strike, one expiry."""
    arr = check(value, name)
    if arr.ndim != 0:
        raise HedgeLibError(f"{name} must be a single number, got an array of shape {arr.shape}")
    return float(arr)


def _market_inputs(
    spot: Any, volatility: Any, time: Any, rate: Any, dividend_yield: Any
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, tuple[int, ...]]:
    s = check_positive(spot, "spot")
    sigma = check_non_negative(volatility, "volatility")
    t = check_non_negative(time, "time")
    r = check_finite(rate, "rate")
    q = check_finite(dividend_yield, "dividend_yield")
    try:
        shape = np.broadcast_shapes(s.shape, sigma.shape, t.shape, r.shape, q.shape)
    except ValueError:
        raise HedgeLibError(
            "spot, volatility, time, rate and dividend_yield must broadcast together, got shapes "
            f"{s.shape}, {sigma.shape}, {t.shape}, {r.shape}, {q.shape}"
        ) from None
    return s, sigma, t, r, q, shape


def _intrinsic(kind: str, spot: np.ndarray, strike: float) -> np.ndarray:
    if kind == "call":
        return np.maximum(spot - strike, 0.0)
    return np.maximum(strike - spot, 0.0)


def _scale_greeks(g: Greeks, k: float) -> Greeks:
    return Greeks(**{n: np.asarray(getattr(g, n), dtype=float) * k for n in GREEK_NAMES})


def _output_greeks(g: Greeks) -> Greeks:
    return Greeks(**{n: _to_output(np.asarray(getattr(g, n), dtype=float)) for n in GREEK_NAMES})


def _blank(value: Any) -> bool:
    """A cell left empty in an editor: None, NaN, pd.NA or a blank string."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(np.ndim(value) == 0 and pd.isna(value))
    except (TypeError, ValueError):
        return False


def _number_cell(value: Any, where: str, name: str) -> float:
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise HedgeLibError(f"{where}: {name} must be a number, got {value!r}") from None
    if isinstance(value, bool):
        raise HedgeLibError(f"{where}: {name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise HedgeLibError(f"{where}: {name} must be a number, got {value!r}") from None


def _leg_from_cells(cells: Mapping[str, Any], where: str) -> OptionLeg:
    missing = [c for c in LEG_COLUMNS if _blank(cells.get(c))]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        names = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
        raise HedgeLibError(f"{where}: {names} {verb} missing")
    kind = cells["kind"]
    kind = kind.strip() if isinstance(kind, str) else kind
    numbers = {c: _number_cell(cells[c], where, c) for c in ("strike", "expiry", "quantity")}
    try:
        return OptionLeg(kind, numbers["strike"], numbers["expiry"], numbers["quantity"])
    except HedgeLibError as exc:
        raise HedgeLibError(f"{where}: {exc}") from None


# --------------------------------------------------------------------------------------------
# legs


@dataclass(frozen=True)
class OptionLeg:
    """One European option position.

    Parameters
    ----------
    kind : {"call", "put"}
        Option type (case-insensitive; stored lower-case).
    strike : float
        Strike price, > 0, in currency.
    expiry : float
        Expiry in years from today, > 0.
    quantity : float
        Signed number of options, each on one unit of the underlying: + long, - short.
        Must be finite and non-zero (a zero leg holds nothing: delete it instead).

    Notes
    -----
    With remaining life :math:`\\tau = T - t`, the leg is worth
    :math:`n\\,V_{BS}(S, K, \\tau, \\sigma, r, q)` for :math:`\\tau > 0` and its intrinsic value
    :math:`n\\max(\\pm(S - K), 0)` once :math:`\\tau \\le 0` (Hull 2021, ch. 15).

    Examples
    --------
    >>> leg = OptionLeg("call", strike=100.0, expiry=0.5, quantity=-2.0)
    >>> round(leg.value(100.0, 0.2), 4)
    -11.2744
    >>> leg.payoff(110.0)
    -20.0
    """

    kind: OptionKind
    strike: float
    expiry: float
    quantity: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", check_kind(self.kind, "kind"))
        object.__setattr__(self, "strike", _scalar(self.strike, "strike", check_positive))
        object.__setattr__(self, "expiry", _scalar(self.expiry, "expiry", check_positive))
        quantity = _scalar(self.quantity, "quantity")
        if quantity == 0.0:
            raise HedgeLibError("quantity must be non-zero (a zero leg holds nothing), got 0.0")
        object.__setattr__(self, "quantity", quantity)

    def describe(self) -> str:
        """Short label such as ``"short 2 call K=105 T=0.25"`` for tables and legends."""
        side = "long" if self.quantity > 0 else "short"
        return f"{side} {abs(self.quantity):g} {self.kind} K={self.strike:g} T={self.expiry:g}"

    def remaining(self, time: ArrayLike = 0.0) -> float | FloatArray:
        """Years left to expiry at ``time`` (negative once expired)."""
        return _to_output(self.expiry - check_non_negative(time, "time"))

    def _value(self, s, sigma, t, r, q) -> np.ndarray:
        # Black-Scholes at zero time to expiry is the intrinsic value: the "after expiry"
        # convention comes from the pricer itself.
        tau = np.maximum(self.expiry - t, 0.0)
        return self.quantity * np.asarray(bs_price(s, self.strike, tau, sigma, r, q, kind=self.kind))

    def _greeks(self, s, sigma, t, r, q) -> Greeks:
        # At zero time to expiry bs_greeks gives the step delta (one half at the strike) and
        # zero for every other greek, which is what an expired leg carries.
        tau = np.maximum(self.expiry - t, 0.0)
        g = bs_greeks(s, self.strike, tau, sigma, r, q, kind=self.kind)
        return _scale_greeks(g, self.quantity)

    def value(
        self,
        spot: ArrayLike,
        volatility: ArrayLike,
        *,
        time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0,
        dividend_yield: ArrayLike = 0.0,
    ) -> float | FloatArray:
        """Value of the position (quantity times the option price), in currency.

        Parameters
        ----------
        spot : array_like
            Underlying price, > 0.
        volatility : array_like
            Annualised volatility, >= 0 (0 gives the discounted forward intrinsic value).
        time : array_like, default 0.0
            Years elapsed since today, >= 0. At or after expiry: intrinsic value.
        rate, dividend_yield : array_like, default 0.0
            Continuously compounded.

        Returns
        -------
        float or ndarray
            Broadcast shape of the inputs; a float for scalar inputs.
        """
        s, sigma, t, r, q, shape = _market_inputs(spot, volatility, time, rate, dividend_yield)
        return _to_output(np.broadcast_to(self._value(s, sigma, t, r, q), shape).copy())

    def greeks(
        self,
        spot: ArrayLike,
        volatility: ArrayLike,
        *,
        time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0,
        dividend_yield: ArrayLike = 0.0,
    ) -> Greeks:
        """Greeks of the position (quantity times the option greeks); same inputs as :meth:`value`.

        After expiry the greeks are those of the intrinsic value: delta is the step, the
        others are 0.
        """
        s, sigma, t, r, q, _ = _market_inputs(spot, volatility, time, rate, dividend_yield)
        return _output_greeks(self._greeks(s, sigma, t, r, q))

    def payoff(self, spot: ArrayLike) -> float | FloatArray:
        """Value at expiry, ``quantity * max(S - K, 0)`` for a call, ``max(K - S, 0)`` for a put.

        ``spot`` may be 0 (a worthless underlying).
        """
        s = check_non_negative(spot, "spot")
        return _to_output(self.quantity * _intrinsic(self.kind, s, self.strike))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping with keys kind, strike, expiry, quantity."""
        return {c: getattr(self, c) for c in LEG_COLUMNS}


# --------------------------------------------------------------------------------------------
# books


@dataclass(frozen=True)
class Book:
    """A book of European options on one underlying plus a stock position.

    Parameters
    ----------
    legs : iterable of OptionLeg
        The option positions; stored as a tuple (order kept: it is the row order of tables).
    stock : float, default 0.0
        Signed number of shares held in the book (a covered call is ``stock=1`` with a short
        call).

    Notes
    -----
    The value is :math:`\\sum_i n_i V_i(S, \\sigma, t) + n_S S` and the greeks are the same sum
    of leg greeks, the stock adding :math:`n_S` to delta. Legs at or past their expiry count
    at intrinsic value (see the module notes). An empty book (no legs, no stock) can be built
    and edited, but valuing it raises :class:`~hedgelib.conventions.HedgeLibError`.

    Examples
    --------
    >>> book = Book([OptionLeg("call", 100, 0.5, -1.0)], stock=1.0)   # covered call
    >>> round(book.value(100.0, 0.2), 4)
    94.3628
    >>> book.payoff([90.0, 120.0])
    array([ 90., 100.])
    """

    legs: tuple[OptionLeg, ...] = ()
    stock: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.legs, OptionLeg):
            legs: tuple[Any, ...] = (self.legs,)
        elif isinstance(self.legs, str | bytes | Mapping) or not isinstance(self.legs, Iterable):
            raise HedgeLibError(f"legs must be an iterable of OptionLeg, got {self.legs!r}")
        else:
            legs = tuple(self.legs)
        for i, leg in enumerate(legs, start=1):
            if not isinstance(leg, OptionLeg):
                raise HedgeLibError(f"leg {i} must be an OptionLeg, got {leg!r}")
        object.__setattr__(self, "legs", legs)
        object.__setattr__(self, "stock", _scalar(self.stock, "stock"))

    # -- structure -----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.legs)

    def __iter__(self):
        return iter(self.legs)

    @property
    def is_empty(self) -> bool:
        """True when the book holds no option and no stock."""
        return not self.legs and self.stock == 0.0

    def _require_content(self) -> None:
        if self.is_empty:
            raise HedgeLibError(EMPTY_BOOK_MESSAGE)

    def _require_legs(self, what: str) -> None:
        self._require_content()
        if not self.legs:
            raise HedgeLibError(
                f"the book holds only stock, so it has no {what}: add an option leg"
            )

    @property
    def expiries(self) -> tuple[float, ...]:
        """Distinct leg expiries, sorted (empty for a stock-only book)."""
        return tuple(sorted({leg.expiry for leg in self.legs}))

    @property
    def expiry(self) -> float:
        """Last expiry of the book, in years from today."""
        self._require_legs("expiry")
        return max(leg.expiry for leg in self.legs)

    @property
    def first_expiry(self) -> float:
        """First expiry of the book, in years from today."""
        self._require_legs("expiry")
        return min(leg.expiry for leg in self.legs)

    @property
    def strikes(self) -> tuple[float, ...]:
        """Distinct strikes, sorted."""
        return tuple(sorted({leg.strike for leg in self.legs}))

    def with_leg(self, leg: OptionLeg) -> Book:
        """A new book with ``leg`` appended."""
        if not isinstance(leg, OptionLeg):
            raise HedgeLibError(f"leg must be an OptionLeg, got {leg!r}")
        return Book((*self.legs, leg), self.stock)

    def without_leg(self, index: int) -> Book:
        """A new book without the leg at position ``index`` (0-based)."""
        if (
            isinstance(index, bool)
            or not isinstance(index, int)
            or not -len(self) <= index < len(self)
        ):
            raise HedgeLibError(f"index must be a leg position in [0, {len(self)}), got {index!r}")
        legs = list(self.legs)
        del legs[index]
        return Book(legs, self.stock)

    def with_stock(self, stock: float) -> Book:
        """A new book with the same legs and ``stock`` shares."""
        return Book(self.legs, stock)

    def scaled(self, k: float) -> Book:
        """A new book with every quantity and the stock multiplied by ``k`` (finite, non-zero).

        ``scaled(-1)`` is the other side of the trade.
        """
        k = _scalar(k, "k")
        if k == 0.0:
            raise HedgeLibError("k must be non-zero, got 0.0")
        legs = [OptionLeg(g.kind, g.strike, g.expiry, g.quantity * k) for g in self.legs]
        return Book(legs, self.stock * k)

    # -- valuation -----------------------------------------------------------------------

    def value(
        self,
        spot: ArrayLike,
        volatility: ArrayLike,
        *,
        time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0,
        dividend_yield: ArrayLike = 0.0,
    ) -> float | FloatArray:
        """Value of the book in currency, broadcast over spot, volatility and time.

        Parameters
        ----------
        spot : array_like
            Underlying price, > 0.
        volatility : array_like
            Annualised Black-Scholes volatility, >= 0.
        time : array_like, default 0.0
            Years elapsed since today, >= 0. Legs with ``expiry <= time`` count at their
            intrinsic value at ``spot``.
        rate, dividend_yield : array_like, default 0.0
            Continuously compounded.

        Returns
        -------
        float or ndarray
            Shape ``np.broadcast_shapes`` of the inputs; a float for scalar inputs.

        Examples
        --------
        >>> straddle = preset_book("straddle", spot=100.0, expiry=1.0)
        >>> straddle.value([90.0, 100.0], 0.2).round(4)
        array([17.1782, 15.9311])
        """
        self._require_content()
        s, sigma, t, r, q, shape = _market_inputs(spot, volatility, time, rate, dividend_yield)
        total = np.zeros(shape) + self.stock * s
        for leg in self.legs:
            total = total + leg._value(s, sigma, t, r, q)
        return _to_output(total)

    def greeks(
        self,
        spot: ArrayLike,
        volatility: ArrayLike,
        *,
        time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0,
        dividend_yield: ArrayLike = 0.0,
    ) -> Greeks:
        """Greeks of the book: the quantity-weighted sum of leg greeks, plus ``stock`` in delta.

        Same inputs and broadcasting as :meth:`value`.
        """
        self._require_content()
        s, sigma, t, r, q, shape = _market_inputs(spot, volatility, time, rate, dividend_yield)
        total = {n: np.zeros(shape) for n in GREEK_NAMES}
        total["delta"] = total["delta"] + self.stock
        for leg in self.legs:
            g = leg._greeks(s, sigma, t, r, q)
            for n in GREEK_NAMES:
                total[n] = total[n] + getattr(g, n)
        return Greeks(**{n: _to_output(v) for n, v in total.items()})

    def leg_values(
        self,
        spot: ArrayLike,
        volatility: ArrayLike,
        *,
        time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0,
        dividend_yield: ArrayLike = 0.0,
    ) -> FloatArray:
        """Value of each leg (quantity included), shape ``(len(book),) + broadcast shape``.

        The stock position is not a leg: add ``book.stock * spot`` for the total.
        """
        s, sigma, t, r, q, shape = _market_inputs(spot, volatility, time, rate, dividend_yield)
        out = np.empty((len(self.legs), *shape))
        for i, leg in enumerate(self.legs):
            out[i] = leg._value(s, sigma, t, r, q)
        return out

    def leg_greeks(
        self,
        spot: ArrayLike,
        volatility: ArrayLike,
        *,
        time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0,
        dividend_yield: ArrayLike = 0.0,
    ) -> tuple[Greeks, ...]:
        """Greeks of each leg (quantity included), one :class:`Greeks` per leg."""
        return tuple(
            leg.greeks(spot, volatility, time=time, rate=rate, dividend_yield=dividend_yield)
            for leg in self.legs
        )

    def leg_table(
        self,
        spot: float,
        volatility: float,
        *,
        time: float = 0.0,
        rate: float = 0.0,
        dividend_yield: float = 0.0,
        include_stock: bool = True,
    ) -> pd.DataFrame:
        """One row per leg with its terms, value and greeks (quantity included), for display.

        Parameters
        ----------
        spot, volatility, time, rate, dividend_yield : float
            Scalars, as in :meth:`value`.
        include_stock : bool, default True
            Add a row ``kind="stock"`` (strike and expiry NaN) when the book holds stock, so
            the column sums equal the book's value and greeks.

        Returns
        -------
        pandas.DataFrame
            Columns ``leg, kind, strike, expiry, quantity, value`` and one per greek; ``leg``
            is 1-based.
        """
        self._require_content()
        for name, v in (("spot", spot), ("volatility", volatility), ("time", time)):
            if np.ndim(v) != 0:
                raise HedgeLibError(f"{name} must be a single number for leg_table, got {v!r}")
        rows = []
        for i, leg in enumerate(self.legs, start=1):
            kw = dict(time=time, rate=rate, dividend_yield=dividend_yield)
            g = leg.greeks(spot, volatility, **kw)
            rows.append(
                {
                    "leg": i,
                    "kind": leg.kind,
                    "strike": leg.strike,
                    "expiry": leg.expiry,
                    "quantity": leg.quantity,
                    "value": leg.value(spot, volatility, **kw),
                    **{n: float(getattr(g, n)) for n in GREEK_NAMES},
                }
            )
        if include_stock and self.stock != 0.0:
            s = _scalar(spot, "spot", check_positive)
            rows.append(
                {
                    "leg": len(self.legs) + 1,
                    "kind": "stock",
                    "strike": math.nan,
                    "expiry": math.nan,
                    "quantity": self.stock,
                    "value": self.stock * s,
                    **{n: (self.stock if n == "delta" else 0.0) for n in GREEK_NAMES},
                }
            )
        columns = ["leg", *LEG_COLUMNS, "value", *GREEK_NAMES]
        return pd.DataFrame(rows, columns=columns)

    def payoff(self, spot: ArrayLike) -> float | FloatArray:
        """Sum of every leg's intrinsic value at ``spot`` plus ``stock * spot``, in currency.

        Each leg is taken at its own expiry with the same underlying price, which is the
        payoff diagram of a single-expiry book. ``spot`` may be 0.
        """
        self._require_content()
        s = check_non_negative(spot, "spot")
        total = self.stock * s
        for leg in self.legs:
            total = total + leg.quantity * _intrinsic(leg.kind, s, leg.strike)
        return _to_output(np.asarray(total, dtype=float))

    # -- conversion ----------------------------------------------------------------------

    def to_frame(self) -> pd.DataFrame:
        """Legs as a DataFrame with columns kind, strike, expiry, quantity (stock not included).

        An empty book gives an empty frame with those columns, ready for an editor.
        """
        return pd.DataFrame(
            {
                "kind": pd.Series([g.kind for g in self.legs], dtype=object),
                "strike": pd.Series([g.strike for g in self.legs], dtype=float),
                "expiry": pd.Series([g.expiry for g in self.legs], dtype=float),
                "quantity": pd.Series([g.quantity for g in self.legs], dtype=float),
            }
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, stock: float = 0.0) -> Book:
        """Build a book from a table of legs (as edited in ``st.data_editor``).

        Parameters
        ----------
        frame : pandas.DataFrame
            Columns kind, strike, expiry, quantity (names case-insensitive; other columns are
            ignored). Rows whose four cells are all blank (None, NaN or empty text) are
            skipped; a partly filled row is an error.
        stock : float, default 0.0
            Shares held.

        Raises
        ------
        HedgeLibError
            Naming the row as ``leg n`` (n is the 1-based row position in the table) and the
            column, e.g. ``"leg 2: strike must be positive and finite, got -5.0"``.
        """
        if not isinstance(frame, pd.DataFrame):
            raise HedgeLibError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
        lookup = {str(c).strip().lower(): c for c in frame.columns}
        absent = [c for c in LEG_COLUMNS if c not in lookup]
        if absent:
            raise HedgeLibError(
                f"the table needs columns {', '.join(LEG_COLUMNS)}; missing: {', '.join(absent)}"
            )
        legs = []
        for pos, row in enumerate(frame[[lookup[c] for c in LEG_COLUMNS]].itertuples(index=False)):
            cells = dict(zip(LEG_COLUMNS, row, strict=True))
            if all(_blank(v) for v in cells.values()):
                continue
            legs.append(_leg_from_cells(cells, f"leg {pos + 1}"))
        return cls(legs, stock)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping ``{"legs": [{kind, strike, expiry, quantity}, ...], "stock": x}``."""
        return {"legs": [leg.to_dict() for leg in self.legs], "stock": self.stock}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Book:
        """Inverse of :meth:`to_dict`, validating every leg (errors name ``leg n`` and the key).

        Unknown keys are refused so that a misspelt scenario file does not load silently.
        """
        if not isinstance(data, Mapping):
            raise HedgeLibError(f"a book must be a mapping with keys legs and stock, got {data!r}")
        unknown = sorted(set(map(str, data)) - {"legs", "stock"})
        if unknown:
            raise HedgeLibError(f"unknown book keys {unknown}; expected legs and stock")
        raw_legs = data.get("legs", [])
        if raw_legs is None:
            raw_legs = []
        if isinstance(raw_legs, str | bytes | Mapping) or not isinstance(raw_legs, Iterable):
            raise HedgeLibError(f"legs must be a list of leg mappings, got {raw_legs!r}")
        legs = []
        for i, item in enumerate(raw_legs, start=1):
            where = f"leg {i}"
            if not isinstance(item, Mapping):
                raise HedgeLibError(
                    f"{where}: must be a mapping with keys {', '.join(LEG_COLUMNS)}"
                )
            extra = sorted(set(map(str, item)) - set(LEG_COLUMNS))
            if extra:
                raise HedgeLibError(
                    f"{where}: unknown keys {extra}; expected {', '.join(LEG_COLUMNS)}"
                )
            legs.append(_leg_from_cells(item, where))
        stock = data.get("stock", 0.0)
        return cls(legs, 0.0 if stock is None else _number_cell(stock, "book", "stock"))

    def describe(self) -> str:
        """One line per leg plus the stock, for captions and logs."""
        lines = [leg.describe() for leg in self.legs]
        if self.stock != 0.0:
            lines.append(f"{'long' if self.stock > 0 else 'short'} {abs(self.stock):g} stock")
        return "\n".join(lines) if lines else "empty book"


# --------------------------------------------------------------------------------------------
# presets

PRESETS: dict[str, str] = {
    "long_call": "Long one call at the money: bullish, loss limited to the premium.",
    "short_call": "Short one call at the money: collect premium, unlimited loss if the price rallies.",
    "long_put": "Long one put at the money: bearish, loss limited to the premium.",
    "short_put": "Short one put at the money: collect premium, large loss if the price falls.",
    "straddle": "Long call and long put at the money: a bet on a large move either way (long vol).",
    "short_straddle": "Short call and short put at the money: a bet on a quiet market (short vol).",
    "strangle": "Long put below and long call above spot: cheaper long vol than a straddle.",
    "short_strangle": "Short put below and short call above spot: short vol with a wider profit zone.",
    "bull_call_spread": "Long call at the money, short call above: capped bullish bet.",
    "bear_put_spread": "Long put at the money, short put below: capped bearish bet.",
    "butterfly": "Long calls below and above spot, two short calls at the money: bet on a pin.",
    "iron_condor": "Short strangle with long wings one width further out: capped short vol.",
    "collar": "Long stock, long put below and short call above: a hedged stock holding.",
    "covered_call": "Long stock and a short call above spot: income, upside capped.",
    "protective_put": "Long stock and a long put below spot: downside insured.",
    "risk_reversal": "Long call above and short put below spot: synthetic bullish skew trade.",
    "calendar_spread": "Short near call, long far call at the money: earns the near leg's decay.",
}


def preset_book(
    name: str,
    spot: float,
    expiry: float,
    *,
    width: float = 0.10,
    quantity: float = 1.0,
    far_expiry: float | None = None,
) -> Book:
    """A classic option strategy around ``spot``.

    Parameters
    ----------
    name : str
        One of :data:`PRESETS` (e.g. ``"straddle"``, ``"butterfly"``, ``"collar"``).
    spot : float
        Current underlying price, > 0; the at-the-money strike is exactly ``spot``.
    expiry : float
        Expiry in years, > 0 (the near expiry for a calendar spread).
    width : float, default 0.10
        Distance between strikes as a fraction of spot, in (0, 1) (in (0, 0.5) for the iron
        condor, whose outer wings are two widths away). Strikes are ``spot * (1 +- width)``,
        not rounded.
    quantity : float, default 1.0
        Size, > 0: the number of options in each single leg (and of shares). Use the
        ``short_`` presets or :meth:`Book.scaled` with -1 for the other side.
    far_expiry : float, optional
        Far expiry of the calendar spread, > ``expiry``; default ``2 * expiry``. Ignored by the
        other presets.

    Returns
    -------
    Book

    Notes
    -----
    Hull (2021), ch. 12, describes each strategy and its payoff. With
    :math:`K_\\pm = S(1 \\pm w)`: strangle = put :math:`K_-` + call :math:`K_+`; butterfly =
    calls :math:`K_-, K_+` minus two calls at :math:`S`; iron condor = long put
    :math:`S(1-2w)`, short put :math:`K_-`, short call :math:`K_+`, long call :math:`S(1+2w)`;
    collar = stock + put :math:`K_-` - call :math:`K_+`.

    Examples
    --------
    >>> preset_book("bull_call_spread", 100.0, 0.5).to_frame()
       kind  strike  expiry  quantity
    0  call   100.0     0.5       1.0
    1  call   110.0     0.5      -1.0
    """
    if not isinstance(name, str) or name not in PRESETS:
        raise HedgeLibError(f"unknown preset {name!r}; valid names: {', '.join(PRESETS)}")
    s = _scalar(spot, "spot", check_positive)
    t = _scalar(expiry, "expiry", check_positive)
    n = _scalar(quantity, "quantity", check_positive)
    upper = 0.5 if name == "iron_condor" else 1.0
    w = float(
        check_in_range(_scalar(width, "width"), "width", 0.0, upper, inclusive=(False, False))
    )
    lo, hi = s * (1.0 - w), s * (1.0 + w)

    def c(k: float, qty: float, e: float = t) -> OptionLeg:
        return OptionLeg("call", k, e, qty * n)

    def p(k: float, qty: float, e: float = t) -> OptionLeg:
        return OptionLeg("put", k, e, qty * n)

    if name == "calendar_spread":
        far = 2.0 * t if far_expiry is None else _scalar(far_expiry, "far_expiry", check_positive)
        if far <= t:
            raise HedgeLibError(f"far_expiry must be later than expiry ({t!r}), got {far!r}")
        return Book([c(s, -1.0), c(s, 1.0, far)])

    table: dict[str, tuple[list[OptionLeg], float]] = {
        "long_call": ([c(s, 1.0)], 0.0),
        "short_call": ([c(s, -1.0)], 0.0),
        "long_put": ([p(s, 1.0)], 0.0),
        "short_put": ([p(s, -1.0)], 0.0),
        "straddle": ([c(s, 1.0), p(s, 1.0)], 0.0),
        "short_straddle": ([c(s, -1.0), p(s, -1.0)], 0.0),
        "strangle": ([p(lo, 1.0), c(hi, 1.0)], 0.0),
        "short_strangle": ([p(lo, -1.0), c(hi, -1.0)], 0.0),
        "bull_call_spread": ([c(s, 1.0), c(hi, -1.0)], 0.0),
        "bear_put_spread": ([p(s, 1.0), p(lo, -1.0)], 0.0),
        "butterfly": ([c(lo, 1.0), c(s, -2.0), c(hi, 1.0)], 0.0),
        "iron_condor": (
            [p(s * (1.0 - 2.0 * w), 1.0), p(lo, -1.0), c(hi, -1.0), c(s * (1.0 + 2.0 * w), 1.0)],
            0.0,
        ),
        "collar": ([p(lo, 1.0), c(hi, -1.0)], n),
        "covered_call": ([c(hi, -1.0)], n),
        "protective_put": ([p(lo, 1.0)], n),
        "risk_reversal": ([p(lo, -1.0), c(hi, 1.0)], 0.0),
    }
    legs, stock = table[name]
    return Book(legs, stock)


# --------------------------------------------------------------------------------------------
# expiry statistics


@dataclass(frozen=True)
class ExpiryStatistics:
    """Profit-and-loss facts of a book held to its (first) expiry.

    Attributes
    ----------
    premium : float
        Today's value of the book at the given inputs (holder's sign: paid if > 0, received
        if < 0), stock included.
    max_profit : float
        Largest P&L at the horizon; ``math.inf`` when unbounded (see ``profit_unbounded``).
    max_loss : float
        Largest loss at the horizon as a positive number (``-min P&L``); ``math.inf`` when
        unbounded. Negative only if the book cannot lose (an arbitrage at these inputs).
    breakevens : tuple of float
        Sorted underlying prices at the horizon where the P&L is zero.
    horizon : float
        Years to the date the statistics refer to: the book's expiry, or its first expiry.
    cost_at_horizon : float
        The premium carried to the horizon (options at the rate, stock at rate minus
        dividend yield): the P&L is the horizon value minus this.
    probability_of_profit : float
        Probability that the P&L is positive at the horizon under the risk-neutral lognormal
        law (drift ``rate - dividend_yield``, the given volatility). Not a forecast.
    exact : bool
        True for single-expiry books (piecewise-linear payoff, exact); False when later legs
        are valued by Black-Scholes on a grid.
    """

    premium: float
    max_profit: float
    max_loss: float
    breakevens: tuple[float, ...]
    horizon: float
    cost_at_horizon: float
    probability_of_profit: float
    exact: bool

    @property
    def profit_unbounded(self) -> bool:
        return math.isinf(self.max_profit)

    @property
    def loss_unbounded(self) -> bool:
        return math.isinf(self.max_loss)

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping of the fields (breakevens as a list), for tables and JSON."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["breakevens"] = list(self.breakevens)
        return d


def _bs_value_at(leg: OptionLeg, s: np.ndarray, tau: float, sigma: float, r: float, q: float):
    """Leg value (quantity included) at remaining life ``tau > 0`` for spots that may be 0."""
    pos = s > 0
    v = np.asarray(
        bs_price(np.where(pos, s, 1.0), leg.strike, tau, sigma, r, q, kind=leg.kind), dtype=float
    )
    # The S -> 0 limits: a call is worthless, a put is worth the discounted strike.
    at_zero = 0.0 if leg.kind == "call" else leg.strike * math.exp(-r * tau)
    return leg.quantity * np.where(pos, v, at_zero)


def _lognormal_cdf(x: np.ndarray, spot: float, sigma: float, horizon: float, drift: float):
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    out[np.isposinf(x)] = 1.0
    fin = np.isfinite(x) & (x > 0)
    sd = sigma * math.sqrt(horizon)
    z = (np.log(x[fin] / spot) - (drift - 0.5 * sigma**2) * horizon) / sd
    out[fin] = special.ndtr(z)
    return out


def expiry_statistics(
    book: Book,
    *,
    spot: float,
    volatility: float,
    rate: float = 0.0,
    dividend_yield: float = 0.0,
) -> ExpiryStatistics:
    """Premium, maximum profit and loss, and breakevens of a book held to expiry.

    Parameters
    ----------
    book : Book
        Non-empty book with at least one option leg.
    spot : float
        Underlying price today, > 0.
    volatility : float
        Black-Scholes volatility for today's premium (and for later legs of a multi-expiry
        book at its first expiry), > 0.
    rate, dividend_yield : float, default 0.0
        Continuously compounded.

    Returns
    -------
    ExpiryStatistics

    Notes
    -----
    The P&L at horizon :math:`T` (the expiry; the first expiry when legs expire at different
    dates) is

    .. math:: \\Pi(S_T) = \\sum_i n_i V_i(S_T) + n_S S_T - \\big(P_{opt} e^{rT}
              + n_S S_0 e^{(r-q)T}\\big),

    where :math:`P_{opt}` is today's value of the options: the premium is carried at the
    rate (its time value is included), and the stock at its cost of carry, financed at
    :math:`r` and earning the dividend yield :math:`q`. With that convention a covered call and
    the short put of the same strike have identical statistics, as put-call parity requires
    (Hull 2021, ch. 11).

    *Single expiry* (exact): :math:`\\Pi` is piecewise linear with kinks at the strikes, so it
    is evaluated at 0 and at each strike, its slope beyond the last strike is
    :math:`\\sum_{calls} n_i + n_S`, and the breakevens are the exact zeros of each linear
    piece. A positive final slope makes the profit unbounded, a negative one the loss.

    *Several expiries* (numerical): legs expiring at the first expiry pay their intrinsic
    value and later legs are valued by Black-Scholes with the remaining life at the same
    volatility, rate and dividend yield. :math:`\\Pi` is evaluated on a grid (4001 points
    evenly spaced from 0 to three times the highest strike, 4001 geometrically spaced out to
    eight standard deviations beyond it, and every strike), extremes are refined by a bounded
    scalar search, breakevens by Brent's method between sign changes. Tangential zeros are
    not reported. Boundedness follows from the slope at infinity,
    :math:`\\sum_{calls} n_i e^{-q\\tau_i} + n_S`.

    Unbounded extremes are ``math.inf`` (a loss is reported as a positive number).

    Examples
    --------
    >>> st = expiry_statistics(preset_book("straddle", 100.0, 1.0), spot=100.0, volatility=0.2)
    >>> round(st.premium, 4), [round(b, 4) for b in st.breakevens], st.max_profit
    (15.9311, [84.0689, 115.9311], inf)
    """
    if not isinstance(book, Book):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    book._require_legs("expiry statistics")
    s0 = _scalar(spot, "spot", check_positive)
    sigma = _scalar(volatility, "volatility", check_positive)
    r = _scalar(rate, "rate")
    q = _scalar(dividend_yield, "dividend_yield")

    premium = float(book.value(s0, sigma, rate=r, dividend_yield=q))
    horizon = book.first_expiry
    option_premium = premium - book.stock * s0
    cost = option_premium * math.exp(r * horizon) + book.stock * s0 * math.exp((r - q) * horizon)

    tol_h = _REL_TOL * max(1.0, horizon)
    expiring = [g for g in book.legs if g.expiry <= horizon + tol_h]
    later = [g for g in book.legs if g.expiry > horizon + tol_h]
    scale = sum(abs(g.quantity) for g in book.legs) + abs(book.stock)
    slope_tol = _REL_TOL * scale
    final_slope = (
        sum(g.quantity for g in expiring if g.kind == "call")
        + sum(g.quantity * math.exp(-q * (g.expiry - horizon)) for g in later if g.kind == "call")
        + book.stock
    )
    if abs(final_slope) <= slope_tol:
        final_slope = 0.0

    def pnl(x: ArrayLike) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        total = book.stock * x - cost
        for g in expiring:
            total = total + g.quantity * _intrinsic(g.kind, x, g.strike)
        for g in later:
            total = total + _bs_value_at(g, x, g.expiry - horizon, sigma, r, q)
        return total

    zero_tol = _REL_TOL * _money_scale(book, s0, cost)
    if not later:
        nodes = np.array([0.0, *book.strikes])
        values = pnl(nodes)
        roots = _linear_roots(nodes, values, final_slope, zero_tol)
        max_p = math.inf if final_slope > 0 else float(values.max())
        min_p = -math.inf if final_slope < 0 else float(values.min())
        exact = True
    else:
        t_max = book.expiry - horizon
        low, high = min(s0, *book.strikes), max(s0, *book.strikes)
        # Far enough out (8 standard deviations of the longest remaining life) that every
        # later leg sits on its linear asymptote; linear spacing resolves the strike region,
        # geometric spacing the tails, whatever the volatility.
        top = 4.0 * high * math.exp(8.0 * sigma * math.sqrt(t_max) + abs(r - q) * t_max)
        nodes = np.union1d(
            np.union1d(
                np.linspace(0.0, 3.0 * high, _N_GRID), np.geomspace(1e-3 * low, top, _N_GRID)
            ),
            book.strikes,
        )
        values = pnl(nodes)
        roots = _grid_roots(pnl, nodes, values, final_slope, zero_tol)
        kinks = set(book.strikes)
        max_p = math.inf if final_slope > 0 else _refined_extreme(pnl, nodes, values, kinks, +1)
        min_p = -math.inf if final_slope < 0 else _refined_extreme(pnl, nodes, values, kinks, -1)
        exact = False

    pop = _probability_positive(pnl, roots, s0, sigma, horizon, r - q)
    return ExpiryStatistics(
        premium=premium,
        max_profit=max_p,
        max_loss=-min_p,
        breakevens=tuple(float(x) for x in roots),
        horizon=horizon,
        cost_at_horizon=cost,
        probability_of_profit=pop,
        exact=exact,
    )


def _money_scale(book: Book, spot: float, cost: float) -> float:
    """Typical size of the book's P&L in currency, the yardstick for "this P&L is zero".

    Far-out grid values can be huge, so the tolerance must not scale with them.
    """
    size = sum(abs(g.quantity) for g in book.legs) + abs(book.stock)
    return max(1.0, size * max(spot, *book.strikes), abs(cost))


def _linear_roots(
    nodes: np.ndarray, values: np.ndarray, final_slope: float, tol: float
) -> list[float]:
    """Zeros of the piecewise-linear function through (nodes, values), extended with
    ``final_slope`` beyond the last node."""
    y = np.where(np.abs(values) <= tol, 0.0, values)
    roots = [float(x) for x, v in zip(nodes, y, strict=True) if v == 0.0]
    for i in range(len(nodes) - 1):
        y0, y1 = y[i], y[i + 1]
        if y0 * y1 < 0:
            roots.append(float(nodes[i] - y0 * (nodes[i + 1] - nodes[i]) / (y1 - y0)))
    if final_slope != 0.0 and y[-1] * final_slope < 0:
        roots.append(float(nodes[-1] - y[-1] / final_slope))
    return sorted(set(roots))


def _grid_roots(
    pnl, nodes: np.ndarray, values: np.ndarray, final_slope: float, tol: float
) -> list[float]:
    y = np.where(np.abs(values) <= tol, 0.0, values)
    roots = [float(x) for x, v in zip(nodes, y, strict=True) if v == 0.0]
    for i in np.flatnonzero(y[:-1] * y[1:] < 0):
        roots.append(optimize.brentq(lambda x: float(pnl(x)), nodes[i], nodes[i + 1], xtol=1e-12))
    if final_slope != 0.0 and y[-1] * final_slope < 0:
        # The P&L is heading for zero beyond the grid: bracket it by doubling.
        lo, hi = float(nodes[-1]), float(nodes[-1]) * 2.0
        for _ in range(200):
            if float(pnl(hi)) * y[-1] <= 0:
                roots.append(optimize.brentq(lambda x: float(pnl(x)), lo, hi, xtol=1e-12))
                break
            lo, hi = hi, hi * 2.0
    return sorted(set(roots))


def _refined_extreme(pnl, nodes: np.ndarray, values: np.ndarray, kinks: set[float], sign: int):
    """Grid maximum (sign=+1) or minimum (sign=-1), polished by a bounded scalar search."""
    i = int(np.argmax(sign * values))
    best = float(values[i])
    if 0 < i < len(nodes) - 1 and float(nodes[i]) not in kinks:
        res = optimize.minimize_scalar(
            lambda x: -sign * float(pnl(x)),
            bounds=(float(nodes[i - 1]), float(nodes[i + 1])),
            method="bounded",
            options={"xatol": 1e-10},
        )
        best = sign * max(sign * best, -float(res.fun))
    return best


def _probability_positive(pnl, roots, spot, sigma, horizon, drift) -> float:
    """Lognormal probability of the intervals between breakevens where the P&L is positive.

    The P&L keeps one sign between consecutive breakevens, so one probe per interval decides.
    """
    edges = np.array([0.0, *roots, math.inf])
    prob = 0.0
    cdf = _lognormal_cdf(edges, spot, sigma, horizon, drift)
    for a, b, ca, cb in zip(edges[:-1], edges[1:], cdf[:-1], cdf[1:], strict=True):
        probe = a + 1.0 + abs(a) if math.isinf(b) else 0.5 * (a + b)
        if float(pnl(probe)) > 0:
            prob += cb - ca
    return float(min(max(prob, 0.0), 1.0))


# --------------------------------------------------------------------------------------------
# scenario grids


def _grid(values: Any, name: str, check) -> FloatArray:
    arr = check(values, name)
    if arr.ndim != 1 or arr.size == 0:
        raise HedgeLibError(f"{name} must be a non-empty 1-D sequence, got shape {arr.shape}")
    return arr


def scenario_pnl(
    book: Book,
    *,
    spot: float,
    volatility: float,
    rate: float = 0.0,
    dividend_yield: float = 0.0,
    spot_grid: ArrayLike,
    volatility_grid: ArrayLike | None = None,
    time_grid: ArrayLike | None = None,
) -> pd.DataFrame:
    """P&L of the book against today's value, over spot x volatility or spot x time.

    Parameters
    ----------
    book : Book
        Non-empty book.
    spot, volatility : float
        Today's market (spot > 0, volatility >= 0): the reference value is
        ``book.value(spot, volatility)``.
    rate, dividend_yield : float, default 0.0
        Continuously compounded, held fixed across the grid.
    spot_grid : array_like, shape (n_spot,)
        Underlying prices, > 0.
    volatility_grid : array_like, shape (n_vol,), optional
        Volatilities, >= 0, applied instantly (time 0).
    time_grid : array_like, shape (n_time,), optional
        Years elapsed, >= 0, at the base ``volatility``; legs past expiry count at intrinsic.

    Exactly one of ``volatility_grid`` and ``time_grid`` must be given.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_spot, n_vol)`` or ``(n_spot, n_time)``: index ``spot``, columns
        ``volatility`` or ``time``; values in currency, holder's view.

    Notes
    -----
    :math:`\\Pi(S, x) = V(S, x) - V(S_0, \\sigma_0, t=0)`. Financing of the premium over the
    elapsed time is not included: this is the mark-to-market move, as on a trader's risk
    ladder (Hull 2021, ch. 19, scenario analysis).

    Examples
    --------
    >>> book = preset_book("straddle", 100.0, 0.5)
    >>> grid = scenario_pnl(book, spot=100.0, volatility=0.2, spot_grid=[90, 100, 110],
    ...                     volatility_grid=[0.1, 0.2, 0.3])
    >>> float(grid.loc[100.0, 0.2])
    0.0
    """
    if not isinstance(book, Book):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    book._require_content()
    if (volatility_grid is None) == (time_grid is None):
        raise HedgeLibError(
            "give exactly one of volatility_grid and time_grid, got "
            + ("neither" if volatility_grid is None else "both")
        )
    s0 = _scalar(spot, "spot", check_positive)
    sigma0 = _scalar(volatility, "volatility", check_non_negative)
    r = _scalar(rate, "rate")
    q = _scalar(dividend_yield, "dividend_yield")
    s = _grid(spot_grid, "spot_grid", check_positive)
    base = float(book.value(s0, sigma0, rate=r, dividend_yield=q))
    if volatility_grid is not None:
        cols = _grid(volatility_grid, "volatility_grid", check_non_negative)
        v = book.value(s[:, None], cols[None, :], rate=r, dividend_yield=q)
        col_name = "volatility"
    else:
        cols = _grid(time_grid, "time_grid", check_non_negative)
        v = book.value(s[:, None], sigma0, time=cols[None, :], rate=r, dividend_yield=q)
        col_name = "time"
    return pd.DataFrame(
        np.asarray(v) - base,
        index=pd.Index(s, name="spot"),
        columns=pd.Index(cols, name=col_name),
    )


def greeks_profile(
    book: Book,
    *,
    spot_grid: ArrayLike,
    volatility: float,
    time: float = 0.0,
    rate: float = 0.0,
    dividend_yield: float = 0.0,
) -> pd.DataFrame:
    """Value and greeks of the book against spot, for the "greeks against spot" chart.

    Parameters
    ----------
    book : Book
        Non-empty book.
    spot_grid : array_like, shape (n_spot,)
        Underlying prices, > 0.
    volatility : float
        Annualised volatility, >= 0.
    time : float, default 0.0
        Years elapsed since today, >= 0.
    rate, dividend_yield : float, default 0.0
        Continuously compounded.

    Returns
    -------
    pandas.DataFrame
        Index ``spot``; columns ``value, delta, gamma, vega, theta, rho, vanna, volga, charm``
        (raw partial derivatives, as in :func:`~hedgelib.pricing.black_scholes.bs_greeks`).

    Notes
    -----
    Each column is the quantity-weighted sum over legs of the Black-Scholes value or greek
    (Hull 2021, ch. 19), the stock adding its value and delta.

    Examples
    --------
    >>> prof = greeks_profile(preset_book("long_call", 100.0, 1.0), spot_grid=[80, 100, 120],
    ...                       volatility=0.2)
    >>> prof["delta"].round(3).tolist()
    [0.155, 0.54, 0.844]
    """
    if not isinstance(book, Book):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    book._require_content()
    s = _grid(spot_grid, "spot_grid", check_positive)
    for name, v in (("volatility", volatility), ("time", time)):
        if np.ndim(v) != 0:
            raise HedgeLibError(f"{name} must be a single number, got {v!r}")
    kw = dict(time=time, rate=rate, dividend_yield=dividend_yield)
    value = np.asarray(book.value(s, volatility, **kw))
    g = book.greeks(s, volatility, **kw)
    data = {"value": value}
    data.update(
        {n: np.broadcast_to(np.asarray(getattr(g, n), dtype=float), s.shape) for n in GREEK_NAMES}
    )
    return pd.DataFrame(data, index=pd.Index(s, name="spot"))
