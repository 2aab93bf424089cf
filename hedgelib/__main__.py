"""``python -m hedgelib``: the command line of :mod:`hedgelib.cli` (example, run, sweep)."""

import sys

from hedgelib.cli import main

if __name__ == "__main__":
    sys.exit(main())
