"""`python -m tests.telegram_server` as another process would use it: the printed lines are
enough for an unmodified Telethon client to log in as the bot, the HTTP control acts as the
phone user, and SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import json
import signal
import struct
import sys
import urllib.error
import urllib.request
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telethon import Button, TelegramClient, events
from telethon.crypto import rsa
from telethon.sessions import StringSession

ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN = 60.0  # the first run in a fresh temp dir makes the RSA key (up to ~10 s)
EVENT_WITHIN = 10.0


@dataclass
class Standalone:
    process: asyncio.subprocess.Process
    info: dict[str, str]
    stderr: bytearray = field(default_factory=bytearray)
    drained: asyncio.Task[None] | None = None

    async def error_output(self) -> str:
        """Everything the process wrote to stderr, once it has exited."""
        assert self.drained is not None
        await self.drained
        return self.stderr.decode(errors="replace")

    @property
    def control(self) -> str:
        return self.info["control"]


def _http(method: str, url: str, body: bytes | None = None, timeout: float = 30) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status: int = response.status
            return status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


async def get(server: Standalone, path: str) -> tuple[int, Any]:
    return await asyncio.to_thread(_http, "GET", server.control + path)


async def post(server: Standalone, path: str, payload: Any) -> tuple[int, Any]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await asyncio.to_thread(_http, "POST", server.control + path, body)


async def _drain(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into.extend(chunk)


@pytest.fixture
async def standalone() -> AsyncIterator[Standalone]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.telegram_server",
        cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    server = Standalone(process, {})
    server.drained = asyncio.create_task(_drain(process.stderr, server.stderr))
    try:
        async with asyncio.timeout(READY_WITHIN):
            while (raw := await process.stdout.readline()).strip() != b"ready":
                if not raw:
                    await process.wait()
                    pytest.fail(f"the server exited before ready:\n{await server.error_output()}")
                key, _, value = raw.decode().strip().partition(": ")
                server.info[key] = value
        yield server
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        stderr = await server.error_output()
    assert "Traceback" not in stderr, stderr


@pytest.fixture
async def bot_client(standalone: Standalone) -> AsyncIterator[TelegramClient]:
    info = standalone.info
    rsa.add_key(await asyncio.to_thread(Path(info["public_key_file"]).read_text), old=False)
    client = TelegramClient(StringSession(), 1, "loopback", receive_updates=True)
    client.session.set_dc(int(info["dc_id"]), "127.0.0.1", int(info["port"]))
    await client.connect()
    try:
        await client.sign_in(bot_token=info["bot_token"])
        yield client
    finally:
        await client.disconnect()


async def test_the_printed_lines_describe_the_world(standalone: Standalone) -> None:
    info = standalone.info
    assert info["dc_id"] == "2"
    assert info["bot_username"] == "tgbridge_bot"
    assert info["user_phone"] == "+10000000001"
    assert int(info["user_id"]) > 0
    key = await asyncio.to_thread(Path(info["public_key_file"]).read_text)
    assert key.startswith("-----BEGIN RSA PUBLIC KEY")
    assert info["control"].startswith("http://127.0.0.1:")


async def test_a_telethon_bot_talks_with_the_phone_through_the_control(
    standalone: Standalone, bot_client: TelegramClient
) -> None:
    me = await bot_client.get_me()
    assert me.username == "tgbridge_bot"
    assert me.bot

    incoming: asyncio.Queue[Any] = asyncio.Queue()
    presses: asyncio.Queue[bytes] = asyncio.Queue()

    async def on_message(event: Any) -> None:
        await incoming.put(event)

    async def on_press(event: Any) -> None:
        await presses.put(event.data)
        await event.answer(f"pressed {event.data.decode()}", alert=True)

    bot_client.add_event_handler(on_message, events.NewMessage(incoming=True))
    bot_client.add_event_handler(on_press, events.CallbackQuery())

    status, sent = await post(standalone, "/send", {"text": "hello from the phone"})
    assert status == 200
    assert isinstance(sent["id"], int)
    event = await asyncio.wait_for(incoming.get(), EVENT_WITHIN)
    assert event.raw_text == "hello from the phone"
    assert event.sender_id == int(standalone.info["user_id"])

    waiting = asyncio.create_task(get(standalone, "/wait?after=0&timeout=10"))
    reply = await event.respond("choose", buttons=Button.inline("ok", b"yes"))
    status, arrived = await waiting
    assert status == 200
    assert len(arrived) == 1
    message = arrived[0]
    assert message["text"] == "choose"
    assert message["buttons"] == [[{"text": "ok", "data": "yes"}]]
    assert message["edited"] is False
    assert message["file"] is None
    assert message["reply_to"] is None

    status, answer = await post(standalone, "/press", {"message_id": message["id"], "data": "yes"})
    assert (status, answer) == (200, {"message": "pressed yes", "alert": True})
    assert await asyncio.wait_for(presses.get(), EVENT_WITHIN) == b"yes"

    status, refused = await post(standalone, "/press", {"message_id": message["id"], "data": "no"})
    assert status == 400
    assert refused == {"error": "DATA_INVALID"}

    await reply.edit("chosen")
    status, listed = await get(standalone, "/messages?after=0")
    assert status == 200
    assert [(m["text"], m["edited"]) for m in listed] == [("chosen", True)]
    assert await get(standalone, f"/messages?after={message['id']}") == (200, [])


async def test_bad_requests_are_refused(standalone: Standalone) -> None:
    status, error = await post(standalone, "/send", b"{not json")
    assert status == 400
    assert "JSON" in error["error"]
    status, error = await post(standalone, "/send", {"reply_to": 1})
    assert status == 400
    assert "text" in error["error"]
    status, error = await post(standalone, "/press", {"message_id": "1", "data": "x"})
    assert status == 400
    status, error = await get(standalone, "/nowhere")
    assert status == 404
    status, error = await get(standalone, "/login_code")
    assert status == 404
    assert await get(standalone, "/wait?after=0&timeout=0") == (200, [])


async def _served_connection(port: int) -> asyncio.StreamWriter:
    """A TcpFull connection the server is surely serving: it answered a packet for an
    unknown auth key with transport error -404, and it stays open."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = struct.pack("<q", 1) + bytes(32)  # auth key id 1, msg_key, a block
    packet = struct.pack("<ii", len(body) + 12, 0) + body
    writer.write(packet + struct.pack("<I", zlib.crc32(packet)))
    reply = await asyncio.wait_for(reader.readexactly(16), EVENT_WITHIN)
    assert struct.unpack("<iii", reply[:12]) == (16, 0, -404)
    return writer


async def test_sigterm_stops_it_cleanly(standalone: Standalone) -> None:
    status, _ = await post(standalone, "/send", {"text": "before the end"})
    assert status == 200
    # An idle MTProto connection and (perhaps) a long poll are open when the signal comes:
    # neither may hold the exit up.
    writer = await _served_connection(int(standalone.info["port"]))
    polling = asyncio.create_task(get(standalone, "/wait?after=0&timeout=60"))
    try:
        standalone.process.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(standalone.process.wait(), 10)
        await asyncio.gather(polling, return_exceptions=True)
    finally:
        writer.close()
    assert returncode == 0
    stderr = await standalone.error_output()
    assert "Traceback" not in stderr, stderr
    assert not await asyncio.to_thread(Path(standalone.info["public_key_file"]).exists)
