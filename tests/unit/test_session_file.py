"""The command line keeps its session in a file only its owner can read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tgbridge.session_file import SavedSession, forget, load, save


def test_saved_session_is_owner_only_and_reads_back(tmp_path: Path) -> None:
    saved = SavedSession(api_id=1, api_hash="abc", session="1AgAOMTQ5")
    path = save(tmp_path / "state", saved)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load(tmp_path / "state") == saved
    assert not list((tmp_path / "state").glob("*.tmp"))


def test_a_session_others_can_read_is_refused(tmp_path: Path) -> None:
    path = save(tmp_path, SavedSession(1, "abc", "s"))
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load(tmp_path)


def test_forget_removes_it(tmp_path: Path) -> None:
    save(tmp_path, SavedSession(1, "abc", "s"))
    assert forget(tmp_path) is True
    assert load(tmp_path) is None
    assert forget(tmp_path) is False
