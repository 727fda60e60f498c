"""The command line."""

from __future__ import annotations

import subprocess
import sys

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
