"""`python -m tests.bench [--runs N] [--pylsp-python PATH]`: prints one line per figure."""

from __future__ import annotations

import argparse
import sys

from tests.bench.outbox import outbox_lines
from tests.bench.startup import startup_line


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench")
    parser.add_argument("--runs", type=int, default=31, help="runs per figure (median taken)")
    parser.add_argument("--pylsp-python", required=True, help="interpreter with python-lsp-server")
    args = parser.parse_args()
    print(startup_line(sys.executable, args.pylsp_python, args.runs), flush=True)
    for line in outbox_lines(args.runs):
        print(line, flush=True)


if __name__ == "__main__":
    main()
