"""The command line's grammar: sub-commands, options, and how their text is read.

Every problem with what was typed raises :class:`CommandError` with one line naming the option
and the value; :func:`hedgelib.cli.main` prints it and exits with status 2 (argparse's own
errors go the same way, without its usage block).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass

from hedgelib.conventions import HedgeLibError
from hedgelib.hedging.experiment import DEFAULT_BLOCK_SIZE

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "PAGES",
    "CommandError",
    "Scheduler",
    "build_parser",
    "check_vary_names",
    "parse_count",
    "parse_scheduler",
    "parse_vary",
]

#: Exit status for bad input (a file, an option, a value, a scheduler) and after Ctrl-C.
EXIT_USAGE, EXIT_INTERRUPTED = 2, 130

#: Pages whose scenario files the command line runs (Monte Carlo pages; the Historical
#: Backtest replays one price history and stays on its page).
PAGES: tuple[str, ...] = ("hedge_lab", "rule_comparison")


class CommandError(HedgeLibError):
    """Bad command-line input: the message is one line naming the option and the value."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors raised, not printed with a usage block and exited."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CommandError(f"{message} (see {self.prog} --help)")


def parse_count(text: str, name: str, *, minimum: int = 1) -> int:
    """A whole number typed as ``10000000``, ``10_000_000``, ``10,000,000`` or ``1e7``.

    >>> parse_count("1e7", "--paths"), parse_count("2_500", "--paths")
    (10000000, 2500)
    """
    cleaned = str(text).strip().replace("_", "").replace(",", "")
    try:
        value = int(cleaned)
    except ValueError:
        try:
            number = float(cleaned)
        except ValueError:
            raise CommandError(f"{name} must be a whole number, got {text!r}") from None
        if not (math.isfinite(number) and number.is_integer()):
            raise CommandError(f"{name} must be a whole number, got {text!r}") from None
        value = int(number)
    if value < minimum:
        raise CommandError(f"{name} must be at least {minimum:,}, got {text!r}")
    return value


def _count(name: str, minimum: int = 1):
    def convert(text: str) -> int:
        try:
            return parse_count(text, name, minimum=minimum)
        except CommandError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(f"{name} ")) from None

    convert.__name__ = name  # argparse names the type in its message
    return convert


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


@dataclass(frozen=True)
class Scheduler:
    """Where ``--scheduler`` points: a ``LocalCluster`` of ``local_workers`` processes, or
    the Dask scheduler at ``address``."""

    address: str | None = None
    local_workers: int | None = None

    def __str__(self) -> str:
        return f"local:{self.local_workers}" if self.address is None else self.address


def parse_scheduler(text: str) -> Scheduler:
    """``local:K`` (a LocalCluster of K worker processes) or a scheduler address.

    >>> parse_scheduler("local:2"), parse_scheduler("tcp://10.0.0.5:8786").address
    (Scheduler(address=None, local_workers=2), 'tcp://10.0.0.5:8786')
    """
    text = str(text).strip()
    if text.lower().startswith("local:"):
        return Scheduler(local_workers=parse_count(text[6:], "--scheduler local:K (K workers)"))
    if not text or any(c.isspace() for c in text):
        raise CommandError(
            f"--scheduler must be a Dask scheduler address (tcp://HOST:PORT) or local:K, got {text!r}"
        )
    if text.lower().startswith("inproc://"):
        raise CommandError(f"--scheduler {text}: an in-process address is not reachable from "
                           "another process; give the scheduler's tcp:// address")
    return Scheduler(address=text)


def parse_vary(text: str) -> tuple[str, list[str]]:
    """``NAME=V1,V2,...`` as the input's name and the values' text.

    >>> parse_vary("cost_bp=0, 5,10")
    ('cost_bp', ['0', '5', '10'])
    """
    name, sep, values = str(text).partition("=")
    name = name.strip()
    parts = [v.strip() for v in values.split(",")]
    if not sep or not name or not any(parts):
        raise CommandError(f"--vary must look like NAME=V1,V2,... (e.g. cost_bp=0,5,10), got {text!r}")
    if not all(parts):
        raise CommandError(f"--vary {name}: a value is empty in {values!r}")
    return name, parts


def _scheduler(text: str) -> Scheduler:
    try:
        return parse_scheduler(text)
    except CommandError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--scheduler ")) from None


def _add_run_options(p: argparse.ArgumentParser, default_out: str) -> None:
    p.add_argument("scenario", metavar="SCENARIO.json",
                   help="A scenario file downloaded from the Hedge Lab or Rule Comparison page "
                        "(or printed by 'example').")
    size = p.add_argument_group("size (override the scenario's)")
    size.add_argument("--paths", type=_count("--paths"), metavar="N",
                      help="Paths to simulate (no page cap here), e.g. 10_000_000 or 1e7.")
    size.add_argument("--steps", type=_count("--steps"), metavar="N",
                      help="Equal grid steps from today to the book's last expiry.")
    size.add_argument("--seed", type=_count("--seed", minimum=0), metavar="S",
                      help="Root seed: the same seed gives the same paths as the page.")
    where = p.add_argument_group("where it runs (default: every core of this machine)")
    excl = where.add_mutually_exclusive_group()
    excl.add_argument("--workers", type=_count("--workers"), metavar="K",
                      help="Threads of this process to use (at most its usable cores).")
    excl.add_argument("--scheduler", type=_scheduler, metavar="ADDRESS",
                      help="A Dask scheduler (tcp://HOST:PORT; its workers need hedgelib "
                           "installed), or local:K to start a LocalCluster of K processes.")
    where.add_argument("--connect-timeout", type=_seconds, default=10.0, metavar="SECONDS",
                       help="How long to try to reach --scheduler ADDRESS (default 10).")
    where.add_argument("--chunk-size", type=_count("--chunk-size"), metavar="C",
                       help=f"Paths per task, a multiple of {DEFAULT_BLOCK_SIZE:,} (default "
                            f"{4 * DEFAULT_BLOCK_SIZE:,} on threads, {16 * DEFAULT_BLOCK_SIZE:,} "
                            "on Dask). Memory grows with it, never with --paths; the numbers "
                            "do not change.")
    out = p.add_argument_group("output")
    out.add_argument("--out", metavar="DIR", default=None,
                     help=f"Output folder (default: {default_out} in the current folder); files "
                          "there of the same name are replaced when the run ends.")
    out.add_argument("--quiet", action="store_true", help="No progress bar on stderr.")


def build_parser(prog: str = "hedgelab") -> argparse.ArgumentParser:
    """The parser of ``hedgelab`` / ``python -m hedgelib``."""
    parser = _Parser(
        prog=prog,
        description="Run Hedge Lab scenario files at scale: many paths, on every core or on a "
                    "Dask cluster, with the numbers the app gives for the same seed.",
        epilog="Start from 'example', or from the file a page's 'Run this at scale' box "
               "downloads. Exit status: 0 done, 2 bad input, 130 interrupted (nothing written).",
    )
    subs = parser.add_subparsers(dest="command", metavar="{example,run,sweep}", required=True,
                                 parser_class=_Parser)
    ex = subs.add_parser("example", help="Print a scenario file to start from.",
                         description="Print the default scenario of a page, as the page "
                                     "downloads it (redirect it into a file and edit it).")
    ex.add_argument("--page", default="hedge_lab", metavar="NAME",
                    help=f"One of {', '.join(PAGES)} (default hedge_lab).")
    commands = {
        "run": ("Run one scenario; write summary.json and pnl.parquet.",
                "Simulate and hedge the scenario's book on many paths; write DIR/summary.json "
                "(the statistics, inputs, seed, versions and wall time) and DIR/pnl.parquet "
                "(one row per path: P&L, costs, trades, attribution and explain terms)."),
        "sweep": ("Run every combination of some inputs; write sweep.parquet.",
                  "Run the scenario once per combination of the --vary values (all on the "
                  "same seed) and write one summary row per combination (per set-up for a "
                  "Rule Comparison) to DIR/sweep.parquet."),
    }
    for name, (summary, description) in commands.items():
        command = subs.add_parser(name, help=summary, description=description)
        _add_run_options(command, f"<scenario>_{name}")
    subs.choices["sweep"].add_argument(
        "--vary", action="append", required=True, metavar="NAME=V1,V2,...",
        help="An input of the scenario file and its values; repeat for a grid.")
    return parser


def check_vary_names(varies: Sequence[tuple[str, list[str]]]) -> None:
    """Each input varied once."""
    seen: set[str] = set()
    for name, _ in varies:
        if name in seen:
            raise CommandError(f"--vary {name}: given twice; list all its values in one --vary")
        seen.add(name)
