"""Sidecar settings: the editor's `tgbridge.*` settings (sent in initializationOptions),
over `TGBRIDGE_*` environment variables, over defaults."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from pydantic.alias_generators import to_camel, to_snake
from pydantic_settings import BaseSettings, SettingsConfigDict

from tgbridge.errors import BridgeError

LogLevel = Literal["error", "warning", "info", "debug"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TGBRIDGE_", extra="ignore", frozen=True)

    log_level: LogLevel = "info"
    state_dir: Path | None = None


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
        field = str(first["loc"][0]) if first["loc"] else "settings"
        name = editor_name(field)
        # The value itself is left out: some settings are secrets.
        raise BridgeError(
            "invalid_settings",
            f"Setting {name} is invalid: {first['msg']}.",
            field=name,
        ) from None
