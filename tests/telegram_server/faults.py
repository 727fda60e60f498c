"""Faults a test injects: answers (an rpc_error, FLOOD_WAIT_X, a 5xx), stalls and dropped
connections for matching requests, before they are applied or after (the answer held, or
lost with the connection); dropped, repeated and reordered pushed updates; a strict
server salt."""

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
    """A held request (or, with `after_apply`, its held answer): `reached` is set when one
    is held, `requests` lists them; `release()` lets all go on."""

    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    requests: list[Any] = field(default_factory=list)

    def release(self) -> None:
        self.released.set()

    async def hold(self, request: Any) -> None:
        self.requests.append(request)
        self.reached.set()
        await self.released.wait()


@dataclass
class Rule:
    kind: type | tuple[type, ...] | None
    when: Callable[[Any], bool] | None
    times: int | None  # None: every matching request
    error: RpcError | None = None
    stall: Stall | None = None
    drop: Drop | None = None
    after_apply: bool = False  # the stall or drop comes after the request was applied
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
        after_apply: bool = False,
    ) -> Stall:
        """Holds matching requests until `release()`; with `after_apply` the request is
        applied (the message stored and pushed) and only its answer is held, as when the
        reply is still on the wire. A connection closed meanwhile never gets the answer."""
        stall = Stall()
        self._add(Rule(kind, when, times, stall=stall, after_apply=after_apply))
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

    def lose_reply(
        self,
        kind: type | tuple[type, ...] | None,
        *,
        abort: bool = False,
        times: int | None = 1,
        when: Callable[[Any], bool] | None = None,
    ) -> Rule:
        """Applies a matching request (a message is stored and pushed to the phone), then
        closes (or resets) the connection instead of sending the rpc_result. A request the
        server refuses is answered as usual and does not count as a hit: each hit is one
        request applied whose answer never left."""
        return self._add(Rule(kind, when, times, drop=Drop(abort), after_apply=True))

    def clear(self) -> None:
        self._rules.clear()
        self._updates.clear()
        self.strict_salt = False

    def _add(self, rule: Rule) -> Rule:
        self._rules.append(rule)
        return rule

    async def before(self, call: Call) -> tuple[Drop | None, list[Rule]]:
        """Applies the rules that act before the request does; returns a drop to do instead
        of applying it, and the matching rules that act once it is applied."""
        later: list[Rule] = []
        for rule in self._rules:
            if not rule.matches(call.request):
                continue
            rule.hits += 1
            if rule.after_apply:
                later.append(rule)
                continue
            if rule.stall is not None:
                await rule.stall.hold(call.request)
                continue
            if rule.drop is not None or rule.error is not None:
                for waiting in later:  # never applied: those rules did not act
                    waiting.hits -= 1
                if rule.error is not None:
                    raise rule.error
                return rule.drop, []
        return None, later

    async def after(self, call: Call, rules: list[Rule], *, applied: bool) -> Drop | None:
        """Runs the rules that act on an answer: stalls it, or returns a drop to do instead
        of sending it. Rules for a request that was refused do not count."""
        for rule in rules:
            if not applied:
                rule.hits -= 1
                continue
            if rule.stall is not None:
                await rule.stall.hold(call.request)
            elif rule.drop is not None:
                return rule.drop
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
