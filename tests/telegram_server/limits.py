"""Telegram's flood limits: token buckets per chat and per account, answered with
FLOOD_WAIT_X where X is the whole seconds until the request would have been allowed."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from tests.telegram_server.rpc import RpcError


@dataclass
class Bucket:
    rate: float  # tokens per second
    burst: float
    tokens: float = -1.0
    at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def wait_needed(self, now: float) -> float:
        # `now` may be a little older than a bucket made for this very check: never let
        # the negative interval take a token away.
        elapsed = max(0.0, now - self.at)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.at = max(self.at, now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class RateLimits:
    per_chat_rate: float = 1.0
    per_chat_burst: float = 3.0
    overall_rate: float = 30.0
    overall_burst: float = 30.0
    enabled: bool = True
    _chats: dict[tuple[int, int], Bucket] = field(default_factory=dict)
    _accounts: dict[int, Bucket] = field(default_factory=dict)

    def check(self, account_id: int, chat_id: int) -> None:
        """Takes one message's tokens, or raises FLOOD_WAIT_X and takes nothing."""
        if not self.enabled:
            return
        now = time.monotonic()
        chat = self._chats.setdefault(
            (account_id, chat_id), Bucket(self.per_chat_rate, self.per_chat_burst)
        )
        overall = self._accounts.setdefault(
            account_id, Bucket(self.overall_rate, self.overall_burst)
        )
        wait = max(chat.wait_needed(now), overall.wait_needed(now))
        if wait > 0:
            raise RpcError(420, f"FLOOD_WAIT_{max(1, math.ceil(wait))}")
        chat.tokens -= 1
        overall.tokens -= 1
