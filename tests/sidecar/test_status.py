"""tgbridge/status and bad settings."""

from __future__ import annotations

import sys

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.sidecar.conftest import WORKSPACE


async def test_status_names_version_folders_and_connection(client: LanguageClient) -> None:
    status = await client.protocol.send_request_async("tgbridge/status", {})
    assert status["workspaceFolders"] == [{"name": "workspace", "uri": WORKSPACE.as_uri()}]
    assert status["connection"] == {
        "state": "not configured",
        "detail": "Telegram is not configured yet.",
        "waitSeconds": None,
    }
    assert status["python"]["executable"] == sys.executable
    assert status["settingsError"] is None


async def test_bad_setting_gives_a_clear_error_naming_the_field(
    badly_configured_client: LanguageClient,
) -> None:
    client = badly_configured_client
    status = await client.protocol.send_request_async("tgbridge/status", {})
    assert "tgbridge.logLevel" in status["settingsError"]
    shown = await _first_error_message(client)
    assert "tgbridge.logLevel" in shown
    assert "'error', 'warning', 'info' or 'debug'" in shown


async def _first_error_message(client: LanguageClient) -> str:
    while True:
        for message in client.messages:
            if message.type == types.MessageType.Error:
                return message.message
        await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
