"""Nothing lost: a monitor killed mid-run resumes; two processes share one store safely.

The kills are deterministic: the worker (tests/live/live_worker.py) sends itself SIGKILL at
a chosen step, before or after accepting that step's ticket, so no test depends on timing.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hedgelib.live import PositionStore

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("live_worker.py")
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


def _worker_module():
    spec = importlib.util.spec_from_file_location("live_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _spawn(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HEDGELIB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, str(WORKER), *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The reference: the same position monitored start to finish without a crash."""
    path = tmp_path_factory.mktemp("ref") / "ref.sqlite"
    return _worker_module().run(str(path), "straddle")


@pytest.mark.parametrize("where", ["before_accept", "after_accept"])
def test_a_killed_monitor_resumes_where_it_stopped(tmp_path, uninterrupted, where):
    path = tmp_path / "live.sqlite"
    proc = _spawn("run", str(path), "straddle", "12", where)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    store = PositionStore(path)
    snaps = store.snapshots("straddle")
    assert snaps.index[-1] == 12  # every step up to the kill was committed
    assert snaps["decision"].iloc[-1] == ("pending" if where == "before_accept" else "accepted")
    # Reopen in this process and finish.
    finished = _worker_module().run(str(path), "straddle")
    assert finished["status"] == "expired" and uninterrupted["status"] == "expired"
    assert finished["steps"] == uninterrupted["steps"]
    assert finished["trades"] == uninterrupted["trades"]
    assert finished["pnl"] == pytest.approx(uninterrupted["pnl"], rel=1e-12)
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_two_processes_write_to_one_store(tmp_path):
    path = tmp_path / "shared.sqlite"
    PositionStore(path)  # created once, so both workers open an existing store
    n = 15
    writers = [_spawn("write", str(path), prefix, str(n)) for prefix in ("alpha", "beta")]
    said = []
    for proc in writers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        said.append(out.strip())
    # Both tried to open "same name": exactly one did, the other was told why not.
    said.sort()
    assert said[0].startswith("error: name must be new: a position named 'same name' already exists")
    assert said[1] == "ok"
    store = PositionStore(path)
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for prefix in ("alpha", "beta"):
        trades = store.trades(prefix)
        assert (trades["instrument"].str.startswith("hand ")).sum() == n
        assert len(store.snapshots(prefix)) == n
        assert list(store.snapshots(prefix).index) == list(range(n))
    assert sorted(store.positions()["name"]) == ["alpha", "beta", "same name"]
