"""The three commands: ``example``, ``run`` and ``sweep``.

Each takes the parsed arguments and returns an exit status; bad input raises a
:class:`~hedgelib.cli.args.CommandError` (or another HedgeLibError) before any work starts,
and :func:`hedgelib.cli.main` turns it into one line on stderr and status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from hedgelib.cli.args import PAGES, CommandError, check_vary_names, parse_vary
from hedgelib.cli.output import OutputDir, PathWriter, jsonable, versions, write_table
from hedgelib.cli.plan import (
    Case,
    group_cases,
    load_scenario,
    plan_case,
    setup_key,
    sweep_cases,
    with_size,
)
from hedgelib.cli.progress import ProgressBar, format_duration
from hedgelib.cli.stream import (
    STAT_COLUMNS,
    Backend,
    Statistics,
    dask_backend,
    pieces,
    stream,
    thread_backend,
)
from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.experiment import DEFAULT_BLOCK_SIZE
from hedgelib.hedging.studies import predicted_hedge_error
from hedgelib.scenario import schema_for

__all__ = ["RUN_FORMAT", "SWEEP_FORMAT", "example", "run", "sweep"]

#: ``format`` of summary.json, and of the description in the Parquet files' metadata.
RUN_FORMAT, SWEEP_FORMAT = "hedge-lab-run", "hedge-lab-sweep"

# Most per-path numbers the statistics may keep (8 GiB): beyond, a run fails late for memory.
_MAX_KEPT = 2**30


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def example(args: argparse.Namespace) -> int:
    """Print a page's default scenario file (what its download button gives)."""
    page = str(args.page).strip().lower().replace("-", "_").replace(" ", "_")
    if page not in PAGES:
        raise CommandError(f"--page must be one of {', '.join(PAGES)}, got {args.page!r}")
    schema = schema_for(page)
    print(schema.to_json(schema.defaults))
    return 0


# -- shared steps --------------------------------------------------------------------------------


def _backend(args: argparse.Namespace) -> Backend:
    if args.scheduler is not None:
        return dask_backend(args.scheduler, timeout=args.connect_timeout)
    return thread_backend(args.workers)


def _chunk_size(args: argparse.Namespace, backend: Backend, n_paths: int) -> int:
    chunk = backend.default_chunk(n_paths) if args.chunk_size is None else args.chunk_size
    if chunk % DEFAULT_BLOCK_SIZE:
        raise CommandError(
            f"--chunk-size must be a multiple of the {DEFAULT_BLOCK_SIZE:,}-path block, got {chunk:,}"
        )
    return chunk


def _case(page: str, inputs: Mapping[str, Any], scenario: str) -> Case:
    try:
        case = plan_case(page, inputs)
    except CommandError:
        raise
    except HedgeLibError as exc:
        raise CommandError(f"{scenario}: {exc}") from None
    _check_memory(case.size.n_paths, len(case.setups))
    return case


def _check_memory(n_paths: int, n_setups: int) -> None:
    """Refuse a run whose statistics alone would not fit in memory (before it starts)."""
    kept = n_paths * n_setups * len(STAT_COLUMNS)
    if kept > _MAX_KEPT:
        raise CommandError(
            f"--paths {n_paths:,}: the statistics keep {8 * len(STAT_COLUMNS)} bytes per path and "
            f"set-up, {8 * kept / 2**30:,.0f} GiB here (at most {8 * _MAX_KEPT / 2**30:,.0f}); run "
            "fewer paths, or several runs with different --seed"
        )


def _prediction(case: Case) -> dict[str, Any]:
    """What Derman and Kamal predict for the Hedge Lab's hedge (as the page shows it);
    computed before the run, so that nothing fails after it."""
    size = case.size
    (setup,) = case.setups.values()
    try:
        pred = predicted_hedge_error(case.model, case.book, setup, spot=size.spot,
                                     horizon=size.horizon, n_steps=size.n_steps)
    except HedgeLibError as exc:
        return {"derman_kamal_std": None, "numerical_std": None, "reasons": [str(exc)]}
    return {"derman_kamal_std": pred.std, "numerical_std": pred.numerical_std,
            "n_rebalances": pred.n_rebalances, "reasons": list(pred.reasons)}


def _cpu_seconds() -> float:
    """User and system CPU time of this process so far (threads included; Dask workers not)."""
    t = os.times()
    return t.user + t.system


def _peak_rss() -> int | None:
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # macOS bytes, Linux KiB


def _grouped_means(means: Mapping[str, float]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {"attribution": {}, "explain": {}, "cost_breakdown": {}}
    for column, value in means.items():
        for prefix, key in (("attribution_", "attribution"), ("explain_", "explain"),
                            ("cost_", "cost_breakdown")):
            if column.startswith(prefix):
                out[key][column.removeprefix(prefix)] = value
    return out


def _run_block(case: Case, chunk: int, backend: Backend) -> dict[str, Any]:
    size = case.size
    return {"n_paths": size.n_paths, "n_steps": size.n_steps, "seed": size.seed,
            "spot": size.spot, "horizon_years": size.horizon, "block_size": DEFAULT_BLOCK_SIZE,
            "chunk_size": chunk, "executor": backend.description}


# -- run -----------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Run one scenario; write DIR/summary.json and DIR/pnl.parquet."""
    started, t0 = datetime.now(UTC), time.perf_counter()
    page, schema, inputs = load_scenario(args.scenario)
    inputs = with_size(schema, inputs, paths=args.paths, steps=args.steps, seed=args.seed)
    case = _case(page, inputs, args.scenario)
    prediction = _prediction(case) if page == "hedge_lab" else None
    out = OutputDir(args.out or Path.cwd() / f"{Path(args.scenario).stem}_run")
    backend: Backend | None = None
    writer: PathWriter | None = None
    bar: ProgressBar | None = None
    try:
        backend = _backend(args)
        if backend.note:
            _say(f"hedgelab: note: {backend.note}")
        size, names = case.size, list(case.setups)
        chunk = _chunk_size(args, backend, size.n_paths)
        several = page == "rule_comparison"
        run_info = _run_block(case, chunk, backend)
        summary_path = out.partial("summary.json")
        writer = PathWriter(out.partial("pnl.parquet"), with_setup=several, description={
            "format": RUN_FORMAT, "page": page, "inputs": case.inputs, "run": run_info,
            "versions": versions()})
        stats = Statistics(names, size.n_paths, n_steps=size.n_steps, horizon=size.horizon,
                           seed=size.seed)
        tasks = pieces(model=case.model, book=case.book, setups=case.setups, spot=size.spot,
                       horizon=size.horizon, n_steps=size.n_steps, n_paths=size.n_paths,
                       seed=size.seed, chunk_size=chunk, per_path=True)
        bar = ProgressBar(size.n_paths, "paths", enabled=not args.quiet)
        bar.update(0)

        def deliver(piece, result) -> None:
            for name in names:
                writer.add(piece.first_path, result.columns[name], setup=name if several else None)
            stats.add(piece.first_path, result)

        t_run = time.perf_counter()
        stream(tasks, backend, deliver, on_done=lambda p: bar.advance(p.n_paths))
        writer.close()
        run_seconds = time.perf_counter() - t_run
        bar.finish()
        tables = stats.tables({n: names[0] for n in names} if several else None)
        results = {}
        for name in names:
            results[name] = {"premium": stats.premium[name], "summary": tables[name],
                             **_grouped_means(stats.means(name))}
        doc: dict[str, Any] = {
            "format": RUN_FORMAT, "version": 1, "command": "run", "page": page,
            "scenario_file": str(args.scenario), "inputs": case.inputs, "run": run_info,
        }
        if several:
            doc["setups"] = results
        else:
            (only,) = results.values()
            doc.update(only, prediction=prediction)
        wall = time.perf_counter() - t0
        doc.update(
            outputs={"pnl.parquet": {"rows": writer.rows, "columns": writer.columns,
                                     "order": "by path" + (", then set-up within each chunk of "
                                                           f"{chunk:,} paths" if several else "")}},
            versions=versions(), started_at=started.isoformat(timespec="seconds"),
            wall_time_seconds=wall, run_seconds=run_seconds,
            path_steps_per_second=size.n_paths * size.n_steps * len(names) / run_seconds,
            cpu_seconds=_cpu_seconds(), peak_rss_bytes=_peak_rss(),
        )
        summary_path.write_text(json.dumps(jsonable(doc), indent=2, allow_nan=False) + "\n")
        written = out.commit()
    except BaseException:
        if bar is not None:
            bar.finish()
        if writer is not None:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the file is removed next anyway
                pass
        out.abort()
        raise
    finally:
        if backend is not None:
            backend.close()
    print(f"{page}: {size.n_paths:,} paths x {size.n_steps} steps, seed {size.seed}, "
          f"{format_duration(wall)} ({run_seconds:.1f} s hedging)")
    for name in names:
        s = results[name]["summary"]
        label = f"  {name}: " if several else "  "
        print(f"{label}mean P&L {s['mean']:.6g} ± {s['se_mean']:.2g}, std {s['std']:.6g}, "
              f"VaR 99% {s['var_99']:.6g}, mean cost {s['mean_cost']:.6g}")
    print("wrote " + ", ".join(str(p) for p in written) + f" ({writer.rows:,} rows)")
    return 0


# -- sweep ---------------------------------------------------------------------------------------


def sweep(args: argparse.Namespace) -> int:
    """Run every combination of the ``--vary`` values; write DIR/sweep.parquet."""
    started, t0 = datetime.now(UTC), time.perf_counter()
    page, schema, inputs = load_scenario(args.scenario)
    varies = [parse_vary(v) for v in args.vary]
    check_vary_names(varies)
    inputs = with_size(schema, inputs, paths=args.paths, steps=args.steps, seed=args.seed)
    fixed = [n for n, v in (("n_paths", args.paths), ("n_steps", args.steps), ("seed", args.seed))
             if v is not None]
    cases = sweep_cases(page, schema, inputs, varies, fixed=fixed)
    groups = group_cases(cases)
    for g in groups:
        _check_memory(g.size.n_paths, len(g.setups))
    out = OutputDir(args.out or Path.cwd() / f"{Path(args.scenario).stem}_sweep")
    backend: Backend | None = None
    bar: ProgressBar | None = None
    try:
        backend = _backend(args)
        if backend.note:
            _say(f"hedgelab: note: {backend.note}")
        chunk = _chunk_size(args, backend, max(g.size.n_paths for g in groups))
        table_path = out.partial("sweep.parquet")
        tasks = []
        for gi, g in enumerate(groups):
            tasks += pieces(model=g.model, book=g.book, setups=g.setups, spot=g.size.spot,
                            horizon=g.size.horizon, n_steps=g.size.n_steps, n_paths=g.size.n_paths,
                            seed=g.size.seed, chunk_size=chunk, per_path=False, group=gi)
        total = sum(g.size.n_paths * len(g.setups) for g in groups)
        bar = ProgressBar(total, "hedged paths", enabled=not args.quiet)
        bar.update(0)
        rows: list[dict[str, Any]] = []
        current: dict[int, Statistics] = {}
        several = page == "rule_comparison"

        def deliver(piece, result) -> None:
            g = groups[piece.group]
            stats = current.get(piece.group)
            if stats is None:
                stats = current[piece.group] = Statistics(
                    list(g.setups), g.size.n_paths, n_steps=g.size.n_steps,
                    horizon=g.size.horizon, seed=g.size.seed)
            stats.add(piece.first_path, result)
            if stats.complete:
                rows.extend(_group_rows(g, cases, current.pop(piece.group), several))

        t_run = time.perf_counter()
        stream(tasks, backend, deliver,
               on_done=lambda p: bar.advance(p.n_paths * len(p.setups)))
        run_seconds = time.perf_counter() - t_run
        bar.finish()
        frame = pd.DataFrame(rows)
        description = {
            "format": SWEEP_FORMAT, "version": 1, "command": "sweep", "page": page,
            "scenario_file": str(args.scenario), "inputs": inputs,
            "vary": {name: list(dict.fromkeys(c.varied[name] for c in cases)) for name, _ in varies},
            "combinations": len(cases), "block_size": DEFAULT_BLOCK_SIZE, "chunk_size": chunk,
            "executor": backend.description, "versions": versions(),
            "started_at": started.isoformat(timespec="seconds"),
            "wall_time_seconds": time.perf_counter() - t0, "run_seconds": run_seconds,
            "cpu_seconds": _cpu_seconds(), "peak_rss_bytes": _peak_rss(),
        }
        write_table(table_path, frame, description)
        written = out.commit()
    except BaseException:
        if bar is not None:
            bar.finish()
        out.abort()
        raise
    finally:
        if backend is not None:
            backend.close()
    shown = [n for n, _ in varies] + (["setup"] if several else []) + ["mean", "std", "mean_cost"]
    with pd.option_context("display.width", 120, "display.max_rows", 40):
        print(frame[shown].to_string(index=False))
    print(f"{len(cases):,} combinations in {format_duration(time.perf_counter() - t0)}; "
          "wrote " + ", ".join(str(p) for p in written) + f" ({len(frame):,} rows)")
    return 0


def _group_rows(group, cases, stats: Statistics, several: bool) -> list[dict[str, Any]]:
    """One row per case (and set-up, for a Rule Comparison) of a finished group."""
    baselines = {}
    for i in group.cases:
        keys = [setup_key(i, name) for name in cases[i].setups]
        baselines.update({k: keys[0] for k in keys} if several else {})
    tables = stats.tables(baselines)
    rows = []
    for i in group.cases:
        case = cases[i]
        for name in case.setups:
            key = setup_key(i, name)
            row: dict[str, Any] = dict(case.varied)
            if several:
                row["setup"] = name
            row.update(n_paths=case.size.n_paths, n_steps=case.size.n_steps, seed=case.size.seed,
                       premium=stats.premium[key], **tables[key])
            rows.append(row)
    return rows
