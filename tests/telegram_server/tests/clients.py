"""Helpers for the server's tests: unmodified Telethon clients pointed at the loopback
server, logging in as Telegram's users would, and an inbox of the events a client saw."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from telethon import TelegramClient
from telethon.errors import SessionPasswordNeededError
from telethon.sessions import StringSession

from tests.telegram_server import DC_ID, Account, TelegramServer

API_ID = 1
API_HASH = "loopback"
WITHIN = 10.0  # seconds any single wait may take before the test fails


class Connect(Protocol):
    """The `connect` fixture: a connected client, disconnected when the test ends."""

    async def __call__(self, session: Any = None, **options: Any) -> Any:
        """A connected TelegramClient (logged in only if its session was)."""


def new_client(server: TelegramServer, session: Any = None, **options: Any) -> Any:
    """A TelegramClient (not connected) whose session points at the loopback server."""
    if session is None:
        session = StringSession()
        session.set_dc(DC_ID, server.host, server.port)
    return TelegramClient(session, API_ID, API_HASH, **options)


async def sign_in_bot(client: Any, bot: Account) -> None:
    await asyncio.wait_for(client.sign_in(bot_token=bot.bot_token), WITHIN)


async def sign_in_user(client: Any, server: TelegramServer, user: Account) -> None:
    """The login code the server "sent", then the 2FA password when the account has one."""
    assert user.phone is not None
    await client.send_code_request(user.phone)
    try:
        await client.sign_in(user.phone, server.login_code(user.phone))
    except SessionPasswordNeededError:
        assert user.password is not None
        await client.sign_in(password=user.password)


class Inbox:
    """What one event handler of a client received, in order, waited on (never slept on)."""

    def __init__(self, client: Any, event: Any) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(self._got, event)

    async def _got(self, event: Any) -> None:
        self.queue.put_nowait(event)

    async def next(self, within: float = WITHIN) -> Any:
        return await asyncio.wait_for(self.queue.get(), within)

    async def take(self, count: int, within: float = WITHIN) -> list[Any]:
        async with asyncio.timeout(within):
            return [await self.queue.get() for _ in range(count)]

    def rest(self) -> list[Any]:
        """Whatever arrived and was not taken yet."""
        found = []
        while not self.queue.empty():
            found.append(self.queue.get_nowait())
        return found
