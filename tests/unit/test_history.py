"""History: edits replace text, replies keep their thread, search finds words, pages page."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tgbridge.store.database import open_database
from tgbridge.store.history import HistoryStore, StoredMessage

WORDS = ["deploy", "failed", "main", "fix", "src"]


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


def test_search_pages_through_every_match_newest_first(history: HistoryStore) -> None:
    for n in range(1, 31):
        history.record(message(n, f"build {n} failed" if n % 3 else f"build {n} passed"))
    found: list[int] = []
    before: int | None = None
    while True:
        page = history.page(search="failed", before=before, limit=4)
        found += [m.message_id for m in page.messages]
        if page.next_cursor is None:
            break
        assert page.messages[-1].cursor == page.next_cursor
        before = page.next_cursor
    assert found == [n for n in range(30, 0, -1) if n % 3]


def test_search_in_one_chat_finds_only_that_chats_messages(history: HistoryStore) -> None:
    for n in range(1, 21):
        history.record(message(n, f"deploy {n}", chat_id=1 if n % 4 == 0 else 2))
    history.record(message(21, "nothing to see", chat_id=1))
    first = history.page(chat_id=1, search="deploy", limit=3)
    assert [(m.chat_id, m.message_id) for m in first.messages] == [(1, 20), (1, 16), (1, 12)]
    assert first.next_cursor is not None
    rest = history.page(chat_id=1, search="deploy", before=first.next_cursor, limit=3)
    assert [m.message_id for m in rest.messages] == [8, 4]
    assert rest.next_cursor is None
    assert history.page(chat_id=3, search="deploy").messages == []
    assert len(history.page(search="deploy").messages) == 20


def test_two_words_match_both_in_any_order(history: HistoryStore) -> None:
    history.record(message(1, "tests failed on main"))
    history.record(message(2, "main is green"))
    history.record(message(3, "Main: FAILED again"))
    found = history.page(search="failed main")
    assert [m.message_id for m in found.messages] == [3, 1]


def test_a_search_page_reads_matches_newest_first_without_sorting_them(tmp_path: Path) -> None:
    """The full-text index hands out rowids newest first and applies the cursor itself;
    sorting every match (a temporary B-tree) would make a common word slow."""
    db = open_database(tmp_path / "tgbridge.db")
    history = HistoryStore(db)
    history.record(message(1, "deploy"))
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    for options in ({}, {"chat_id": 1}, {"before": 10}, {"chat_id": 1, "before": 10}):
        statements.clear()
        history.page(search="deploy often", **options)
        [query] = [s for s in statements if s.startswith("SELECT m.rowid AS cursor")]
        plan = " / ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {query}"))
        assert "TEMP B-TREE" not in plan, (options, plan)
        assert plan.startswith("SCAN f VIRTUAL TABLE"), (options, plan)
    db.set_trace_callback(None)


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(
        st.tuples(st.sampled_from([1, 2, 3]), st.lists(st.sampled_from(WORDS), max_size=4)),
        max_size=40,
    ),
    search=st.lists(st.sampled_from(WORDS), min_size=1, max_size=2).map(" ".join),
    chat_id=st.sampled_from([None, 1, 2]),
    limit=st.integers(1, 5),
)
def test_paged_search_finds_what_a_plain_filter_finds(
    texts: list[tuple[int, list[str]]], search: str, chat_id: int | None, limit: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        history = HistoryStore(open_database(Path(folder) / "tgbridge.db"))
        for n, (chat, words) in enumerate(texts, start=1):
            history.record(message(n, " ".join(words), chat_id=chat))
        expected = [
            n
            for n, (chat, words) in reversed(list(enumerate(texts, start=1)))
            if set(search.split()) <= set(words) and chat_id in (None, chat)
        ]
        found: list[int] = []
        before: int | None = None
        while True:
            page = history.page(chat_id=chat_id, search=search, before=before, limit=limit)
            assert len(page.messages) <= limit
            found += [m.message_id for m in page.messages]
            if (before := page.next_cursor) is None:
                break
        assert found == expected
