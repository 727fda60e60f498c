"""One hub per state dir: whoever holds `hub.lock` is the hub. The operating system lets
go of the lock when its process dies, however it dies, so the next hub can take over."""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout

from tgbridge.store.files import private_dir


class HubLock:
    def __init__(self, state_dir: Path) -> None:
        self._lock = FileLock(
            private_dir(state_dir) / "hub.lock", timeout=0, mode=0o600, thread_local=False
        )

    def acquire(self) -> bool:
        """True when this process is now the hub; False when another one is."""
        try:
            self._lock.acquire()
        except Timeout:
            return False
        return True

    def release(self) -> None:
        self._lock.release()
