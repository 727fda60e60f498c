"""`tgbridge voice install [--target DIR]`: installs the voice add-on (Whisper, offline)
into `<state dir>/voice-packages`, where the hub finds it; progress as JSON lines."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from tgbridge.errors import BridgeError


def voice(action: str, target: str | None) -> int:
    from tgbridge.app import state_dir
    from tgbridge.settings import load_settings
    from tgbridge.voice.availability import packages_dir
    from tgbridge.voice.install import install

    if target is not None:
        folder = Path(target).expanduser().absolute()
    else:
        try:
            folder = packages_dir(state_dir(load_settings({})))
        except BridgeError as error:
            print(f"tgbridge: {error.message}", file=sys.stderr)
            return 2
    assert action == "install"
    # Cancel in the editor sends SIGTERM: exit through Python, so the half-made folder
    # is removed (install's `finally`) instead of left in the state dir.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(143))
    return install(folder)
