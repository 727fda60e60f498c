"""The promise while the editor is closed: what the phone writes while no sidecar runs
(after a clean stop, a crash, a restart for a changed setting) reaches the editor and the
history once, in order, even across more than one getDifference slice; a gap Telegram
will not hand over is said plainly and fetched from the history instead."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from tests.telegram.harness import Sidecar, World, allow, bot_login, connect, start_sidecar


def inbound(sidecar: Sidecar) -> list[dict[str, Any]]:
    return sidecar.of("tgbridge/message")


async def history_texts(sidecar: Sidecar, chat_id: int) -> list[str]:
    page = await sidecar.request("tgbridge/history", {"chatId": chat_id, "limit": 5000})
    return [m["text"] for m in reversed(page["messages"])]


async def test_what_the_phones_write_while_closed_arrives_once_in_order(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    server.difference_slice = 40  # 100 messages: three slices
    people = [world.user] + [
        server.world.add_user(f"Phone {n}", phone=f"+1555300{n:04d}") for n in range(2)
    ]
    for person in people[1:]:
        allow(tmp_path, person, "viewer")
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    session = await bot_login(sidecar, world)
    written: dict[int, list[str]] = {person.id: [] for person in people}

    async def write_while_closed(label: str) -> list[str]:
        texts = []
        for n in range(100):
            person = people[n % len(people)]
            text = f"{label} #{n:03d} from {person.first_name}"
            server.phone(person).send(world.bot, text)
            written[person.id].append(text)
            texts.append(text)
        return texts

    async def next_sidecar(settings: dict[str, Any], expected: list[str]) -> Sidecar:
        started = await start_sidecar(world, sidecars, tmp_path, **settings)
        await connect(started, session)
        await started.wait_for(lambda: len(inbound(started)) >= len(expected), within=60)
        return started

    for label, how in (("stopped", "stop"), ("killed", "kill"), ("restarted", "setting")):
        if how == "kill":
            await sidecar.kill()
        else:
            await sidecar.stop()
        expected = await write_while_closed(label)
        settings = {"documentAbove": 9000} if how == "setting" else {}
        sidecar = await next_sidecar(settings, expected)
        # Exactly this round's messages: none lost, none from an earlier round again.
        assert sorted(m["text"] for m in inbound(sidecar)) == sorted(expected), label
        for person in people:
            arrived = [m["text"] for m in inbound(sidecar) if m["chatId"] == person.id]
            assert arrived == [t for t in expected if t in set(written[person.id])], label

    for person in people:
        assert await history_texts(sidecar, person.id) == written[person.id]


async def test_a_gap_telegram_will_not_hand_over_is_said_and_fetched_from_history(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    session = await bot_login(sidecar, world)
    phone = server.phone(world.user)
    phone.send(world.bot, "before the gap")
    await sidecar.wait_for(lambda: len(inbound(sidecar)) == 1)
    await sidecar.stop()

    server.difference_too_long_after = 50
    texts = [f"while away #{n}" for n in range(80)]
    for text in texts:
        phone.send(world.bot, text)
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    await connect(sidecar, session)
    [gap] = await sidecar.wait_for(lambda: sidecar.of("tgbridge/historyGap") or None)
    assert gap["skippedUpdates"] == 80 and gap["fetched"] == 80
    assert "80 updates" in gap["detail"] and gap["since"] is not None
    assert [m["text"] for m in inbound(sidecar)] == texts
    assert await history_texts(sidecar, world.user.id) == ["before the gap", *texts]


async def test_a_crash_in_the_middle_of_catching_up_loses_nothing(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    server.difference_slice = 1000  # one big batch: the crash lands inside it
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    session = await bot_login(sidecar, world)
    await sidecar.stop()
    texts = [f"catch-up #{n:04d}" for n in range(1000)]
    for text in texts:
        server.phone(world.user).send(world.bot, text)

    sidecar = await start_sidecar(world, sidecars, tmp_path)
    await connect(sidecar, session)
    hub = (await sidecar.request("tgbridge/status", {}))["hubPid"]
    await sidecar.wait_for(lambda: inbound(sidecar) or None, within=30)
    os.kill(hub, signal.SIGKILL)
    before = len(inbound(sidecar))
    assert before < len(texts)  # the crash came before the batch was done
    # The window starts the next hub, which resumes from what the store says.
    await sidecar.wait_for(lambda: texts[-1] in [m["text"] for m in inbound(sidecar)], within=60)
    assert await history_texts(sidecar, world.user.id) == texts
    received = [m["text"] for m in inbound(sidecar)]
    assert received == sorted(set(received))  # in order, and none twice
