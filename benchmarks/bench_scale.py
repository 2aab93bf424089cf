"""Benchmark: the command line (``python -m hedgelib run``) at scale, on threads and on Dask.

Run ``python benchmarks/bench_scale.py`` (``--help`` for the sizes). In one run it prints:

1. throughput, in path-steps per second, of the Hedge Lab's default scenario (a short
   63-day at-the-money call, GBM, daily delta hedge with 5 bp costs) on ``--paths`` paths x
   63 steps: first the reference, :func:`~hedgelib.hedging.run_experiment` in this process
   on the library's thread pool (nothing written); then the command line with ``--workers
   1``, ``--workers 2`` and ``--scheduler local:2`` (a Dask ``LocalCluster`` of two worker
   processes), each a fresh subprocess writing its summary and per-path Parquet file. Each
   line gives the ratio to the reference and to one worker. The command line's own time is
   the hedging part it reports (``run_seconds``, from the first chunk submitted to the last
   row written); the wall time of the whole command (interpreter start, imports, cluster
   start and stop) is shown beside it;
2. the peak memory (``ru_maxrss`` of the command's process, as it reports it in
   summary.json) of ``--big`` paths x 63 steps (default 10 million, target < 1.5 GB) and of a
   tenth of that, with the size of the Parquet file written: the difference between the two
   is what grows with the number of paths (the 40 bytes a path kept for exact quantiles),
   the rest is bounded by the chunk size.

The machine is usually shared, so timings vary between runs; ratios within one run are the
meaningful numbers, and the CPU seconds (user + system, the command's process and the Dask
worker processes it started) say what a run costs whatever the load. ``--skip-big`` leaves out part 2 (it takes minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hedgelib._parallel import usable_cpu_count  # noqa: E402
from hedgelib.hedging.experiment import run_experiment  # noqa: E402
from hedgelib.scenario import hedge_lab_schema, hedge_lab_simulation  # noqa: E402

STEPS = 63
TARGET_BYTES = 1.5e9


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli(args: list[str], cwd: Path) -> tuple[dict, float, float]:
    """Run the command line; return its summary.json, the whole command's wall time and CPU
    time (its process and the Dask worker processes it started and waited for)."""
    env = {**os.environ, "HEDGELIB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    t0, c0 = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "hedgelib", *args, "--quiet"], cwd=cwd, env=env,
                          capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if done.returncode != 0:
        raise SystemExit(f"hedgelib {' '.join(args)} failed:\n{done.stderr}")
    out = cwd / args[args.index("--out") + 1]
    return json.loads((out / "summary.json").read_text()), wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=400_000, help="paths of the throughput runs")
    parser.add_argument("--big", type=int, default=10_000_000, help="paths of the memory run")
    parser.add_argument("--skip-big", action="store_true", help="leave out the memory runs")
    args = parser.parse_args()

    schema = hedge_lab_schema()
    inputs = schema.complete({"n_paths": 10_000, "n_steps": STEPS})
    n = args.paths
    print(f"Hedge Lab default scenario, {n:,} paths x {STEPS} steps; {usable_cpu_count()} usable "
          f"cores; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        work = Path(tmp)
        scenario = work / "hedge_lab.json"
        scenario.write_text(schema.to_json(inputs))

        sim = hedge_lab_simulation({**inputs, "n_paths": n})
        run_experiment(**{**sim.keywords(), "n_paths": 20_000})  # warm up: imports, the pool
        t0, c0 = time.perf_counter(), time.process_time()
        reference = run_experiment(**sim.keywords())
        ref_seconds, ref_cpu = time.perf_counter() - t0, time.process_time() - c0
        ref_rate = n * STEPS / ref_seconds
        print("\n1. Throughput (path-steps per second; ratios to the reference and to 1 worker;")
        print("   CPU seconds spent, the whole command's for the command line)")
        print(f"   {'run_experiment, library pool (ref)':34s} {ref_rate / 1e6:6.2f} M/s  1.00x ref"
              f"{'':17s}CPU {ref_cpu:5.1f} s")

        one_rate = None
        for label, where in (("hedgelib run --workers 1", ["--workers", "1"]),
                             ("hedgelib run --workers 2", ["--workers", "2"]),
                             ("hedgelib run --scheduler local:2", ["--scheduler", "local:2"])):
            summary, wall, cpu = cli(["run", scenario.name, "--paths", str(n), *where,
                                      "--out", "out_" + where[-1].replace(":", "")], work)
            rate = n * STEPS / summary["run_seconds"]
            one_rate = one_rate or rate
            same = summary["summary"]["mean"] == float(reference.pnl.mean())
            print(f"   {label:34s} {rate / 1e6:6.2f} M/s  {rate / ref_rate:4.2f}x ref  "
                  f"{rate / one_rate:4.2f}x 1 worker  CPU {cpu:5.1f} s  (whole command "
                  f"{wall:4.1f} s; mean P&L {'equals' if same else 'DIFFERS from'} the reference)")

        if args.skip_big:
            return
        print(f"\n2. Peak memory of the command (ru_maxrss), {STEPS} steps, every core, "
              "Parquet written")
        rows = []
        for paths in (args.big // 10, args.big):
            summary, wall, _ = cli(["run", scenario.name, "--paths", str(paths), "--out", "big"], work)
            size = (work / "big" / "pnl.parquet").stat().st_size
            rss = summary["peak_rss_bytes"]
            rows.append((paths, rss))
            print(f"   {paths:>12,} paths: peak RSS {rss / 1e9:5.2f} GB"
                  f"{'  (target < 1.5 GB: ' + ('met)' if rss < TARGET_BYTES else 'MISSED)') if paths == args.big else ''}"
                  f"; Parquet {size / 1e9:5.2f} GB; {paths * STEPS / summary['run_seconds'] / 1e6:.2f} M "
                  f"path-steps/s; whole command {wall:.0f} s")
        (p0, r0), (p1, r1) = rows
        print(f"   growth: {(r1 - r0) / (p1 - p0):.0f} bytes per extra path (the statistics keep 40)")


if __name__ == "__main__":
    main()
