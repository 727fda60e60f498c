"""Telethon's session, split by what is secret: the auth key (and data centre) travel as
a string the editor keeps in SecretStorage; the account's peers and update state live in
the store, so a restart resumes the update stream and still knows every chat.

Telethon saves its update state whenever it likes (at disconnect, for one), possibly
ahead of what the store holds; those saves are ignored here. The gateway saves the
position itself, and only once every message before it is committed (see checkpoint.py).
"""

from __future__ import annotations

from typing import Any

from telethon.sessions import StringSession
from telethon.tl import types

from tgbridge.store.accounts import AccountStore, UpdatePosition


class StoreSession(StringSession):  # type: ignore[misc]
    _entities: set[Any]
    _update_states: dict[int, Any]

    def __init__(self, secret: str, accounts: AccountStore) -> None:
        super().__init__(secret)
        self._accounts = accounts
        self.account_id: int | None = None
        self._unsaved: list[UpdatePosition] | None = None  # a resume point before bind()

    @property
    def key_id(self) -> bytes | None:
        """The auth key's public id (what Telegram sees on every packet), not the key."""
        key = self.auth_key
        return (key.key_id & (2**64 - 1)).to_bytes(8, "little") if key and key.key else None

    def bind(self, account_id: int) -> None:
        """From now on peers and positions are this account's: load what the store has."""
        if self.account_id == account_id:
            return
        self.account_id = account_id
        self._entities = set(self._accounts.peers(account_id)) | self._entities
        self._accounts.save_peers(account_id, self._entities)
        self._update_states = {p.entity_id: _state(p) for p in self._accounts.positions(account_id)}

    def save_position(self, positions: list[UpdatePosition]) -> None:
        """Saves a resume point (one the gateway found safe: everything before it is
        stored); kept until bind() when the account is not known yet."""
        if self.account_id is None:
            self._unsaved = positions
            return
        self._unsaved = None
        self._accounts.save_positions(self.account_id, positions)
        self._update_states = {p.entity_id: _state(p) for p in positions}

    def set_update_state(self, entity_id: int, state: Any) -> None:
        """Ignored: Telethon's own saves may run ahead of the store (see above)."""

    def process_entities(self, tlo: Any) -> None:
        rows = set(self._entities_to_rows(tlo)) - self._entities
        if not rows:
            return
        self._entities |= rows
        if self.account_id is not None:
            self._accounts.save_peers(self.account_id, rows)


def _state(position: UpdatePosition) -> types.updates.State:
    from datetime import UTC, datetime

    return types.updates.State(
        pts=position.pts,
        qts=position.qts,
        date=datetime.fromtimestamp(position.date, UTC),
        seq=position.seq,
        unread_count=0,
    )
