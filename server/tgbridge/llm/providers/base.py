"""What every provider does, and the HTTP answers all three map the same way."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from tgbridge.llm import errors
from tgbridge.llm.config import ProviderSetting
from tgbridge.llm.errors import LlmError
from tgbridge.llm.types import LlmRequest, Usage

_CONTEXT_WORDS = ("context", "too long", "too many tokens", "maximum")


class Provider(Protocol):
    setting: ProviderSetting

    async def stream(self, request: LlmRequest, on_chunk: Callable[[str], None]) -> Usage:
        """Calls `on_chunk` with each piece of text as it arrives (an empty piece for a chunk
        that carried none: it still shows the provider is alive). Raises LlmError."""
        ...

    async def aclose(self) -> None: ...


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        date = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, date.timestamp() - time.time())


def from_status(
    setting: ProviderSetting, status: int, headers: Mapping[str, str], detail: str
) -> LlmError:
    """The LlmError for an HTTP error answer."""
    name = setting.name
    if status in (401, 403):
        return errors.key_refused(name)
    if status == 404:
        return errors.model_missing(name, setting.model)
    if status == 429:
        return errors.rate_limited(name, retry_after(headers))
    if status == 413 or (
        status in (400, 422) and any(word in detail.lower() for word in _CONTEXT_WORDS)
    ):
        return errors.context_too_large(name, setting.model)
    if status >= 500:
        return errors.unavailable(name, f"it answered with server error {status}")
    return errors.unavailable(name, f"it refused the request ({status}: {detail[:200]})")
