"""What a trained deep hedge is at run time: its inputs, the book's scales, and the network.

A :class:`Policy` holds plain numpy weights and the scales of the network's inputs; the
engine evaluates it with a numpy forward pass, so neither running a trained hedge nor this
module needs JAX. :mod:`hedgelib.learned.training` builds a Policy, and
:class:`~hedgelib.learned.deep.DeepHedge` carries one; the input names are explained in
:mod:`hedgelib.learned.deep`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from hedgelib._typing import FloatArray
from hedgelib.book import Book
from hedgelib.conventions import (
    EXPIRY_TOLERANCE,
    HedgeLibError,
    check_positive,
    check_scalar,
)
from hedgelib.pricing.black_scholes import bs_greeks

__all__ = [
    "ARCHITECTURES",
    "BAND_FEATURES",
    "DEFAULT_FEATURES",
    "FEATURES",
    "Policy",
    "alive_delta",
    "book_scales",
]

#: Input names the network understands, with what each one is (see the module notes).
FEATURES: dict[str, str] = {
    "log_moneyness": "log(spot / reference strike), in units of sigma_0 sqrt(T)",
    "time_to_expiry": "years left to the book's last expiry, as a fraction of its life",
    "volatility": "hedge volatility now over the hedge volatility today",
    "prev_hedge": "hedge held before this step's trade, shares per unit of the book",
    "delta": "Black-Scholes delta hedge, shares per unit of the book",
}
#: The inputs of Buehler et al. (2019) and pfhedge's examples.
DEFAULT_FEATURES: tuple[str, ...] = ("log_moneyness", "time_to_expiry", "volatility", "prev_hedge")
#: The inputs of a band network: the previous hedge enters through the band, not the network.
BAND_FEATURES: tuple[str, ...] = ("log_moneyness", "time_to_expiry", "volatility")
#: Network shapes: a perceptron whose output is the hedge, or a no-transaction band network.
ARCHITECTURES: tuple[str, ...] = ("mlp", "band")


def _check_features(features: Any) -> tuple[str, ...]:
    if isinstance(features, str) or not hasattr(features, "__iter__"):
        raise HedgeLibError(f"features must be a tuple of feature names, got {features!r}")
    out = tuple(features)
    if not out:
        raise HedgeLibError("features must name at least one input, got none")
    unknown = [f for f in out if f not in FEATURES]
    if unknown:
        raise HedgeLibError(
            f"features must be among {', '.join(repr(f) for f in FEATURES)}, got {unknown[0]!r}"
        )
    if len(set(out)) != len(out):
        raise HedgeLibError(f"features must not repeat a name, got {out!r}")
    return out


def book_scales(book: Any) -> tuple[float, float, float]:
    """The reference strike, the unit (sum of |quantity|) and the last expiry of a book.

    The reference strike is the quantity-weighted mean strike, so a straddle or a spread is
    seen as one position around its centre. Raises ``HedgeLibError`` for a book without an
    option leg (there is nothing to learn to hedge).

    >>> from hedgelib.book import OptionLeg
    >>> book_scales(Book([OptionLeg("call", 90.0, 0.25, -1.0), OptionLeg("call", 110.0, 0.5, 3.0)]))
    (105.0, 4.0, 0.5)
    """
    if not isinstance(book, Book):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    if not book.legs:
        raise HedgeLibError("book must hold at least one option leg for a learned hedge, got none")
    weights = np.array([abs(leg.quantity) for leg in book.legs])
    strikes = np.array([leg.strike for leg in book.legs])
    unit = float(weights.sum())
    return float(weights @ strikes / unit), unit, float(max(leg.expiry for leg in book.legs))


def alive_delta(book: Book, spot: Any, time: float, volatility: Any, rate: float,
                dividend_yield: float) -> FloatArray:
    """The book's Black-Scholes delta at one time, counting only legs not yet settled (as the
    engine does: a leg leaves the book at the first grid time at or after its expiry)."""
    s = np.asarray(spot, dtype=np.float64)
    total = np.full(s.shape, float(book.stock))
    for leg in book.legs:
        tau = leg.expiry - time
        if tau > EXPIRY_TOLERANCE:
            g = bs_greeks(s, leg.strike, tau, volatility, rate, dividend_yield, leg.kind)
            total = total + leg.quantity * np.asarray(g.delta)
    return total


@dataclass(frozen=True, eq=False)
class Policy:
    """A trained network and everything needed to feed it: plain numpy arrays and numbers.

    ``weights[i]`` has shape ``(inputs, outputs)`` of layer i, ``biases[i]`` ``(outputs,)``;
    hidden layers use ReLU, the last is linear: one output, the hedge per unit of the book,
    for ``architecture="mlp"``; two, the band's reach below and above the delta before the
    softplus, for ``"band"`` (module notes). ``strike``, ``unit``, ``volatility`` and ``horizon`` scale the inputs (module
    notes); ``book``, ``rate`` and ``dividend_yield`` are those of training (the ``delta``
    input and the charts need them).
    """

    weights: tuple[FloatArray, ...]
    biases: tuple[FloatArray, ...]
    features: tuple[str, ...]
    strike: float
    unit: float
    volatility: float
    horizon: float
    book: Book
    rate: float = 0.0
    dividend_yield: float = 0.0
    architecture: str = "mlp"

    def __post_init__(self) -> None:
        if not isinstance(self.architecture, str) or self.architecture not in ARCHITECTURES:
            raise HedgeLibError(f"architecture must be one of {ARCHITECTURES}, got {self.architecture!r}")
        ws = tuple(np.array(w, dtype=np.float64) for w in self.weights)
        bs = tuple(np.array(b, dtype=np.float64) for b in self.biases)
        if not ws or len(ws) != len(bs):
            raise HedgeLibError(f"weights and biases must be non-empty and as many, got {len(ws)} and {len(bs)}")
        width = len(self.features)
        for i, (w, b) in enumerate(zip(ws, bs, strict=True)):
            if w.ndim != 2 or w.shape[0] != width or b.shape != (w.shape[1],):
                raise HedgeLibError(
                    f"layer {i} must take {width} inputs with one bias per output, got weights "
                    f"{w.shape} and biases {b.shape}"
                )
            if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
                raise HedgeLibError(f"layer {i} must hold finite weights, got NaN or infinity")
            width = w.shape[1]
            w.setflags(write=False)
            b.setflags(write=False)
        wanted = 2 if self.architecture == "band" else 1
        if width != wanted:
            raise HedgeLibError(f"the last layer of a {self.architecture} network must have {wanted} "
                                f"output(s), got {width}")
        object.__setattr__(self, "weights", ws)
        object.__setattr__(self, "biases", bs)
        for name in ("strike", "unit", "volatility", "horizon"):
            object.__setattr__(self, name, check_scalar(getattr(self, name), name, check_positive))

    def inputs(self, spot: Any, time_to_expiry: Any, volatility: Any, prev_hedge: Any,
               delta: Any = None) -> FloatArray:
        """The network's input rows, shape ``(n, len(features))``; arguments broadcast.

        ``prev_hedge`` and ``delta`` are per unit of the book (shares / ``unit``); ``delta``
        is needed only when the policy reads it.
        """
        s = np.asarray(spot, dtype=np.float64)
        scale = self.volatility * math.sqrt(self.horizon)
        cols = {
            "log_moneyness": lambda: np.log(s / self.strike) / scale,
            "time_to_expiry": lambda: np.asarray(time_to_expiry, dtype=np.float64) / self.horizon,
            "volatility": lambda: np.asarray(volatility, dtype=np.float64) / self.volatility,
            "prev_hedge": lambda: np.asarray(prev_hedge, dtype=np.float64),
            "delta": lambda: np.asarray(delta, dtype=np.float64),
        }
        if "delta" in self.features and delta is None:
            raise HedgeLibError("delta must be given: this policy reads the Black-Scholes delta")
        parts = [cols[f]() for f in self.features]
        shape = np.broadcast_shapes(*(np.shape(p) for p in parts))
        out = np.empty((int(np.prod(shape)), len(parts)))
        for j, p in enumerate(parts):
            out[:, j] = np.broadcast_to(p, shape).reshape(-1)
        return out

    @property
    def needs_delta(self) -> bool:
        """Whether acting needs the Black-Scholes delta (an input, or the band's centre)."""
        return self.architecture == "band" or "delta" in self.features

    def outputs(self, x: FloatArray) -> FloatArray:
        """The network's raw outputs for input rows ``x``, shape (n, 1 or 2)."""
        h = np.asarray(x, dtype=np.float64)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ w
            h += b
            if i < last:
                np.maximum(h, 0.0, out=h)
        return h

    def act(self, x: FloatArray, prev_hedge: Any = None, delta: Any = None) -> FloatArray:
        """Hedge per unit of the book, shape (n,), for input rows ``x``; a band network also
        needs the previous hedge and the delta per unit (module notes)."""
        out = self.outputs(x)
        if self.architecture == "mlp":
            return out[:, 0]
        d = np.asarray(delta, dtype=np.float64).reshape(-1)
        lower, upper = d - np.logaddexp(0.0, out[:, 0]), d + np.logaddexp(0.0, out[:, 1])
        prev = np.broadcast_to(np.asarray(prev_hedge, dtype=np.float64).reshape(-1), d.shape)
        return np.minimum(np.maximum(prev, lower), upper)

    def bs_delta(self, spot: Any, time: Any, volatility: Any) -> FloatArray:
        """The Black-Scholes delta hedge per unit of the trained book, ``-Delta_book / unit``."""
        return -alive_delta(self.book, spot, float(time), volatility, self.rate,
                            self.dividend_yield) / self.unit

    def hedge(self, spot: Any, time: float, *, volatility: Any = None, prev_hedge: Any = 0.0) -> FloatArray:
        """Shares per unit of the book the policy holds at ``spot`` and ``time`` (years from
        today), starting from ``prev_hedge`` (per unit); ``volatility`` defaults to today's.
        Arguments broadcast; the result has their shape."""
        sigma = self.volatility if volatility is None else volatility
        s = np.asarray(spot, dtype=np.float64)
        shape = np.broadcast_shapes(s.shape, np.shape(prev_hedge), np.shape(sigma))
        delta = self.bs_delta(np.broadcast_to(s, shape), time, sigma) if self.needs_delta else None
        tau = max(self.horizon - float(time), 0.0)
        x = self.inputs(s, tau, sigma, prev_hedge, delta)
        prev = np.broadcast_to(prev_hedge, shape)
        return self.act(x, prev, None if delta is None else np.broadcast_to(delta, shape)).reshape(shape)
