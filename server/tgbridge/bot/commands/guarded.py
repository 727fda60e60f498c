"""The path guard as the phone's commands use it: built from the hub's folders and the
owner's deny globs; every refusal is audited."""

from __future__ import annotations

from pathlib import Path

from tgbridge.bot.request import Request
from tgbridge.security.paths import PathGuard


def guard_for(request: Request) -> PathGuard:
    bot = request.bot
    return PathGuard(
        bot.hub.folders(),
        state_dir=bot.hub.state_dir,
        deny_globs=bot.hub.settings().deny_globs,
    )


def folder_and_relative(guard: PathGuard, requested: str) -> tuple[Path, str] | None:
    """The folder a path names (its first part may be a folder's name when several are
    open) and the rest; None when there is no folder at all."""
    if not guard.folders:
        return None
    text = requested.replace("\\", "/")
    head, _, rest = text.partition("/")
    if len(guard.folders) > 1 and rest:
        for folder in guard.folders:
            if folder.name == head:
                return folder, rest
    return guard.folders[0], text
