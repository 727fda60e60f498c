"""The hub's registry of workspace folders: one watcher and one git state per folder,
shared by every window that opened it (reference-counted)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from tgbridge.workspace.git_state import GitState
from tgbridge.workspace.watcher import FolderWatcher, OnChange, WorkspaceChange

logger = logging.getLogger(__name__)

UNWATCHED_MAX_AGE = 2.0  # seconds a snapshot is trusted for a folder that cannot be watched


@dataclass
class _Entry:
    watcher: FolderWatcher
    state: GitState
    users: int = 1


class Workspaces:
    """Watched folders. `register`/`unregister` may run in a worker thread (starting a
    watcher walks the folder once); `on_change` runs on `loop`, after the folder's git
    state was invalidated. All watchers share one watchdog observer (one inotify
    instance, one set of threads)."""

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        on_change: OnChange | None = None,
        debounce: float = 0.2,
        max_delay: float = 1.0,
    ) -> None:
        self._loop = loop
        self._on_change = on_change
        self._debounce = debounce
        self._max_delay = max_delay
        self._lock = threading.Lock()
        self._entries: dict[Path, _Entry] = {}
        self._observer: BaseObserver | None = None

    @staticmethod
    def _key(folder: Path) -> Path:
        return Path(os.path.realpath(folder))

    def _shared_observer(self) -> BaseObserver | None:
        if self._observer is None:
            try:
                observer = Observer()
                observer.start()
            except OSError as exc:  # EMFILE: no inotify instance left
                logger.warning("cannot start the file watcher: %s", exc.strerror or exc)
                return None
            self._observer = observer
        return self._observer

    def register(self, folder: Path) -> GitState:
        """Watches `folder` (again: one more user of it); returns its git state."""
        key = self._key(folder)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.users += 1
                return entry.state
            state = GitState(key)

            def changed(change: WorkspaceChange) -> None:
                state.invalidate()
                if self._on_change is not None:
                    self._on_change(change)

            observer = self._shared_observer()
            watcher = FolderWatcher(
                key,
                changed,
                loop=self._loop,
                debounce=self._debounce,
                max_delay=self._max_delay,
                observer=observer,
            )
            if observer is not None:
                watcher.start()
            else:
                watcher.error = "the file watcher could not start"
            if not watcher.available:
                state.max_age = UNWATCHED_MAX_AGE
            self._entries[key] = _Entry(watcher, state)
            return state

    def unregister(self, folder: Path) -> None:
        """One user fewer; the last one stops the folder's watcher."""
        key = self._key(folder)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return
            entry.users -= 1
            if entry.users > 0:
                return
            del self._entries[key]
        entry.watcher.stop()
        entry.state.close()

    def folders(self) -> list[Path]:
        with self._lock:
            return list(self._entries)

    def state(self, folder: Path) -> GitState:
        """The registered folder's git state (KeyError if it is not registered)."""
        with self._lock:
            return self._entries[self._key(folder)].state

    def watching(self, folder: Path) -> bool:
        """False when the folder's changes cannot be watched (its state is then
        recomputed at most every UNWATCHED_MAX_AGE seconds)."""
        with self._lock:
            return self._entries[self._key(folder)].watcher.available

    def close(self) -> None:
        """Stops every watcher and the shared observer's threads."""
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
            observer, self._observer = self._observer, None
        for entry in entries:
            entry.watcher.stop()
            entry.state.close()
        if observer is not None:
            observer.stop()
            observer.join()
