"""tgbridge: the sidecar that connects an editor with Telegram."""

__version__ = "0.1.0"
