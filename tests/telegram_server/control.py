"""A small HTTP control for the standalone server (`python -m tests.telegram_server`): acts
as the phone user through `TelegramServer.phone`, reads what the bot sent, injects faults.

Plain HTTP/1.1 on 127.0.0.1 with `asyncio.start_server`, JSON bodies, one request per
connection (`Connection: close`), so curl, urllib or fetch from any language can drive it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from telethon.tl import functions, types

from tests.telegram_server.api.messages import MAX_CAPTION, MAX_TEXT, utf16_len
from tests.telegram_server.rpc import RpcError
from tests.telegram_server.server import TelegramServer
from tests.telegram_server.world import Account

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024 * 1024
MAX_HEADERS = 100
DEFAULT_WAIT = 25.0
MAX_WAIT = 60.0

HELP = """\
tgbridge loopback Telegram server: control endpoints (JSON in and out)
You act as the phone user; "the bot" is the world's bot.

POST /send        {"text": "...", "reply_to": 12}          send to the bot -> {"id": N}
POST /send_file   {"name": "a.txt", "base64": "...", "caption": "..."}  -> {"id": N}
POST /press       {"message_id": N, "data": "yes"}         press an inline button
                                                           -> {"message": ..., "alert": ...}
GET  /messages?after=N                                     what the bot sent, id > N
                                                           (id, text, reply_to, edited,
                                                           buttons, file, entities)
GET  /wait?after=N&timeout=S                               the same, waiting up to S s
                                                           (default 25, max 60)
GET  /login_code                                           the last login code -> {"code": ...}
POST /drop        {"hold_reconnect": S}                    drop every MTProto connection;
                                                           with S, the next connection's
                                                           first request waits S seconds
POST /flood_wait  {"seconds": N}                           next sendMessage/sendMedia gets
                                                           FLOOD_WAIT_N
POST /fail        {"method": "messages.SendMessage",       the next N (default 1) such
                   "error": "CHAT_WRITE_FORBIDDEN",        requests get that rpc_error
                   "code": 403, "times": 1}
GET  /                                                     this help
"""


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body.decode("utf-8")) if self.body.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise HttpError(400, f"bad JSON body: {error}") from None
        if not isinstance(value, dict):
            raise HttpError(400, "the body must be a JSON object")
        return value

    def int_query(self, name: str, default: int) -> int:
        raw = self.query.get(name)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise HttpError(400, f"{name} must be an integer") from None

    def float_query(self, name: str, default: float) -> float:
        raw = self.query.get(name)
        if raw is None:
            return default
        try:
            return float(raw)
        except ValueError:
            raise HttpError(400, f"{name} must be a number") from None


Reply = tuple[int, Any]  # status, a JSON value or (for text/plain) a str
Handler = Callable[[Request], Awaitable[Reply]]


def _field(body: dict[str, Any], name: str, kind: type, *, required: bool = True) -> Any:
    value = body.get(name)
    if value is None:
        if required:
            raise HttpError(400, f"missing field {name!r}")
        return None
    # bool is an int in Python, not in JSON.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise HttpError(400, f"field {name!r} must be {kind.__name__}")
    return value


class Control:
    """The HTTP control of one server, acting as `user` towards `bot`."""

    def __init__(self, server: TelegramServer, user: Account, bot: Account) -> None:
        self.server = server
        self.user = user
        self.bot = bot
        self.phone = server.phone(user)
        self.port = 0
        self._listener: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._routes: dict[tuple[str, str], Handler] = {
            ("GET", "/"): self._help,
            ("POST", "/send"): self._send,
            ("POST", "/send_file"): self._send_file,
            ("POST", "/press"): self._press,
            ("GET", "/messages"): self._messages,
            ("GET", "/wait"): self._wait,
            ("GET", "/login_code"): self._login_code,
            ("POST", "/drop"): self._drop,
            ("POST", "/flood_wait"): self._flood_wait,
            ("POST", "/fail"): self._fail,
        }

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self, port: int = 0) -> int:
        self._listener = await asyncio.start_server(self._accept, "127.0.0.1", port)
        self.port = self._listener.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.wait_closed()
            self._listener = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback that starts our own task: Python 3.11 logs a traceback when the
        # task asyncio makes for a coroutine callback is cancelled, and stop() cancels.
        task = asyncio.create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- HTTP --------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                request = await self._read(reader, writer)
            except HttpError as error:
                await self._write(writer, error.status, {"error": error.message})
                return
            if request is None:
                return
            status, payload = await self._handle(request)
            await self._write(writer, status, payload)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _read(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Request | None:
        try:
            line = await reader.readline()
        except (ValueError, asyncio.LimitOverrunError):
            raise HttpError(400, "request line too long") from None
        if not line:
            return None  # connected and closed without asking anything
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise HttpError(400, "bad request line")
        method, target, _ = parts
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            try:
                raw = await reader.readline()
            except (ValueError, asyncio.LimitOverrunError):
                raise HttpError(400, "header line too long") from None
            if raw in (b"\r\n", b"\n", b""):
                break
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep:
                raise HttpError(400, "bad header line")
            headers[name.strip().lower()] = value.strip()
        else:
            raise HttpError(400, "too many headers")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise HttpError(411, "send a Content-Length, not a chunked body")
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise HttpError(400, "bad Content-Length") from None
        if length < 0:
            raise HttpError(400, "bad Content-Length")
        if length > MAX_BODY:
            raise HttpError(413, f"the body is larger than {MAX_BODY} bytes")
        if length and headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
        body = await reader.readexactly(length) if length else b""
        if "://" in target:  # absolute-form
            url = urlsplit(target)
            path, query_string = url.path, url.query
        else:
            path, _, query_string = target.partition("?")
        # "$CONTROL/send" with CONTROL ending in "/" asks for "//send": the same endpoint.
        path = "/" + path.lstrip("/")
        query = {name: values[-1] for name, values in parse_qs(query_string).items()}
        return Request(method.upper(), path, query, body)

    async def _handle(self, request: Request) -> Reply:
        handler = self._routes.get((request.method, request.path))
        if handler is None:
            if any(path == request.path for _, path in self._routes):
                return 405, {"error": f"{request.method} is not allowed on {request.path}"}
            return 404, {"error": f"no such endpoint: {request.path}; GET / lists them"}
        try:
            return await handler(request)
        except HttpError as error:
            return error.status, {"error": error.message}
        except RpcError as error:
            return 400, {"error": error.message}
        except Exception as error:
            logger.exception("the control failed on %s %s", request.method, request.path)
            return 500, {"error": f"{type(error).__name__}: {error}"}

    async def _write(self, writer: asyncio.StreamWriter, status: int, payload: Any) -> None:
        if isinstance(payload, str):
            body = payload.encode()
            content_type = "text/plain; charset=utf-8"
        else:
            body = json.dumps(payload).encode()
            content_type = "application/json"
        reason = HTTPStatus(status).phrase
        head = (
            f"HTTP/1.1 {status} {reason}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        writer.write(head.encode("latin-1") + body)
        await writer.drain()

    # ---- endpoints -------------------------------------------------------------------

    async def _help(self, request: Request) -> Reply:
        return 200, HELP

    async def _send(self, request: Request) -> Reply:
        body = request.json()
        text = _field(body, "text", str)
        reply_to = _field(body, "reply_to", int, required=False)
        if not text.strip():
            raise HttpError(400, "MESSAGE_EMPTY")
        if utf16_len(text) > MAX_TEXT:
            raise HttpError(400, "MESSAGE_TOO_LONG")
        message = self.phone.send(self.bot, text, reply_to=reply_to)
        return 200, {"id": message.id}

    async def _send_file(self, request: Request) -> Reply:
        body = request.json()
        name = _field(body, "name", str)
        encoded = _field(body, "base64", str)
        caption = _field(body, "caption", str, required=False) or ""
        if not name:
            raise HttpError(400, "the file needs a name")
        if utf16_len(caption) > MAX_CAPTION:
            raise HttpError(400, "MEDIA_CAPTION_TOO_LONG")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as error:
            raise HttpError(400, f"bad base64: {error}") from None
        mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        message = self.phone.send_file(self.bot, data, name, mime_type=mime_type, caption=caption)
        return 200, {"id": message.id}

    async def _press(self, request: Request) -> Reply:
        body = request.json()
        message_id = _field(body, "message_id", int)
        data = _field(body, "data", str)
        message = self.user.messages.get(message_id)
        if message is None:
            raise HttpError(400, "MESSAGE_ID_INVALID")
        answer = await self.phone.press(message, data.encode("utf-8"))
        return 200, {"message": answer.message, "alert": bool(answer.alert)}

    async def _messages(self, request: Request) -> Reply:
        return 200, self._from_bot(request.int_query("after", 0))

    async def _wait(self, request: Request) -> Reply:
        after = request.int_query("after", 0)
        timeout = min(max(request.float_query("timeout", DEFAULT_WAIT), 0.0), MAX_WAIT)
        try:
            found = await self.server.wait_until(lambda: self._from_bot(after) or None, timeout)
        except TimeoutError:
            found = []
        return 200, found

    async def _login_code(self, request: Request) -> Reply:
        assert self.user.phone is not None
        try:
            code = self.server.login_code(self.user.phone)
        except KeyError:
            raise HttpError(404, "no login code was sent to the user's phone yet") from None
        return 200, {"code": code}

    async def _drop(self, request: Request) -> Reply:
        hold = _field(request.json(), "hold_reconnect", int, required=False)
        if hold is not None:
            if hold < 0:
                raise HttpError(400, "hold_reconnect must not be negative")
            # A fresh connection starts with initConnection(help.getConfig): holding it
            # keeps the client offline for that long, so the gap can be seen.
            stall = self.server.faults.stall(functions.help.GetConfigRequest)
            asyncio.get_running_loop().call_later(hold, stall.release)
        return 200, {"dropped": self.server.drop_connections()}

    async def _flood_wait(self, request: Request) -> Reply:
        seconds = _field(request.json(), "seconds", int)
        if seconds < 0:
            raise HttpError(400, "seconds must not be negative")
        self.server.faults.flood_wait(
            (functions.messages.SendMessageRequest, functions.messages.SendMediaRequest), seconds
        )
        return 200, {"seconds": seconds}

    async def _fail(self, request: Request) -> Reply:
        body = request.json()
        method = _field(body, "method", str)
        error = _field(body, "error", str)
        code = _field(body, "code", int, required=False) or 400
        times = _field(body, "times", int, required=False) or 1
        if times < 1:
            raise HttpError(400, "times must be at least 1")
        self.server.faults.answer_error(_request_type(method), code, error, times=times)
        return 200, {"method": method, "error": error, "code": code, "times": times}

    # ---- messages as JSON --------------------------------------------------------------

    def _from_bot(self, after: int) -> list[dict[str, Any]]:
        return [self._message_json(m) for m in self.phone.received(sender=self.bot) if m.id > after]

    def _message_json(self, message: types.Message) -> dict[str, Any]:
        reply = message.reply_to
        return {
            "id": message.id,
            "text": message.message,
            "reply_to": getattr(reply, "reply_to_msg_id", None),
            "edited": message.edit_date is not None,
            "buttons": [
                [{"text": button.text, "data": _button_data(button)} for button in row.buttons]
                for row in getattr(message.reply_markup, "rows", None) or []
            ],
            "file": self._file_json(message.media),
            "entities": [_entity_json(entity) for entity in message.entities or []],
        }

    def _file_json(self, media: Any) -> dict[str, Any] | None:
        item = getattr(media, "document", None) or getattr(media, "photo", None)
        if item is None:
            return None
        stored = self.server.world.files.get(item.id)
        if stored is not None:
            return {"name": stored.name, "size": len(stored.data)}
        name = next(
            (
                a.file_name
                for a in getattr(item, "attributes", None) or []
                if isinstance(a, types.DocumentAttributeFilename)
            ),
            None,
        )
        return {"name": name, "size": getattr(item, "size", None)}


def _entity_json(entity: Any) -> dict[str, Any]:
    """MessageEntityPre(offset=0, length=9, language="py") -> {"type": "pre", ...}; offsets
    and lengths count UTF-16 code units, as Telegram's do."""
    kind = type(entity).__name__.removeprefix("MessageEntity").lower()
    found: dict[str, Any] = {"type": kind, "offset": entity.offset, "length": entity.length}
    for extra in ("language", "url"):
        value = getattr(entity, extra, None)
        if value is not None:
            found[extra] = value
    return found


def _request_type(method: str) -> type:
    """ "messages.SendMessage" -> functions.messages.SendMessageRequest."""
    namespace, _, name = method.rpartition(".")
    module = getattr(functions, namespace, None) if namespace else functions
    kind = getattr(module, f"{name}Request", None) if module is not None else None
    if not isinstance(kind, type):
        raise HttpError(400, f"no such method: {method!r}")
    return kind


def _button_data(button: Any) -> str | None:
    """A callback button's data: under `type` since layer 229 (KeyboardInlineButton with
    InlineButtonTypeCallback), on the button itself before (KeyboardButtonCallback)."""
    data = getattr(getattr(button, "type", None), "data", None)
    if data is None:
        data = getattr(button, "data", None)
    if not isinstance(data, bytes):
        return None
    return data.decode("utf-8", errors="replace")
