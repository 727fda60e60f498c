"""The outbox table: every outgoing Telegram message, from queued to sent or failed.

Each row's MTProto `random_id` is chosen once, when the row is written, so a resend after
a crash carries the same id and Telegram deduplicates it.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

RowKind = Literal["text", "file"]
SendState = Literal["queued", "sent", "failed"]


@dataclass(frozen=True)
class NewMessage:
    kind: RowKind
    payload: dict[str, Any]


@dataclass(frozen=True)
class OutboxRow:
    id: int
    send_id: int
    chat_id: int
    kind: RowKind
    payload: dict[str, Any]
    reply_to: int | None
    random_id: int
    attempts: int


@dataclass(frozen=True)
class SendStatus:
    send_id: int
    chat_id: int
    state: SendState
    telegram_ids: list[int]
    error: str | None


class OutboxStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def enqueue(
        self,
        chat_id: int,
        messages: Sequence[NewMessage],
        reply_to: int | None,
        *,
        client_key: str | None = None,
    ) -> int:
        """Writes the messages of one send; returns its send id once committed. A send
        with a `client_key` already queued returns that send's id and writes nothing."""
        now = time.time()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if client_key is not None:
                known = self._db.execute(
                    "SELECT send_id FROM outbox WHERE client_key = ?", (client_key,)
                ).fetchone()
                if known is not None:
                    self._db.execute("COMMIT")
                    return int(known[0])
            send_id = 0
            for index, message in enumerate(messages):
                cursor = self._db.execute(
                    "INSERT INTO outbox (send_id, chat_id, kind, payload, reply_to, random_id,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        send_id,
                        chat_id,
                        message.kind,
                        json.dumps(message.payload),
                        reply_to if index == 0 else None,
                        secrets.randbits(63),
                        now,
                    ),
                )
                if index == 0:
                    send_id = cursor.lastrowid or 0
                    self._db.execute(
                        "UPDATE outbox SET send_id = ?, client_key = ? WHERE id = ?",
                        (send_id, client_key, send_id),
                    )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return send_id

    def chats_with_queued(self) -> list[int]:
        rows = self._db.execute("SELECT DISTINCT chat_id FROM outbox WHERE state = 'queued'")
        return [row[0] for row in rows]

    def next_queued(self, chat_id: int) -> OutboxRow | None:
        row = self._db.execute(
            "SELECT * FROM outbox WHERE chat_id = ? AND state = 'queued' ORDER BY id LIMIT 1",
            (chat_id,),
        ).fetchone()
        if row is None:
            return None
        return OutboxRow(
            id=row["id"],
            send_id=row["send_id"],
            chat_id=row["chat_id"],
            kind=row["kind"],
            payload=json.loads(row["payload"]),
            reply_to=row["reply_to"],
            random_id=row["random_id"],
            attempts=row["attempts"],
        )

    def count_attempt(self, row_id: int) -> None:
        self._db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (row_id,))

    def mark_sent(self, row_id: int, telegram_id: int | None) -> None:
        self._db.execute(
            "UPDATE outbox SET state = 'sent', telegram_id = ?, sent_at = ? WHERE id = ?",
            (telegram_id, time.time(), row_id),
        )

    def mark_failed(self, row_id: int, error: str) -> None:
        self._db.execute(
            "UPDATE outbox SET state = 'failed', error = ? WHERE id = ?", (error, row_id)
        )

    def status(self, send_id: int) -> SendStatus | None:
        rows = self._db.execute(
            "SELECT chat_id, state, telegram_id, error FROM outbox WHERE send_id = ? ORDER BY id",
            (send_id,),
        ).fetchall()
        if not rows:
            return None
        states = {row["state"] for row in rows}
        state: SendState = (
            "failed" if "failed" in states else "queued" if "queued" in states else "sent"
        )
        return SendStatus(
            send_id=send_id,
            chat_id=rows[0]["chat_id"],
            state=state,
            telegram_ids=[row["telegram_id"] for row in rows if row["telegram_id"] is not None],
            error=next((row["error"] for row in rows if row["error"]), None),
        )
