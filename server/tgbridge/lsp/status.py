"""tgbridge/status: version, workspace folders, connection state."""

from __future__ import annotations

from typing import Any

from tgbridge.lsp.server import TgbridgeServer
from tgbridge.methods import STATUS


def register(server: TgbridgeServer) -> None:
    @server.feature(STATUS)
    def on_status(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """Answers the sidecar's status."""
        return ls.bridge.status().to_wire()
