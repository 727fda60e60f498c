"""Telegram's limits, answered with the errors Telegram gives: text and caption length,
callback data size, duplicate random ids, and flood limits per chat and per account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from telethon import errors
from telethon.tl import functions, types

from tests.telegram_server import Account, RateLimits, TelegramServer
from tests.telegram_server.tests.clients import Connect, sign_in_bot, sign_in_user


@pytest.fixture
def no_flood_limits(server: TelegramServer) -> None:
    server.limits.enabled = False


@pytest.mark.usefixtures("no_flood_limits")
async def test_text_up_to_4096_characters_goes_and_longer_is_refused(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    await bot_client.send_message("ann", "x" * 4096, parse_mode=None)

    with pytest.raises(errors.MessageTooLongError):
        await bot_client.send_message("ann", "x" * 4097, parse_mode=None)

    [got] = await server.phone(ann).wait_messages(1)
    assert len(got.message) == 4096
    assert len(server.phone(ann).received()) == 1


@pytest.mark.usefixtures("no_flood_limits")
async def test_text_length_counts_utf16_units(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    """An emoji outside the BMP is two UTF-16 units, as Telegram counts."""
    await bot_client.send_message("ann", "\N{GRINNING FACE}" * 2048, parse_mode=None)

    with pytest.raises(errors.MessageTooLongError):
        await bot_client.send_message("ann", "\N{GRINNING FACE}" * 2049, parse_mode=None)


async def test_an_empty_message_is_refused(bot_client: Any, ann: Account) -> None:
    with pytest.raises(errors.MessageEmptyError):
        await bot_client(
            functions.messages.SendMessageRequest(peer="ann", message=" ", random_id=1)
        )


@pytest.mark.usefixtures("no_flood_limits")
async def test_a_caption_up_to_1024_characters_goes_and_longer_is_refused(
    server: TelegramServer, bot_client: Any, ann: Account, tmp_path: Path
) -> None:
    source = tmp_path / "note.txt"
    source.write_bytes(b"attached")

    await bot_client.send_file("ann", source, caption="c" * 1024, parse_mode=None)
    with pytest.raises(errors.MediaCaptionTooLongError):
        await bot_client.send_file("ann", source, caption="c" * 1025, parse_mode=None)

    [got] = await server.phone(ann).wait_messages(1)
    assert len(got.message) == 1024


@pytest.mark.usefixtures("no_flood_limits")
async def test_an_edit_past_the_limit_is_refused(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    sent = await bot_client.send_message("ann", "short")

    with pytest.raises(errors.MessageTooLongError):
        await bot_client.edit_message(sent, "x" * 4097, parse_mode=None)

    [got] = await server.phone(ann).wait_messages(1)
    assert got.message == "short"


def inline_markup(data: bytes) -> types.ReplyInlineMarkup:
    """Built by hand: Telethon's Button.inline refuses over 64 bytes before sending."""
    button = types.KeyboardInlineButton("press", types.InlineButtonTypeCallback(data))
    return types.ReplyInlineMarkup([types.KeyboardInlineButtonRow([button])])


@pytest.mark.usefixtures("no_flood_limits")
async def test_callback_data_up_to_64_bytes_goes_and_longer_is_refused(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    await bot_client.send_message("ann", "ok", buttons=inline_markup(b"d" * 64))

    with pytest.raises(errors.ButtonDataInvalidError):
        await bot_client.send_message("ann", "too much", buttons=inline_markup(b"d" * 65))

    [got] = await server.phone(ann).wait_messages(1)
    assert got.reply_markup.rows[0].buttons[0].type.data == b"d" * 64


async def test_a_user_cannot_send_inline_buttons(
    server: TelegramServer, connect: Connect, ann: Account, bob: Account
) -> None:
    client = await connect()
    await sign_in_user(client, server, bob)

    with pytest.raises(errors.ReplyMarkupInvalidError):
        await client.send_message("ann", "no", buttons=inline_markup(b"d"))


async def test_a_reused_random_id_is_refused(
    server: TelegramServer, connect: Connect, bot: Account, ann: Account
) -> None:
    # Telethon sleeps 2 s before each retry of a 5xx: one attempt only.
    client = await connect(raise_last_call_error=True, request_retries=0)
    await sign_in_bot(client, bot)
    peer = await client.get_input_entity("ann")

    await client(functions.messages.SendMessageRequest(peer, "first", random_id=42))
    with pytest.raises(errors.RandomIdDuplicateError):
        await client(functions.messages.SendMessageRequest(peer, "again", random_id=42))

    assert [m.message for m in server.phone(ann).received()] == ["first"]


async def test_sending_faster_than_the_chat_allows_gets_flood_wait(
    server: TelegramServer, connect: Connect, bot: Account, ann: Account, bob: Account
) -> None:
    server.limits = RateLimits(per_chat_rate=0.5, per_chat_burst=2)
    client = await connect(flood_sleep_threshold=0)
    await sign_in_bot(client, bot)

    await client.send_message("ann", "one")
    await client.send_message("ann", "two")
    with pytest.raises(errors.FloodWaitError) as flood:
        await client.send_message("ann", "three")
    await client.send_message("bob", "another chat is not limited")

    assert 1 <= flood.value.seconds <= 2
    assert server.flood_errors == 1
    assert [m.message for m in server.phone(ann).received()] == ["one", "two"]
    assert len(server.phone(bob).received()) == 1


async def test_sending_faster_than_the_account_allows_gets_flood_wait(
    server: TelegramServer, connect: Connect, bot: Account, ann: Account, bob: Account
) -> None:
    server.limits = RateLimits(
        per_chat_rate=100, per_chat_burst=100, overall_rate=1, overall_burst=3
    )
    carol = server.world.add_user("Carol", phone="+15550003", username="carol")
    client = await connect(flood_sleep_threshold=0)
    await sign_in_bot(client, bot)

    await client.send_message("ann", "1")
    await client.send_message("bob", "2")
    await client.send_message("carol", "3")
    with pytest.raises(errors.FloodWaitError) as flood:
        await client.send_message("ann", "4")

    assert flood.value.seconds == 1
    assert server.flood_errors == 1
    assert [len(server.phone(a).received()) for a in (ann, bob, carol)] == [1, 1, 1]


async def test_flood_wait_sleeps_and_retries_under_the_threshold(
    server: TelegramServer, connect: Connect, bot: Account, ann: Account
) -> None:
    """Telethon sleeps through a short FLOOD_WAIT and sends again; the server lets it."""
    server.limits = RateLimits(per_chat_rate=2, per_chat_burst=1)
    client = await connect(flood_sleep_threshold=5)
    await sign_in_bot(client, bot)

    await client.send_message("ann", "one")
    await client.send_message("ann", "two")  # FLOOD_WAIT_1, slept through, sent again

    assert server.flood_errors == 1
    assert [m.message for m in server.phone(ann).received()] == ["one", "two"]


@pytest.mark.usefixtures("no_flood_limits")
async def test_entities_must_lie_inside_the_text_in_utf16_units(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    peer = await bot_client.get_input_entity("ann")
    text = "\N{GRINNING FACE} bold"  # 6 code points, 7 UTF-16 units

    async def send(offset: int, length: int, random_id: int) -> Any:
        bold = types.MessageEntityBold(offset, length)
        return await bot_client(
            functions.messages.SendMessageRequest(peer, text, random_id=random_id, entities=[bold])
        )

    await send(3, 4, random_id=1)  # "bold", ending at the last UTF-16 unit
    for random_id, (offset, length) in enumerate([(3, 5), (7, 1), (-1, 2), (0, 0)], start=2):
        with pytest.raises(errors.EntityBoundsInvalidError):
            await send(offset, length, random_id)
    [got] = await server.phone(ann).wait_messages(1)
    assert got.entities == [types.MessageEntityBold(3, 4)]

    with pytest.raises(errors.EntityBoundsInvalidError):  # an edit is held to the same rule
        await bot_client(
            functions.messages.EditMessageRequest(
                peer, got.id, message="bold", entities=[types.MessageEntityBold(0, 5)]
            )
        )
    assert [m.message for m in server.phone(ann).received()] == [text]


@pytest.mark.usefixtures("no_flood_limits")
async def test_a_reply_to_a_message_the_sender_does_not_have_is_refused(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account, bob: Account
) -> None:
    for n in range(3):  # message ids 1 to 3 exist in Ann's numbering, not in the bot's
        server.phone(ann).send(bob, f"to Bob {n}")
    first = await bot_client.send_message("ann", "first")  # the bot's message 1

    for missing in (3, first.id + 1):
        with pytest.raises(errors.BadRequestError) as refused:
            await bot_client.send_message("ann", "a reply to nothing", reply_to=missing)
        assert refused.value.message == "REPLY_MESSAGE_ID_INVALID"
    await bot_client.send_message("ann", "a reply", reply_to=first.id)

    got = await server.phone(ann).wait_messages(2, sender=bot)
    assert [m.message for m in got] == ["first", "a reply"]
    assert got[1].reply_to.reply_to_msg_id == got[0].id
