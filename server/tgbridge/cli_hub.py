"""`tgbridge hub` runs the hub in the foreground; `tgbridge hub stop` ends the running one
cleanly (its outbox stops between sends, what it received is stored)."""

from __future__ import annotations

import asyncio
import sys

from tgbridge.app import state_dir
from tgbridge.errors import BridgeError
from tgbridge.settings import Settings, load_settings


def hub(action: str) -> int:
    try:
        settings = load_settings({})
    except BridgeError as error:
        print(f"tgbridge: {error.message}", file=sys.stderr)
        return 2
    if action == "run":
        from tgbridge import logs
        from tgbridge.hub.process import run_hub

        logs.configure_stderr(settings.log_level)
        return run_hub(settings)
    return asyncio.run(_stop(settings))


async def _stop(settings: Settings) -> int:
    from tgbridge.hub.link import stop_hub

    stopped = await stop_hub(state_dir(settings))
    print(
        "The tgbridge hub stopped." if stopped else "No tgbridge hub is running.", file=sys.stderr
    )
    return 0
