"""OpenAI's chat completions through the official SDK: api.openai.com, or any server
speaking its wire format (LM Studio, vLLM, llama.cpp's server) at `base_url`."""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import openai
from openai.types.chat import ChatCompletionMessageParam

from tgbridge.llm import errors
from tgbridge.llm.config import ProviderSetting
from tgbridge.llm.providers.base import from_status
from tgbridge.llm.types import ChatMessage, LlmRequest, Usage


class OpenAIProvider:
    def __init__(self, setting: ProviderSetting, api_key: str | None) -> None:
        self.setting = setting
        self._client = (
            openai.AsyncOpenAI(
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
        messages = [_message(message) for message in request.messages]
        usage = Usage()
        finished = False
        try:
            chunks = await self._client.chat.completions.create(
                model=self.setting.model,
                messages=messages,
                max_tokens=request.max_tokens,
                stream=True,
                stream_options={"include_usage": True},
            )
            async for chunk in chunks:
                text = ""
                for choice in chunk.choices:
                    text += choice.delta.content or ""
                    finished = finished or choice.finish_reason is not None
                if chunk.usage is not None:
                    usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                on_chunk(text)
        except openai.APIStatusError as error:
            raise from_status(
                self.setting, error.status_code, error.response.headers, str(error)
            ) from error
        except openai.APITimeoutError as error:
            raise errors.timed_out(self.setting.name, self.setting.timeout_seconds) from error
        except openai.APIConnectionError as error:
            raise errors.unavailable(self.setting.name, _connection(error)) from error
        except httpx2.TimeoutException as error:
            raise errors.timed_out(self.setting.name, self.setting.timeout_seconds) from error
        except httpx2.TransportError as error:  # the stream broke off (not wrapped by the SDK)
            raise errors.unavailable(
                self.setting.name, f"the connection broke mid-answer ({type(error).__name__})"
            ) from error
        except (openai.APIError, ValueError, AttributeError, TypeError) as error:
            raise errors.malformed(self.setting.name, type(error).__name__) from error
        if not finished:
            raise errors.malformed(self.setting.name, "the answer stopped before its end")
        return usage

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()


def _connection(error: Exception) -> str:
    cause = error.__cause__
    return f"the connection failed ({type(cause).__name__ if cause else 'no answer'})"


def _message(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role == "system":
        return {"role": "system", "content": message.content}
    if message.role == "assistant":
        return {"role": "assistant", "content": message.content}
    return {"role": "user", "content": message.content}
