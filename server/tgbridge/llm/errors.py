"""Why a language-model call failed, in a sentence the user understands."""

from __future__ import annotations

from typing import Literal

from tgbridge.llm.types import Attempt

LlmErrorKind = Literal[
    "no_provider",
    "key_refused",
    "model_missing",
    "rate_limited",
    "timeout",
    "unavailable",
    "malformed",
    "context_too_large",
    "not_local",
]

SET_KEY = "tgbridge: Set Language Model Key"


class LlmError(Exception):
    """`message` names the provider and what to do. `provider`/`model` say which one
    failed (None when none was asked); `attempts` lists every provider the router tried."""

    def __init__(
        self,
        kind: LlmErrorKind,
        message: str,
        *,
        retry_after: float | None = None,
        provider: str | None = None,
        model: str | None = None,
        attempts: tuple[Attempt, ...] = (),
    ) -> None:
        super().__init__(message)
        self.kind: LlmErrorKind = kind
        self.message = message
        self.retry_after = retry_after
        self.provider = provider
        self.model = model
        self.attempts = attempts


def key_refused(provider: str) -> LlmError:
    return LlmError(
        "key_refused",
        f"{provider} refused the API key: set it again with {SET_KEY}.",
        provider=provider,
    )


def no_key(provider: str) -> LlmError:
    return LlmError(
        "key_refused", f"{provider} has no API key: set one with {SET_KEY}.", provider=provider
    )


def model_missing(provider: str, model: str) -> LlmError:
    return LlmError(
        "model_missing",
        f"{provider} has no model called {model}: check the model in tgbridge.llm.providers.",
        provider=provider,
        model=model,
    )


def rate_limited(provider: str, retry_after: float | None) -> LlmError:
    wait = f"try again in {retry_after:.0f} s" if retry_after is not None else "try again later"
    return LlmError(
        "rate_limited",
        f"{provider} is rate limiting tgbridge: {wait}.",
        retry_after=retry_after,
        provider=provider,
    )


def timed_out(provider: str, seconds: float) -> LlmError:
    return LlmError(
        "timeout", f"{provider} did not answer within {seconds:g} s.", provider=provider
    )


def unavailable(provider: str, why: str) -> LlmError:
    return LlmError("unavailable", f"{provider} is unavailable: {why}.", provider=provider)


def malformed(provider: str, why: str) -> LlmError:
    return LlmError(
        "malformed", f"{provider} sent an answer tgbridge could not read: {why}.", provider=provider
    )


def context_too_large(provider: str, model: str) -> LlmError:
    return LlmError(
        "context_too_large",
        f"{provider} says the question and its context are too long for {model}: ask about"
        " less, or lower tgbridge.llm.maxContextTokens.",
        provider=provider,
        model=model,
    )
