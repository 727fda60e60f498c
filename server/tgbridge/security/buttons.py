"""Single-use inline buttons. Each button's callback data is a random token standing for
an action and its payload, bound to the user it was shown to, the message it sits under
and an expiry. The buttons of one message form a group: pressing one uses up all of them,
once, even when two presses race (the group is marked used in one transaction)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tgbridge.store.database import transaction

KEEP_EXPIRED_SECONDS = 86_400  # expired rows are kept a day (a late press says "expired")

RefusedReason = Literal["unknown", "used", "expired", "not_yours", "other_message"]

REFUSED_TEXT: dict[RefusedReason, str] = {
    "unknown": "This button is no longer valid.",
    "used": "This button was already used.",
    "expired": "This button has expired.",
    "not_yours": "This button is not for you.",
    "other_message": "This button belongs to another message.",
}


@dataclass(frozen=True)
class Pressed:
    action: str
    payload: dict[str, Any]
    token: str


@dataclass(frozen=True)
class Refused:
    reason: RefusedReason
    text: str  # a short phrase for the person who pressed


class Buttons:
    def __init__(self, db: sqlite3.Connection, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def issue(
        self,
        *,
        user_id: int,
        chat_id: int,
        choices: list[tuple[str, str, dict[str, Any]]],
        ttl: float = 600,
    ) -> list[tuple[str, bytes]]:
        """The buttons of one message: (label, action, payload) in, (label, callback data)
        out. The data is an ASCII token of 22 bytes (Telegram allows 64)."""
        group = secrets.token_urlsafe(12)
        expires_at = self._clock() + ttl
        rows = [
            (secrets.token_urlsafe(16), group, user_id, chat_id, action, _json(payload))
            for _, action, payload in choices
        ]
        with transaction(self._db):
            self._db.executemany(
                "INSERT INTO buttons (token, grp, user_id, chat_id, action, payload, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*row, expires_at) for row in rows],
            )
        return [
            (label, row[0].encode("ascii"))
            for (label, _, _), row in zip(choices, rows, strict=True)
        ]

    def bind(self, data: Sequence[bytes | str], message_id: int) -> None:
        """Ties the buttons to the message they were sent with, once its id is known."""
        tokens = [token for token in map(_token, data) if token is not None]
        with transaction(self._db):
            self._db.executemany(
                "UPDATE buttons SET message_id = ? WHERE token = ?",
                [(message_id, token) for token in tokens],
            )

    def press(
        self, data: bytes | str, *, user_id: int, chat_id: int, message_id: int
    ) -> Pressed | Refused:
        """What the button stands for, used up with its group; or why not. A press by
        someone else uses nothing up."""
        token = _token(data)
        if token is None:
            return _refused("unknown")
        now = self._clock()
        with transaction(self._db):
            row = self._db.execute(
                "SELECT grp, user_id, chat_id, message_id, action, payload, expires_at, used_at"
                " FROM buttons WHERE token = ?",
                (token,),
            ).fetchone()
            if row is None:
                return _refused("unknown")
            if row["user_id"] != user_id:
                return _refused("not_yours")
            if row["chat_id"] != chat_id or row["message_id"] not in (None, message_id):
                return _refused("other_message")
            if row["used_at"] is not None:
                return _refused("used")
            if now >= row["expires_at"]:
                return _refused("expired")
            marked = self._db.execute(
                "UPDATE buttons SET used_at = ? WHERE grp = ? AND used_at IS NULL",
                (now, row["grp"]),
            )
            if marked.rowcount == 0:  # another press got there first
                return _refused("used")
        return Pressed(row["action"], json.loads(row["payload"]), token)

    def prune(self) -> int:
        """Deletes buttons expired more than a day ago; returns how many."""
        with transaction(self._db):
            deleted = self._db.execute(
                "DELETE FROM buttons WHERE expires_at < ?",
                (self._clock() - KEEP_EXPIRED_SECONDS,),
            )
        return deleted.rowcount


def _token(data: bytes | str) -> str | None:
    if isinstance(data, str):
        return data if data.isascii() else None
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        return None


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _refused(reason: RefusedReason) -> Refused:
    return Refused(reason, REFUSED_TEXT[reason])
