"""The hub's JSON-RPC connection: both sides ask, errors keep their code, a dead peer is noticed."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tgbridge.errors import BridgeError
from tgbridge.hub.rpc import (
    LINE_LIMIT,
    ConnectionLost,
    MessageTooLarge,
    RpcConnection,
    RpcError,
)


async def open_connection(
    sock: socket.socket, peer: str, max_line: int = LINE_LIMIT
) -> RpcConnection:
    reader, writer = await asyncio.open_unix_connection(sock=sock, limit=max_line)
    return RpcConnection(reader, writer, name=peer, max_line=max_line)


# Bounds a wait that must end, so a broken close path fails instead of hanging the suite.
BOUND = 10


@dataclass
class Pair:
    """Both ends of one connection, each named for the side that holds it."""

    hub: RpcConnection
    window: RpcConnection


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    hub_end, window_end = socket.socketpair()
    hub = await open_connection(hub_end, "window")
    window = await open_connection(window_end, "hub")
    running = [asyncio.create_task(side.run()) for side in (hub, window)]
    yield Pair(hub, window)
    await hub.close()
    await window.close()
    await asyncio.gather(*running)


@dataclass
class RawPeer:
    """One RpcConnection, and the other end as plain lines, to see the wire."""

    connection: RpcConnection
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    running: asyncio.Task[None]

    async def send(self, message: dict[str, Any]) -> None:
        self.writer.write(json.dumps(message).encode() + b"\n")
        await self.writer.drain()

    async def receive(self) -> Any:
        return json.loads(await self.reader.readline())


@pytest.fixture
async def raw() -> AsyncIterator[RawPeer]:
    ours, theirs = socket.socketpair()
    connection = await open_connection(ours, "raw peer")
    reader, writer = await asyncio.open_unix_connection(sock=theirs)
    peer = RawPeer(connection, reader, writer, asyncio.create_task(connection.run()))
    yield peer
    writer.close()
    await connection.close()
    await peer.running


async def test_a_request_gets_its_result(pair: Pair) -> None:
    async def echo(params: dict[str, Any]) -> Any:
        return {"echo": params["text"]}

    pair.hub.on_request("test/echo", echo)
    assert await pair.window.request("test/echo", {"text": "héllo\nthere"}) == {
        "echo": "héllo\nthere"
    }


async def test_the_hub_asks_the_window_while_the_windows_request_is_pending(pair: Pair) -> None:
    code_asked = asyncio.Event()
    code_typed: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def log_in(params: dict[str, Any]) -> Any:
        code = await pair.hub.request("test/askCode", {"phone": params["phone"]})
        return {"loggedIn": code == "12345"}

    async def ask_code(params: dict[str, Any]) -> Any:
        assert params == {"phone": "+100"}
        code_asked.set()
        return await code_typed

    pair.hub.on_request("test/logIn", log_in)
    pair.window.on_request("test/askCode", ask_code)
    login = asyncio.create_task(pair.window.request("test/logIn", {"phone": "+100"}))
    await code_asked.wait()
    assert not login.done()
    code_typed.set_result("12345")
    async with asyncio.timeout(BOUND):  # it would deadlock if handlers blocked the reader
        assert await login == {"loggedIn": True}


async def test_notifications_arrive_in_order_and_before_a_later_answer(pair: Pair) -> None:
    seen: list[int] = []
    pair.window.on_notification("test/progress", lambda params: seen.append(params["n"]))

    async def work(params: dict[str, Any]) -> Any:
        for n in range(200):
            await pair.hub.notify("test/progress", {"n": n})
        return "done"

    pair.hub.on_request("test/work", work)
    assert await pair.window.request("test/work", {}) == "done"
    assert seen == list(range(200))


async def test_concurrent_writers_never_mix_their_lines(pair: Pair) -> None:
    sizes: list[int] = []
    all_there = asyncio.Event()

    def received(params: dict[str, Any]) -> None:
        sizes.append(len(params["blob"]))
        if len(sizes) == 40:
            all_there.set()

    pair.window.on_notification("test/blob", received)
    # Big enough to fill the socket buffer, so writers wait in drain() with others queued.
    await asyncio.gather(
        *(pair.hub.notify("test/blob", {"blob": "x" * (100_000 + i)}) for i in range(40))
    )
    await all_there.wait()
    assert sorted(sizes) == [100_000 + i for i in range(40)]
    assert not pair.window.closed


async def test_a_bridge_error_arrives_as_the_same_bridge_error(pair: Pair) -> None:
    async def refuse(params: dict[str, Any]) -> Any:
        raise BridgeError("not_logged_in", "Log in first.", field="account")

    pair.hub.on_request("test/send", refuse)
    with pytest.raises(BridgeError) as caught:
        await pair.window.request("test/send", {})
    assert (caught.value.code, caught.value.message, caught.value.field) == (
        "not_logged_in",
        "Log in first.",
        "account",
    )


async def test_a_bridge_error_on_the_wire(raw: RawPeer) -> None:
    async def refuse(params: dict[str, Any]) -> Any:
        raise BridgeError("invalid_params", "No such chat.", field="chat")

    raw.connection.on_request("test/send", refuse)
    await raw.send({"jsonrpc": "2.0", "id": 7, "method": "test/send", "params": {}})
    assert await raw.receive() == {
        "jsonrpc": "2.0",
        "id": 7,
        "error": {
            "code": -32001,
            "message": "No such chat.",
            "data": {"code": "invalid_params", "field": "chat"},
        },
    }


async def test_an_unknown_method_answers_32601(pair: Pair) -> None:
    with pytest.raises(RpcError) as caught:
        await pair.window.request("test/nothing", {})
    assert caught.value.code == -32601
    assert caught.value.data == {"code": "unknown_method"}


async def test_params_that_are_not_an_object_answer_32602(raw: RawPeer) -> None:
    async def handler(params: dict[str, Any]) -> Any:
        raise AssertionError("not called")

    raw.connection.on_request("test/x", handler)
    await raw.send({"jsonrpc": "2.0", "id": "a", "method": "test/x", "params": [1, 2]})
    answer = await raw.receive()
    assert (answer["id"], answer["error"]["code"]) == ("a", -32602)


async def test_a_crashing_handler_answers_a_generic_error_and_logs_the_traceback(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    async def crash(params: dict[str, Any]) -> Any:
        raise RuntimeError("api_hash=0123456789abcdef is wrong")

    pair.hub.on_request("test/crash", crash)
    with pytest.raises(RpcError) as caught:
        await pair.window.request("test/crash", {})
    assert caught.value.code == -32603
    assert caught.value.data == {"code": "internal"}
    assert "0123456789abcdef" not in json.dumps([caught.value.message, caught.value.data])
    logged = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], RuntimeError)]
    assert len(logged) == 1
    assert "test/crash" in logged[0].getMessage()


async def test_an_answer_that_is_not_json_becomes_an_internal_error(pair: Pair) -> None:
    async def odd(params: dict[str, Any]) -> Any:
        return {"when": object()}

    pair.hub.on_request("test/odd", odd)
    with pytest.raises(RpcError) as caught:
        await pair.window.request("test/odd", {})
    assert caught.value.code == -32603


async def test_pending_requests_fail_when_the_peer_closes(raw: RawPeer) -> None:
    closed = asyncio.Event()
    raw.connection.on_close(closed.set)
    pending = asyncio.create_task(raw.connection.request("test/slow", {}))
    assert (await raw.receive())["method"] == "test/slow"
    raw.writer.close()
    async with asyncio.timeout(BOUND):
        with pytest.raises(ConnectionLost):
            await pending
        await closed.wait()
    with pytest.raises(ConnectionLost):
        await raw.connection.request("test/again", {})


async def test_pending_requests_fail_when_the_peer_process_is_killed() -> None:
    ours, theirs = socket.socketpair()
    peer_code = (
        "import socket, sys\n"
        "s = socket.socket(fileno=int(sys.argv[1]))\n"
        "sys.stdout.write(s.makefile('rb').readline().decode())\n"
        "sys.stdout.flush()\n"
        "sys.stdin.read()\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        peer_code,
        str(theirs.fileno()),
        pass_fds=[theirs.fileno()],
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    theirs.close()
    connection = await open_connection(ours, "peer process")
    running = asyncio.create_task(connection.run())
    closed = asyncio.Event()
    connection.on_close(closed.set)
    pending = asyncio.create_task(connection.request("test/askCode", {"phone": "+1"}))
    assert process.stdout is not None
    assert json.loads(await process.stdout.readline())["method"] == "test/askCode"
    process.kill()
    async with asyncio.timeout(BOUND):
        with pytest.raises(ConnectionLost):
            await pending
        await closed.wait()
    await running
    await process.wait()


async def test_handlers_still_running_are_cancelled_when_the_peer_leaves(raw: RawPeer) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def wait_forever(params: dict[str, Any]) -> Any:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    raw.connection.on_request("test/wait", wait_forever)
    await raw.send({"jsonrpc": "2.0", "id": 1, "method": "test/wait", "params": {}})
    await started.wait()
    raw.writer.close()
    async with asyncio.timeout(BOUND):
        await cancelled.wait()


@pytest.mark.parametrize(
    "line",
    [
        b"not json SECRET\n",
        b'["SECRET"]\n',
        b'{"id": 1, "method": "SECRET"}\n',
        b'{"jsonrpc": "2.0", "id": [1], "method": "SECRET"}\n',
        b'{"jsonrpc": "2.0", "id": 1, "SECRET": 1}\n',
        b"\xff\xfeSECRET\n",
        b"\n",
        b'{"jsonrpc": "2.0", "method": "SECRET"',  # and then the peer leaves
    ],
)
async def test_a_malformed_line_closes_the_connection_with_a_warning(
    raw: RawPeer, line: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    pending = asyncio.create_task(raw.connection.request("test/x", {}))
    await raw.receive()
    raw.writer.write(line)
    if not line.endswith(b"\n"):
        raw.writer.close()
    await asyncio.wait([raw.running], timeout=BOUND)  # unlike a timeout, does not cancel it
    assert raw.running.done()
    with pytest.raises(ConnectionLost):
        await pending
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "raw peer" in warnings[0]
    assert "SECRET" not in caplog.text


async def test_a_line_over_the_limit_closes_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ours, theirs = socket.socketpair()
    connection = await open_connection(ours, "big sender", max_line=1024)
    _reader, writer = await asyncio.open_unix_connection(sock=theirs)
    writer.write(b'{"jsonrpc":"2.0","method":"test/x","params":{"a":"' + b"x" * 2000 + b'"}}\n')
    async with asyncio.timeout(BOUND):
        await connection.run()
    assert connection.closed
    assert any("over 1024 bytes" in r.getMessage() for r in caplog.records)
    writer.close()


async def test_a_message_over_the_limit_is_not_sent_and_the_connection_goes_on() -> None:
    hub_end, window_end = socket.socketpair()
    hub = await open_connection(hub_end, "window", max_line=1024)
    window = await open_connection(window_end, "hub", max_line=1024)
    running = [asyncio.create_task(side.run()) for side in (hub, window)]

    async def echo(params: dict[str, Any]) -> Any:
        return params

    hub.on_request("test/echo", echo)
    with pytest.raises(MessageTooLarge):
        await window.request("test/echo", {"text": "x" * 2000})
    assert await window.request("test/echo", {"text": "x" * 900}) == {"text": "x" * 900}
    await window.close()
    await hub.close()
    await asyncio.gather(*running)


async def test_a_timed_out_request_leaves_the_connection_usable(pair: Pair) -> None:
    release = asyncio.Event()

    async def slow(params: dict[str, Any]) -> Any:
        await release.wait()
        return "late"

    async def echo(params: dict[str, Any]) -> Any:
        return params

    pair.hub.on_request("test/slow", slow)
    pair.hub.on_request("test/echo", echo)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await pair.window.request("test/slow", {})
    release.set()  # its late answer is dropped
    assert await pair.window.request("test/echo", {"n": 1}) == {"n": 1}


async def test_close_fires_on_close_once_and_ends_run(pair: Pair) -> None:
    calls: list[str] = []
    hub_closed = asyncio.Event()
    pair.window.on_close(lambda: calls.append("window"))
    pair.hub.on_close(lambda: calls.append("hub"))
    pair.hub.on_close(hub_closed.set)
    await pair.window.close()
    await pair.window.close()
    async with asyncio.timeout(BOUND):
        await hub_closed.wait()
    assert calls == ["window", "hub"]


async def test_a_method_has_one_handler(pair: Pair) -> None:
    async def handler(params: dict[str, Any]) -> Any:
        return None

    pair.hub.on_request("test/x", handler)
    with pytest.raises(ValueError, match="already"):
        pair.hub.on_request("test/x", handler)
