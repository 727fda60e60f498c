"""Anthropic's messages API through the official SDK."""

from __future__ import annotations

from collections.abc import Callable

import anthropic
import httpx2
from anthropic.types import MessageParam

from tgbridge.llm import errors
from tgbridge.llm.config import ProviderSetting
from tgbridge.llm.providers.base import from_status
from tgbridge.llm.types import ChatMessage, LlmRequest, Usage


class AnthropicProvider:
    def __init__(self, setting: ProviderSetting, api_key: str | None) -> None:
        self.setting = setting
        self._client = (
            anthropic.AsyncAnthropic(
                api_key=api_key,
                base_url=setting.base_url,
                timeout=setting.timeout_seconds,
                max_retries=0,  # the router decides
            )
            if api_key
            else None
        )

    async def stream(self, request: LlmRequest, on_chunk: Callable[[str], None]) -> Usage:
        if self._client is None:
            raise errors.no_key(self.setting.name)
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        messages = [_message(m) for m in request.messages if m.role != "system"]
        input_tokens: int | None = None
        output_tokens: int | None = None
        finished = False
        try:
            events = await self._client.messages.create(
                model=self.setting.model,
                system=system or anthropic.omit,
                messages=messages,
                max_tokens=request.max_tokens,
                stream=True,
            )
            async for event in events:
                text = ""
                if event.type == "message_start":
                    input_tokens = event.message.usage.input_tokens
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    text = event.delta.text
                elif event.type == "message_delta":
                    output_tokens = event.usage.output_tokens
                elif event.type == "message_stop":
                    finished = True
                on_chunk(text)
        except anthropic.APIStatusError as error:
            raise from_status(
                self.setting, error.status_code, error.response.headers, str(error)
            ) from error
        except anthropic.APITimeoutError as error:
            raise errors.timed_out(self.setting.name, self.setting.timeout_seconds) from error
        except anthropic.APIConnectionError as error:
            cause = type(error.__cause__).__name__ if error.__cause__ else "no answer"
            raise errors.unavailable(
                self.setting.name, f"the connection failed ({cause})"
            ) from error
        except httpx2.TimeoutException as error:
            raise errors.timed_out(self.setting.name, self.setting.timeout_seconds) from error
        except httpx2.TransportError as error:  # the stream broke off (not wrapped by the SDK)
            raise errors.unavailable(
                self.setting.name, f"the connection broke mid-answer ({type(error).__name__})"
            ) from error
        except (anthropic.APIError, ValueError, AttributeError, TypeError) as error:
            raise errors.malformed(self.setting.name, type(error).__name__) from error
        if not finished:
            raise errors.malformed(self.setting.name, "the answer stopped before its end")
        return Usage(input_tokens, output_tokens)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()


def _message(message: ChatMessage) -> MessageParam:
    if message.role == "assistant":
        return {"role": "assistant", "content": message.content}
    return {"role": "user", "content": message.content}
