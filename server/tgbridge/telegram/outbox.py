"""The sender loop: drains the SQLite outbox into Telegram, one worker per chat, in order.

Per-chat and overall rate limits keep it under Telegram's flood limits; a FLOOD_WAIT that
still comes pauses that chat for the time asked and is reported as a visible wait;
network errors retry with exponential back-off and jitter. Rows stay queued until
Telegram has them, so a restart resumes where the last run stopped. Only the rows of the
account logged in now are drained. An error nobody expected is logged with its traceback
and retried with back-off a few times, then fails that one message: it never becomes a
silent loop, and the queue behind it moves on.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiolimiter import AsyncLimiter

from tgbridge.store.outbox_store import OutboxRow, OutboxStore, SendStatus
from tgbridge.telegram.errors import AlreadySent, FloodWait, PermanentError, TransientError

logger = logging.getLogger(__name__)

Transport = Callable[[OutboxRow], Awaitable[int | None]]
CurrentAccount = Callable[[], int | None]
UNEXPECTED_TRIES = 4
OnStatus = Callable[[SendStatus], None]
OnWait = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Limits:
    """Telegram's rates, with bursts a little smaller than Telegram allows: at full speed
    the requests' arrival times wobble by a few milliseconds, and the spare burst on
    Telegram's side absorbs that instead of a FLOOD_WAIT."""

    per_chat_rate: float = 1.0
    per_chat_burst: int = 2
    overall_rate: float = 30.0
    overall_burst: int = 20
    retry_base: float = 0.5
    retry_cap: float = 30.0


DEFAULT_LIMITS = Limits()


class Outbox:
    def __init__(
        self,
        store: OutboxStore,
        send: Transport,
        *,
        account: CurrentAccount,
        limits: Limits = DEFAULT_LIMITS,
        on_status: OnStatus = lambda status: None,
        on_wait: OnWait = lambda chat_id, seconds: None,
    ) -> None:
        self._store = store
        self._send = send
        self._account = account
        self._limits = limits
        self._on_status = on_status
        self._on_wait = on_wait
        self._overall = AsyncLimiter(
            limits.overall_burst, limits.overall_burst / limits.overall_rate
        )
        self._per_chat: dict[int, AsyncLimiter] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._wakeup = asyncio.Event()
        self._resume = asyncio.Event()
        self._stopping = asyncio.Event()
        self._running = False

    def wake(self, chat_id: int | None = None) -> None:
        """New rows are queued (for one chat): start or keep their chats' workers going.
        A chat named is started here and now, without a trip through the run loop."""
        if chat_id is None or not self._running:
            self._wakeup.set()
        else:
            self._ensure_worker(chat_id)

    def _ensure_worker(self, chat_id: int) -> None:
        worker = self._workers.get(chat_id)
        if worker is None or worker.done():
            # A worker that found its queue empty just before this row came is caught
            # by its done callback: the run loop looks again.
            self._workers[chat_id] = asyncio.create_task(self._drain(chat_id))
            self._workers[chat_id].add_done_callback(lambda _: self.wake())

    def account_changed(self) -> None:
        """Another account (or none) is logged in: the old one's workers and waits end
        (a send cut on the wire is resent with its random_id), the new one's start."""
        for worker in self._workers.values():
            worker.cancel()
        self._workers.clear()
        self._wakeup.set()

    def resume(self) -> None:
        """The connection is back: cut short every network back-off."""
        self._resume.set()
        self._resume = asyncio.Event()

    async def run(self) -> None:
        self._running = True
        try:
            while not self._stopping.is_set():
                self._wakeup.clear()
                account = self._account()
                if account is not None:
                    for chat_id in self._store.chats_with_queued(account):
                        self._ensure_worker(chat_id)
                await self._wakeup.wait()
        finally:
            self._running = False
            for worker in self._workers.values():
                worker.cancel()
            await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def stop(self, grace: float = 10.0) -> None:
        """Stops between sends: a request on the wire gets `grace` seconds to answer."""
        self._stopping.set()
        self._wakeup.set()
        workers = [worker for worker in self._workers.values() if not worker.done()]
        if workers:
            await asyncio.wait(workers, timeout=grace)

    async def _drain(self, chat_id: int) -> None:
        failures = 0
        unexpected: dict[int, int] = {}
        while not self._stopping.is_set():
            account = self._account()
            row = self._store.next_queued(chat_id, account) if account is not None else None
            if row is None:
                return
            await self._chat_limiter(chat_id).acquire()
            await self._overall.acquire()
            if self._stopping.is_set():
                return
            try:
                telegram_id = await self._attempt(row)
            except AlreadySent:
                telegram_id = None
            except FloodWait as wait:
                await self._wait_flood(chat_id, wait.seconds)
                continue
            except TransientError as error:
                failures += 1
                delay = self._backoff(failures)
                logger.warning(
                    "send to chat %s failed (%s); retry in %.1f s", chat_id, error, delay
                )
                await self._sleep_unless_resumed(delay)
                continue
            except PermanentError as error:
                self._store.mark_failed(row.id, str(error))
                self._report(row.send_id)
                continue
            except Exception as error:
                tries = unexpected[row.id] = unexpected.get(row.id, 0) + 1
                logger.exception("unexpected error sending message %s (try %s)", row.id, tries)
                if tries >= UNEXPECTED_TRIES:
                    self._store.mark_failed(
                        row.id, f"internal error ({type(error).__name__}); see the logs"
                    )
                    self._report(row.send_id)
                else:
                    await self._sleep(self._backoff(tries))
                continue
            failures = 0
            self._store.mark_sent(row.id, telegram_id)
            self._report(row.send_id)

    async def _attempt(self, row: OutboxRow) -> int | None:
        try:
            return await self._send(row)
        finally:
            self._store.count_attempt(row.id)  # after, not before: keeps the send path short

    async def _wait_flood(self, chat_id: int, seconds: int) -> None:
        logger.info("Telegram asks chat %s to wait %s s", chat_id, seconds)
        self._on_wait(chat_id, seconds)
        try:
            await self._sleep(seconds)
        finally:
            self._on_wait(chat_id, None)

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        if chat_id not in self._per_chat:
            burst = self._limits.per_chat_burst
            self._per_chat[chat_id] = AsyncLimiter(burst, burst / self._limits.per_chat_rate)
        return self._per_chat[chat_id]

    def _backoff(self, failures: int) -> float:
        ceiling = min(self._limits.retry_cap, self._limits.retry_base * 2 ** (failures - 1))
        return random.uniform(ceiling / 2, ceiling)

    async def _sleep_unless_resumed(self, seconds: float) -> None:
        resumed = asyncio.ensure_future(self._resume.wait())
        try:
            await self._sleep(seconds, resumed)
        finally:
            resumed.cancel()

    async def _sleep(self, seconds: float, *also: asyncio.Future[Any]) -> None:
        """Sleeps, cut short by a stop (or by any of `also`)."""
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait([stopping, *also], timeout=seconds)
        finally:
            stopping.cancel()

    def _report(self, send_id: int) -> None:
        status = self._store.status(send_id)
        if status is not None and status.state != "queued":
            self._on_status(status)
