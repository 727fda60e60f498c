"""Where the hub's socket is and whether its folders are safe: paths (as strings) and checks
only, no asyncio and no pathlib, so a hook command that talks to the hub synchronously
imports it cheaply (`tgbridge.hub.socket` serves and connects with asyncio on top of it).

Layout: `<state_dir>/hub/hub.sock`. An AF_UNIX path holds at most 107 bytes on Linux and
103 on macOS, so when that path would be longer the socket goes to a folder named by a
short hash of the resolved state dir instead, each folder created 0700:
  1. `$XDG_RUNTIME_DIR/tgbridge/<hash>/hub.sock`, when that is set and the path fits;
  2. otherwise `/tmp/tgbridge-<uid>/<hash>/hub.sock`.
"""

from __future__ import annotations

import os
import stat

SOCKET_NAME = "hub.sock"
# sun_path is 108 bytes on Linux and 104 on macOS, the final NUL included.
MAX_SOCKET_PATH_BYTES = 103


class HubUnavailable(ConnectionError):
    """No hub listens on the socket (none started yet, or it died)."""


class HubUnsafe(PermissionError):
    """The socket's folder could let another user in; nothing is served or sent there."""


def layout(state_dir: str | os.PathLike[str]) -> tuple[str, list[str]]:
    """The socket path, and the folders that must be ours and 0700, outermost first."""
    resolved = os.path.realpath(state_dir)
    folder = os.path.join(resolved, "hub")
    if _fits(os.path.join(folder, SOCKET_NAME)):
        return os.path.join(folder, SOCKET_NAME), [folder]
    import hashlib  # only for long paths: a hook command's start-up stays short

    digest = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:16]
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime_dir):
        base = os.path.join(runtime_dir, "tgbridge")
        if _fits(os.path.join(base, digest, SOCKET_NAME)):
            return os.path.join(base, digest, SOCKET_NAME), [base, os.path.join(base, digest)]
    base = os.path.join("/tmp", f"tgbridge-{os.geteuid()}")
    return os.path.join(base, digest, SOCKET_NAME), [base, os.path.join(base, digest)]


def _fits(path: str) -> bool:
    return len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES


def check_private(folder: str | os.PathLike[str], *, repair: bool) -> None:
    """Refuses a folder that is a symlink, someone else's, or (unless repaired) not 0700."""
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise HubUnsafe(f"{folder} is not a folder (a symlink?); remove it and start again.")
    own_uid = os.geteuid()
    if info.st_uid != own_uid:
        raise HubUnsafe(
            f"{folder} belongs to uid {info.st_uid}, not to you (uid {own_uid}); "
            "another user could reach the hub through it. Remove it and start again."
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode == 0o700:
        return
    if not repair:
        raise HubUnsafe(
            f"{folder} is {mode:o}, not 700, so other users could reach the hub through it; "
            f"run `chmod 700 {folder}`."
        )
    os.chmod(folder, 0o700)
