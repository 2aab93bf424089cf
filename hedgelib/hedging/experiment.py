"""Monte Carlo hedging experiments at scale: chunked, seeded, on any executor.

:func:`run_experiment` simulates paths of a market model and hedges a book along them,
a few thousand paths at a time:

- paths come in fixed-size **blocks** (``block_size`` paths, the last one shorter); block
  ``i`` is simulated with a generator seeded by child ``i`` of
  ``np.random.SeedSequence(seed)``;
- a **chunk** (one task for the executor) is a whole number of consecutive blocks, hedged
  in one engine call per set-up;
- the per-path results are merged in path order by
  :meth:`~hedgelib.hedging.result.HedgeResult.concatenate`, which copies and never adds.

So a path's numbers depend only on ``seed``, ``block_size`` and its index: the result is
bit-identical whatever the chunk size, the executor and the number of workers. Only one
chunk of paths per worker is in memory at a time, plus the per-path results.

References
----------
Glasserman, P., *Monte Carlo Methods in Financial Engineering*, Springer (2004), 1.1 and 4.1.
O'Neill, M. E. (2014) and the NumPy documentation of ``SeedSequence.spawn``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from hedgelib._parallel import parallel_allowed, serial, shared_pool, usable_cpu_count
from hedgelib.conventions import (
    MAX_ELEMENTS,
    MAX_STEPS,
    HedgeLibError,
    check_int,
    check_positive_years,
    check_price,
    check_scalar,
    check_size,
)
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.hedging.result import HedgeResult
from hedgelib.hedging.setup import EVERY_STEP, NO_COSTS, HedgeSetup, resolve_setup
from hedgelib.hedging.strategies import HedgeOption
from hedgelib.market.paths import Paths

__all__ = ["DEFAULT_BLOCK_SIZE", "Progress", "run_experiment", "run_setups"]

DEFAULT_BLOCK_SIZE = 4096
# Chunks a run is cut into by default on a caller's executor (whose worker count is unknown):
# enough for load balancing and a smooth progress bar, few enough that per-task overhead
# (pickling, a Dask round trip) stays negligible.
_DEFAULT_CHUNKS = 32
# Paths per chunk aimed at on the library's own pool. The engine's per-step Python work is
# paid once per step per chunk, so longer steps run faster; much beyond this the step's
# working arrays leave the core's cache.
_THREAD_CHUNK_PATHS = 16384
# Numbers kept per path and set-up in a HedgeResult (P&L, costs, trades, attribution, explain).
_RESULT_FLOATS = 32

Progress = Callable[[int, int], Any]


@dataclass(frozen=True)
class _Chunk:
    """One task: consecutive blocks of paths and the set-ups to hedge them under (picklable)."""

    model: Any
    book: Any
    spot: float
    horizon: float
    n_steps: int
    seeds: tuple[np.random.SeedSequence, ...]
    sizes: tuple[int, ...]
    record: int
    setups: Mapping[str, HedgeSetup]


def _simulate_chunk(task: _Chunk) -> Paths:
    """The chunk's blocks, each from its own seed, side by side in one grid."""
    model = task.model
    blocks = [(size, np.random.default_rng(seed)) for seed, size in zip(task.seeds, task.sizes, strict=True)]
    if callable(getattr(model, "simulate_blocks", None)):
        return model.simulate_blocks(task.spot, task.horizon, task.n_steps, blocks)
    # A model that only has the documented simulate(): blocks simulated and joined.
    parts = [model.simulate(task.spot, task.horizon, task.n_steps, size, rng=rng) for size, rng in blocks]
    if len(parts) == 1:
        return parts[0]
    variance = None
    if parts[0].variance is not None:
        variance = np.concatenate([p.variance for p in parts], axis=1)
    return Paths(parts[0].times, np.concatenate([p.spot for p in parts], axis=1), variance)


def _run_chunk(task: _Chunk) -> dict[str, HedgeResult]:
    """Simulate the blocks of one chunk and hedge them; module level so that it pickles.

    The chunk is the unit of parallelism, so the engine runs serially inside it. Its
    arithmetic is per path, so a path's numbers do not depend on how many share the call.
    """
    with serial():
        paths = _simulate_chunk(task)
        results = {}
        for name, setup in task.setups.items():
            vol = setup.hedge_volatility
            if isinstance(vol, np.ndarray) and vol.ndim == 2 and vol.shape[0] == 1 and task.n_steps:
                # One volatility per path for the whole run: the engine wants one per time.
                setup = setup.replace(hedge_volatility=np.repeat(vol, task.n_steps + 1, axis=0))
            results[name] = simulate_hedge(task.book, paths, setup=setup, record_paths=task.record)
        return results


def _check_volatility_shape(setup: HedgeSetup, name: str, n_steps: int, n_paths: int) -> None:
    """Shapes are checked against the whole run here: the engine only ever sees one chunk and
    would name the chunk's size in its message."""
    arr = np.asarray(setup.hedge_volatility)
    if arr.ndim == 0 or arr.shape == (n_steps + 1,) or (
        arr.ndim == 2 and arr.shape[1] == n_paths and arr.shape[0] in (1, n_steps + 1)
    ):
        return
    raise HedgeLibError(
        f"hedge_volatility{'' if name == 'run' else f' of set-up {name!r}'} must be a number, an "
        f"array of shape ({n_steps + 1},), ({n_steps + 1}, {n_paths}) or (1, {n_paths}), got "
        f"shape {arr.shape}"
    )


def _chunk_setups(setups: Mapping[str, HedgeSetup], a: int, b: int) -> dict[str, HedgeSetup]:
    out = {}
    for name, setup in setups.items():
        vol = setup.hedge_volatility
        if isinstance(vol, np.ndarray) and vol.ndim == 2:
            setup = setup.replace(hedge_volatility=vol[:, a:b])
        out[name] = setup
    return out


def _threaded_blocks_per_chunk(sizes: list[int], workers: int) -> int:
    """Blocks per chunk on the library's pool: about _THREAD_CHUNK_PATHS paths, balanced.

    Of the chunkings with at most the aimed paths per chunk, the one with the fewest blocks
    per chunk whose finishing time (chunks handed out in order to whichever worker is free,
    time proportional to paths) is within 2% of an even split; else the one that finishes
    first.
    """
    ideal = sum(sizes) / workers
    best, best_span = 1, math.inf
    aimed = min(len(sizes), max(1, _THREAD_CHUNK_PATHS // max(sizes[0], 1)))
    for per_chunk in range(aimed, 0, -1):
        loads = [0] * workers
        for c0 in range(0, len(sizes), per_chunk):
            i = loads.index(min(loads))
            loads[i] += sum(sizes[c0 : c0 + per_chunk])
        span = max(loads)
        if span <= 1.02 * ideal:
            return per_chunk
        if span < best_span:
            best, best_span = per_chunk, span
    return best


def run_setups(
    model: Any, book: Any, setups: Mapping[str, HedgeSetup], *, spot: float, horizon: float,
    n_steps: int, n_paths: int, seed: int | np.random.SeedSequence, record_paths: int = 0,
    chunk_size: int | None = None, executor: Executor | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE, progress: Progress | None = None,
) -> dict[str, HedgeResult]:
    """Hedge the same simulated paths under several set-ups: what :func:`run_experiment` and
    :func:`~hedgelib.hedging.studies.compare` run. Arguments as in :func:`run_experiment`;
    returns one result per set-up, in order."""
    if not callable(getattr(model, "simulate", None)):
        raise HedgeLibError(f"model must be a market model with a simulate method, got {model!r}")
    if not hasattr(book, "legs"):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    s0 = check_scalar(spot, "spot", check_price)
    t = check_scalar(horizon, "horizon", check_positive_years)
    n = check_int(n_steps, "n_steps", minimum=1, maximum=MAX_STEPS)
    m = check_int(n_paths, "n_paths", minimum=1, maximum=MAX_ELEMENTS)
    bsz = check_int(block_size, "block_size", minimum=1, maximum=MAX_ELEMENTS)
    n_record = check_int(record_paths, "record_paths", minimum=0, maximum=m)
    if isinstance(seed, np.random.SeedSequence):
        root = seed
    elif isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0:
        root = np.random.SeedSequence(int(seed))
    else:
        raise HedgeLibError(f"seed must be a non-negative int or a numpy SeedSequence, got {seed!r}")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise HedgeLibError(f"executor must be a concurrent.futures.Executor (with submit), got {executor!r}")
    if progress is not None and not callable(progress):
        raise HedgeLibError(f"progress must be callable as progress(done_paths, total), got {progress!r}")
    if not isinstance(setups, Mapping) or not setups:
        raise HedgeLibError(f"setups must be a non-empty mapping of name to HedgeSetup, got {setups!r}")
    for name, setup in setups.items():
        if not isinstance(name, str) or not name:
            raise HedgeLibError(f"setups must be keyed by non-empty names, got {name!r}")
        if not isinstance(setup, HedgeSetup):
            raise HedgeLibError(f"setups[{name!r}] must be a HedgeSetup, got {type(setup).__name__}")
        _check_volatility_shape(setup, name, n, m)

    # Every path keeps about _RESULT_FLOATS numbers per set-up until the end.
    check_size(m * _RESULT_FLOATS * len(setups), f"the per-path results of n_paths={m:,}")
    n_blocks = -(-m // bsz)
    starts = [i * bsz for i in range(n_blocks)]
    sizes = [min(bsz, m - a) for a in starts]
    workers = usable_cpu_count()
    if chunk_size is None and executor is None:
        per_chunk = _threaded_blocks_per_chunk(sizes, workers)
    elif chunk_size is None:
        per_chunk = -(-n_blocks // _DEFAULT_CHUNKS)
    else:
        c = check_int(chunk_size, "chunk_size", minimum=1)
        if c % bsz:
            raise HedgeLibError(
                f"chunk_size must be a whole number of blocks (a multiple of block_size={bsz}), got {c}"
            )
        per_chunk = c // bsz
    check_size(per_chunk * bsz * (n + 1) * 2,
               f"a chunk of {per_chunk * bsz:,} paths (block_size={bsz:,}, chunk_size={chunk_size}) "
               f"x n_steps={n:,}")
    seeds = root.spawn(n_blocks)
    tasks = []
    for c0 in range(0, n_blocks, per_chunk):
        c1 = min(c0 + per_chunk, n_blocks)
        a, b = starts[c0], starts[c1 - 1] + sizes[c1 - 1]
        tasks.append(_Chunk(
            model=model, book=book, spot=s0, horizon=t, n_steps=n, seeds=tuple(seeds[c0:c1]),
            sizes=tuple(sizes[c0:c1]), record=min(max(n_record - a, 0), b - a),
            setups=_chunk_setups(setups, a, b),
        ))
    results = _execute(tasks, executor, m, progress)
    return {name: HedgeResult.concatenate(r[name] for r in results) for name in setups}


def _execute(tasks: list[_Chunk], executor: Executor | None, total: int,
             progress: Progress | None) -> list[dict[str, HedgeResult]]:
    """Run the chunks on the executor (the library's pool by default), in order of results."""
    if progress is not None:
        progress(0, total)
    if executor is None and not parallel_allowed():
        # Already on the pool (or asked to stay serial): never wait on the pool from inside it.
        out = []
        done = 0
        for task in tasks:
            out.append(_run_chunk(task))
            done += sum(task.sizes)
            if progress is not None:
                progress(done, total)
        return out
    pool = shared_pool() if executor is None else executor
    results: list[dict[str, HedgeResult] | None] = [None] * len(tasks)
    futures: dict[Any, int] = {}
    try:
        futures = {pool.submit(_run_chunk, task): i for i, task in enumerate(tasks)}
        pending = set(futures)
        done = 0
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                i = futures[fut]
                results[i] = fut.result()
                done += sum(tasks[i].sizes)
                if progress is not None:
                    progress(done, total)
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    return results  # type: ignore[return-value]


def run_experiment(
    model: Any, book: Any, *, spot: float, horizon: float, n_steps: int, n_paths: int,
    seed: int | np.random.SeedSequence, hedge_volatility: Any = None, rate: float = 0.0,
    dividend_yield: float = 0.0, rule: Any = EVERY_STEP, costs: Any = NO_COSTS,
    strategy: Any = "delta", hedge_option: HedgeOption | None = None,
    pricing_volatility: float | None = None, setup: HedgeSetup | None = None, record_paths: int = 0,
    chunk_size: int | None = None, executor: Executor | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE, progress: Progress | None = None,
) -> HedgeResult:
    """Hedge a book on many simulated paths, in seeded blocks, on any executor.

    Parameters
    ----------
    model : GBM, Heston, MertonJump, GARCH or another market model
        Anything with ``simulate(spot, horizon, n_steps, n_paths, rng=...) -> Paths``.
    book : Book
        The position hedged.
    spot, horizon : float
        Price today and years simulated and hedged (usually the book's last expiry), > 0.
    n_steps, n_paths : int
        Equal grid steps over the horizon and number of paths, >= 1.
    seed : int or numpy.random.SeedSequence
        Root of the random streams: block ``i`` uses ``SeedSequence(seed).spawn(...)[i]``.
    hedge_volatility, rate, dividend_yield, rule, costs, strategy, hedge_option, pricing_volatility
        The hedge, as in :class:`~hedgelib.hedging.setup.HedgeSetup`; ``hedge_volatility``
        may also be one constant per path, shape ``(1, n_paths)``.
    setup : HedgeSetup, optional
        The same settings as one object, instead of the keywords above.
    record_paths : int, default 0
        Record every step of the first ``record_paths`` paths of the run.
    chunk_size : int, optional
        Paths per task, a multiple of ``block_size``. Default: on the library's pool about
        16,384 paths, chosen so that the cores finish together; on a given executor about
        1/32 of the run. It changes the scheduling, never the numbers.
    executor : concurrent.futures.Executor, optional
        Where the chunks run: the library's thread pool by default; a
        ``ProcessPoolExecutor``; or a Dask ``distributed`` client's ``client.get_executor()``.
    block_size : int, default 4096
        Paths per seeded block; part of the random stream: keep it to reproduce a run.
    progress : callable, optional
        Called as ``progress(done_paths, n_paths)`` in the calling thread.

    Returns
    -------
    HedgeResult
        Per-path results of all ``n_paths`` paths, in path order.

    Notes
    -----
    Block :math:`i` covers paths :math:`[iB, \\min((i+1)B, n))` and is driven only by its own
    child seed, so each path's P&L is a function of ``(seed, block_size, path index)`` alone.
    Peak memory is one chunk of paths per worker (``(n_steps + 1) * chunk_size`` floats) plus
    the per-path results (about 32 floats per path).

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> from hedgelib.market.models import GBM
    >>> book = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])
    >>> res = run_experiment(GBM(0.05, 0.2), book, spot=100.0, horizon=1 / 12, n_steps=21,
    ...                      n_paths=5000, seed=7, block_size=1024, hedge_volatility=0.2,
    ...                      rate=0.05)
    >>> res.n_paths, abs(res.summary()["mean"]) < 0.05
    (5000, True)
    """
    setup = resolve_setup(
        setup, hedge_volatility=hedge_volatility, rate=rate, dividend_yield=dividend_yield,
        rule=rule, costs=costs, strategy=strategy, hedge_option=hedge_option,
        pricing_volatility=pricing_volatility,
    )
    return run_setups(
        model, book, {"run": setup}, spot=spot, horizon=horizon, n_steps=n_steps,
        n_paths=n_paths, seed=seed, record_paths=record_paths, chunk_size=chunk_size,
        executor=executor, block_size=block_size, progress=progress,
    )["run"]
