"""The agent's last message from its transcript (Claude Code's `transcript_path`, a JSON
Lines file): for the phone to show what the agent said when it stopped. Only the file's
last 64 KB are read; each assistant line holds `message.content`, a list of blocks of
which the `text` ones are what the agent said (or a plain string)."""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False  # typing is not imported at run time: a hook starts faster
if TYPE_CHECKING:
    from typing import Any

TAIL_BYTES = 64 * 1024


def last_assistant(path: str) -> tuple[str, str]:
    """(the last assistant text, its line's `uuid`), or ("", "") when there is none."""
    if not path:
        return "", ""
    try:
        with open(path, "rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - TAIL_BYTES))
            tail = file.read(TAIL_BYTES)
    except OSError:
        return "", ""
    lines = tail.split(b"\n")
    if len(tail) == TAIL_BYTES and size > TAIL_BYTES:
        lines = lines[1:]  # the first line is cut
    for raw in reversed(lines):
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        text = _assistant_text(entry)
        if text:
            uuid = entry.get("uuid")
            return text, uuid if isinstance(uuid, str) else ""
    return "", ""


def _assistant_text(entry: Any) -> str:
    if not isinstance(entry, dict) or entry.get("type") != "assistant":
        return ""
    message = entry.get("message")
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content.strip()
    if not isinstance(content, list):
        return ""
    parts = [
        block["text"]
        for block in content
        if isinstance(block, dict)
        and block.get("type") == "text"
        and isinstance(block.get("text"), str)
    ]
    return "\n".join(parts).strip()
