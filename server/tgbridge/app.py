"""The Bridge: builds tgbridge's parts and answers for them. The one composition point."""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Mapping
from typing import Any

from tgbridge import __version__, logs
from tgbridge.errors import BridgeError
from tgbridge.methods import CONNECTION_CHANGED
from tgbridge.protocol import (
    ConnectionChangedParams,
    ConnectionState,
    Model,
    PythonInfo,
    SendSelectionArgs,
    StatusResult,
    WorkspaceFolder,
)
from tgbridge.settings import Settings, load_settings

Notify = Callable[[str, Model], None]

NOT_CONFIGURED = ConnectionState(state="not configured", detail="Telegram is not configured yet.")


class Bridge:
    """Holds the settings and the connection state on behalf of one editor window."""

    def __init__(self, notify: Notify) -> None:
        self._notify = notify
        self.settings: Settings | None = None
        self.settings_error: BridgeError | None = None
        self.workspace_folders: list[WorkspaceFolder] = []
        self.connection = NOT_CONFIGURED

    def configure(self, editor_settings: Mapping[str, Any]) -> None:
        """Applies the editor's settings; a bad one is kept as the error to answer with."""
        try:
            self.settings = load_settings(editor_settings)
            self.settings_error = None
            logs.set_level(self.settings.log_level)
        except BridgeError as error:
            self.settings = None
            self.settings_error = error
            logs.logger.error("%s", error.message)

    def set_connection(self, connection: ConnectionState) -> None:
        if connection == self.connection:
            return
        self.connection = connection
        self._notify(CONNECTION_CHANGED, ConnectionChangedParams(connection=connection))

    def status(self) -> StatusResult:
        return StatusResult(
            version=__version__,
            workspace_folders=self.workspace_folders,
            connection=self.connection,
            python=PythonInfo(executable=sys.executable, version=platform.python_version()),
            settings_error=self.settings_error.message if self.settings_error else None,
        )

    def send_selection(self, args: SendSelectionArgs) -> None:
        self.require_settings()
        if self.connection.state != "online":
            raise BridgeError(
                "not_connected",
                "Not connected to Telegram: log in first (tgbridge: Log In). "
                f"Connection: {self.connection.detail}",
            )

    def require_settings(self) -> Settings:
        if self.settings_error is not None:
            raise self.settings_error
        if self.settings is None:
            raise BridgeError("invalid_settings", "The sidecar has not received its settings yet.")
        return self.settings
