"""The hub's socket: user-only folder and socket, a short path, another uid refused."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import socket
import stat
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tgbridge.hub.rpc import RpcConnection
from tgbridge.hub.socket import (
    MAX_SOCKET_PATH_BYTES,
    HubUnavailable,
    HubUnsafe,
    connect,
    peer_allowed,
    peer_uid,
    serve,
    socket_path,
)


class Accepted:
    """The hub's side: every connection it accepted, answered by an echo."""

    def __init__(self) -> None:
        self.count = 0
        self.connections: list[RpcConnection] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.count += 1
        connection = RpcConnection(reader, writer, name="client")

        async def echo(params: dict[str, Any]) -> Any:
            return params

        connection.on_request("test/echo", echo)
        self.connections.append(connection)
        await connection.run()


@contextlib.asynccontextmanager
async def hub(state_dir: Path) -> AsyncIterator[Accepted]:
    accepted = Accepted()
    server = await serve(state_dir, accepted)
    try:
        yield accepted
    finally:
        for connection in accepted.connections:
            await connection.close()
        server.close()
        await server.wait_closed()


async def echo_through(state_dir: Path) -> Any:
    connection = RpcConnection(*await connect(state_dir), name="hub")
    running = asyncio.create_task(connection.run())
    try:
        return await connection.request("test/echo", {"ping": 1})
    finally:
        await connection.close()
        await running


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def short_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An XDG_RUNTIME_DIR short enough for the fallback, whatever pytest's tmp_path is."""
    runtime_dir = Path(tempfile.mkdtemp(prefix="tgb", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime_dir))
    yield runtime_dir
    shutil.rmtree(runtime_dir)


def long_state_dir(tmp_path: Path) -> Path:
    return tmp_path / ("long-folder-name-" * 6) / "state"


# --- where the socket lives ---


def test_the_socket_is_in_the_state_dir_when_the_path_fits(tmp_path: Path) -> None:
    path = socket_path(tmp_path / "state")
    assert path == tmp_path.resolve() / "state" / "hub" / "hub.sock"
    assert len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES


def test_a_long_state_dir_puts_the_socket_under_the_runtime_dir(
    tmp_path: Path, short_runtime_dir: Path
) -> None:
    path = socket_path(long_state_dir(tmp_path))
    assert len(os.fsencode(long_state_dir(tmp_path) / "hub" / "hub.sock")) > MAX_SOCKET_PATH_BYTES
    assert path.parent.parent == short_runtime_dir / "tgbridge"
    assert path.name == "hub.sock"
    assert len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES
    assert socket_path(long_state_dir(tmp_path)) == path
    assert socket_path(long_state_dir(tmp_path) / "other") != path


def test_without_a_runtime_dir_the_fallback_is_a_user_folder_in_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    path = socket_path(long_state_dir(tmp_path))
    assert path.parent.parent == Path(f"/tmp/tgbridge-{os.geteuid()}")
    assert len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES


# --- serving and connecting ---


async def test_serve_makes_a_private_folder_and_socket_and_connect_reaches_it(
    tmp_path: Path,
) -> None:
    state_dir = tmp_path / "state"
    async with hub(state_dir) as accepted:
        path = socket_path(state_dir)
        assert mode(path.parent) == 0o700
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
        assert mode(path) == 0o600
        assert await echo_through(state_dir) == {"ping": 1}
        assert accepted.count == 1


async def test_a_long_state_dir_is_served_from_the_runtime_dir(
    tmp_path: Path, short_runtime_dir: Path
) -> None:
    state_dir = long_state_dir(tmp_path)
    async with hub(state_dir):
        path = socket_path(state_dir)
        assert path.is_relative_to(short_runtime_dir)
        assert mode(path.parent) == mode(path.parent.parent) == 0o700
        assert await echo_through(state_dir) == {"ping": 1}


async def test_a_long_state_dir_without_runtime_dir_is_served_from_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    state_dir = long_state_dir(tmp_path)
    path = socket_path(state_dir)
    try:
        async with hub(state_dir):
            assert mode(path.parent) == mode(path.parent.parent) == 0o700
            assert await echo_through(state_dir) == {"ping": 1}
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


async def test_connect_without_a_hub_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(HubUnavailable):
        await connect(tmp_path / "never-served")


async def test_a_dead_hubs_socket_is_unavailable_and_replaced_by_the_next_hub(
    tmp_path: Path,
) -> None:
    state_dir = tmp_path / "state"
    async with hub(state_dir):
        pass  # the socket file stays behind, like after a SIGKILL
    assert socket_path(state_dir).exists()
    with pytest.raises(HubUnavailable):
        await connect(state_dir)
    async with hub(state_dir):
        assert await echo_through(state_dir) == {"ping": 1}


# --- the folder's permissions ---


async def test_connect_refuses_a_folder_someone_made_0755(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    async with hub(state_dir) as accepted:
        socket_path(state_dir).parent.chmod(0o755)
        with pytest.raises(HubUnsafe, match="chmod 700"):
            await connect(state_dir)
        assert accepted.count == 0


async def test_serve_repairs_a_folder_of_ours_made_0755(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    folder = socket_path(state_dir).parent
    folder.mkdir(parents=True, mode=0o700)
    folder.chmod(0o755)
    async with hub(state_dir):
        assert mode(folder) == 0o700
        assert await echo_through(state_dir) == {"ping": 1}


async def test_a_folder_of_another_user_is_refused_by_both_sides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_dir = tmp_path / "state"
    async with hub(state_dir):
        monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 1)
        with pytest.raises(HubUnsafe, match="belongs to uid"):
            await connect(state_dir)
        with pytest.raises(HubUnsafe, match="belongs to uid"):
            await serve(state_dir, Accepted())


async def test_a_symlinked_folder_is_refused(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    state_dir.mkdir()
    (state_dir / "hub").symlink_to(elsewhere)
    with pytest.raises(HubUnsafe, match="not a folder"):
        await serve(state_dir, Accepted())
    with pytest.raises(HubUnsafe, match="not a folder"):
        await connect(state_dir)


# --- who may connect ---


def test_only_our_own_uid_may_connect() -> None:
    assert peer_allowed(1000, 1000)
    assert not peer_allowed(1001, 1000)
    assert not peer_allowed(0, 1000)
    assert not peer_allowed(None, 1000)


async def test_the_peer_uid_is_read_from_the_kernel(tmp_path: Path) -> None:
    ours, theirs = socket.socketpair()
    _reader, writer = await asyncio.open_unix_connection(sock=ours)
    try:
        assert peer_uid(writer) == os.geteuid()
    finally:
        writer.close()
        theirs.close()


async def refused_without_an_answer(state_dir: Path) -> bytes:
    """Connects past the client's own checks, asks something secret, returns the reply
    (a refused connection ends before any)."""
    reader, writer = await asyncio.open_unix_connection(socket_path(state_dir))
    request = {"jsonrpc": "2.0", "id": 1, "method": "test/echo", "params": {"t": "SECRET"}}
    writer.write(json.dumps(request).encode() + b"\n")
    try:
        return await reader.readline()
    except ConnectionResetError:
        return b""
    finally:
        writer.close()


async def test_a_connection_from_another_uid_is_closed_without_an_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    state_dir = tmp_path / "state"
    real_uid = os.geteuid()
    async with hub(state_dir) as accepted:
        # The hub now believes it runs as another user, so our real uid is a stranger's.
        monkeypatch.setattr(os, "geteuid", lambda: real_uid + 1)
        assert await refused_without_an_answer(state_dir) == b""
        monkeypatch.undo()
        assert accepted.count == 0
        assert await echo_through(state_dir) == {"ping": 1}
        assert accepted.count == 1
    refusals = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in refusals] == [f"Refused a hub connection from uid {real_uid}"]
    assert "SECRET" not in caplog.text


async def test_without_peer_credentials_every_connection_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    state_dir = tmp_path / "state"
    async with hub(state_dir) as accepted:
        monkeypatch.delattr(socket, "SO_PEERCRED", raising=False)
        assert await refused_without_an_answer(state_dir) == b""
        assert accepted.count == 0
    assert "uid unknown" in caplog.text
