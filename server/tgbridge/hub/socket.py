"""Where the hub listens and who may connect: a Unix socket only its user can reach.

The socket lives in a folder that must be 0700 and ours; the socket itself is 0600; and
every accepted connection's peer uid (SO_PEERCRED) must be our own. The folder is what
actually keeps other users out (a socket's own mode is not honoured everywhere), so both
`serve` and `connect` check it.

The socket's path (and the short one used when the state dir's is too long for AF_UNIX)
and the folder checks live in `tgbridge.hub.address`, which needs no asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path

from tgbridge.hub.address import MAX_SOCKET_PATH_BYTES as MAX_SOCKET_PATH_BYTES
from tgbridge.hub.address import HubUnavailable as HubUnavailable
from tgbridge.hub.address import HubUnsafe as HubUnsafe
from tgbridge.hub.address import check_private
from tgbridge.hub.address import layout as _paths
from tgbridge.hub.rpc import LINE_LIMIT

logger = logging.getLogger(__name__)

ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def socket_path(state_dir: Path) -> Path:
    """The hub's socket for `state_dir` (see `tgbridge.hub.address` for the layout)."""
    return layout(state_dir)[0]


def layout(state_dir: Path) -> tuple[Path, list[Path]]:
    """The socket path, and the folders that must be ours and 0700, outermost first."""
    path, folders = _paths(state_dir)
    return Path(path), [Path(folder) for folder in folders]


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
    path, folders = layout(state_dir)
    try:
        for folder in folders:
            check_private(folder, repair=False)
        return await asyncio.open_unix_connection(path, limit=LINE_LIMIT)
    except (FileNotFoundError, ConnectionRefusedError) as error:
        raise HubUnavailable(f"No tgbridge hub is listening on {path}.") from error


def _prepare(state_dir: Path) -> Path:
    """Makes the socket's folders private and clears the way for a new socket."""
    path, folders = layout(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for folder in folders:
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        check_private(folder, repair=True)
    path.unlink(missing_ok=True)
    return path
