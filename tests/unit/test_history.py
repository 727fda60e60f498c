"""History: edits replace text, replies keep their thread, search finds words, pages page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tgbridge.store.database import open_database
from tgbridge.store.history import HistoryStore, StoredMessage


@pytest.fixture
def history(tmp_path: Path) -> HistoryStore:
    return HistoryStore(open_database(tmp_path / "tgbridge.db"))


def message(message_id: int, text: str, chat_id: int = 1, **extra: object) -> StoredMessage:
    return StoredMessage(
        chat_id=chat_id,
        message_id=message_id,
        sender_id=99,
        outgoing=False,
        text=text,
        date=1000.0 + message_id,
        **extra,  # type: ignore[arg-type]
    )


def test_an_edit_replaces_the_text_and_the_search_index(history: HistoryStore) -> None:
    history.record(message(1, "deploy failed on staging"))
    history.record(message(1, "deploy passed on staging", edit_date=2000.0))
    [stored] = history.page().messages
    assert stored.text == "deploy passed on staging"
    assert stored.edit_date == 2000.0
    assert history.page(search="failed").messages == []
    assert [m.message_id for m in history.page(search="passed").messages] == [1]


def test_a_reply_keeps_its_thread(history: HistoryStore) -> None:
    history.record(message(1, "which branch?"))
    history.record(message(2, "main", reply_to=1))
    newest = history.page().messages[0]
    assert (newest.message_id, newest.reply_to) == (2, 1)


def test_search_takes_any_text_literally(history: HistoryStore) -> None:
    history.record(message(1, 'error: "NEAR" AND (x OR y) in parser.py'))
    history.record(message(2, "all good"))
    found = history.page(search='"NEAR" AND (x')
    assert [m.message_id for m in found.messages] == [1]


def test_pages_go_from_newest_to_oldest_per_chat(history: HistoryStore) -> None:
    for n in range(1, 8):
        history.record(message(n, f"m{n}", chat_id=1 if n % 2 else 2))
    first = history.page(chat_id=1, limit=2)
    assert [m.text for m in first.messages] == ["m7", "m5"]
    assert first.next_cursor is not None
    second = history.page(chat_id=1, limit=2, before=first.next_cursor)
    assert [m.text for m in second.messages] == ["m3", "m1"]
    assert second.next_cursor is None
