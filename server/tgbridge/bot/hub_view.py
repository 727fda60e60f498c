"""What the hub shows the phone's commands: its windows, their workspaces and the
routing choice, the connection, and the owner's phone settings (latest window's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tgbridge.protocol import ConnectionState
from tgbridge.settings import PhoneSettings
from tgbridge.workspace.registry import Workspaces


@dataclass(frozen=True)
class WindowInfo:
    name: str
    folders: list[Path]


@dataclass
class HubView:
    windows: Callable[[], list[WindowInfo]]
    connection: Callable[[], ConnectionState]
    chosen_workspace: Callable[[], Path | None]
    choose_workspace: Callable[[Path | None], None]
    workspaces: Workspaces
    settings: Callable[[], PhoneSettings]
    state_dir: Path
    # Tells the editor windows (the chosen workspace's, else all): (method, params) -> count
    tell_windows: Callable[[str, dict[str, Any]], int]

    def folders(self) -> list[Path]:
        """The registered workspace folders (they stay while the hub runs, windows or
        not), the chosen one first."""
        folders = self.workspaces.folders()
        chosen = self.chosen_workspace()
        if chosen in folders:
            folders.remove(chosen)
            folders.insert(0, chosen)
        return folders
