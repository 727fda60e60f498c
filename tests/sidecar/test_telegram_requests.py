"""Telegram requests through the sidecar that need no Telegram: refusals and secrecy."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.sidecar.conftest import SERVER, initialize_params, make_client

SECRET_TOKEN = "123456:AAE-secret-bot-token-never-logged"
SECRET_HASH = "0123456789abcdef0123456789abcdef"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def offline_client(tmp_path: Path) -> AsyncIterator[LanguageClient]:
    client = make_client()
    await client.start_io(*SERVER)
    settings = {
        "stateDir": str(tmp_path),
        "hubLingerMinutes": 0,
        "dataCenter": {"id": 2, "host": "127.0.0.1", "port": closed_port()},
    }
    await client.initialize_session(initialize_params(settings))
    yield client
    await client.shutdown_session()
    await client.stop()


async def test_login_to_an_unreachable_telegram_fails_clearly_and_leaks_nothing(
    offline_client: LanguageClient, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(JsonRpcException) as raised:
        await offline_client.protocol.send_request_async(
            "tgbridge/login",
            {"mode": "bot", "apiId": 1, "apiHash": SECRET_HASH, "botToken": SECRET_TOKEN},
        )
    assert raised.value.data == {"code": "login_failed", "field": None}
    assert "Cannot reach Telegram" in raised.value.message
    status = await offline_client.protocol.send_request_async("tgbridge/status", {})
    assert status["connection"]["state"] == "offline"
    seen = [raised.value.message, *(m.message for m in offline_client.log_messages)]
    seen += [m.message for m in offline_client.messages]
    seen.append(capfd.readouterr().err)
    for text in seen:
        assert SECRET_TOKEN not in text and SECRET_HASH not in text


async def test_bad_login_params_name_the_field_and_not_the_value(
    offline_client: LanguageClient,
) -> None:
    with pytest.raises(JsonRpcException) as raised:
        await offline_client.protocol.send_request_async(
            "tgbridge/login", {"mode": "bot", "apiId": "twelve", "apiHash": SECRET_HASH}
        )
    assert raised.value.data == {"code": "invalid_params", "field": "apiId"}
    assert "twelve" not in raised.value.message


async def test_sending_before_logging_in_says_so(offline_client: LanguageClient) -> None:
    with pytest.raises(JsonRpcException) as raised:
        await offline_client.protocol.send_request_async(
            "tgbridge/send", {"chat": "42", "text": "hello"}
        )
    assert raised.value.data == {"code": "not_connected", "field": None}
    assert "log in first" in raised.value.message


async def test_history_is_empty_before_anything_happened(offline_client: LanguageClient) -> None:
    page = await offline_client.protocol.send_request_async("tgbridge/history", {"limit": 10})
    assert page == {"messages": [], "nextCursor": None}
