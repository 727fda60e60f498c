"""What /analytics counts besides messages: flood waits, errors, queue waits, commands and
notifications, one row each. The log is bounded: the oldest rows go once it is full.

The bound is kept every `prune_every` inserts (and at a process's first one), down to
`cap - prune_every + 1` rows so the inserts until the next prune stay within `cap`; another
process writing events at the same time may take it over by its own inserts since its
last prune."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Literal

from tgbridge.store.database import transaction

EventKind = Literal["flood_wait", "error", "queue_wait", "command", "notification"]

MAX_EVENTS = 200_000
PRUNE_EVERY = 1000  # inserts between two prunes (and one at a process's first insert)
MAX_DETAIL = 300


class EventLog:
    def __init__(
        self,
        db: sqlite3.Connection,
        *,
        clock: Callable[[], float] = time.time,
        cap: int = MAX_EVENTS,
        prune_every: int = PRUNE_EVERY,
    ) -> None:
        if cap < 1 or prune_every < 1:
            raise ValueError("cap and prune_every must be at least 1")
        self._db = db
        self._clock = clock
        self._prune_every = min(prune_every, cap)
        self._keep = cap - self._prune_every + 1
        self._inserts = 0

    def record(self, kind: EventKind, value: float | None = None, detail: str = "") -> None:
        """One row; `value` is in seconds for flood_wait and queue_wait."""
        with transaction(self._db):
            self._db.execute(
                "INSERT INTO events (at, kind, value, detail) VALUES (?, ?, ?, ?)",
                (self._clock(), kind, value, detail[:MAX_DETAIL]),
            )
            if self._inserts % self._prune_every == 0:
                self._prune()
            self._inserts += 1

    def _prune(self) -> None:
        """Keeps the newest rows. Ids only grow (the newest row is never deleted), so the
        oldest rows are a range of the primary key: no scan, no count."""
        self._db.execute(
            "DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - ?", (self._keep,)
        )
