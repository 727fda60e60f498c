"""The outbox: in order, exactly once, waits visible, resumes after a restart."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tgbridge.store.database import open_database
from tgbridge.store.outbox_store import NewMessage, OutboxRow, OutboxStore, SendStatus
from tgbridge.telegram.errors import AlreadySent, FloodWait, PermanentError, TransientError
from tgbridge.telegram.outbox import Limits, Outbox

ME = 1  # the account logged in
FAST = Limits(
    per_chat_rate=200, per_chat_burst=50, overall_rate=500, overall_burst=500, retry_base=0.05
)


@dataclass
class FakeTelegram:
    """Delivers each random_id once, like Telegram; scripted failures come first."""

    failures: list[Exception] = field(default_factory=list)
    delivered: dict[int, tuple[int, str]] = field(default_factory=dict)
    attempts: list[tuple[float, int]] = field(default_factory=list)

    async def send(self, row: OutboxRow) -> int:
        self.attempts.append((time.monotonic(), row.chat_id))
        if self.failures:
            raise self.failures.pop(0)
        if row.random_id in self.delivered:
            raise AlreadySent()
        message_id = len(self.delivered) + 1
        self.delivered[row.random_id] = (row.chat_id, row.payload["text"])
        return message_id

    def texts(self, chat_id: int) -> list[str]:
        return [text for chat, text in self.delivered.values() if chat == chat_id]


class Statuses:
    def __init__(self) -> None:
        self.seen: dict[int, SendStatus] = {}
        self._changed = asyncio.Condition()

    def __call__(self, status: SendStatus) -> None:
        self.seen[status.send_id] = status
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def until(self, done: Callable[[], bool]) -> None:
        async with asyncio.timeout(10), self._changed:
            await self._changed.wait_for(done)


def text(value: str) -> list[NewMessage]:
    return [NewMessage("text", {"text": value})]


@pytest.fixture
def store(tmp_path: Path) -> OutboxStore:
    return OutboxStore(open_database(tmp_path / "tgbridge.db"))


@contextlib.asynccontextmanager
async def running(outbox: Outbox) -> AsyncIterator[None]:
    task = asyncio.create_task(outbox.run())
    outbox.wake()
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_sends_in_order_per_chat_and_reports_each_send(store: OutboxStore) -> None:
    telegram, statuses = FakeTelegram(), Statuses()
    ids = [
        store.enqueue(chat, text(f"{chat}-{n}"), None, account_id=ME)
        for n in range(20)
        for chat in (1, 2)
    ]
    async with running(
        Outbox(store, telegram.send, account=lambda: ME, limits=FAST, on_status=statuses)
    ):
        await statuses.until(lambda: len(statuses.seen) == len(ids))
    assert telegram.texts(1) == [f"1-{n}" for n in range(20)]
    assert telegram.texts(2) == [f"2-{n}" for n in range(20)]
    assert {status.state for status in statuses.seen.values()} == {"sent"}


async def test_a_restart_resumes_and_a_resend_counts_once(tmp_path: Path) -> None:
    path = tmp_path / "tgbridge.db"
    first = OutboxStore(open_database(path))
    ids = [first.enqueue(7, text(f"m{n}"), None, account_id=ME) for n in range(5)]
    telegram = FakeTelegram()
    # The first message reached Telegram, but the process died before marking it sent.
    row = first.next_queued(7, ME)
    assert row is not None
    await telegram.send(row)

    reopened, statuses = OutboxStore(open_database(path)), Statuses()
    async with running(
        Outbox(reopened, telegram.send, account=lambda: ME, limits=FAST, on_status=statuses)
    ):
        await statuses.until(lambda: len(statuses.seen) == len(ids))
    assert telegram.texts(7) == [f"m{n}" for n in range(5)]
    assert all(reopened.status(send_id).state == "sent" for send_id in ids)  # type: ignore[union-attr]


async def test_flood_wait_pauses_only_that_chat_and_is_reported(store: OutboxStore) -> None:
    telegram, statuses = FakeTelegram(failures=[FloodWait(1)]), Statuses()
    waits: list[tuple[int, int | None]] = []
    flooded = store.enqueue(1, text("after the wait"), None, account_id=ME)
    outbox = Outbox(
        store,
        telegram.send,
        account=lambda: ME,
        limits=FAST,
        on_status=statuses,
        on_wait=lambda chat, seconds: waits.append((chat, seconds)),
    )
    async with running(outbox):
        await statuses.until(lambda: flooded in statuses.seen)
        other = store.enqueue(2, text("other chat"), None, account_id=ME)
        outbox.wake()
        await statuses.until(lambda: other in statuses.seen)
    assert waits == [(1, 1), (1, None)]
    first_try, second_try = (at for at, chat in telegram.attempts if chat == 1)
    assert second_try - first_try >= 1.0
    assert telegram.texts(1) == ["after the wait"]


async def test_network_errors_retry_until_delivered(store: OutboxStore) -> None:
    failures: list[Exception] = [TransientError("down"), TransientError("still down")]
    telegram, statuses = FakeTelegram(failures=failures), Statuses()
    send_id = store.enqueue(3, text("eventually"), None, account_id=ME)
    async with running(
        Outbox(store, telegram.send, account=lambda: ME, limits=FAST, on_status=statuses)
    ):
        await statuses.until(lambda: send_id in statuses.seen)
    assert telegram.texts(3) == ["eventually"]
    assert len(telegram.attempts) == 3


async def test_a_refused_message_fails_with_its_reason_and_the_next_goes(
    store: OutboxStore,
) -> None:
    telegram, statuses = FakeTelegram(failures=[PermanentError("CHAT_WRITE_FORBIDDEN")]), Statuses()
    refused = store.enqueue(4, text("refused"), None, account_id=ME)
    after = store.enqueue(4, text("after"), None, account_id=ME)
    async with running(
        Outbox(store, telegram.send, account=lambda: ME, limits=FAST, on_status=statuses)
    ):
        await statuses.until(lambda: after in statuses.seen)
    assert statuses.seen[refused].state == "failed"
    assert statuses.seen[refused].error == "CHAT_WRITE_FORBIDDEN"
    assert telegram.texts(4) == ["after"]


def test_random_ids_are_chosen_once_and_unique(store: OutboxStore) -> None:
    send_id = store.enqueue(5, text("a") + text("b") + text("c"), reply_to=42, account_id=ME)
    rows = store._db.execute(
        "SELECT random_id, reply_to FROM outbox WHERE send_id = ?", (send_id,)
    ).fetchall()
    assert len({row[0] for row in rows}) == 3
    assert [row[1] for row in rows] == [42, None, None]


async def test_an_unexpected_error_is_logged_retried_and_the_queue_moves_on(
    store: OutboxStore, caplog: pytest.LogCaptureFixture
) -> None:
    telegram, statuses = FakeTelegram(failures=[RuntimeError("bug")]), Statuses()
    first = store.enqueue(6, text("hit by the bug once"), None, account_id=ME)
    second = store.enqueue(6, text("behind it"), None, account_id=ME)
    async with running(
        Outbox(store, telegram.send, account=lambda: ME, limits=FAST, on_status=statuses)
    ):
        await statuses.until(lambda: second in statuses.seen)
    assert statuses.seen[first].state == "sent"
    assert telegram.texts(6) == ["hit by the bug once", "behind it"]
    logged = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], RuntimeError)]
    assert logged and "unexpected error" in logged[0].getMessage()


async def test_a_message_that_always_hits_a_bug_fails_once_and_does_not_loop(
    store: OutboxStore,
) -> None:
    telegram, statuses = FakeTelegram(failures=[RuntimeError("bug")] * 50), Statuses()
    doomed = store.enqueue(6, text("doomed"), None, account_id=ME)
    async with running(
        Outbox(store, telegram.send, account=lambda: ME, limits=FAST, on_status=statuses)
    ):
        await statuses.until(lambda: doomed in statuses.seen)
        telegram.failures.clear()
        after = store.enqueue(6, text("after"), None, account_id=ME)
        await statuses.until(lambda: after in statuses.seen)
    assert statuses.seen[doomed].state == "failed"
    assert "internal error (RuntimeError)" in (statuses.seen[doomed].error or "")
    assert len(telegram.attempts) == 5  # four tries of the doomed one, then "after"
    assert telegram.texts(6) == ["after"]


async def test_a_part_that_fails_for_good_stops_the_rest_of_its_send_with_one_error(
    store: OutboxStore,
) -> None:
    telegram, statuses = FakeTelegram(), Statuses()
    refused_part = "part 2"

    async def refuse_part_two(row: OutboxRow) -> int:
        if row.payload["text"] == refused_part:
            raise PermanentError("ENTITY_BOUNDS_INVALID")
        return await telegram.send(row)

    reported: list[SendStatus] = []

    def report(status: SendStatus) -> None:
        reported.append(status)
        statuses(status)

    split = store.enqueue(
        8, text("part 1") + text(refused_part) + text("part 3"), None, account_id=ME
    )
    after = store.enqueue(8, text("next send"), None, account_id=ME)
    async with running(
        Outbox(store, refuse_part_two, account=lambda: ME, limits=FAST, on_status=report)
    ):
        await statuses.until(lambda: after in statuses.seen)
    assert telegram.texts(8) == ["part 1", "next send"]
    assert [(s.send_id, s.state, s.error) for s in reported if s.send_id == split] == [
        (split, "failed", "ENTITY_BOUNDS_INVALID")
    ]


async def test_rows_of_another_account_wait_and_never_go_out(store: OutboxStore) -> None:
    telegram, statuses = FakeTelegram(), Statuses()
    theirs = store.enqueue(9, text("queued by account 2"), None, account_id=2)
    mine = store.enqueue(9, text("queued by me"), None, account_id=ME)
    current = {"account": ME}
    outbox = Outbox(
        store, telegram.send, account=lambda: current["account"], limits=FAST, on_status=statuses
    )
    async with running(outbox):
        await statuses.until(lambda: mine in statuses.seen)
        assert theirs not in statuses.seen
        current["account"] = 2
        outbox.wake()
        await statuses.until(lambda: theirs in statuses.seen)
    assert [row for row in telegram.delivered.values()] == [
        (9, "queued by me"),
        (9, "queued by account 2"),
    ]


async def test_a_stop_lets_the_send_on_the_wire_finish_and_starts_no_other(
    store: OutboxStore,
) -> None:
    answered = asyncio.Event()
    on_the_wire = asyncio.Event()
    sent: list[str] = []

    async def slow(row: OutboxRow) -> int:
        on_the_wire.set()
        await answered.wait()
        sent.append(row.payload["text"])
        return len(sent)

    for n in range(3):
        store.enqueue(10, text(f"m{n}"), None, account_id=ME)
    outbox = Outbox(store, slow, account=lambda: ME, limits=FAST)
    task = asyncio.create_task(outbox.run())
    outbox.wake()
    await on_the_wire.wait()
    stopping = asyncio.create_task(outbox.stop())
    answered.set()
    await stopping
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert sent == ["m0"]
    assert store.status(1).state == "sent"  # type: ignore[union-attr]
    assert store.next_queued(10, ME) is not None
