"""Connection loss: the editor sees it, the gateway reconnects, what was missed during the
gap arrives at once, a send whose answer was lost arrives once, and a 60-second exchange
under repeated drops and lost answers loses nothing and repeats nothing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from telethon.tl import functions

from tests.telegram.harness import Sidecar, World, allow, online_bot
from tests.telegram_server import TelegramServer
from tests.telegram_server.faults import Rule

SendMessage = functions.messages.SendMessageRequest


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


def unanswered_resends(server: TelegramServer) -> list[int]:
    """The random ids of sends applied with their answer lost (faults.lose_reply) that no
    resend with the same random id followed, refused by Telegram as RANDOM_ID_DUPLICATE."""
    sends = [r for r in server.requests if isinstance(r.request, SendMessage)]
    missing = []
    for n, lost in enumerate(sends):
        if lost.outcome == "lost" and not any(
            later.request.random_id == lost.request.random_id
            and later.outcome == "RANDOM_ID_DUPLICATE"
            for later in sends[n + 1 :]
        ):
            missing.append(lost.request.random_id)
    return missing


async def test_a_send_applied_but_not_answered_arrives_once(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    """Telegram stored the message and the connection died before its answer: the resend
    carries the same random id, Telegram refuses it as a duplicate, the phone has it once."""
    server = world.server
    sidecar = await online_bot(world, sidecars, tmp_path)
    lost = server.faults.lose_reply(SendMessage)

    sent = await sidecar.request("tgbridge/send", {"chat": str(world.user.id), "text": "once"})
    status = await sidecar.wait_for(
        lambda: (s := sidecar.statuses().get(sent["sendId"])) and s["state"] != "queued" and s,
        within=30,
    )

    assert status["state"] == "sent"
    assert lost.hits == 1
    texts = [m.message for m in server.phone(world.user).received(world.bot)]
    assert texts == ["once"], f"the phone got the message {len(texts)} times"
    [applied] = server.outcomes(SendMessage, "lost")
    attempts = [
        r.outcome
        for r in server.requests
        if isinstance(r.request, SendMessage) and r.request.random_id == applied.request.random_id
    ]
    assert attempts == ["lost", "RANDOM_ID_DUPLICATE"], "no resend with the same random id"


async def test_sixty_seconds_of_drops_lose_nothing_either_way(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    chats = [world.user] + [
        server.world.add_user(f"User {n}", phone=f"+1555200{n:04d}") for n in range(3)
    ]
    for chat in chats[1:]:
        allow(tmp_path, chat, "viewer")
    sidecar = await online_bot(world, sidecars, tmp_path)
    phones = [server.phone(chat) for chat in chats]
    deadline = time.monotonic() + 60
    outbound: dict[int, list[str]] = {chat.id: [] for chat in chats}
    send_ids: list[int] = []
    inbound: list[str] = []
    drops = 0
    lost_replies: list[Rule] = []

    async def dropper() -> None:
        nonlocal drops
        while time.monotonic() < deadline:
            await asyncio.sleep(1.5)  # pacing the faults, not waiting for anything
            if not lost_replies or lost_replies[-1].hits:
                # The next send is applied, and its answer dies with the connection.
                abort = len(lost_replies) % 2 == 1
                lost_replies.append(server.faults.lose_reply(SendMessage, abort=abort))
            await asyncio.sleep(1.5)
            drops += server.drop_connections(abort=drops % 2 == 0)

    async def editor() -> None:
        n = 0
        while time.monotonic() < deadline:
            chat = chats[n % len(chats)]
            text = f"to {chat.first_name} #{n}"
            sent = await sidecar.request(
                "tgbridge/send", {"chat": str(chat.id), "text": text, "clientKey": text}
            )
            send_ids.append(sent["sendId"])
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

    def settled() -> dict[int, dict[str, Any]] | None:
        statuses = sidecar.statuses()
        done = all(statuses.get(i, {}).get("state") not in (None, "queued") for i in send_ids)
        return statuses if done else None

    statuses = await sidecar.wait_for(settled, within=60)
    for phone in phones:
        assert [m.message for m in phone.received(world.bot)] == outbound[phone.account.id]
    assert {statuses[i]["state"] for i in send_ids} == {"sent"}
    assert len(server.outcomes(SendMessage, "lost")) >= 10
    assert unanswered_resends(server) == [], "a lost send was not resent with its random id"
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
