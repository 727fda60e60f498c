"""`tgbridge.llm`: which language models answer which tasks, and how much may leave."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from tgbridge.llm.types import Task

ProviderKind = Literal["openai", "anthropic", "ollama"]


class ProviderSetting(BaseModel):
    """One model at one host. `base_url` None is the SDK's default host; the openai kind
    pointed at a local server (LM Studio, vLLM, llama.cpp) needs no key."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )

    name: str = ""  # "" becomes the kind
    kind: ProviderKind
    model: str = Field(min_length=1)
    base_url: str | None = None
    timeout_seconds: float = Field(default=60, gt=0)
    tasks: list[Task] | None = None  # None: every task

    @model_validator(mode="before")
    @classmethod
    def _name_defaults_to_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("name") and "kind" in data:
            return {**data, "name": data["kind"]}
        return data


class LlmSettings(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )

    providers: list[ProviderSetting] = Field(default_factory=list)
    local_only: bool = False
    max_context_tokens: int = Field(default=12000, ge=1)
    max_answer_tokens: int = Field(default=1024, ge=1)

    @field_validator("providers")
    @classmethod
    def _names_unique(cls, providers: list[ProviderSetting]) -> list[ProviderSetting]:
        names = [provider.name for provider in providers]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"provider names must be unique: {', '.join(repeated)} repeats")
        return providers
