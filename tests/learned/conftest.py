"""Hand-made policies: networks whose output is known exactly, so the engine's plumbing, the
band reader and the files can be tested without training (and without JAX)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from hedgelib.book import Book, OptionLeg
from hedgelib.learned import DeepHedge, Policy


def _hedge(book: Book, features: tuple[str, ...], weights, biases, *, volatility: float = 0.2,
           rate: float = 0.0, dividend_yield: float = 0.0) -> DeepHedge:
    from hedgelib.learned.policy import book_scales

    strike, unit, horizon = book_scales(book)
    policy = Policy(tuple(np.asarray(w, dtype=float) for w in weights),
                    tuple(np.asarray(b, dtype=float) for b in biases), features, strike, unit,
                    volatility, horizon, book, rate, dividend_yield)
    return DeepHedge(hidden=tuple(np.shape(w)[1] for w in weights[:-1]), features=features, policy=policy)


@pytest.fixture
def short_call() -> Book:
    return Book([OptionLeg("call", 100.0, 20 / 252, -1.0)])


@pytest.fixture
def delta_copy() -> Callable[..., DeepHedge]:
    """A network that outputs its ``delta`` input: relu(d) - relu(-d). In the engine it is
    the Black-Scholes delta hedge, digit for digit."""

    def make(book: Book, **scales) -> DeepHedge:
        return _hedge(book, ("delta",), [[[1.0, -1.0]], [[1.0], [-1.0]]], [[0.0, 0.0], [0.0]], **scales)

    return make


@pytest.fixture
def band_policy() -> Callable[..., DeepHedge]:
    """A network that keeps its previous hedge inside [delta - h, delta + h] and trades to the
    nearest edge outside: four ReLUs, relu(p) - relu(-p) - relu(p - d - h) + relu(d - h - p)."""

    def make(book: Book, half_width: float) -> DeepHedge:
        h = half_width
        w1 = [[1.0, -1.0, 1.0, -1.0],   # prev_hedge
              [-1.0, 1.0, 0.0, 0.0]]    # delta
        b1 = [-h, -h, 0.0, 0.0]
        w2 = [[-1.0], [1.0], [1.0], [-1.0]]
        return _hedge(book, ("prev_hedge", "delta"), [w1, w2], [b1, [0.0]])

    return make
