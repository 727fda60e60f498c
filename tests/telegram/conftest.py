"""The telegram tier: the real sidecar logged in to the loopback Telegram server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.telegram.harness import Sidecar, World
from tests.telegram_server import RateLimits, TelegramServer


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with TelegramServer(limits=RateLimits()) as server:
        bot = server.world.add_bot("tgbridge", username="tgbridge_bot")
        user = server.world.add_user(
            "Ann", phone="+15550000001", username="ann", password="correct horse"
        )
        yield World(server, bot, user)


@pytest.fixture
async def sidecars() -> AsyncIterator[list[Sidecar]]:
    """Every sidecar a test starts, stopped at the end whatever happened."""
    started: list[Sidecar] = []
    yield started
    for sidecar in started:
        await sidecar.stop()
