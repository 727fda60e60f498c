"""Opens tgbridge's SQLite database in WAL mode and brings its schema up to date."""

from __future__ import annotations

import sqlite3
from pathlib import Path

MIGRATIONS = [
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        send_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('text', 'file')),
        payload TEXT NOT NULL,
        reply_to INTEGER,
        random_id INTEGER NOT NULL UNIQUE,
        state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        telegram_id INTEGER,
        error TEXT,
        created_at REAL NOT NULL,
        sent_at REAL
    );
    CREATE INDEX outbox_queued ON outbox (chat_id, id) WHERE state = 'queued';
    CREATE INDEX outbox_send ON outbox (send_id);

    CREATE TABLE messages (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        sender_id INTEGER,
        outgoing INTEGER NOT NULL,
        text TEXT NOT NULL,
        reply_to INTEGER,
        date REAL NOT NULL,
        edit_date REAL,
        file_path TEXT,
        UNIQUE (chat_id, message_id)
    );
    CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='rowid');
    CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
        INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    END;
    """,
    # A key the editor picks per send: a request retried after a sidecar restart is
    # answered with the send it already queued, never queued twice.
    """
    ALTER TABLE outbox ADD COLUMN client_key TEXT;
    CREATE UNIQUE INDEX outbox_client_key ON outbox (client_key) WHERE client_key IS NOT NULL;
    """,
]


def open_database(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode; write with `with transaction(db):`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode survives a killed process; only a power cut may lose the last commit.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA busy_timeout = 5000")
    _migrate(db)
    return db


def _migrate(db: sqlite3.Connection) -> None:
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    """Splits a migration into statements; trigger bodies keep their inner semicolons."""
    statements: list[str] = []
    current = ""
    for line in script.strip().splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements
