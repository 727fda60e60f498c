"""Where the update stream may be resumed from, told only when it is safe.

Telethon's MessageBox moves its pts when it applies a batch (a pushed Updates, a
difference slice), before the batch's messages reach an event handler. Saving that pts
and then dying would skip the rest of the batch. With `sequential_updates=True` Telethon
dispatches a whole batch before it asks the box for more work, and `get_difference()` is
that question: when it is asked, every update the box has applied has been handed to our
handlers. At that moment the box's state is a safe resume point. It is passed on behind
the messages (through the same ordered queue), so it is saved only after they are stored.

Telethon turns `updates.differenceTooLong` into a silent jump of pts; the box reports it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telethon._updates.messagebox import ENTRY_ACCOUNT, MessageBox
from telethon.tl import types

from tgbridge.store.accounts import UpdatePosition

OnSafePoint = Callable[[list[UpdatePosition]], None]
OnTooLong = Callable[[int, int], None]  # (pts we had, pts Telegram jumped to)


class CheckpointBox(MessageBox):  # type: ignore[misc]
    def __init__(self, *, on_safe_point: OnSafePoint, on_too_long: OnTooLong) -> None:
        super().__init__(logging.getLogger("tgbridge.telethon.messagebox"))
        self._on_safe_point = on_safe_point
        self._on_too_long = on_too_long
        self._last: list[UpdatePosition] | None = None

    def get_difference(self) -> Any:
        if not self.is_empty():
            positions = self.positions()
            if positions != self._last:
                self._last = positions
                self._on_safe_point(positions)
        return super().get_difference()

    def apply_difference(self, diff: Any, chat_hashes: Any) -> Any:
        if isinstance(diff, types.updates.DifferenceTooLong) and ENTRY_ACCOUNT in self.map:
            self._on_too_long(self.map[ENTRY_ACCOUNT].pts, diff.pts)
        return super().apply_difference(diff, chat_hashes)

    def positions(self) -> list[UpdatePosition]:
        account, channels = self.session_state()
        date = int(account["date"].timestamp())
        return [
            UpdatePosition(0, account["pts"], account["qts"], date, account["seq"]),
            *(UpdatePosition(channel, pts, 0, 0, 0) for channel, pts in channels.items()),
        ]
