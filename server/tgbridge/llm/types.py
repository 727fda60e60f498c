"""The values a language-model call takes and gives back, shared by the router, the
providers and whoever records the call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Task = Literal["ask", "review", "commit", "explain"]


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class LlmRequest:
    task: Task
    messages: tuple[ChatMessage, ...]
    max_tokens: int = 1024


@dataclass(frozen=True)
class Usage:
    """Tokens as the provider counted them; None when it did not say."""

    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class Attempt:
    provider: str
    error: str | None  # the LlmError kind, or None for the attempt that answered


@dataclass(frozen=True)
class LlmResult:
    text: str
    provider: str
    model: str
    input_tokens: int | None
    output_tokens: int | None
    latency_ms: float
    first_token_ms: float | None
    attempts: tuple[Attempt, ...]
