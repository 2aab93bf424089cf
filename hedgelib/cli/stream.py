"""A run in chunks on an executor, delivered in path order, with memory bounded by the chunk.

Each chunk (a :class:`Piece`) is one call of :func:`~hedgelib.hedging.experiment.run_setups`
on a whole number of the run's seeded blocks, sent to the library's thread pool or to a Dask
``distributed`` client's executor; the results come back in path order, a bounded number at a
time, to be written to disk and folded into the statistics as they arrive.

Why one ``run_setups`` call per chunk rather than one with ``executor=`` for the whole run:
that call returns every per-path result at once (about 35 numbers a path, 2.8 GB at 10 million
paths), whereas the per-path file must be written while the run goes and memory must not grow
with the chunk count. Each chunk is still exactly its part of the whole run: ``run_setups``
seeds block ``i`` from child ``i`` of ``SeedSequence(seed)``, and a chunk starting at block
``b`` passes ``SeedSequence(seed, n_children_spawned=b)``, whose children are ``b, b + 1, ...``
(numpy's documented way to rebuild a ``SeedSequence`` that has already spawned). So each
path's numbers equal those of :func:`~hedgelib.hedging.experiment.run_experiment` on the
whole run with the same seed, whatever the chunk size, executor or worker count.

References
----------
NumPy documentation, ``numpy.random.SeedSequence`` (``spawn``, ``n_children_spawned``).
"""

from __future__ import annotations

import importlib
import logging
import math
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hedgelib._parallel import serial, shared_pool, usable_cpu_count
from hedgelib.cli.args import CommandError, Scheduler
from hedgelib.hedging.experiment import DEFAULT_BLOCK_SIZE, run_setups
from hedgelib.hedging.result import HedgeResult
from hedgelib.hedging.setup import HedgeSetup
from hedgelib.hedging.studies import Comparison

__all__ = [
    "STAT_COLUMNS",
    "Backend",
    "Piece",
    "PieceResult",
    "Statistics",
    "dask_backend",
    "path_columns",
    "pieces",
    "run_piece",
    "stream",
    "thread_backend",
]

#: Per-path columns the statistics need (kept in memory for exact quantiles: 40 bytes a path
#: and set-up); every other column is written to disk and only its mean is kept.
STAT_COLUMNS: tuple[str, ...] = ("pnl", "unhedged_pnl", "costs", "n_trades", "turnover")

#: Default paths per chunk: on threads as the library's pool aims for (16,384); on Dask
#: larger, so that a task's round trip stays small against its work (about a second).
THREAD_CHUNK, DASK_CHUNK = 4 * DEFAULT_BLOCK_SIZE, 16 * DEFAULT_BLOCK_SIZE


# -- one chunk ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """One task: ``n_paths`` paths from block ``first_block`` of the run, hedged under
    ``setups`` (picklable, so it travels to Dask workers)."""

    model: Any
    book: Any
    setups: Mapping[str, HedgeSetup]
    spot: float
    horizon: float
    n_steps: int
    seed: int
    first_block: int
    n_paths: int
    per_path: bool
    group: int = 0
    block_size: int = DEFAULT_BLOCK_SIZE

    @property
    def first_path(self) -> int:
        return self.first_block * self.block_size


@dataclass(frozen=True)
class PieceResult:
    """A chunk's per-path columns and premium, per set-up."""

    columns: dict[str, dict[str, np.ndarray]]
    premium: dict[str, float]


def path_columns(result: HedgeResult, *, full: bool = True) -> dict[str, np.ndarray]:
    """A result's per-path numbers as flat columns: P&L, unhedged P&L, costs, trades,
    turnover, option turnover, then ``cost_<component>`` (positive), ``attribution_<term>``
    and ``explain_<term>`` (both sum to ``pnl``); only :data:`STAT_COLUMNS` unless ``full``."""
    cols = {name: np.asarray(getattr(result, name)) for name in STAT_COLUMNS}
    if full:
        cols["option_turnover"] = np.asarray(result.option_turnover)
        for prefix, group in (("cost_", result.cost_breakdown), ("attribution_", result.attribution),
                              ("explain_", result.explain)):
            cols.update({prefix + k: np.asarray(v) for k, v in group.items()})
    return cols


def run_piece(piece: Piece) -> PieceResult:
    """Simulate and hedge one chunk (module level: Dask pickles it by reference).

    The chunk is the unit of parallelism, so the library works serially inside it: a Dask
    worker's threads and the library's pool never stack up.
    """
    seed = np.random.SeedSequence(piece.seed, n_children_spawned=piece.first_block)
    with serial():
        results = run_setups(
            piece.model, piece.book, piece.setups, spot=piece.spot, horizon=piece.horizon,
            n_steps=piece.n_steps, n_paths=piece.n_paths, seed=seed, block_size=piece.block_size,
        )
    return PieceResult(
        columns={k: path_columns(r, full=piece.per_path) for k, r in results.items()},
        premium={k: r.premium for k, r in results.items()},
    )


def pieces(*, model: Any, book: Any, setups: Mapping[str, HedgeSetup], spot: float,
           horizon: float, n_steps: int, n_paths: int, seed: int, chunk_size: int,
           per_path: bool, group: int = 0) -> list[Piece]:
    """The chunks of one run, in path order (``chunk_size`` a multiple of the block size)."""
    per_chunk = chunk_size // DEFAULT_BLOCK_SIZE
    n_blocks = -(-n_paths // DEFAULT_BLOCK_SIZE)
    out = []
    for b in range(0, n_blocks, per_chunk):
        a = b * DEFAULT_BLOCK_SIZE
        size = min(per_chunk * DEFAULT_BLOCK_SIZE, n_paths - a)
        out.append(Piece(model, book, dict(setups), spot, horizon, n_steps, seed, b, size,
                         per_path, group))
    return out


# -- where chunks run -------------------------------------------------------------------------


@dataclass
class Backend:
    """An executor and how many chunks to keep on it: ``running`` submitted at once, and
    ``window`` submitted or finished-but-not-yet-consumed (what bounds memory)."""

    executor: Executor
    running: int
    window: int
    description: dict[str, Any]
    chunk_size: int
    note: str | None = None
    closers: list[Callable[[], Any]] = field(default_factory=list)

    def default_chunk(self, n_paths: int) -> int:
        """Paths per chunk when ``--chunk-size`` is not given: :attr:`chunk_size`, or fewer
        (whole blocks) so that every slot gets about four chunks of a small run."""
        n_blocks = -(-int(n_paths) // DEFAULT_BLOCK_SIZE)
        per_slot = -(-n_blocks // (4 * self.running))
        return DEFAULT_BLOCK_SIZE * max(1, min(self.chunk_size // DEFAULT_BLOCK_SIZE, per_slot))

    def close(self) -> None:
        """Stop what the backend started (a Dask client, a LocalCluster); safe to call twice."""
        _close_all(self.closers)
        self.closers.clear()


def thread_backend(workers: int | None = None) -> Backend:
    """The library's thread pool, ``workers`` chunks at a time (default: every usable core)."""
    cores = usable_cpu_count()
    k = cores if workers is None else min(int(workers), cores)
    note = None
    if workers is not None and workers > cores:
        note = f"--workers {workers}: this process may use {cores} cores; running {k} at a time"
    return Backend(shared_pool(), running=k, window=2 * k + 1, chunk_size=THREAD_CHUNK, note=note,
                   description={"kind": "threads", "workers": k})


def _quiet_dask() -> None:
    # A run prints its own progress; Dask's INFO lines and shutdown chatter are noise there.
    for name in ("distributed", "tornado", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _close_all(closers: list[Callable[[], Any]]) -> None:
    for close in reversed(closers):
        try:
            close()
        except Exception:  # noqa: BLE001 - closing after a failure: best effort
            pass


def dask_backend(scheduler: Scheduler, *, timeout: float = 10.0) -> Backend:
    """A Dask client's executor: a new ``LocalCluster`` of ``K`` processes (``local:K``) or
    the scheduler at an address. Raises CommandError when Dask is missing or the scheduler
    cannot be reached."""
    try:
        import dask
        import distributed
    except ImportError:
        raise CommandError(
            f"--scheduler {scheduler}: needs Dask distributed (pip install 'dask[distributed]')"
        ) from None
    _quiet_dask()
    closers: list[Callable[[], Any]] = []
    try:
        if scheduler.local_workers is not None:
            # Worker processes started with SIGINT ignored keep ignoring it (Python installs
            # its Ctrl-C handler only where SIGINT is at its default): Ctrl-C in a terminal
            # then reaches this process alone, which stops the cluster cleanly.
            main = threading.current_thread() is threading.main_thread()
            before = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
            try:
                cluster = distributed.LocalCluster(
                    n_workers=scheduler.local_workers, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.CRITICAL,
                )
            finally:
                if main:
                    signal.signal(signal.SIGINT, before)
            closers.append(cluster.close)
            client = distributed.Client(cluster, set_as_default=False)
        else:
            client = distributed.Client(scheduler.address, timeout=f"{timeout}s",
                                        set_as_default=False)
        closers.append(client.close)
        threads = sum(client.nthreads().values())
    except (OSError, TimeoutError, ValueError, RuntimeError) as exc:
        _close_all(closers)
        what = ("could not start a LocalCluster" if scheduler.address is None
                else "cannot reach a Dask scheduler")
        raise CommandError(f"--scheduler {scheduler}: {what} ({_first_line(exc)})") from None
    if threads < 1:
        _close_all(closers)
        raise CommandError(f"--scheduler {scheduler}: the scheduler has no workers")
    try:
        # Import the library on every worker now: a worker without hedgelib is named here,
        # not after the first chunk, and import time does not count as hedging time.
        client.run(importlib.import_module, "hedgelib.cli.stream")
    except Exception as exc:  # noqa: BLE001 - whatever the workers raised, say it in one line
        _close_all(closers)
        raise CommandError(f"--scheduler {scheduler}: the workers cannot import hedgelib "
                           f"(install it where they run): {_first_line(exc)}") from None
    backend = Backend(
        client.get_executor(pure=False), running=2 * threads, window=4 * threads,
        chunk_size=DASK_CHUNK,
        description={"kind": "dask", "scheduler": str(scheduler), "worker_threads": threads,
                     "dask": dask.__version__, "distributed": distributed.__version__},
    )
    backend.closers.extend(closers)
    return backend


# -- the stream -------------------------------------------------------------------------------


@contextmanager
def _ctrl_c_as_flag() -> Iterator[threading.Event]:
    """Within the block, Ctrl-C sets the returned flag instead of raising at once.

    A KeyboardInterrupt raised wherever the main thread happens to be can land inside
    ``concurrent.futures`` while it holds a future's lock: the worker finishing that future
    then blocks on it for ever, and so does the interpreter's exit, which joins the workers.
    The stream polls the flag between waits and raises at a point where no lock is held.
    """
    flag = threading.Event()
    # Only the main thread may set handlers; a SIGINT that is ignored (a background job)
    # or already handled by the caller is left alone.
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield flag
        return
    before = signal.signal(signal.SIGINT, lambda signum, frame: flag.set())
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, before)


def stream(tasks: Sequence[Piece], backend: Backend, deliver: Callable[[Piece, PieceResult], None],
           *, on_done: Callable[[Piece], None] | None = None) -> None:
    """Run ``tasks`` on the backend; call ``deliver`` on each result in task order.

    At most ``backend.running`` tasks are submitted at once and at most ``backend.window``
    are submitted or waiting to be delivered, so memory is a few chunks whatever the run.
    ``on_done`` is called as each task finishes (in any order), for a progress bar. On any
    exception, and on Ctrl-C (raised as KeyboardInterrupt within a quarter of a second), the
    tasks not started are cancelled and it propagates.
    """
    pending: dict[Future, int] = {}
    ready: dict[int, PieceResult] = {}
    next_submit = next_deliver = 0
    with _ctrl_c_as_flag() as interrupted:
        try:
            while next_deliver < len(tasks):
                if interrupted.is_set():
                    raise KeyboardInterrupt
                while (next_submit < len(tasks) and len(pending) < backend.running
                       and len(pending) + len(ready) < backend.window):
                    pending[backend.executor.submit(run_piece, tasks[next_submit])] = next_submit
                    next_submit += 1
                finished, _ = wait(list(pending), timeout=0.25, return_when=FIRST_COMPLETED)
                for fut in finished:
                    i = pending.pop(fut)
                    ready[i] = fut.result()
                    if on_done is not None:
                        on_done(tasks[i])
                while next_deliver in ready:
                    deliver(tasks[next_deliver], ready.pop(next_deliver))
                    next_deliver += 1
            if interrupted.is_set():
                raise KeyboardInterrupt
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise


# -- statistics -------------------------------------------------------------------------------


class Statistics:
    """The statistics of set-ups hedged on the same ``n_paths`` paths, folded in chunk by chunk.

    Keeps :data:`STAT_COLUMNS` per path (exact quantiles need every P&L) and the sum of every
    other column; the tables come from the library's own :class:`HedgeResult.summary` and
    :class:`~hedgelib.hedging.studies.Comparison`, so they are the page's numbers.
    """

    def __init__(self, names: Sequence[str], n_paths: int, *, n_steps: int, horizon: float, seed: int):
        self.names = list(names)
        self.n_paths, self.n_steps, self.horizon, self.seed = n_paths, n_steps, horizon, seed
        self._kept = {name: {c: np.empty(n_paths, dtype=np.int64 if c == "n_trades" else np.float64)
                             for c in STAT_COLUMNS} for name in self.names}
        self._sums: dict[str, dict[str, list[float]]] = {name: {} for name in self.names}
        self.premium: dict[str, float] = {}
        self.done = 0

    def add(self, first_path: int, result: PieceResult) -> None:
        n = 0
        for name in self.names:
            cols = result.columns[name]
            n = cols["pnl"].size
            for c in STAT_COLUMNS:
                self._kept[name][c][first_path:first_path + n] = cols[c]
            for c, v in cols.items():
                self._sums[name].setdefault(c, []).append(float(np.sum(v)))
            self.premium[name] = result.premium[name]
        self.done += n

    @property
    def complete(self) -> bool:
        return self.done == self.n_paths

    def means(self, name: str) -> dict[str, float]:
        """Mean of every per-path column of ``name`` (sums of chunk sums, correctly rounded)."""
        return {c: math.fsum(s) / self.n_paths for c, s in self._sums[name].items()}

    def _result(self, name: str) -> HedgeResult:
        # Only what summary() and Comparison read; the kept arrays are released as it is built.
        kept = self._kept.pop(name)
        return HedgeResult(
            pnl=kept.pop("pnl"), premium=self.premium[name], costs=kept.pop("costs"),
            cost_breakdown={}, n_trades=kept.pop("n_trades"), turnover=kept.pop("turnover"),
            option_turnover=np.zeros(self.n_paths), unhedged_pnl=kept.pop("unhedged_pnl"),
            attribution={}, explain={}, n_steps=self.n_steps, horizon=self.horizon,
        )

    def tables(self, baselines: Mapping[str, str | None] | None = None) -> dict[str, dict[str, float]]:
        """Per set-up: the summary, ``std_se`` and ``mean_cost_se`` (as
        :meth:`Comparison.table`) and, where ``baselines`` names another set-up of the same
        paths, the paired differences to it (``diff_mean``, ``diff_mean_se``, ``diff_cost``,
        ``diff_cost_se``; zero for the baseline itself).

        Call once: it releases the kept columns as it goes (at most the set-up on hand and
        the baselines still needed are held twice).
        """
        baselines = dict(baselines or {})
        built: dict[str, HedgeResult] = {}
        out: dict[str, dict[str, float]] = {}
        for i, name in enumerate(self.names):
            res = built.get(name) or self._result(name)
            row = Comparison({name: res}, n_paths=self.n_paths, seed=self.seed).table().iloc[0]
            out[name] = {k: float(v) for k, v in row.items()}
            base_name = baselines.get(name)
            if base_name is not None:
                if base_name not in built:
                    built[base_name] = res if base_name == name else self._result(base_name)
                pair = {base_name: built[base_name], name: res}
                d = Comparison(pair, n_paths=self.n_paths, seed=self.seed).difference(name, base_name)
                out[name].update(diff_mean=d["mean_pnl"], diff_mean_se=d["mean_pnl_se"],
                                 diff_cost=d["mean_cost"], diff_cost_se=d["mean_cost_se"])
            done, later = set(self.names[:i + 1]), self.names[i + 1:]
            for b in [b for b in built if b in done and b not in {baselines.get(n) for n in later}]:
                del built[b]
            del res
        return out
