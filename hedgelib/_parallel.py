"""One thread pool for the whole library, and how many cores this process may use.

Pricing, the hedging engine and the experiment runner all share :func:`shared_pool`; numpy and
scipy release the GIL inside their loops, so its threads run in parallel. Work submitted from
one of its own threads (or inside :func:`serial`) runs in the calling thread instead: a task
never waits on the pool it runs in, and nested parallelism cannot oversubscribe the cores.
Threads never change a number: work is split into the same pieces whoever runs them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

__all__ = [
    "BLOCK",
    "PARALLEL_FROM",
    "for_each_block",
    "parallel_allowed",
    "serial",
    "shared_pool",
    "thread_map",
    "usable_cpu_count",
]

T = TypeVar("T")
R = TypeVar("R")

_local = threading.local()
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def usable_cpu_count() -> int:
    """Cores this process may run on: the affinity mask where the OS has one, else all cores.

    In a container or under ``taskset`` the affinity mask is smaller than ``os.cpu_count()``;
    sizing the pool by it avoids more threads than cores.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without affinity masks (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def _mark_worker() -> None:
    _local.serial = True


def shared_pool() -> ThreadPoolExecutor:
    """The library's thread pool, one thread per usable core, created on first use."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=usable_cpu_count(), thread_name_prefix="hedgelib", initializer=_mark_worker
            )
        return _pool


def parallel_allowed() -> bool:
    """Whether work may go to the pool from here: not from its own threads, not in :func:`serial`."""
    return usable_cpu_count() > 1 and not getattr(_local, "serial", False)


@contextmanager
def serial() -> Iterator[None]:
    """Run the library's work in the calling thread within this block (a caller's own pool)."""
    before = getattr(_local, "serial", False)
    _local.serial = True
    try:
        yield
    finally:
        _local.serial = before


def thread_map(func: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[func(x) for x in items]``, on the shared pool when allowed and worth it."""
    items = list(items)
    if len(items) > 1 and parallel_allowed():
        # list() waits for every item and re-raises the first exception.
        return list(shared_pool().map(func, items))
    return [func(x) for x in items]


# Elementwise work goes in blocks of this many elements, so temporaries stay in cache and are
# recycled by the allocator; from PARALLEL_FROM elements up the blocks go to the pool (below,
# the hand-offs cost more than they save).
BLOCK = 16384
PARALLEL_FROM = 200_000


def for_each_block(size: int, func: Callable[[int, int], None]) -> None:
    """Call ``func(start, stop)`` for consecutive ranges of ``block`` covering ``range(size)``;
    on the shared pool from :data:`PARALLEL_FROM` elements up. ``func`` must write only its
    own range, so the split, not the threads, decides every number."""
    block = BLOCK
    starts = range(0, size, block)
    if size >= PARALLEL_FROM:
        thread_map(lambda a: func(a, min(a + block, size)), starts)
    else:
        for a in starts:
            func(a, min(a + block, size))


def _forget_pool() -> None:
    # A forked child inherits the executor object but not its threads.
    global _pool, _lock
    _pool = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
