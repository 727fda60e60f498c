"""Logging: always to stderr (stdout carries JSON-RPC), and to the editor through
`window/logMessage` once a client is attached."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable

LEVELS = {
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}

logger = logging.getLogger("tgbridge")

LogSink = Callable[[int, str], None]


class EditorLogHandler(logging.Handler):
    """Forwards tgbridge's own records to the editor; never re-enters itself."""

    def __init__(self, sink: LogSink) -> None:
        super().__init__()
        self._sink = sink
        self._busy = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._busy, "active", False):
            return
        self._busy.active = True
        try:
            self._sink(record.levelno, self.format(record))
        except Exception:
            self.handleError(record)
        finally:
            self._busy.active = False


class _NotShownInEditor(logging.Filter):
    """Once the editor shows tgbridge's records, stderr keeps only the others (pygls's,
    tracebacks), so each line reaches the editor's output once and at its own level."""

    editor_attached = False

    def filter(self, record: logging.LogRecord) -> bool:
        return not (self.editor_attached and record.name.startswith(logger.name))


_stderr_filter = _NotShownInEditor()


def configure_stderr(level_name: str | None) -> None:
    """Sends every record at `level_name` or above to stderr."""
    name = level_name or os.environ.get("TGBRIDGE_LOG_LEVEL", "info").lower()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_stderr_filter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logger.setLevel(LEVELS.get(name, logging.INFO))


def set_level(level_name: str) -> None:
    logger.setLevel(LEVELS[level_name])


def attach_editor(sink: LogSink) -> EditorLogHandler:
    handler = EditorLogHandler(sink)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger.addHandler(handler)
    _stderr_filter.editor_attached = True
    return handler
