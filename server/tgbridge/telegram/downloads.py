"""Received files are fetched in their own small queue, so a large file never holds up
the text messages behind it. A stop gives running downloads a moment to finish; what
is left is reported as incomplete, never silently dropped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tgbridge.store.files import ReceivedFiles, partial

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)  # by identity: the Telethon message is not hashable
class Download:
    chat_id: int
    message_id: int
    message: Any  # the Telethon message with the media
    target: Path


# (chat id, message id, saved path or None, why not saved)
OnFile = Callable[[int, int, Path | None, str | None], Awaitable[None]]


class Downloads:
    def __init__(
        self, files: ReceivedFiles, on_file: OnFile, *, workers: int = 2, stop_grace: float = 5.0
    ) -> None:
        self._files = files
        self._on_file = on_file
        self._queue: asyncio.Queue[Download | None] = asyncio.Queue()  # None: stop
        self._stop_grace = stop_grace
        self._running: set[Download] = set()
        self._workers = [asyncio.create_task(self._work()) for _ in range(workers)]

    def add(self, download: Download) -> None:
        self._queue.put_nowait(download)

    async def stop(self) -> None:
        """Lets running downloads finish within the grace time; reports the rest."""
        pending: list[Download] = []
        while not self._queue.empty():
            if (download := self._queue.get_nowait()) is not None:
                pending.append(download)
        for _ in self._workers:
            self._queue.put_nowait(None)
        await asyncio.wait(self._workers, timeout=self._stop_grace)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        for download in [*self._running, *pending]:
            await self._report(download, None, "incomplete: tgbridge stopped before it finished")
        self._running.clear()

    async def _work(self) -> None:
        while (download := await self._queue.get()) is not None:
            self._running.add(download)
            try:
                path, note = await self._fetch(download)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # one bad file must not stop the queue
                logger.exception("download of message %s failed", download.message_id)
                path, note = None, f"not saved: {type(error).__name__}"
            self._running.discard(download)
            await self._report(download, path, note)

    async def _fetch(self, download: Download) -> tuple[Path | None, str | None]:
        try:
            await download.message.download_media(file=str(partial(download.target)))
        except (ConnectionError, OSError, TimeoutError, EOFError) as error:
            self._files.discard(download.target)
            logger.warning("could not download message %s: %s", download.message_id, error)
            return None, f"not saved: the download failed ({type(error).__name__})"
        except BaseException:
            self._files.discard(download.target)
            raise
        return self._files.complete(download.target), None

    async def _report(self, download: Download, path: Path | None, note: str | None) -> None:
        try:
            await self._on_file(download.chat_id, download.message_id, path, note)
        except Exception:
            logger.exception("could not record the file of message %s", download.message_id)
