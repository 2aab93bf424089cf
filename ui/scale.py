"""The "Run this at scale" box: the page's scenario as a file, and the command line that runs it
on many more paths than a page allows, on one machine or on Dask (:mod:`hedgelib.cli`).

A page calls :func:`run_at_scale` with its scenario schema and current scenario (the inputs,
book and market of the run on show). The box offers the same JSON file as the sidebar's
download, and the commands to copy; at the same seed and number of paths the command line
gives the page's numbers exactly.

Session-state keys: ``<prefix>scale_download`` (the box's download button).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from hedgelib.scenario import ScenarioSchema

__all__ = ["BIG_PATHS", "SWEEPS", "run_at_scale", "scale_commands"]

#: Paths suggested for the big run: far beyond a page's cap, about a minute on a laptop.
BIG_PATHS = 1_000_000

#: A sweep worth running from each page: ``--vary`` arguments over inputs of its scenario.
SWEEPS: dict[str, tuple[str, ...]] = {
    "hedge_lab": ("cost_bp=0,5,10", "hedge_vol_pct=15,20,25"),
    "rule_comparison": ("n_steps=21,63,126",),
}


def _stem(file_name: str) -> str:
    return file_name.removesuffix(".json").removesuffix("_scenario")


def scale_commands(page: str, file_name: str, *, paths: int = BIG_PATHS) -> str:
    """The commands to copy, with a comment line above each, for a scenario saved as
    ``file_name`` from ``page`` (``"hedge_lab"`` or ``"rule_comparison"``).

    >>> print(scale_commands("hedge_lab", "hedge_lab_scenario.json").splitlines()[1])
    python -m hedgelib run hedge_lab_scenario.json --paths 1000000 --out hedge_lab_run
    """
    stem = _stem(file_name)
    vary = " ".join(f"--vary {v}" for v in SWEEPS.get(page, ()))
    lines = [
        f"# {paths:,} paths on every core of this machine: summary.json and pnl.parquet in {stem}_run/",
        f"python -m hedgelib run {file_name} --paths {paths} --out {stem}_run",
        f"# {10 * paths:,} paths on Dask: a local cluster of 4 processes (or tcp://HOST:8786)",
        f"python -m hedgelib run {file_name} --paths {10 * paths} --scheduler local:4 --out {stem}_run",
    ]
    if vary:
        lines += [
            f"# a sweep: one summary row per combination in {stem}_sweep/sweep.parquet",
            f"python -m hedgelib sweep {file_name} {vary} --out {stem}_sweep",
        ]
    return "\n".join(lines)


def run_at_scale(schema: ScenarioSchema, scenario: Mapping[str, Any], *, prefix: str,
                 file_name: str, expanded: bool = False) -> None:
    """Draw the "Run this at scale" expander: what it is for, the scenario file to download
    and the command lines to copy. ``expanded`` opens it (when the page refused the run)."""
    with st.expander("Run this at scale", expanded=expanded, icon=":material/terminal:"):
        st.markdown(
            "A page runs a capped number of paths on a shared server. The command line runs "
            "**this scenario** (these inputs, this book and market) on as many paths as you "
            "like, on your machine or a Dask cluster, and writes the statistics and one row "
            "per path to files. At the same seed and number of paths it gives this page's "
            "numbers exactly, wherever it runs."
        )
        st.download_button("Download the scenario file (JSON)", schema.to_json(scenario),
                           file_name=file_name, mime="application/json", on_click="ignore",
                           key=prefix + "scale_download")
        st.code(scale_commands(schema.page, file_name), language="bash")
        note = (
            "From the project folder (or use `hedgelab` after `pip install .`); it needs "
            "`pyarrow`, and `dask[distributed]` for `--scheduler`. `--help` lists the options; "
            "Ctrl-C stops a run and leaves nothing half-written."
        )
        if schema.page == "rule_comparison":
            note += (" It compares the set-ups on the same paths; the frequency sweep and the "
                     "cost-risk frontier stay on this page.")
        st.caption(note)
