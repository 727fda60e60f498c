"""The sidecar tier: `python -m tgbridge serve --stdio` as a subprocess, driven by pytest-lsp."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import register_lsp_features
from pytest_lsp.protocol import LanguageClientProtocol

from tgbridge.lsp.converter import json_converter

SERVER = [sys.executable, "-m", "tgbridge", "serve", "--stdio"]
WORKSPACE = Path(__file__).parent / "workspace"


class RawCodeActionProtocol(LanguageClientProtocol):
    """Leaves code action results as JSON: lsprotocol's client-side converter reads any
    CodeAction that carries a command as a bare Command (VS Code does not)."""

    def get_result_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        if method == types.TEXT_DOCUMENT_CODE_ACTION:
            return None
        return super().get_result_type(method)


def make_client() -> LanguageClient:
    client = LanguageClient(protocol_cls=RawCodeActionProtocol, converter_factory=json_converter)
    register_lsp_features(client)
    return client


async def code_actions(client: LanguageClient, params: types.CodeActionParams) -> Any:
    """The raw `textDocument/codeAction` result."""
    return await client.protocol.send_request_async(types.TEXT_DOCUMENT_CODE_ACTION, params)


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client)


def initialize_params(
    settings: dict[str, Any], workspace: Path = WORKSPACE
) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=types.ClientCapabilities(
            window=types.WindowClientCapabilities(work_done_progress=True)
        ),
        initialization_options={"settings": settings},
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)],
    )


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    await lsp_client.initialize_session(initialize_params({"logLevel": "debug"}))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def badly_configured_client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    await lsp_client.initialize_session(initialize_params({"logLevel": "loud"}))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def sample_uri() -> str:
    return (WORKSPACE / "hello.py").as_uri()
