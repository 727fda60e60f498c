"""A folder's git state: counts from one porcelain status, the cache, detached and unborn
heads, not-a-repo, and the bounded read-outs (diff, log, grep) the phone uses."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import git as gitpython
import pytest

from tgbridge.workspace.git_state import (
    MAX_LOG,
    GitSnapshot,
    GitState,
    LogEntry,
    format_status,
    parse_status,
)


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, input=stdin)
    return done.stdout.decode().strip()


def new_repo(folder: Path) -> Path:
    folder.mkdir(parents=True)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.name", "Ann")
    git(folder, "config", "user.email", "ann@example.com")
    return folder


def commit_all(folder: Path, message: str) -> None:
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = new_repo(tmp_path / "repo")
    (folder / ".gitignore").write_text("*.log\n")
    for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
        (folder / name).write_text(f"{name}\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "inner.txt").write_text("inner\n")
    commit_all(folder, "first commit")
    return folder


@pytest.fixture
def git_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """Every git command GitPython runs, recorded."""
    calls: list[list[str]] = []
    execute = gitpython.Git.execute

    def counting(self: gitpython.Git, command: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append([str(part) for part in command])
        return execute(self, command, *args, **kwargs)

    monkeypatch.setattr(gitpython.Git, "execute", counting)
    yield calls


def test_counts_staged_modified_untracked_ahead_and_behind(tmp_path: Path, repo: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "fetch", "-q", "origin")
    git(repo, "branch", "-q", "--set-upstream-to=origin/main")
    # Someone else pushes two commits; we commit one of our own: ahead 1, behind 2.
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    git(other, "config", "user.name", "Bob")
    git(other, "config", "user.email", "bob@example.com")
    for index in range(2):
        (other / f"theirs{index}.txt").write_text("theirs\n")
        commit_all(other, f"theirs {index}")
    git(other, "push", "-q", "origin", "main")
    git(repo, "fetch", "-q", "origin")
    (repo / "ours.txt").write_text("ours\n")
    commit_all(repo, "ours")

    (repo / "a.txt").write_text("staged\n")
    git(repo, "add", "a.txt")
    (repo / "b.txt").write_text("modified\n")
    (repo / "c.txt").write_text("staged then modified\n")
    git(repo, "add", "c.txt")
    (repo / "c.txt").write_text("and modified again\n")
    git(repo, "mv", "d.txt", "renamed.txt")
    (repo / "new.txt").write_text("new\n")
    (repo / "newdir").mkdir()
    (repo / "newdir" / "one.txt").write_text("1\n")
    (repo / "newdir" / "two.txt").write_text("2\n")
    (repo / "noise.log").write_text("ignored\n")

    snapshot = GitState(repo).snapshot()
    assert snapshot.is_repo
    assert snapshot.branch == "main"
    assert not snapshot.detached
    assert snapshot.upstream == "origin/main"
    assert (snapshot.ahead, snapshot.behind) == (1, 2)
    assert snapshot.staged == 3  # a.txt, c.txt, the rename
    assert snapshot.modified == 2  # b.txt, c.txt
    assert snapshot.untracked == 3  # each untracked file, not the directory
    assert snapshot.conflicted == 0
    assert snapshot.last_commit is not None
    assert snapshot.last_commit.subject == "ours"
    assert snapshot.last_commit.author == "Ann"
    assert snapshot.last_commit.short_sha == git(repo, "rev-parse", "--short=7", "HEAD")
    text = format_status(snapshot)
    assert "on main → origin/main (↑1 ↓2)" in text
    assert "staged 3, modified 2, untracked 3" in text
    assert "ours — Ann" in text


def test_the_snapshot_is_cached_until_invalidated(repo: Path, git_calls: list[list[str]]) -> None:
    state = GitState(repo)
    first = state.snapshot()
    assert any("status" in call for call in git_calls)
    git_calls.clear()
    assert state.snapshot() is first
    assert state.snapshot() is first
    assert git_calls == []  # no git process at all for a warm /status
    (repo / "a.txt").write_text("changed\n")
    assert state.snapshot().modified == 0  # nobody said it changed
    state.invalidate()
    second = state.snapshot()
    assert second is not first
    assert second.modified == 1
    assert sum("status" in call for call in git_calls) == 1


def test_a_max_age_bounds_the_cache(repo: Path) -> None:
    state = GitState(repo, max_age=0.0)
    assert state.snapshot() is not state.snapshot()


async def test_concurrent_async_callers_share_one_computation(
    repo: Path, git_calls: list[list[str]]
) -> None:
    state = GitState(repo)
    snapshots = await asyncio.gather(*(state.snapshot_async() for _ in range(8)))
    assert all(snapshot is snapshots[0] for snapshot in snapshots)
    assert sum("status" in call for call in git_calls) == 1
    assert await state.snapshot_async() is snapshots[0]
    state.invalidate()
    fresh = await state.snapshot_async()
    assert fresh is not snapshots[0]
    assert sum("status" in call for call in git_calls) == 2


def test_status_runs_without_optional_locks(repo: Path) -> None:
    state = GitState(repo)
    state.snapshot()
    environment = state._git.environment()
    assert environment["GIT_OPTIONAL_LOCKS"] == "0"
    assert not (repo / ".git" / "index.lock").exists()


def test_a_detached_head_shows_its_short_sha(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach", "HEAD")
    snapshot = GitState(repo).snapshot()
    assert snapshot.detached
    assert snapshot.branch == git(repo, "rev-parse", "--short=7", "HEAD")
    assert snapshot.upstream is None
    assert format_status(snapshot).startswith(f"detached at {snapshot.branch}")


def test_a_folder_outside_any_repository(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    state = GitState(folder)
    snapshot = state.snapshot()
    assert not snapshot.is_repo
    assert snapshot.error is None
    assert format_status(snapshot) == "not a git repository"
    assert state.diff_files() == []
    assert state.log(5) == []
    assert state.grep("anything") == []
    assert state.diff_stat(None) == ""
    # It becomes one later: the watcher's invalidation is enough to notice.
    new_repo_inside = git(folder, "init", "-q")
    assert new_repo_inside == ""
    state.invalidate()
    assert state.snapshot().is_repo


def test_a_repository_without_commits(tmp_path: Path) -> None:
    folder = new_repo(tmp_path / "unborn")
    (folder / "first.txt").write_text("1\n")
    state = GitState(folder)
    snapshot = state.snapshot()
    assert snapshot.is_repo
    assert snapshot.branch == "main"
    assert snapshot.last_commit is None
    assert snapshot.untracked == 1
    assert "no commits yet" in format_status(snapshot)
    git(folder, "add", "first.txt")
    assert state.diff_files() == ["first.txt"]
    assert "first.txt" in state.diff_stat(None)


def test_a_conflict_is_counted(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "a.txt").write_text("side\n")
    commit_all(repo, "side")
    git(repo, "checkout", "-q", "main")
    (repo / "a.txt").write_text("main\n")
    commit_all(repo, "main")
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, "merge", "-q", "side")
    snapshot = GitState(repo).snapshot()
    assert snapshot.conflicted == 1
    assert "conflicted 1" in format_status(snapshot)


def test_a_subfolder_counts_its_own_changes(repo: Path) -> None:
    (repo / "a.txt").write_text("outside the folder\n")
    (repo / "sub" / "inner.txt").write_text("inside\n")
    (repo / "sub" / "fresh.txt").write_text("new\n")
    state = GitState(repo / "sub")
    snapshot = state.snapshot()
    assert (snapshot.modified, snapshot.untracked) == (1, 1)
    assert state.diff_files() == ["fresh.txt", "inner.txt"]
    assert "+inside" in state.diff_of("inner.txt", 10_000)


def test_diff_helpers(repo: Path) -> None:
    (repo / "a.txt").write_text("a changed\n")
    (repo / "b.txt").write_text("b staged\n")
    git(repo, "add", "b.txt")
    (repo / "brand new.txt").write_text("hello\nworld\n")
    (repo / "x.log").write_text("ignored\n")
    state = GitState(repo)
    assert state.diff_files() == ["a.txt", "b.txt", "brand new.txt"]
    stat = state.diff_stat(None)
    assert "a.txt" in stat and "b.txt" in stat and "2 files changed" in stat
    assert "b.txt" not in state.diff_stat("a.txt")
    diff = state.diff_of("a.txt", 10_000)
    assert "-a.txt" in diff and "+a changed" in diff
    assert "+b staged" in state.diff_of("b.txt", 10_000)  # staged counts
    new = state.diff_of("brand new.txt", 10_000)
    assert "new file mode" in new and "+hello" in new and "+world" in new
    assert state.diff_of("c.txt", 10_000) == ""  # unchanged
    assert state.diff_of("x.log", 10_000) == ""  # ignored
    (repo / "big.txt").write_text("line\n" * 10_000)
    cut = state.diff_of("big.txt", 500)
    assert cut.endswith("(truncated)")
    assert len(cut.encode()) < 600
    with pytest.raises(ValueError):
        state.diff_of("../outside.txt", 100)
    with pytest.raises(ValueError):
        state.diff_of("/etc/passwd", 100)


def test_paths_are_literal_never_pathspec_magic(repo: Path) -> None:
    (repo / "a.txt").write_text("changed\n")
    state = GitState(repo)
    assert state.diff_of(":(glob)*.txt", 10_000) == ""
    assert state.diff_of("*.txt", 10_000) == ""


def test_log_is_newest_first_and_capped(tmp_path: Path) -> None:
    folder = new_repo(tmp_path / "long")
    stream = []
    for index in range(MAX_LOG + 5):
        message = f"commit {index}"
        stream.append(
            f"commit refs/heads/main\n"
            f"committer Ann <ann@example.com> {1_700_000_000 + index} +0000\n"
            f"data {len(message)}\n{message}\n"
        )
    git(folder, "fast-import", "--quiet", stdin="".join(stream).encode())
    state = GitState(folder)
    entries = state.log(1_000)
    assert len(entries) == MAX_LOG
    assert entries[0].subject == f"commit {MAX_LOG + 4}"
    assert entries[0].author == "Ann"
    assert entries[0].iso_time.startswith("2023-11-")
    assert state.log(3) == entries[:3]
    assert state.log(0) == entries[:1]
    assert isinstance(entries[0], LogEntry)


def test_grep_takes_the_text_literally(repo: Path) -> None:
    (repo / "code.py").write_text(
        "-v is an option\nflag = '-v'\nregex a.*b here\naxxb is not it\n[x] box\nx box\n"
    )
    (repo / "untracked.py").write_text("also -v here\n")
    (repo / "bin.dat").write_bytes(b"\0\1-v\0")
    state = GitState(repo)
    dash = state.grep("-v")
    assert [(m.relative, m.line) for m in dash] == [
        ("code.py", 1),
        ("code.py", 2),
        ("untracked.py", 1),
    ]
    assert dash[1].text == "flag = '-v'"
    assert [m.text for m in state.grep("a.*b")] == ["regex a.*b here"]
    assert [m.text for m in state.grep("[x]")] == ["[x] box"]
    assert state.grep("--no-index") == []
    assert state.grep("nowhere to be found") == []
    assert len(state.grep("x", max_matches=2)) == 2
    with pytest.raises(ValueError):
        state.grep("two\nlines")


def test_format_status_of_a_clean_tree() -> None:
    snapshot = GitSnapshot(
        is_repo=True,
        computed_at=0.0,
        branch="main",
        upstream="origin/main",
        last_commit=LogEntry("abc1234", "Fix it", "Ann", "2024-01-02T03:04:05+00:00"),
    )
    assert format_status(snapshot) == (
        "on main → origin/main (up to date)\n"
        "clean\n"
        "last commit abc1234 Fix it — Ann, 2024-01-02T03:04:05+00:00"
    )


def test_parse_status_reads_renames_and_headers() -> None:
    output = (
        b"# branch.oid 0123456789abcdef\0# branch.head main\0# branch.upstream o/main\0"
        b"# branch.ab +2 -3\0"
        b"2 R. N... 100644 100644 100644 aa bb R100 new name\0old name\0"
        b"1 .M N... 100644 100644 100644 aa bb x\0"
        b"u UU N... 100644 100644 100644 100644 aa bb cc c\0"
        b"? u\0"
    )
    fields = parse_status(output)
    assert fields["head"] == "main"
    assert fields["upstream"] == "o/main"
    assert (fields["ahead"], fields["behind"]) == (2, 3)
    assert (fields["staged"], fields["modified"], fields["conflicted"]) == (1, 1, 1)
    assert fields["untracked"] == 1
