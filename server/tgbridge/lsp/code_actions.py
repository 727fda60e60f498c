"""textDocument/codeAction, in every language and in untitled documents: send the selection,
ask on the phone about it, send a diagnostic (quick fixes); send the whole file (a source
action, so it stays out of the light bulb)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lsprotocol import types

from tgbridge.lsp.server import TgbridgeServer
from tgbridge.methods import SEND_SELECTION_COMMAND

# Names, importable without pydantic (the argument models live in tgbridge.lsp.sends).
SEND_FILE_COMMAND = "tgbridge.sendFile"
SEND_DIAGNOSTIC_COMMAND = "tgbridge.sendDiagnostic"
# Run by the extension: it asks for the question in an input box and shows the answer.
ASK_ON_PHONE_COMMAND = "tgbridge.askOnPhone"
SEND_FILE_KIND = f"{types.CodeActionKind.Source.value}.tgbridge.sendFile"
# A diagnostic's message in an action's title, when several are offered at once.
TITLE_MESSAGE_LIMIT = 40


def register(server: TgbridgeServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Source]
        ),
    )
    def on_code_action(
        ls: TgbridgeServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        """Offers tgbridge's sends for the selection, each diagnostic and the file."""
        only = params.context.only
        actions = [action for action in code_actions(params) if wanted(action.kind, only)]
        return actions or None


def code_actions(params: types.CodeActionParams) -> list[types.CodeAction]:
    """Every action for `params`, before the client's `only` filter."""
    uri = params.text_document.uri
    actions = []
    if params.range.start != params.range.end:
        selection = {"uri": uri, "range": _range(params.range)}
        actions.append(_action("Send selection to Telegram", SEND_SELECTION_COMMAND, selection))
        actions.append(_action("Ask on phone…", ASK_ON_PHONE_COMMAND, selection))
    diagnostics = params.context.diagnostics
    for diagnostic in diagnostics:
        title = "Send this diagnostic to Telegram"
        if len(diagnostics) > 1:
            title += f": {_short(diagnostic.message)}"
        argument = {"uri": uri, "diagnostic": _diagnostic(diagnostic)}
        action = _action(title, SEND_DIAGNOSTIC_COMMAND, argument)
        action.diagnostics = [diagnostic]
        actions.append(action)
    actions.append(
        _action("Send file to Telegram", SEND_FILE_COMMAND, {"uri": uri}, kind=SEND_FILE_KIND)
    )
    return actions


def wanted(kind: str | None, only: Sequence[str] | None) -> bool:
    """The client asked for this kind of action: `only` names it or a kind above it."""
    if not only:
        return True
    name = _kind_name(kind)
    return any(
        name == _kind_name(asked) or name.startswith(f"{_kind_name(asked)}.") for asked in only
    )


def _kind_name(kind: str | None) -> str:
    """A kind as its plain string (lsprotocol hands CodeActionKind members)."""
    value = getattr(kind, "value", kind)
    return value if isinstance(value, str) else ""


def _action(
    title: str, command: str, argument: dict[str, Any], kind: str = types.CodeActionKind.QuickFix
) -> types.CodeAction:
    return types.CodeAction(
        title=title,
        kind=kind,
        command=types.Command(title=title, command=command, arguments=[argument]),
    )


def _range(range_: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": range_.start.line, "character": range_.start.character},
        "end": {"line": range_.end.line, "character": range_.end.character},
    }


def _diagnostic(diagnostic: types.Diagnostic) -> dict[str, Any]:
    """What the phone is told of a diagnostic (the lines around it are read when sent)."""
    info: dict[str, Any] = {"range": _range(diagnostic.range), "message": diagnostic.message}
    if diagnostic.severity is not None:
        info["severity"] = int(diagnostic.severity)
    if diagnostic.source:
        info["source"] = diagnostic.source
    if diagnostic.code is not None:
        info["code"] = diagnostic.code
    return info


def _short(message: str) -> str:
    line = " ".join(message.split())
    return line if len(line) <= TITLE_MESSAGE_LIMIT else line[: TITLE_MESSAGE_LIMIT - 1] + "…"
