"""Logging in as Telegram answers it: bot tokens, login codes, 2FA, and their refusals."""

from __future__ import annotations

import pytest
from telethon import errors
from telethon.sessions import StringSession
from telethon.tl import functions

from tests.telegram_server import Account, TelegramServer
from tests.telegram_server.tests.clients import Connect, sign_in_bot, sign_in_user


async def test_a_new_client_is_not_authorized(connect: Connect) -> None:
    client = await connect()

    assert await client.is_user_authorized() is False
    assert await client.get_me() is None


async def test_bot_logs_in_with_its_token(
    server: TelegramServer, connect: Connect, bot: Account
) -> None:
    client = await connect()

    await sign_in_bot(client, bot)

    me = await client.get_me()
    assert (me.id, me.bot, me.username) == (bot.id, True, "bridge_bot")
    assert await client.is_user_authorized() is True
    assert any(
        isinstance(r.request, functions.auth.ImportBotAuthorizationRequest) for r in server.requests
    )


async def test_a_wrong_bot_token_is_refused(connect: Connect, bot: Account) -> None:
    client = await connect()

    with pytest.raises(errors.AccessTokenInvalidError):
        await client.sign_in(bot_token=f"{bot.id}:not-the-token")

    assert await client.is_user_authorized() is False


async def test_user_logs_in_with_code_then_password(
    server: TelegramServer, connect: Connect, bob: Account
) -> None:
    client = await connect()
    assert bob.phone is not None
    await client.send_code_request(bob.phone)

    with pytest.raises(errors.SessionPasswordNeededError):
        await client.sign_in(bob.phone, server.login_code(bob.phone))
    assert await client.is_user_authorized() is False
    await client.sign_in(password="hunter2")

    me = await client.get_me()
    assert (me.id, me.bot, me.first_name, me.phone) == (bob.id, False, "Bob", bob.phone)


async def test_user_without_2fa_logs_in_with_the_code(
    server: TelegramServer, connect: Connect, ann: Account
) -> None:
    client = await connect()

    await sign_in_user(client, server, ann)

    assert (await client.get_me()).id == ann.id
    assert not any(
        isinstance(r.request, functions.account.GetPasswordRequest) for r in server.requests
    )


async def test_a_wrong_code_is_refused_and_the_right_one_still_works(
    server: TelegramServer, connect: Connect, ann: Account
) -> None:
    client = await connect()
    assert ann.phone is not None
    await client.send_code_request(ann.phone)
    code = server.login_code(ann.phone)
    wrong = "0" * len(code) if code != "0" * len(code) else "1" * len(code)

    with pytest.raises(errors.PhoneCodeInvalidError):
        await client.sign_in(ann.phone, wrong)
    assert await client.is_user_authorized() is False

    await client.sign_in(ann.phone, code)
    assert (await client.get_me()).id == ann.id


async def test_a_wrong_password_is_refused_and_the_right_one_still_works(
    server: TelegramServer, connect: Connect, bob: Account
) -> None:
    client = await connect()
    assert bob.phone is not None
    await client.send_code_request(bob.phone)
    with pytest.raises(errors.SessionPasswordNeededError):
        await client.sign_in(bob.phone, server.login_code(bob.phone))

    with pytest.raises(errors.PasswordHashInvalidError):
        await client.sign_in(password="hunter3")
    assert await client.is_user_authorized() is False

    await client.sign_in(password="hunter2")
    assert (await client.get_me()).id == bob.id


async def test_an_unknown_phone_number_is_refused(connect: Connect) -> None:
    client = await connect()

    with pytest.raises(errors.PhoneNumberInvalidError):
        await client.send_code_request("+15559999")


async def test_a_second_code_request_resends_the_code_and_the_new_one_works(
    server: TelegramServer, connect: Connect, ann: Account
) -> None:
    client = await connect()
    assert ann.phone is not None
    sent = await client.send_code_request(ann.phone)

    resent = await client.send_code_request(ann.phone)  # the hash is cached: auth.resendCode

    kinds = [type(r.request) for r in server.requests]
    assert kinds.count(functions.auth.SendCodeRequest) == 1
    assert kinds.count(functions.auth.ResendCodeRequest) == 1
    resend = next(
        r.request
        for r in server.requests
        if isinstance(r.request, functions.auth.ResendCodeRequest)
    )
    assert resend.phone_code_hash == sent.phone_code_hash
    await client.sign_in(ann.phone, server.login_code(ann.phone))
    assert (await client.get_me()).id == ann.id
    assert resent.phone_code_hash not in server.code_hashes  # used up


async def test_the_session_string_logs_in_again_without_a_code(
    server: TelegramServer, connect: Connect, bob: Account
) -> None:
    client = await connect()
    await sign_in_user(client, server, bob)
    saved = client.session.save()
    await client.disconnect()

    again = await connect(StringSession(saved))

    assert (await again.get_me()).id == bob.id
    kinds = [type(r.request) for r in server.requests]
    assert kinds.count(functions.auth.SendCodeRequest) == 1


async def test_log_out_ends_the_authorization(
    server: TelegramServer, connect: Connect, bot: Account
) -> None:
    client = await connect()
    await sign_in_bot(client, bot)
    saved = client.session.save()

    assert await client.log_out() is True

    again = await connect(StringSession(saved))
    assert await again.is_user_authorized() is False
