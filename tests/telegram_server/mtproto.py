"""The encrypted layer of one TCP connection: decrypts client messages, unpacks containers
and gzip, answers pings and service messages, hands requests to the server, and encrypts
results and pushed updates (server msg_ids odd and increasing, as Telethon demands)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
import time
from dataclasses import dataclass, field
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from telethon.crypto import AES, AuthKey
from telethon.errors import TypeNotFoundError
from telethon.extensions import BinaryReader
from telethon.network.mtprotostate import MTProtoState
from telethon.tl import TLObject, functions, types
from telethon.tl.core import GzipPacked, MessageContainer

from tests.telegram_server.handshake import Handshake, HandshakeError
from tests.telegram_server.transport import FullTransport, TransportError

if TYPE_CHECKING:
    from tests.telegram_server.server import TelegramServer

logger = logging.getLogger(__name__)

RPC_RESULT = 0xF35C6D01


@dataclass
class AuthKeyState:
    """What the server knows about one auth key; it outlives connections and sessions."""

    key: AuthKey
    salt: int = field(default_factory=lambda: struct.unpack("<q", os.urandom(8))[0])
    account_id: int | None = None
    api_id: int | None = None
    layer: int | None = None
    pending_account_id: int | None = None  # signed in with a code, waiting for the 2FA password
    srp: dict[int, int] = field(default_factory=dict)  # srp_id -> the server's secret b


class MsgIds:
    """Server msg_ids: near the clock, strictly increasing, odd (1 = reply, 3 = other)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, *, reply: bool) -> int:
        now = int(time.time() * 2**32) & ~3
        candidate = max(now, (self._last & ~3) + 4)
        self._last = candidate
        return candidate | (1 if reply else 3)


class Connection:
    def __init__(self, server: TelegramServer, transport: FullTransport) -> None:
        self.server = server
        self.transport = transport
        self.auth: AuthKeyState | None = None
        self.session_id: int | None = None
        self._seq = 0
        self._handshake: Handshake | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = asyncio.Event()

    @property
    def account_id(self) -> int | None:
        return self.auth.account_id if self.auth else None

    async def run(self) -> None:
        try:
            while True:
                body = await self.transport.read()
                if len(body) < 8:
                    raise TransportError("short packet")
                key_id = struct.unpack("<Q", body[:8])[0]
                if key_id == 0:
                    self._plain(body)
                else:
                    await self._encrypted(key_id, body)
                await self.transport.drain()
        except (
            asyncio.IncompleteReadError,
            ConnectionError,
            TransportError,
            HandshakeError,
        ) as error:
            if not isinstance(error, (asyncio.IncompleteReadError, ConnectionResetError)):
                logger.info("closing connection: %s", error)
        except Exception:
            logger.exception("closing connection after an internal error")
        finally:
            self.close()
            for task in list(self._tasks):
                task.cancel()
            self.closed.set()

    def close(self, *, abort: bool = False) -> None:
        with contextlib.suppress(Exception):
            self.transport.close(abort=abort)

    # ---- the plain layer: key exchange -------------------------------------------

    def _plain(self, body: bytes) -> None:
        reader = BinaryReader(body[20:])
        request = reader.tgread_object()
        if self._handshake is None:
            self._handshake = Handshake(self.server.key)
        answer, auth_key = self._handshake.answer(request)
        if auth_key is not None:
            self.server.auth_keys[auth_key.key_id] = AuthKeyState(auth_key)
            self._handshake = None
        data = bytes(answer)
        msg_id = self.server.msg_ids.next(reply=True)
        self.transport.write(struct.pack("<qqi", 0, msg_id, len(data)) + data)

    # ---- the encrypted layer -----------------------------------------------------------

    async def _encrypted(self, key_id: int, body: bytes) -> None:
        auth = self.server.auth_keys.get(key_id)
        if auth is None:
            self.server.unknown_auth_keys += 1
            self.transport.write_error(-404)
            return
        self.auth = auth
        key = auth.key.key
        msg_key = body[8:24]
        aes_key, aes_iv = MTProtoState._calc_key(key, msg_key, True)
        plain = AES.decrypt_ige(body[24:], aes_key, aes_iv)
        if sha256(key[88:120] + plain).digest()[8:24] != msg_key:
            raise TransportError("msg_key mismatch")
        salt, session_id, msg_id, seq_no, length = struct.unpack("<qqqii", plain[:32])
        if session_id != self.session_id:
            self.session_id = session_id
            self._seq = 0
            self.send(
                bytes(
                    types.NewSessionCreated(
                        msg_id, struct.unpack("<q", os.urandom(8))[0], auth.salt
                    )
                )
            )
        if self.server.faults.strict_salt and salt != auth.salt:
            self.server.bad_server_salts += 1
            self.send(
                bytes(types.BadServerSalt(msg_id, seq_no, 48, auth.salt)), content_related=False
            )
            return
        reader = BinaryReader(plain[32 : 32 + length])
        try:
            obj = reader.tgread_object()
        except TypeNotFoundError as error:
            logger.warning("unknown constructor %08x from the client", error.invalid_constructor_id)
            return
        self._process(msg_id, obj)

    def _process(self, msg_id: int, obj: Any) -> None:
        if isinstance(obj, MessageContainer):
            for inner in obj.messages:
                self._process(inner.msg_id, inner.obj)
        elif isinstance(obj, GzipPacked):
            self._process(msg_id, BinaryReader(obj.data).tgread_object())
        elif isinstance(obj, types.MsgsAck):
            pass
        elif isinstance(obj, (functions.PingRequest, functions.PingDelayDisconnectRequest)):
            self.send(bytes(types.Pong(msg_id, obj.ping_id)), content_related=False)
        elif isinstance(obj, functions.DestroySessionRequest):
            self._reply(msg_id, types.DestroySessionOk(obj.session_id))
        elif isinstance(obj, functions.GetFutureSaltsRequest):
            assert self.auth is not None
            now = int(time.time())
            salt = types.FutureSalt(now, now + 3600, self.auth.salt)
            self.send(bytes(types.FutureSalts(msg_id, now, [salt])), content_related=False)
        elif isinstance(obj, TLObject):
            task = asyncio.create_task(self._call(msg_id, obj))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            logger.warning("ignoring %r from the client", obj)

    async def _call(self, msg_id: int, request: TLObject) -> None:
        assert self.auth is not None
        try:
            outcome = await self.server.dispatch(self, self.auth, request)
        except Exception:
            logger.exception("internal error answering %s", type(request).__name__)
            outcome = serialize(RpcErrorResult(500, "INTERNAL_LOOPBACK_ERROR"))
        if outcome is not None:
            self._reply_raw(msg_id, outcome)
            await self.transport.drain()

    # ---- sending -------------------------------------------------------------------------

    def _reply(self, msg_id: int, result: Any) -> None:
        self._reply_raw(msg_id, serialize(result))

    def _reply_raw(self, msg_id: int, body: bytes) -> None:
        payload = struct.pack("<Iq", RPC_RESULT, msg_id) + GzipPacked.gzip_if_smaller(True, body)
        self.send(payload, reply=True)

    def send(self, payload: bytes, *, content_related: bool = True, reply: bool = False) -> None:
        """Encrypts one message for the client, with the current session and salt."""
        if self.auth is None or self.session_id is None:
            return
        msg_id = self.server.msg_ids.next(reply=reply)
        if content_related:
            seq_no = self._seq * 2 + 1
            self._seq += 1
        else:
            seq_no = self._seq * 2
        data = (
            struct.pack("<qqqii", self.auth.salt, self.session_id, msg_id, seq_no, len(payload))
            + payload
        )
        padding = os.urandom(-(len(data) + 12) % 16 + 12)
        key = self.auth.key.key
        msg_key = sha256(key[96:128] + data + padding).digest()[8:24]
        aes_key, aes_iv = MTProtoState._calc_key(key, msg_key, False)
        encrypted = AES.encrypt_ige(data + padding, aes_key, aes_iv)
        self.transport.write(struct.pack("<Q", self.auth.key.key_id) + msg_key + encrypted)


def serialize(result: Any) -> bytes:
    if isinstance(result, RpcErrorResult):
        return bytes(types.RpcError(result.code, result.message))
    if isinstance(result, bool):
        return struct.pack("<I", 0x997275B5 if result else 0xBC799737)
    if isinstance(result, list):
        return struct.pack("<Ii", 0x1CB5C415, len(result)) + b"".join(
            serialize(item) for item in result
        )
    if isinstance(result, bytes):
        return result
    return bytes(result)


@dataclass(frozen=True)
class RpcErrorResult:
    code: int
    message: str
