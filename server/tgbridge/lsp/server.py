"""The pygls server: builds it, registers each feature module, serves stdio.

Only pygls and lsprotocol load before the initialize result goes out; the Bridge
(pydantic, settings, and later Telegram) loads on `initialized`, off the cold-start path.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from tgbridge import __version__, logs
from tgbridge.lsp.converter import json_converter
from tgbridge.lsp.errors import BridgeRpcError, HideExpectedErrors

if TYPE_CHECKING:
    from tgbridge.app import Bridge
    from tgbridge.protocol import Model

LSP_LEVELS = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
    logging.DEBUG: types.MessageType.Log,
}


class TgbridgeServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("tgbridge", __version__, converter_factory=json_converter)
        self.editor_settings: dict[str, Any] = {}
        self._bridge: Bridge | None = None

    @property
    def bridge(self) -> Bridge:
        """The Bridge, built on first use with the settings from initializationOptions."""
        if self._bridge is None:
            from tgbridge.app import Bridge

            self._bridge = Bridge(notify=self.notify_model)
            self._bridge.configure(self.editor_settings)
            self.sync_workspace_folders()
        return self._bridge

    async def stop_bridge(self) -> None:
        if self._bridge is not None:
            await self._bridge.shutdown()

    def notify_model(self, method: str, params: Model) -> None:
        self.protocol.notify(method, params.to_wire())

    def sync_workspace_folders(self) -> None:
        from tgbridge.protocol import WorkspaceFolder

        self.bridge.set_workspace_folders(
            [
                WorkspaceFolder(name=folder.name, uri=folder.uri)
                for folder in self.workspace.folders.values()
            ]
        )

    def log_to_editor(self, level: int, message: str) -> None:
        kind = LSP_LEVELS.get(level, types.MessageType.Log)
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def report_server_error(self, error: Exception, source: Any) -> None:
        if not isinstance(error, BridgeRpcError):
            logs.logger.error("%s", error)


def build_server() -> TgbridgeServer:
    from tgbridge.lsp import code_actions, commands, lifecycle, status, telegram

    server = TgbridgeServer()
    for feature in (lifecycle, status, code_actions, commands, telegram):
        feature.register(server)
    return server


def serve(log_level: str | None = None) -> None:
    logs.configure_stderr(log_level)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(HideExpectedErrors())
    from tgbridge.lsp.stdio import serve_stdio

    serve_stdio(build_server())
