"""The send path never wedges: a local file that is gone fails that message with its
reason and the chat goes on; slow-mode and premium flood waits are waits; the files the
sidecar writes are private to the user."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from telethon.tl import functions

from tests.telegram.harness import Sidecar, World, bot_login, connect, online_bot, start_sidecar


def modes_under(root: Path) -> list[tuple[str, int, bool]]:
    """(path, permission bits, is a folder) of everything under `root`, itself included."""
    found = []
    for folder, _, files in os.walk(root):
        found.append((folder, os.stat(folder).st_mode & 0o777, True))
        for name in files:
            path = os.path.join(folder, name)
            found.append((path, os.stat(path).st_mode & 0o777, False))
    return found


def status_of(sidecar: Sidecar, send_id: int) -> dict[str, Any] | None:
    return sidecar.statuses().get(send_id)


def final(sidecar: Sidecar, send_id: int) -> dict[str, Any] | None:
    status = status_of(sidecar, send_id)
    return status if status and status["state"] != "queued" else None


async def test_a_queued_file_deleted_before_sending_fails_and_the_chat_goes_on(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    sidecar = await online_bot(world, sidecars, tmp_path / "state")
    report = tmp_path / "report.txt"
    report.write_text("the report")
    # Held in the chat's queue behind a flood wait, so the file can go before its turn.
    rule = server.faults.flood_wait(functions.messages.SendMessageRequest, 5)
    first = await sidecar.request("tgbridge/send", {"chat": str(world.user.id), "text": "first"})
    await sidecar.wait_state("waiting")
    doomed = await sidecar.request(
        "tgbridge/send", {"chat": str(world.user.id), "file": {"path": str(report)}}
    )
    after = await sidecar.request("tgbridge/send", {"chat": str(world.user.id), "text": "after"})
    report.unlink()
    failed = await sidecar.wait_for(lambda: final(sidecar, doomed["sendId"]), within=30)
    assert failed["state"] == "failed" and "is gone" in failed["error"]
    assert str(report) in failed["error"]
    await sidecar.wait_for(lambda: final(sidecar, after["sendId"]), within=30)
    assert final(sidecar, first["sendId"])["state"] == "sent"  # type: ignore[index]
    phone = server.phone(world.user)
    assert [m.message for m in phone.received(world.bot)] == ["first", "after"]
    assert rule.hits == 1
    uploads = [
        r for r in server.requests if isinstance(r.request, functions.upload.SaveFilePartRequest)
    ]
    assert uploads == []  # a local failure, not a network one: nothing was retried


@pytest.mark.parametrize("error", ["SLOWMODE_WAIT_5", "FLOOD_PREMIUM_WAIT_5"])
async def test_slow_mode_and_premium_waits_are_waits(
    world: World, sidecars: list[Sidecar], tmp_path: Path, error: str
) -> None:
    server = world.server
    sidecar = await online_bot(world, sidecars, tmp_path)
    server.faults.answer_error(functions.messages.SendMessageRequest, 420, error)
    sent = await sidecar.request("tgbridge/send", {"chat": str(world.user.id), "text": "hi"})
    waiting = await sidecar.wait_state("waiting")
    assert waiting["waitSeconds"] == 5
    done = await sidecar.wait_for(lambda: final(sidecar, sent["sendId"]), within=30)
    assert done["state"] == "sent"
    assert [m.message for m in server.phone(world.user).received(world.bot)] == ["hi"]


async def test_everything_under_the_state_dir_is_private(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)  # made by someone else, too open: narrowed
    sidecar = await online_bot(world, sidecars, state)
    phone = world.server.phone(world.user)
    phone.send_file(world.bot, b"secret log", "build.log", caption="the log")
    await sidecar.wait_for(
        lambda: next(
            (m for m in sidecar.of("tgbridge/message") if m["filePath"] and not m["filePending"]),
            None,
        )
    )
    long_text = "word " * 5000
    sent = await sidecar.request("tgbridge/send", {"chat": str(world.user.id), "text": long_text})
    await sidecar.wait_for(lambda: final(sidecar, sent["sendId"]), within=30)
    await sidecar.stop()
    found = modes_under(state)
    assert any(path.endswith("build.log") for path, _, _ in found)
    assert any(path.endswith("tgbridge.db") for path, _, _ in found)
    for path, mode, is_dir in found:
        assert mode == (0o700 if is_dir else 0o600), f"{path} is {oct(mode)}"
    # The copy made to send the long text as a document is gone once sent.
    assert not any("outgoing" in path and not is_dir for path, _, is_dir in found)


async def test_a_connection_task_that_dies_unexpectedly_says_so_and_is_retried(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    session = await bot_login(sidecar, world)
    await sidecar.stop()
    # An answer the connection code never expects, once, while it resumes.
    world.server.faults.answer_error(functions.users.GetUsersRequest, 400, "SOMETHING_ODD")
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    await connect(sidecar, session)
    states = [c["connection"] for c in sidecar.of("tgbridge/connectionChanged")]
    failed = next(s for s in states if s["state"] == "offline")
    assert "Internal error" in failed["detail"] and "retrying" in failed["detail"]
