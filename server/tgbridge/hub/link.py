"""A client's line to the hub (a window's sidecar, the CLI): attaches to the running hub,
or starts one (the hub lock decides which of several starters wins), and when the hub
dies, starts or finds the next one, attaches again and repeats the connect it last made,
so the window goes "reconnecting" and then "online" on its own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tgbridge.errors import BridgeError
from tgbridge.hub.rpc import ConnectionLost, RpcConnection
from tgbridge.hub.socket import HubUnavailable, connect
from tgbridge.hub.spawn import hub_log, spawn_hub
from tgbridge.methods import (
    AGENT_ASKED,
    ASK_LOGIN,
    CONNECT,
    CONNECTION_CHANGED,
    HISTORY,
    HISTORY_GAP,
    HUB_ATTACH,
    HUB_STOP,
    MESSAGE,
    MESSAGE_STATUS,
    OPEN_AGENT_CHAT,
    PAIRED,
    SEND,
)
from tgbridge.protocol import AttachParams, ConnectionState, WorkspaceFolder
from tgbridge.settings import Settings

logger = logging.getLogger(__name__)

START_WITHIN = 10.0  # seconds for a new hub to start listening (imports Telethon first)
RETRY_EVERY = 0.05
CLOSE_WITHIN = 2.0
RESPAWN_EVERY = 1.0
STOP_WITHIN = 30.0  # a stopping hub lets a send on the wire finish first
PUSHED = (
    CONNECTION_CHANGED,
    MESSAGE_STATUS,
    MESSAGE,
    HISTORY_GAP,
    AGENT_ASKED,
    OPEN_AGENT_CHAT,
    PAIRED,
)
# Requests that may be sent again to the next hub when the last one died mid-request:
# a send carries its client key, the others change nothing twice.
RETRYABLE = {CONNECT, SEND, HISTORY}

OnPushed = Callable[[str, dict[str, Any]], None]
OnAsk = Callable[[dict[str, Any]], Awaitable[Any]]
OnState = Callable[[ConnectionState], None]

RECONNECTING = ConnectionState(state="connecting", detail="Reconnecting to the tgbridge hub…")


class HubLink:
    def __init__(
        self,
        state_dir: Path,
        settings: Settings,
        attach: AttachParams,
        *,
        on_pushed: OnPushed,
        on_ask: OnAsk,
        on_state: OnState,
    ) -> None:
        self._state_dir = state_dir
        self._settings = settings
        self._attach = attach
        self._on_pushed = on_pushed
        self._on_ask = on_ask
        self._on_state = on_state
        self._connection: RpcConnection | None = None
        self._ready = asyncio.Event()
        self._closing = False
        self._replay: dict[str, Any] | None = None  # the last connect, for the next hub
        self._keeper: asyncio.Task[None] | None = None
        self._running: asyncio.Task[None] | None = None  # the connection's reader
        self.hub_pid: int | None = None

    async def start(self) -> dict[str, Any]:
        """Attaches (starting a hub when none runs); returns the attach result."""
        result = await self._attach_once()
        self._keeper = asyncio.create_task(self._keep())
        return result

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        if method == CONNECT:
            self._replay = params
        for attempt in (1, 2):
            connection = await self._current()
            try:
                return await connection.request(method, params)
            except ConnectionLost:
                if attempt == 2 or method not in RETRYABLE:
                    raise BridgeError(
                        "hub_unavailable", "The tgbridge hub stopped during the request."
                    ) from None
        raise AssertionError("unreachable")

    def set_folders(self, folders: list[WorkspaceFolder]) -> None:
        """New workspace folders: attached again with them (also to the next hub)."""
        self._attach = self._attach.model_copy(update={"folders": folders})
        params = self._attach.to_wire()
        task = asyncio.ensure_future(self.request(HUB_ATTACH, params))
        task.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def close(self) -> None:
        """Detaches (the hub stays for the others); bounded, as the window is closing."""
        self._closing = True
        if self._keeper:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        if self._connection is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_WITHIN):
                    await self._connection.close()

    async def _current(self) -> RpcConnection:
        try:
            await asyncio.wait_for(self._ready.wait(), START_WITHIN)
        except TimeoutError:
            raise BridgeError("hub_unavailable", "The tgbridge hub does not answer.") from None
        assert self._connection is not None
        return self._connection

    async def _keep(self) -> None:
        """Runs the connection; when the hub goes, finds or starts the next one."""
        while not self._closing:
            if self._running is not None:
                await self._running
            self._ready.clear()
            if self._closing:
                return
            logger.warning("the tgbridge hub went away; reconnecting")
            self._on_state(RECONNECTING)
            while not self._closing:
                try:
                    await self._attach_once()
                    break
                except (BridgeError, OSError) as error:
                    logger.warning("could not reach a tgbridge hub: %s", error)
            if self._replay is not None:
                with contextlib.suppress(BridgeError, ConnectionError):
                    await self.request(CONNECT, self._replay)

    async def _attach_once(self) -> dict[str, Any]:
        reader, writer = await self._open()
        connection = RpcConnection(reader, writer, name="hub")
        for method in PUSHED:
            connection.on_notification(method, self._pusher(method))
        connection.on_request(ASK_LOGIN, self._on_ask)
        running = asyncio.create_task(connection.run())
        try:
            result: dict[str, Any] = await connection.request(HUB_ATTACH, self._attach.to_wire())
        except BaseException:
            await connection.close()
            raise
        self._connection, self._running = connection, running
        self.hub_pid = int(result.get("pid", 0)) or None
        self._ready.set()
        self._on_state(ConnectionState.model_validate(result["connection"]))
        return result

    def _pusher(self, method: str) -> Callable[[dict[str, Any]], None]:
        return lambda params: self._on_pushed(method, params)

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connects to the hub; starts one when none listens, and waits for it."""
        try:
            return await connect(self._state_dir)
        except HubUnavailable:
            pass
        self._spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_WITHIN
        respawn_at = loop.time() + RESPAWN_EVERY
        while True:
            try:
                return await connect(self._state_dir)
            except HubUnavailable:
                if loop.time() > respawn_at:
                    # The one started may have found the lock still held by a hub on its
                    # way out, and left: start another.
                    self._spawn()
                    respawn_at = loop.time() + RESPAWN_EVERY
                if loop.time() > deadline:
                    raise BridgeError(
                        "hub_unavailable",
                        f"The tgbridge hub did not start; see {self._log_path()}.",
                    ) from None
                await asyncio.sleep(RETRY_EVERY)  # polling a socket that is not there yet

    def _spawn(self) -> None:
        """Starts `python -m tgbridge hub` on its own (it outlives this process); if
        another one wins the lock, this one exits at once."""
        spawn_hub(self._state_dir, settings_env(self._settings, self._state_dir))

    def _log_path(self) -> Path:
        return hub_log(self._state_dir)


async def stop_hub(state_dir: Path) -> bool:
    """Asks the running hub to stop and waits until it has; False when none ran."""
    try:
        reader, writer = await connect(state_dir)
    except HubUnavailable:
        return False
    connection = RpcConnection(reader, writer, name="hub")
    running = asyncio.create_task(connection.run())
    with contextlib.suppress(ConnectionLost):
        await connection.request(HUB_STOP, {})
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(STOP_WITHIN):
            await running  # the hub closes the connection as it ends
    return True


def settings_env(settings: Settings, state_dir: Path) -> dict[str, str]:
    """The settings as `TGBRIDGE_*` variables for the hub process (it reads them)."""
    values = settings.model_dump(mode="json", by_alias=True, exclude_none=True)
    values["state_dir"] = str(state_dir)
    return {
        f"TGBRIDGE_{name.upper()}": value if isinstance(value, str) else json.dumps(value)
        for name, value in values.items()
    }
