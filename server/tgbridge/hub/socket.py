"""Where the hub listens and who may connect: a Unix socket only its user can reach.

The socket lives in a folder that must be 0700 and ours; the socket itself is 0600; and
every accepted connection's peer uid (SO_PEERCRED) must be our own. The folder is what
actually keeps other users out (a socket's own mode is not honoured everywhere), so both
`serve` and `connect` check it.

Layout: `<state_dir>/hub/hub.sock`. An AF_UNIX path holds at most 107 bytes on Linux and
103 on macOS, so when that path would be longer the socket goes to a folder named by a
short hash of the resolved state dir instead, each folder created 0700:
  1. `$XDG_RUNTIME_DIR/tgbridge/<hash>/hub.sock`, when that is set and the path fits;
  2. otherwise `/tmp/tgbridge-<uid>/<hash>/hub.sock`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import stat
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path

from tgbridge.hub.rpc import LINE_LIMIT

logger = logging.getLogger(__name__)

SOCKET_NAME = "hub.sock"
# sun_path is 108 bytes on Linux and 104 on macOS, the final NUL included.
MAX_SOCKET_PATH_BYTES = 103

ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class HubUnavailable(ConnectionError):
    """No hub listens on the socket (none started yet, or it died)."""


class HubUnsafe(PermissionError):
    """The socket's folder could let another user in; nothing is served or sent there."""


def socket_path(state_dir: Path) -> Path:
    """The hub's socket for `state_dir` (see the module docstring for the layout)."""
    return _layout(state_dir)[0]


def _layout(state_dir: Path) -> tuple[Path, list[Path]]:
    """The socket path, and the folders that must be ours and 0700, outermost first."""
    state_dir = state_dir.resolve()
    folder = state_dir / "hub"
    if _fits(folder / SOCKET_NAME):
        return folder / SOCKET_NAME, [folder]
    digest = hashlib.sha256(os.fsencode(state_dir)).hexdigest()[:16]
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime_dir):
        base = Path(runtime_dir) / "tgbridge"
        if _fits(base / digest / SOCKET_NAME):
            return base / digest / SOCKET_NAME, [base, base / digest]
    base = Path("/tmp") / f"tgbridge-{os.geteuid()}"
    return base / digest / SOCKET_NAME, [base, base / digest]


def _fits(path: Path) -> bool:
    return len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES


def peer_allowed(peer_uid: int | None, own_uid: int) -> bool:
    """Only our own uid may talk to the hub; an unknown uid (no SO_PEERCRED) may not."""
    return peer_uid is not None and peer_uid == own_uid


def peer_uid(writer: asyncio.StreamWriter) -> int | None:
    """The connected process's effective uid, or None where the platform does not say."""
    sock = writer.get_extra_info("socket")
    option = getattr(socket, "SO_PEERCRED", None)
    if sock is None or option is None:
        return None
    size = struct.calcsize("3i")
    try:
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, size))
    except OSError:
        return None
    return int(uid)


async def serve(state_dir: Path, on_connection: ConnectionHandler) -> asyncio.AbstractServer:
    """Listens on the hub socket; `on_connection` gets only connections from our own uid.

    The caller holds the hub lock, so a socket file already there is a dead hub's and is
    replaced. `on_connection` owns the streams it is given (it closes them).
    """
    path = _prepare(state_dir)

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Nothing the peer sent is looked at before this check.
        uid = peer_uid(writer)
        if not peer_allowed(uid, os.geteuid()):
            logger.warning(
                "Refused a hub connection from uid %s", "unknown" if uid is None else uid
            )
            writer.close()
            return
        await on_connection(reader, writer)

    server = await asyncio.start_unix_server(accept, path, limit=LINE_LIMIT)
    os.chmod(path, 0o600)
    return server


async def connect(state_dir: Path) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Opens a connection to the running hub.

    Raises HubUnsafe when a folder on the way is not ours or not 0700, and HubUnavailable
    when no hub listens.
    """
    path, folders = _layout(state_dir)
    try:
        for folder in folders:
            _check_private(folder, repair=False)
        return await asyncio.open_unix_connection(path, limit=LINE_LIMIT)
    except (FileNotFoundError, ConnectionRefusedError) as error:
        raise HubUnavailable(f"No tgbridge hub is listening on {path}.") from error


def _prepare(state_dir: Path) -> Path:
    """Makes the socket's folders private and clears the way for a new socket."""
    path, folders = _layout(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for folder in folders:
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        _check_private(folder, repair=True)
    path.unlink(missing_ok=True)
    return path


def _check_private(folder: Path, *, repair: bool) -> None:
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
