"""The app's server for browser tests and ``benchmarks/bench_app.py``: ``streamlit run`` on
127.0.0.1 at a free port, and its memory read from /proc (Linux)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _raise(message: str) -> None:
    raise RuntimeError(message)


@contextmanager
def serve(folder: Path, script: str, log: Path, env: dict[str, str] | None = None,
          fail: Callable[[str], None] = _raise) -> Iterator[tuple[str, int]]:
    """``streamlit run script`` in ``folder``, offline, its output in ``log`` and ``env``
    added to its environment; yields (URL, pid) once it answers, stops it after. A server
    that does not start within a minute is reported through ``fail`` with its log's end."""
    port = free_port()
    full_env = {**os.environ, "HEDGELIB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **(env or {})}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", script,
                "--server.address", "127.0.0.1",
                "--server.port", str(port),
                "--server.headless", "true",
                "--browser.gatherUsageStats", "false",
                # The server under test must not react to files changing during a run (an
                # editor saving, a test writing): a "source changed" prompt would stall it.
                "--server.fileWatcherType", "none",
                "--server.runOnSave", "false",
            ],
            cwd=folder, env=full_env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                fail(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@contextmanager
def peak_rss(pid: int) -> Iterator[list[float]]:
    """Sample a process's RSS in a thread while the block runs; yields ``[peak]``."""
    peak = [rss_mb(pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], rss_mb(pid))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()
        peak[0] = max(peak[0], rss_mb(pid))
