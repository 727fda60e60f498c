"""Starting a hub: `python -m tgbridge hub` in its own session, so it outlives the client
that started it, with stderr appended to `<state>/hub.log`. Several starters may race; the
hub lock picks one and the others exit at once. Standard library only: the hook commands
start a hub without importing the rest of tgbridge."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tgbridge.store.files import private_dir


def hub_log(state_dir: Path) -> Path:
    """Where a started hub writes its log (the path a "did not start" error names)."""
    return private_dir(state_dir) / "hub.log"


def spawn_hub(state_dir: Path, env: Mapping[str, str]) -> None:
    """Starts a hub with `env` over this process's environment (the hub reads its
    settings from `TGBRIDGE_*` variables); returns at once."""
    descriptor = os.open(hub_log(state_dir), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        subprocess.Popen(
            [sys.executable, "-m", "tgbridge", "hub"],
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=descriptor,
            start_new_session=True,
        )
    finally:
        os.close(descriptor)
