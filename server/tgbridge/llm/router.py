"""Picks the providers for a task and asks them in order until one answers, streaming.

A provider that fails (cannot be reached, times out, is rate limited, errs, sends
something unreadable, refuses the key) hands over to the next at once. When none is left,
one that was rate limited with a short enough wait is waited for and asked once more.
If all fail, the error raised is the most telling one (a refused key says more than a
server being down)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType

from tgbridge.llm.config import LlmSettings, ProviderSetting
from tgbridge.llm.errors import LlmError, timed_out
from tgbridge.llm.local import is_local
from tgbridge.llm.providers import Provider
from tgbridge.llm.types import Attempt, LlmRequest, LlmResult, Task, Usage

NO_PROVIDER = "No language model is set up: add one in the setting tgbridge.llm.providers."
OLLAMA_DEFAULT_HOST = "http://127.0.0.1:11434"
LOCAL_PLACEHOLDER_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key

# Most telling first: what the user can act on beats a server being down.
_RANK = (
    "key_refused",
    "model_missing",
    "context_too_large",
    "rate_limited",
    "timeout",
    "malformed",
    "unavailable",
)


class Router:
    def __init__(
        self,
        settings: LlmSettings,
        keys: Mapping[str, str],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_retry_after: float = 30,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._clock = clock
        self._max_retry_after = max_retry_after
        self._providers: dict[str, Provider] = {
            setting.name: _provider(setting, keys.get(setting.name))
            for setting in settings.providers
        }

    async def __aenter__(self) -> Router:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes the SDK clients' connections."""
        for provider in self._providers.values():
            await provider.aclose()

    def providers_for(self, task: Task) -> list[ProviderSetting]:
        return [
            setting
            for setting in self._settings.providers
            if setting.tasks is None or task in setting.tasks
        ]

    async def stream(self, request: LlmRequest, on_text: Callable[[str], None]) -> LlmResult:
        """The answer of the first provider that gives one; `on_text` gets the whole text so
        far after each chunk, and "" when a provider that had shown text failed and the
        next one starts over. Raises LlmError."""
        candidates = self.providers_for(request.task)
        if not candidates:
            raise LlmError("no_provider", NO_PROVIDER)
        if self._settings.local_only:
            candidates = [setting for setting in candidates if _is_local(setting)]
            if not candidates:
                raise LlmError(
                    "not_local",
                    "tgbridge.llm.localOnly is on and no language model for this task runs on"
                    " this machine: add one with a localhost base URL, or turn localOnly off.",
                )
        started = self._clock()
        attempts: list[Attempt] = []
        failures: dict[str, LlmError] = {}
        shown = False

        def show(text: str) -> None:
            nonlocal shown
            shown = bool(text)
            on_text(text)

        retried = False
        queue = list(candidates)
        while queue:
            setting = queue.pop(0)
            if shown:
                show("")  # the next provider starts over in the same message
            try:
                text, usage, first_token = await self._attempt(setting, request, show)
            except LlmError as error:
                error.provider = error.provider or setting.name
                error.model = error.model or setting.model
                attempts.append(Attempt(setting.name, error.kind))
                failures[setting.name] = error
                if not queue and not retried:
                    waiting = self._retry_candidate(failures)
                    if waiting is not None:
                        retried = True
                        await self._sleep(waiting[1])
                        queue.append(waiting[0])
                continue
            return LlmResult(
                text=text,
                provider=setting.name,
                model=setting.model,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                latency_ms=(self._clock() - started) * 1000,
                first_token_ms=None if first_token is None else (first_token - started) * 1000,
                attempts=(*attempts, Attempt(setting.name, None)),
            )
        raise _most_telling(list(failures.values()), tuple(attempts))

    async def _attempt(
        self, setting: ProviderSetting, request: LlmRequest, on_text: Callable[[str], None]
    ) -> tuple[str, Usage, float | None]:
        """One provider's answer: its text, usage and when its first text came. The
        provider's timeout covers the wait for the first chunk and each gap after it."""
        loop = asyncio.get_running_loop()
        timeout = setting.timeout_seconds
        text = ""
        first_token: float | None = None

        def on_chunk(chunk: str) -> None:
            nonlocal text, first_token
            deadline.reschedule(loop.time() + timeout)
            if not chunk:
                return
            if first_token is None:
                first_token = self._clock()
            text += chunk
            on_text(text)

        try:
            async with asyncio.timeout(timeout) as deadline:
                usage = await self._providers[setting.name].stream(request, on_chunk)
        except TimeoutError:
            raise timed_out(setting.name, timeout) from None
        return text, usage, first_token

    def _retry_candidate(
        self, failures: Mapping[str, LlmError]
    ) -> tuple[ProviderSetting, float] | None:
        """The rate-limited provider with the shortest wait within max_retry_after."""
        waits = [
            (error.retry_after, name)
            for name, error in failures.items()
            if error.kind == "rate_limited"
            and error.retry_after is not None
            and error.retry_after <= self._max_retry_after
        ]
        if not waits:
            return None
        wait, name = min(waits)
        setting = next(s for s in self._settings.providers if s.name == name)
        return setting, wait


def _provider(setting: ProviderSetting, key: str | None) -> Provider:
    """The SDK client for a setting (its SDK imported now: only the kinds in use load).
    Without a key of its own, the SDK's environment variable is used; a local
    OpenAI-compatible server gets a placeholder."""
    if setting.kind == "ollama":
        from tgbridge.llm.providers.ollama_provider import OllamaProvider

        return OllamaProvider(setting, key)
    if setting.kind == "anthropic":
        from tgbridge.llm.providers.anthropic_provider import AnthropicProvider

        return AnthropicProvider(setting, key or os.environ.get("ANTHROPIC_API_KEY"))
    from tgbridge.llm.providers.openai_provider import OpenAIProvider

    key = key or os.environ.get("OPENAI_API_KEY")
    if not key and is_local(setting.base_url):
        key = LOCAL_PLACEHOLDER_KEY
    return OpenAIProvider(setting, key)


def _is_local(setting: ProviderSetting) -> bool:
    if setting.kind == "ollama" and setting.base_url is None:
        # The SDK's default host is this machine unless OLLAMA_HOST says otherwise.
        return is_local(os.environ.get("OLLAMA_HOST") or OLLAMA_DEFAULT_HOST)
    return is_local(setting.base_url)


def _most_telling(failures: list[LlmError], attempts: tuple[Attempt, ...]) -> LlmError:
    error = min(failures, key=lambda failure: _RANK.index(failure.kind))
    error.attempts = attempts
    return error
