"""A symmetric JSON-RPC 2.0 connection over asyncio streams: one compact JSON message a line.

Either side may send requests and notifications. Requests are answered by handlers that
run as tasks, so a handler may itself ask the other side something (the hub asks the
window for a login code while the window's login request is pending). Notifications are
handled inline, in the order they arrive. Params are JSON objects; callers validate them
with the protocol models.

Errors: a handler raising `BridgeError` answers -32001 with `data.code`/`data.field`, and
`request()` on the other side raises the same BridgeError; every other failure arrives as
`RpcError` (unknown method -32601, bad params -32602, anything else -32603 with a generic
message, so no exception text, and no secret in it, crosses the connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard, cast

from tgbridge.errors import BridgeError, ErrorCode

logger = logging.getLogger(__name__)

LINE_LIMIT = 64 * 1024 * 1024

BRIDGE_ERROR = -32001
INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603

RequestHandler = Callable[[dict[str, Any]], Awaitable[Any]]
NotificationHandler = Callable[[dict[str, Any]], None]


class ConnectionLost(ConnectionError):
    """The connection closed before the answer came."""


class MessageTooLarge(ValueError):
    """A message longer than the other side accepts; it was not sent."""


class RpcError(Exception):
    """An error answer other than a BridgeError; `code` is the JSON-RPC error code."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class RpcConnection:
    """One JSON-RPC peer. Register handlers, then `await run()` until the peer leaves.

    `max_line` must not exceed the limit of `reader` (the hub socket uses LINE_LIMIT).
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        name: str = "peer",
        max_line: int = LINE_LIMIT,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._name = name
        self._max_line = max_line
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._request_handlers: dict[str, RequestHandler] = {}
        self._notification_handlers: dict[str, NotificationHandler] = {}
        self._close_callbacks: list[Callable[[], None]] = []
        self._running: set[asyncio.Task[None]] = set()
        self._write_lock = asyncio.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def on_request(self, method: str, handler: RequestHandler) -> None:
        """`handler(params)` answers `method`; its return value is the result."""
        if method in self._request_handlers:
            raise ValueError(f"{method} already has a request handler")
        self._request_handlers[method] = handler

    def on_notification(self, method: str, handler: NotificationHandler) -> None:
        """`handler(params)` runs inline, in arrival order, so it must not block."""
        if method in self._notification_handlers:
            raise ValueError(f"{method} already has a notification handler")
        self._notification_handlers[method] = handler

    def on_close(self, callback: Callable[[], None]) -> None:
        """`callback()` runs once when the connection closes, for whatever reason."""
        self._close_callbacks.append(callback)

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        """Sends a request and returns its result (wrap it in `asyncio.timeout` to bound it).

        Raises BridgeError or RpcError when the peer answers an error, ConnectionLost when
        the connection closes first.
        """
        request_id = next(self._ids)
        line = self._encode(
            {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        )
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self._write(line)
            return await future
        finally:
            self._pending.pop(request_id, None)

    async def notify(self, method: str, params: dict[str, Any]) -> None:
        """Sends a notification; notifications arrive in the order they were sent."""
        await self._write(self._encode({"jsonrpc": "2.0", "method": method, "params": params}))

    async def run(self) -> None:
        """Reads and dispatches messages until the peer leaves or sends something malformed."""
        try:
            while await self._read_one():
                pass
        finally:
            self._shut_down()

    async def close(self) -> None:
        self._shut_down()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()

    async def _read_one(self) -> bool:
        try:
            line = await self._reader.readline()
        except ValueError:
            logger.warning("%s sent a message over %d bytes; closing", self._name, self._max_line)
            return False
        except ConnectionError:
            return False
        if not line:
            return False
        if not line.endswith(b"\n"):
            logger.warning("%s left in the middle of a message", self._name)
            return False
        return self._dispatch(line)

    def _dispatch(self, line: bytes) -> bool:
        try:
            message = json.loads(line)
        except ValueError:
            return self._malformed(f"a line that is not JSON ({len(line)} bytes)")
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return self._malformed("something that is not a JSON-RPC 2.0 message")
        method = message.get("method")
        request_id = message.get("id")
        if isinstance(method, str):
            params = message.get("params", {})
            if "id" not in message:
                self._handle_notification(method, params)
            elif _valid_id(request_id):
                task = asyncio.create_task(self._answer(request_id, method, params))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            else:
                return self._malformed("a request with an invalid id")
            return True
        if isinstance(request_id, int) and ("result" in message or "error" in message):
            self._settle(request_id, message)
            return True
        return self._malformed("a message that is neither a request nor an answer")

    def _malformed(self, what: str) -> bool:
        # The message itself is not logged: it may carry a secret.
        logger.warning("%s sent %s; closing the connection", self._name, what)
        return False

    def _handle_notification(self, method: str, params: Any) -> None:
        handler = self._notification_handlers.get(method)
        if handler is None:
            logger.debug("%s: no handler for notification %s", self._name, method)
            return
        if not isinstance(params, dict):
            logger.warning("%s: notification %s without an object as params", self._name, method)
            return
        try:
            handler(params)
        except Exception:
            logger.exception("%s: handling notification %s failed", self._name, method)

    async def _answer(self, request_id: int | str, method: str, params: Any) -> None:
        handler = self._request_handlers.get(method)
        if handler is None:
            answer = _error(
                request_id, METHOD_NOT_FOUND, f"Unknown method {method}", "unknown_method"
            )
        elif not isinstance(params, dict):
            answer = _error(
                request_id, INVALID_PARAMS, "params must be an object", "invalid_params"
            )
        else:
            try:
                result = await handler(params)
            except BridgeError as error:
                data = {"code": error.code, "field": error.field}
                answer = _error(request_id, BRIDGE_ERROR, error.message, data)
            except Exception:
                logger.exception("%s: request %s failed", self._name, method)
                answer = _internal_error(request_id)
            else:
                answer = {"jsonrpc": "2.0", "id": request_id, "result": result}
        try:
            line = self._encode(answer)
        except (TypeError, ValueError):
            logger.exception("%s: the answer to %s cannot be sent", self._name, method)
            line = self._encode(_internal_error(request_id))
        with contextlib.suppress(ConnectionLost):
            await self._write(line)

    def _settle(self, request_id: int, message: dict[str, Any]) -> None:
        future = self._pending.get(request_id)
        if future is None or future.done():
            logger.debug("%s answered request %s, which nobody awaits", self._name, request_id)
        elif "error" in message:
            future.set_exception(_exception_from(message["error"]))
        else:
            future.set_result(message["result"])

    def _encode(self, message: dict[str, Any]) -> bytes:
        text = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        line = text.encode() + b"\n"
        if len(line) - 1 > self._max_line:
            raise MessageTooLarge(f"a message of {len(line) - 1} bytes (at most {self._max_line})")
        return line

    async def _write(self, line: bytes) -> None:
        async with self._write_lock:
            if self._closed:
                raise ConnectionLost(f"the connection to {self._name} is closed")
            try:
                self._writer.write(line)
                await self._writer.drain()
            except ConnectionError as error:
                raise ConnectionLost(f"the connection to {self._name} was lost") from error

    def _shut_down(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionLost(f"{self._name} left before answering"))
        self._pending.clear()
        # Nobody is left to read their answers; work that must outlive the connection is
        # handed to something that does (the outbox) before a handler returns.
        for task in self._running:
            if task is not asyncio.current_task():
                task.cancel()
        for callback in self._close_callbacks:
            try:
                callback()
            except Exception:
                logger.exception("%s: a close callback failed", self._name)


def _valid_id(request_id: Any) -> TypeGuard[int | str]:
    return isinstance(request_id, int | str) and not isinstance(request_id, bool)


def _error(request_id: int | str, code: int, message: str, data: Any) -> dict[str, Any]:
    if isinstance(data, str):
        data = {"code": data}
    error = {"code": code, "message": message, "data": data}
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def _internal_error(request_id: int | str) -> dict[str, Any]:
    return _error(request_id, INTERNAL_ERROR, "Internal error; see the tgbridge log", "internal")


def _exception_from(error: Any) -> Exception:
    if not isinstance(error, dict):
        return RpcError(INTERNAL_ERROR, "A malformed error answer")
    code, message, data = error.get("code"), error.get("message"), error.get("data")
    message = message if isinstance(message, str) else "Error"
    if code == BRIDGE_ERROR and isinstance(data, dict) and isinstance(data.get("code"), str):
        field = data.get("field")
        error_code = cast(ErrorCode, data["code"])
        return BridgeError(error_code, message, field=field if isinstance(field, str) else None)
    return RpcError(code if isinstance(code, int) else INTERNAL_ERROR, message, data)
