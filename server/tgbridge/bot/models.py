"""The hub's language models: the router for the owner's current settings and keys
(rebuilt when either changes), and a row in `llm_calls` for every call, answered or not.
The keys come from the editor's SecretStorage and live in memory only."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from tgbridge.llm.config import LlmSettings
from tgbridge.llm.errors import LlmError
from tgbridge.llm.types import LlmRequest, LlmResult
from tgbridge.store import llm_calls

if TYPE_CHECKING:
    from tgbridge.llm.router import Router

logger = logging.getLogger(__name__)


class Models:
    def __init__(
        self,
        db: sqlite3.Connection,
        settings: Callable[[], LlmSettings],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._keys: dict[str, str] = {}
        self._router: Router | None = None
        self._router_for: tuple[LlmSettings, tuple[tuple[str, str], ...]] | None = None
        self._retired: list[Router] = []

    @property
    def settings(self) -> LlmSettings:
        return self._settings()

    def set_keys(self, keys: Mapping[str, str]) -> None:
        self._keys = {name: key for name, key in keys.items() if key}

    def key_of_kind(self, kind: str) -> str | None:
        """The key of the first provider of `kind` that has one (voice notes sent to
        OpenAI use the key set for an openai provider)."""
        for provider in self._settings().providers:
            if provider.kind == kind and provider.name in self._keys:
                return self._keys[provider.name]
        return None

    async def stream(self, request: LlmRequest, on_text: Callable[[str], None]) -> LlmResult:
        """The answer, streamed to `on_text` (whole text so far); raises LlmError. Every
        call is recorded for /analytics."""
        try:
            result = await self._current().stream(request, on_text)
        except LlmError as error:
            llm_calls.record(self._db, request.task, error, at=self._clock())
            raise
        llm_calls.record(self._db, request.task, result, at=self._clock())
        return result

    def _current(self) -> Router:
        settings = self._settings()
        wanted = (settings, tuple(sorted(self._keys.items())))
        if self._router is None or self._router_for != wanted:
            from tgbridge.llm.router import Router  # loads the SDKs: only once a model is asked

            if self._router is not None:
                # A call may still stream through it: closed when the hub stops.
                self._retired.append(self._router)
            self._router = Router(settings, self._keys)
            self._router_for = wanted
        return self._router

    async def close(self) -> None:
        routers = [*self._retired, *([self._router] if self._router else [])]
        self._router, self._retired = None, []
        for router in routers:
            try:
                await router.aclose()
            except Exception:  # closing is best effort: the process is going
                logger.debug("closing a language model client failed", exc_info=True)
