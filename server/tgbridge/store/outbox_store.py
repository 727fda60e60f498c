"""The outbox table: every outgoing Telegram message, from queued to sent or failed.

Each row's MTProto `random_id` is chosen once, when the row is written, so a resend after
a crash carries the same id and Telegram deduplicates it. A send the editor names with a
`client_key` gets random ids derived from that key, so even a row lost to a power cut
comes back with the same ids when the editor retries. A row belongs to the account
that queued it and only ever goes out from that account. A row for an `@username` that
could not be resolved yet (offline) waits with chat id 0 and its `chat_ref`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tgbridge.store.database import durable, flush, transaction

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
    account_id: int = 0


@dataclass(frozen=True)
class SendStatus:
    send_id: int
    chat_id: int
    state: SendState
    telegram_ids: list[int]
    error: str | None
    account_id: int = 0


class OutboxStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def enqueue(
        self,
        chat_id: int,
        messages: Sequence[NewMessage],
        reply_to: int | None,
        *,
        account_id: int,
        client_key: str | None = None,
        chat_ref: str | None = None,
    ) -> int:
        """Writes the messages of one send; returns its send id. A send with a `client_key`
        already queued returns that send's id and writes nothing. `chat_id` 0 with
        `chat_ref`: resolved later.

        Without a `client_key` the commit is on disk before this returns (it survives a
        power cut). With one, the caller may put the message on the wire first and `flush()`
        before it reports the send queued: a resend of a row lost in between carries the
        same random ids, which Telegram drops."""
        now = time.time()
        with durable(self._db) if client_key is None else transaction(self._db):
            if client_key is not None:
                known = self._db.execute(
                    "SELECT send_id FROM outbox WHERE client_key = ?", (client_key,)
                ).fetchone()
                if known is not None:
                    return int(known[0])
            send_id = 0
            for index, message in enumerate(messages):
                cursor = self._db.execute(
                    "INSERT INTO outbox (send_id, chat_id, kind, payload, reply_to, random_id,"
                    " created_at, account_id, chat_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        send_id,
                        chat_id,
                        message.kind,
                        json.dumps(message.payload),
                        reply_to if index == 0 else None,
                        _random_id(client_key, index),
                        now,
                        account_id,
                        chat_ref,
                    ),
                )
                if index == 0:
                    send_id = cursor.lastrowid or 0
                    self._db.execute(
                        "UPDATE outbox SET send_id = ?, client_key = ? WHERE id = ?",
                        (send_id, client_key, send_id),
                    )
        return send_id

    def flush(self) -> None:
        """Makes every commit so far survive a power cut."""
        flush(self._db)

    def chats_with_queued(self, account_id: int) -> list[int]:
        rows = self._db.execute(
            "SELECT DISTINCT chat_id FROM outbox WHERE state = 'queued' AND account_id = ?"
            " AND chat_id != 0",
            (account_id,),
        )
        return [row[0] for row in rows]

    def next_queued(self, chat_id: int, account_id: int) -> OutboxRow | None:
        row = self._db.execute(
            "SELECT * FROM outbox WHERE chat_id = ? AND account_id = ? AND state = 'queued'"
            " ORDER BY id LIMIT 1",
            (chat_id, account_id),
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
            account_id=row["account_id"],
        )

    def unresolved(self, account_id: int) -> list[str]:
        """The `@username`s queued sends wait on, oldest first."""
        rows = self._db.execute(
            "SELECT chat_ref FROM outbox WHERE state = 'queued' AND account_id = ?"
            " AND chat_id = 0 GROUP BY chat_ref ORDER BY min(id)",
            (account_id,),
        )
        return [row[0] for row in rows]

    def resolve(self, account_id: int, chat_ref: str, chat_id: int) -> None:
        self._db.execute(
            "UPDATE outbox SET chat_id = ? WHERE state = 'queued' AND account_id = ?"
            " AND chat_id = 0 AND chat_ref = ?",
            (chat_id, account_id, chat_ref),
        )

    def fail_unresolved(self, account_id: int, chat_ref: str, error: str) -> list[int]:
        """Fails the sends waiting on a chat Telegram does not know; returns their ids."""
        rows = self._db.execute(
            "UPDATE outbox SET state = 'failed', error = ? WHERE state = 'queued'"
            " AND account_id = ? AND chat_id = 0 AND chat_ref = ? RETURNING send_id",
            (error, account_id, chat_ref),
        ).fetchall()
        return sorted({row[0] for row in rows})

    def queued_sends(self, *, except_account: int | None = None) -> list[int]:
        """Send ids still queued (optionally: of every account but one)."""
        rows = self._db.execute(
            "SELECT DISTINCT send_id FROM outbox WHERE state = 'queued' AND account_id != ?"
            " ORDER BY send_id",
            (-1 if except_account is None else except_account,),
        )
        return [row[0] for row in rows]

    def count_attempt(self, row_id: int) -> None:
        self._db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (row_id,))

    def mark_sent(self, row_id: int, telegram_id: int | None) -> None:
        self._db.execute(
            "UPDATE outbox SET state = 'sent', telegram_id = ?, sent_at = ? WHERE id = ?",
            (telegram_id, time.time(), row_id),
        )

    def mark_failed(self, row_id: int, error: str) -> None:
        """Fails the row and the parts of its send still queued after it: a split message
        is never delivered with a hole in the middle."""
        self._db.execute(
            "UPDATE outbox SET state = 'failed', error = ? WHERE id = ?", (error, row_id)
        )
        self._db.execute(
            "UPDATE outbox SET state = 'failed', error = 'not sent: an earlier part failed'"
            " WHERE state = 'queued' AND id > ?"
            " AND send_id = (SELECT send_id FROM outbox WHERE id = ?)",
            (row_id, row_id),
        )

    def retry(self, send_id: int) -> bool:
        """A failed send queued again with the same random ids (Telegram drops a part it
        already has); False when it had not failed."""
        with transaction(self._db):
            cursor = self._db.execute(
                "UPDATE outbox SET state = 'queued', error = NULL, attempts = 0"
                " WHERE send_id = ? AND state = 'failed'",
                (send_id,),
            )
        return cursor.rowcount > 0

    def cancel(self, send_id: int) -> bool:
        """The send's parts not yet sent are dropped (a part on the wire may still land);
        False when nothing of it was waiting."""
        with transaction(self._db):
            cursor = self._db.execute(
                "UPDATE outbox SET state = 'failed', error = ? WHERE send_id = ?"
                " AND (state = 'queued' OR state = 'failed')",
                (CANCELLED, send_id),
            )
        return cursor.rowcount > 0

    def status(self, send_id: int) -> SendStatus | None:
        rows = self._db.execute(
            "SELECT chat_id, state, telegram_id, error, account_id FROM outbox WHERE send_id = ?"
            " ORDER BY id",
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
            account_id=rows[0]["account_id"],
        )


CANCELLED = "cancelled"


@dataclass(frozen=True)
class PendingSend:
    """A send not (yet) delivered: queued, or failed and waiting for Retry or Cancel."""

    send_id: int
    chat_id: int
    state: SendState
    preview: str
    error: str | None
    created_at: float
    account_id: int


def pending_sends(db: sqlite3.Connection, account_id: int, limit: int = 200) -> list[PendingSend]:
    rows = db.execute(
        "SELECT send_id, chat_id, max(state = 'failed') AS failed, min(created_at) AS created,"
        " group_concat(error, ' ') AS errors, min(payload) AS payload, account_id"
        " FROM outbox WHERE account_id = ? AND (state = 'queued'"
        " OR (state = 'failed' AND coalesce(error, '') != ?))"
        " GROUP BY send_id ORDER BY send_id LIMIT ?",
        (account_id, CANCELLED, limit),
    ).fetchall()
    return [
        PendingSend(
            send_id=row["send_id"],
            chat_id=row["chat_id"],
            state="failed" if row["failed"] else "queued",
            preview=_preview(json.loads(row["payload"])),
            error=row["errors"],
            created_at=row["created"],
            account_id=row["account_id"],
        )
        for row in rows
    ]


def _preview(payload: dict[str, Any]) -> str:
    text = str(payload.get("text") or payload.get("caption") or payload.get("name") or "")
    if not text and payload.get("path"):
        text = str(payload["path"]).rsplit("/", 1)[-1]
    return " ".join(text.split())[:200]


def _random_id(client_key: str | None, index: int) -> int:
    """The MTProto random_id of one part: from the editor's key when it gave one."""
    if client_key is None:
        return secrets.randbits(63)
    digest = hashlib.blake2b(f"{client_key}\n{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1
