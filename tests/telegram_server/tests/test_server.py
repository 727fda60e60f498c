"""The server's own handles for tests: its public key file, request records, waiting for an
account to come online or go away, dropping one account's connections, users lookups."""

from __future__ import annotations

from typing import Any

import pytest
import rsa as rsa_keys
from telethon.crypto.rsa import _compute_fingerprint
from telethon.tl import functions, types

from tests.telegram_server import Account, TelegramServer
from tests.telegram_server.tests.clients import Connect, sign_in_bot, sign_in_user


async def test_the_public_key_file_holds_the_key_the_handshake_uses(
    server: TelegramServer,
) -> None:
    text = server.public_key_file.read_text()

    key = rsa_keys.PublicKey.load_pkcs1(text.encode())
    assert text == server.key.public_pem
    assert _compute_fingerprint(key) == server.key.fingerprint


async def test_requests_are_recorded_with_their_account(
    server: TelegramServer, connect: Connect, bot: Account
) -> None:
    client = await connect()
    await sign_in_bot(client, bot)
    mark = len(server.requests)

    await client.get_me()

    record = await server.wait_request(functions.users.GetUsersRequest, after=mark)
    assert record.account_id == bot.id
    first = server.requests[0]
    assert isinstance(first.request, functions.help.GetConfigRequest)  # unwrapped
    assert first.account_id is None


async def test_online_follows_the_clients_connection(
    server: TelegramServer, connect: Connect, bot: Account
) -> None:
    assert not server.online(bot)
    client = await connect()
    await sign_in_bot(client, bot)

    await server.wait_online(bot)
    await client.disconnect()

    await server.wait_until(lambda: not server.online(bot))


async def test_drop_connections_of_one_account_leaves_the_others(
    server: TelegramServer, connect: Connect, bot: Account, ann: Account
) -> None:
    bot_client = await connect()
    await sign_in_bot(bot_client, bot)
    ann_client = await connect()
    await sign_in_user(ann_client, server, ann)
    ann_connections = {c for c in server.connections if c.account_id == ann.id}
    mark = len(server.requests)

    assert server.drop_connections(bot, abort=True) == 1

    await server.wait_request(functions.users.GetUsersRequest, account=bot, after=mark)
    assert ann_connections <= server.connections
    assert (await ann_client.get_me()).id == ann.id


async def test_users_are_found_by_username_and_unknown_ones_are_not(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    found = await bot_client.get_entity("@ann")

    assert (found.id, found.first_name, found.bot) == (ann.id, "Ann", False)
    assert found.phone is None  # only the account itself sees its number
    with pytest.raises(ValueError, match="No user has"):
        await bot_client.get_entity("nobody_here")


async def test_bot_commands_are_kept(bot_client: Any, bot: Account) -> None:
    commands = [types.BotCommand("start", "Start"), types.BotCommand("help", "Help")]

    await bot_client(
        functions.bots.SetBotCommandsRequest(types.BotCommandScopeDefault(), "", commands)
    )

    got = await bot_client(functions.bots.GetBotCommandsRequest(types.BotCommandScopeDefault(), ""))
    assert [(c.command, c.description) for c in got] == [("start", "Start"), ("help", "Help")]
