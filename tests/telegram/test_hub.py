"""One Telegram connection per machine: windows on several workspaces share one hub; each
hears only what concerns it; what comes while no window is open is shown when one opens;
a hub that dies is replaced by the next window that notices, and nothing is lost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.telegram.harness import Sidecar, World, allow, bot_login, connect, start_sidecar
from tests.telegram.test_cli import Cli
from tests.telegram_server import TelegramServer
from tgbridge.errors import BridgeError
from tgbridge.hub.rpc import RpcConnection
from tgbridge.hub.socket import connect as connect_to_hub
from tgbridge.protocol import HUB_PROTOCOL_VERSION

# A bound on liveness (a takeover that stalls is a bug), not a speed figure: a new hub
# takes about a second, but this test kills hubs under a burst on 2 shared cores, where a
# tight wall-clock bound failed with 2.04 s. Speed belongs in scripts/bench.
NEW_HUB_WITHIN = 10.0


def texts(sidecar: Sidecar) -> list[str]:
    return [m["text"] for m in sidecar.of("tgbridge/message")]


def workspaces(tmp_path: Path, *names: str) -> list[Path]:
    folders = [tmp_path / "workspaces" / name for name in names]
    for folder in folders:
        folder.mkdir(parents=True)
    return folders


def sent_by(window: Sidecar, send_id: int) -> bool:
    return window.statuses().get(send_id, {}).get("state") == "sent"


async def hub_pid(sidecar: Sidecar) -> int:
    pid: int = (await sidecar.request("tgbridge/status", {}))["hubPid"]
    return pid


@contextlib.asynccontextmanager
async def hub_control(state_dir: Path) -> AsyncIterator[RpcConnection]:
    """A direct line to the hub, as the phone side's /workspace will use it."""
    reader, writer = await connect_to_hub(state_dir)
    connection = RpcConnection(reader, writer, name="test")
    running = asyncio.create_task(connection.run())
    try:
        await connection.request(
            "hub/attach",
            {"protocolVersion": HUB_PROTOCOL_VERSION, "kind": "cli", "name": "test"},
        )
        yield connection
    finally:
        await connection.close()
        running.cancel()


class ConnectionPeak:
    """The most connections the bot ever had open at once on the server."""

    def __init__(self, server: TelegramServer, account_id: int) -> None:
        self.peak = 0
        self._server = server
        self._account_id = account_id
        self._task: asyncio.Task[None] = asyncio.create_task(
            server.wait_until(self._look, within=3600)
        )

    def _look(self) -> None:
        open_now = sum(1 for c in self._server.connections if c.account_id == self._account_id)
        self.peak = max(self.peak, open_now)

    def stop(self) -> int:
        self._look()
        self._task.cancel()
        return self.peak


async def test_windows_on_three_workspaces_each_hear_only_their_own(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server, state = world.server, tmp_path / "state"
    peak = ConnectionPeak(server, world.bot.id)
    a_dir, b_dir, c_dir = workspaces(tmp_path, "alpha", "beta", "gamma")
    a = await start_sidecar(world, sidecars, state, a_dir)
    session = await bot_login(a, world)
    b = await start_sidecar(world, sidecars, state, b_dir)
    await connect(b, session)
    c = await start_sidecar(world, sidecars, state, c_dir)
    await connect(c, session)
    assert len({await hub_pid(window) for window in (a, b, c)}) == 1

    sent = {}
    for window, text in ((a, "from alpha"), (b, "from beta"), (c, "from gamma")):
        result = await window.request(
            "tgbridge/send", {"chat": str(world.user.id), "text": text, "clientKey": text}
        )
        sent[text] = result["sendId"]
    for window, text in ((a, "from alpha"), (b, "from beta"), (c, "from gamma")):
        await window.wait_for(lambda: sent_by(window, sent[text]))  # noqa: B023
        assert set(window.statuses()) == {sent[text]}  # only its own sends' statuses

    phone = server.phone(world.user)
    received = {m.message: m for m in phone.received(world.bot)}
    phone.reply(received["from beta"], "answer to beta")
    phone.send(world.bot, "to everyone")
    for window in (a, b, c):
        await window.wait_for(lambda: "to everyone" in texts(window))  # noqa: B023
    assert "answer to beta" in texts(b)
    assert "answer to beta" not in texts(a) + texts(c)

    async with hub_control(state) as hub:
        await hub.request("hub/chooseWorkspace", {"uri": c_dir.as_uri()})
    phone.send(world.bot, "for gamma's workspace")
    await c.wait_for(lambda: "for gamma's workspace" in texts(c))
    assert "for gamma's workspace" not in texts(a) + texts(b)

    # Windows come and go; the bot keeps one connection.
    await b.stop()
    d = await start_sidecar(world, sidecars, state, b_dir)
    await connect(d, session)
    sent_d = await d.request("tgbridge/send", {"chat": str(world.user.id), "text": "from delta"})
    await d.wait_for(lambda: sent_by(d, sent_d["sendId"]))
    assert peak.stop() == 1


async def test_what_comes_while_no_window_is_open_is_shown_when_one_opens(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server, state = world.server, tmp_path / "state"
    phone = server.phone(world.user)
    first = await start_sidecar(world, sidecars, state, hubLingerMinutes=5)
    session = await bot_login(first, world)
    lingering = await hub_pid(first)
    await first.stop()

    phone.send(world.bot, "while the hub lingers")
    second = await start_sidecar(world, sidecars, state, hubLingerMinutes=5)
    await connect(second, session)
    await second.wait_for(lambda: "while the hub lingers" in texts(second))
    assert await hub_pid(second) == lingering  # the same hub, still there

    await second.stop()
    async with hub_control(state) as hub:
        await hub.request("hub/stop", {})
    await asyncio.wait_for(_gone(lingering), 20)
    phone.send(world.bot, "while no hub runs")
    third = await start_sidecar(world, sidecars, state)
    await connect(third, session)
    await third.wait_for(lambda: "while no hub runs" in texts(third))
    assert texts(third).count("while no hub runs") == 1
    assert "while the hub lingers" not in texts(third)  # shown once, in the second window


async def _gone(pid: int) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.05)  # polling a process table entry: there is no event for it


async def test_a_hub_killed_three_times_during_a_burst_from_windows_and_cli_loses_nothing(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server, state = world.server, tmp_path / "state"
    people = [world.user] + [
        server.world.add_user(f"Reader {n}", phone=f"+1555400{n:04d}") for n in range(2)
    ]
    scripted = server.world.add_user("Script reader", phone="+15554009999")
    folders = workspaces(tmp_path, "one", "two", "three")
    windows = [await start_sidecar(world, sidecars, state, folders[0])]
    session = await bot_login(windows[0], world)
    cli = Cli(world, state)
    cli.save_session(session)
    for folder in folders[1:]:
        windows.append(await start_sidecar(world, sidecars, state, folder))
        await connect(windows[-1], session)
    plan = {
        n: [(people[n], f"window {n} #{k:03d}") for k in range(100)] for n in range(len(windows))
    }
    accepted: dict[str, int] = {}

    async def burst(n: int) -> None:
        for person, text in plan[n]:
            result = await windows[n].request(
                "tgbridge/send", {"chat": str(person.id), "text": text, "clientKey": text}
            )
            accepted[text] = result["sendId"]

    cli_texts = [f"from a script #{k}" for k in range(10)]

    async def script() -> None:
        """The command line sends too, one process a message, as a script would."""
        for text in cli_texts:
            done = await cli.run("send", "--chat", str(scripted.id), text)
            assert done.code == 0, done.stderr

    def delivered() -> int:
        return sum(len(server.phone(p).received(world.bot)) for p in people)

    writer = server.world.add_user("Writer", phone="+15554008888")
    allow(state, writer, "viewer")
    written: list[str] = []
    kills_done = asyncio.Event()

    async def phone_keeps_writing() -> None:
        """The phone writes on through the kills: each must reach every window once."""
        while not kills_done.is_set():
            written.append(f"from the phone #{len(written):03d}")
            server.phone(writer).send(world.bot, written[-1])
            await asyncio.sleep(0.2)  # pacing the phone, not waiting for anything

    sending = [asyncio.create_task(burst(n)) for n in range(len(windows))]
    sending.append(asyncio.create_task(script()))
    phone = asyncio.create_task(phone_keeps_writing())
    takeovers: list[float] = []
    try:
        for kill_at in (20, 110, 200):
            await server.wait_until(lambda: delivered() >= kill_at or None, within=120)  # noqa: B023
            pid = await hub_pid(windows[0])
            seen = len(_reconnects(windows[0]))
            os.kill(pid, signal.SIGKILL)
            killed_at = time.monotonic()
            await windows[0].wait_for(lambda: _attached_again(windows[0], seen))  # noqa: B023
            new_pid = await hub_pid(windows[0])
            takeovers.append(time.monotonic() - killed_at)
            assert new_pid != pid
        kills_done.set()
        await phone
        await asyncio.wait_for(asyncio.gather(*sending), 180)
        await server.wait_until(lambda: delivered() >= 300 or None, within=120)
        await server.wait_until(
            lambda: len(server.phone(scripted).received(world.bot)) >= len(cli_texts) or None
        )
        await windows[0].wait_for(lambda: written[-1] in texts(windows[0]), within=60)
    finally:
        kills_done.set()
        for task in sending:
            task.cancel()
    # Every one is stored once and in order through three hub deaths...
    page = await windows[0].request("tgbridge/history", {"chatId": writer.id, "limit": 1000})
    assert [m["text"] for m in reversed(page["messages"])] == written
    # ...and no window is told one twice or out of order. (A window that re-attaches after
    # another one can miss live what the hub passed on while it was away: docs/architecture.md.)
    for window in windows:
        from_phone = [t for t in texts(window) if t.startswith("from the phone")]
        assert from_phone == [t for t in written if t in set(from_phone)]
        assert len(from_phone) == len(set(from_phone))
    assert len(written) >= 10
    for n, person in enumerate(people):
        got = [m.message for m in server.phone(person).received(world.bot)]
        assert got == [text for _, text in plan[n]], f"chat of window {n}"
    assert len(set(accepted.values())) == 300
    assert [m.message for m in server.phone(scripted).received(world.bot)] == cli_texts
    assert all(seconds < NEW_HUB_WITHIN for seconds in takeovers), takeovers


def _reconnects(window: Sidecar) -> list[int]:
    """Where in its connection changes the window went "reconnecting" to the hub."""
    changes = [c["connection"] for c in window.of("tgbridge/connectionChanged")]
    return [n for n, c in enumerate(changes) if c["detail"].startswith("Reconnecting to the")]


def _attached_again(window: Sidecar, seen: int) -> bool | None:
    """Went "reconnecting" once more than `seen`, and has heard from a hub since."""
    reconnects = _reconnects(window)
    changes = window.of("tgbridge/connectionChanged")
    return (len(reconnects) > seen and len(changes) > reconnects[-1] + 1) or None


async def test_a_window_of_another_version_is_told_to_restart_the_hub(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    window = await start_sidecar(world, sidecars, state)
    await bot_login(window, world)
    reader, writer = await connect_to_hub(state)
    newer = RpcConnection(reader, writer, name="newer window")
    running = asyncio.create_task(newer.run())
    try:
        with pytest.raises(BridgeError) as refused:
            await newer.request("hub/attach", {"protocolVersion": 999, "kind": "window"})
    finally:
        await newer.close()
        running.cancel()
    assert refused.value.code == "hub_version"
    assert "Restart Hub" in refused.value.message
