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
    login = commands.add_parser(
        "login",
        help="log the command line in to Telegram; the session goes to a 0600 file",
        description="Secrets come from TGBRIDGE_API_HASH and TGBRIDGE_BOT_TOKEN or a prompt.",
    )
    login.add_argument("--api-id", type=int, required=True, help="from my.telegram.org")
    who = login.add_mutually_exclusive_group(required=True)
    who.add_argument("--bot", action="store_true", help="log in as your bot")
    who.add_argument("--phone", help="log in as your account (the number, with country code)")
    commands.add_parser("logout", help="forget the command line's session")
    hub = commands.add_parser(
        "hub",
        help="run the hub: the one Telegram connection every window and the CLI share",
        description="Started on demand by the first client; `tgbridge hub stop` ends it.",
    )
    hub.add_argument("action", nargs="?", choices=["run", "stop"], default="run")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from tgbridge.lsp.server import serve

        serve(log_level=args.log_level)
        return 0
    if args.command == "hub":
        from tgbridge.cli_hub import hub

        return hub(args.action)
    from tgbridge import cli_login

    if args.command == "login":
        return cli_login.login(args.bot, args.phone, args.api_id)
    return cli_login.logout()
