"""A loopback language-model server speaking OpenAI's, Anthropic's and Ollama's wire
formats (HTTP/1.1, keep-alive, streams as chunked bodies), with faults queued per call."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from tests.llm_server.faults import Fault

Wire = Literal["openai", "anthropic", "ollama"]

ROUTES: dict[tuple[str, str], tuple[Wire, str]] = {
    ("POST", "/v1/chat/completions"): ("openai", "chat"),
    ("GET", "/v1/models"): ("openai", "models"),
    ("POST", "/v1/messages"): ("anthropic", "chat"),
    ("POST", "/api/chat"): ("ollama", "chat"),
    ("GET", "/api/tags"): ("ollama", "models"),
}
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
REASONS |= {429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
# Anthropic's SDK skips events it does not know, so its bad piece names a known event.
MALFORMED: dict[Wire, str] = {
    "openai": "data: {not json\n\n",
    "anthropic": "event: content_block_delta\ndata: {not json\n\n",
    "ollama": "{not json\n",
}
ERROR_MESSAGES = {
    400: "prompt is too long: the maximum context length is 8192 tokens",
    401: "invalid api key",
    404: "model not found",
    429: "rate limit reached",
}


@dataclass(frozen=True)
class Recorded:
    wire: Wire
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # the parsed JSON, or None


class LlmServer:
    """`async with LlmServer(text=...) as server:` then point SDKs at `server.url`
    (OpenAI's at `server.url + "/v1"`). Every request lands in `requests`."""

    def __init__(self, text: str = "Hello from the test server.", prompt_tokens: int = 17):
        self.text = text
        self.texts: dict[Wire, str] = {}  # a wire format's own text, instead of `text`
        self.prompt_tokens = prompt_tokens
        self.requests: list[Recorded] = []
        self._faults: dict[Wire, deque[Fault]] = {
            w: deque() for w in ("openai", "anthropic", "ollama")
        }
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()
        self.url = ""

    def fail_next(self, wire: Wire, *faults: Fault) -> None:
        """The next calls to that wire format's chat endpoint get these faults, in order."""
        self._faults[wire].extend(faults)

    def calls(self, wire: Wire) -> list[Recorded]:
        return [request for request in self.requests if request.wire == wire]

    def text_for(self, wire: Wire) -> str:
        return self.texts.get(wire, self.text)

    def pieces(self, wire: Wire) -> list[str]:
        """The wire format's text as the chunks it is streamed in (a word and its spaces)."""
        text = self.text_for(wire)
        return re.findall(r"\s*\S+\s*", text) or [text]

    async def __aenter__(self) -> LlmServer:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing.set()
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    # ---- HTTP ----------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        try:
            while not self._closing.is_set():
                request_line = await reader.readline()
                if not request_line:
                    return
                method, path, _ = request_line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                raw = await reader.readexactly(int(headers.get("content-length", "0")))
                body = json.loads(raw) if raw else None
                keep_open = await self._answer(
                    reader, writer, method, path.split("?")[0], headers, body
                )
                if not keep_open:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            self._writers.discard(writer)
            if handler is not None:
                self._handlers.discard(handler)
            writer.close()

    async def _answer(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any,
    ) -> bool:
        """Writes one answer; False when the connection must close after it."""
        route = ROUTES.get((method, path))
        if route is None:
            await _send_json(writer, 404, {"error": f"no route {method} {path}"})
            return True
        wire, action = route
        self.requests.append(Recorded(wire, method, path, headers, body))
        if action == "models":
            await _send_json(writer, 200, _models(wire))
            return True
        fault = self._faults[wire].popleft() if self._faults[wire] else None
        if fault is not None and fault.kind == "status":
            await _send_json(writer, fault.status, _error(wire, fault.status), fault.headers)
            return True
        model = str((body or {}).get("model", ""))
        streaming = bool((body or {}).get("stream", wire == "ollama"))
        if not streaming:
            await _send_json(writer, 200, self._whole(wire, model))
            return True
        if fault is not None and fault.kind == "hang" and fault.after_chunks == 0:
            await self._hang(reader)
            return False
        content_type = "application/x-ndjson" if wire == "ollama" else "text/event-stream"
        writer.write(_head(200, [("content-type", content_type), ("transfer-encoding", "chunked")]))
        events = self._events(wire, model, include_usage=_wants_usage(wire, body))
        for index, event in enumerate(events):
            if fault is not None and index == fault.after_chunks:
                if fault.kind == "hang":
                    await writer.drain()
                    await self._hang(reader)
                    return False
                if fault.kind == "cut":
                    await writer.drain()
                    return False
                if fault.kind == "malformed":
                    writer.write(_chunk(MALFORMED[wire]))
            writer.write(_chunk(event))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    async def _hang(self, reader: asyncio.StreamReader) -> None:
        """Says nothing until the client hangs up (or the server stops)."""
        closing = asyncio.ensure_future(self._closing.wait())
        reading = asyncio.ensure_future(reader.read())
        await asyncio.wait({closing, reading}, return_when=asyncio.FIRST_COMPLETED)
        for task in (closing, reading):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await task

    # ---- wire formats ----------------------------------------------------------

    def _events(self, wire: Wire, model: str, *, include_usage: bool) -> list[str]:
        pieces = self.pieces(wire)
        usage_in, usage_out = self.prompt_tokens, len(pieces)
        if wire == "openai":

            def chunk(delta: dict[str, str], finish: str | None) -> str:
                choice = {"index": 0, "delta": delta, "finish_reason": finish}
                return _sse(None, {**_openai_head(model), "choices": [choice]})

            events = [chunk({"role": "assistant", "content": ""}, None)]
            events += [chunk({"content": piece}, None) for piece in pieces]
            events.append(chunk({}, "stop"))
            if include_usage:
                usage = _openai_usage(usage_in, usage_out)
                events.append(_sse(None, {**_openai_head(model), "choices": [], "usage": usage}))
            events.append("data: [DONE]\n\n")
            return events
        if wire == "anthropic":
            message: dict[str, Any] = {
                "id": "msg_test",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": usage_in, "output_tokens": 1},
            }
            events = [
                _sse("message_start", {"type": "message_start", "message": message}),
                _sse(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    },
                ),
            ]
            events += [
                _sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": piece},
                    },
                )
                for piece in pieces
            ]
            events += [
                _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
                _sse(
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                        "usage": {"output_tokens": usage_out},
                    },
                ),
                _sse("message_stop", {"type": "message_stop"}),
            ]
            return events
        lines = [
            _ndjson(
                {
                    **_ollama_head(model),
                    "message": {"role": "assistant", "content": piece},
                    "done": False,
                }
            )
            for piece in pieces
        ]
        lines.append(
            _ndjson(
                {
                    **_ollama_head(model),
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": "stop",
                    "prompt_eval_count": usage_in,
                    "eval_count": usage_out,
                }
            )
        )
        return lines

    def _whole(self, wire: Wire, model: str) -> dict[str, Any]:
        usage_in, usage_out = self.prompt_tokens, len(self.pieces(wire))
        text = self.text_for(wire)
        if wire == "openai":
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
            return {
                **_openai_head(model),
                "object": "chat.completion",
                "choices": [choice],
                "usage": _openai_usage(usage_in, usage_out),
            }
        if wire == "anthropic":
            return {
                "id": "msg_test",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": usage_in, "output_tokens": usage_out},
            }
        return {
            **_ollama_head(model),
            "message": {"role": "assistant", "content": text},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": usage_in,
            "eval_count": usage_out,
        }


def _wants_usage(wire: Wire, body: Any) -> bool:
    if wire != "openai":
        return True
    options = (body or {}).get("stream_options") or {}
    return bool(options.get("include_usage"))


def _openai_head(model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }


def _openai_usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _ollama_head(model: str) -> dict[str, Any]:
    return {"model": model, "created_at": "2026-01-01T00:00:00Z"}


def _models(wire: Wire) -> dict[str, Any]:
    if wire == "openai":
        return {
            "object": "list",
            "data": [{"id": "test-model", "object": "model", "created": 0, "owned_by": "test"}],
        }
    return {
        "models": [
            {
                "name": "test-model",
                "model": "test-model",
                "modified_at": "2026-01-01T00:00:00Z",
                "size": 1,
                "digest": "0",
                "details": {},
            }
        ]
    }


def _error(wire: Wire, status: int) -> dict[str, Any]:
    message = ERROR_MESSAGES.get(status, "internal error")
    if wire == "openai":
        return {"error": {"message": message, "type": "test_error", "code": None}}
    if wire == "anthropic":
        return {"type": "error", "error": {"type": "test_error", "message": message}}
    return {"error": message}


def _sse(event: str | None, data: dict[str, Any]) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n"


def _ndjson(data: dict[str, Any]) -> str:
    return json.dumps(data) + "\n"


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}",
        *(f"{k}: {v}" for k, v in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _chunk(text: str) -> bytes:
    data = text.encode()
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _send_json(
    writer: asyncio.StreamWriter,
    status: int,
    body: dict[str, Any],
    extra: tuple[tuple[str, str], ...] = (),
) -> None:
    data = json.dumps(body).encode()
    headers = [("content-type", "application/json"), ("content-length", str(len(data))), *extra]
    writer.write(_head(status, headers) + data)
    await writer.drain()
