"""Connection loss: the editor sees it, the gateway reconnects, what was missed during the
gap arrives at once, and a 60-second exchange under repeated drops loses nothing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.telegram.harness import Sidecar, World, online_bot


def inbound_texts(sidecar: Sidecar) -> list[str]:
    return [m["text"] for m in sidecar.of("tgbridge/message")]


async def test_a_drop_is_shown_and_what_was_missed_arrives_at_once(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path)
    server = world.server
    phone = server.phone(world.user)
    phone.send(world.bot, "before the drop")
    await sidecar.wait_for(lambda: "before the drop" in inbound_texts(sidecar))

    assert server.drop_connections(abort=True) >= 1
    # Sent while the bot has no connection: only getDifference can bring it.
    phone.send(world.bot, "during the drop")
    await sidecar.wait_state("offline")
    await sidecar.wait_state("online")
    await sidecar.wait_for(lambda: "during the drop" in inbound_texts(sidecar), within=10)
    assert inbound_texts(sidecar).count("during the drop") == 1
    status = await sidecar.request("tgbridge/status", {})
    assert status["connection"]["state"] == "online"


async def test_sixty_seconds_of_drops_lose_nothing_either_way(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    chats = [world.user] + [
        server.world.add_user(f"User {n}", phone=f"+1555200{n:04d}") for n in range(3)
    ]
    sidecar = await online_bot(world, sidecars, tmp_path)
    phones = [server.phone(chat) for chat in chats]
    deadline = time.monotonic() + 60
    outbound: dict[int, list[str]] = {chat.id: [] for chat in chats}
    inbound: list[str] = []
    drops = 0

    async def dropper() -> None:
        nonlocal drops
        while time.monotonic() < deadline:
            await asyncio.sleep(3)  # pacing the fault, not waiting for anything
            drops += server.drop_connections(abort=drops % 2 == 0)

    async def editor() -> None:
        n = 0
        while time.monotonic() < deadline:
            chat = chats[n % len(chats)]
            text = f"to {chat.first_name} #{n}"
            await sidecar.request(
                "tgbridge/send", {"chat": str(chat.id), "text": text, "clientKey": text}
            )
            outbound[chat.id].append(text)
            n += 1
            await asyncio.sleep(0.5)  # pacing: about 2 messages a second across 4 chats

    async def phone_side() -> None:
        n = 0
        while time.monotonic() < deadline:
            text = f"from phone #{n}"
            phones[n % len(phones)].send(world.bot, text)
            inbound.append(text)
            n += 1
            await asyncio.sleep(0.4)  # pacing the phone side too

    await asyncio.gather(dropper(), editor(), phone_side())
    assert drops >= 15

    def all_outbound_arrived() -> bool:
        return all(
            len(phone.received(world.bot)) >= len(outbound[phone.account.id]) for phone in phones
        )

    await server.wait_until(all_outbound_arrived, within=60)
    await sidecar.wait_for(lambda: set(inbound) <= set(inbound_texts(sidecar)), within=60)
    for phone in phones:
        assert [m.message for m in phone.received(world.bot)] == outbound[phone.account.id]
    received = [text for text in inbound_texts(sidecar) if text.startswith("from phone")]
    assert sorted(received) == sorted(inbound)  # each exactly once


async def test_a_session_ended_elsewhere_shows_unauthorized(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path)
    for state in world.server.auth_keys.values():
        state.account_id = None  # as "terminate all other sessions" on the phone does
    world.server.drop_connections()
    unauthorized = await sidecar.wait_state("unauthorized")
    assert "Log In" in unauthorized["detail"]
