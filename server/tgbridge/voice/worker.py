"""Transcriptions run off the event loop, in one worker thread: a 60 s note takes seconds
of CPU, and meanwhile the hub keeps answering other messages. One note at a time (the
next waits its turn), so two notes never fight over the machine's few cores.

A thread, not a process: CTranslate2 and PyAV release the GIL while they compute, and
the model, loaded once, stays in memory for the next note."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class Worker:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tgbridge-voice")

    async def run(self, job: Callable[[Path], T], path: Path) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, job, path)

    def close(self) -> None:
        """Notes not started are dropped; one being transcribed finishes in the background."""
        self._pool.shutdown(wait=False, cancel_futures=True)
