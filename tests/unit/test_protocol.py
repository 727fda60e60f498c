"""The protocol is written once: the committed TypeScript matches the pydantic models."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tgbridge.protocol import ConnectionState, StatusResult
from tgbridge.protocol_schema import protocol_schema

ROOT = Path(__file__).resolve().parents[2]


def test_generated_typescript_is_current() -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "gen-protocol"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_every_method_is_in_the_schema() -> None:
    schema = protocol_schema()
    assert set(schema["properties"]["requests"]["properties"]) == {
        "tgbridge/status",
        "tgbridge/connect",
        "tgbridge/login",
        "tgbridge/logout",
        "tgbridge/send",
        "tgbridge/history",
        "tgbridge/restartHub",
        "tgbridge/pairPhone",
        "tgbridge/editorEvent",
        "tgbridge/chats",
        "tgbridge/outbox",
        "tgbridge/retry",
        "tgbridge/cancel",
        "tgbridge/agents",
        "tgbridge/answerAgent",
        "tgbridge/llmKeys",
        "tgbridge/commitMessage",
    }
    assert set(schema["properties"]["notifications"]["properties"]) == {
        "tgbridge/connectionChanged",
        "tgbridge/messageStatus",
        "tgbridge/message",
        "tgbridge/historyGap",
        "tgbridge/agentAsked",
        "tgbridge/openAgentChat",
        "tgbridge/paired",
    }
    assert set(schema["properties"]["clientRequests"]["properties"]) == {"tgbridge/askLogin"}


def test_messages_travel_in_camel_case() -> None:
    status = StatusResult.model_validate(
        {
            "version": "1",
            "workspaceFolders": [],
            "connection": {"state": "waiting", "detail": "waiting 3 s", "waitSeconds": 3},
            "python": {"executable": "/p", "version": "3.11.7"},
        }
    )
    assert status.connection == ConnectionState(
        state="waiting", detail="waiting 3 s", wait_seconds=3
    )
    assert "settingsError" in status.model_dump(by_alias=True)
