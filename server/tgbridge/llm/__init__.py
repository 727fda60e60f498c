"""Language models: providers behind one interface, a router that falls back in order,
and the context that may leave the machine. The router (and the SDKs it imports, slow
to load) is imported from `tgbridge.llm.router`, so the store can use these types cheaply."""

from tgbridge.llm.config import LlmSettings, ProviderKind, ProviderSetting
from tgbridge.llm.context import Context, ContextItem, build_context, paths_named_in
from tgbridge.llm.errors import LlmError
from tgbridge.llm.types import Attempt, ChatMessage, LlmRequest, LlmResult, Task

__all__ = [
    "Attempt",
    "ChatMessage",
    "Context",
    "ContextItem",
    "LlmError",
    "LlmRequest",
    "LlmResult",
    "LlmSettings",
    "ProviderKind",
    "ProviderSetting",
    "Task",
    "build_context",
    "paths_named_in",
]
