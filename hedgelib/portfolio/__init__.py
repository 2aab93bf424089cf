"""Dynamic portfolio hedging: portfolio insurance and index-futures hedges.

- :mod:`~hedgelib.portfolio.strategies`: CPPI (and TIPP), the synthetic put, the protective put
  and buy-and-hold, the exposure band rule and the registries the pages offer;
- :mod:`~hedgelib.portfolio.insurance`: the runner on simulated paths (seeded, chunked) and its
  result;
- :mod:`~hedgelib.portfolio.history`: insurance on real history, one path or a yearly programme;
- :mod:`~hedgelib.portfolio.futures`: a stock portfolio hedged with index futures whose ratio is
  re-estimated as data arrive.
"""

from hedgelib.portfolio import futures, history, insurance, strategies
from hedgelib.portfolio.futures import *  # noqa: F403
from hedgelib.portfolio.history import *  # noqa: F403
from hedgelib.portfolio.insurance import *  # noqa: F403
from hedgelib.portfolio.strategies import *  # noqa: F403

__all__ = [
    *strategies.__all__,
    *insurance.__all__,
    *history.__all__,
    *futures.__all__,
]
