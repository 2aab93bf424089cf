"""Monte Carlo hedging experiments at scale: chunked, seeded, on any executor.

:func:`run_experiment` simulates paths of a market model and hedges a book along them with
:func:`~hedgelib.hedging.engine.simulate_hedge`, a few thousand paths at a time:

- paths come in fixed-size **blocks** (``block_size`` paths, the last one shorter); block
  ``i`` is simulated with a generator seeded by child ``i`` of
  ``np.random.SeedSequence(seed)`` and hedged on its own;
- a **chunk** (one task for the executor) is a whole number of consecutive blocks;
- the per-path results are merged in path order by
  :meth:`~hedgelib.hedging.result.HedgeResult.concatenate`, which copies and never adds.

So a path's numbers depend only on ``seed``, ``block_size`` and its index: the result is
bit-identical whatever the chunk size, the executor and the number of workers. Only one
chunk of paths per worker is in memory at a time (GBM blocks are simulated straight into
the chunk's grid), plus the per-path results.

On top of it, :func:`compare` hedges the same paths under several set-ups (common random
numbers), :func:`frequency_sweep` sets the hedge error and cost against the number of
rebalances beside the Derman-Kamal and Leland predictions of :mod:`hedgelib.theory`, and
:func:`cost_risk_frontier` traces mean cost against P&L standard deviation across rules.

References
----------
Glasserman, P., *Monte Carlo Methods in Financial Engineering*, Springer (2004), sections
4.1 (common random numbers) and 1.1 (standard errors). O'Neill, M. E. (2014) and the NumPy
documentation of ``SeedSequence.spawn`` (independent parallel streams).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from hedgelib import theory
from hedgelib._parallel import usable_cpu_count
from hedgelib.conventions import HedgeLibError, check_int, check_positive
from hedgelib.hedging.costs import TransactionCosts
from hedgelib.hedging.engine import simulate_hedge
from hedgelib.hedging.result import HedgeResult
from hedgelib.hedging.rules import DeltaBand, EveryNSteps, WhalleyWilmott
from hedgelib.market.models import MarketModel, Paths

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "Comparison",
    "compare",
    "cost_risk_frontier",
    "frequency_sweep",
    "run_experiment",
]

DEFAULT_BLOCK_SIZE = 4096
# Chunks a run is cut into by default on a caller's executor (whose worker count is unknown):
# enough for load balancing and a smooth progress bar, few enough that per-task overhead
# (pickling, a Dask round trip) stays negligible.
_DEFAULT_CHUNKS = 32
# Paths per chunk aimed at on this module's own thread pool. The engine's per-step Python
# work (and each thread's GIL hand-offs) is paid once per step per chunk, so longer steps
# run faster; much beyond this the step's working arrays leave the core's cache.
_THREAD_CHUNK_PATHS = 16384
# Keywords of simulate_hedge a set-up may give (record_paths is handled per block here).
_HEDGE_KEYWORDS = frozenset(
    {
        "hedge_volatility",
        "rate",
        "dividend_yield",
        "rule",
        "costs",
        "strategy",
        "hedge_option",
        "pricing_volatility",
        "record_paths",
    }
)

Progress = Callable[[int, int], Any]


# --------------------------------------------------------------------------------------------
# planning and running chunks


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
    records: tuple[int, ...]
    setups: Mapping[str, Mapping[str, Any]]


def _slice_paths(value: Any, a: int, b: int, n_times: int) -> Any:
    """The part of a per-path hedge volatility for paths a..b-1 of its array (else as is)."""
    if isinstance(value, np.ndarray) and value.ndim == 2:
        part = value[:, a:b]
        if part.shape[0] == 1 and n_times > 1:
            # One volatility per path for the whole run: the engine wants one per time too.
            part = np.repeat(part, n_times, axis=0)
        return part
    return value


def _simulate_chunk(task: _Chunk) -> Paths:
    """The chunk's blocks, each from its own seed, side by side in one grid.

    The library's models fill their column slice of the grid directly (the very digits
    ``simulate`` gives the block); any other model's blocks are simulated and concatenated.
    """
    model, n_times, n_paths = task.model, task.n_steps + 1, sum(task.sizes)
    blocks = zip(task.seeds, task.sizes, strict=True)
    if not isinstance(model, MarketModel):
        parts = [
            model.simulate(task.spot, task.horizon, task.n_steps, size, rng=np.random.default_rng(seed))
            for seed, size in blocks
        ]
        if len(parts) == 1:
            return parts[0]
        variance = None
        if parts[0].variance is not None:
            variance = np.concatenate([p.variance for p in parts], axis=1)
        return Paths(parts[0].times, np.concatenate([p.spot for p in parts], axis=1), variance)
    s0, t, _, _ = model._check_run(task.spot, task.horizon, task.n_steps, n_paths, False)
    spot = np.empty((n_times, n_paths))
    variance = np.empty((n_times, n_paths)) if model.has_variance else None
    a = 0
    for seed, size in blocks:
        part = None if variance is None else variance[:, a : a + size]
        model._simulate_into(spot[:, a : a + size], part, s0, t, np.random.default_rng(seed), False)
        a += size
    return model._paths(np.linspace(0.0, t, n_times), spot, variance)


def _run_chunk(task: _Chunk) -> dict[str, HedgeResult]:
    """Simulate the blocks of one chunk and hedge them; module level so that it pickles.

    Each block is simulated from its own seed, then the chunk is hedged in one engine call
    per set-up: fewer, longer vectorised steps. The engine's arithmetic is per path, so a
    path's numbers do not depend on how many paths share the call, and results stay
    bit-identical for any chunking.
    """
    paths = _simulate_chunk(task)
    # Recorded paths are the run's first ones, so within a chunk they lead.
    record = sum(task.records)
    results = {}
    for name, kw in task.setups.items():
        kw = dict(kw)
        if "hedge_volatility" in kw:
            kw["hedge_volatility"] = _slice_paths(
                kw["hedge_volatility"], 0, paths.n_paths, task.n_steps + 1
            )
        results[name] = simulate_hedge(task.book, paths, record_paths=record, **kw)
    return results


def _check_hedge_volatility(value: Any, n_steps: int, n_paths: int) -> Any:
    """Accept what the engine accepts, plus one volatility per path, shape (1, n_paths).

    Shapes are checked here, against the whole run: the engine only ever sees one block and
    would name the block's size in its message.
    """
    arr = check_positive(value, "hedge_volatility")
    if arr.ndim == 0:
        return float(arr)
    if arr.shape == (n_steps + 1,) or (
        arr.ndim == 2 and arr.shape[1] == n_paths and arr.shape[0] in (1, n_steps + 1)
    ):
        return arr
    raise HedgeLibError(
        f"hedge_volatility must be a number, an array of shape ({n_steps + 1},), "
        f"({n_steps + 1}, {n_paths}) or (1, {n_paths}), got shape {arr.shape}"
    )


def _check_setup(name: Any, kw: Any, n_steps: int, n_paths: int) -> dict[str, Any]:
    if not isinstance(name, str) or not name:
        raise HedgeLibError(f"setups must be keyed by non-empty names, got {name!r}")
    if not isinstance(kw, Mapping):
        raise HedgeLibError(
            f"setups[{name!r}] must be a dict of simulate_hedge keywords, got {kw!r}"
        )
    unknown = sorted(set(kw) - _HEDGE_KEYWORDS)
    if unknown:
        raise HedgeLibError(
            f"setups[{name!r}] has unknown keyword(s) {unknown}; simulate_hedge accepts "
            f"{sorted(_HEDGE_KEYWORDS)}"
        )
    if "hedge_volatility" not in kw:
        raise HedgeLibError(f"hedge_volatility must be given (for set-up {name!r}), got none")
    out = dict(kw)
    out["hedge_volatility"] = _check_hedge_volatility(out["hedge_volatility"], n_steps, n_paths)
    return out


def _threaded_blocks_per_chunk(sizes: list[int], workers: int) -> int:
    """Blocks per chunk on the own thread pool: about _THREAD_CHUNK_PATHS paths, balanced.

    ``sizes`` are the paths of each block. Of the chunkings with at most the aimed paths per
    chunk, the one with the fewest blocks per chunk whose finishing time (chunks handed out
    in order to whichever worker is free, time proportional to paths) is within 2% of an
    even split; else the one that finishes first. Equal numbers of chunks per worker matter
    most on small runs, where one extra chunk is a large share of a worker's time.
    """
    total = sum(sizes)
    ideal = total / workers
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


def _run(
    model: Any,
    book: Any,
    setups: Mapping[str, Mapping[str, Any]],
    *,
    spot: Any,
    horizon: Any,
    n_steps: Any,
    n_paths: Any,
    seed: Any,
    chunk_size: Any,
    executor: Any,
    block_size: Any,
    progress: Any,
) -> dict[str, HedgeResult]:
    """Validate, cut into chunks, run on the executor, merge: the engine of this module."""
    if not callable(getattr(model, "simulate", None)):
        raise HedgeLibError(f"model must be a market model with a simulate method, got {model!r}")
    if not hasattr(book, "legs"):
        raise HedgeLibError(f"book must be a Book, got {type(book).__name__}")
    s0 = check_positive(spot, "spot")
    t = check_positive(horizon, "horizon")
    if s0.ndim or t.ndim:
        raise HedgeLibError("spot and horizon must be single numbers")
    n = check_int(n_steps, "n_steps", minimum=1)
    m = check_int(n_paths, "n_paths", minimum=1)
    bsz = check_int(block_size, "block_size", minimum=1)
    if isinstance(seed, np.random.SeedSequence):
        root = seed
    elif isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0:
        root = np.random.SeedSequence(int(seed))
    else:
        raise HedgeLibError(
            f"seed must be a non-negative int or a numpy SeedSequence, got {seed!r}"
        )
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise HedgeLibError(
            f"executor must be a concurrent.futures.Executor (with submit), got {executor!r}"
        )
    if progress is not None and not callable(progress):
        raise HedgeLibError(
            f"progress must be callable as progress(done_paths, total), got {progress!r}"
        )
    checked = {name: _check_setup(name, kw, n, m) for name, kw in setups.items()}
    if not checked:
        raise HedgeLibError("setups must hold at least one set-up, got none")
    record = {
        name: check_int(kw.pop("record_paths", 0), "record_paths", minimum=0, maximum=m)
        for name, kw in checked.items()
    }
    if len(set(record.values())) > 1:
        raise HedgeLibError(f"record_paths must be the same for every set-up, got {record}")
    n_record = next(iter(record.values()))

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
    seeds = root.spawn(n_blocks)
    records = [min(max(n_record - a, 0), size) for a, size in zip(starts, sizes, strict=True)]

    tasks = []
    for c0 in range(0, n_blocks, per_chunk):
        c1 = min(c0 + per_chunk, n_blocks)
        a, b = starts[c0], starts[c1 - 1] + sizes[c1 - 1]
        chunk_setups = {
            name: {**kw, "hedge_volatility": _slice_paths(kw["hedge_volatility"], a, b, 1)}
            for name, kw in checked.items()
        }
        tasks.append(
            _Chunk(
                model=model,
                book=book,
                spot=float(s0),
                horizon=float(t),
                n_steps=n,
                seeds=tuple(seeds[c0:c1]),
                sizes=tuple(sizes[c0:c1]),
                records=tuple(records[c0:c1]),
                setups=chunk_setups,
            )
        )

    if progress is not None:
        progress(0, m)
    own = executor is None
    pool = ThreadPoolExecutor(max_workers=min(workers, len(tasks))) if own else executor
    results: list[dict[str, HedgeResult] | None] = [None] * len(tasks)
    futures: dict[Any, int] = {}
    try:
        futures = {pool.submit(_run_chunk, task): i for i, task in enumerate(tasks)}
        pending = set(futures)
        done_paths = 0
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                i = futures[fut]
                results[i] = fut.result()
                done_paths += sum(tasks[i].sizes)
                if progress is not None:
                    progress(done_paths, m)
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    merged = {}
    for name in checked:
        merged[name] = HedgeResult.concatenate(r[name] for r in results)  # type: ignore[index]
    return merged


# --------------------------------------------------------------------------------------------
# public API


def run_experiment(
    model: Any,
    book: Any,
    *,
    spot: float,
    horizon: float,
    n_steps: int,
    n_paths: int,
    seed: int | np.random.SeedSequence,
    chunk_size: int | None = None,
    executor: Executor | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: Progress | None = None,
    **hedge_keywords: Any,
) -> HedgeResult:
    """Hedge a book on many simulated paths, in seeded blocks, on any executor.

    Parameters
    ----------
    model : GBM, Heston, MertonJump or another market model
        Anything with ``simulate(spot, horizon, n_steps, n_paths, rng=...) -> Paths``.
    book : Book
        The position hedged.
    spot : float
        Price today, > 0.
    horizon : float
        Years simulated and hedged, > 0 (usually the book's last expiry).
    n_steps : int
        Equal grid steps over the horizon, >= 1.
    n_paths : int
        Number of paths, >= 1.
    seed : int or numpy.random.SeedSequence
        Root of the random streams: block ``i`` uses ``SeedSequence(seed).spawn(...)[i]``.
    chunk_size : int, optional
        Paths per task, a multiple of ``block_size``. Default: on the own thread pool,
        up to about 16,384 paths, chosen so that the cores finish together; on a given
        executor, about 1/32 of the run. It changes the scheduling, never the numbers.
    executor : concurrent.futures.Executor, optional
        Where the chunks run: a ``ThreadPoolExecutor`` over the machine's cores by default
        (numpy releases the GIL in its loops); a ``ProcessPoolExecutor``; or a Dask
        ``distributed`` client's ``client.get_executor()``. A given executor is not shut down.
    block_size : int, default 4096
        Paths per seeded block. It is part of the random stream: keep it fixed to reproduce
        a run.
    progress : callable, optional
        Called as ``progress(done_paths, n_paths)`` in the calling thread, at the start and
        after each chunk.
    **hedge_keywords
        Keywords of :func:`~hedgelib.hedging.engine.simulate_hedge` (``hedge_volatility`` is
        required). ``hedge_volatility`` may be per path: shape ``(n_steps + 1, n_paths)``,
        or ``(1, n_paths)`` for one constant volatility per path; each chunk receives its
        columns. ``record_paths`` records the first paths of the whole run.

    Returns
    -------
    HedgeResult
        Per-path results of all ``n_paths`` paths, in path order.

    Notes
    -----
    Block :math:`i` covers paths :math:`[iB, \\min((i+1)B, n))` and is driven only by its own
    child seed, so each path's P&L is a function of ``(seed, block_size, path index)`` alone;
    chunks of whole blocks are hedged independently and concatenated without arithmetic.
    Peak memory is one chunk of paths per worker (``(n_steps + 1) * chunk_size`` floats;
    by default at most about 16,384 paths per chunk on the own pool) plus the per-path
    results (about 32 floats per path).

    References
    ----------
    Glasserman (2004), *Monte Carlo Methods in Financial Engineering*; NumPy
    ``SeedSequence`` (parallel random streams).

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
    out = _run(
        model,
        book,
        {"run": hedge_keywords},
        spot=spot,
        horizon=horizon,
        n_steps=n_steps,
        n_paths=n_paths,
        seed=seed,
        chunk_size=chunk_size,
        executor=executor,
        block_size=block_size,
        progress=progress,
    )
    return out["run"]


@dataclass(frozen=True, eq=False)
class Comparison:
    """Results of several hedging set-ups on the same paths (see :func:`compare`).

    Attributes
    ----------
    results : Mapping[str, HedgeResult]
        One result per set-up, in the order given (read-only).
    n_paths : int
        Paths per set-up.
    seed : int or SeedSequence
        Root seed of the paths.
    """

    results: Mapping[str, HedgeResult]
    n_paths: int
    seed: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", MappingProxyType(dict(self.results)))

    def __getitem__(self, name: str) -> HedgeResult:
        return self.results[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.results)

    def table(self) -> pd.DataFrame:
        """One row per set-up: :meth:`HedgeResult.summary` plus paired standard errors.

        Returns
        -------
        pandas.DataFrame
            Indexed by set-up name; the summary columns, ``std_se`` (standard error of the
            P&L standard deviation) and ``mean_cost_se``. On common paths, differences
            between rows are far more precise than these standard errors suggest: use
            :meth:`difference` for a paired comparison.
        """
        rows = {}
        for name, res in self.results.items():
            row = dict(res.summary())
            row["std_se"] = _std_se(res.pnl)
            row["mean_cost_se"] = _mean_se(res.costs)
            rows[name] = row
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "setup"
        return frame

    def difference(self, name: str, baseline: str) -> dict[str, float]:
        """Paired difference of mean P&L and mean cost, ``name`` minus ``baseline``.

        Returns
        -------
        dict
            ``mean_pnl``, ``mean_pnl_se``, ``mean_cost``, ``mean_cost_se``: the mean of the
            per-path differences and its standard error (common random numbers).
        """
        for n in (name, baseline):
            if n not in self.results:
                raise HedgeLibError(f"no set-up named {n!r}; set-ups are {list(self.results)}")
        a, b = self.results[name], self.results[baseline]
        dp = a.pnl - b.pnl
        dc = a.costs - b.costs
        return {
            "mean_pnl": float(dp.mean()),
            "mean_pnl_se": _mean_se(dp),
            "mean_cost": float(dc.mean()),
            "mean_cost_se": _mean_se(dc),
        }


def _mean_se(x: np.ndarray) -> float:
    return float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else float("nan")


def _std_se(x: np.ndarray) -> float:
    """Standard error of the sample standard deviation, from the sample fourth moment.

    ``Var(s^2) ~ (m4 - s^4) / n`` for any distribution with a fourth moment, and
    ``SE(s) ~ SE(s^2) / (2 s)`` (delta method); unlike ``s / sqrt(2 n)`` it stays honest for
    the fat-tailed P&L of discrete hedges.
    """
    n = x.size
    if n < 2:
        return float("nan")
    d = x - x.mean()
    m2 = float(np.mean(d * d))
    if m2 == 0.0:
        return 0.0
    m4 = float(np.mean(d**4))
    return math.sqrt(max(m4 - m2 * m2, 0.0) / n) / (2.0 * math.sqrt(m2))


def compare(
    model: Any,
    book: Any,
    setups: Mapping[str, Mapping[str, Any]],
    *,
    spot: float,
    horizon: float,
    n_steps: int,
    n_paths: int,
    seed: int | np.random.SeedSequence,
    chunk_size: int | None = None,
    executor: Executor | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: Progress | None = None,
    **common: Any,
) -> Comparison:
    """Hedge the same paths under several set-ups (common random numbers).

    Parameters
    ----------
    model, book, spot, horizon, n_steps, n_paths, seed, chunk_size, executor, block_size, progress
        As in :func:`run_experiment`.
    setups : Mapping[str, dict]
        Set-up name to :func:`~hedgelib.hedging.engine.simulate_hedge` keywords, e.g.
        ``{"daily": {"rule": EveryNSteps(1)}, "weekly": {"rule": EveryNSteps(5)}}``.
    **common
        Keywords shared by every set-up; a set-up's own keywords win.

    Returns
    -------
    Comparison
        ``results`` per set-up and ``table()``.

    Notes
    -----
    Each block of paths is simulated once and hedged under every set-up before the next
    block, so every set-up sees exactly the same paths (their ``unhedged_pnl`` are identical)
    and a difference between set-ups carries no sampling noise from the paths themselves
    beyond the set-ups' own response to them (Glasserman 2004, section 4.1).

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> from hedgelib.market.models import GBM
    >>> from hedgelib.hedging.rules import EveryNSteps
    >>> book = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])
    >>> cmp = compare(GBM(0.05, 0.2), book, {"daily": {"rule": EveryNSteps(1)},
    ...               "weekly": {"rule": EveryNSteps(5)}}, spot=100.0, horizon=1 / 12,
    ...               n_steps=20, n_paths=2000, seed=1, hedge_volatility=0.2, rate=0.05)
    >>> t = cmp.table()
    >>> bool(t.loc["daily", "std"] < t.loc["weekly", "std"])
    True
    """
    if not isinstance(setups, Mapping):
        raise HedgeLibError(f"setups must be a mapping of name to keywords, got {setups!r}")
    unknown = sorted(set(common) - _HEDGE_KEYWORDS)
    if unknown:
        raise HedgeLibError(
            f"unknown keyword(s) {unknown}; simulate_hedge accepts {sorted(_HEDGE_KEYWORDS)}"
        )
    merged = {
        name: {**common, **kw} if isinstance(kw, Mapping) else kw for name, kw in setups.items()
    }
    results = _run(
        model,
        book,
        merged,
        spot=spot,
        horizon=horizon,
        n_steps=n_steps,
        n_paths=n_paths,
        seed=seed,
        chunk_size=chunk_size,
        executor=executor,
        block_size=block_size,
        progress=progress,
    )
    return Comparison(results=results, n_paths=int(n_paths), seed=seed)


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def _default_counts(n_steps: int) -> tuple[int, ...]:
    """Up to 8 divisors of n_steps spread evenly in log scale, n_steps itself included."""
    divs = _divisors(n_steps)
    if len(divs) <= 8:
        return tuple(divs)
    wanted = np.geomspace(1, n_steps, 8)
    picked = {min(divs, key=lambda d, w=w: abs(math.log(d / w))) for w in wanted}
    return tuple(sorted(picked))


def _theory_inputs(
    book: Any, hedge_keywords: Mapping[str, Any]
) -> tuple[float, float, float] | None:
    """(sigma, rate, dividend_yield) when the theory columns make sense, else None."""
    sigma = hedge_keywords.get("hedge_volatility")
    if np.ndim(sigma) != 0 or not getattr(book, "legs", ()):
        return None
    strategy = hedge_keywords.get("strategy", "delta")
    if strategy != "delta":
        return None
    return (
        float(sigma),
        float(hedge_keywords.get("rate", 0.0)),
        float(hedge_keywords.get("dividend_yield", 0.0)),
    )


def frequency_sweep(
    model: Any,
    book: Any,
    *,
    spot: float,
    horizon: float,
    n_paths: int,
    seed: int | np.random.SeedSequence,
    rebalance_counts: Iterable[int] | None = None,
    n_steps: int | None = None,
    chunk_size: int | None = None,
    executor: Executor | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: Progress | None = None,
    **hedge_keywords: Any,
) -> pd.DataFrame:
    """Hedge error and cost against the number of rebalances, beside the theory.

    Parameters
    ----------
    model, book, spot, horizon, n_paths, seed, chunk_size, executor, block_size, progress
        As in :func:`run_experiment`.
    rebalance_counts : iterable of int, optional
        Numbers of equal hedging intervals over the horizon; each must divide ``n_steps``.
        Default: up to 8 divisors of ``n_steps`` spread in log scale.
    n_steps : int, optional
        The fine simulation grid; default the least common multiple of ``rebalance_counts``
        (at most 100,000). Without either, HedgeLibError.
    **hedge_keywords
        :func:`~hedgelib.hedging.engine.simulate_hedge` keywords (``hedge_volatility``
        required); ``rule`` is set here, one ``EveryNSteps(n_steps // N)`` per count.

    Returns
    -------
    pandas.DataFrame
        One row per count, indexed by ``n_rebalances``: ``pnl_std``, ``pnl_std_se``,
        ``mean_pnl``, ``mean_pnl_se``, ``mean_cost``, ``mean_cost_se``, ``mean_trades``;
        and the predictions ``derman_kamal_std`` (:func:`hedgelib.theory.derman_kamal_std`
        with the book's vega today), ``theory_std`` (:func:`hedgelib.theory.hedge_error_std`)
        and ``expected_cost`` (:func:`hedgelib.theory.expected_rebalancing_cost` for the
        proportional part of ``costs``), NaN where they do not apply (a volatility that is
        not one number, a strategy other than "delta", a horizon past the first expiry), and
        ``std_ratio`` = ``pnl_std / derman_kamal_std``.

    Notes
    -----
    Every count hedges the same fine-grid paths (common random numbers), rebalancing every
    ``n_steps // N`` steps, so the curve is smooth and its slope is meaningful. The theory
    assumes the paths move at the hedge volatility (GBM with ``volatility`` equal to
    ``hedge_volatility``); otherwise the gap to it is the lesson. Derman-Kamal predicts
    ``pnl_std`` proportional to ``N^{-1/2}``; Leland's argument predicts a cost growing like
    ``N^{1/2}``.

    References
    ----------
    Derman and Kamal (1999), *Risk* 12(1); Leland (1985), *Journal of Finance* 40(5).

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> from hedgelib.market.models import GBM
    >>> book = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])
    >>> df = frequency_sweep(GBM(0.05, 0.2), book, spot=100.0, horizon=1 / 12, n_paths=4000,
    ...                      seed=2, rebalance_counts=(5, 20), hedge_volatility=0.2, rate=0.05)
    >>> list(df.index), bool(df["pnl_std"].is_monotonic_decreasing)
    ([5, 20], True)
    """
    if "rule" in hedge_keywords:
        raise HedgeLibError(
            "rule is set by frequency_sweep (EveryNSteps per count); do not pass one"
        )
    if rebalance_counts is None:
        if n_steps is None:
            raise HedgeLibError("n_steps or rebalance_counts must be given, got neither")
        n = check_int(n_steps, "n_steps", minimum=1)
        counts = _default_counts(n)
    else:
        try:
            raw = list(rebalance_counts)
        except TypeError:
            raise HedgeLibError(
                f"rebalance_counts must be an iterable of ints, got {rebalance_counts!r}"
            ) from None
        if not raw:
            raise HedgeLibError("rebalance_counts must hold at least one count, got none")
        counts = tuple(sorted({check_int(c, "rebalance_counts", minimum=1) for c in raw}))
        if n_steps is None:
            n = math.lcm(*counts)
            if n > 100_000:
                raise HedgeLibError(
                    f"rebalance_counts {counts} need a grid of {n} steps (their least common "
                    "multiple); give n_steps and counts that divide it"
                )
        else:
            n = check_int(n_steps, "n_steps", minimum=1)
        bad = [c for c in counts if n % c]
        if bad:
            raise HedgeLibError(f"rebalance_counts must divide n_steps={n}, got {bad}")
    setups = {str(c): {"rule": EveryNSteps(n // c)} for c in counts}
    cmp = compare(
        model,
        book,
        setups,
        spot=spot,
        horizon=horizon,
        n_steps=n,
        n_paths=n_paths,
        seed=seed,
        chunk_size=chunk_size,
        executor=executor,
        block_size=block_size,
        progress=progress,
        **hedge_keywords,
    )
    rows = []
    inputs = _theory_inputs(book, hedge_keywords)
    costs = hedge_keywords.get("costs", TransactionCosts())
    k = float(getattr(costs, "proportional", 0.0))
    drift = getattr(model, "drift", None)
    t = float(horizon)
    vega = float("nan")
    if inputs is not None:
        sigma, r, q = inputs
        vega = float(book.greeks(float(spot), sigma, rate=r, dividend_yield=q).vega)
        to_expiry = math.isclose(t, book.expiry, rel_tol=1e-9) and len(book.expiries) == 1
        within = t <= book.first_expiry * (1 + 1e-12)
    for c in counts:
        res = cmp.results[str(c)]
        row = {
            "n_rebalances": c,
            "pnl_std": float(res.pnl.std(ddof=1)) if res.n_paths > 1 else 0.0,
            "pnl_std_se": _std_se(res.pnl),
            "mean_pnl": float(res.pnl.mean()),
            "mean_pnl_se": _mean_se(res.pnl),
            "mean_cost": float(res.costs.mean()),
            "mean_cost_se": _mean_se(res.costs),
            "mean_trades": float(res.n_trades.mean()),
            "derman_kamal_std": float("nan"),
            "theory_std": float("nan"),
            "expected_cost": float("nan"),
        }
        if inputs is not None:
            if to_expiry:
                row["derman_kamal_std"] = theory.derman_kamal_std(vega, sigma, c)
            if within:
                common = dict(
                    spot=float(spot),
                    volatility=sigma,
                    n_rebalances=c,
                    horizon=t,
                    rate=r,
                    dividend_yield=q,
                    drift=drift,
                )
                row["theory_std"] = theory.hedge_error_std(book, **common)
                row["expected_cost"] = theory.expected_rebalancing_cost(
                    book, proportional=k, **common
                )
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("n_rebalances")
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["std_ratio"] = frame["pnl_std"] / frame["derman_kamal_std"]
    return frame


def cost_risk_frontier(
    model: Any,
    book: Any,
    *,
    spot: float,
    horizon: float,
    n_steps: int,
    n_paths: int,
    seed: int | np.random.SeedSequence,
    costs: Any,
    every: Iterable[int] = (1, 2, 5, 10, 21),
    band_widths: Iterable[float] = (0.01, 0.02, 0.05, 0.1, 0.2),
    risk_aversions: Iterable[float] = (0.1, 1.0, 10.0, 100.0),
    band_to: str = "target",
    chunk_size: int | None = None,
    executor: Executor | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: Progress | None = None,
    **hedge_keywords: Any,
) -> pd.DataFrame:
    """Mean cost against P&L standard deviation across rebalancing rules, on the same paths.

    Parameters
    ----------
    model, book, spot, horizon, n_steps, n_paths, seed, chunk_size, executor, block_size, progress
        As in :func:`run_experiment`.
    costs : TransactionCosts
        The cost model every rule pays (with ``proportional > 0`` for Whalley-Wilmott to
        have a band).
    every : iterable of int, default (1, 2, 5, 10, 21)
        Intervals of :class:`~hedgelib.hedging.rules.EveryNSteps`, in grid steps; those
        longer than ``n_steps`` are dropped.
    band_widths : iterable of float, default (0.01, 0.02, 0.05, 0.1, 0.2)
        Half-widths of :class:`~hedgelib.hedging.rules.DeltaBand`, in shares of delta
        (scale them with the size of the book).
    risk_aversions : iterable of float, default (0.1, 1, 10, 100)
        Risk aversions of :class:`~hedgelib.hedging.rules.WhalleyWilmott`, per unit of
        currency.
    band_to : {"target", "edge"}, default "target"
        Where a :class:`DeltaBand` trade goes.
    **hedge_keywords
        Other :func:`~hedgelib.hedging.engine.simulate_hedge` keywords
        (``hedge_volatility`` required; ``rule`` is set here).

    Returns
    -------
    pandas.DataFrame
        One row per rule: ``family`` ("every_n_steps", "delta_band", "whalley_wilmott"),
        ``parameter``, ``label``, ``mean_cost``, ``mean_cost_se``, ``pnl_std``,
        ``pnl_std_se``, ``mean_pnl``, ``mean_trades``, and ``efficient``: True when no other
        rule has both a lower mean cost and a lower standard deviation (the frontier).

    Notes
    -----
    All rules hedge the same paths (common random numbers), so the frontier's shape is not
    blurred by path noise. Whalley and Wilmott's band is the asymptotically optimal
    trade-off for exponential utility, so its points should lie on or near the frontier.

    References
    ----------
    Whalley and Wilmott (1997), *Mathematical Finance* 7(3); Leland (1985).

    Examples
    --------
    >>> from hedgelib.book import Book, OptionLeg
    >>> from hedgelib.market.models import GBM
    >>> from hedgelib.hedging.costs import TransactionCosts
    >>> book = Book([OptionLeg("call", 100.0, 1 / 12, -1.0)])
    >>> df = cost_risk_frontier(GBM(0.05, 0.2), book, spot=100.0, horizon=1 / 12, n_steps=21,
    ...                         n_paths=1000, seed=3, costs=TransactionCosts(proportional=1e-3),
    ...                         every=(1, 5), band_widths=(0.05,), risk_aversions=(1.0,),
    ...                         hedge_volatility=0.2, rate=0.05)
    >>> list(df["label"])
    ['every 1 step', 'every 5 steps', 'band 0.05', 'Whalley-Wilmott 1']
    """
    if "rule" in hedge_keywords:
        raise HedgeLibError("rule is set by cost_risk_frontier; do not pass one")
    n = check_int(n_steps, "n_steps", minimum=1)
    rules: list[tuple[str, float, str, Any]] = []
    for e in sorted({check_int(x, "every", minimum=1) for x in every}):
        if e <= n:
            label = "every 1 step" if e == 1 else f"every {e} steps"
            rules.append(("every_n_steps", float(e), label, EveryNSteps(e)))
    for w in sorted({float(check_positive(x, "band_widths")) for x in band_widths}):
        rules.append(("delta_band", w, f"band {w:g}", DeltaBand(w, to=band_to)))
    for g in sorted({float(check_positive(x, "risk_aversions")) for x in risk_aversions}):
        rules.append(("whalley_wilmott", g, f"Whalley-Wilmott {g:g}", WhalleyWilmott(g)))
    if not rules:
        raise HedgeLibError("every, band_widths and risk_aversions leave no rule to run")
    cmp = compare(
        model,
        book,
        {label: {"rule": rule} for _, _, label, rule in rules},
        spot=spot,
        horizon=horizon,
        n_steps=n,
        n_paths=n_paths,
        seed=seed,
        chunk_size=chunk_size,
        executor=executor,
        block_size=block_size,
        progress=progress,
        costs=costs,
        **hedge_keywords,
    )
    rows = []
    for family, param, label, _ in rules:
        res = cmp.results[label]
        rows.append(
            {
                "family": family,
                "parameter": param,
                "label": label,
                "mean_cost": float(res.costs.mean()),
                "mean_cost_se": _mean_se(res.costs),
                "pnl_std": float(res.pnl.std(ddof=1)) if res.n_paths > 1 else 0.0,
                "pnl_std_se": _std_se(res.pnl),
                "mean_pnl": float(res.pnl.mean()),
                "mean_trades": float(res.n_trades.mean()),
            }
        )
    frame = pd.DataFrame(rows)
    c = frame["mean_cost"].to_numpy()
    s = frame["pnl_std"].to_numpy()
    dominated = ((c[None, :] < c[:, None]) & (s[None, :] < s[:, None])).any(axis=1)
    frame["efficient"] = ~dominated
    return frame
