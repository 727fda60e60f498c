"""Sending through the sidecar to the loopback Telegram: exactly once and in order across
crashes, visible flood waits, long messages split validly or sent as a document."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import pytest
from telethon.helpers import add_surrogate, del_surrogate
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

    held: list[Any] = []  # sends Telegram applied whose answer was on the wire at a kill
    sending = asyncio.create_task(editor())
    try:
        for kill_at in (1, 40, 80, 120, 160):
            await server.wait_until(lambda: sends() >= kill_at, within=60)  # noqa: B023
            # The next send is applied and its answer held: the kill lands mid-send.
            stall = server.faults.stall(functions.messages.SendMessageRequest, after_apply=True)
            await asyncio.wait_for(stall.reached.wait(), 60)
            ready.clear()
            await sidecar.kill()
            await server.wait_until(lambda: not server.online(world.bot))
            stall.release()  # to a connection that is gone: the answer never arrives
            held += stall.requests
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
    # Each send cut by a kill was sent again after the restart with its own random id, and
    # Telegram dropped the copy as a duplicate.
    duplicates = server.outcomes(functions.messages.SendMessageRequest, "RANDOM_ID_DUPLICATE")
    assert len(held) == 5
    missing = [
        r.message for r in held if r.random_id not in {d.request.random_id for d in duplicates}
    ]
    assert missing == [], "sends cut by a kill were not resent with the same random id"


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


async def test_a_long_flood_wait_on_one_chat_lets_other_chats_send_at_once(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    """FLOOD_WAIT_30 for one chat: another chat's messages, queued after the sidecar showed
    the wait, go out within a second. Telethon ignores waits of 3 s or less, but keeps a
    longer one per request type, for every chat: a gateway that let it (or an outbox that
    paused every chat) would hold them for 30 s. The test ends before the wait does."""
    server = world.server
    other = server.world.add_user("Bob", phone="+15550000002")
    sidecar = await online_bot(world, sidecars, tmp_path)
    flooded = world.user.id
    rule = server.faults.flood_wait(
        functions.messages.SendMessageRequest,
        30,
        when=lambda request: getattr(request.peer, "user_id", None) == flooded,
    )
    await sidecar.request("tgbridge/send", {"chat": str(flooded), "text": "held back"})
    waiting = await sidecar.wait_state("waiting")
    assert waiting["waitSeconds"] == 30

    queued_at = time.monotonic()
    for n in range(2):
        await sidecar.request("tgbridge/send", {"chat": str(other.id), "text": f"meanwhile {n}"})
    await sidecar.request("tgbridge/send", {"chat": str(flooded), "text": "held back too"})
    try:
        await server.wait_until(lambda: len(texts_from(world, other)) == 2, within=5)
    except TimeoutError:
        pytest.fail("another chat's messages were held by a FLOOD_WAIT_30 on one chat")
    took = max(send_times(server, other.id)) - queued_at
    assert took < 1.0, f"another chat's messages took {took:.1f} s to go out"
    assert texts_from(world, other) == ["meanwhile 0", "meanwhile 1"]
    # The flooded chat keeps its wait: nothing more was asked for it, and it is still shown.
    assert rule.hits == 1
    assert len(send_times(server, flooded)) == 1
    assert texts_from(world, world.user) == []
    status = await sidecar.request("tgbridge/status", {})
    assert status["connection"]["state"] == "waiting"


def send_times(server: TelegramServer, user_id: int) -> list[float]:
    """When each sendMessage to this user reached the server."""
    return [
        r.at
        for r in server.requests
        if isinstance(r.request, functions.messages.SendMessageRequest)
        and getattr(r.request.peer, "user_id", None) == user_id
    ]


def long_text_with_code() -> tuple[str, str, str]:
    """Markdown notes around a code block too long for one message: the source, the text
    it shows as, and the code in it."""
    prose = "\n".join(f"Line {n} of the notes 😀, with **bold** words." for n in range(80))
    code = "def main():\n" + "\n".join(
        f"{'    ' * (1 + n % 3)}value_{n} = compute({n})  # step {n}" for n in range(100)
    )
    source = f"{prose}\n```python\n{code}\n```\n{prose}"
    plain = prose.replace("**", "")
    assert 11_000 <= len(source) <= 12_000 and len(code) > 4096
    return source, f"{plain}\n{code}\n\n{plain}", code


def check_parts(messages: list[types.Message], shown: str, code: str) -> None:
    """The parts join into exactly the text shown: a part that goes on with the code opens
    with its line break (inside its pre entity, which Telegram keeps), any other part
    follows the line break Telegram trims. The code in every part is a python pre entity.
    Offsets in UTF-16 units."""
    units = add_surrogate(shown)
    code_start = units.index(add_surrogate(code))
    code_end = code_start + len(add_surrogate(code))
    joined, starts = "", []
    for n, message in enumerate(messages):
        text = add_surrogate(message.message)
        assert 0 < len(text) <= 4096
        joined += "\n" if n and not text.startswith("\n") else ""
        starts.append(len(joined))
        joined += text
    assert joined == units
    assert any(code_start < start < code_end for start in starts)  # code went on in a part
    for start, message in zip(starts, messages, strict=True):
        length = len(add_surrogate(message.message))
        for entity in message.entities or []:
            assert entity.offset >= 0 and entity.offset + entity.length <= length
        first, last = max(start, code_start), min(start + length, code_end)
        if first < last:
            pres = [
                (e.offset, e.length, e.language)
                for e in message.entities or []
                if isinstance(e, types.MessageEntityPre)
            ]
            assert pres == [(first - start, last - first, "python")]


async def test_a_long_message_with_code_arrives_as_valid_parts(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path, documentAbove=50_000)
    source, shown, code = long_text_with_code()
    await sidecar.request("tgbridge/send", {"chat": str(world.user.id), "text": source})
    status = await sidecar.wait_for(
        lambda: next(
            (s for s in sidecar.of("tgbridge/messageStatus") if s["state"] == "sent"), None
        )
    )
    phone = world.server.phone(world.user)
    messages = phone.received(world.bot)
    assert len(messages) == len(status["telegramIds"]) >= 3
    check_parts(messages, shown, code)
    bold = [e for m in messages for e in m.entities or [] if isinstance(e, types.MessageEntityBold)]
    assert len(bold) == 160


async def test_a_long_message_over_the_setting_arrives_as_a_document(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path, documentAbove=5_000)
    source, shown, _ = long_text_with_code()
    await sidecar.request("tgbridge/send", {"chat": str(world.user.id), "text": source})
    phone = world.server.phone(world.user)
    [message] = await phone.wait_messages(1, sender=world.bot)
    assert phone.file_of(message).decode() == source  # the Markdown file is the Markdown
    caption = add_surrogate(message.message)
    assert 1000 < len(caption) <= 1024 and caption.endswith("…")
    assert shown.startswith(del_surrogate(caption[:-1]))
    document: Any = message.media.document
    assert document.attributes[0].file_name.endswith(".md")
