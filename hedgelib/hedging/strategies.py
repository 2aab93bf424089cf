"""Hedging strategies: "what is the target hedge?".

A strategy receives a :class:`HedgeState` (spot, time, the book's greeks at the hedge
volatility, the hedge option's greeks, current positions) and returns target positions
``(stock, option)``: shares of the underlying and units of the hedge option (``0.0`` when it
uses none). The engine, the rules and the costs decide when and how the targets are reached.
That is the whole interface, so a learned strategy (a minimum-variance delta, a neural
hedge) plugs in by implementing :meth:`Strategy.target`.

Built-in strategies, by their names in :data:`hedgelib.hedging.setup.STRATEGIES`:

========================  ==========================================================
``"none"``                :class:`NoHedge`, the book alone
``"delta"``               :class:`DeltaHedge`, the underlying only
``"delta-gamma"``         :class:`DeltaGammaHedge`, one option kills gamma, stock delta
``"delta-vega"``          :class:`DeltaVegaHedge`, one option kills vega, stock delta
========================  ==========================================================

References
----------
Hull, J. C., *Options, Futures, and Other Derivatives*, 11th ed. (2021), ch. 19
("The Greek letters"), sections on gamma and vega neutrality.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from hedgelib._typing import FloatArray, OptionKind
from hedgelib.conventions import (
    HedgeLibError,
    check_kind,
    check_non_negative,
    check_positive,
    check_scalar,
)

__all__ = [
    "DeltaGammaHedge",
    "DeltaHedge",
    "DeltaVegaHedge",
    "HedgeOption",
    "HedgeState",
    "NoHedge",
    "Strategy",
]

# Below this |greek| the hedge option is treated as carrying none of it (an option about to
# expire far from the money): hold none of it rather than divide by ~0.
_TINY_GREEK = 1e-12


@dataclass(frozen=True)
class HedgeOption:
    """The listed option used as second hedge instrument (delta-gamma, delta-vega).

    Parameters
    ----------
    kind : {"call", "put"}, default "call"
        Option type.
    moneyness : float, default 1.0
        Strike as a multiple of the spot on the day it is bought (1.0 = at the money).
    tenor : float, default 0.25
        Years to expiry when bought.
    roll_before : float, default 0.0
        Years before its expiry at which the option is sold and a fresh one (same moneyness
        and tenor) bought, at model prices; 0 holds it to expiry, where it settles at its
        payoff. Near expiry an option's gamma and vega concentrate at the strike, so the
        ratio a gamma or vega hedge asks for can explode: rolling a few days early avoids it.

    Examples
    --------
    >>> HedgeOption("call", moneyness=1.0, tenor=0.25, roll_before=5 / 252).roll_before > 0
    True
    """

    kind: OptionKind = "call"
    moneyness: float = 1.0
    tenor: float = 0.25
    roll_before: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", check_kind(self.kind, "kind"))
        for name in ("moneyness", "tenor"):
            object.__setattr__(self, name, check_scalar(getattr(self, name), name, check_positive))
        roll = check_scalar(self.roll_before, "roll_before", check_non_negative)
        if roll >= self.tenor:
            raise HedgeLibError(
                f"roll_before must be shorter than the tenor ({self.tenor!r} years), got {roll!r}"
            )
        object.__setattr__(self, "roll_before", roll)


class HedgeState:
    """What a strategy sees at one step (plain attributes, built by the engine).

    Attributes
    ----------
    step : int
        Index on the time grid.
    time : float
        Years from today.
    spot : ndarray, shape (n_paths,)
        Price of the underlying.
    volatility : float or ndarray, shape (n_paths,)
        Hedge volatility.
    book_delta, book_gamma, book_vega : ndarray, shape (n_paths,)
        Greeks of the live book at the hedge volatility (stock included in delta).
        ``book_vega`` is None unless the strategy ``needs_vega`` or the volatility moves.
    option_delta, option_gamma, option_vega, option_price : ndarray or None
        Greeks and model price of one unit of the hedge option; None without one.
    stock, option : ndarray, shape (n_paths,)
        Current positions (before this step's trade).
    time_to_expiry : float
        Years from ``time`` to the book's last expiry.
    """

    __slots__ = (
        "book_delta",
        "book_gamma",
        "book_vega",
        "option",
        "option_delta",
        "option_gamma",
        "option_price",
        "option_vega",
        "spot",
        "step",
        "stock",
        "time",
        "time_to_expiry",
        "volatility",
    )

    def __init__(
        self,
        *,
        step: int = 0,
        time: float = 0.0,
        spot: Any = None,
        volatility: Any = None,
        book_delta: Any = None,
        book_gamma: Any = None,
        book_vega: Any = None,
        option_delta: Any = None,
        option_gamma: Any = None,
        option_vega: Any = None,
        option_price: Any = None,
        stock: Any = None,
        option: Any = None,
        time_to_expiry: float = 0.0,
    ) -> None:
        self.step = step
        self.time = time
        self.spot = spot
        self.volatility = volatility
        self.book_delta = book_delta
        self.book_gamma = book_gamma
        self.book_vega = book_vega
        self.option_delta = option_delta
        self.option_gamma = option_gamma
        self.option_vega = option_vega
        self.option_price = option_price
        self.stock = stock
        self.option = option
        self.time_to_expiry = time_to_expiry


@runtime_checkable
class Strategy(Protocol):
    """Interface of a hedging strategy: the documented protocol, all the engine relies on.

    ``name`` and ``label`` name it (in results and forms); ``uses_option`` says whether it
    trades a hedge option; ``needs_vega`` whether it reads ``book_vega`` and ``option_vega``.
    ``target`` must act per path (elementwise) and keep no state between calls: paths are
    hedged in independent blocks.
    """

    name: str
    label: str
    uses_option: bool
    needs_vega: bool

    def target(self, state: HedgeState) -> tuple[FloatArray | float, FloatArray | float]:
        """Target ``(stock, option)`` positions per path."""
        ...


@dataclass(frozen=True)
class NoHedge:
    """No hedge: the book is left alone (targets are zero).

    Examples
    --------
    >>> NoHedge().target(None)
    (0.0, 0.0)
    """

    name = "none"
    label = "No hedge"
    uses_option = False
    needs_vega = False

    def target(self, state: HedgeState) -> tuple[float, float]:
        return 0.0, 0.0


@dataclass(frozen=True)
class DeltaHedge:
    """Delta hedge with the underlying: hold :math:`-\\Delta_{book}` shares.

    Examples
    --------
    >>> import numpy as np
    >>> s = HedgeState(book_delta=np.array([0.5, -0.2]))
    >>> DeltaHedge().target(s)
    (array([-0.5,  0.2]), 0.0)
    """

    name = "delta"
    label = "Delta (stock)"
    uses_option = False
    needs_vega = False

    def target(self, state: HedgeState) -> tuple[FloatArray, float]:
        return -state.book_delta, 0.0


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    den = np.asarray(den)
    ok = np.abs(den) > _TINY_GREEK
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=ok)


@dataclass(frozen=True)
class DeltaGammaHedge:
    """Gamma-neutral with the hedge option, then delta-neutral with the underlying.

    Notes
    -----
    :math:`u^* = -\\Gamma_{book} / \\Gamma_{opt}`, :math:`x^* = -(\\Delta_{book} + u^*
    \\Delta_{opt})` (Hull, ch. 19). Where the option has no gamma left (|Gamma| < 1e-12) it
    holds none of it.

    Examples
    --------
    >>> import numpy as np
    >>> s = HedgeState(book_delta=np.array([-0.5]), book_gamma=np.array([-0.04]),
    ...                option_delta=np.array([0.5]), option_gamma=np.array([0.02]))
    >>> DeltaGammaHedge().target(s)
    (array([-0.5]), array([2.]))
    """

    name = "delta-gamma"
    label = "Delta-gamma (stock + option)"
    uses_option = True
    needs_vega = False

    def target(self, state: HedgeState) -> tuple[FloatArray, FloatArray]:
        u = -_ratio(state.book_gamma, state.option_gamma)
        return -(state.book_delta + u * state.option_delta), u


@dataclass(frozen=True)
class DeltaVegaHedge:
    """Vega-neutral with the hedge option, then delta-neutral with the underlying.

    Notes
    -----
    :math:`u^* = -\\mathcal{V}_{book} / \\mathcal{V}_{opt}`, :math:`x^* = -(\\Delta_{book} + u^*
    \\Delta_{opt})` (Hull, ch. 19).

    Examples
    --------
    >>> import numpy as np
    >>> s = HedgeState(book_delta=np.array([-0.5]), book_vega=np.array([-20.0]),
    ...                option_delta=np.array([0.5]), option_vega=np.array([10.0]))
    >>> DeltaVegaHedge().target(s)
    (array([-0.5]), array([2.]))
    """

    name = "delta-vega"
    label = "Delta-vega (stock + option)"
    uses_option = True
    needs_vega = True

    def target(self, state: HedgeState) -> tuple[FloatArray, FloatArray]:
        u = -_ratio(state.book_vega, state.option_vega)
        return -(state.book_delta + u * state.option_delta), u
