"""The "Send selection to Telegram" code action and its command."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.sidecar.conftest import code_actions


def _code_action_params(uri: str, start: int, end: int) -> types.CodeActionParams:
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(
            start=types.Position(line=0, character=start),
            end=types.Position(line=0, character=end),
        ),
        context=types.CodeActionContext(diagnostics=[]),
    )


async def test_offered_on_a_selection(client: LanguageClient, sample_uri: str) -> None:
    actions = await code_actions(client, _code_action_params(sample_uri, 4, 9))
    assert [action["title"] for action in actions] == ["Send selection to Telegram"]
    assert actions[0]["kind"] == "quickfix"
    assert actions[0]["command"] == {
        "title": "Send selection to Telegram",
        "command": "tgbridge.sendSelection",
        "arguments": [
            {
                "uri": sample_uri,
                "range": {
                    "start": {"line": 0, "character": 4},
                    "end": {"line": 0, "character": 9},
                },
            }
        ],
    }


async def test_offered_in_any_language(client: LanguageClient) -> None:
    actions = await code_actions(client, _code_action_params("untitled:notes.weird-lang", 0, 3))
    assert [action["title"] for action in actions] == ["Send selection to Telegram"]


async def test_not_offered_on_an_empty_selection(client: LanguageClient, sample_uri: str) -> None:
    assert not await code_actions(client, _code_action_params(sample_uri, 4, 4))


async def test_running_it_answers_not_connected(client: LanguageClient, sample_uri: str) -> None:
    actions = await code_actions(client, _code_action_params(sample_uri, 4, 9))
    command = actions[0]["command"]
    with pytest.raises(JsonRpcException) as raised:
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
        )
    assert "Not connected to Telegram" in raised.value.message
    assert raised.value.data == {"code": "not_connected", "field": None}


async def test_bad_arguments_are_refused_clearly(client: LanguageClient) -> None:
    with pytest.raises(JsonRpcException) as raised:
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="tgbridge.sendSelection", arguments=[{"uri": 3}])
        )
    assert raised.value.data == {"code": "invalid_params", "field": None}
    status = await client.protocol.send_request_async("tgbridge/status", {})
    assert status["version"]
