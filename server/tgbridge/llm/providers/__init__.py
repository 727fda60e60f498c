"""One class per SDK, each in its own module (imported when a provider of that kind is set
up: the SDKs take a second or more to load)."""

from tgbridge.llm.providers.base import Provider

__all__ = ["Provider"]
