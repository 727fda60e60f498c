"""The real sidecar (`python -m tgbridge serve`) driven over JSON-RPC as the editor drives
it, pointed at the loopback Telegram server: for the telegram tier and the benchmarks."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pytest_lsp import LanguageClient

from tests.changes import Changes
from tests.sidecar.conftest import SERVER, WORKSPACE, initialize_params, make_client
from tests.telegram_server import DC_ID, Account, TelegramServer
from tgbridge.security.roles import Role

T = TypeVar("T")
API_ID = 12345
STOP_WITHIN = 30.0
API_HASH = "0123456789abcdef0123456789abcdef"


@dataclass
class World:
    server: TelegramServer
    bot: Account
    user: Account


class Sidecar:
    """One sidecar process, as an editor window holds it: requests, the notifications it
    pushed (kept in order), the answers it gets to `tgbridge/askLogin`."""

    def __init__(
        self,
        server: TelegramServer,
        state_dir: Path,
        workspace: Path = WORKSPACE,
        **settings: Any,
    ) -> None:
        self.server = server
        self.workspace = workspace
        self.settings: dict[str, Any] = {
            "logLevel": "debug",
            "hubLingerMinutes": 0,  # the hub ends with the last window, as a test ends
            "stateDir": str(state_dir),
            "dataCenter": {
                "id": DC_ID,
                "host": server.host,
                "port": server.port,
                "publicKeyFile": str(server.public_key_file),
            },
            **settings,
        }
        self.client: LanguageClient | None = None
        self.notifications: list[tuple[str, dict[str, Any]]] = []
        self.answers: dict[str, Callable[[dict[str, Any]], str | None]] = {}
        self.asked: list[dict[str, Any]] = []
        self._changes = Changes()

    async def start(self) -> Sidecar:
        client = make_client()
        for method in (
            "tgbridge/connectionChanged",
            "tgbridge/messageStatus",
            "tgbridge/message",
            "tgbridge/historyGap",
            "tgbridge/agentAsked",
            "tgbridge/openAgentChat",
            "tgbridge/paired",
        ):
            client.feature(method)(self._recorder(method))
        client.feature("tgbridge/askLogin")(lambda params: self._ask(params))
        await client.start_io(*SERVER)
        await client.initialize_session(initialize_params(self.settings, self.workspace))
        self.client = client
        return self

    async def stop(self) -> None:
        if self.client is None:
            return
        client, self.client = self.client, None
        stuck = False
        if client._server is not None and client._server.returncode is None:
            try:
                async with asyncio.timeout(STOP_WITHIN):
                    await client.shutdown_session()
            except TimeoutError:
                stuck = True
                client._server.kill()
        await client.stop()
        assert not stuck, f"the sidecar did not shut down within {STOP_WITHIN} s"

    async def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown, no goodbye."""
        assert self.client is not None and self.client._server is not None
        process = self.client._server
        os.kill(process.pid, signal.SIGKILL)
        await process.wait()
        client, self.client = self.client, None
        await client.stop()

    async def kill_hub(self) -> int:
        """SIGKILL to the hub this window is attached to, as a crash; returns its pid."""
        status = await self.request("tgbridge/status", {})
        pid: int = status["hubPid"]
        os.kill(pid, signal.SIGKILL)
        return pid

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        assert self.client is not None
        return await self.client.protocol.send_request_async(method, params)

    def logs(self) -> list[str]:
        assert self.client is not None
        return [m.message for m in self.client.log_messages] + [
            m.message for m in self.client.messages
        ]

    # ---- notifications ---------------------------------------------------------------

    def of(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.notifications if name == method]

    async def wait_for(self, predicate: Callable[[], T | None], within: float = 20) -> T:
        """Waits until the notifications received make the predicate true."""
        return await self._changes.wait_until(predicate, within)

    async def wait_state(self, state: str, within: float = 20) -> dict[str, Any]:
        def latest() -> dict[str, Any] | None:
            changes = self.of("tgbridge/connectionChanged")
            last: dict[str, Any] | None = changes[-1]["connection"] if changes else None
            return last if last is not None and last["state"] == state else None

        return await self.wait_for(latest, within)

    def statuses(self) -> dict[int, dict[str, Any]]:
        """The last messageStatus of each send id."""
        return {params["sendId"]: params for params in self.of("tgbridge/messageStatus")}

    def _recorder(self, method: str) -> Callable[[Any], None]:
        def record(params: Any) -> None:
            self.notifications.append((method, params))
            self._changes.notify()

        return record

    def _ask(self, params: Any) -> dict[str, Any]:
        self.asked.append(params)
        answer = self.answers.get(params["kind"])
        return {"value": answer(params) if answer else None}


def allow(state_dir: Path, account: Account, role: Role = "owner") -> None:
    """Puts a phone user on the allowlist, as a finished pairing would (the pairing itself
    is tested in test_phone_security)."""
    from tgbridge.security.access import AccessStore
    from tgbridge.store.database import open_database

    db = open_database(state_dir / "tgbridge.db")
    try:
        AccessStore(db).add(account.id, role, account.first_name)
    finally:
        db.close()


async def start_sidecar(
    world: World,
    sidecars: list[Sidecar],
    state_dir: Path,
    workspace: Path = WORKSPACE,
    *,
    paired: bool = True,
    **settings: Any,
) -> Sidecar:
    """A window's sidecar; with `paired` the world's user may talk to the bot."""
    if paired:
        allow(state_dir, world.user)
    sidecar = Sidecar(world.server, state_dir, workspace, **settings)
    sidecars.append(sidecar)
    return await sidecar.start()


async def online_bot(
    world: World, sidecars: list[Sidecar], state_dir: Path, **settings: Any
) -> Sidecar:
    """A sidecar logged in as the world's bot."""
    sidecar = await start_sidecar(world, sidecars, state_dir, **settings)
    await bot_login(sidecar, world)
    return sidecar


async def bot_login(sidecar: Sidecar, world: World) -> str:
    result = await sidecar.request(
        "tgbridge/login",
        {"mode": "bot", "apiId": API_ID, "apiHash": API_HASH, "botToken": world.bot.bot_token},
    )
    session: str = result["session"]
    return session


async def connect(sidecar: Sidecar, session: str) -> None:
    await sidecar.request(
        "tgbridge/connect", {"apiId": API_ID, "apiHash": API_HASH, "session": session}
    )
    await sidecar.wait_state("online")
