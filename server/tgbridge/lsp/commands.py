"""workspace/executeCommand handlers."""

from __future__ import annotations

from typing import Any

from tgbridge.errors import BridgeError
from tgbridge.lsp.errors import to_rpc_error
from tgbridge.lsp.server import TgbridgeServer
from tgbridge.methods import SEND_SELECTION_COMMAND


def register(server: TgbridgeServer) -> None:
    @server.command(SEND_SELECTION_COMMAND)
    def send_selection(ls: TgbridgeServer, *arguments: Any) -> None:
        """Sends the selected text to Telegram."""
        from pydantic import ValidationError

        from tgbridge.protocol import SendSelectionArgs

        try:
            if len(arguments) != 1:
                raise BridgeError("invalid_params", "Select some text to send, then try again.")
            try:
                args = SendSelectionArgs.model_validate(arguments[0])
            except ValidationError as exc:
                raise BridgeError(
                    "invalid_params", f"Bad selection argument: {exc.errors()[0]['msg']}"
                ) from None
            ls.bridge.send_selection(args)
        except BridgeError as error:
            raise to_rpc_error(error) from None
