"""Errors the sidecar answers with: a message for people, a stable code for programs."""

from __future__ import annotations

from typing import Literal

ErrorCode = Literal[
    "not_connected",
    "not_logged_in",
    "login_failed",
    "invalid_settings",
    "invalid_params",
    "internal",
    "hub_version",
    "hub_unavailable",
    "llm_failed",
]


class BridgeError(Exception):
    """An error the editor shows as is; `code` is stable, `field` names the culprit."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.field = field
