"""Hedging strategies: "what is the target hedge?".

A strategy receives a :class:`HedgeState` (spot, time, the book's greeks at the hedge
volatility, the hedge option's greeks, current positions) and returns target positions
``(stock, option)``: shares of the underlying and units of the hedge option (``0.0`` when it
uses none). The engine, the rules and the costs decide when and how the targets are reached.
That is the whole interface, so a learned strategy (a minimum-variance delta, a neural
hedge) plugs in by implementing :meth:`Strategy.target`.

Built-in strategies, by name:

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
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from hedgelib._typing import FloatArray, OptionKind
from hedgelib.conventions import HedgeLibError, check_kind, check_positive

__all__ = [
    "STRATEGIES",
    "DeltaGammaHedge",
    "DeltaHedge",
    "DeltaVegaHedge",
    "HedgeOption",
    "HedgeState",
    "NoHedge",
    "Strategy",
    "as_strategy",
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
        Years to expiry when bought. When it expires before the horizon, the engine settles
        it at its payoff and buys a fresh one of the same moneyness and tenor.

    Examples
    --------
    >>> HedgeOption("call", moneyness=1.0, tenor=0.25)
    HedgeOption(kind='call', moneyness=1.0, tenor=0.25)
    """

    kind: OptionKind = "call"
    moneyness: float = 1.0
    tenor: float = 0.25

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", check_kind(self.kind, "kind"))
        for name in ("moneyness", "tenor"):
            arr = check_positive(getattr(self, name), name)
            if arr.ndim != 0:
                raise HedgeLibError(f"{name} must be a single number, got shape {arr.shape}")
            object.__setattr__(self, name, float(arr))


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
        ``book_vega`` is None when no one needs it (strategy and volatility path permitting).
    option_delta, option_gamma, option_vega, option_price : ndarray or None
        Greeks and model price of one unit of the hedge option; None without one.
    stock, option : ndarray, shape (n_paths,)
        Current positions (before this step's trade).
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
        "volatility",
    )

    def __init__(self, **fields: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.get(name))


@runtime_checkable
class Strategy(Protocol):
    """Interface of a hedging strategy.

    ``uses_option`` says whether the strategy trades a hedge option; ``needs_vega`` whether it
    reads ``book_vega`` and ``option_vega``.
    """

    name: str
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
    uses_option = True
    needs_vega = True

    def target(self, state: HedgeState) -> tuple[FloatArray, FloatArray]:
        u = -_ratio(state.book_vega, state.option_vega)
        return -(state.book_delta + u * state.option_delta), u


StrategyName = Literal["none", "delta", "delta-gamma", "delta-vega"]
STRATEGIES: dict[str, type] = {
    "none": NoHedge,
    "delta": DeltaHedge,
    "delta-gamma": DeltaGammaHedge,
    "delta-vega": DeltaVegaHedge,
}


def as_strategy(strategy: Any) -> Strategy:
    """Turn a strategy name or object into a strategy object.

    Examples
    --------
    >>> as_strategy("delta-gamma").name
    'delta-gamma'
    """
    if isinstance(strategy, str):
        key = strategy.strip().lower().replace("_", "-")
        if key in STRATEGIES:
            return STRATEGIES[key]()
        names = ", ".join(repr(n) for n in STRATEGIES)
        raise HedgeLibError(f"strategy must be one of {names} or a strategy object, got {strategy!r}")
    if callable(getattr(strategy, "target", None)):
        return strategy
    raise HedgeLibError(f"strategy must be a name or an object with a target method, got {strategy!r}")
