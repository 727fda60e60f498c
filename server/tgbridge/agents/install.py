"""Connecting coding agents in one step: tgbridge's hook and MCP entries written into each
agent's user-level configuration, merged with what is already there, and removed again
exactly (only entries that run tgbridge's launcher are ever touched).

The entries run a small launcher in the state dir (`bin/tgbridge-agent`) that starts the
same Python, with the same libraries, as the process that wrote it: an agent runs it
outside the editor, where the extension's bundled libraries are not on any path.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tgbridge.store.files import private_dir

# Seconds an agent lets a hook run: a little over the hook's own wait (600 s), so the hook
# always answers first (for Cursor's failClosed, a killed hook would mean "deny").
HOOK_TIMEOUT = 620
LAUNCHER = "tgbridge-agent"

AGENTS = ("claude", "cursor", "codex")
Config = dict[str, Any]


@dataclass(frozen=True)
class Change:
    agent: str
    path: Path
    entries: list[str]  # what was written (or removed), for the user to see


def launcher(state_dir: Path, python: str = sys.executable) -> Path:
    """Writes (again) the launcher script; returns its path."""
    folder = private_dir(state_dir / "bin")
    path = folder / LAUNCHER
    pythonpath = os.environ.get("PYTHONPATH", "")
    lines = ["#!/bin/sh", "# Written by tgbridge (Connect Coding Agents); safe to delete."]
    if pythonpath:
        lines.append(f"export PYTHONPATH={shlex.quote(pythonpath)}")
    # The hooks talk to the hub of this state dir, whatever the agent's environment says.
    lines.append(f"export TGBRIDGE_STATE_DIR={shlex.quote(str(state_dir))}")
    lines.append(f'exec {shlex.quote(python)} -m tgbridge "$@"')
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o700)
    return path


def install(agents: list[str], *, home: Path, run: Path) -> list[Change]:
    """Writes each agent's entries (replacing tgbridge's earlier ones)."""
    return [change for agent in agents for change in _apply(agent, home, run, add=True)]


def uninstall(agents: list[str], *, home: Path, run: Path) -> list[Change]:
    """Removes exactly tgbridge's entries; everything else stays as it was."""
    return [change for agent in agents for change in _apply(agent, home, run, add=False)]


def _apply(agent: str, home: Path, run: Path, *, add: bool) -> list[Change]:
    if agent not in AGENTS:
        raise ValueError(f"unknown agent {agent!r}; known: {', '.join(AGENTS)}")
    changes = []
    for path, edit in _TARGETS[agent](home):
        config = _read(path)
        written = edit(config, str(run), add)
        if add or path.exists():
            _write(path, config)
        changes.append(Change(agent, path, written))
    return changes


Edit = Callable[[Config, str, bool], list[str]]


def _mcp_servers(config: Config, run: str, add: bool) -> list[str]:
    """`mcpServers.tgbridge` (Claude Code's ~/.claude.json, Cursor's ~/.cursor/mcp.json)."""
    servers = config.setdefault("mcpServers", {})
    current = servers.get("tgbridge")
    if isinstance(current, dict) and current.get("command") in (run, shlex.quote(run)):
        del servers["tgbridge"]
    if add:
        servers["tgbridge"] = {"command": run, "args": ["mcp"]}
    if not servers:
        config.pop("mcpServers", None)
    return [f"MCP server tgbridge: {run} mcp"] if add else []


def _claude(home: Path) -> list[tuple[Path, Edit]]:
    """~/.claude/settings.json `hooks`: PreToolUse (every tool), Notification and Stop."""

    def edit(config: Config, run: str, add: bool) -> list[str]:
        hooks = config.setdefault("hooks", {})
        written = []
        for event, matcher in (("PreToolUse", "*"), ("Notification", None), ("Stop", None)):
            groups = [g for g in hooks.get(event, []) if not _ours_claude(g, run)]
            if add:
                command = f"{shlex.quote(run)} hook claude {event}"
                group: Config = {
                    "hooks": [{"type": "command", "command": command, "timeout": HOOK_TIMEOUT}]
                }
                if matcher:
                    group = {"matcher": matcher, **group}
                groups.append(group)
                written.append(f"{event}: {command}")
            _set_or_drop(hooks, event, groups)
        if not hooks:
            config.pop("hooks", None)
        return written

    return [(home / ".claude" / "settings.json", edit), (home / ".claude.json", _mcp_servers)]


def _cursor(home: Path) -> list[tuple[Path, Edit]]:
    """~/.cursor/hooks.json (version 1): shell and MCP permission, responses and stop."""

    def edit(config: Config, run: str, add: bool) -> list[str]:
        config.setdefault("version", 1)
        hooks = config.setdefault("hooks", {})
        written = []
        events = ("beforeShellExecution", "beforeMCPExecution", "afterAgentResponse", "stop")
        for event in events:
            entries = [e for e in hooks.get(event, []) if not _runs(e.get("command"), run)]
            if add:
                command = f"{shlex.quote(run)} hook cursor {event}"
                entry: Config = {"command": command, "timeout": HOOK_TIMEOUT}
                if event.startswith("before"):
                    entry["failClosed"] = True  # a crashed hook must not mean "allowed"
                entries.append(entry)
                written.append(f"{event}: {command}")
            _set_or_drop(hooks, event, entries)
        return written

    return [(home / ".cursor" / "hooks.json", edit), (home / ".cursor" / "mcp.json", _mcp_servers)]


def _codex(home: Path) -> list[tuple[Path, Edit]]:
    """~/.codex/hooks.json: PermissionRequest and Stop, like Claude Code's shape."""

    def edit(config: Config, run: str, add: bool) -> list[str]:
        hooks = config.setdefault("hooks", {})
        written = []
        for event in ("PermissionRequest", "Stop"):
            groups = [g for g in hooks.get(event, []) if not _ours_claude(g, run)]
            if add:
                command = f"{shlex.quote(run)} hook codex {event}"
                groups.append(
                    {"hooks": [{"type": "command", "command": command, "timeout": HOOK_TIMEOUT}]}
                )
                written.append(f"{event}: {command}")
            _set_or_drop(hooks, event, groups)
        if not hooks:
            config.pop("hooks", None)
        return written

    return [(home / ".codex" / "hooks.json", edit)]


_TARGETS = {"claude": _claude, "cursor": _cursor, "codex": _codex}


def _runs(command: Any, run: str) -> bool:
    return isinstance(command, str) and (
        command.startswith(shlex.quote(run) + " ") or command.startswith(run + " ")
    )


def _ours_claude(group: Any, run: str) -> bool:
    hooks = group.get("hooks", []) if isinstance(group, dict) else []
    return bool(hooks) and all(_runs(h.get("command"), run) for h in hooks)


def _set_or_drop(hooks: Config, event: str, entries: list[Any]) -> None:
    if entries:
        hooks[event] = entries
    else:
        hooks.pop(event, None)


def _read(path: Path) -> Config:
    if not path.exists():
        return {}
    text = path.read_text()
    if not text.strip():
        return {}
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error}); fix it first") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return config


def _write(path: Path, config: Config) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tgbridge-partial")
    partial.write_text(json.dumps(config, indent=2) + "\n")
    if path.exists():
        os.chmod(partial, path.stat().st_mode & 0o777)
    partial.replace(path)
