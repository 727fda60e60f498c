"""Which window hears what. A send's status goes back to the window that sent it. An
inbound message goes to the window of the workspace it concerns: the window whose message
it replies to; else the windows open on the workspace the phone chose; else every window.
What no window hears is kept (the store marks it unseen) until one attaches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

# (method, params, called once the notification is written to the window)
Notify = Callable[[str, dict[str, Any], Callable[[], None] | None], None]


@dataclass(eq=False)
class Window:
    """One attached client: an editor window's sidecar, or the command line."""

    kind: Literal["window", "cli"]
    folders: list[str]  # workspace folder URIs
    notify: Notify
    name: str = ""
    sends: set[int] = field(default_factory=set)


class Router:
    def __init__(self) -> None:
        self.windows: list[Window] = []
        self.chosen_workspace: str | None = None
        self._sender: dict[int, Window] = {}  # send id -> window
        self._author: dict[tuple[int, int], Window] = {}  # (chat, telegram id) -> window

    def attach(self, window: Window) -> None:
        self.windows.append(window)

    def detach(self, window: Window) -> None:
        self.windows.remove(window)
        for send_id in window.sends:
            self._sender.pop(send_id, None)
        self._author = {key: w for key, w in self._author.items() if w is not window}

    def editors(self) -> list[Window]:
        return [window for window in self.windows if window.kind == "window"]

    def sent(self, send_id: int, window: Window) -> None:
        self._sender[send_id] = window
        window.sends.add(send_id)

    def for_status(self, send_id: int, chat_id: int, telegram_ids: list[int]) -> list[Window]:
        """The window that sent it (none when it has gone); remembers what it wrote."""
        window = self._sender.get(send_id)
        if window is None:
            return []
        for message_id in telegram_ids:
            self._author[(chat_id, message_id)] = window
        return [window]

    def for_message(self, chat_id: int, reply_to: int | None) -> list[Window]:
        if reply_to is not None and (author := self._author.get((chat_id, reply_to))):
            return [author]
        chosen = [w for w in self.editors() if self.chosen_workspace in w.folders]
        return chosen or self.editors()


def folder_path(uri: str) -> Path | None:
    """A workspace folder's local path from its URI; None for a remote one."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))
