"""Connect Coding Agents: installing twice leaves one entry per hook, others' hooks stay,
and Disconnect removes exactly tgbridge's own entries."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tgbridge.agents.install import install, launcher, uninstall


def read(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text())  # type: ignore[no-any-return]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text(
        json.dumps(
            {
                "model": "opus",
                "hooks": {
                    "PreToolUse": [
                        {"matcher": "Bash", "hooks": [{"type": "command", "command": "lint-it"}]}
                    ]
                },
            }
        )
    )
    (home / ".cursor").mkdir()
    (home / ".cursor" / "hooks.json").write_text(
        json.dumps({"version": 1, "hooks": {"afterFileEdit": [{"command": "fmt"}]}})
    )
    return home


def test_installing_twice_leaves_one_entry_per_hook_and_others_untouched(
    home: Path, tmp_path: Path
) -> None:
    run = tmp_path / "state" / "bin" / "tgbridge-agent"
    install(["claude", "cursor", "codex"], home=home, run=run)
    changes = install(["claude", "cursor", "codex"], home=home, run=run)
    assert {c.path.name for c in changes} == {
        "settings.json",
        ".claude.json",
        "hooks.json",
        "mcp.json",
    }

    claude = read(home / ".claude" / "settings.json")
    assert claude["model"] == "opus"
    pre = claude["hooks"]["PreToolUse"]
    assert pre[0]["hooks"][0]["command"] == "lint-it"
    ours = [g for g in pre if "tgbridge-agent" in g["hooks"][0]["command"]]
    assert len(ours) == 1 and ours[0]["hooks"][0]["timeout"] == 620
    assert len(claude["hooks"]["Stop"]) == 1
    assert read(home / ".claude.json")["mcpServers"]["tgbridge"]["args"] == ["mcp"]

    cursor = read(home / ".cursor" / "hooks.json")
    assert cursor["hooks"]["afterFileEdit"] == [{"command": "fmt"}]
    [shell] = cursor["hooks"]["beforeShellExecution"]
    assert shell["failClosed"] is True and shell["timeout"] == 620
    assert len(read(home / ".codex" / "hooks.json")["hooks"]["Stop"]) == 1


def test_disconnect_removes_exactly_tgbridges_entries(home: Path, tmp_path: Path) -> None:
    run = tmp_path / "bin" / "tgbridge-agent"
    before = {p: p.read_text() for p in home.rglob("*.json")}
    install(["claude", "cursor"], home=home, run=run)
    uninstall(["claude", "cursor"], home=home, run=run)
    claude = read(home / ".claude" / "settings.json")
    assert claude == json.loads(before[home / ".claude" / "settings.json"])
    cursor = read(home / ".cursor" / "hooks.json")
    assert cursor == json.loads(before[home / ".cursor" / "hooks.json"])
    assert "mcpServers" not in read(home / ".claude.json")


def test_a_broken_config_is_left_alone_and_said(home: Path, tmp_path: Path) -> None:
    broken = home / ".cursor" / "hooks.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        install(["cursor"], home=home, run=tmp_path / "run")
    assert broken.read_text() == "{not json"
    with pytest.raises(ValueError, match="unknown agent"):
        install(["emacs"], home=home, run=tmp_path / "run")


def test_the_launcher_runs_tgbridge_with_this_python(tmp_path: Path) -> None:
    path = launcher(tmp_path / "state")
    assert os.access(path, os.X_OK)
    done = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("tgbridge ")
