"""Notifications by the owner's rules (tgbridge.notify): editor tasks and debug sessions
that ended, test tasks that failed, /run results others started. Near-simultaneous ones
are grouped into one message, at most `maxPerMinute` messages go out a minute (the rest
wait and are grouped), and /mute holds them all back (counted, for /unmute to say)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from tgbridge.bot.text import Text
from tgbridge.protocol import EditorEventParams
from tgbridge.security.access import User
from tgbridge.tasks.runner import TaskResult
from tgbridge.tasks.spec import TaskSpec
from tgbridge.telegram.render import Part

if TYPE_CHECKING:
    from tgbridge.bot.phone import PhoneBot

GROUP_SECONDS = 1.0
WINDOW = 60.0
MUTE_UNTIL = "mute_until"
MUTED_COUNT = "muted_count"


class Notifier:
    def __init__(self, bot: PhoneBot, *, clock: Callable[[], float] = time.time) -> None:
        self._bot = bot
        self._clock = clock
        self._pending: list[str] = []
        self._sent: deque[float] = deque()
        self._flush: asyncio.TimerHandle | None = None

    def editor_event(self, event: EditorEventParams) -> None:
        line = self._line(event)
        if line is not None:
            self.notify(line)

    def run_finished(self, spec: TaskSpec, result: TaskResult, *, by: User) -> None:
        """The person who ran it sees the result; the owner hears of others' runs."""
        rules = self._bot.hub.settings().notify
        owner = self._bot.access.owner()
        if not rules.run_finished or owner is None or owner.user_id == by.user_id:
            return
        outcome = "succeeded" if result.exit_code == 0 else f"ended with {result.exit_code}"
        self.notify(f"/run {spec.name} by {by.name} {outcome} ({result.duration:.0f} s)")

    def notify(self, line: str) -> None:
        if self._muted():
            count = int(self._bot.preferences.get_float(MUTED_COUNT)) + 1
            self._bot.preferences.set(MUTED_COUNT, count)
            return
        self._pending.append(line)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(
                max(GROUP_SECONDS, self._wait()), self._send
            )

    def take_muted_count(self) -> int:
        count = int(self._bot.preferences.get_float(MUTED_COUNT))
        self._bot.preferences.set(MUTED_COUNT, None)
        return count

    def _line(self, event: EditorEventParams) -> str | None:
        rules = self._bot.hub.settings().notify
        where = f" in {event.workspace}" if event.workspace else ""
        took = f"{event.duration_seconds:.0f} s"
        long_enough = event.duration_seconds >= rules.min_duration_seconds
        if event.kind == "task":
            failed = event.exit_code not in (0, None)
            if event.test and failed and rules.test_failed:
                return f"✖ Tests failed: {event.name}{where} (exit {event.exit_code}, {took})"
            if rules.task_ended and long_enough:
                code = "?" if event.exit_code is None else str(event.exit_code)
                mark = "✖" if failed else "✔"
                return f"{mark} Task {event.name} ended{where} (exit {code}, {took})"
            return None
        if rules.debug_ended and long_enough:
            return f"■ Debug session {event.name} ended{where} ({took})"
        return None

    def _muted(self) -> bool:
        return self._bot.preferences.get_float(MUTE_UNTIL) > self._clock()

    def _wait(self) -> float:
        """Seconds until one more message fits the per-minute limit."""
        limit = self._bot.hub.settings().notify.max_per_minute
        now = self._clock()
        while self._sent and self._sent[0] <= now - WINDOW:
            self._sent.popleft()
        if len(self._sent) < limit:
            return 0.0
        return self._sent[0] + WINDOW - now

    def _send(self) -> None:
        self._flush = None
        if not self._pending:
            return
        wait = self._wait()
        if wait > 0:
            self._flush = asyncio.get_running_loop().call_later(wait, self._send)
            return
        lines, self._pending = self._pending, []
        self._sent.append(self._clock())
        if len(lines) == 1:
            part = Text().plain(lines[0]).part()
        else:
            text = Text().bold(f"{len(lines)} notifications").line(":")
            for line in lines[:30]:
                text.line(f"• {line}")
            if len(lines) > 30:
                text.line(f"…and {len(lines) - 30} more.")
            part = text.part()
        self._bot.spawn(self._deliver(part))

    async def _deliver(self, part: Part) -> None:
        await self._bot.tell_owner(part)
