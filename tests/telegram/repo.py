"""A small git workspace for the phone's commands: ordinary files, files the deny rules
cover (each holding SECRET), a secret outside the workspace, and uncommitted changes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SECRET = "SECRET-7f3a9c-never-on-the-phone"


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def make_repo(root: Path) -> Path:
    """`root/repo` (the workspace) and `root/outside/secret.txt`; returns the workspace."""
    repo = root / "repo"
    outside = root / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.txt").write_text(f"outside {SECRET}\n")
    files = {
        "README.md": "# demo\nhello from the readme\n",
        "src/app.py": "def main():\n    return 'hello'\n\n\nprint(main())\n",
        "src/util.py": "VALUE = 1\n",
        ".gitignore": "build/\n",
    }
    secret_files = [
        ".env",
        ".env.local",
        "config/.env.production",
        "certs/server.pem",
        "keys/api.key",
        "id_rsa",
        "id_ed25519",
        ".ssh/config",
        "deploy/.netrc",
        "private/notes.secret",  # denied by the user's tgbridge.denyGlobs
    ]
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    for name in secret_files:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{name} {SECRET}\n")
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    git(repo, "config", "core.hooksPath", "/dev/null")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first commit")
    # Uncommitted work: a change, a staged file, an untracked file, and changed secrets.
    (repo / "src/app.py").write_text("def main():\n    return 'hello, phone'\n\n\nprint(main())\n")
    (repo / "src/new.py").write_text("NEW = True\n")
    git(repo, "add", "src/new.py")
    (repo / "notes.txt").write_text("an untracked note\n")
    (repo / ".env").write_text(f"TOKEN={SECRET} changed\n")
    (repo / "certs/server.pem").write_text(f"changed {SECRET}\n")
    (repo / "git-config-secret").write_text("ok\n")
    with open(repo / ".git" / "config", "a") as config:
        config.write(f"# {SECRET}\n")
    os.symlink(outside / "secret.txt", repo / "link-out.txt")
    os.symlink(outside, repo / "link-dir")
    os.symlink(repo / ".env", repo / "link-env")
    os.mkfifo(repo / "pipe")
    return repo
