"""The database: several processes may open a new one at once; a queued send is on disk
before it is reported; the files are private."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path

from tgbridge.store.database import MIGRATIONS, open_database
from tgbridge.store.outbox_store import NewMessage, OutboxStore

OPENERS = 4


def _open_after(barrier: multiprocessing.synchronize.Barrier, path: str) -> int:
    barrier.wait()
    db = open_database(Path(path))
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


def test_processes_opening_a_new_database_at_once_all_work(tmp_path: Path) -> None:
    path = tmp_path / "state" / "tgbridge.db"
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(OPENERS)
        with context.Pool(OPENERS) as pool:
            versions = pool.starmap(_open_after, [(barrier, str(path))] * OPENERS)
    assert versions == [len(MIGRATIONS)] * OPENERS
    db = sqlite3.connect(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"outbox", "messages", "accounts", "update_state", "peers"} <= tables


def test_a_send_without_a_key_is_forced_to_disk_at_its_commit(tmp_path: Path) -> None:
    db = open_database(tmp_path / "tgbridge.db")
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    OutboxStore(db).enqueue(1, [NewMessage("text", {"text": "hi"})], None, account_id=1)
    commit = statements.index("COMMIT")
    full = [n for n, sql in enumerate(statements) if sql == "PRAGMA synchronous = FULL"]
    assert full and full[0] < commit
    assert statements[-1] == "PRAGMA synchronous = NORMAL"  # the rest of the traffic stays fast


def test_a_send_the_editor_names_gets_the_same_random_ids_even_if_its_row_is_lost(
    tmp_path: Path,
) -> None:
    parts = [NewMessage("text", {"text": "part 1"}), NewMessage("text", {"text": "part 2"})]

    def random_ids(folder: str, key: str) -> list[int]:
        db = open_database(tmp_path / folder / "tgbridge.db")
        send_id = OutboxStore(db).enqueue(1, parts, None, account_id=1, client_key=key)
        rows = db.execute("SELECT random_id FROM outbox WHERE send_id = ? ORDER BY id", (send_id,))
        return [row[0] for row in rows]

    before_the_power_cut = random_ids("a", "key-1")
    after_it = random_ids("b", "key-1")  # the row was lost: the editor's retry writes it again
    assert before_the_power_cut == after_it and len(set(after_it)) == 2
    assert set(random_ids("c", "key-2")).isdisjoint(after_it)
    assert all(0 < value < 2**63 for value in after_it)


def test_the_database_and_its_folder_are_private_even_when_made_loosely(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)
    path = folder / "tgbridge.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    db = open_database(path)
    OutboxStore(db).enqueue(1, [NewMessage("text", {"text": "hi"})], None, account_id=1)
    assert os.stat(folder).st_mode & 0o777 == 0o700
    for name in ("tgbridge.db", "tgbridge.db-wal", "tgbridge.db-shm"):
        assert os.stat(folder / name).st_mode & 0o777 == 0o600, name


def test_an_older_database_keeps_its_history_and_search(tmp_path: Path) -> None:
    from tgbridge.store import database
    from tgbridge.store.history import HistoryStore

    path = tmp_path / "tgbridge.db"
    old = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:2]:
        for statement in database._statements(script):
            old.execute(statement)
    old.execute("PRAGMA user_version = 2")
    old.execute(
        "INSERT INTO messages (chat_id, message_id, sender_id, outgoing, text, date)"
        " VALUES (42, 7, 99, 0, 'the deploy finished', 1000.0)"
    )
    old.close()
    page = HistoryStore(open_database(path)).page(search="deploy")
    assert [(m.chat_id, m.message_id, m.text, m.account_id) for m in page.messages] == [
        (42, 7, "the deploy finished", 0)
    ]
