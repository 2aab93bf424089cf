"""Trained deep hedges offered by every page's strategy list, while the process lives.

Every page builds its strategy list from :data:`hedgelib.hedging.setup.STRATEGIES` when it
draws, so registering a trained :class:`~hedgelib.learned.deep.DeepHedge` there is all it
takes to hedge with it in the Hedge Lab, a backtest or the Rule Comparison.
:func:`register_deep_hedge` names the entry after the trained weights themselves (a short
hash), so training the same inputs twice, in one session or in two, gives one entry, and
keeps at most :data:`MAX_REGISTERED` of them, dropping the oldest: a server that trains
all day does not grow a list without end. A policy meant to last is saved to a file
(:meth:`~hedgelib.learned.deep.DeepHedge.save`) and registered again after
:meth:`~hedgelib.learned.deep.DeepHedge.load`.
"""

from __future__ import annotations

import hashlib
import threading

from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.setup import STRATEGIES
from hedgelib.learned.deep import DeepHedge

__all__ = ["MAX_REGISTERED", "register_deep_hedge", "registered_deep_hedges", "unregister_deep_hedge"]

#: Trained deep hedges kept in the strategy registry at once (the oldest goes first).
MAX_REGISTERED = 8
_PREFIX = "deep-hedge-"
_lock = threading.Lock()
_order: list[str] = []


def _fingerprint(hedge: DeepHedge) -> str:
    p = hedge.policy
    h = hashlib.sha256()
    for arr in (*p.weights, *p.biases):
        h.update(arr.tobytes())
    h.update(repr((hedge.features, p.strike, p.unit, p.volatility, p.horizon, p.book)).encode())
    return h.hexdigest()[:8]


def register_deep_hedge(hedge: DeepHedge) -> str:
    """Offer a trained deep hedge in every strategy list; return its registry name.

    The name is ``"deep-hedge-<hash of the weights>"`` and the label says what the network
    was trained on, so a user picking it on another page knows which book it hedges.

    Examples
    --------
    A network that copies its ``delta`` input (two ReLUs: relu(d) - relu(-d)) is the delta
    hedge, registered like any trained one:

    >>> import numpy as np
    >>> from hedgelib.book import Book, OptionLeg
    >>> from hedgelib.learned.policy import Policy
    >>> book = Book([OptionLeg("call", 100.0, 0.25, -1.0)])
    >>> policy = Policy((np.array([[1.0, -1.0]]), np.array([[1.0], [-1.0]])), (np.zeros(2), np.zeros(1)),
    ...                 ("delta",), strike=100.0, unit=1.0, volatility=0.2, horizon=0.25, book=book)
    >>> hedge = DeepHedge(hidden=(2,), features=("delta",), policy=policy)
    >>> name = register_deep_hedge(hedge)
    >>> from hedgelib.hedging.setup import STRATEGIES
    >>> STRATEGIES[name].build() is hedge
    True
    >>> unregister_deep_hedge(name)
    """
    if not isinstance(hedge, DeepHedge) or not hedge.trained:
        raise HedgeLibError(f"hedge must be a trained DeepHedge, got {hedge!r}")
    name = _PREFIX + _fingerprint(hedge)
    book = " + ".join(leg.describe() for leg in hedge.policy.book.legs)
    label = f"{hedge.label} [{name[len(_PREFIX):]}], trained on {book}"
    with _lock:
        if name in STRATEGIES:
            return name
        STRATEGIES.register(name, lambda: hedge, label=label, parameters=(),
                            help=f"A neural hedge trained on simulated paths for: {book}.")
        _order.append(name)
        while len(_order) > MAX_REGISTERED:
            STRATEGIES.unregister(_order.pop(0))
    return name


def unregister_deep_hedge(name: str) -> None:
    """Remove a registered deep hedge (no error if it is already gone)."""
    with _lock:
        if name in _order:
            _order.remove(name)
            STRATEGIES.unregister(name)


def registered_deep_hedges() -> list[str]:
    """Names of the deep hedges registered now, oldest first."""
    with _lock:
        return [n for n in _order if n in STRATEGIES]
