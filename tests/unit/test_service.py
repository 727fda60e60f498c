"""The Telegram service without a connection: what it queues, renders and reports."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tgbridge.errors import BridgeError
from tgbridge.protocol import (
    CodeSelection,
    ConnectionState,
    FileToSend,
    MessageStatusParams,
    Position,
    Range,
    SendParams,
)
from tgbridge.settings import Settings
from tgbridge.store.accounts import Account
from tgbridge.store.outbox_store import OutboxRow
from tgbridge.telegram.errors import TransientError
from tgbridge.telegram.gateway import Credentials
from tgbridge.telegram.render import TEXT_LIMIT
from tgbridge.telegram.service import TelegramService


class Recorder:
    def __init__(self) -> None:
        self.connection: list[ConnectionState] = []
        self.statuses: list[MessageStatusParams] = []


class OfflineGateway:
    """A logged-in account whose connection never comes up: sends can only queue."""

    def __init__(self, credentials: Credentials, **options: Any) -> None:
        self.account: Account | None = Account(1, "tester", False)

    async def start(self, *, keep_trying: bool) -> bool:
        return True

    async def stop(self) -> None:
        pass

    async def peer_id(self, chat: str) -> int:
        raise ValueError(chat)

    async def send(self, row: OutboxRow) -> int | None:
        raise TransientError("offline")


async def service(tmp_path: Path, recorder: Recorder, **settings: object) -> TelegramService:
    telegram = TelegramService(
        tmp_path,
        Settings(**settings),  # type: ignore[arg-type]
        on_connection=recorder.connection.append,
        on_status=recorder.statuses.append,
        on_message=lambda message: None,
        gateway_factory=OfflineGateway,  # type: ignore[arg-type]
    )
    await telegram.connect(Credentials(1, "hash", "session"))
    return telegram


def queued_rows(tmp_path: Path) -> list[dict[str, object]]:
    from tgbridge.store.database import open_database

    db = open_database(tmp_path / "tgbridge.db")
    rows = db.execute("SELECT kind, payload FROM outbox ORDER BY id").fetchall()
    return [{"kind": row["kind"], **json.loads(row["payload"])} for row in rows]


def document(row: dict[str, object]) -> tuple[str, str]:
    path = Path(str(row["path"]))
    return path.name, path.read_text()


def ten_thousand_characters_of_code() -> CodeSelection:
    code = "\n".join(f"result_{i} = compute({i})  # step {i}" for i in range(300))
    assert len(code) > 10_000
    return CodeSelection(
        text=code,
        language="python",
        path="pipeline.py",
        range=Range(start=Position(line=0, character=0), end=Position(line=299, character=0)),
    )


async def test_long_code_is_split_into_valid_code_messages(tmp_path: Path) -> None:
    recorder = Recorder()
    telegram = await service(tmp_path, recorder, document_above=50_000)
    send_id = await telegram.send(SendParams(chat="42", code=ten_thousand_characters_of_code()))
    rows = queued_rows(tmp_path)
    assert len(rows) >= 3 and {row["kind"] for row in rows} == {"text"}
    assert str(rows[0]["text"]).startswith("pipeline.py:1-300\n")
    for row in rows:
        text = str(row["text"])
        units = len(text.encode("utf-16-le")) // 2
        assert units <= TEXT_LIMIT
        entities = row["entities"]
        assert isinstance(entities, list)
        pres = [e for e in entities if e["_"] == "MessageEntityPre"]
        assert len(pres) == 1 and pres[0]["language"] == "python"
        assert all(e["offset"] + e["length"] <= units for e in entities)
    assert recorder.statuses[-1] == MessageStatusParams(
        send_id=send_id, chat_id=42, state="queued", telegram_ids=[], error=None, detail=None
    )


async def test_long_code_goes_as_a_document_above_the_setting(tmp_path: Path) -> None:
    telegram = await service(tmp_path, Recorder(), document_above=8_000)
    await telegram.send(SendParams(chat="42", code=ten_thousand_characters_of_code()))
    [row] = queued_rows(tmp_path)
    assert row["kind"] == "file"
    name, content = document(row)
    assert name == "pipeline.py" and content == ten_thousand_characters_of_code().text
    assert str(row["caption"]).startswith("pipeline.py:1-300\n")
    assert len(str(row["caption"])) <= 1024


async def test_a_file_is_queued_by_path_and_a_missing_one_is_refused(tmp_path: Path) -> None:
    telegram = await service(tmp_path, Recorder())
    report = tmp_path / "report.txt"
    report.write_text("ok")
    await telegram.send(SendParams(chat="42", file=FileToSend(path=str(report), caption="done")))
    assert queued_rows(tmp_path) == [{"kind": "file", "path": str(report), "caption": "done"}]
    with pytest.raises(BridgeError, match="No such file"):
        await telegram.send(SendParams(chat="42", file=FileToSend(path=str(tmp_path / "gone"))))


async def test_a_send_needs_exactly_one_thing_and_a_chat(tmp_path: Path) -> None:
    telegram = await service(tmp_path, Recorder())
    with pytest.raises(BridgeError, match="exactly one"):
        await telegram.send(SendParams(chat="42", text="a", file=FileToSend(path="/x")))
    with pytest.raises(BridgeError, match=r"tgbridge\.defaultChat"):
        await telegram.send(SendParams(text="hello"))
    with pytest.raises(BridgeError, match="nothing to send"):
        await telegram.send(SendParams(chat="42", text="   "))
    assert queued_rows(tmp_path) == []


async def test_queued_is_said_only_once_the_send_survives_a_power_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    telegram = TelegramService(
        tmp_path,
        Settings(),
        on_connection=lambda state: None,
        on_status=lambda status: events.append(status.state),
        on_message=lambda message: None,
        gateway_factory=OfflineGateway,  # type: ignore[arg-type]
    )
    await telegram.connect(Credentials(1, "hash", "session"))
    synced = os.fsync

    def fsync(descriptor: int) -> None:
        events.append("fsync")
        synced(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    await telegram.send(SendParams(chat="42", text="hi", client_key="k1"))
    assert events[-1] == "queued" and "fsync" in events[:-1]
