"""/start, /help, /mute and /unmute."""

from __future__ import annotations

import re
import time

from tgbridge.bot.registry import Registry
from tgbridge.bot.request import Request
from tgbridge.bot.text import Text
from tgbridge.telegram.render import Part

MUTE_UNTIL = "mute_until"
DEFAULT_MUTE = 3600.0
MAX_MUTE = 7 * 86400.0
_DURATION = re.compile(r"^(\d{1,4})\s*(m|min|h|d)?$")
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, None: 60}


def parse_duration(text: str) -> float | None:
    """ "30m", "2h", "1d", "45" (minutes) -> seconds; None when it is not a duration."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        return None
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    return float(min(seconds, MAX_MUTE)) if seconds > 0 else None


def register(registry: Registry) -> None:
    @registry.command(
        "start", "viewer", "Pair this phone (send the code from the editor)", in_menu=False
    )
    async def start(request: Request) -> None:
        text = Text().plain("This phone is already paired; you are a ")
        text.bold(request.user.role).plain(". /help lists what you can do.")
        await request.reply(text.part())

    @registry.command("help", "viewer", "What you can do from here")
    async def help_(request: Request) -> None:
        await request.reply(_help(registry, request))

    @registry.command("mute", "viewer", "Silence notifications for a while", "[30m|2h|1d]")
    async def mute(request: Request) -> None:
        seconds = parse_duration(request.args) if request.args else DEFAULT_MUTE
        if seconds is None:
            await request.reply(Part("Say how long, e.g. /mute 30m, /mute 2h or /mute 1d."))
            return
        until = time.time() + seconds
        request.bot.preferences.set(MUTE_UNTIL, until)
        clock = time.strftime("%H:%M", time.localtime(until))
        await request.reply(Part(f"Notifications muted until {clock}. /unmute ends it sooner."))

    @registry.command("unmute", "viewer", "Notifications again")
    async def unmute(request: Request) -> None:
        request.bot.preferences.set(MUTE_UNTIL, None)
        held = request.bot.notifier.take_muted_count()
        extra = f" {held} came while muted (see /history)." if held else ""
        await request.reply(Part("Notifications are on again." + extra))


def _help(registry: Registry, request: Request) -> Part:
    text = Text().bold(f"Commands for you ({request.user.role}):").line()
    for command in registry.visible(request.user.role):
        text.plain(f"/{command.name}")
        if command.usage:
            text.plain(" ").code(command.usage)
        text.line(f" — {command.summary}")
    return text.part()
