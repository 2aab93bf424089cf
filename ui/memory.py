"""Keeping a shared server's memory bounded: what cached results may hold, and giving freed
memory back to the system after a large run.

Cached results live in the server process for every session, so they keep what a page shows
(summaries, histograms, a bounded sample of paths), never arrays that grow with the number of
paths. A run of a million paths still needs about a gigabyte while it runs; glibc keeps the
freed pages in its arenas (one per thread that allocated, and Streamlit runs every script in
a new thread), so without a trim the process stays that large after the run has long ended.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import numpy as np

__all__ = ["CACHE_BUDGET", "HELPER_BUDGET", "KEPT_PATHS", "TRIM_FROM", "kept", "release_memory"]

#: Per-path values a cached result keeps, at most: the first paths of a run, which are a
#: uniform sample of it (paths are independent and identically distributed). Enough for an
#: 80-bin histogram to look like the full run's; 100,000 x 8 bytes is 0.8 MB per array.
KEPT_PATHS = 100_000

#: The most all of the app's data caches together may hold (pickled bytes), whatever the
#: sessions run: ``server.maxCacheDataSize`` in ``.streamlit/config.toml`` says the same.
CACHE_BUDGET = 256 * 2**20

#: The most one heavy cached helper (a Monte Carlo page's runner) may hold, pickled: its
#: entries are a few MB each, so this only bites if a result grows with the paths again.
HELPER_BUDGET = 96 * 2**20

#: Runs of at least this many path-steps trim the allocator afterwards (smaller runs free
#: too little for the trim, a few milliseconds, to matter).
TRIM_FROM = 1_000_000


def kept(values: np.ndarray, limit: int = KEPT_PATHS) -> np.ndarray:
    """The first ``limit`` values of a per-path array, as a copy that does not keep the
    full array alive."""
    return np.array(np.asarray(values)[:limit], copy=True)


@functools.cache
def _malloc_trim():
    # Only glibc has malloc_trim; elsewhere (macOS, musl, Windows) there is nothing to do.
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def release_memory() -> bool:
    """Give the allocator's free pages back to the system; True when it could try."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
