"""textDocument/codeAction: "Send selection to Telegram" on any non-empty selection."""

from __future__ import annotations

from lsprotocol import types

from tgbridge.lsp.server import TgbridgeServer
from tgbridge.methods import SEND_SELECTION_COMMAND


def register(server: TgbridgeServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def on_code_action(
        ls: TgbridgeServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        """Offers to send the selected text; nothing for an empty selection."""
        if params.range.start == params.range.end:
            return None
        selection = {
            "uri": params.text_document.uri,
            "range": {
                "start": {
                    "line": params.range.start.line,
                    "character": params.range.start.character,
                },
                "end": {"line": params.range.end.line, "character": params.range.end.character},
            },
        }
        return [
            types.CodeAction(
                title="Send selection to Telegram",
                kind=types.CodeActionKind.QuickFix,
                command=types.Command(
                    title="Send selection to Telegram",
                    command=SEND_SELECTION_COMMAND,
                    arguments=[selection],
                ),
            )
        ]
