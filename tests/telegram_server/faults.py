"""Faults a test injects: answers (an rpc_error, FLOOD_WAIT_X, a 5xx), stalls and dropped
connections for matching requests; dropped, repeated and reordered pushed updates; a
strict server salt."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.telegram_server.rpc import RpcError

if TYPE_CHECKING:
    from tests.telegram_server.server import Call
    from tests.telegram_server.world import Account


@dataclass(frozen=True)
class Drop:
    abort: bool


@dataclass
class Stall:
    """A held request: `reached` is set when one arrives; `release()` lets all go on."""

    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()


@dataclass
class Rule:
    kind: type | tuple[type, ...] | None
    when: Callable[[Any], bool] | None
    times: int | None  # None: every matching request
    error: RpcError | None = None
    stall: Stall | None = None
    drop: Drop | None = None
    hits: int = 0

    def matches(self, request: Any) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.kind is not None and not isinstance(request, self.kind):
            return False
        return self.when is None or self.when(request)


@dataclass
class _UpdateFault:
    account_id: int
    mode: str  # "drop", "repeat" or "reorder"
    count: int
    held: list[Any] = field(default_factory=list)


class Faults:
    def __init__(self) -> None:
        self.strict_salt = False
        self._rules: list[Rule] = []
        self._updates: list[_UpdateFault] = []

    # ---- requests ----------------------------------------------------------------

    def answer_error(
        self,
        kind: type | tuple[type, ...] | None,
        code: int,
        message: str,
        *,
        times: int | None = 1,
        when: Callable[[Any], bool] | None = None,
    ) -> Rule:
        return self._add(Rule(kind, when, times, error=RpcError(code, message)))

    def flood_wait(
        self,
        kind: type | tuple[type, ...] | None,
        seconds: int,
        *,
        times: int | None = 1,
        when: Callable[[Any], bool] | None = None,
    ) -> Rule:
        return self.answer_error(kind, 420, f"FLOOD_WAIT_{seconds}", times=times, when=when)

    def server_error(
        self,
        kind: type | tuple[type, ...] | None,
        *,
        code: int = 500,
        message: str = "INTERNAL",
        times: int | None = 1,
    ) -> Rule:
        return self.answer_error(kind, code, message, times=times)

    def stall(
        self,
        kind: type | tuple[type, ...] | None,
        *,
        times: int | None = 1,
        when: Callable[[Any], bool] | None = None,
    ) -> Stall:
        stall = Stall()
        self._add(Rule(kind, when, times, stall=stall))
        return stall

    def drop_connection(
        self,
        kind: type | tuple[type, ...] | None,
        *,
        abort: bool = False,
        times: int | None = 1,
        when: Callable[[Any], bool] | None = None,
    ) -> Rule:
        """Closes (or resets) the connection instead of answering a matching request."""
        return self._add(Rule(kind, when, times, drop=Drop(abort)))

    def clear(self) -> None:
        self._rules.clear()
        self._updates.clear()
        self.strict_salt = False

    def _add(self, rule: Rule) -> Rule:
        self._rules.append(rule)
        return rule

    async def before(self, call: Call) -> Drop | None:
        for rule in self._rules:
            if not rule.matches(call.request):
                continue
            rule.hits += 1
            if rule.stall is not None:
                rule.stall.reached.set()
                await rule.stall.released.wait()
                continue
            if rule.drop is not None:
                return rule.drop
            if rule.error is not None:
                raise rule.error
        return None

    # ---- pushed updates ------------------------------------------------------------

    def drop_updates(self, account: Account, count: int = 1) -> None:
        """The next `count` updates pushed to the account never arrive (a gap)."""
        self._updates.append(_UpdateFault(account.id, "drop", count))

    def repeat_updates(self, account: Account, count: int = 1) -> None:
        """The next `count` updates pushed to the account arrive twice."""
        self._updates.append(_UpdateFault(account.id, "repeat", count))

    def reorder_updates(self, account: Account) -> None:
        """The next update is held back and arrives after the one that follows it."""
        self._updates.append(_UpdateFault(account.id, "reorder", 2))

    def on_push(self, account: Account, updates: Any) -> list[Any]:
        """What actually goes out for one pushed Updates."""
        fault = next((f for f in self._updates if f.account_id == account.id and f.count > 0), None)
        if fault is None:
            return [updates]
        fault.count -= 1
        if fault.mode == "drop":
            return []
        if fault.mode == "repeat":
            return [updates, updates]
        if fault.count == 1:  # reorder: hold the first
            fault.held.append(updates)
            return []
        return [updates, *fault.held]
