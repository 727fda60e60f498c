"""workspace/executeCommand handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from tgbridge.errors import BridgeError
from tgbridge.lsp.errors import to_rpc_error
from tgbridge.lsp.server import TgbridgeServer
from tgbridge.methods import SEND_SELECTION_COMMAND

if TYPE_CHECKING:
    from tgbridge.protocol import Position


def register(server: TgbridgeServer) -> None:
    @server.command(SEND_SELECTION_COMMAND)
    async def send_selection(ls: TgbridgeServer, *arguments: Any) -> dict[str, Any]:
        """Sends the selected text to Telegram as a code block."""
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
            ls.bridge.require_settings()
            ls.bridge.require_telegram()
            document = ls.workspace.get_text_document(args.uri)
            start = document.offset_at_position(_position(args.range.start))
            end = document.offset_at_position(_position(args.range.end))
            text = document.source[start:end]
            result = await ls.bridge.send_selection(args, text, document.language_id or "")
        except BridgeError as error:
            raise to_rpc_error(error) from None
        return result.to_wire()


def _position(position: Position) -> types.Position:
    return types.Position(line=position.line, character=position.character)
