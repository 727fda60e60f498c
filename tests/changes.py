"""Waiting for a state instead of sleeping: whatever changes state calls `notify()`, and
`wait_until` re-checks its predicate on each change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Changes:
    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_until(self, predicate: Callable[[], T | None], within: float) -> T:
        """The predicate's first value that is neither None nor False."""
        async with asyncio.timeout(within):
            while True:
                found = predicate()
                if found is not None and found is not False:
                    return found
                waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
                await waiter
