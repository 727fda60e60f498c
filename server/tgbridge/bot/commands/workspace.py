"""/status, /workspace and /session: where the work stands, and which workspace the
phone's messages go to."""

from __future__ import annotations

import time
from pathlib import Path

from tgbridge.bot.registry import Registry
from tgbridge.bot.request import Choice, Keyboard, PressRequest, Request
from tgbridge.bot.text import Text
from tgbridge.telegram.render import Part
from tgbridge.workspace.git_state import GitSnapshot, format_status

SESSION_STARTED = "session_started"


def register(registry: Registry) -> None:
    @registry.command("status", "viewer", "Branch, changes, windows, connection and queue")
    async def status(request: Request) -> None:
        bot = request.bot
        text = Text()
        folders = bot.hub.folders()
        if not folders:
            text.line("No workspace is registered yet: open a folder in the editor.")
        for folder in folders:
            snapshot = await bot.hub.workspaces.state(folder).snapshot_async()
            describe(text, folder, snapshot)
        windows = bot.hub.windows()
        text.bold("Windows").plain(f": {len(windows)} open")
        if windows:
            text.plain(" (" + ", ".join(w.name or "untitled" for w in windows) + ")")
        connection = bot.hub.connection()
        text.line().bold("Telegram").plain(f": {connection.state}")
        text.plain(f" · queue {bot.service.queued_count()}")
        await request.reply(text.part())

    @registry.command("workspace", "viewer", "Choose the workspace your messages go to")
    async def workspace(request: Request) -> None:
        part, keyboard = _workspaces(request)
        await request.reply(part, buttons=keyboard)

    @registry.action("workspace.choose", "viewer")
    async def choose(press: PressRequest) -> str:
        wanted = press.payload.get("folder")
        folder = Path(wanted) if isinstance(wanted, str) else None
        if folder is not None and folder not in press.bot.hub.workspaces.folders():
            return "That workspace is no longer open."
        press.bot.hub.choose_workspace(folder)
        name = folder.name if folder else "every window"
        await press.edit(Text().plain("Your messages now go to ").bold(name).plain(".").part())
        return f"Chose {name}."

    @registry.command("session", "viewer", "The current conversation; start a new one")
    async def session(request: Request) -> None:
        bot = request.bot
        key = f"{SESSION_STARTED}:{request.user.user_id}"
        started = bot.preferences.get_float(key) or None
        chosen = bot.hub.chosen_workspace()
        text = Text().bold("Session").line()
        text.plain("Workspace: ").line(chosen.name if chosen else "every window (none chosen)")
        if started:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started))
            text.line(f"Started: {when}")
        else:
            text.line("Started: with the first message")
        await request.reply(
            text.part(), buttons=[[Choice("Start a new session", "session.new", {})]]
        )

    @registry.action("session.new", "viewer")
    async def new_session(press: PressRequest) -> str:
        bot = press.bot
        bot.preferences.set(f"{SESSION_STARTED}:{press.user.user_id}", time.time())
        bot.hub.choose_workspace(None)
        await press.edit(
            Text().plain("A new session started; choose a workspace with /workspace.").part()
        )
        return "New session."


def describe(text: Text, folder: Path, snapshot: GitSnapshot) -> None:
    """One workspace's part of /status: its name, then branch, changes and last commit."""
    text.bold(folder.name).line()
    text.line(format_status(snapshot))
    text.line()


def _workspaces(request: Request) -> tuple[Part, Keyboard]:
    bot = request.bot
    folders = bot.hub.workspaces.folders()
    chosen = bot.hub.chosen_workspace()
    text = Text().bold("Workspaces").line(":")
    keyboard: Keyboard = []
    for folder in folders:
        mark = " (chosen)" if folder == chosen else ""
        text.plain(folder.name).line(mark)
        keyboard.append([Choice(folder.name, "workspace.choose", {"folder": str(folder)})])
    if not folders:
        text.line("none open: open a folder in the editor.")
    keyboard.append([Choice("Every window", "workspace.choose", {"folder": None})])
    return text.part(), keyboard
