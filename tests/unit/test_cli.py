"""The command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tgbridge import __version__


def test_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tgbridge", "--version"], capture_output=True, text=True
    )
    assert done.stdout.strip() == f"tgbridge {__version__}"


def test_unknown_command_is_refused_with_usage() -> None:
    done = subprocess.run([sys.executable, "-m", "tgbridge", "fly"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "invalid choice: 'fly'" in done.stderr


def test_logout_without_a_session_says_so(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tgbridge", "logout"],
        capture_output=True,
        text=True,
        env={**os.environ, "TGBRIDGE_STATE_DIR": str(tmp_path)},
    )
    assert (done.returncode, done.stderr.strip()) == (0, "There was no session.")


def test_login_to_an_unreachable_telegram_fails_clearly(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    center = f'{{"id": 2, "host": "127.0.0.1", "port": {port}}}'
    done = subprocess.run(
        [sys.executable, "-m", "tgbridge", "login", "--api-id", "1", "--bot"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "TGBRIDGE_STATE_DIR": str(tmp_path),
            "TGBRIDGE_DATA_CENTER": center,
            "TGBRIDGE_API_HASH": "0123456789abcdef0123456789abcdef",
            "TGBRIDGE_BOT_TOKEN": "123:secret-token",
        },
    )
    assert done.returncode == 1
    assert "Cannot reach Telegram" in done.stderr
    assert "secret-token" not in done.stderr + done.stdout
    assert not (tmp_path / "session.json").exists()
