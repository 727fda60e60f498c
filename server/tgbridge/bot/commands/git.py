"""/diff, /log and /find: git through the workspace's cached state, never a shell; paths
the deny rules cover are left out, and a refused path is audited."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from tgbridge.bot.commands.guarded import folder_and_relative, guard_for
from tgbridge.bot.registry import Registry
from tgbridge.bot.request import Request
from tgbridge.bot.text import Text
from tgbridge.security.paths import NO_SUCH_FILE, PathGuard, PathRefused
from tgbridge.telegram.render import TEXT_LIMIT, code_block

FILES_SHOWN = 8
DIFF_BYTES = 2 * 1024 * 1024
INLINE_DIFF = TEXT_LIMIT - 200
FIND_MATCHES = 30
MAX_NEEDLE = 200
LOG_DEFAULT = 10
LOG_MAX = 50
REFUSED = "That is not a workspace path tgbridge may show."


def register(registry: Registry) -> None:
    @registry.command("diff", "viewer", "What changed: a summary, then each file", "[path]")
    async def diff(request: Request) -> None:
        guard = guard_for(request)
        if not guard.folders:
            await request.reply(Text().plain("No workspace is open.").part())
            return
        if request.args:
            await _diff_one(request, guard, request.args)
            return
        await _diff_all(request, guard, guard.folders[0])

    @registry.command("log", "viewer", "The latest commits", "[n]")
    async def log(request: Request) -> None:
        count = LOG_DEFAULT
        if request.args:
            if not request.args.isdigit() or not 1 <= int(request.args) <= LOG_MAX:
                await request.reply(Text().plain(f"Give a number from 1 to {LOG_MAX}.").part())
                return
            count = int(request.args)
        folders = request.bot.hub.folders()
        if not folders:
            await request.reply(Text().plain("No workspace is open.").part())
            return
        state = request.bot.hub.workspaces.state(folders[0])
        entries = await asyncio.to_thread(state.log, count)
        text = Text().bold(f"{folders[0].name}: the last {len(entries)} commits").line()
        for entry in entries:
            when = entry.iso_time[:10]
            text.code(entry.short_sha).plain(f" {when} {entry.author}: ").line(entry.subject[:100])
        await request.reply(text.part())

    @registry.command("find", "viewer", "Search the workspace's files (git grep)", "text")
    async def find(request: Request) -> None:
        needle = request.args
        if not needle:
            await request.reply(Text().plain("Say what to find: /find text").part())
            return
        if len(needle) > MAX_NEEDLE or any(ord(c) < 32 for c in needle):
            await request.reply(
                Text().plain(f"Search for one line of at most {MAX_NEEDLE} characters.").part()
            )
            return
        guard = guard_for(request)
        text = Text()
        shown = hidden = 0
        for folder in guard.folders:
            state = request.bot.hub.workspaces.state(folder)
            matches = await asyncio.to_thread(state.grep, needle, FIND_MATCHES)
            for match in matches:
                if not guard.allows(folder, match.relative):
                    hidden += 1
                    continue
                if shown < FIND_MATCHES:
                    text.code(f"{folder.name}/{match.relative}:{match.line}")
                    text.line(" " + match.text.strip()[:160])
                shown += 1
        if hidden:
            request.audit("refused", f"{hidden} matches in denied files withheld")
        if not shown:
            text.plain("Nothing found")
            text.plain(f" ({hidden} matches in files tgbridge does not show)." if hidden else ".")
        elif shown > FIND_MATCHES:
            text.plain(f"…and {shown - FIND_MATCHES} more.")
        await request.reply(text.part())


async def _diff_one(request: Request, guard: PathGuard, requested: str) -> None:
    picked = folder_and_relative(guard, requested)
    state = request.bot.hub.workspaces.state(picked[0]) if picked else None
    changed = await asyncio.to_thread(state.diff_files) if state else []
    if picked is None or state is None or not showable(guard, *picked, changed):
        request.audit("refused", "path")
        await request.reply(Text().plain(REFUSED).part())
        return
    folder, relative = picked
    patch = await asyncio.to_thread(state.diff_of, relative, DIFF_BYTES)
    if not patch.strip():
        await request.reply(Text().plain("No changes in ").code(relative).plain(".").part())
        return
    await _send_patch(request, folder, relative, patch)


def showable(guard: PathGuard, folder: Path, relative: str, changed: list[str]) -> bool:
    """A path whose diff may be shown: a regular workspace file the guard lets through,
    or a changed path that no longer exists (deleted) and that the deny rules allow."""
    requested = relative if folder == guard.folders[0] else f"{folder.name}/{relative}"
    try:
        guard.resolve(requested)
        return True
    except PathRefused as refused:
        if refused.reason != NO_SUCH_FILE:
            return False
    return (
        relative in changed
        and guard.allows(folder, relative)
        and not os.path.lexists(folder / relative)
    )


async def _diff_all(request: Request, guard: PathGuard, folder: Path) -> None:
    state = request.bot.hub.workspaces.state(folder)
    files = await asyncio.to_thread(state.diff_files)
    shown = [f for f in files if showable(guard, folder, f, files)]
    hidden = len(files) - len(shown)
    if hidden:
        request.audit("refused", f"{hidden} denied files left out of the diff")
    if not shown:
        note = f" ({hidden} files tgbridge does not show)" if hidden else ""
        await request.reply(Text().plain(f"No changes in {folder.name}{note}.").part())
        return
    stat = await asyncio.to_thread(state.diff_stat, None)
    stat_lines = [line for line in stat.splitlines() if _stat_allowed(line, shown)]
    header = f"{folder.name}: {len(shown)} files changed"
    if hidden:
        header += f" ({hidden} hidden by the deny rules)"
    await request.reply(code_block("\n".join(stat_lines) or " ", "", header))
    for relative in shown[:FILES_SHOWN]:
        patch = await asyncio.to_thread(state.diff_of, relative, DIFF_BYTES)
        if patch.strip():
            await _send_patch(request, folder, relative, patch)
    if len(shown) > FILES_SHOWN:
        more = len(shown) - FILES_SHOWN
        await request.reply(Text().plain(f"…and {more} more files: /diff path shows one.").part())


def _stat_allowed(line: str, shown: list[str]) -> bool:
    """A `--stat` line of a shown file; git's summary line counts the hidden ones too."""
    if "|" not in line:
        return False
    name = line.split("|", 1)[0].strip()
    return any(name == path or path.endswith(name.lstrip(".…/")) for path in shown)


async def _send_patch(request: Request, folder: Path, relative: str, patch: str) -> None:
    """One file's diff as a `diff` code block; a long one as a .diff document."""
    await request.reply(
        code_block(patch, "diff", f"{folder.name}/{relative}"),
        file_name=Path(relative).name + ".diff",
        document_above=INLINE_DIFF,
        content=patch,
    )
