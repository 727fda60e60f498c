"""`python -m tests.bench [--runs N] [--pylsp-python PATH] [--only NAME ...]`: prints one
line per figure."""

from __future__ import annotations

import argparse
import sys

from tests.bench.editor import run as editor_run
from tests.bench.history import history_line
from tests.bench.hooks import hooks_lines
from tests.bench.hub import hub_lines
from tests.bench.llm import llm_lines
from tests.bench.outbox import outbox_lines
from tests.bench.startup import startup_line
from tests.bench.voice import voice_lines
from tests.bench.workspace import run as workspace_run

BENCHMARKS = ("startup", "outbox", "history", "hub", "workspace", "hooks", "llm", "voice", "editor")


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench")
    parser.add_argument("--runs", type=int, default=31, help="runs per figure (median taken)")
    parser.add_argument("--pylsp-python", help="interpreter with python-lsp-server (startup)")
    parser.add_argument(
        "--only", action="append", choices=BENCHMARKS, help="run only these (repeatable)"
    )
    args = parser.parse_args()
    chosen = args.only or BENCHMARKS
    if "startup" in chosen:
        if not args.pylsp_python:
            parser.error("the startup figure needs --pylsp-python")
        print(startup_line(sys.executable, args.pylsp_python, args.runs), flush=True)
    if "outbox" in chosen:
        for line in outbox_lines(args.runs):
            print(line, flush=True)
    if "history" in chosen:
        print(history_line(), flush=True)
    if "hub" in chosen:
        for line in hub_lines(args.runs):
            print(line, flush=True)
    if "workspace" in chosen:
        workspace_run(lambda line: print(line, flush=True))
    if "hooks" in chosen:
        for line in hooks_lines(args.runs):
            print(line, flush=True)
    if "llm" in chosen:
        for line in llm_lines(args.runs):
            print(line, flush=True)
    if "voice" in chosen:
        for line in voice_lines():
            print(line, flush=True)
    if "editor" in chosen:
        editor_run(lambda line: print(line, flush=True), args.runs)


if __name__ == "__main__":
    main()
