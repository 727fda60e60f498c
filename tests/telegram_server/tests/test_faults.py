"""Faults a test injects, as an unmodified Telethon client meets them: rpc errors,
FLOOD_WAIT_X, 5xx, stalled replies, dropped connections, a strict server salt, and an auth
key the server does not know."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from telethon import errors
from telethon.crypto import AuthKey
from telethon.sessions import StringSession
from telethon.tl import functions

from tests.telegram_server import DC_ID, Account, TelegramServer
from tests.telegram_server.tests.clients import WITHIN, Connect, new_client, sign_in_bot

SendMessage = functions.messages.SendMessageRequest


def sends(server: TelegramServer) -> int:
    return sum(isinstance(r.request, SendMessage) for r in server.requests)


async def test_answer_error_answers_matching_requests_only(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    rule = server.faults.answer_error(SendMessage, 403, "CHAT_WRITE_FORBIDDEN")

    with pytest.raises(errors.ChatWriteForbiddenError):
        await bot_client.send_message("ann", "refused")
    await bot_client.get_me()  # another kind of request is not touched
    await bot_client.send_message("ann", "accepted")  # times=1: used up

    assert rule.hits == 1
    assert [m.message for m in server.phone(ann).received()] == ["accepted"]


async def test_answer_error_with_a_condition_and_no_limit(
    server: TelegramServer, bot_client: Any, ann: Account, bob: Account
) -> None:
    server.faults.answer_error(
        SendMessage,
        400,
        "USER_IS_BLOCKED",
        times=None,
        when=lambda request: request.message.startswith("spam"),
    )

    for _ in range(2):
        with pytest.raises(errors.UserIsBlockedError):
            await bot_client.send_message("ann", "spam again")
    await bot_client.send_message("ann", "hello")

    assert [m.message for m in server.phone(ann).received()] == ["hello"]


async def test_flood_wait_is_raised_with_its_seconds(
    server: TelegramServer, connect: Connect, bot: Account, ann: Account
) -> None:
    client = await connect(flood_sleep_threshold=0)
    await sign_in_bot(client, bot)
    server.faults.flood_wait(SendMessage, 5)

    with pytest.raises(errors.FloodWaitError) as flood:
        await client.send_message("ann", "too soon")

    assert flood.value.seconds == 5
    assert server.flood_errors == 1
    assert server.phone(ann).received() == []
    # Telethon now refuses the same request itself for those seconds, asking nobody.
    before = sends(server)
    with pytest.raises(errors.FloodWaitError):
        await client.send_message("ann", "still too soon")
    assert sends(server) == before


async def test_a_server_error_is_retried_by_telethon(
    server: TelegramServer, connect: Connect, bot: Account, ann: Account
) -> None:
    # One retry, after Telethon's fixed 2 s sleep.
    client = await connect(request_retries=1)
    await sign_in_bot(client, bot)
    server.faults.server_error(SendMessage)

    await client.send_message("ann", "second time lucky")

    assert sends(server) == 2
    assert [m.message for m in server.phone(ann).received()] == ["second time lucky"]


async def test_a_server_error_that_persists_is_raised(
    server: TelegramServer, connect: Connect, bot: Account, ann: Account
) -> None:
    client = await connect(request_retries=0, raise_last_call_error=True)
    await sign_in_bot(client, bot)
    server.faults.server_error(SendMessage, message="RPC_SEND_FAIL", times=None)

    with pytest.raises(errors.ServerError) as failed:
        await client.send_message("ann", "never")

    assert (failed.value.code, failed.value.message) == (500, "RPC_SEND_FAIL")
    assert server.phone(ann).received() == []


async def test_a_stalled_reply_waits_for_release(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    stall = server.faults.stall(SendMessage)

    sending = asyncio.create_task(bot_client.send_message("ann", "held"))
    await asyncio.wait_for(stall.reached.wait(), WITHIN)
    me = await bot_client.get_me()  # the connection still answers other requests

    assert me is not None
    assert not sending.done()
    assert server.phone(ann).received() == []
    stall.release()
    sent = await asyncio.wait_for(sending, WITHIN)
    assert sent.text == "held"
    [got] = await server.phone(ann).wait_messages(1)
    assert got.message == "held"


@pytest.mark.parametrize("abort", [False, True], ids=["closed", "reset"])
async def test_a_dropped_connection_is_reconnected_and_the_request_resent(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account, abort: bool
) -> None:
    server.faults.drop_connection(SendMessage, abort=abort)

    sent = await asyncio.wait_for(bot_client.send_message("ann", "persistent"), WITHIN)

    assert sends(server) == 2  # the first one met the closed connection
    [got] = await server.phone(ann).wait_messages(1)
    assert got.message == sent.text == "persistent"
    assert len(server.phone(ann).received()) == 1
    assert server.online(bot)


async def test_a_strict_salt_is_corrected_by_the_client(
    server: TelegramServer, connect: Connect, bot: Account
) -> None:
    server.faults.strict_salt = True

    client = await connect()  # its first message carries a salt the server never gave
    await sign_in_bot(client, bot)

    assert server.bad_server_salts >= 1
    assert (await client.get_me()).id == bot.id


async def test_an_unknown_auth_key_gets_transport_error_404(
    server: TelegramServer, connect: Connect
) -> None:
    """Telethon does not make a new key by itself: connect() raises AuthKeyNotFound and
    the session keeps the stale key until the caller drops it."""
    session = StringSession()
    session.set_dc(DC_ID, server.host, server.port)
    stale = AuthKey(os.urandom(256))  # a key this server never made
    session.auth_key = stale
    client = new_client(server, session)

    with pytest.raises(errors.AuthKeyNotFound):
        await asyncio.wait_for(client.connect(), WITHIN)
    with pytest.raises(errors.AuthKeyNotFound):
        await client.disconnected

    assert not client.is_connected()
    assert server.unknown_auth_keys == 1
    assert server.requests == []  # nothing got past the transport
    assert client.session.auth_key.key == stale.key

    client.session.auth_key = None  # what the caller must do: a fresh key exchange
    again = await connect(client.session)
    assert again.session.auth_key.key != stale.key
    assert await again.is_user_authorized() is False
    assert server.unknown_auth_keys == 1


async def test_a_lost_reply_was_applied_and_the_resend_is_a_duplicate(
    server: TelegramServer, connect: Connect, bot: Account, ann: Account
) -> None:
    """Telethon resends a request whose answer never came, on the new connection, with
    the same random_id: the phone has the message once and the resend is refused."""
    client = await connect(request_retries=0, raise_last_call_error=True)
    await sign_in_bot(client, bot)
    peer = await client.get_input_entity("ann")
    rule = server.faults.lose_reply(SendMessage)

    with pytest.raises(errors.MessageEmptyError):  # refused, so not applied: no hit
        await client(SendMessage(peer, " ", random_id=1))
    assert rule.hits == 0
    with pytest.raises(errors.RandomIdDuplicateError):
        await asyncio.wait_for(client(SendMessage(peer, "once", random_id=77)), WITHIN)

    assert rule.hits == 1
    assert [m.message for m in server.phone(ann).received()] == ["once"]
    sent = [r for r in server.requests if isinstance(r.request, SendMessage)]
    assert [(r.request.random_id, r.outcome) for r in sent] == [
        (1, "MESSAGE_EMPTY"),
        (77, "lost"),
        (77, "RANDOM_ID_DUPLICATE"),
    ]
    assert server.outcomes(SendMessage, "lost") == [sent[1]]


async def test_a_held_answer_comes_after_the_request_was_applied(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    stall = server.faults.stall(SendMessage, after_apply=True)

    sending = asyncio.create_task(bot_client.send_message("ann", "applied, not answered"))
    await asyncio.wait_for(stall.reached.wait(), WITHIN)

    [got] = server.phone(ann).received()  # already there, while the answer waits
    assert got.message == "applied, not answered"
    assert [r.message for r in stall.requests] == ["applied, not answered"]
    assert [r.outcome for r in server.requests if isinstance(r.request, SendMessage)] == ["applied"]
    assert not sending.done()
    stall.release()
    sent = await asyncio.wait_for(sending, WITHIN)
    assert sent.text == "applied, not answered"
    assert server.outcomes(SendMessage, "ok") != []
