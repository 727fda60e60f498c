"""What the store remembers of each Telegram account between runs: who it is (found by
its auth key's public id, never the key), where its update stream stopped, and the peers
it has seen (ids with access hashes and usernames). No secret is kept here."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from tgbridge.store.database import durable, transaction


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    bot: bool


@dataclass(frozen=True)
class UpdatePosition:
    """Telegram's update state: `entity_id` 0 is the account, others are channels."""

    entity_id: int
    pts: int
    qts: int
    date: int
    seq: int


PeerRow = tuple[int, int, str | None, str | None, str | None]  # id, hash, username, phone, name


def peer_name(row: PeerRow) -> str:
    """How a person or chat is shown: its name, else @username, else its id."""
    _, _, username, _, name = row
    return name or (f"@{username}" if username else "") or str(row[0])


class AccountStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def remember(self, account: Account, key_id: bytes) -> None:
        """The account that `key_id` is logged in as; the name is for "waiting for …"."""
        with durable(self._db):
            self._db.execute("UPDATE accounts SET key_id = NULL WHERE key_id = ?", (key_id,))
            self._db.execute(
                "INSERT INTO accounts (id, key_id, name, bot) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id,"
                " name = excluded.name, bot = excluded.bot",
                (account.id, key_id, account.name, int(account.bot)),
            )

    def forget_key(self, account_id: int) -> None:
        """Logged out: the auth key no longer names the account (its data stays)."""
        self._db.execute("UPDATE accounts SET key_id = NULL WHERE id = ?", (account_id,))

    def by_key(self, key_id: bytes) -> Account | None:
        row = self._db.execute(
            "SELECT id, name, bot FROM accounts WHERE key_id = ?", (key_id,)
        ).fetchone()
        return Account(row["id"], row["name"], bool(row["bot"])) if row else None

    def get(self, account_id: int) -> Account | None:
        row = self._db.execute(
            "SELECT id, name, bot FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        return Account(row["id"], row["name"], bool(row["bot"])) if row else None

    # ---- update state ----------------------------------------------------------

    def positions(self, account_id: int) -> list[UpdatePosition]:
        rows = self._db.execute(
            "SELECT entity_id, pts, qts, date, seq FROM update_state WHERE account_id = ?",
            (account_id,),
        )
        return [UpdatePosition(*row) for row in rows]

    def save_positions(self, account_id: int, positions: Iterable[UpdatePosition]) -> None:
        """Replaces the account's update state in one commit. Not forced to disk: the WAL
        keeps commits in order, so a power cut cannot keep this one and lose the messages
        stored before it (they are fetched again, and the store knows them)."""
        with transaction(self._db):
            self._db.execute("DELETE FROM update_state WHERE account_id = ?", (account_id,))
            self._db.executemany(
                "INSERT INTO update_state (account_id, entity_id, pts, qts, date, seq)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(account_id, p.entity_id, p.pts, p.qts, p.date, p.seq) for p in positions],
            )

    # ---- peers ---------------------------------------------------------------------

    def peers(self, account_id: int) -> list[PeerRow]:
        rows = self._db.execute(
            "SELECT id, hash, username, phone, name FROM peers WHERE account_id = ?",
            (account_id,),
        )
        return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    def save_peers(self, account_id: int, rows: Iterable[PeerRow]) -> None:
        with transaction(self._db):
            self._save_peers(account_id, rows)

    def _save_peers(self, account_id: int, rows: Iterable[PeerRow]) -> None:
        self._db.executemany(
            "INSERT INTO peers (account_id, id, hash, username, phone, name)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, id) DO UPDATE SET"
            " hash = excluded.hash, username = excluded.username, phone = excluded.phone,"
            " name = excluded.name",
            [(account_id, *row) for row in rows],
        )
