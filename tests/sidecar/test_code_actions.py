"""The code actions (send selection, ask on phone, send a diagnostic, send the file), in any
language and in untitled documents, their commands, and what the sends carry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.sidecar.conftest import code_actions
from tgbridge.errors import BridgeError
from tgbridge.lsp.sends import DiagnosticInfo, diagnostic_send, file_send

UNTITLED = "untitled:Untitled-1"
NOTES = "first line\nsecond line\n"


def _range(start: tuple[int, int], end: tuple[int, int]) -> types.Range:
    return types.Range(
        start=types.Position(line=start[0], character=start[1]),
        end=types.Position(line=end[0], character=end[1]),
    )


def _code_action_params(
    uri: str,
    start: int,
    end: int,
    diagnostics: list[types.Diagnostic] | None = None,
    only: list[str] | None = None,
) -> types.CodeActionParams:
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=_range((0, start), (0, end)),
        context=types.CodeActionContext(diagnostics=diagnostics or [], only=only),
    )


def _titles(actions: Any) -> list[str]:
    return [action["title"] for action in actions or []]


def _open_untitled(client: LanguageClient, language: str = "weird-lang") -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=UNTITLED, language_id=language, version=1, text=NOTES
            )
        )
    )


UNDEFINED = types.Diagnostic(
    range=_range((1, 11), (1, 15)),
    message='"name" is not defined',
    severity=types.DiagnosticSeverity.Error,
    source="pyright",
    code="reportUndefinedVariable",
)


async def test_offered_on_a_selection(client: LanguageClient, sample_uri: str) -> None:
    actions = await code_actions(client, _code_action_params(sample_uri, 4, 9))
    assert _titles(actions) == [
        "Send selection to Telegram",
        "Ask on phone…",
        "Send file to Telegram",
    ]
    selection = {
        "uri": sample_uri,
        "range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 9}},
    }
    assert actions[0]["kind"] == "quickfix"
    assert actions[0]["command"] == {
        "title": "Send selection to Telegram",
        "command": "tgbridge.sendSelection",
        "arguments": [selection],
    }
    # Run by the extension: it asks for the question and shows the answer.
    assert actions[1]["kind"] == "quickfix"
    assert actions[1]["command"]["command"] == "tgbridge.askOnPhone"
    assert actions[1]["command"]["arguments"] == [selection]
    # A source action: in "Source Action…", never a light bulb on every line.
    assert actions[2]["kind"] == "source.tgbridge.sendFile"
    assert actions[2]["command"]["command"] == "tgbridge.sendFile"
    assert actions[2]["command"]["arguments"] == [{"uri": sample_uri}]


async def test_offered_in_an_untitled_document_of_any_language(client: LanguageClient) -> None:
    _open_untitled(client)
    selected = await code_actions(client, _code_action_params(UNTITLED, 0, 3))
    assert _titles(selected) == [
        "Send selection to Telegram",
        "Ask on phone…",
        "Send file to Telegram",
    ]
    unselected = await code_actions(client, _code_action_params(UNTITLED, 2, 2))
    assert _titles(unselected) == ["Send file to Telegram"]
    assert unselected[0]["command"]["arguments"] == [{"uri": UNTITLED}]


async def test_offered_for_each_diagnostic(client: LanguageClient, sample_uri: str) -> None:
    actions = await code_actions(client, _code_action_params(sample_uri, 4, 4, [UNDEFINED]))
    assert _titles(actions) == ["Send this diagnostic to Telegram", "Send file to Telegram"]
    action = actions[0]
    assert action["kind"] == "quickfix"
    assert [d["message"] for d in action["diagnostics"]] == ['"name" is not defined']
    assert action["command"]["command"] == "tgbridge.sendDiagnostic"
    assert action["command"]["arguments"] == [
        {
            "uri": sample_uri,
            "diagnostic": {
                "range": {
                    "start": {"line": 1, "character": 11},
                    "end": {"line": 1, "character": 15},
                },
                "message": '"name" is not defined',
                "severity": 1,
                "source": "pyright",
                "code": "reportUndefinedVariable",
            },
        }
    ]


async def test_several_diagnostics_are_told_apart(client: LanguageClient) -> None:
    _open_untitled(client)
    other = types.Diagnostic(range=_range((0, 0), (0, 5)), message="Spelling: 'lne'", code=7)
    actions = await code_actions(client, _code_action_params(UNTITLED, 0, 0, [UNDEFINED, other]))
    assert _titles(actions) == [
        'Send this diagnostic to Telegram: "name" is not defined',
        "Send this diagnostic to Telegram: Spelling: 'lne'",
        "Send file to Telegram",
    ]
    assert actions[1]["command"]["arguments"][0]["diagnostic"]["code"] == 7


async def test_only_the_kinds_asked_for(client: LanguageClient, sample_uri: str) -> None:
    source = await code_actions(client, _code_action_params(sample_uri, 4, 9, only=["source"]))
    assert _titles(source) == ["Send file to Telegram"]
    quickfix = await code_actions(
        client, _code_action_params(sample_uri, 4, 9, [UNDEFINED], only=["quickfix"])
    )
    assert _titles(quickfix) == [
        "Send selection to Telegram",
        "Ask on phone…",
        "Send this diagnostic to Telegram",
    ]
    assert not await code_actions(
        client, _code_action_params(sample_uri, 4, 9, only=["source.organizeImports"])
    )


async def test_no_selection_actions_on_an_empty_selection(
    client: LanguageClient, sample_uri: str
) -> None:
    actions = await code_actions(client, _code_action_params(sample_uri, 4, 4))
    assert _titles(actions) == ["Send file to Telegram"]


async def test_running_them_answers_not_connected(client: LanguageClient, sample_uri: str) -> None:
    actions = await code_actions(client, _code_action_params(sample_uri, 4, 9, [UNDEFINED]))
    sidecar_run = [a for a in actions if a["command"]["command"] != "tgbridge.askOnPhone"]
    assert len(sidecar_run) == 3
    for action in sidecar_run:
        command = action["command"]
        with pytest.raises(JsonRpcException) as raised:
            await client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command=command["command"], arguments=command["arguments"]
                )
            )
        assert "Not connected to Telegram" in raised.value.message
        assert raised.value.data == {"code": "not_connected", "field": None}


@pytest.mark.parametrize(
    ("command", "arguments"),
    [
        ("tgbridge.sendSelection", [{"uri": 3}]),
        ("tgbridge.sendFile", []),
        ("tgbridge.sendFile", [{"uri": "file:///a", "extra": 1}]),
        ("tgbridge.sendDiagnostic", [{"uri": "file:///a", "diagnostic": {"message": "x"}}]),
    ],
)
async def test_bad_arguments_are_refused_clearly(
    client: LanguageClient, command: str, arguments: list[Any]
) -> None:
    with pytest.raises(JsonRpcException) as raised:
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=arguments)
        )
    assert raised.value.data == {"code": "invalid_params", "field": None}
    status = await client.protocol.send_request_async("tgbridge/status", {})
    assert status["version"]


# ---- what the sends carry ------------------------------------------------------------

SOURCE = [f"line {n}\n" for n in range(1, 21)]


def _diagnostic(first: int, last: int, **fields: Any) -> DiagnosticInfo:
    return DiagnosticInfo.model_validate(
        {
            "range": {
                "start": {"line": first, "character": 2},
                "end": {"line": last, "character": 4},
            },
            "message": "Something is off",
            **fields,
        }
    )


def test_a_diagnostic_goes_with_its_message_source_and_the_lines_around_it() -> None:
    diagnostic = _diagnostic(9, 9, severity=2, source="ruff", code="F841")
    params = diagnostic_send(diagnostic, SOURCE, "app.py", "python", "key-1")
    assert params.client_key == "key-1"
    assert params.code is None and params.file is None
    text = params.text or ""
    head, message, code = text.split("\n```")[0], text.split("```")[1], text.split("```")[3]
    assert head == "**🟡 Warning** `app.py:10` · `ruff F841`"
    assert message == "\nSomething is off\n"
    # Three lines either side, numbered; the diagnostic's own marked.
    assert code.splitlines() == [
        "python",
        "   7  line 7",
        "   8  line 8",
        "   9  line 9",
        "> 10  line 10",
        "  11  line 11",
        "  12  line 12",
        "  13  line 13",
    ]


def test_a_diagnostic_at_the_edges_of_the_file() -> None:
    first = diagnostic_send(_diagnostic(0, 1), SOURCE, "app.py", "python").text or ""
    assert first.split("```python\n")[1].splitlines()[:5] == [
        "> 1  line 1",
        "> 2  line 2",
        "  3  line 3",
        "  4  line 4",
        "  5  line 5",
    ]
    assert "**Problem** `app.py:1`\n" in first
    last = diagnostic_send(_diagnostic(19, 19), SOURCE, "app.py", "python").text or ""
    assert last.split("```python\n")[1].splitlines()[-2:] == ["> 20  line 20", "```"]


def test_a_diagnostic_cannot_break_out_of_its_code_block() -> None:
    diagnostic = _diagnostic(0, 0, source="a`b", message="**not bold** ``` __nor italic__")
    text = diagnostic_send(diagnostic, ["x\n"], "my`file.py", "").text or ""
    assert text.count("```") == 4
    assert "`my'file.py:1` · `a'b`" in text
    assert "**not bold** ''' __nor italic__" in text


def test_a_saved_file_goes_as_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.py"
    path.write_text(NOTES)
    for open_text in (None, NOTES):
        params = file_send(path.as_uri(), open_text, "python", "key-2")
        assert params.file is not None and params.file.path == str(path)
        assert params.client_key == "key-2"


def test_an_unsaved_or_untitled_file_goes_as_code(tmp_path: Path) -> None:
    path = tmp_path / "notes.py"
    path.write_text(NOTES)
    changed = file_send(path.as_uri(), NOTES + "more\n", "python")
    assert changed.file is None and changed.code is not None
    assert (changed.code.text, changed.code.language, changed.code.path) == (
        NOTES + "more\n",
        "python",
        "notes.py",
    )
    untitled = file_send(UNTITLED, "draft", "plaintext")
    assert untitled.code is not None and untitled.code.path == "Untitled-1"


def test_nothing_to_send_is_said_clearly(tmp_path: Path) -> None:
    cases = [
        ((tmp_path / "gone.py").as_uri(), None, "No such file: gone.py"),
        (UNTITLED, None, "Open the document"),
        (UNTITLED, " \n", "Untitled-1 is empty"),
    ]
    for uri, text, expected in cases:
        with pytest.raises(BridgeError) as raised:
            file_send(uri, text, "")
        assert raised.value.code == "invalid_params"
        assert expected in raised.value.message
