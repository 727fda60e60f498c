"""/run from the phone: only the owner's declared argv runs, never through a shell, after a
confirmation; a task past its timeout is killed with its children. And notifications by
the owner's rules: grouped, rate-limited, held back by /mute."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from telethon.tl import types

from tests.telegram.harness import Sidecar, World, online_bot
from tests.telegram.repo import make_repo
from tests.telegram.test_phone_security import buttons
from tests.telegram_server import Account
from tests.telegram_server.rpc import RpcError

METACHARACTERS = [
    "; touch PWNED1",
    "$(touch PWNED2)",
    "`touch PWNED3`",
    "&& touch PWNED4",
    "| touch PWNED5",
    "> PWNED6",
    "*",
    "$HOME",
    "'quoted' \"double\"",
    "\\n newline?\nsecond line",
]
ECHO_ARGS = "import sys, json; print('ARGV=' + json.dumps(sys.argv[1:]))"
# A child and a grandchild that ignore SIGTERM, their pids written down, then a long wait.
SPAWNER = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
child = subprocess.Popen([sys.executable, "-c",
    "import os, signal, subprocess, sys, time;"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN);"
    f"g = subprocess.Popen([sys.executable, '-c', {code!r}]);"
    "open('pids', 'a').write(f'{os.getpid()} {g.pid} ');"
    "time.sleep(600)"])
open('pids', 'a').write(f'{os.getpid()} ')
print('spawned', flush=True)
time.sleep(600)
"""


def bot_messages(world: World, user: Account) -> list[types.Message]:
    return world.server.phone(user).received(world.bot)


async def wait_text(world: World, user: Account, fragment: str, after: int = 0) -> types.Message:
    return await world.server.wait_until(
        lambda: next((m for m in bot_messages(world, user)[after:] if fragment in m.message), None),
        within=30,
    )


async def edited_to(world: World, message: types.Message, fragment: str) -> str:
    """Waits until the bot's message (edited in place) contains `fragment`."""
    phone = world.server.phone(world.user)

    def current() -> str | None:
        text: str = phone.account.messages[message.id].message
        return text if fragment in text else None

    return await world.server.wait_until(current, within=40)


async def test_run_executes_only_the_declared_argv_after_confirmation(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "ws")
    tasks: list[dict[str, Any]] = [
        {"name": "echo", "argv": [sys.executable, "-c", ECHO_ARGS, *METACHARACTERS]},
        {"name": "other", "argv": [sys.executable, "-c", "print('other')"]},
    ]
    await online_bot(world, sidecars, tmp_path / "state", workspace=repo, tasks=tasks)
    phone = world.server.phone(world.user)

    # /run alone lists the tasks as buttons; a press asks for confirmation.
    phone.send(world.bot, "/run")
    listing = await wait_text(world, world.user, "Which task?")
    assert set(buttons(listing)) == {"echo", "other"}
    await phone.press(listing, buttons(listing)["echo"])
    confirm = await edited_to(world, listing, "Run echo in repo?")
    assert "touch PWNED1" in confirm  # the phone sees exactly what will run
    # The phone's own text never becomes a command line.
    count = len(bot_messages(world, world.user))
    phone.send(world.bot, "/run echo; touch PWNED0")
    unknown = await wait_text(world, world.user, "There is no task", after=count)
    assert unknown.message.startswith("There is no task echo; touch PWNED0")

    run = buttons(listing)["Run"]
    answer = await phone.press(listing, run)
    assert answer.message == "Running echo."
    done = await edited_to(world, listing, "succeeded")
    argv_line = next(line for line in done.splitlines() if line.startswith("ARGV="))
    assert json.loads(argv_line.removeprefix("ARGV=")) == METACHARACTERS
    log = await wait_text(world, world.user, "The full log of echo")
    assert b"ARGV=" in phone.file_of(log)
    assert not list(repo.glob("PWNED*")) and not list(Path.cwd().glob("PWNED*"))
    # The result replaced the confirmation and its buttons: Run cannot be pressed again.
    with pytest.raises(RpcError, match="DATA_INVALID"):
        await phone.press(listing, run)


async def test_a_task_past_its_timeout_is_killed_with_its_children(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "ws")
    tasks = [{"name": "hang", "argv": [sys.executable, "-c", SPAWNER], "timeoutSeconds": 3}]
    await online_bot(world, sidecars, tmp_path / "state", workspace=repo, tasks=tasks)
    phone = world.server.phone(world.user)
    phone.send(world.bot, "/run hang")
    confirm = await wait_text(world, world.user, "Run hang in repo?")
    await phone.press(confirm, buttons(confirm)["Run"])
    done = await edited_to(world, confirm, "timed out")
    assert "timed out after 3 s and was stopped" in done
    pids = [int(pid) for pid in (repo / "pids").read_text().split()]
    assert len(pids) == 3
    for pid in pids:
        assert not _alive(pid), f"process {pid} outlived the task"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes (its parent, also killed, will be reaped by init).
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


async def test_notifications_follow_the_owners_rules_grouped_and_muted(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "ws")
    rules = {"taskEnded": True, "debugEnded": False, "minDurationSeconds": 5, "maxPerMinute": 2}
    sidecar = await online_bot(world, sidecars, tmp_path / "state", workspace=repo, notify=rules)

    async def event(**params: Any) -> None:
        await sidecar.request("tgbridge/editorEvent", params)

    await event(kind="task", name="pytest", exitCode=1, durationSeconds=2, test=True)
    failed = await wait_text(world, world.user, "Tests failed: pytest")
    assert "exit 1" in failed.message
    count = len(bot_messages(world, world.user))
    await event(kind="task", name="lint", exitCode=0, durationSeconds=1)  # too short
    await event(kind="debug", name="launch", durationSeconds=60)  # debugEnded is off
    for n in range(5):  # a burst: one grouped message
        await event(kind="task", name=f"build-{n}", exitCode=0, durationSeconds=30)
    grouped = await wait_text(world, world.user, "5 notifications", after=count)
    assert all(f"build-{n}" in grouped.message for n in range(5))
    assert "lint" not in grouped.message and "launch" not in grouped.message
    assert len(bot_messages(world, world.user)) == count + 1

    phone = world.server.phone(world.user)
    phone.send(world.bot, "/mute 1h")
    await wait_text(world, world.user, "Notifications muted until")
    await event(kind="task", name="while-muted", exitCode=1, durationSeconds=30, test=True)
    phone.send(world.bot, "/unmute")
    unmuted = await wait_text(world, world.user, "Notifications are on again")
    assert "1 came while muted" in unmuted.message
    assert not any("while-muted" in m.message for m in bot_messages(world, world.user))
