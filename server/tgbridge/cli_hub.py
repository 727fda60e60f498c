"""`tgbridge hub` runs the hub in the foreground; `tgbridge hub stop` ends the running one
cleanly (its outbox stops between sends, what it received is stored)."""

from __future__ import annotations

import asyncio
import sys

from tgbridge.app import state_dir
from tgbridge.errors import BridgeError
from tgbridge.hub.rpc import RpcConnection
from tgbridge.hub.socket import HubUnavailable, connect
from tgbridge.methods import HUB_STOP
from tgbridge.settings import load_settings


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


async def _stop(settings: object) -> int:
    from tgbridge.settings import Settings

    assert isinstance(settings, Settings)
    try:
        reader, writer = await connect(state_dir(settings))
    except HubUnavailable:
        print("No tgbridge hub is running.", file=sys.stderr)
        return 0
    connection = RpcConnection(reader, writer, name="hub")
    running = asyncio.create_task(connection.run())
    await connection.request(HUB_STOP, {})
    await running  # the hub closes the connection as it stops
    print("The tgbridge hub stopped.", file=sys.stderr)
    return 0
