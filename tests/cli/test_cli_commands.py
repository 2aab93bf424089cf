"""The command line as a user runs it: ``python -m hedgelib`` in a subprocess, on small sizes.

example -> run -> summary.json and pnl.parquet agree with each other and with the library run
in this process bit for bit; a LocalCluster of 2 (and a scheduler address) give the thread
pool's numbers bit for bit; a sweep's rows are the runs of its combinations; bad input exits
2 with one line; Ctrl-C exits 130 and writes nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from hedgelib.hedging import Comparison, compare, run_experiment
from hedgelib.scenario import (
    hedge_lab_schema,
    hedge_lab_simulation,
    rule_comparison,
    rule_comparison_schema,
)

ROOT = Path(__file__).resolve().parents[2]
# Small runs that still cut into several chunks: 10,000 paths in 4,096-path chunks.
PATHS, STEPS, CHUNK = 10_000, 21, 4096


def cli(*args: object, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "HEDGELIB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "hedgelib", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def popen(*args: object, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "HEDGELIB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "hedgelib", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def scenario(work: Path) -> Path:
    """The Hedge Lab example, written by ``example`` as a user would."""
    done = cli("example", cwd=work)
    assert done.returncode == 0, done.stderr
    path = work / "hedge_lab.json"
    path.write_text(done.stdout)
    return path


@pytest.fixture(scope="module")
def threaded(work: Path, scenario: Path) -> Path:
    out = work / "threads"
    done = cli("run", scenario.name, "--paths", PATHS, "--steps", STEPS, "--chunk-size", CHUNK,
               "--out", out.name, cwd=work)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout
    # The progress bar went to stderr (not a terminal here: one line per tenth of the run).
    assert "100.0%" in done.stderr and f"{PATHS:,}/{PATHS:,} paths" in done.stderr
    return out


@pytest.fixture(scope="module")
def library_run(scenario: Path):
    """The same run in this process through the library, as the Hedge Lab page runs it."""
    inputs = hedge_lab_schema().from_json(scenario.read_text())
    inputs.update(n_paths=PATHS, n_steps=STEPS)
    return run_experiment(**hedge_lab_simulation(inputs).keywords())


def read(out: Path) -> tuple[dict, pd.DataFrame]:
    return json.loads((out / "summary.json").read_text()), pd.read_parquet(out / "pnl.parquet")


def test_example_prints_the_pages_download(scenario: Path):
    schema = hedge_lab_schema()
    assert scenario.read_text().strip() == schema.to_json(schema.defaults)


def test_run_equals_the_library_run_bit_for_bit(threaded: Path, library_run):
    summary, frame = read(threaded)
    assert len(frame) == PATHS and np.array_equal(frame["path"], np.arange(PATHS))
    res = library_run
    for name in ("pnl", "unhedged_pnl", "costs", "n_trades", "turnover", "option_turnover"):
        assert np.array_equal(frame[name], getattr(res, name)), name
    for prefix, group in (("attribution_", res.attribution), ("explain_", res.explain),
                          ("cost_", res.cost_breakdown)):
        for key, values in group.items():
            assert np.array_equal(frame[prefix + key], values), prefix + key
    # The headline numbers are the page's (HedgeResult.summary on the same P&L), exactly.
    for key, value in res.summary().items():
        assert summary["summary"][key] == pytest.approx(value, rel=0, abs=0, nan_ok=True), key
    assert summary["premium"] == res.premium


def test_summary_and_parquet_agree(threaded: Path, scenario: Path):
    summary, frame = read(threaded)
    s = summary["summary"]
    assert s["mean"] == frame["pnl"].mean() and s["std"] == frame["pnl"].std(ddof=1)
    assert s["mean_trades"] == frame["n_trades"].mean()
    # Means of the other columns are sums of chunk sums: equal to rounding.
    for group, prefix in (("attribution", "attribution_"), ("explain", "explain_"),
                          ("cost_breakdown", "cost_")):
        for key, mean in summary[group].items():
            assert mean == pytest.approx(frame[prefix + key].mean(), rel=1e-12, abs=1e-15), key
    # Both decompositions add up to each path's P&L.
    for prefix in ("attribution_", "explain_"):
        total = frame[[c for c in frame if c.startswith(prefix)]].sum(axis=1)
        np.testing.assert_allclose(total, frame["pnl"], rtol=0, atol=1e-9)
    # Inputs, seed, versions and timing travel with the result, and in the file's metadata.
    inputs = hedge_lab_schema().from_json(scenario.read_text())
    assert summary["inputs"] == {**inputs, "n_paths": PATHS, "n_steps": STEPS}
    assert summary["run"]["seed"] == inputs["seed"] and summary["run"]["chunk_size"] == CHUNK
    assert summary["run"]["executor"]["kind"] == "threads"
    assert {"python", "numpy", "hedgelib", "pyarrow"} <= set(summary["versions"])
    assert summary["wall_time_seconds"] > 0 and summary["outputs"]["pnl.parquet"]["rows"] == PATHS
    meta = json.loads(pq.read_schema(threaded / "pnl.parquet").metadata[b"hedgelab"])
    assert meta["inputs"]["seed"] == inputs["seed"] and meta["format"] == "hedge-lab-run"
    assert not [p for p in threaded.iterdir() if p.name.startswith(".")]  # no partial files left


def test_local_cluster_and_one_worker_equal_the_thread_pool(work: Path, scenario: Path, threaded: Path):
    pytest.importorskip("distributed")
    ref_summary, ref = read(threaded)
    for name, where in (("local2", ["--scheduler", "local:2"]), ("one", ["--workers", "1"])):
        done = cli("run", scenario.name, "--paths", PATHS, "--steps", STEPS, "--chunk-size", CHUNK,
                   *where, "--out", name, "--quiet", cwd=work)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""  # --quiet, and Dask's own logging kept quiet
        summary, frame = read(work / name)
        pd.testing.assert_frame_equal(frame, ref, check_exact=True)
        assert summary["summary"] == ref_summary["summary"]
    assert summary["run"]["executor"] == {"kind": "threads", "workers": 1}
    dask_summary, _ = read(work / "local2")
    assert dask_summary["run"]["executor"]["kind"] == "dask"
    assert dask_summary["run"]["executor"]["worker_threads"] == 2


def test_a_scheduler_address_equals_the_thread_pool(work: Path, scenario: Path, threaded: Path):
    distributed = pytest.importorskip("distributed")
    _, ref = read(threaded)
    # Workers in this process, reached over TCP like a remote scheduler.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp", host="127.0.0.1", dashboard_address=None) as cluster:
        done = cli("run", scenario.name, "--paths", PATHS, "--steps", STEPS, "--chunk-size", CHUNK,
                   "--scheduler", cluster.scheduler_address, "--out", "address", "--quiet", cwd=work)
    assert done.returncode == 0, done.stderr
    summary, frame = read(work / "address")
    pd.testing.assert_frame_equal(frame, ref, check_exact=True)
    assert summary["run"]["executor"]["scheduler"] == cluster.scheduler_address


def test_rule_comparison_run_is_the_pages_table(work: Path):
    text = cli("example", "--page", "rule_comparison", cwd=work).stdout
    (work / "rc.json").write_text(text)
    n = 3000
    done = cli("run", "rc.json", "--paths", n, "--steps", STEPS, "--out", "rc", "--quiet", cwd=work)
    assert done.returncode == 0, done.stderr
    summary, frame = read(work / "rc")
    inputs = {**rule_comparison_schema().from_json(text), "n_paths": n, "n_steps": STEPS}
    plan = rule_comparison(inputs)
    cmp = compare(plan.model, plan.book, plan.setups, **plan.size.keywords())
    table = cmp.table()
    names = list(plan.setups)
    assert list(summary["setups"]) == names and frame.columns[0] == "setup"
    first = names[0]
    for name in names:
        rows = frame[frame["setup"] == name]
        assert len(rows) == n and np.array_equal(rows["pnl"], cmp[name].pnl)
        got = summary["setups"][name]["summary"]
        for key, value in table.loc[name].items():
            assert got[key] == value, (name, key)
        diff = Comparison(cmp.results, n_paths=n, seed=inputs["seed"]).difference(name, first)
        assert got["diff_mean"] == diff["mean_pnl"] and got["diff_cost_se"] == diff["mean_cost_se"]


def test_sweep_rows_are_the_runs_of_the_combinations(work: Path, scenario: Path):
    n = 3000
    done = cli("sweep", scenario.name, "--paths", n, "--steps", STEPS, "--vary", "cost_bp=0,5",
               "--vary", "rule=every_n_steps,delta_band", "--out", "sweep", "--quiet", cwd=work)
    assert done.returncode == 0, done.stderr
    frame = pd.read_parquet(work / "sweep" / "sweep.parquet")
    assert list(frame["cost_bp"]) == [0.0, 0.0, 5.0, 5.0]
    assert list(frame["rule"]) == ["every_n_steps", "delta_band"] * 2
    base = {**hedge_lab_schema().from_json(scenario.read_text()), "n_paths": n, "n_steps": STEPS}
    for row in frame.to_dict("records"):
        sim = hedge_lab_simulation({**base, "cost_bp": row["cost_bp"], "rule": row["rule"]})
        res = run_experiment(**sim.keywords())
        for key, value in res.summary().items():
            assert row[key] == pytest.approx(value, rel=0, abs=0, nan_ok=True), (row["rule"], key)
    meta = json.loads(pq.read_schema(work / "sweep" / "sweep.parquet").metadata[b"hedgelab"])
    assert meta["vary"] == {"cost_bp": [0.0, 5.0], "rule": ["every_n_steps", "delta_band"]}


def test_rule_comparison_sweep_has_a_row_per_setup(work: Path):
    done = cli("sweep", "rc.json", "--paths", 1000, "--steps", STEPS, "--vary", "vol_pct=15,25",
               "--out", "rc_sweep", "--quiet", cwd=work)
    assert done.returncode == 0, done.stderr
    frame = pd.read_parquet(work / "rc_sweep" / "sweep.parquet")
    assert len(frame) == 8 and list(frame.columns[:2]) == ["vol_pct", "setup"]
    # The first set-up of each combination is the paired baseline.
    assert (frame.groupby("vol_pct")["diff_mean"].first() == 0).all()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "missing.json"], "missing.json: no such file"),
        (["run", "broken.json"], "not valid JSON"),
        (["run", "out_of_range.json"], "vol_pct: must lie in [0.0, 300.0], got -5.0"),
        (["example", "--page", "nowhere"], "--page must be one of hedge_lab, rule_comparison"),
    ],
)
def test_bad_input_is_one_line_and_status_2(work: Path, args: list[str], expected: str):
    (work / "broken.json").write_text('{"format": "hedge-lab-scenario", "page": ')
    (work / "out_of_range.json").write_text(
        '{"format": "hedge-lab-scenario", "page": "hedge_lab", "inputs": {"vol_pct": -5}}')
    done = cli(*args, cwd=work)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (work / f"{Path(args[-1]).stem}_run").exists()  # nothing made, not even a folder


def test_an_unreachable_scheduler_is_one_line_and_status_2(work: Path, scenario: Path):
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = cli("run", scenario.name, "--paths", 100, "--scheduler", f"tcp://127.0.0.1:{port}",
               "--connect-timeout", 1, "--out", "unreached", cwd=work)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach a Dask scheduler" in lines[0]
    assert not (work / "unreached").exists()


def test_ctrl_c_stops_cleanly_and_writes_nothing(work: Path, scenario: Path):
    out = work / "interrupted"
    out.mkdir()
    (out / "summary.json").write_text("the previous run")
    # Ten million paths take minutes here: the interrupt comes long before the end, as soon
    # as the run has started (its first progress line).
    proc = popen("run", scenario.name, "--paths", "1e7", "--out", out.name, cwd=work)
    try:
        first = proc.stderr.readline()
        assert "paths" in first, first
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted; nothing written" in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]  # no partial files
    assert (out / "summary.json").read_text() == "the previous run"
