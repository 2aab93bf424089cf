"""The command line: run the app's scenario files at scale, locally or on Dask.

::

    python -m hedgelib example [--page NAME]      # a scenario file to start from
    python -m hedgelib run SCENARIO.json [--paths N] [--steps N] [--seed S]
        [--workers K | --scheduler ADDRESS | --scheduler local:K] [--out DIR] [--chunk-size C]
    python -m hedgelib sweep SCENARIO.json --vary NAME=V1,V2,... [--vary ...] [same options]

(``hedgelab`` is the same command once the package is installed.) A scenario file is what the
Monte Carlo Hedge Lab and Rule Comparison pages download; its format and meaning are
:mod:`hedgelib.scenario`'s, so the command line runs exactly what the page runs: at the
same seed and number of paths it gives the page's numbers, bit for bit, on any number of
threads or Dask workers.

``run`` writes ``DIR/summary.json`` (the statistics, mean attribution, the inputs, seed,
versions, wall time and peak memory) and ``DIR/pnl.parquet`` (one row per path and set-up:
P&L, unhedged P&L, costs, trades, turnover, cost components, attribution and greek explain
terms, which each sum to the P&L). ``sweep`` writes ``DIR/sweep.parquet``: one row per
combination of the ``--vary`` values (per set-up, for a Rule Comparison) with the same
statistics. A Rule Comparison run compares its set-ups on common paths; the page's frequency
sweep and cost-risk frontier are not run.

Runs go in chunks (:mod:`hedgelib.cli.stream`): memory holds a few chunks and 40 bytes per
path and set-up for exact quantiles, whatever the number of paths; the Parquet file is
written chunk by chunk. Files appear only when the run is complete (Ctrl-C stops cleanly and
leaves nothing). Bad input prints one line on stderr naming the problem and exits with
status 2; an interrupted run exits with 130.

Examples
--------
>>> import contextlib, io
>>> buffer = io.StringIO()
>>> with contextlib.redirect_stdout(buffer):
...     status = main(["example", "--page", "hedge_lab"])
>>> status, '"format": "hedge-lab-scenario"' in buffer.getvalue()
(0, True)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from hedgelib.cli.args import EXIT_INTERRUPTED, EXIT_USAGE, CommandError, build_parser
from hedgelib.cli.commands import example, run, sweep
from hedgelib.conventions import HedgeLibError

__all__ = ["EXIT_INTERRUPTED", "EXIT_USAGE", "CommandError", "build_parser", "main"]

_COMMANDS = {"example": example, "run": run, "sweep": sweep}


def _prog() -> str:
    first = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m hedgelib" if first in ("__main__.py", "-c", "") else first or "hedgelab"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the exit status.

    0 when done; 2 for bad input, after one line on stderr naming it; 130 after Ctrl-C,
    having written nothing.
    """
    prog = _prog()
    try:
        args = build_parser(prog).parse_args(argv)
        return _COMMANDS[args.command](args)
    except HedgeLibError as exc:  # CommandError and the library's own, both name the input
        message = " ".join(str(exc).split())
        print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted; nothing written", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away (``... example | head``): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
