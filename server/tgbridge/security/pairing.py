"""Pairing: how someone gets onto the allowlist. The owner makes a short-lived code in the
editor and gives it to the person, who sends it to the bot. The first to pair becomes the
owner; after that a correct code only asks, and the owner approves (with a role) or denies.

Only the code's SHA-256 is stored. Wrong guesses count per code, from anyone: after
`MAX_WRONG` of them the code is locked, even for the right guess, until a new one is made.
A locked, expired or used code answers the same whatever was guessed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from tgbridge.security.access import AccessError, AccessStore, User, read_user, write_user
from tgbridge.security.roles import Role
from tgbridge.store.database import transaction

# No 0/O, 1/I/L: a code read aloud or copied by hand is not mistyped.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8

Outcome = Literal["owner", "pending", "already", "wrong", "expired", "locked", "none"]


@dataclass(frozen=True)
class PairingCode:
    code: str
    expires_at: float


@dataclass(frozen=True)
class Redeemed:
    outcome: Outcome
    user: User | None = None  # "owner", "already"
    request_id: int | None = None  # "pending"
    tries_left: int | None = None  # "wrong"


@dataclass(frozen=True)
class PairingRequest:
    id: int
    user_id: int
    name: str
    requested_at: float
    state: str  # "pending", "approved", "denied"


class Pairing:
    VALID_SECONDS = 600
    MAX_WRONG = 5

    def __init__(
        self,
        db: sqlite3.Connection,
        access: AccessStore,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._access = access
        self._clock = clock

    def new_code(self) -> PairingCode:
        """A fresh code; any earlier one stops working."""
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        now = self._clock()
        expires_at = now + self.VALID_SECONDS
        with transaction(self._db):
            self._db.execute("DELETE FROM pairing_codes")
            self._db.execute(
                "INSERT INTO pairing_codes (code_hash, created_at, expires_at) VALUES (?, ?, ?)",
                (_hash(code), now, expires_at),
            )
        return PairingCode(code, expires_at)

    def redeem(self, user_id: int, name: str, code: str) -> Redeemed:
        """`code` as the person typed it: any case, spaces and dashes ignored."""
        guess = _hash(_normalize(code))  # hashed whatever happens next
        with transaction(self._db):
            result = self._redeem(user_id, name, guess, self._clock())
        detail = f"name={name}"
        if result.tries_left is not None:
            detail += f" tries_left={result.tries_left}"
        self._access.audit(user_id, "pair", result.outcome, detail)
        return result

    def _redeem(self, user_id: int, name: str, guess: str, now: float) -> Redeemed:
        user = read_user(self._db, user_id)
        if user is not None:
            return Redeemed("already", user=user)
        waiting = self._db.execute(
            "SELECT id FROM pairing_requests WHERE user_id = ? AND state = 'pending'"
            " ORDER BY id DESC LIMIT 1",
            (user_id,),
        ).fetchone()
        if waiting is not None:  # asked already: nothing new is tried or used
            return Redeemed("pending", request_id=waiting["id"])
        row = self._db.execute(
            "SELECT id, code_hash, expires_at, wrong_tries, used_at FROM pairing_codes"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None or row["used_at"] is not None:
            return Redeemed("none")
        if now >= row["expires_at"]:
            return Redeemed("expired")
        if row["wrong_tries"] >= self.MAX_WRONG:
            return Redeemed("locked")
        if not hmac.compare_digest(guess, row["code_hash"]):
            wrong = row["wrong_tries"] + 1
            self._db.execute(
                "UPDATE pairing_codes SET wrong_tries = ? WHERE id = ?", (wrong, row["id"])
            )
            return Redeemed("wrong", tries_left=self.MAX_WRONG - wrong)
        self._db.execute("UPDATE pairing_codes SET used_at = ? WHERE id = ?", (now, row["id"]))
        has_owner = self._db.execute("SELECT 1 FROM users WHERE role = 'owner'").fetchone()
        if has_owner is None:
            return Redeemed("owner", user=write_user(self._db, user_id, "owner", name, now))
        request_id: int = self._db.execute(
            "INSERT INTO pairing_requests (user_id, name, requested_at) VALUES (?, ?, ?)"
            " RETURNING id",
            (user_id, name, now),
        ).fetchall()[0]["id"]
        return Redeemed("pending", request_id=request_id)

    def pending(self) -> list[PairingRequest]:
        """Requests waiting for the owner, oldest first."""
        rows = self._db.execute(
            "SELECT id, user_id, name, requested_at, state FROM pairing_requests"
            " WHERE state = 'pending' ORDER BY id"
        )
        return [_request(row) for row in rows]

    def request(self, request_id: int) -> PairingRequest | None:
        row = self._db.execute(
            "SELECT id, user_id, name, requested_at, state FROM pairing_requests WHERE id = ?",
            (request_id,),
        ).fetchone()
        return _request(row) if row else None

    def approve(self, request_id: int, role: Role) -> User:
        """The requester joins with `role`. Raises AccessError unless the request waits."""
        with transaction(self._db):
            asked = self._waiting(request_id)
            self._db.execute(
                "UPDATE pairing_requests SET state = 'approved' WHERE user_id = ?"
                " AND state = 'pending'",
                (asked.user_id,),
            )
            user = write_user(self._db, asked.user_id, role, asked.name, self._clock())
        self._access.audit(asked.user_id, "pair", "approved", f"role={role}")
        return user

    def deny(self, request_id: int) -> None:
        """Raises AccessError unless the request waits."""
        with transaction(self._db):
            asked = self._waiting(request_id)
            self._db.execute(
                "UPDATE pairing_requests SET state = 'denied' WHERE id = ?", (request_id,)
            )
        self._access.audit(asked.user_id, "pair", "denied")

    def _waiting(self, request_id: int) -> PairingRequest:
        asked = self.request(request_id)
        if asked is None:
            raise AccessError(f"There is no pairing request {request_id}.")
        if asked.state != "pending":
            raise AccessError(f"Pairing request {request_id} was already {asked.state}.")
        return asked


def _normalize(code: str) -> str:
    return "".join(c for c in code.upper() if not c.isspace() and c != "-")


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _request(row: sqlite3.Row) -> PairingRequest:
    return PairingRequest(row["id"], row["user_id"], row["name"], row["requested_at"], row["state"])
