"""An agent's hook command, `python -m tgbridge hook claude PreToolUse`, as Claude Code
runs it (its documented JSON on stdin), medians over runs:

- `hook_start_ms`: the command's own start-up, from spawning the process to its first
  request on the hub socket (a stand-in hub in this process answers at once, so nothing
  else is measured). Target (issue 12): 60 ms.
- `hook_to_phone_ms`: from spawning the process to the question reaching Telegram (the
  loopback server receives the bot's SendMessage), with the real hub running (a window
  logged in as the bot) and the owner away. Target (issue 12): 150 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from telethon.tl import functions

from tests.telegram.harness import Sidecar, World, online_bot
from tests.telegram.test_phone_security import buttons
from tests.telegram_server import DC_ID, RateLimits, TelegramServer
from tgbridge.hub.address import layout

FIXTURE = Path(__file__).parent.parent / "fixtures" / "hooks" / "claude" / "PreToolUse.json"
MAX_START_RUNS = 31
MAX_PHONE_RUNS = 15
RUN_WITHIN = 30.0
# The outbox keeps one chat at 1 message a second (bursts of 2); each run sends the question
# and edits it once answered, so the next run waits until the owner's chat may send again:
# measured is the path to Telegram, not the flood limit.
CHAT_PAUSE = 2.5


def _payload(n: int) -> bytes:
    data = json.loads(FIXTURE.read_text())
    data["tool_use_id"] = f"toolu_bench_{n}"  # each run is a new call: asked anew
    return json.dumps(data).encode()


def _command() -> list[str]:
    return [sys.executable, "-m", "tgbridge", "hook", "claude", "PreToolUse"]


# ---- hook_start_ms -------------------------------------------------------------------------


class _FirstRequest:
    """A stand-in hub: notes when each connection's first line arrives, answers attach and
    the ask ("present": the agent decides) at once."""

    def __init__(self, state: Path) -> None:
        path, folders = layout(state)
        for folder in folders:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            os.chmod(folder, 0o700)
        self.arrived: float | None = None
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(path)
        self._server.listen()
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self._server.close()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            with connection, connection.makefile("rb") as reader:
                for line in reader:
                    if self.arrived is None:
                        self.arrived = time.perf_counter()
                    message = json.loads(line)
                    result: Any = {"id": "b", "outcome": "present", "detail": ""}
                    if message["method"] == "hub/attach":
                        online = {"state": "online", "detail": ""}
                        result = {"hubVersion": "0", "pid": 0, "connection": online}
                    answer = {"jsonrpc": "2.0", "id": message["id"], "result": result}
                    connection.sendall(json.dumps(answer).encode() + b"\n")


def start_ms(runs: int) -> float:
    samples: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder)
        env = {**os.environ, "TGBRIDGE_STATE_DIR": str(state)}
        stand_in = _FirstRequest(state)
        try:
            for n in range(runs + 1):
                stand_in.arrived = None
                started = time.perf_counter()
                done = subprocess.run(
                    _command(), input=_payload(n), capture_output=True, env=env, timeout=RUN_WITHIN
                )
                if done.returncode != 0 or stand_in.arrived is None:
                    raise RuntimeError(f"the hook failed: {done.stderr.decode()}")
                if n:  # the first run warms the file system caches
                    samples.append((stand_in.arrived - started) * 1000)
        finally:
            stand_in.close()
    return statistics.median(samples)


# ---- hook_to_phone_ms ------------------------------------------------------------------------


async def to_phone_ms(runs: int) -> float:
    async with TelegramServer(limits=RateLimits(enabled=False)) as server:
        bot = server.world.add_bot("tgbridge", username="tgbridge_bot")
        user = server.world.add_user("Ann", phone="+15550000001")
        world = World(server, bot, user)
        phone = server.phone(user)
        sidecars: list[Sidecar] = []
        with tempfile.TemporaryDirectory() as folder:
            state = Path(folder)
            center = {
                "id": DC_ID,
                "host": server.host,
                "port": server.port,
                "publicKeyFile": str(server.public_key_file),
            }
            env = {
                **os.environ,
                "TGBRIDGE_STATE_DIR": str(state),
                "TGBRIDGE_DATA_CENTER": json.dumps(center),
            }
            try:
                await online_bot(world, sidecars, state, logLevel="info")
                phone.send(bot, "/away")
                await phone.wait_messages(1, sender=bot)
                samples: list[float] = []
                for n in range(runs + 1):
                    count = len(phone.received(bot))
                    since = len(server.requests)
                    started = time.monotonic()  # the server's clock for its requests
                    process = await asyncio.create_subprocess_exec(
                        *_command(),
                        env=env,
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.PIPE,
                        stderr=asyncio.subprocess.PIPE,
                    )
                    talking = asyncio.ensure_future(process.communicate(_payload(n)))
                    sent = await server.wait_request(
                        functions.messages.SendMessageRequest, after=since, within=RUN_WITHIN
                    )
                    if n:
                        samples.append((sent.at - started) * 1000)
                    question = (await phone.wait_messages(count + 1, sender=bot))[count]
                    await phone.press(question, buttons(question)["Allow"])
                    out, err = await asyncio.wait_for(talking, RUN_WITHIN)
                    if b'"allow"' not in out:
                        raise RuntimeError(f"the hook did not get the answer: {err.decode()}")
                    await asyncio.sleep(CHAT_PAUSE)  # (a pause: nothing to wait for)
            finally:
                for sidecar in sidecars:
                    with contextlib.suppress(Exception):
                        await sidecar.stop()
    return statistics.median(samples)


def hooks_lines(runs: int) -> list[str]:
    start = start_ms(max(5, min(runs, MAX_START_RUNS)))
    to_phone = asyncio.run(to_phone_ms(max(3, min(runs, MAX_PHONE_RUNS))))
    return [
        f"hook_start_ms: {start:.0f} ms (target 60 ms)",
        f"hook_to_phone_ms: {to_phone:.0f} ms (target 150 ms)",
    ]
