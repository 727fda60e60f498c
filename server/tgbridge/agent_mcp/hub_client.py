"""The MCP server's line to the hub: a command-line client ("cli") like `tgbridge send`.

It attaches on the first tool call, not at start (an agent may never call a tool), through
`HubLink`, which starts a hub when none runs and finds the next one when the hub dies. A
hub it starts is connected with the command line's session (`tgbridge login`), as for
`tgbridge send`; with no session and no hub running, it starts nothing and every tool
says how to log in.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, Literal

from tgbridge import session_file
from tgbridge.errors import BridgeError
from tgbridge.hub.link import HubLink
from tgbridge.hub.rpc import RpcError
from tgbridge.hub.socket import HubUnavailable, connect
from tgbridge.methods import (
    AGENT_ASK,
    AGENT_CANCEL,
    AGENT_NOTIFY,
    AGENT_WAIT,
    CONNECT,
    CONNECTION_CHANGED,
)
from tgbridge.protocol import (
    HUB_PROTOCOL_VERSION,
    AgentAnswer,
    AgentAskParams,
    AgentCancelParams,
    AgentNotifyParams,
    AgentWaitParams,
    AttachParams,
    ConnectionChangedParams,
    ConnectionState,
    ConnectParams,
    SendResult,
)
from tgbridge.settings import Settings

NOT_LOGGED_IN = "not logged in: open the editor or run tgbridge login"
NOT_PAIRED = "not paired: run tgbridge: Pair Phone"
# How long a call waits for a connection that is still being made (a hub just started).
READY_WITHIN = 15.0


Failure = Literal["not_logged_in", "not_paired", "unavailable"]


class Unavailable(Exception):
    """The hub cannot do it; `str()` is the sentence for the agent."""

    def __init__(self, message: str, outcome: Failure = "unavailable") -> None:
        super().__init__(message)
        self.outcome: Failure = outcome


class HubClient:
    def __init__(self, settings: Settings, state_dir: Path) -> None:
        self._settings = settings
        self._state_dir = state_dir
        self._link: HubLink | None = None
        self._attaching = asyncio.Lock()
        self._connected = False  # the command line's session was handed to the hub
        self._state: ConnectionState | None = None
        self._changed = asyncio.Event()

    async def ask(self, params: AgentAskParams) -> AgentAnswer:
        return AgentAnswer.model_validate(await self._request(AGENT_ASK, params.to_wire()))

    async def wait(self, ask_id: str, wait_seconds: float) -> AgentAnswer:
        params = AgentWaitParams(id=ask_id, wait_seconds=wait_seconds)
        return AgentAnswer.model_validate(await self._request(AGENT_WAIT, params.to_wire()))

    async def cancel(self, ask_id: str) -> AgentAnswer:
        params = AgentCancelParams(id=ask_id)
        return AgentAnswer.model_validate(await self._request(AGENT_CANCEL, params.to_wire()))

    async def notify(self, params: AgentNotifyParams) -> SendResult:
        return SendResult.model_validate(await self._request(AGENT_NOTIFY, params.to_wire()))

    async def close(self) -> None:
        if self._link is not None:
            await self._link.close()

    async def _request(self, method: str, params: dict[str, Any]) -> Any:
        link = await self._ready()
        try:
            return await link.request(method, params)
        except BridgeError as error:
            if error.code in ("not_logged_in", "not_connected"):
                # The hub has no account, or (agent/notify) no paired owner.
                if self._online():
                    raise Unavailable(NOT_PAIRED, "not_paired") from None
                raise Unavailable(NOT_LOGGED_IN, "not_logged_in") from None
            if error.code == "hub_unavailable":
                raise Unavailable(f"the tgbridge hub is unavailable: {error.message}") from None
            raise Unavailable(f"the tgbridge hub could not do it: {error.message}") from None
        except RpcError as error:
            raise Unavailable(f"the tgbridge hub refused the request: {error.message}") from None

    def _online(self) -> bool:
        return self._state is not None and self._state.state == "online"

    async def _ready(self) -> HubLink:
        async with self._attaching:
            if self._link is None:
                self._link = await self._attach()
        await self._settled()
        return self._link

    async def _attach(self) -> HubLink:
        try:
            saved = session_file.load(self._state_dir)
        except (OSError, ValueError, KeyError) as error:
            raise Unavailable(f"cannot read the command line's session: {error}") from None
        if saved is None and not await _hub_runs(self._state_dir):
            raise Unavailable(NOT_LOGGED_IN, "not_logged_in")
        link = HubLink(
            self._state_dir,
            self._settings,
            AttachParams(protocol_version=HUB_PROTOCOL_VERSION, kind="cli", name="tgbridge mcp"),
            on_pushed=self._pushed,
            on_ask=_no_answer,
            on_state=self._on_state,
        )
        try:
            await link.start()
            if saved is not None:  # a no-op when a window has connected the hub already
                credentials = ConnectParams(
                    api_id=saved.api_id, api_hash=saved.api_hash, session=saved.session
                )
                answer = await link.request(CONNECT, credentials.to_wire())
                self._connected = True
                self._on_state(ConnectionChangedParams.model_validate(answer).connection)
        except (BridgeError, OSError) as error:
            with contextlib.suppress(Exception):
                await link.close()
            message = error.message if isinstance(error, BridgeError) else str(error)
            if isinstance(error, BridgeError) and error.code == "hub_version":
                message += " From a shell: `tgbridge hub stop`."
            raise Unavailable(f"the tgbridge hub is unavailable: {message}") from None
        return link

    async def _settled(self) -> None:
        """Waits (bounded) while the hub's connection is being made; says so when it
        cannot be made at all. Offline is fine: the hub queues what is sent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_WITHIN
        while True:
            state = self._state.state if self._state is not None else "connecting"
            if state == "not configured" and not self._connected:
                raise Unavailable(NOT_LOGGED_IN, "not_logged_in")
            if state == "unauthorized":
                detail = self._state.detail if self._state is not None else ""
                raise Unavailable(f"{NOT_LOGGED_IN} ({detail})", "not_logged_in")
            remaining = deadline - loop.time()
            if state not in ("connecting", "not configured") or remaining <= 0:
                return
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def _on_state(self, connection: ConnectionState) -> None:
        self._state = connection
        self._changed.set()

    def _pushed(self, method: str, params: dict[str, Any]) -> None:
        if method == CONNECTION_CHANGED:
            self._on_state(ConnectionChangedParams.model_validate(params).connection)


async def _no_answer(params: dict[str, Any]) -> dict[str, Any]:
    return {"value": None}  # the hub asks questions only during a login


async def _hub_runs(state_dir: Path) -> bool:
    try:
        _, writer = await connect(state_dir)
    except HubUnavailable:
        return False
    except OSError as error:  # HubUnsafe: a folder on the way is not private
        raise Unavailable(f"the tgbridge hub is unavailable: {error}") from None
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
