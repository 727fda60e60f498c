"""The loopback Telegram server: listens on 127.0.0.1, owns the world, routes requests to
the API modules, applies Telegram's limits and the faults a test asked for, and pushes
updates to every connection of the account they belong to."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from telethon.tl import TLObject, functions, types

from tests.changes import Changes
from tests.telegram_server import api  # noqa: F401  (registers the routes)
from tests.telegram_server.faults import Drop, Faults, Rule
from tests.telegram_server.keys import ServerKey, server_key
from tests.telegram_server.limits import RateLimits
from tests.telegram_server.mtproto import (
    AuthKeyState,
    Connection,
    MsgIds,
    RpcErrorResult,
    serialize,
)
from tests.telegram_server.phone import Phone
from tests.telegram_server.rpc import ROUTES, RpcError
from tests.telegram_server.transport import FullTransport
from tests.telegram_server.world import Account, World, digits, now

logger = logging.getLogger(__name__)

DC_ID = 2
T = TypeVar("T")
_WRAPPERS = (
    functions.InvokeWithLayerRequest,
    functions.InitConnectionRequest,
    functions.InvokeAfterMsgRequest,
    functions.InvokeWithoutUpdatesRequest,
)


@dataclass
class RequestRecord:
    """One API request as it arrived, for tests that assert what was (not) asked, and what
    became of it (`outcome`): None while it is being handled; "ok" (answered with a result),
    the rpc_error's message (e.g. "RANDOM_ID_DUPLICATE"), "dropped" (the connection closed
    instead, nothing applied), "applied" (applied, the answer held by a stall) or "lost"
    (applied, then the connection closed instead of the answer)."""

    at: float
    account_id: int | None
    request: TLObject
    outcome: str | None = None


@dataclass
class Call:
    server: TelegramServer
    connection: Connection
    auth: AuthKeyState
    request: Any

    @property
    def world(self) -> World:
        return self.server.world

    @property
    def account(self) -> Account:
        if self.auth.account_id is None:
            raise RpcError(401, "AUTH_KEY_UNREGISTERED")
        return self.world.accounts[self.auth.account_id]


class TelegramServer:
    def __init__(self, *, key: ServerKey | None = None, limits: RateLimits | None = None) -> None:
        self.key = key or server_key()
        self.world = World(self._deliver)
        self.faults = Faults()
        self.limits = limits or RateLimits()
        self.auth_keys: dict[int, AuthKeyState] = {}
        self.msg_ids = MsgIds()
        self.connections: set[Connection] = set()
        self.requests: list[RequestRecord] = []
        self.flood_errors = 0
        self.bad_server_salts = 0  # bad_server_salt notices sent (faults.strict_salt)
        self.unknown_auth_keys = 0  # packets answered with transport error -404
        self.pushed: list[tuple[int, types.Updates]] = []  # (account id, Updates) sent out
        self._changes = Changes()
        self.login_codes: dict[str, str] = {}  # phone digits -> the last code "sent"
        self.code_hashes: dict[str, tuple[str, str]] = {}  # phone_code_hash -> (phone, code)
        self.callback_answers: dict[int, asyncio.Future[Any]] = {}
        self.difference_slice = 100
        # A gap longer than this many updates is answered updates.differenceTooLong.
        self.difference_too_long_after: int | None = None
        self.uploads: dict[tuple[int, int], dict[int, bytes]] = {}
        self.callback_timeout = 10.0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._key_dir = tempfile.TemporaryDirectory(prefix="tg-loopback-")
        self.public_key_file = Path(self._key_dir.name) / "server_key.pem"
        self.public_key_file.write_text(self.key.public_pem)
        self.host = "127.0.0.1"
        self.port = 0

    # ---- lifecycle -----------------------------------------------------------------

    async def start(self, port: int = 0) -> TelegramServer:
        self._server = await asyncio.start_server(self._accept, self.host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self._stopping = True
        if self._server:
            self._server.close()
        for connection in list(self.connections):
            connection.close(abort=True)
        # Every connection runs in a task of ours (not one of asyncio's stream callbacks,
        # whose cancellation prints tracebacks): cancel and wait for all of them.
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        self._key_dir.cleanup()

    async def __aenter__(self) -> TelegramServer:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stopping:  # arrived while stopping: refused, never left half-served
            writer.transport.abort()
            return
        connection = Connection(self, FullTransport(reader, writer))
        self.connections.add(connection)
        self.spawn(self._serve(connection))

    async def _serve(self, connection: Connection) -> None:
        try:
            await connection.run()
        finally:
            self.connections.discard(connection)
            self.changed()  # wakes `wait_until(lambda: not server.online(account))`

    # ---- connections -------------------------------------------------------------

    def drop_connections(self, account: Account | None = None, *, abort: bool = False) -> int:
        """Closes every connection (of one account); returns how many were closed."""
        dropped = 0
        for connection in list(self.connections):
            if account is None or connection.account_id == account.id:
                connection.close(abort=abort)
                dropped += 1
        return dropped

    def online(self, account: Account) -> bool:
        return any(c.account_id == account.id for c in self.connections)

    def changed(self) -> None:
        """Wakes every `wait_until`: a request arrived, an update went out, a
        connection closed."""
        self._changes.notify()

    async def wait_until(self, predicate: Callable[[], T | None], within: float = 10) -> T:
        """Waits for the world to reach a state, woken by each change, never polling."""
        return await self._changes.wait_until(predicate, within)

    async def wait_online(self, account: Account, within: float = 10) -> None:
        await self.wait_until(lambda: self.online(account) or None, within)

    async def wait_request(
        self, kind: type, *, account: Account | None = None, after: int = 0, within: float = 10
    ) -> RequestRecord:
        """The first request of this type (from this account) at index >= `after`."""

        def found() -> RequestRecord | None:
            for record in self.requests[after:]:
                if isinstance(record.request, kind) and (
                    account is None or record.account_id == account.id
                ):
                    return record
            return None

        return await self.wait_until(found, within)

    # ---- requests ---------------------------------------------------------------

    async def dispatch(
        self, connection: Connection, auth: AuthKeyState, request: Any
    ) -> bytes | None:
        """The serialized result or rpc_error for one request; None: send nothing."""
        while isinstance(request, _WRAPPERS):
            if isinstance(request, functions.InitConnectionRequest):
                auth.api_id = request.api_id
            if isinstance(request, functions.InvokeWithLayerRequest):
                auth.layer = request.layer
            request = request.query
        record = RequestRecord(time.monotonic(), auth.account_id, request)
        self.requests.append(record)
        self.changed()
        call = Call(self, connection, auth, request)
        later: list[Rule] = []
        try:
            drop, later = await self.faults.before(call)
            if drop is not None:
                self._close(connection, drop, record, "dropped")
                return None
            route = ROUTES.get(request.CONSTRUCTOR_ID)
            if route is None:
                logger.warning("the loopback server does not implement %s", type(request).__name__)
                raise RpcError(400, "METHOD_NOT_IMPLEMENTED_BY_LOOPBACK")
            if route.needs_login:
                _ = call.account
            result = await route.handler(call)
        except RpcError as error:
            await self.faults.after(call, later, applied=False)
            if error.message.startswith("FLOOD_WAIT_"):
                self.flood_errors += 1
            self._settle(record, error.message)
            return serialize(RpcErrorResult(error.code, error.message))
        self._settle(record, "applied")
        drop = await self.faults.after(call, later, applied=True)
        if drop is not None:
            self._close(connection, drop, record, "lost")
            return None
        self._settle(record, "ok")
        return serialize(result)

    def _settle(self, record: RequestRecord, outcome: str) -> None:
        record.outcome = outcome
        self.changed()

    def _close(
        self, connection: Connection, drop: Drop, record: RequestRecord, outcome: str
    ) -> None:
        connection.close(abort=drop.abort)
        self._settle(record, outcome)

    def outcomes(self, kind: type, outcome: str) -> list[RequestRecord]:
        """The requests of this type that ended so, in arrival order."""
        return [r for r in self.requests if isinstance(r.request, kind) and r.outcome == outcome]

    # ---- updates ------------------------------------------------------------------

    def deliver(
        self, account: Account, update: Any, exclude_auth_key_id: int | None = None
    ) -> None:
        """Pushes one update (already in the account's log when it has a pts)."""
        self._deliver(account, update, exclude_auth_key_id)

    def _deliver(self, account: Account, update: Any, exclude_auth_key_id: int | None) -> None:
        for updates in self.faults.on_push(account, self._wrap(account, update)):
            self.push(account, updates, exclude_auth_key_id)
        self.changed()

    def _wrap(self, account: Account, update: Any) -> types.Updates:
        users, chats = self.world.entities(account, [update])
        return types.Updates(updates=[update], users=users, chats=chats, date=now(), seq=0)

    def push(
        self, account: Account, updates: types.Updates, exclude_auth_key_id: int | None = None
    ) -> None:
        payload = bytes(updates)
        self.pushed.append((account.id, updates))
        for connection in list(self.connections):
            auth = connection.auth
            if (
                auth is None
                or auth.account_id != account.id
                or auth.key.key_id == exclude_auth_key_id
            ):
                continue
            connection.send(payload)

    def login_code(self, phone: str) -> str:
        """The last login code "sent" to this phone number, as the user would read it."""
        return self.login_codes[digits(phone)]

    def phone(self, account: Account) -> Phone:
        return Phone(self, account)

    def spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
