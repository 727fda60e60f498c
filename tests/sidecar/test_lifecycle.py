"""Start, serve, survive bad input, stop."""

from __future__ import annotations

import pytest
from pygls.exceptions import JsonRpcMethodNotFound
from pytest_lsp import LanguageClient

from tests.sidecar.conftest import SERVER, initialize_params, make_client


async def test_unknown_method_gets_an_error_and_the_sidecar_keeps_serving(
    client: LanguageClient,
) -> None:
    with pytest.raises(JsonRpcMethodNotFound):
        await client.protocol.send_request_async("tgbridge/noSuchThing", {})
    status = await client.protocol.send_request_async("tgbridge/status", {})
    assert status["connection"]["state"] == "not configured"


async def test_logs_reach_the_editor_and_not_stdout(client: LanguageClient) -> None:
    await client.protocol.send_request_async("tgbridge/status", {})
    # A stray print to stdout would corrupt the stream and fail the request above;
    # the sidecar announces itself through window/logMessage instead.
    assert any("sidecar ready" in log.message for log in client.log_messages)


async def test_shutdown_and_exit_end_the_process_cleanly() -> None:
    client = make_client()
    await client.start_io(*SERVER)
    await client.initialize_session(initialize_params({}))
    await client.shutdown_session()
    assert client._server is not None
    assert client._server.returncode == 0
    await client.stop()


async def test_initialize_announces_name_code_action_and_command() -> None:
    client = make_client()
    await client.start_io(*SERVER)  # with --stdio, as vscode-languageclient appends it
    result = await client.initialize_session(initialize_params({}))
    assert result.server_info is not None
    assert result.server_info.name == "tgbridge"
    capabilities = result.capabilities
    assert capabilities.code_action_provider
    assert capabilities.execute_command_provider is not None
    assert list(capabilities.execute_command_provider.commands) == [
        "tgbridge.sendSelection",
        "tgbridge.sendFile",
        "tgbridge.sendDiagnostic",
    ]
    await client.shutdown_session()
    await client.stop()


async def test_a_request_without_params_is_answered(client: LanguageClient) -> None:
    status = await client.protocol.send_request_async("tgbridge/status", None)
    assert status["connection"]["state"] == "not configured"
