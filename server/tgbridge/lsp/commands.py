"""workspace/executeCommand handlers: the sends the code actions name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types

from tgbridge.errors import BridgeError
from tgbridge.lsp.code_actions import SEND_DIAGNOSTIC_COMMAND, SEND_FILE_COMMAND
from tgbridge.lsp.errors import to_rpc_error
from tgbridge.lsp.server import TgbridgeServer
from tgbridge.methods import SEND_SELECTION_COMMAND

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pygls.workspace import TextDocument

    from tgbridge.protocol import Position

ArgsT = TypeVar("ArgsT", bound="BaseModel")


def register(server: TgbridgeServer) -> None:
    @server.command(SEND_SELECTION_COMMAND)
    async def send_selection(ls: TgbridgeServer, *arguments: Any) -> dict[str, Any]:
        """Sends the selected text to Telegram as a code block."""
        from tgbridge.protocol import SendSelectionArgs

        try:
            args = _argument(
                SendSelectionArgs, arguments, "Select some text to send, then try again."
            )
            _require_telegram(ls)
            document = ls.workspace.get_text_document(args.uri)
            start = document.offset_at_position(_position(args.range.start))
            end = document.offset_at_position(_position(args.range.end))
            text = document.source[start:end]
            result = await ls.bridge.send_selection(args, text, document.language_id or "")
        except BridgeError as error:
            raise to_rpc_error(error) from None
        return result.to_wire()

    @server.command(SEND_FILE_COMMAND)
    async def send_file(ls: TgbridgeServer, *arguments: Any) -> dict[str, Any]:
        """Sends a whole document: the saved file itself, or its unsaved text as code."""
        from tgbridge.lsp.sends import SendFileArgs, file_send

        try:
            args = _argument(SendFileArgs, arguments, "Open a file to send, then try again.")
            _require_telegram(ls)
            document = _open_document(ls, args.uri)
            text = document.source if document is not None else None
            language = (document.language_id if document is not None else None) or ""
            result = await ls.bridge.send(file_send(args.uri, text, language, args.client_key))
        except BridgeError as error:
            raise to_rpc_error(error) from None
        return result.to_wire()

    @server.command(SEND_DIAGNOSTIC_COMMAND)
    async def send_diagnostic(ls: TgbridgeServer, *arguments: Any) -> dict[str, Any]:
        """Sends a diagnostic with the lines around it."""
        from tgbridge.lsp.sends import SendDiagnosticArgs, diagnostic_send, display_name

        try:
            args = _argument(SendDiagnosticArgs, arguments, "Pick a problem to send.")
            _require_telegram(ls)
            # The editor's text when open, else the file on disk.
            document = ls.workspace.get_text_document(args.uri)
            params = diagnostic_send(
                args.diagnostic,
                _lines(document),
                display_name(args.uri),
                document.language_id or "",
                args.client_key,
            )
            result = await ls.bridge.send(params)
        except BridgeError as error:
            raise to_rpc_error(error) from None
        return result.to_wire()


def _argument(model: type[ArgsT], arguments: tuple[Any, ...], missing: str) -> ArgsT:
    """The command's one argument, validated; an invalid_params error otherwise."""
    from pydantic import ValidationError

    if len(arguments) != 1:
        raise BridgeError("invalid_params", missing)
    try:
        return model.model_validate(arguments[0])
    except ValidationError as exc:
        raise BridgeError("invalid_params", f"Bad argument: {exc.errors()[0]['msg']}") from None


def _require_telegram(ls: TgbridgeServer) -> None:
    ls.bridge.require_settings()
    ls.bridge.require_telegram()


def _open_document(ls: TgbridgeServer, uri: str) -> TextDocument | None:
    """The document as the editor holds it; None when the editor has not opened it."""
    document: TextDocument | None = ls.workspace.text_documents.get(unquote(uri))
    return document


def _lines(document: TextDocument) -> list[str]:
    """The document's lines; none when it is neither open nor a readable file."""
    try:
        return list(document.lines)
    except (OSError, UnicodeDecodeError):
        return []


def _position(position: Position) -> types.Position:
    return types.Position(line=position.line, character=position.character)
