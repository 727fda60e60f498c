"""Opens tgbridge's SQLite database in WAL mode and brings its schema up to date."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tgbridge.store.files import private_dir

BUSY_TIMEOUT_MS = 10_000

# The history's full-text index follows the messages table (created again by migration 3).
_FTS_TRIGGERS = """
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
"""

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
    """
    + _FTS_TRIGGERS,
    # A key the editor picks per send: a request retried after a sidecar restart is
    # answered with the send it already queued, never queued twice.
    """
    ALTER TABLE outbox ADD COLUMN client_key TEXT;
    CREATE UNIQUE INDEX outbox_client_key ON outbox (client_key) WHERE client_key IS NOT NULL;
    """,
    # The store is the connection's memory: each Telegram account owns its outbox rows and
    # history, its update state (resumed after a restart) and the peers it has seen.
    """
    ALTER TABLE outbox ADD COLUMN account_id INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN chat_ref TEXT;
    CREATE INDEX outbox_unresolved ON outbox (account_id) WHERE state = 'queued' AND chat_id = 0;

    CREATE TABLE messages_by_account (
        account_id INTEGER NOT NULL DEFAULT 0,
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        sender_id INTEGER,
        outgoing INTEGER NOT NULL,
        text TEXT NOT NULL,
        reply_to INTEGER,
        date REAL NOT NULL,
        edit_date REAL,
        file_path TEXT,
        file_state TEXT,
        UNIQUE (account_id, chat_id, message_id)
    );
    CREATE INDEX messages_file ON messages (file_path) WHERE file_path IS NOT NULL;
    INSERT INTO messages_by_account (rowid, chat_id, message_id, sender_id, outgoing, text,
        reply_to, date, edit_date, file_path)
        SELECT rowid, chat_id, message_id, sender_id, outgoing, text, reply_to, date, edit_date,
        file_path FROM messages;
    DROP TRIGGER messages_ai;
    DROP TRIGGER messages_au;
    DROP TRIGGER messages_ad;
    DROP TABLE messages;
    ALTER TABLE messages_by_account RENAME TO messages;
    """
    + _FTS_TRIGGERS
    + """

    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        key_id BLOB UNIQUE,
        name TEXT NOT NULL,
        bot INTEGER NOT NULL
    );
    CREATE TABLE update_state (
        account_id INTEGER NOT NULL,
        entity_id INTEGER NOT NULL,
        pts INTEGER NOT NULL,
        qts INTEGER NOT NULL,
        date INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (account_id, entity_id)
    );
    CREATE TABLE peers (
        account_id INTEGER NOT NULL,
        id INTEGER NOT NULL,
        hash INTEGER NOT NULL,
        username TEXT,
        phone TEXT,
        name TEXT,
        PRIMARY KEY (account_id, id)
    );
    """,
    # A message no editor window was open for (the hub lingering) waits to be shown.
    """
    ALTER TABLE messages ADD COLUMN unseen INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX messages_unseen ON messages (account_id) WHERE unseen = 1;
    """,
    # The phone side: who may use the bot (deny by default), how they got in, what they
    # did, the single-use buttons they were given, and what /analytics counts.
    """
    CREATE TABLE users (
        user_id INTEGER PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('owner', 'collaborator', 'viewer')),
        name TEXT NOT NULL,
        added_at REAL NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        user_id INTEGER,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_at ON audit (at);
    CREATE TABLE pairing_codes (
        id INTEGER PRIMARY KEY,
        code_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        wrong_tries INTEGER NOT NULL DEFAULT 0,
        used_at REAL
    );
    CREATE TABLE pairing_requests (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        requested_at REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'approved', 'denied'))
    );
    CREATE TABLE buttons (
        token TEXT PRIMARY KEY,
        grp TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        message_id INTEGER,
        action TEXT NOT NULL,
        payload TEXT NOT NULL,
        expires_at REAL NOT NULL,
        used_at REAL
    );
    CREATE INDEX buttons_grp ON buttons (grp);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        value REAL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_kind_at ON events (kind, at);
    CREATE TABLE preferences (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # Each language-model call, answered or not, for /analytics.
    """
    CREATE TABLE llm_calls (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        task TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        input_tokens INTEGER,
        output_tokens INTEGER,
        latency_ms REAL,
        first_token_ms REAL,
        ok INTEGER NOT NULL,
        error TEXT
    );
    CREATE INDEX llm_calls_at ON llm_calls (at);
    """,
]


def open_database(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (a statement commits itself; `durable` for a
    transaction). The database and its folder are private to the user (0600 / 0700)."""
    private_dir(path.parent)
    # SQLite gives the -wal and -shm files the database file's mode.
    _create_private(path)
    for name in (f"{path.name}-wal", f"{path.name}-shm"):
        if (path.parent / name).exists():
            _create_private(path.parent / name)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")  # several processes may open it
    _use_wal(db)
    # NORMAL in WAL mode survives a killed process; a commit that must also survive a power
    # cut (a send becoming "queued") asks for FULL around itself (see `durable`).
    db.execute("PRAGMA synchronous = NORMAL")
    _migrate(db)
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken with the write lock at once (no upgrade deadlocks)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


@contextmanager
def durable(db: sqlite3.Connection) -> Iterator[None]:
    """A write transaction whose commit is on disk before it returns (synchronous=FULL)."""
    db.execute("PRAGMA synchronous = FULL")
    try:
        with transaction(db):
            yield
    finally:
        db.execute("PRAGMA synchronous = NORMAL")


def flush(db: sqlite3.Connection) -> None:
    """Forces what is committed to disk, as synchronous=FULL would have at the commit: the
    WAL's new frames (or, after a checkpoint, the database file) are fsynced."""
    path = Path(db.execute("PRAGMA database_list").fetchone()["file"])
    for name in (f"{path.name}-wal", path.name):
        with contextlib.suppress(FileNotFoundError):
            descriptor = os.open(path.with_name(name), os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)


def _use_wal(db: sqlite3.Connection) -> None:
    """Switches to WAL. Two processes doing it on a new file at once get "database is
    locked" without SQLite's busy handler being asked, so the wait is done here."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _create_private(path: Path) -> None:
    """Creates the file 0600 when missing, and takes away what others could read."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def _migrate(db: sqlite3.Connection) -> None:
    """Each step inside BEGIN IMMEDIATE, the version read under the same lock: two
    processes opening a new database at once both end with the same, complete schema."""
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version: int = db.execute("PRAGMA user_version").fetchone()[0]
            if version >= len(MIGRATIONS):
                db.execute("COMMIT")
                return
            for statement in _statements(MIGRATIONS[version]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {version + 1}")
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
