"""Sidecar settings: the editor's `tgbridge.*` settings (sent in initializationOptions),
over `TGBRIDGE_*` environment variables, over defaults."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel, to_snake
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from tgbridge.errors import BridgeError
from tgbridge.llm.config import LlmSettings
from tgbridge.tasks.spec import TaskList, TaskSpec

LogLevel = Literal["error", "warning", "info", "debug"]


def absolute_path(path: Path) -> Path:
    """`~` expanded; a relative path is refused: relative to what would be a guess."""
    expanded = path.expanduser()
    if not expanded.is_absolute():
        raise PydanticCustomError(
            "relative_path", "use an absolute path or one that starts with ~, not a relative one"
        )
    return expanded


AbsolutePath = Annotated[Path, AfterValidator(absolute_path)]


class DataCenterSetting(BaseModel):
    """A custom data centre: Telegram's test environment, or a loopback test server."""

    model_config = {"frozen": True, "extra": "forbid", "populate_by_name": True}

    id: int = Field(ge=1)
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    public_key_file: AbsolutePath | None = Field(default=None, alias="publicKeyFile")


class NotifyRules(BaseModel):
    """`tgbridge.notify`: which editor events reach the phone (the owner's rules)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )

    task_ended: bool = False
    debug_ended: bool = False
    test_failed: bool = True
    run_finished: bool = True
    # Shorter tasks and debug sessions are not worth a notification.
    min_duration_seconds: float = Field(default=10, ge=0)
    # Beyond this many a minute, notifications are grouped into one message.
    max_per_minute: int = Field(default=4, ge=1, le=60)


class AgentRules(BaseModel):
    """`tgbridge.agentRules`: commands an agent may never run (on top of the built-in
    blocked-command guard) and commands it may always run; shell-style patterns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deny: list[str] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list)


class VoiceSetting(BaseModel):
    """`tgbridge.voice`: how a voice note from a paired phone is turned into text. `local`
    runs Whisper on this machine (the voice add-on, `tgbridge[voice]`); `openai` sends the
    note to an OpenAI-compatible server (the key set for an openai provider, else
    OPENAI_API_KEY); `off` keeps voice notes as files only."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )

    provider: Literal["local", "openai", "off"] = "local"
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "whisper-1"
    # Longer notes are not transcribed (the phone is told why).
    max_seconds: int = Field(default=300, ge=1, le=3600)


class PhoneSettings(BaseModel):
    """The settings the phone side works by (application scope: a repository cannot set
    them); the latest window's reach the running hub."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tasks: list[TaskSpec] = Field(default_factory=list)
    deny_globs: list[str] = Field(default_factory=list)
    notify: NotifyRules = Field(default_factory=NotifyRules)
    agent_rules: AgentRules = Field(default_factory=AgentRules)
    voice: VoiceSetting = Field(default_factory=VoiceSetting)
    llm: LlmSettings = Field(default_factory=LlmSettings)


class Settings(BaseSettings):
    # An empty TGBRIDGE_* variable counts as unset, as an empty setting in the editor does.
    model_config = SettingsConfigDict(
        env_prefix="TGBRIDGE_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    log_level: LogLevel = "info"
    state_dir: AbsolutePath | None = None
    data_center: DataCenterSetting | None = None
    default_chat: str | None = None
    document_above: int = Field(default=12_000, ge=1)
    max_download_mb: int = Field(default=20, ge=1)
    max_stored_mb: int = Field(default=500, ge=1)
    hub_linger_minutes: float = Field(default=30, ge=0)
    tasks: TaskList = Field(default_factory=list)
    deny_globs: list[str] = Field(default_factory=list)
    notify: NotifyRules = Field(default_factory=NotifyRules)
    agent_rules: AgentRules = Field(default_factory=AgentRules)
    voice: VoiceSetting = Field(default_factory=VoiceSetting)
    llm: LlmSettings = Field(default_factory=LlmSettings)

    def phone(self) -> PhoneSettings:
        return PhoneSettings(**{name: getattr(self, name) for name in PhoneSettings.model_fields})


def editor_name(field: str) -> str:
    """The name a user sees in the editor's settings, e.g. `tgbridge.logLevel`."""
    return "tgbridge." + to_camel(field)


def load_settings(editor_settings: Mapping[str, Any]) -> Settings:
    """Validates settings; a bad value raises a BridgeError naming the setting."""
    values = {to_snake(key): value for key, value in editor_settings.items()}
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]] or ["settings"]
        name = ".".join([editor_name(loc[0]), *loc[1:]])
        # The value itself is left out: some settings are secrets.
        raise BridgeError(
            "invalid_settings",
            f"Setting {name} is invalid: {first['msg']}.",
            field=name,
        ) from None
