"""Sending through the sidecar to the loopback Telegram: exactly once and in order across
crashes, visible flood waits, long messages split validly or sent as a document."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from telethon.tl import functions, types

from tests.telegram.harness import Sidecar, World, bot_login, connect, online_bot, start_sidecar
from tests.telegram_server import Account, TelegramServer


def texts_from(world: World, chat: Account) -> list[str]:
    return [m.message for m in world.server.phone(chat).received(world.bot)]


async def test_sigkill_five_times_during_200_sends_delivers_each_once_in_order(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    chats = [world.user] + [
        server.world.add_user(f"User {n}", phone=f"+1555100{n:04d}") for n in range(19)
    ]
    plan = [(chats[n % len(chats)], f"message {n:03d}") for n in range(200)]
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    session = await bot_login(sidecar, world)
    ready = asyncio.Event()
    ready.set()
    accepted: dict[int, int] = {}

    async def editor() -> None:
        """Sends the plan in order; a request cut by a crash is retried with its key."""
        for n, (chat, text) in enumerate(plan):
            while n not in accepted:
                await ready.wait()
                current = sidecar
                with contextlib.suppress(Exception):
                    result = await current.request(
                        "tgbridge/send", {"chat": str(chat.id), "text": text, "clientKey": f"k{n}"}
                    )
                    accepted[n] = result["sendId"]
                if n not in accepted and current is sidecar:
                    ready.clear()  # the crash is being handled: wait for the new sidecar

    def sends() -> int:
        return sum(
            isinstance(r.request, functions.messages.SendMessageRequest) for r in server.requests
        )

    sending = asyncio.create_task(editor())
    try:
        for kill_at in (1, 40, 80, 120, 160):
            await server.wait_until(lambda: sends() >= kill_at, within=60)  # noqa: B023
            ready.clear()
            await sidecar.kill()
            sidecar = await start_sidecar(world, sidecars, tmp_path)
            await connect(sidecar, session)
            ready.set()

        def delivered() -> bool:
            return all(len(texts_from(world, chat)) >= 10 for chat in chats)

        await server.wait_until(delivered, within=120)
        await asyncio.wait_for(sending, 30)
    finally:
        sending.cancel()
    for chat in chats:
        expected = [text for to, text in plan if to is chat]
        assert texts_from(world, chat) == expected
    assert len(set(accepted.values())) == 200


async def test_flood_wait_pauses_only_that_chat_visibly_and_loses_nothing(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    other = server.world.add_user("Bob", phone="+15550000002")
    sidecar = await online_bot(world, sidecars, tmp_path)
    flooded = world.user.id
    rule = server.faults.flood_wait(
        functions.messages.SendMessageRequest,
        3,
        when=lambda request: getattr(request.peer, "user_id", None) == flooded,
    )
    for n in range(3):
        for chat in (world.user, other):
            await sidecar.request("tgbridge/send", {"chat": str(chat.id), "text": f"hello {n}"})
    waiting = await sidecar.wait_state("waiting")
    assert waiting["waitSeconds"] == 3
    await server.wait_until(lambda: len(texts_from(world, world.user)) == 3, within=30)
    await server.wait_until(lambda: len(texts_from(world, other)) == 3, within=30)
    await sidecar.wait_state("online")
    assert texts_from(world, world.user) == ["hello 0", "hello 1", "hello 2"]
    assert texts_from(world, other) == ["hello 0", "hello 1", "hello 2"]
    assert rule.hits == 1
    to_flooded = send_times(server, flooded)
    flood_at = to_flooded[0]
    assert all(at >= flood_at + 3 - 0.05 for at in to_flooded[1:])
    # The other chat went on during the wait.
    to_other = send_times(server, other.id)
    assert any(flood_at < at < flood_at + 3 for at in to_other)


def send_times(server: TelegramServer, user_id: int) -> list[float]:
    """When each sendMessage to this user reached the server."""
    return [
        r.at
        for r in server.requests
        if isinstance(r.request, functions.messages.SendMessageRequest)
        and getattr(r.request.peer, "user_id", None) == user_id
    ]


def long_text_with_code() -> str:
    prose = "\n".join(f"Line {n} of the notes, with **bold** words." for n in range(80))
    code = "\n".join(f"    value_{n} = compute({n})  # step {n}" for n in range(100))
    text = f"{prose}\n```python\ndef main():\n{code}\n```\n{prose}"
    assert 10_000 <= len(text) <= 11_000
    return text


def check_parts(messages: list[types.Message]) -> None:
    for message in messages:
        length = len(message.message.encode("utf-16-le")) // 2
        assert length <= 4096
        for entity in message.entities or []:
            assert entity.offset >= 0 and entity.offset + entity.length <= length


async def test_a_long_message_with_code_arrives_as_valid_parts(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path, documentAbove=50_000)
    text = long_text_with_code()
    await sidecar.request("tgbridge/send", {"chat": str(world.user.id), "text": text})
    status = await sidecar.wait_for(
        lambda: next(
            (s for s in sidecar.of("tgbridge/messageStatus") if s["state"] == "sent"), None
        )
    )
    phone = world.server.phone(world.user)
    messages = phone.received(world.bot)
    assert len(messages) == len(status["telegramIds"]) >= 3
    check_parts(messages)
    joined = "".join(m.message for m in messages)
    assert "value_99 = compute(99)" in joined and "Line 79 of the notes" in joined
    assert "**" not in joined  # Markdown became entities
    pre = [e for m in messages for e in m.entities or [] if isinstance(e, types.MessageEntityPre)]
    assert pre and all(e.language == "python" for e in pre)
    bold = [e for m in messages for e in m.entities or [] if isinstance(e, types.MessageEntityBold)]
    assert len(bold) == 160


async def test_a_long_message_over_the_setting_arrives_as_a_document(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path, documentAbove=5_000)
    text = long_text_with_code()
    await sidecar.request("tgbridge/send", {"chat": str(world.user.id), "text": text})
    phone = world.server.phone(world.user)
    [message] = await phone.wait_messages(1, sender=world.bot)
    content = phone.file_of(message).decode()
    assert "value_99 = compute(99)" in content and "Line 79 of the notes" in content
    assert len(message.message) <= 1024
    document: Any = message.media.document
    assert document.attributes[0].file_name.endswith(".md")
