"""How many cores this process may use."""

from __future__ import annotations

import os

__all__ = ["usable_cpu_count"]


def usable_cpu_count() -> int:
    """Cores this process may run on: the affinity mask where the OS has one, else all cores.

    In a container or under ``taskset`` the affinity mask is smaller than ``os.cpu_count()``;
    sizing thread pools by it avoids more threads than cores.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without affinity masks (macOS, Windows)
        return max(1, os.cpu_count() or 1)
