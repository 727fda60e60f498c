"""The allowlist (who may use the bot, with which role) and the audit log of what they
did. Deny by default: a user id not in `users` has no role; an unknown user is answered
with one fixed refusal at most per interval, even across hub restarts."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from tgbridge.security.roles import Role
from tgbridge.store.database import transaction

AUDIT_DETAIL_MAX = 500
AUDIT_CAP = 100_000  # rows kept; the oldest go first
AUDIT_PRUNE_EVERY = 1000  # inserts between two prunings
REFUSALS_REMEMBERED = 10_000  # users whose last refusal is kept in memory


class AccessError(Exception):
    """A change to the allowlist that is refused; `message` can be shown as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class User:
    user_id: int
    role: Role
    name: str
    added_at: float


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: float
    user_id: int | None
    action: str
    outcome: str
    detail: str


class AccessStore:
    def __init__(
        self,
        db: sqlite3.Connection,
        *,
        clock: Callable[[], float] = time.time,
        refusal_interval: float = 3600,
        audit_cap: int = AUDIT_CAP,
        audit_prune_every: int = AUDIT_PRUNE_EVERY,
    ) -> None:
        self._db = db
        self._clock = clock
        self._refusal_interval = refusal_interval
        self._audit_cap = audit_cap
        self._audit_prune_every = audit_prune_every
        self._inserts = 0  # the first insert after a start prunes too
        self._refused: dict[int, float] = {}  # user id -> when last answered, oldest first

    # ---- the allowlist -------------------------------------------------------------

    def role_of(self, user_id: int) -> Role | None:
        row = self._db.execute("SELECT role FROM users WHERE user_id = ?", (user_id,)).fetchone()
        return cast(Role, row["role"]) if row else None

    def get(self, user_id: int) -> User | None:
        return read_user(self._db, user_id)

    def users(self) -> list[User]:
        """The owner first, then everyone in the order they were added."""
        rows = self._db.execute(
            "SELECT user_id, role, name, added_at FROM users"
            " ORDER BY role != 'owner', added_at, user_id"
        )
        return [_user(row) for row in rows]

    def owner(self) -> User | None:
        row = self._db.execute(
            "SELECT user_id, role, name, added_at FROM users WHERE role = 'owner'"
            " ORDER BY added_at, user_id LIMIT 1"
        ).fetchone()
        return _user(row) if row else None

    def add(self, user_id: int, role: Role, name: str) -> User:
        """Adds the user, or changes the role and name of one already there (keeping when
        they were added). Raises AccessError when that would leave no owner."""
        with transaction(self._db):
            return write_user(self._db, user_id, role, name, self._clock())

    def set_role(self, user_id: int, role: Role) -> User:
        with transaction(self._db):
            user = read_user(self._db, user_id)
            if user is None:
                raise AccessError(f"User {user_id} is not on the allowlist.")
            return write_user(self._db, user_id, role, user.name, self._clock())

    def remove(self, user_id: int) -> None:
        """Raises AccessError for a user not on the allowlist, or the last owner."""
        with transaction(self._db):
            user = read_user(self._db, user_id)
            if user is None:
                raise AccessError(f"User {user_id} is not on the allowlist.")
            if user.role == "owner" and _owners(self._db) <= 1:
                raise AccessError("The last owner cannot be removed.")
            self._db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))

    # ---- the audit log ---------------------------------------------------------------

    def audit(self, user_id: int | None, action: str, outcome: str, detail: str = "") -> None:
        """One row, committed (not forced to disk: a power cut may lose the last few)."""
        with transaction(self._db):
            self._insert_audit(user_id, action, outcome, detail, self._clock())

    def audit_log(self, *, limit: int = 20, before_id: int | None = None) -> list[AuditRow]:
        """Newest first; pass the last row's id as `before_id` for the next (older) page."""
        rows = self._db.execute(
            "SELECT id, at, user_id, action, outcome, detail FROM audit"
            " WHERE ?1 IS NULL OR id < ?1 ORDER BY id DESC LIMIT ?2",
            (before_id, limit),
        )
        return [
            AuditRow(
                row["id"], row["at"], row["user_id"], row["action"], row["outcome"], row["detail"]
            )
            for row in rows
        ]

    def audit_count(
        self,
        *,
        user_id: int | None = None,
        action: str | None = None,
        outcome: str | None = None,
    ) -> int:
        count: int = self._db.execute(
            "SELECT count(*) FROM audit WHERE (?1 IS NULL OR user_id = ?1)"
            " AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR outcome = ?3)",
            (user_id, action, outcome),
        ).fetchone()[0]
        return count

    def should_answer_refusal(self, user_id: int) -> bool:
        """Whether to send an unknown user the fixed refusal: once per interval per user.
        Remembered in memory and, across restarts, by the audit row this writes
        (action "refusal", outcome "answered") when it says yes."""
        now = self._clock()
        last = self._refused.get(user_id)
        if last is not None and now - last < self._refusal_interval:
            return False
        with transaction(self._db):
            row = self._db.execute(
                "SELECT max(at) FROM audit WHERE at > ? AND user_id = ?"
                " AND action = 'refusal' AND outcome = 'answered'",
                (now - self._refusal_interval, user_id),
            ).fetchone()
            answered_at: float | None = row[0]
            if answered_at is None:
                self._insert_audit(user_id, "refusal", "answered", "", now)
        self._remember_refusal(user_id, now if answered_at is None else answered_at)
        return answered_at is None

    def _remember_refusal(self, user_id: int, at: float) -> None:
        self._refused.pop(user_id, None)
        self._refused[user_id] = at
        while len(self._refused) > REFUSALS_REMEMBERED:
            del self._refused[next(iter(self._refused))]

    def _insert_audit(
        self, user_id: int | None, action: str, outcome: str, detail: str, at: float
    ) -> None:
        """Inside a transaction. Every `audit_prune_every` inserts, the oldest rows beyond
        `audit_cap` go."""
        self._db.execute(
            "INSERT INTO audit (at, user_id, action, outcome, detail) VALUES (?, ?, ?, ?, ?)",
            (at, user_id, action, outcome, detail[:AUDIT_DETAIL_MAX]),
        )
        if self._inserts % self._audit_prune_every == 0:
            self._db.execute(
                "DELETE FROM audit WHERE id < (SELECT id FROM audit ORDER BY id DESC"
                " LIMIT 1 OFFSET ?)",
                (self._audit_cap - 1,),
            )
        self._inserts += 1


def read_user(db: sqlite3.Connection, user_id: int) -> User | None:
    row = db.execute(
        "SELECT user_id, role, name, added_at FROM users WHERE user_id = ?", (user_id,)
    ).fetchone()
    return _user(row) if row else None


def write_user(db: sqlite3.Connection, user_id: int, role: Role, name: str, now: float) -> User:
    """Inside a transaction: adds the user, or changes their role and name. Raises
    AccessError when the last owner would lose the role."""
    before = read_user(db, user_id)
    if before is not None and before.role == "owner" and role != "owner" and _owners(db) <= 1:
        raise AccessError("The last owner cannot be demoted: make someone else owner first.")
    row = db.execute(
        "INSERT INTO users (user_id, role, name, added_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, name = excluded.name"
        " RETURNING user_id, role, name, added_at",
        (user_id, role, name, now),
    ).fetchall()[0]
    return _user(row)


def _owners(db: sqlite3.Connection) -> int:
    count: int = db.execute("SELECT count(*) FROM users WHERE role = 'owner'").fetchone()[0]
    return count


def _user(row: sqlite3.Row) -> User:
    return User(row["user_id"], cast(Role, row["role"]), row["name"], row["added_at"])
