"""Command line: `python -m tgbridge serve` (also the `tgbridge` console script)."""

from __future__ import annotations

import argparse
from typing import Any

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
    _add_send_and_status(commands)
    return parser


# The exit codes of tgbridge.cli_send (EXIT_*), kept here so that `serve`'s cold start
# does not import the send path.
SEND_EXIT_CODES = """\
exit codes:
  0  sent (stdout: the Telegram message ids), or still queued after --wait seconds:
     the hub keeps the message and sends it when Telegram lets it (stderr says so)
  1  the send failed: Telegram or the hub refused it (stderr: why)
  2  usage: bad arguments or settings, an unreadable file, or no session
     (run `tgbridge login` first)
  3  no tgbridge hub could be reached or started
"""
STATUS_EXIT_CODES = """\
exit codes:
  0  printed the hub's pid and connection, or "no hub running"
  2  bad settings
  3  a hub runs but could not be asked (an unsafe socket folder, another version)
"""
DEFAULT_WAIT = 30.0


def _add_send_and_status(commands: Any) -> None:
    send = commands.add_parser(
        "send",
        help="send text, a file or code to a chat through the hub (starts one if none runs)",
        description="Queues the send in the hub (started if none runs), connected with the\n"
        "session of `tgbridge login`, and waits for Telegram's answer. Waits Telegram\n"
        "imposes are shown on stderr.",
        epilog=SEND_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    send.add_argument("--chat", help="a chat id or @username (default: tgbridge.defaultChat)")
    send.add_argument("--reply-to", type=int, metavar="N", help="the message id to reply to")
    send.add_argument("--file", metavar="PATH", help="send this file")
    send.add_argument("--caption", default="", help="the caption of --file")
    send.add_argument(
        "--code",
        metavar="PATH[:START-END]",
        help="send this file's code (lines START to END, counted from 1) as a code block",
    )
    send.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT,
        metavar="SECONDS",
        help=f"how long to wait for Telegram's answer (default {DEFAULT_WAIT:.0f}); a send "
        "still queued then stays queued in the hub",
    )
    send.add_argument("text", nargs="*", metavar="TEXT", help="the message; `-` reads stdin")
    commands.add_parser(
        "status",
        help="the running hub's pid and Telegram connection (never starts a hub)",
        epilog=STATUS_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from tgbridge.lsp.server import serve

        serve(log_level=args.log_level)
        return 0
    if args.command == "hub":
        from tgbridge.cli_hub import hub

        return hub(args.action)
    if args.command in ("send", "status"):
        from tgbridge import cli_send

        return cli_send.send(args) if args.command == "send" else cli_send.status()
    from tgbridge import cli_login

    if args.command == "login":
        return cli_login.login(args.bot, args.phone, args.api_id)
    return cli_login.logout()
