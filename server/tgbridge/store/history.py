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
    account_id: int = 0
    file_state: str | None = None  # "downloading", "saved", or why the file is not saved


@dataclass(frozen=True)
class HistoryPage:
    messages: list[StoredMessage]
    next_cursor: int | None  # pass as `before` for the next (older) page


class HistoryStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def record(self, message: StoredMessage) -> bool:
        """Stores a new message, or the new text of an edited one; False when the store
        already had it as it is (a message Telegram delivered again)."""
        cursor = self._db.execute(
            "INSERT INTO messages (account_id, chat_id, message_id, sender_id, outgoing, text,"
            " reply_to, date, edit_date, file_path, file_state)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (account_id, chat_id, message_id) DO UPDATE SET text = excluded.text,"
            " edit_date = excluded.edit_date,"
            " file_path = coalesce(excluded.file_path, messages.file_path)"
            " WHERE excluded.edit_date IS NOT NULL AND excluded.text != messages.text",
            (
                message.account_id,
                message.chat_id,
                message.message_id,
                message.sender_id,
                int(message.outgoing),
                message.text,
                message.reply_to,
                message.date,
                message.edit_date,
                message.file_path,
                message.file_state,
            ),
        )
        return cursor.rowcount > 0

    def set_file(
        self, account_id: int, chat_id: int, message_id: int, path: str | None, state: str
    ) -> StoredMessage | None:
        """Records where a received file went (or why it did not); returns the message."""
        row = self._db.execute(
            "UPDATE messages SET file_path = ?, file_state = ? WHERE account_id = ?"
            " AND chat_id = ? AND message_id = ? RETURNING rowid AS cursor, *",
            (path, state, account_id, chat_id, message_id),
        ).fetchone()
        return _message(row) if row is not None else None

    def edited(
        self, account_id: int, chat_id: int, message_id: int, text: str, at: float
    ) -> StoredMessage | None:
        """A message this account edited (the bot's answer as it streams, a task's output):
        its new text; None when the history does not have it or it says that already."""
        row = self._db.execute(
            "UPDATE messages SET text = ?, edit_date = ? WHERE account_id = ?"
            " AND chat_id = ? AND message_id = ? AND text != ? RETURNING rowid AS cursor, *",
            (text, at, account_id, chat_id, message_id, text),
        ).fetchone()
        return _message(row) if row is not None else None

    def forget_files(self, paths: list[str], state: str) -> None:
        """Received files removed to keep within the quota: the history says so."""
        self._db.executemany(
            "UPDATE messages SET file_path = NULL, file_state = ? WHERE file_path = ?",
            [(state, path) for path in paths],
        )

    def mark_unseen(self, account_id: int, chat_id: int, message_id: int) -> None:
        self._db.execute(
            "UPDATE messages SET unseen = 1 WHERE account_id = ? AND chat_id = ?"
            " AND message_id = ?",
            (account_id, chat_id, message_id),
        )

    def mark_seen(self, account_id: int, chat_id: int, message_id: int) -> None:
        self._db.execute(
            "UPDATE messages SET unseen = 0 WHERE account_id = ? AND chat_id = ?"
            " AND message_id = ? AND unseen = 1",
            (account_id, chat_id, message_id),
        )

    def unseen(self, account_id: int) -> list[StoredMessage]:
        """The messages no window has shown yet, oldest first."""
        rows = self._db.execute(
            "SELECT rowid AS cursor, * FROM messages WHERE account_id = ? AND unseen = 1"
            " ORDER BY rowid",
            (account_id,),
        ).fetchall()
        return [_message(row) for row in rows]

    def mark_unfinished_downloads(self, state: str) -> int:
        """Downloads a stopped process left: recorded as incomplete, not left pending."""
        cursor = self._db.execute(
            "UPDATE messages SET file_state = ? WHERE file_state = 'downloading'", (state,)
        )
        return cursor.rowcount

    def last_message_id(self, account_id: int) -> int:
        """The highest message id of the account outside channels (one sequence there)."""
        row = self._db.execute(
            "SELECT max(message_id) FROM messages WHERE account_id = ?"
            " AND chat_id > -1000000000000",
            (account_id,),
        ).fetchone()
        return int(row[0] or 0)

    def newest_date(self, account_id: int) -> float | None:
        """The date of the account's newest stored message (rowids grow with time)."""
        row = self._db.execute(
            "SELECT date FROM messages WHERE account_id = ? ORDER BY rowid DESC LIMIT 1",
            (account_id,),
        ).fetchone()
        return float(row[0]) if row is not None else None

    def page(
        self,
        *,
        chat_id: int | None = None,
        search: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> HistoryPage:
        """Newest first; `search` matches whole words anywhere in the text."""
        where: list[str] = []
        args: list[str | int] = []
        if search and search.strip():
            # Driven by the full-text index, newest first: FTS5 hands out matching rowids
            # in descending order and applies the cursor itself, so a page reads only the
            # matches it needs instead of sorting every one (a common word matches a good
            # share of the history). CROSS JOIN keeps that order: messages is never the
            # outer loop, and each match finds its row by rowid.
            source = "messages_fts f CROSS JOIN messages m ON m.rowid = f.rowid"
            order = "f.rowid"
            where.append("messages_fts MATCH ?")
            args.append(_fts_query(search))
        else:
            source = "messages m"
            order = "m.rowid"
        if before is not None:
            where.append(f"{order} < ?")
            args.append(before)
        if chat_id is not None:
            where.append("m.chat_id = ?")
            args.append(chat_id)
        condition = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.execute(
            f"SELECT m.rowid AS cursor, m.* FROM {source} {condition}"
            f" ORDER BY {order} DESC LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
        messages = [_message(row) for row in rows[:limit]]
        next_cursor = messages[-1].cursor if len(rows) > limit else None
        return HistoryPage(messages, next_cursor)

    def chats(self, account_id: int, limit: int = 100) -> list[StoredMessage]:
        """The newest message of each chat, most recent chat first."""
        rows = self._db.execute(
            "SELECT m.rowid AS cursor, m.* FROM messages m JOIN ("
            " SELECT max(rowid) AS newest FROM messages WHERE account_id = ? GROUP BY chat_id"
            ") AS latest ON m.rowid = latest.newest ORDER BY m.rowid DESC LIMIT ?",
            (account_id, limit),
        ).fetchall()
        return [_message(row) for row in rows]


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
        account_id=row["account_id"],
        file_state=row["file_state"],
    )
