"""Inline buttons: the phone presses one under the bot's message, the bot's CallbackQuery
handler answers, and the press returns that answer (or BOT_RESPONSE_TIMEOUT)."""

from __future__ import annotations

from typing import Any

import pytest
from telethon import Button, errors, events
from telethon.tl import functions, types

from tests.telegram_server import Account, RpcError, TelegramServer
from tests.telegram_server.tests.clients import Connect, Inbox, sign_in_user


async def test_a_press_returns_the_bots_answer(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    queries = Inbox(bot_client, events.CallbackQuery())

    async def answer(event: Any) -> None:
        await event.answer(f"pressed {event.data.decode()}")

    bot_client.add_event_handler(answer, events.CallbackQuery())
    sent = await bot_client.send_message(
        "ann", "approve?", buttons=[Button.inline("ok", b"data"), Button.inline("no", b"nope")]
    )
    [message] = await server.phone(ann).wait_messages(1)

    reply = await server.phone(ann).press(message, b"data")

    assert reply.message == "pressed data"
    assert not reply.alert
    query = await queries.next()
    assert query.data == b"data"
    assert query.sender_id == ann.id
    assert query.chat_id == ann.id
    assert query.message_id == sent.id
    assert (await query.get_message()).text == "approve?"


async def test_an_alert_answer_keeps_its_flag(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    async def answer(event: Any) -> None:
        await event.answer("careful", alert=True)

    bot_client.add_event_handler(answer, events.CallbackQuery(data=b"x"))
    await bot_client.send_message("ann", "?", buttons=Button.inline("x", b"x"))
    [message] = await server.phone(ann).wait_messages(1)

    reply = await server.phone(ann).press(message, b"x")

    assert (reply.message, reply.alert) == ("careful", True)


async def test_an_unanswered_press_times_out(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    queries = Inbox(bot_client, events.CallbackQuery())
    server.callback_timeout = 0.3
    await bot_client.send_message("ann", "approve?", buttons=Button.inline("ok", b"data"))
    [message] = await server.phone(ann).wait_messages(1)

    with pytest.raises(RpcError) as refused:
        await server.phone(ann).press(message, b"data")

    assert (refused.value.code, refused.value.message) == (400, "BOT_RESPONSE_TIMEOUT")
    query = await queries.next()  # it did reach the bot, which did not answer
    assert query.data == b"data"
    with pytest.raises(errors.QueryIdInvalidError):
        await query.answer("too late")


async def test_a_press_on_data_the_message_does_not_carry_is_refused(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    queries = Inbox(bot_client, events.CallbackQuery())
    await bot_client.send_message("ann", "approve?", buttons=Button.inline("ok", b"data"))
    [message] = await server.phone(ann).wait_messages(1)

    with pytest.raises(RpcError) as refused:
        await server.phone(ann).press(message, b"other")

    assert refused.value.message == "DATA_INVALID"
    assert queries.rest() == []


async def test_a_user_client_presses_a_button_with_get_bot_callback_answer(
    server: TelegramServer, bot_client: Any, connect: Connect, bot: Account, bob: Account
) -> None:
    """The client side of a press, as the product's own user account would make it."""

    async def answer(event: Any) -> None:
        await event.answer("done")

    bot_client.add_event_handler(answer, events.CallbackQuery())
    user = await connect()
    await sign_in_user(user, server, bob)
    inbox = Inbox(user, events.NewMessage(incoming=True))
    await bot_client.send_message("bob", "go?", buttons=Button.inline("go", b"go"))
    event = await inbox.next()

    reply = await event.message.click(data=b"go")

    assert isinstance(reply, types.messages.BotCallbackAnswer)
    assert reply.message == "done"
    assert any(
        isinstance(r.request, functions.messages.GetBotCallbackAnswerRequest)
        and r.account_id == bob.id
        for r in server.requests
    )


async def test_an_answer_over_200_characters_is_refused(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    refused: list[Exception] = []

    async def answer(event: Any) -> None:
        # Asked directly: Telethon's event.answer() lets only one attempt through.
        for text in ("a" * 201, "a" * 200):
            try:
                await bot_client(
                    functions.messages.SetBotCallbackAnswerRequest(
                        event.query.query_id, cache_time=0, message=text
                    )
                )
            except errors.MessageTooLongError as error:
                refused.append(error)

    bot_client.add_event_handler(answer, events.CallbackQuery())
    await bot_client.send_message("ann", "?", buttons=Button.inline("x", b"x"))
    [message] = await server.phone(ann).wait_messages(1)

    reply = await server.phone(ann).press(message, b"x")

    assert reply.message == "a" * 200
    assert len(refused) == 1
