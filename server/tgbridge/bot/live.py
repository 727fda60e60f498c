"""A message that follows work as it goes (a task's output): edited in place at a limited
rate, the newest text winning; the final text is always written."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from tgbridge.telegram.errors import FloodWait, PermanentError, TransientError
from tgbridge.telegram.render import Part

logger = logging.getLogger(__name__)

Edit = Callable[[Part], Awaitable[None]]
FINAL_TRIES = 5


class LiveMessage:
    def __init__(self, edit: Edit, *, final: Edit | None = None, interval: float = 2.0) -> None:
        """`edit` writes progress; `final` (default: `edit`) the last text, e.g. without
        the progress message's Stop button."""
        self._edit = edit
        self._final = final or edit
        self._interval = interval
        self._latest: Part | None = None
        self._written: Part | None = None
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    def update(self, part: Part) -> None:
        """Shows `part` soon; an update before the next edit replaces it."""
        self._latest = part
        self._changed.set()

    async def finish(self, part: Part) -> None:
        """Stops following and writes `part`, waiting out flood waits."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        for _ in range(FINAL_TRIES):
            try:
                await self._final(part)
                return
            except FloodWait as wait:
                await asyncio.sleep(wait.seconds)
            except TransientError:
                await asyncio.sleep(self._interval)
            except PermanentError as error:
                logger.warning("could not write the final text: %s", error)
                return

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            part = self._latest
            if part is None or part == self._written:
                continue
            try:
                await self._edit(part)
                self._written = part
            except FloodWait as wait:
                await asyncio.sleep(wait.seconds)
                self._changed.set()
                continue
            except (TransientError, PermanentError) as error:
                logger.info("a live edit failed: %s", error)
            await asyncio.sleep(self._interval)
