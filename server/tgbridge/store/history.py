"""Message history: every message in and out, with edits, replies and full-text search."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredMessage:
    chat_id: int
    message_id: int
    sender_id: int | None
    outgoing: bool
    text: str
    date: float
    reply_to: int | None = None
    edit_date: float | None = None
    file_path: str | None = None
    cursor: int = 0  # the row's place in the history, for paging


@dataclass(frozen=True)
class HistoryPage:
    messages: list[StoredMessage]
    next_cursor: int | None  # pass as `before` for the next (older) page


class HistoryStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def record(self, message: StoredMessage) -> None:
        """Stores a new message, or the new text of an edited one."""
        self._db.execute(
            "INSERT INTO messages (chat_id, message_id, sender_id, outgoing, text, reply_to, date,"
            " edit_date, file_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (chat_id, message_id) DO UPDATE SET text = excluded.text,"
            " edit_date = excluded.edit_date,"
            " file_path = coalesce(excluded.file_path, messages.file_path)",
            (
                message.chat_id,
                message.message_id,
                message.sender_id,
                int(message.outgoing),
                message.text,
                message.reply_to,
                message.date,
                message.edit_date,
                message.file_path,
            ),
        )

    def page(
        self,
        *,
        chat_id: int | None = None,
        search: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> HistoryPage:
        """Newest first; `search` matches whole words anywhere in the text."""
        where: list[str] = ["1 = 1"]
        args: list[str | int] = []
        source = "messages m"
        if search and search.strip():
            source = "messages_fts f JOIN messages m ON m.rowid = f.rowid"
            where.append("messages_fts MATCH ?")
            args.append(_fts_query(search))
        if chat_id is not None:
            where.append("m.chat_id = ?")
            args.append(chat_id)
        if before is not None:
            where.append("m.rowid < ?")
            args.append(before)
        rows = self._db.execute(
            f"SELECT m.rowid AS cursor, m.* FROM {source} WHERE {' AND '.join(where)}"
            " ORDER BY m.rowid DESC LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
        messages = [_message(row) for row in rows[:limit]]
        next_cursor = messages[-1].cursor if len(rows) > limit else None
        return HistoryPage(messages, next_cursor)


def _fts_query(search: str) -> str:
    """Each word quoted, so the user's text is never read as FTS5 syntax."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in search.split())


def _message(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        sender_id=row["sender_id"],
        outgoing=bool(row["outgoing"]),
        text=row["text"],
        date=row["date"],
        reply_to=row["reply_to"],
        edit_date=row["edit_date"],
        file_path=row["file_path"],
        cursor=row["cursor"],
    )
