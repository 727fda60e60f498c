"""The hub: the one process per user that owns Telegram, and its local socket."""
