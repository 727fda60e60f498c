"""Which file `send_file` may send: a regular file inside the workspace (the MCP client's
roots, else `--workspace` or the server's working directory) that the path guard lets
through, deny globs included."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePath

from tgbridge.hub.router import folder_path
from tgbridge.security.paths import GuardedPath, PathGuard, PathRefused

# Telegram's upload limit for bots: a larger file could never arrive.
MAX_FILE_BYTES = 50 * 1024 * 1024
OUTSIDE = "not inside the workspace"
BAD_GLOBS = "tgbridge.denyGlobs has an invalid pattern"


def folders_of(uris: Sequence[str]) -> list[Path]:
    """The local folders among the client's roots (file:// URIs); others are ignored."""
    return [path for path in map(folder_path, uris) if path is not None and path.is_absolute()]


def guarded_file(
    requested: str,
    folders: Sequence[Path],
    *,
    state_dir: Path | None,
    deny_globs: Sequence[str] = (),
) -> GuardedPath:
    """The file `requested` names, or PathRefused with the guard's reason.

    A relative path is read as the guard reads the phone's (relative to the first folder,
    or `name/rest` for the folder called `name`). An absolute one must lie below one of
    the folders lexically; what follows it is then checked as a relative path, so `..`
    and everything else the guard refuses is refused here too, symlinks included."""

    def guard(within: Sequence[Path]) -> PathGuard:
        try:
            return PathGuard(
                within, state_dir=state_dir, deny_globs=deny_globs, max_bytes=MAX_FILE_BYTES
            )
        except ValueError:
            raise PathRefused(BAD_GLOBS) from None

    if requested.startswith("~") or not os.path.isabs(requested):
        return guard(folders).resolve(requested)
    path = PurePath(requested)
    for folder in folders:
        for base in dict.fromkeys((folder, folder.resolve())):  # as given, and resolved
            if path != base and path.is_relative_to(base):
                return guard([folder]).resolve(path.relative_to(base).as_posix())
    raise PathRefused(OUTSIDE)
