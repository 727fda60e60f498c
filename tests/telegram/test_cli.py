"""`tgbridge send` and `tgbridge status` as a script runs them: real processes on one state
dir with a window's sidecar, the hub and the loopback Telegram server. The command line
attaches to the hub (or starts one) and never opens the database itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from telethon.tl import functions

from tests.telegram.harness import API_HASH, API_ID, Sidecar, World, bot_login, start_sidecar
from tests.telegram_server import DC_ID
from tgbridge import session_file

RUN_WITHIN = 60.0
GONE_WITHIN = 15.0


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str


class Cli:
    """Runs `python -m tgbridge ...` as a user's script would, on the test's state dir."""

    def __init__(self, world: World, state_dir: Path) -> None:
        server = world.server
        center = {
            "id": DC_ID,
            "host": server.host,
            "port": server.port,
            "publicKeyFile": str(server.public_key_file),
        }
        self.state_dir = state_dir
        self.env = {
            **os.environ,
            "TGBRIDGE_STATE_DIR": str(state_dir),
            "TGBRIDGE_DATA_CENTER": json.dumps(center),
            "TGBRIDGE_HUB_LINGER_MINUTES": "0",
        }

    async def run(self, *args: str, stdin: str | None = None) -> Done:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tgbridge",
            *args,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL if stdin is None else asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(
                process.communicate(None if stdin is None else stdin.encode()), RUN_WITHIN
            )
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        assert process.returncode is not None
        return Done(process.returncode, out.decode(), err.decode())

    def save_session(self, session: str) -> None:
        session_file.save(self.state_dir, session_file.SavedSession(API_ID, API_HASH, session))

    async def hub_pid(self) -> int | None:
        """The running hub's pid as `tgbridge status` prints it; None when none runs."""
        done = await self.run("status")
        assert done.code == 0, done.stderr
        for line in done.stdout.splitlines():
            if line.startswith("hub pid: "):
                return int(line.removeprefix("hub pid: "))
        assert done.stdout.strip() == "no hub running", done.stdout
        return None


def running(pid: int) -> bool:
    """Alive and not a zombie (a hub outlives the client that started it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


async def wait_gone(pid: int, within: float = GONE_WITHIN) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while running(pid):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)  # another process's exit: nothing to wake us
    return True


@pytest.fixture
async def cli(world: World, sidecars: list[Sidecar], tmp_path: Path) -> AsyncIterator[Cli]:
    """The command line; at the end the windows close and any hub left is stopped (and
    killed if it does not stop)."""
    cli = Cli(world, tmp_path)
    yield cli
    for sidecar in sidecars:
        await sidecar.stop()
    pid = await cli.hub_pid()
    await cli.run("hub", "stop")
    if pid is not None and not await wait_gone(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        pytest.fail(f"the hub (pid {pid}) did not stop")


def bot_sends(world: World) -> list[int]:
    """The ids of the messages the bot sent, in its own numbering (what a send reports)."""
    return sorted(m.id for m in world.bot.messages.values() if m.out)


def texts_to(world: World) -> list[str]:
    return [m.message for m in world.server.phone(world.user).received(world.bot)]


def send_requests(world: World) -> int:
    return sum(
        isinstance(r.request, functions.messages.SendMessageRequest) for r in world.server.requests
    )


async def window_with_session(world: World, sidecars: list[Sidecar], cli: Cli) -> Sidecar:
    """A window logged in as the bot (it starts the hub); its session is the CLI's too."""
    sidecar = await start_sidecar(world, sidecars, cli.state_dir)
    cli.save_session(await bot_login(sidecar, world))
    return sidecar


async def test_send_goes_once_through_the_hub_a_window_started(
    world: World, sidecars: list[Sidecar], cli: Cli
) -> None:
    sidecar = await window_with_session(world, sidecars, cli)
    done = await cli.run("send", "--chat", str(world.user.id), "hello")
    assert done.code == 0, done.stderr
    assert texts_to(world) == ["hello"]
    assert done.stdout.split() == [str(message_id) for message_id in bot_sends(world)]
    assert send_requests(world) == 1
    # One hub, one Telegram connection: the window's hub is the one the CLI used.
    hub_pid = (await sidecar.request("tgbridge/status", {}))["hubPid"]
    status = await cli.run("status")
    assert status.code == 0, status.stderr
    assert f"hub pid: {hub_pid}" in status.stdout.splitlines()
    assert "connection: online" in status.stdout.splitlines()
    assert sum(c.account_id == world.bot.id for c in world.server.connections) == 1
    # The CLI's send is reported to the CLI, not to the window.
    assert sidecar.of("tgbridge/messageStatus") == []
    # Text from stdin, as a pipe gives it.
    piped = await cli.run("send", "--chat", str(world.user.id), "-", stdin="line one\nline two\n")
    assert piped.code == 0, piped.stderr
    await world.server.phone(world.user).wait_messages(2, sender=world.bot)
    assert texts_to(world) == ["hello", "line one\nline two"]


async def test_send_starts_a_hub_when_none_runs(
    world: World, sidecars: list[Sidecar], cli: Cli
) -> None:
    sidecar = await window_with_session(world, sidecars, cli)
    first_hub = (await sidecar.request("tgbridge/status", {}))["hubPid"]
    await sidecar.stop()  # the last window: the hub (lingering 0 minutes) ends
    assert await wait_gone(first_hub)
    assert await cli.hub_pid() is None
    assert not world.server.online(world.bot)
    done = await cli.run("send", "--chat", str(world.user.id), "from a script")
    assert done.code == 0, done.stderr
    assert texts_to(world) == ["from a script"]
    assert done.stdout.split() == [str(message_id) for message_id in bot_sends(world)]
    # The hub it started leaves with it (no linger here) and takes the connection along.
    await world.server.wait_until(lambda: not world.server.online(world.bot), within=15)


async def test_send_without_a_session_says_to_log_in(world: World, cli: Cli) -> None:
    done = await cli.run("send", "--chat", str(world.user.id), "hello")
    assert done.code == 2
    assert "run `tgbridge login` first" in done.stderr
    assert await cli.hub_pid() is None  # no hub started for nothing
    assert not (cli.state_dir / "tgbridge.db").exists()


async def test_a_flood_wait_is_shown_and_then_the_message_is_sent(
    world: World, sidecars: list[Sidecar], cli: Cli
) -> None:
    await window_with_session(world, sidecars, cli)
    rule = world.server.faults.flood_wait(
        functions.messages.SendMessageRequest,
        2,
        when=lambda request: getattr(request.peer, "user_id", None) == world.user.id,
    )
    done = await cli.run("send", "--chat", str(world.user.id), "after the wait")
    assert done.code == 0, done.stderr
    assert done.stderr.splitlines().count("waiting 2 s (Telegram's flood limit)") == 1
    assert rule.hits == 1
    assert texts_to(world) == ["after the wait"]
    assert done.stdout.split() == [str(message_id) for message_id in bot_sends(world)]


async def test_a_send_still_queued_after_wait_stays_with_the_hub(
    world: World, sidecars: list[Sidecar], cli: Cli
) -> None:
    await window_with_session(world, sidecars, cli)
    world.server.faults.flood_wait(
        functions.messages.SendMessageRequest,
        3,
        when=lambda request: getattr(request.peer, "user_id", None) == world.user.id,
    )
    done = await cli.run("send", "--wait", "1", "--chat", str(world.user.id), "later")
    assert done.code == 0, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert "waiting 3 s (Telegram's flood limit)" in lines
    assert any(
        line.startswith("queued (send ") and line.endswith("it goes out when Telegram lets it")
        for line in lines
    ), done.stderr
    await world.server.phone(world.user).wait_messages(1, sender=world.bot, within=15)
    assert texts_to(world) == ["later"]


async def test_a_send_telegram_refuses_exits_1_with_the_reason(
    world: World, sidecars: list[Sidecar], cli: Cli
) -> None:
    await window_with_session(world, sidecars, cli)
    world.server.faults.answer_error(
        functions.messages.SendMessageRequest, 400, "CHAT_WRITE_FORBIDDEN"
    )
    done = await cli.run("send", "--chat", str(world.user.id), "refused")
    assert done.code == 1
    assert done.stdout == ""
    assert done.stderr.strip(), "no reason given"
    assert texts_to(world) == []


async def test_the_hub_killed_while_the_cli_waits_the_message_goes_once(
    world: World, sidecars: list[Sidecar], cli: Cli
) -> None:
    window = await window_with_session(world, sidecars, cli)
    world.server.faults.flood_wait(
        functions.messages.SendMessageRequest,
        3,
        when=lambda request: getattr(request.peer, "user_id", None) == world.user.id,
    )
    sending = asyncio.ensure_future(cli.run("send", "--chat", str(world.user.id), "survivor"))
    await window.wait_state("waiting")
    killed = await window.kill_hub()
    done = await sending
    assert "tgbridge: the tgbridge hub went away; reconnecting" in done.stderr.splitlines()
    assert done.code == 0, done.stderr
    assert texts_to(world) == ["survivor"]
    assert done.stdout.split() == [str(message_id) for message_id in bot_sends(world)]
    assert (await cli.hub_pid()) not in (None, killed)
