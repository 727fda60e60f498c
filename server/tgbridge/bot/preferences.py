"""Small choices the phone makes that outlive the hub (mute, session start), in the store."""

from __future__ import annotations

import sqlite3

from tgbridge.store.database import transaction


class Preferences:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM preferences WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def get_float(self, key: str, default: float = 0.0) -> float:
        value = self.get(key)
        try:
            return float(value) if value is not None else default
        except ValueError:
            return default

    def set(self, key: str, value: str | float | None) -> None:
        with transaction(self._db):
            if value is None:
                self._db.execute("DELETE FROM preferences WHERE key = ?", (key,))
            else:
                self._db.execute(
                    "INSERT INTO preferences (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, str(value)),
                )
