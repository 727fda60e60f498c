"""/analytics: messages, commands, reply and queue times, flood waits and errors per period,
for one account; the event log stays within its cap."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tgbridge.llm.errors import LlmError
from tgbridge.llm.types import Attempt, LlmResult
from tgbridge.store import llm_calls
from tgbridge.store.analytics import Period, analytics, format_analytics
from tgbridge.store.database import open_database
from tgbridge.store.events import EventLog
from tgbridge.store.history import HistoryStore, StoredMessage
from tgbridge.store.llm_calls import LlmSummary

NOW = 1_700_000_000.0
HOUR = 3600.0
DAY = 86400.0
ACCOUNT = 7


@pytest.fixture
def db(tmp_path: Path) -> sqlite3.Connection:
    return open_database(tmp_path / "tgbridge.db")


class Chat:
    """Messages of one chat, numbered in the order they are added (as Telegram does)."""

    def __init__(self, db: sqlite3.Connection, chat_id: int = 1, account_id: int = ACCOUNT):
        self._history = HistoryStore(db)
        self._chat_id = chat_id
        self._account_id = account_id
        self._next_id = 1

    def add(self, date: float, *, outgoing: bool = False) -> None:
        self._history.record(
            StoredMessage(
                account_id=self._account_id,
                chat_id=self._chat_id,
                message_id=self._next_id,
                sender_id=None if outgoing else 99,
                outgoing=outgoing,
                text="hi",
                date=date,
            )
        )
        self._next_id += 1


def audit(db: sqlite3.Connection, at: float, action: str, outcome: str = "ok") -> None:
    db.execute(
        "INSERT INTO audit (at, user_id, action, outcome) VALUES (?, 1, ?, ?)",
        (at, action, outcome),
    )


def outbox_row(
    db: sqlite3.Connection,
    created_at: float,
    *,
    state: str = "sent",
    sent_at: float | None = None,
    account_id: int = ACCOUNT,
) -> None:
    row_id = db.execute("SELECT count(*) FROM outbox").fetchone()[0] + 1
    db.execute(
        "INSERT INTO outbox (send_id, chat_id, kind, payload, random_id, state, created_at,"
        " sent_at, account_id) VALUES (?, 1, 'text', '{}', ?, ?, ?, ?, ?)",
        (row_id, row_id, state, created_at, sent_at, account_id),
    )


def periods(db: sqlite3.Connection, account_id: int = ACCOUNT) -> tuple[Period, Period]:
    day, week = analytics(db, account_id=account_id, now=NOW)
    assert (day.label, week.label) == ("24 h", "7 days")
    return day, week


def test_messages_are_counted_per_period_and_direction(db: sqlite3.Connection) -> None:
    chat = Chat(db)
    chat.add(NOW - 8 * DAY)  # older than both periods
    chat.add(NOW - 2 * DAY)  # the week only
    chat.add(NOW - 2 * DAY + 5, outgoing=True)
    chat.add(NOW - HOUR)
    chat.add(NOW - HOUR + 1, outgoing=True)
    chat.add(NOW - 60, outgoing=True)
    day, week = periods(db)
    assert (day.messages_in, day.messages_out) == (1, 2)
    assert (week.messages_in, week.messages_out) == (2, 3)


def test_another_accounts_messages_are_not_counted(db: sqlite3.Connection) -> None:
    Chat(db, account_id=ACCOUNT).add(NOW - HOUR)
    other = Chat(db, account_id=8)
    other.add(NOW - HOUR)
    other.add(NOW - HOUR + 2, outgoing=True)
    outbox_row(db, NOW - HOUR, state="failed", account_id=8)
    outbox_row(db, NOW - HOUR, sent_at=NOW - HOUR + 5, account_id=8)
    day, _ = periods(db)
    assert (day.messages_in, day.messages_out) == (1, 0)
    assert day.median_reply_seconds is None
    assert day.queue_wait_median is None
    assert day.errors == 0
    other_day, _ = periods(db, account_id=8)
    assert (other_day.messages_in, other_day.messages_out) == (1, 1)
    assert other_day.median_reply_seconds == 2.0
    assert other_day.errors == 1


def test_commands_that_ran_are_counted_most_used_first(db: sqlite3.Connection) -> None:
    audit(db, NOW - HOUR, "command:/diff")
    for _ in range(3):
        audit(db, NOW - HOUR, "command:/status")
    audit(db, NOW - 3 * DAY, "command:/diff")
    audit(db, NOW - 3 * DAY, "command:/diff")
    audit(db, NOW - HOUR, "command:/shell", outcome="refused")
    audit(db, NOW - HOUR, "pair", outcome="ok")
    day, week = periods(db)
    assert list(day.commands.items()) == [("/status", 3), ("/diff", 1)]
    assert list(week.commands.items()) == [("/diff", 3), ("/status", 3)]


def test_the_median_reply_time_counts_answered_messages_only(db: sqlite3.Connection) -> None:
    chat = Chat(db)
    for start, delay in [(NOW - 5 * HOUR, 1), (NOW - 4 * HOUR, 3), (NOW - 3 * HOUR, 10)]:
        chat.add(start)
        chat.add(start + delay, outgoing=True)
    Chat(db, chat_id=2).add(NOW - 2 * HOUR)  # never answered
    day, week = periods(db)
    assert day.median_reply_seconds == 3.0
    assert week.median_reply_seconds == 3.0


def test_messages_before_one_reply_share_it(db: sqlite3.Connection) -> None:
    chat = Chat(db)
    chat.add(NOW - 100)
    chat.add(NOW - 90)
    chat.add(NOW - 80, outgoing=True)  # answers both: 20 s and 10 s
    chat.add(NOW - 50)
    day, _ = periods(db)
    assert day.median_reply_seconds == 15.0


def test_a_reply_after_a_day_answers_nothing(db: sqlite3.Connection) -> None:
    chat = Chat(db)
    chat.add(NOW - 3 * DAY)
    chat.add(NOW - 3 * DAY + DAY + 1, outgoing=True)
    _, week = periods(db)
    assert week.median_reply_seconds is None


def test_a_reply_in_another_chat_answers_nothing(db: sqlite3.Connection) -> None:
    Chat(db, chat_id=1).add(NOW - 100)
    Chat(db, chat_id=2).add(NOW - 90, outgoing=True)
    day, _ = periods(db)
    assert day.median_reply_seconds is None


def test_queue_waits_come_from_the_sent_outbox_rows(db: sqlite3.Connection) -> None:
    outbox_row(db, NOW - HOUR, sent_at=NOW - HOUR + 0.1)
    outbox_row(db, NOW - HOUR, sent_at=NOW - HOUR + 0.2)
    outbox_row(db, NOW - HOUR, sent_at=NOW - HOUR + 4)
    outbox_row(db, NOW - 3 * DAY, sent_at=NOW - 3 * DAY + 2)
    outbox_row(db, NOW - 3 * DAY, sent_at=NOW - 3 * DAY + 3)
    outbox_row(db, NOW - 60, state="queued")
    day, week = periods(db)
    assert day.queue_wait_median == pytest.approx(0.2)
    assert day.queue_waits_over_1s == 1
    assert week.queue_wait_median == pytest.approx(2.0)
    assert week.queue_waits_over_1s == 3


def test_flood_waits_and_errors_come_from_events_and_failed_rows(
    db: sqlite3.Connection,
) -> None:
    clock = [NOW - HOUR]
    events = EventLog(db, clock=lambda: clock[0])
    events.record("flood_wait", 12.0, "messages.SendMessage")
    events.record("error", detail="connection lost")
    events.record("command", detail="/status")
    clock[0] = NOW - 3 * DAY
    events.record("flood_wait", 30.0)
    events.record("error")
    outbox_row(db, NOW - HOUR, state="failed")
    outbox_row(db, NOW - 3 * DAY, state="failed")
    day, week = periods(db)
    assert (day.flood_waits, day.flood_wait_seconds) == (1, 12.0)
    assert (week.flood_waits, week.flood_wait_seconds) == (2, 42.0)
    assert day.errors == 2
    assert week.errors == 4


def test_an_empty_store_has_zeros_and_no_medians(db: sqlite3.Connection) -> None:
    day, week = periods(db)
    for period in (day, week):
        assert period == Period(
            label=period.label,
            messages_in=0,
            messages_out=0,
            commands={},
            median_reply_seconds=None,
            queue_wait_median=None,
            queue_waits_over_1s=0,
            flood_waits=0,
            flood_wait_seconds=0.0,
            errors=0,
        )
    text = format_analytics([day, week])
    assert "None" not in text
    assert "no replies yet" in text
    assert "Messages: 0 in, 0 out" in text
    assert "Commands: none" in text


def test_the_text_shows_the_figures(db: sqlite3.Connection) -> None:
    text = format_analytics(
        [
            Period(
                label="24 h",
                messages_in=12,
                messages_out=30,
                commands={"/status": 3, "/diff": 2},
                median_reply_seconds=4.2,
                queue_wait_median=0.1,
                queue_waits_over_1s=2,
                flood_waits=1,
                flood_wait_seconds=12.0,
                errors=0,
            ),
            Period("7 days", 80, 200, {}, 95.0, 0.3, 1, 0, 0.0, 5),
        ]
    )
    assert text == (
        "**Last 24 h**\n"
        "Messages: 12 in, 30 out\n"
        "Commands: /status 3, /diff 2\n"
        "Median reply: 4.2 s\n"
        "Queue: median 0.1 s, 2 waits over 1 s\n"
        "Flood waits: 1 (12 s)\n"
        "Errors: 0\n"
        "\n"
        "**Last 7 days**\n"
        "Messages: 80 in, 200 out\n"
        "Commands: none\n"
        "Median reply: 1.6 min\n"
        "Queue: median 0.3 s, 1 wait over 1 s\n"
        "Flood waits: 0\n"
        "Errors: 5"
    )


def test_the_text_stays_short_with_many_commands() -> None:
    commands = {f"/{'x' * 60}{i}": 1 for i in range(500)}
    period = Period("24 h", 1, 1, commands, None, None, 0, 0, 0.0, 0)
    text = format_analytics([period, period])
    assert len(text) <= 3500
    assert "+490 more" in text


def test_the_event_log_keeps_its_cap(db: sqlite3.Connection) -> None:
    events = EventLog(db, clock=lambda: NOW, cap=10, prune_every=4)
    for i in range(50):
        events.record("notification", detail=str(i))
        count = db.execute("SELECT count(*) FROM events").fetchone()[0]
        assert count <= 10
    details = [row[0] for row in db.execute("SELECT detail FROM events ORDER BY id")]
    assert details[-1] == "49"
    assert details == [str(i) for i in range(50 - len(details), 50)]  # the newest are kept


def test_an_event_keeps_a_short_detail(db: sqlite3.Connection) -> None:
    EventLog(db, clock=lambda: NOW).record("error", detail="x" * 1000)
    at, kind, value, detail = db.execute("SELECT at, kind, value, detail FROM events").fetchone()
    assert (at, kind, value, len(detail)) == (NOW, "error", None, 300)


def test_language_model_calls_are_counted_per_period_and_provider(
    db: sqlite3.Connection,
) -> None:
    def answered(provider: str, latency_ms: float, tokens: tuple[int, int]) -> LlmResult:
        attempts = (Attempt(provider, None),)
        return LlmResult("ok", provider, "m", *tokens, latency_ms, latency_ms / 2, attempts)

    llm_calls.record(db, "ask", answered("openai", 800, (100, 20)), at=NOW - HOUR)
    llm_calls.record(db, "review", answered("ollama", 2400, (300, 40)), at=NOW - HOUR)
    llm_calls.record(db, "ask", answered("openai", 1000, (50, 10)), at=NOW - HOUR)
    refused = LlmError("key_refused", "anthropic refused the API key.", provider="anthropic")
    llm_calls.record(db, "ask", refused, at=NOW - HOUR)
    llm_calls.record(db, "commit", answered("ollama", 5000, (1000, 100)), at=NOW - 3 * DAY)
    day, week = periods(db)
    assert day.llm == LlmSummary(
        calls=4,
        failed=1,
        input_tokens=450,
        output_tokens=70,
        median_latency_ms=1000,
        by_provider={"openai": 2, "anthropic": 1, "ollama": 1},
    )
    assert (week.llm.calls, week.llm.input_tokens, week.llm.median_latency_ms) == (5, 1450, 1700)
    text = format_analytics([day, week])
    assert (
        "Language models: 4 calls (1 failed), median 1.0 s\n"
        "Tokens: 450 in, 70 out; openai 2, anthropic 1, ollama 1"
    ) in text
    assert "Language models: 5 calls (1 failed), median 1.7 s" in text


def test_the_language_model_calls_keep_their_cap(db: sqlite3.Connection) -> None:
    for i in range(30):
        failed = LlmError("rate_limited", "slow down", provider=f"p{i}")
        llm_calls.record(db, "ask", failed, at=NOW - HOUR, cap=10)
        assert db.execute("SELECT count(*) FROM llm_calls").fetchone()[0] <= 10
    providers = [row[0] for row in db.execute("SELECT provider FROM llm_calls ORDER BY id")]
    assert providers == [f"p{i}" for i in range(20, 30)]  # the newest are kept
    assert periods(db)[0].llm.calls == 10


def test_no_language_model_lines_without_calls(db: sqlite3.Connection) -> None:
    day, _ = periods(db)
    assert day.llm == LlmSummary()
    assert "Language models" not in format_analytics([day])
