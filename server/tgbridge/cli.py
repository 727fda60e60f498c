"""Command line: `python -m tgbridge serve` (also the `tgbridge` console script)."""

from __future__ import annotations

import argparse

from tgbridge import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tgbridge", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tgbridge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the sidecar: JSON-RPC (LSP framing) on stdio")
    # vscode-languageclient appends --stdio to the server's argv; stdio is the only transport.
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    serve.add_argument(
        "--log-level",
        choices=["error", "warning", "info", "debug"],
        default=None,
        help="stderr log level before settings arrive (default: info, or TGBRIDGE_LOG_LEVEL)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from tgbridge.lsp.server import serve

        serve(log_level=args.log_level)
    return 0
