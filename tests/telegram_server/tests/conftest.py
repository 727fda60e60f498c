"""The loopback server's own tests: a running server per test and unmodified Telethon
clients (StringSession) connected to it, disconnected in teardown before the server stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telethon.crypto import rsa

from tests.telegram_server import Account, TelegramServer
from tests.telegram_server.tests.clients import WITHIN, Connect, new_client, sign_in_bot


@pytest.fixture
async def server() -> AsyncIterator[TelegramServer]:
    async with TelegramServer() as server:
        rsa.add_key(server.key.public_pem, old=False)
        yield server


@pytest.fixture
def bot(server: TelegramServer) -> Account:
    return server.world.add_bot("Bridge", username="bridge_bot")


@pytest.fixture
def ann(server: TelegramServer) -> Account:
    return server.world.add_user("Ann", phone="+15550001", username="ann")


@pytest.fixture
def bob(server: TelegramServer) -> Account:
    """A user with two-step verification."""
    return server.world.add_user("Bob", phone="+15550002", username="bob", password="hunter2")


@pytest.fixture
async def connect(server: TelegramServer) -> AsyncIterator[Connect]:
    clients: list[Any] = []

    async def connect(session: Any = None, **options: Any) -> Any:
        client = new_client(server, session, **options)
        clients.append(client)
        await asyncio.wait_for(client.connect(), WITHIN)
        return client

    yield connect
    for client in clients:
        await client.disconnect()


@pytest.fixture
async def bot_client(connect: Connect, bot: Account) -> Any:
    """A client logged in as the bot."""
    client = await connect()
    await sign_in_bot(client, bot)
    return client
