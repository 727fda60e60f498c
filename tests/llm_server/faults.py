"""What the test server does wrong on purpose, one call at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["status", "hang", "cut", "malformed"]


@dataclass(frozen=True)
class Fault:
    """`status`: an HTTP error answer. `hang`: no more bytes after `after_chunks` pieces
    (0: not even the headers) until the client gives up. `cut`: the connection closes
    after `after_chunks` pieces, mid-body. `malformed`: a piece that is not valid JSON
    follows `after_chunks` good ones."""

    kind: FaultKind
    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    after_chunks: int = 0


def rate_limited(retry_after: float | None = None, *, retry_after_ms: int | None = None) -> Fault:
    headers: list[tuple[str, str]] = []
    if retry_after is not None:
        headers.append(("retry-after", f"{retry_after:g}"))
    if retry_after_ms is not None:
        headers.append(("retry-after-ms", str(retry_after_ms)))
    return Fault("status", 429, tuple(headers))


def server_error(status: int = 500) -> Fault:
    return Fault("status", status)


def key_refused() -> Fault:
    return Fault("status", 401)


def model_missing() -> Fault:
    return Fault("status", 404)


def context_too_large() -> Fault:
    return Fault("status", 400)  # the answer says the context is too long


def hang(after_chunks: int = 0) -> Fault:
    return Fault("hang", after_chunks=after_chunks)


def cut(after_chunks: int = 2) -> Fault:
    return Fault("cut", after_chunks=after_chunks)


def malformed(after_chunks: int = 1) -> Fault:
    return Fault("malformed", after_chunks=after_chunks)
