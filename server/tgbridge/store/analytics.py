"""/analytics: what the bridge did over the last day and week, from the store alone.

Messages and the outbox are the account's; the audit and event logs are the hub's (they
name no account). A period is the time since `now - seconds`: something dated a little
after `now` (another clock) still counts.

The history may hold a million messages and has no index on `date`: the counts read the
account's rows once for all periods together, in rowid order (through the unique index,
which has no date, each row costs a lookup: several times slower). The medians look at the
newest REPLY_SAMPLE / QUEUE_SAMPLE rows of the period, found walking back from the newest
row (rowids follow arrival), which stops once it has them all.

A reply is the next outgoing message of the chat in Telegram's numbering (message ids
follow the order messages were sent), found along the (account_id, chat_id, message_id)
index: the walk from an incoming message stops at its reply, and incoming messages that
share a reply share one walk (a chat of unanswered messages is read once, not once per
message). A reply dated before its message (two clocks) took 0 s."""

from __future__ import annotations

import re
import sqlite3
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from tgbridge.store.llm_calls import LlmSummary, summary

DEFAULT_PERIODS: tuple[tuple[str, float], ...] = (("24 h", 86400), ("7 days", 7 * 86400))
REPLY_WINDOW = 86400.0  # a reply later than this answers nothing
REPLY_SAMPLE = 5000  # the newest incoming messages whose reply times are measured
QUEUE_SAMPLE = 5000  # the newest sent outbox rows whose queue waits are measured
MAX_TEXT = 3500
MAX_COMMANDS_SHOWN = 10


@dataclass(frozen=True)
class Period:
    label: str  # "24 h" / "7 days"
    messages_in: int
    messages_out: int
    commands: dict[str, int]  # {"/status": 3, ...}, most used first
    median_reply_seconds: float | None  # None: no incoming message answered within 24 h
    queue_wait_median: float | None  # sent_at - created_at; None: nothing was sent
    queue_waits_over_1s: int
    flood_waits: int
    flood_wait_seconds: float
    errors: int  # error events and failed outbox rows
    llm: LlmSummary = field(default_factory=LlmSummary)  # language-model calls


def analytics(
    db: sqlite3.Connection,
    *,
    account_id: int,
    now: float,
    periods: Sequence[tuple[str, float]] = DEFAULT_PERIODS,
) -> list[Period]:
    if not periods:
        return []
    starts = [now - seconds for _, seconds in periods]
    counts = _message_counts(db, account_id, starts)
    outbox = _outbox_counts(db, account_id, starts)
    samples = [
        _incoming_sample(db, account_id, start, min(REPLY_SAMPLE, messages_in))
        for start, (messages_in, _) in zip(starts, counts, strict=True)
    ]
    replies = _reply_times(db, account_id, {message for sample in samples for message in sample})
    result: list[Period] = []
    for (label, _), start, (messages_in, messages_out), (sent, slow, failed), sample in zip(
        periods, starts, counts, outbox, samples, strict=True
    ):
        delays = [replies[message] for message in sample if message in replies]
        waits = _queue_waits(db, account_id, start, min(QUEUE_SAMPLE, sent))
        flood_waits, flood_seconds = _events(db, "flood_wait", start)
        error_events, _ = _events(db, "error", start)
        result.append(
            Period(
                label=label,
                messages_in=messages_in,
                messages_out=messages_out,
                commands=_commands(db, start),
                median_reply_seconds=statistics.median(delays) if delays else None,
                queue_wait_median=statistics.median(waits) if waits else None,
                queue_waits_over_1s=slow,
                flood_waits=flood_waits,
                flood_wait_seconds=flood_seconds,
                errors=error_events + failed,
                llm=summary(db, start),
            )
        )
    return result


def format_analytics(periods: list[Period]) -> str:
    """A compact block for a Telegram message (Markdown: bold period titles)."""
    sections: list[str] = []
    for period in periods:
        lines = [
            f"**Last {period.label}**",
            f"Messages: {period.messages_in} in, {period.messages_out} out",
            f"Commands: {_format_commands(period.commands)}",
            "Median reply: "
            + (
                _duration(period.median_reply_seconds)
                if period.median_reply_seconds is not None
                else "no replies yet"
            ),
            "Queue: "
            + (
                f"median {_duration(period.queue_wait_median)},"
                f" {period.queue_waits_over_1s} {_plural(period.queue_waits_over_1s, 'wait')}"
                " over 1 s"
                if period.queue_wait_median is not None
                else "nothing sent"
            ),
            f"Flood waits: {period.flood_waits}"
            + (f" ({_duration(period.flood_wait_seconds)})" if period.flood_waits else ""),
            f"Errors: {period.errors}",
        ]
        if period.llm.calls:
            lines += _llm_lines(period.llm)
        sections.append("\n".join(lines))
    text = "\n\n".join(sections) if sections else "No analytics."
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


# ---- queries ---------------------------------------------------------------------


def _message_counts(
    db: sqlite3.Connection, account_id: int, starts: list[float]
) -> list[tuple[int, int]]:
    """(in, out) per period, in one pass over the account's rows since the earliest start.
    `+account_id` keeps the planner off the unique index (the table is read in rowid
    order): on a million rows the index's lookups take about seven times as long."""
    columns = ", ".join(
        "count(*) FILTER (WHERE outgoing = 0 AND date >= ?),"
        " count(*) FILTER (WHERE outgoing = 1 AND date >= ?)"
        for _ in starts
    )
    row = db.execute(
        f"SELECT {columns} FROM messages WHERE +account_id = ? AND date >= ?",
        (*(start for start in starts for _ in range(2)), account_id, min(starts)),
    ).fetchone()
    return [(int(row[2 * i]), int(row[2 * i + 1])) for i in range(len(starts))]


Incoming = tuple[int, int, float]  # chat_id, message_id, date


def _incoming_sample(
    db: sqlite3.Connection, account_id: int, since: float, limit: int
) -> list[Incoming]:
    """(chat_id, message_id, date) of the account's newest `limit` incoming messages since
    `since`. Rowids follow arrival, so the walk back from the newest row ends soon after
    the period's oldest message (`limit` is at most how many there are, so it stops there
    instead of reading the rest of the history)."""
    if limit <= 0:
        return []
    rows = db.execute(
        "SELECT chat_id, message_id, date FROM messages WHERE +account_id = ?"
        " AND outgoing = 0 AND date >= ? ORDER BY rowid DESC LIMIT ?",
        (account_id, since, limit),
    ).fetchall()
    return [(int(chat_id), int(message_id), float(date)) for chat_id, message_id, date in rows]


def _reply_times(
    db: sqlite3.Connection, account_id: int, incoming: set[Incoming]
) -> dict[Incoming, float]:
    """Seconds from each incoming message to the next outgoing message of its chat, for
    those answered within REPLY_WINDOW."""
    by_chat: dict[int, list[Incoming]] = defaultdict(list)
    for message in incoming:
        by_chat[message[0]].append(message)
    result: dict[Incoming, float] = {}
    for chat_id, messages in by_chat.items():
        messages.sort()
        i = 0
        while i < len(messages):
            reply = db.execute(
                "SELECT message_id, date FROM messages WHERE account_id = ? AND chat_id = ?"
                " AND message_id > ? AND outgoing = 1 ORDER BY message_id LIMIT 1",
                (account_id, chat_id, messages[i][1]),
            ).fetchone()
            if reply is None:
                break  # nothing was sent in this chat after it
            reply_id, reply_date = reply
            # Every message before the reply is answered by it (when within the window).
            while i < len(messages) and messages[i][1] < reply_id:
                delay = reply_date - messages[i][2]
                if delay < REPLY_WINDOW:
                    result[messages[i]] = max(0.0, delay)
                i += 1
    return result


def _outbox_counts(
    db: sqlite3.Connection, account_id: int, starts: list[float]
) -> list[tuple[int, int, int]]:
    """(sent, sent after waiting over 1 s, failed) per period, in one pass. A failure has
    no time of its own: the row's creation stands in for it."""
    columns = ", ".join(
        "count(*) FILTER (WHERE state = 'sent' AND sent_at >= ?),"
        " count(*) FILTER (WHERE state = 'sent' AND sent_at >= ? AND sent_at - created_at > 1),"
        " count(*) FILTER (WHERE state = 'failed' AND created_at >= ?)"
        for _ in starts
    )
    row = db.execute(
        f"SELECT {columns} FROM outbox WHERE account_id = ? AND state IN ('sent', 'failed')",
        (*(start for start in starts for _ in range(3)), account_id),
    ).fetchone()
    return [(int(row[3 * i]), int(row[3 * i + 1]), int(row[3 * i + 2])) for i in range(len(starts))]


def _queue_waits(db: sqlite3.Connection, account_id: int, since: float, limit: int) -> list[float]:
    """How long the newest `limit` rows sent since `since` waited in the queue (walking
    back from the newest row, as `_incoming_sample` does)."""
    if limit <= 0:
        return []
    rows = db.execute(
        "SELECT max(sent_at - created_at, 0.0) FROM outbox WHERE account_id = ?"
        " AND state = 'sent' AND sent_at >= ? ORDER BY id DESC LIMIT ?",
        (account_id, since, limit),
    ).fetchall()
    return [float(wait) for (wait,) in rows]


def _events(db: sqlite3.Connection, kind: str, since: float) -> tuple[int, float]:
    """How many events of the kind since `since`, and the total of their values."""
    row = db.execute(
        "SELECT count(*), total(value) FROM events WHERE kind = ? AND at >= ?", (kind, since)
    ).fetchone()
    return int(row[0]), float(row[1])


def _commands(db: sqlite3.Connection, since: float) -> dict[str, int]:
    """Commands that ran (audit actions `command:<name>`, outcome ok), most used first."""
    rows = db.execute(
        "SELECT action, count(*) FROM audit WHERE at >= ? AND action LIKE 'command:%'"
        " AND outcome = 'ok' GROUP BY action",
        (since,),
    ).fetchall()
    counts: Counter[str] = Counter()
    for action, count in rows:
        name = str(action)[len("command:") :].strip()
        counts["/" + name.lstrip("/")] += int(count)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


# ---- formatting ------------------------------------------------------------------


def _format_commands(commands: dict[str, int]) -> str:
    if not commands:
        return "none"
    shown = [
        f"{_command_name(name)} {count}"
        for name, count in list(commands.items())[:MAX_COMMANDS_SHOWN]
    ]
    rest = len(commands) - len(shown)
    return ", ".join(shown) + (f", +{rest} more" if rest > 0 else "")


def _llm_lines(llm: LlmSummary) -> list[str]:
    """Shown only when there were calls: most workspaces use no language model."""
    calls = f"{llm.calls} {_plural(llm.calls, 'call')}" + (
        f" ({llm.failed} failed)" if llm.failed else ""
    )
    latency = (
        f", median {_duration(llm.median_latency_ms / 1000)}"
        if llm.median_latency_ms is not None
        else ""
    )
    providers = ", ".join(
        f"{_command_name(name).lstrip('/')} {count}"
        for name, count in list(llm.by_provider.items())[:MAX_COMMANDS_SHOWN]
    )
    return [
        f"Language models: {calls}{latency}",
        f"Tokens: {llm.input_tokens} in, {llm.output_tokens} out; {providers}",
    ]


def _command_name(name: str) -> str:
    """Only the characters a bot command has: nothing read as Markdown, nothing long."""
    return re.sub(r"[^\w/@-]", "", name)[:40] or "/?"


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"
