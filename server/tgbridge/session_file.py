"""The command line's Telegram session: one JSON file only its owner can read (0600)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "session.json"


@dataclass(frozen=True)
class SavedSession:
    api_id: int
    api_hash: str
    session: str


def save(state_dir: Path, saved: SavedSession) -> Path:
    """Writes atomically; the file is created 0600 so the secret is never world-readable."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = state_dir / FILE_NAME
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(asdict(saved), file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    return path


def load(state_dir: Path) -> SavedSession | None:
    path = state_dir / FILE_NAME
    if not path.exists():
        return None
    if path.stat().st_mode & 0o077:
        raise PermissionError(f"{path} is readable by others; run `chmod 600 {path}` first.")
    data = json.loads(path.read_text(encoding="utf-8"))
    return SavedSession(int(data["api_id"]), str(data["api_hash"]), str(data["session"]))


def forget(state_dir: Path) -> bool:
    path = state_dir / FILE_NAME
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed
