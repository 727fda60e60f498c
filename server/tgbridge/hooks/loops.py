"""A bound on continues from the phone: a stop hook that blocks ("continue with this")
makes the agent stop again later with its loop flag set (Claude Code and Codex
`stop_hook_active`, VS Code the same). When that flag is set and the continues in a row
came from tgbridge, at most MAX_CONTINUES are given; then the agent stops for good until
its user (or a stop without the flag) starts a new chain.

The count lives in `<state>/hooks/stops.json`, keyed by the agent's session.
"""

from __future__ import annotations

import contextlib
import json
import os

from tgbridge.hooks.calls import Loop

MAX_CONTINUES = 3
KEEP_SESSIONS = 200
FILE_NAME = "stops.json"


def may_continue(state_dir: str, loop: Loop) -> bool:
    """Whether this stop may be continued from the phone (a stop without the agent's
    flag starts a new chain)."""
    counts = _read(state_dir)
    if not loop.active:
        if counts.pop(loop.session, None) is not None:
            _write(state_dir, counts)
        return True
    return counts.get(loop.session, 0) < MAX_CONTINUES


def record(state_dir: str, loop: Loop, *, continued: bool) -> None:
    """After the stop: one more continue in a row, or the chain ends."""
    counts = _read(state_dir)
    previous = counts.pop(loop.session, None)  # put back last: the oldest go first
    if continued:
        counts[loop.session] = (previous or 0) + 1 if loop.active else 1
    elif previous is None:
        return
    _write(state_dir, dict(list(counts.items())[-KEEP_SESSIONS:]))


def _path(state_dir: str) -> str:
    return os.path.join(state_dir, "hooks", FILE_NAME)


def _read(state_dir: str) -> dict[str, int]:
    try:
        with open(_path(state_dir), encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int)}


def _write(state_dir: str, counts: dict[str, int]) -> None:
    path = _path(state_dir)
    with contextlib.suppress(FileExistsError):
        os.makedirs(os.path.dirname(path), mode=0o700)
    temporary = f"{path}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(counts, file)
    os.replace(temporary, path)
