"""Ollama's chat API through the official SDK (a local server; it takes no key)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import ollama
import pydantic

from tgbridge.llm import errors
from tgbridge.llm.config import ProviderSetting
from tgbridge.llm.providers.base import from_status
from tgbridge.llm.types import LlmRequest, Usage


class OllamaProvider:
    def __init__(self, setting: ProviderSetting, api_key: str | None = None) -> None:
        self.setting = setting
        headers = {"authorization": f"Bearer {api_key}"} if api_key else None
        self._client = ollama.AsyncClient(
            host=setting.base_url, timeout=setting.timeout_seconds, headers=headers
        )

    async def stream(self, request: LlmRequest, on_chunk: Callable[[str], None]) -> Usage:
        messages: list[dict[str, Any]] = [
            {"role": message.role, "content": message.content} for message in request.messages
        ]
        usage: Usage | None = None
        try:
            parts = await self._client.chat(
                model=self.setting.model,
                messages=messages,
                stream=True,
                options={"num_predict": request.max_tokens},
            )
            async for part in parts:
                if part.done:
                    usage = Usage(part.prompt_eval_count, part.eval_count)
                on_chunk(part.message.content or "")
        except ollama.ResponseError as error:
            if error.status_code == -1:  # an error line inside the stream
                raise errors.unavailable(self.setting.name, error.error[:200]) from error
            raise from_status(self.setting, error.status_code, {}, error.error) from error
        except httpx.TimeoutException as error:
            raise errors.timed_out(self.setting.name, self.setting.timeout_seconds) from error
        except (httpx.TransportError, ConnectionError) as error:
            raise errors.unavailable(
                self.setting.name, f"the connection failed ({type(error).__name__})"
            ) from error
        except (ValueError, pydantic.ValidationError, AttributeError, TypeError) as error:
            raise errors.malformed(self.setting.name, type(error).__name__) from error
        if usage is None:
            raise errors.malformed(self.setting.name, "the answer stopped before its end")
        return usage

    async def aclose(self) -> None:
        await self._client._client.aclose()  # `close` is untyped
