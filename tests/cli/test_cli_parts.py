"""The command line's parts in this process: the grammar, the chunk seeding, the statistics,
the grouping of a sweep, the progress bar, the output folder and the errors of ``main``."""

from __future__ import annotations

import importlib
import io
import tomllib
from pathlib import Path

import numpy as np
import pytest

from hedgelib.cli import EXIT_USAGE, main
from hedgelib.cli.args import CommandError, parse_count, parse_scheduler, parse_vary
from hedgelib.cli.output import OutputDir, jsonable
from hedgelib.cli.plan import group_cases, load_scenario, plan_case, sweep_cases
from hedgelib.cli.progress import ProgressBar, format_duration
from hedgelib.cli.stream import PieceResult, Statistics, path_columns, pieces, run_piece
from hedgelib.hedging import Comparison, HedgeResult, run_experiment
from hedgelib.hedging.experiment import DEFAULT_BLOCK_SIZE
from hedgelib.scenario import hedge_lab_schema, hedge_lab_simulation

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = hedge_lab_schema()


# -- grammar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [("10000000", 10_000_000), ("10_000_000", 10_000_000),
                                             ("10,000,000", 10_000_000), ("1e7", 10_000_000),
                                             (" 42 ", 42)])
def test_counts_read_as_people_type_them(text, value):
    assert parse_count(text, "--paths") == value


@pytest.mark.parametrize("text", ["0", "-3", "1.5", "abc", "1e400", "nan", ""])
def test_bad_counts_name_the_option(text):
    with pytest.raises(CommandError, match="--paths"):
        parse_count(text, "--paths")


def test_vary_and_scheduler_grammar():
    assert parse_vary("rule=every_n_steps,delta_band") == ("rule", ["every_n_steps", "delta_band"])
    for bad in ("cost_bp", "=1,2", "cost_bp=", "cost_bp=1,,2"):
        with pytest.raises(CommandError, match="--vary"):
            parse_vary(bad)
    assert parse_scheduler("local:3").local_workers == 3
    assert parse_scheduler("tcp://10.1.2.3:8786").address == "tcp://10.1.2.3:8786"
    for bad in ("local:0", "local:x", "", "two words", "inproc://1.2.3.4/5/6"):
        with pytest.raises(CommandError, match="--scheduler"):
            parse_scheduler(bad)


def test_main_turns_bad_input_into_one_line_and_status_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "other.json").write_text('{"name": "not a scenario"}')
    (tmp_path / "backtest.json").write_text(
        '{"format": "hedge-lab-scenario", "page": "historical_backtest", "inputs": {}}')
    (tmp_path / "hl.json").write_text(SCHEMA.to_json(SCHEMA.defaults))
    cases = {
        ("run", "other.json"): "not a Hedge Lab scenario",
        ("run", "backtest.json"): "a scenario of page 'historical_backtest'",
        ("run", "hl.json", "--steps", "0"): "argument --steps: must be at least 1",
        ("run", "hl.json", "--steps", "20000"): "--steps: n_steps: must lie in [1, 10000]",
        ("run", "hl.json", "--chunk-size", "5000"): "--chunk-size must be a multiple of the 4,096",
        ("run", "hl.json", "--paths", "1e9"): "the statistics keep 40 bytes per path",
        ("run", "hl.json", "--workers", "2", "--scheduler", "local:2"): "not allowed with",
        ("sweep", "hl.json"): "required: --vary",
        ("sweep", "hl.json", "--vary", "nope=1"): "--vary nope: not an input of a hedge_lab",
        ("sweep", "hl.json", "--vary", "cost_bp=1,x"): "--vary cost_bp: must be a number, got 'x'",
        ("sweep", "hl.json", "--vary", "cost_bp=1,1"): "--vary cost_bp: a value is repeated",
        ("sweep", "hl.json", "--vary", "hedge_vol_pct=0,20"): "--vary combination hedge_vol_pct=0.0",
        ("sweep", "hl.json", "--vary", "n_steps=5", "--steps", "3"): "also set by an option",
        ("sweep", "hl.json", "--vary", "book=1"): "--vary book: cannot be varied",
        ("frob",): "invalid choice: 'frob'",
    }
    for args, expected in cases.items():
        assert main(list(args)) == EXIT_USAGE, args
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and expected in err, (args, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backtest.json", "hl.json", "other.json"]


def test_the_console_entry_point_is_main():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["hedgelab"].partition(":")
    assert getattr(importlib.import_module(module), name) is main


# -- chunks -----------------------------------------------------------------------------------


def test_a_chunk_is_exactly_its_part_of_the_whole_run():
    # The seeding the command line relies on: a chunk starting at block b, seeded with
    # SeedSequence(seed, n_children_spawned=b), reproduces those paths of run_experiment.
    inputs = SCHEMA.complete({"n_paths": 3 * DEFAULT_BLOCK_SIZE + 100, "n_steps": 5, "seed": 7})
    sim = hedge_lab_simulation(inputs)
    whole = run_experiment(**sim.keywords())
    kw = dict(model=sim.model, book=sim.book, setups={"x": sim.setup}, spot=sim.size.spot,
              horizon=sim.size.horizon, n_steps=5, n_paths=sim.size.n_paths, seed=7, per_path=True)
    parts = pieces(chunk_size=2 * DEFAULT_BLOCK_SIZE, **kw)
    assert [(p.first_path, p.n_paths) for p in parts] == [(0, 8192), (8192, 4196)]
    second = run_piece(parts[1])
    expected = path_columns(whole)
    for name, values in second.columns["x"].items():
        assert np.array_equal(values, expected[name][8192:]), name
    assert second.premium["x"] == whole.premium


def test_statistics_are_the_libraries_tables():
    rng = np.random.default_rng(3)
    n = 1000

    def columns():
        return {"pnl": rng.normal(size=n), "unhedged_pnl": rng.normal(size=n) * 5,
                "costs": rng.random(n), "n_trades": rng.integers(1, 60, n),
                "turnover": rng.random(n), "explain_gamma": rng.normal(size=n)}

    cols = {"a": columns(), "b": columns()}
    stats = Statistics(["a", "b"], n, n_steps=10, horizon=0.1, seed=1)
    for lo, hi in ((0, 600), (600, n)):  # two chunks
        stats.add(lo, PieceResult({k: {c: v[lo:hi] for c, v in c_.items()} for k, c_ in cols.items()},
                                  {"a": -2.0, "b": -2.0}))
    assert stats.complete
    assert stats.means("b")["explain_gamma"] == pytest.approx(cols["b"]["explain_gamma"].mean(), rel=1e-13)
    tables = stats.tables({"a": "a", "b": "a"})
    results = {k: HedgeResult(c["pnl"], -2.0, c["costs"], {}, c["n_trades"], c["turnover"],
                              np.zeros(n), c["unhedged_pnl"], {}, {}) for k, c in cols.items()}
    cmp = Comparison(results, n_paths=n, seed=1)
    for name, row in cmp.table().iterrows():
        assert tables[name]["std_se"] == row["std_se"] and tables[name]["var_99"] == row["var_99"]
    assert tables["b"]["diff_mean"] == cmp.difference("b", "a")["mean_pnl"]
    assert tables["a"]["diff_mean"] == 0.0


def test_cases_that_share_paths_are_grouped():
    base = {**SCHEMA.defaults, "n_paths": 1000, "n_steps": 5}
    cases = sweep_cases("hedge_lab", SCHEMA, base, [("vol_pct", ["15", "25"]), ("cost_bp", ["0", "5"])])
    assert [c.varied for c in cases][:2] == [{"vol_pct": 15.0, "cost_bp": 0.0},
                                             {"vol_pct": 15.0, "cost_bp": 5.0}]
    groups = group_cases(cases)
    # The cost changes the hedge only: its cases share paths; the volatility changes the model.
    assert [g.cases for g in groups] == [(0, 1), (2, 3)]
    assert list(groups[0].setups) == ["0/hedge_lab", "1/hedge_lab"]
    assert [g.cases for g in group_cases(cases, max_paths=1000)] == [(0,), (1,), (2,), (3,)]
    assert [g.cases for g in group_cases(cases, max_setups=1)] == [(0,), (1,), (2,), (3,)]


def test_the_scenario_file_is_read_by_the_pages_format(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(SCHEMA.to_json({"rule": "band", "n_paths": 500}))  # an old rule name
    page, schema, inputs = load_scenario(path)
    assert page == "hedge_lab" and inputs["rule"] == "delta_band"
    case = plan_case(page, {**inputs, "n_paths": 5_000_000})  # no page cap here
    assert case.size.n_paths == 5_000_000 and list(case.setups) == ["hedge_lab"]


# -- progress and output ----------------------------------------------------------------------


class _Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_progress_bar_reports_paths_rate_and_time_left():
    clock, out = _Clock(), io.StringIO()
    bar = ProgressBar(1000, "paths", stream=out, clock=clock)
    bar.update(0)
    clock.t = 2.0
    bar.advance(250)
    clock.t = 4.0
    bar.advance(20)  # same tenth as before: no new line in a log
    bar.advance(730)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert "250/1,000 paths, 125/s, 6s left" in lines[1]
    assert lines[2].startswith("100.0%") and "4s in all" in lines[2]
    assert format_duration(3723) == "1:02:03"
    quiet = io.StringIO()
    ProgressBar(10, stream=quiet, enabled=False).update(5)
    assert quiet.getvalue() == ""


def test_output_folder_commits_whole_or_leaves_nothing(tmp_path):
    out = OutputDir(tmp_path / "new")
    out.partial("summary.json").write_text("s")
    out.partial("pnl.parquet").write_text("p")
    assert [p.name for p in out.commit()] == ["summary.json", "pnl.parquet"]
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["pnl.parquet", "summary.json"]

    again = OutputDir(tmp_path / "new")
    again.partial("summary.json").write_text("half")
    again.abort()  # an existing folder keeps its finished files
    assert (tmp_path / "new" / "summary.json").read_text() == "s"
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["pnl.parquet", "summary.json"]

    fresh = OutputDir(tmp_path / "made" / "here")
    fresh.partial("summary.json").write_text("half")
    fresh.abort()  # a folder the run made goes too
    assert not (tmp_path / "made" / "here").exists()


def test_json_is_strict():
    assert jsonable({"a": float("nan"), "b": np.float64(1.5), "c": [np.int64(2), float("inf")]}) == {
        "a": None, "b": 1.5, "c": [2, None]}
