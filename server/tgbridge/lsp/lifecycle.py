"""initialize / initialized / shutdown / workspace folders: settings arrive and are
applied; a shutdown stops the Telegram service cleanly."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from tgbridge import logs
from tgbridge.lsp.server import TgbridgeServer


def register(server: TgbridgeServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: TgbridgeServer, params: types.InitializeParams) -> None:
        """Keeps the editor's settings; they are validated once the client is ready."""
        options: Any = params.initialization_options or {}
        settings = options.get("settings", {}) if isinstance(options, dict) else {}
        ls.editor_settings = settings if isinstance(settings, dict) else {}

    @server.feature(types.INITIALIZED)
    def on_initialized(ls: TgbridgeServer, params: types.InitializedParams) -> None:
        """Builds the Bridge and starts forwarding logs to the editor."""
        logs.attach_editor(ls.log_to_editor)
        bridge = ls.bridge
        if bridge.settings_error is not None:
            ls.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Error,
                    message=f"tgbridge: {bridge.settings_error.message}",
                )
            )
        logs.logger.info("tgbridge sidecar ready (%s)", bridge.connection.detail)

    @server.feature(types.SHUTDOWN)
    async def on_shutdown(ls: TgbridgeServer, params: Any) -> None:
        """Stops the Telegram service cleanly before the editor's `exit`."""
        await ls.stop_bridge()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def on_folders_changed(
        ls: TgbridgeServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        """Keeps the Bridge's list of workspace folders current."""
        ls.sync_workspace_folders()
