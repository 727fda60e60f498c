"""SQLite storage: the outbox, message history with full-text search."""
