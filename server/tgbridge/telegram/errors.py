"""What a send can end in, as the outbox understands it (no Telethon types here)."""

from __future__ import annotations


class FloodWait(Exception):
    """Telegram asks to wait `seconds` before the next request of this kind."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"FLOOD_WAIT_{seconds}")
        self.seconds = seconds


class AlreadySent(Exception):
    """RANDOM_ID_DUPLICATE: an earlier attempt with this random_id was delivered."""


class TransientError(Exception):
    """The network or Telegram failed for now; the same request may succeed later."""


class PermanentError(Exception):
    """Telegram refused the message itself; resending cannot help."""
