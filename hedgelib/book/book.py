"""Option books: legs and books, valued and differentiated with Black-Scholes-Merton.

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

from hedgelib._typing import ArrayLike, FloatArray, OptionKind
from hedgelib.conventions import (
    HedgeLibError,
    check_kind,
    check_non_negative,
    check_positive_years,
    check_price,
    check_quantity,
    check_rate,
    check_scalar,
    check_volatility,
    check_years,
)
from hedgelib.pricing.black_scholes import Greeks, bs_greeks, bs_price

__all__ = [
    "EMPTY_BOOK_MESSAGE",
    "GREEK_NAMES",
    "LEG_COLUMNS",
    "Book",
    "OptionLeg",
]


EMPTY_BOOK_MESSAGE = "the book is empty: add a leg or a stock position"


LEG_COLUMNS: tuple[str, ...] = ("kind", "strike", "expiry", "quantity")


GREEK_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Greeks))


def _to_output(arr: np.ndarray) -> float | FloatArray:
    """Python float for a 0-d result, the array otherwise (the library's scalar rule)."""
    return float(arr) if np.ndim(arr) == 0 else arr


def _market_inputs(
    spot: Any, volatility: Any, time: Any, rate: Any, dividend_yield: Any
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, tuple[int, ...]]:
    s = check_price(spot, "spot")
    sigma = check_volatility(volatility, "volatility")
    t = check_years(time, "time")
    r = check_rate(rate, "rate")
    q = check_rate(dividend_yield, "dividend_yield")
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
        object.__setattr__(self, "strike", check_scalar(self.strike, "strike", check_price))
        object.__setattr__(self, "expiry", check_scalar(self.expiry, "expiry", check_positive_years))
        quantity = check_scalar(self.quantity, "quantity", check_quantity)
        if quantity == 0.0:
            raise HedgeLibError("quantity must be non-zero (a zero leg holds nothing), got 0.0")
        object.__setattr__(self, "quantity", quantity)

    def describe(self) -> str:
        """Short label such as ``"short 2 call K=105 T=0.25"`` for tables and legends."""
        side = "long" if self.quantity > 0 else "short"
        return f"{side} {abs(self.quantity):g} {self.kind} K={self.strike:g} T={self.expiry:g}"

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
        self, spot: ArrayLike, volatility: ArrayLike, *, time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0, dividend_yield: ArrayLike = 0.0,
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
        self, spot: ArrayLike, volatility: ArrayLike, *, time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0, dividend_yield: ArrayLike = 0.0,
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
                raise HedgeLibError(f"legs[{i}] must be an OptionLeg, got {leg!r}")
        object.__setattr__(self, "legs", legs)
        object.__setattr__(self, "stock", check_scalar(self.stock, "stock", check_quantity))

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
        k = check_scalar(k, "k")
        if k == 0.0:
            raise HedgeLibError("k must be non-zero, got 0.0")
        legs = [OptionLeg(g.kind, g.strike, g.expiry, g.quantity * k) for g in self.legs]
        return Book(legs, self.stock * k)

    # -- valuation -----------------------------------------------------------------------

    def value(
        self, spot: ArrayLike, volatility: ArrayLike, *, time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0, dividend_yield: ArrayLike = 0.0,
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
        >>> from hedgelib.book import preset_book
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
        self, spot: ArrayLike, volatility: ArrayLike, *, time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0, dividend_yield: ArrayLike = 0.0,
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
        self, spot: ArrayLike, volatility: ArrayLike, *, time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0, dividend_yield: ArrayLike = 0.0,
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
        self, spot: ArrayLike, volatility: ArrayLike, *, time: ArrayLike = 0.0,
        rate: ArrayLike = 0.0, dividend_yield: ArrayLike = 0.0,
    ) -> tuple[Greeks, ...]:
        """Greeks of each leg (quantity included), one :class:`Greeks` per leg."""
        return tuple(
            leg.greeks(spot, volatility, time=time, rate=rate, dividend_yield=dividend_yield)
            for leg in self.legs
        )

    def leg_table(
        self, spot: float, volatility: float, *, time: float = 0.0, rate: float = 0.0,
        dividend_yield: float = 0.0, include_stock: bool = True,
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
            s = check_scalar(spot, "spot", check_price)
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
