"""How API handlers are written: one function per request type, registered by class, that
returns the TL result or raises RpcError as Telegram would answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.telegram_server.server import Call


class RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


Handler = Callable[["Call"], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    request: type
    handler: Handler
    needs_login: bool


ROUTES: dict[int, Route] = {}


def handles(*requests: type, needs_login: bool = True) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for request in requests:
            ROUTES[request.CONSTRUCTOR_ID] = Route(request, handler, needs_login)  # type: ignore[attr-defined]
        return handler

    return register
