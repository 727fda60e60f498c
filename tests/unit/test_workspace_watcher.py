"""The workspace watcher: bursts coalesce into one change, gitignored paths stay quiet,
git's own state files are noticed, memory per batch is capped; and the registry."""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from watchdog.observers.api import BaseObserver

from tgbridge.workspace.registry import UNWATCHED_MAX_AGE, Workspaces
from tgbridge.workspace.watcher import FolderWatcher, WorkspaceChange

# watchdog warns of its own harmless race on nested new directories (the watcher module
# filters it at import; pytest resets warning filters per test).
pytestmark = pytest.mark.filterwarnings("ignore:Callback with id")

WAIT = 20.0  # generous: the machine may be busy
QUIET = 1.5  # the one bounded wait: no further event after a delivered burst


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.name", "Ann")
    git(folder, "config", "user.email", "ann@example.com")
    (folder / ".gitignore").write_text("ignored/\n*.log\n")
    (folder / "src").mkdir()
    (folder / "src" / "main.py").write_text("print('hi')\n")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "init")
    return folder


class Changes:
    """Collects delivered changes; `next()` waits for the next one."""

    def __init__(self) -> None:
        self.seen: list[WorkspaceChange] = []
        self._arrived = asyncio.Event()
        self._taken = 0
        self.thread_ids: set[int] = set()

    def __call__(self, change: WorkspaceChange) -> None:
        self.thread_ids.add(threading.get_ident())
        self.seen.append(change)
        self._arrived.set()

    async def next(self) -> WorkspaceChange:
        while len(self.seen) <= self._taken:
            self._arrived.clear()
            await asyncio.wait_for(self._arrived.wait(), WAIT)
        self._taken += 1
        return self.seen[self._taken - 1]


@pytest.fixture
async def watch(repo: Path) -> AsyncIterator[Callable[..., tuple[FolderWatcher, Changes]]]:
    watchers: list[FolderWatcher] = []

    def start(folder: Path = repo, **options: Any) -> tuple[FolderWatcher, Changes]:
        changes = Changes()
        watcher = FolderWatcher(folder, changes, loop=asyncio.get_running_loop(), **options)
        watcher.start()
        watchers.append(watcher)
        return watcher, changes

    yield start
    for watcher in watchers:
        watcher.stop()


def write_many(folder: Path, count: int, *, per_dir: int = 100) -> None:
    """Writes `count` new files in sub-directories of `folder` (in a worker thread, so
    the loop runs meanwhile, as it does when another process writes)."""
    for index in range(count):
        directory = folder / f"d{index // per_dir}"
        if index % per_dir == 0:
            directory.mkdir(parents=True, exist_ok=True)
        (directory / f"f{index}.txt").write_text(f"{index}\n")


async def test_a_burst_of_writes_is_one_change(
    repo: Path, watch: Callable[..., tuple[FolderWatcher, Changes]]
) -> None:
    # max_delay is out of reach here: only the quiet after the burst may end it.
    watcher, changes = watch(debounce=0.5, max_delay=120, max_paths=5_000)
    assert watcher.available
    await asyncio.to_thread(write_many, repo / "burst", 3_000)
    change = await changes.next()
    files = {p for p in change.paths if p.endswith(".txt")}
    assert len(files) == 3_000
    assert change.count == len(change.paths)  # files and their new directories
    assert not change.overflow
    assert not change.git_changed
    assert change.folder == repo
    await asyncio.sleep(QUIET)
    assert len(changes.seen) == 1
    assert changes.thread_ids == {threading.get_ident()}  # delivered on the loop


async def test_the_paths_of_a_big_burst_are_capped(
    repo: Path, watch: Callable[..., tuple[FolderWatcher, Changes]]
) -> None:
    (repo / "big" / "d0").mkdir(parents=True)
    _, changes = watch(debounce=0.5, max_delay=120, max_paths=100)
    await asyncio.to_thread(write_many, repo / "big", 2_000, per_dir=2_000)
    change = await changes.next()
    assert len(change.paths) == 100
    assert change.overflow
    assert change.count == 2_000


async def test_a_long_stream_of_changes_is_delivered_within_max_delay(
    repo: Path, watch: Callable[..., tuple[FolderWatcher, Changes]]
) -> None:
    _, changes = watch(debounce=0.3, max_delay=0.6)
    stop = threading.Event()

    def trickle() -> None:  # a change every 50 ms: never quiet for 0.3 s
        index = 0
        while not stop.is_set():
            (repo / f"t{index % 5}.txt").write_text(str(index))
            index += 1
            time.sleep(0.05)

    writer = asyncio.ensure_future(asyncio.to_thread(trickle))
    try:
        change = await changes.next()
        assert not writer.done()  # delivered while the stream still runs
        assert change.paths
    finally:
        stop.set()
        await writer


async def test_gitignored_paths_make_no_change(
    repo: Path, watch: Callable[..., tuple[FolderWatcher, Changes]]
) -> None:
    (repo / "pkg").mkdir()
    (repo / "pkg" / ".gitignore").write_text("generated.py\n")
    (repo / ".git" / "info" / "exclude").write_text("local-only/\n")
    _, changes = watch()

    def ignored_writes() -> None:
        (repo / "ignored" / "deep").mkdir(parents=True)
        for index in range(50):
            (repo / "ignored" / "deep" / f"x{index}").write_text("x")
        (repo / "build.log").write_text("log")
        (repo / "src" / "debug.log").write_text("log")
        (repo / "pkg" / "generated.py").write_text("x = 1")
        (repo / "local-only").mkdir()
        (repo / "local-only" / "notes").write_text("n")
        objects = repo / ".git" / "objects" / "ab"
        objects.mkdir(exist_ok=True)
        (objects / "cdef").write_text("blob")
        (repo / ".git" / "logs" / "HEAD").write_text("churn")
        (repo / ".git" / "COMMIT_EDITMSG").write_text("msg")
        # Last, one file that counts: ignored events before it would share its batch.
        (repo / "src" / "app.py").write_text("app = 1")

    await asyncio.to_thread(ignored_writes)
    change = await changes.next()
    assert change.paths == ("src/app.py",)
    assert not change.git_changed


async def test_a_changed_gitignore_is_read_again(
    repo: Path, watch: Callable[..., tuple[FolderWatcher, Changes]]
) -> None:
    _, changes = watch()
    (repo / ".gitignore").write_text("ignored/\n*.log\n*.tmp\n")
    assert ".gitignore" in (await changes.next()).paths
    (repo / "scratch.tmp").write_text("t")
    (repo / "kept.txt").write_text("k")
    assert (await changes.next()).paths == ("kept.txt",)


async def test_a_head_change_is_a_git_change(
    repo: Path, watch: Callable[..., tuple[FolderWatcher, Changes]]
) -> None:
    _, changes = watch()
    await asyncio.to_thread(git, repo, "checkout", "-q", "-b", "feature")
    change = await changes.next()
    assert change.git_changed
    assert change.paths == ()  # git's own files are not listed


async def test_a_commit_is_a_git_change(
    repo: Path, watch: Callable[..., tuple[FolderWatcher, Changes]]
) -> None:
    (repo / "src" / "main.py").write_text("print('bye')\n")
    _, changes = watch()
    await asyncio.to_thread(git, repo, "commit", "-q", "-am", "bye")
    assert (await changes.next()).git_changed


async def test_a_subfolder_of_a_repository_notices_head_changes(
    repo: Path, watch: Callable[..., tuple[FolderWatcher, Changes]]
) -> None:
    _, changes = watch(repo / "src")
    await asyncio.to_thread(git, repo, "checkout", "-q", "-b", "elsewhere")
    assert (await changes.next()).git_changed
    (repo / "outside.txt").write_text("not in src")
    (repo / "src" / "inside.txt").write_text("in src")
    assert (await changes.next()).paths == ("inside.txt",)


async def test_stop_joins_the_threads_and_delivers_nothing_more(
    repo: Path, watch: Callable[..., tuple[FolderWatcher, Changes]]
) -> None:
    before = set(threading.enumerate())
    watcher, changes = watch()
    started = set(threading.enumerate()) - before
    assert started
    (repo / "a.txt").write_text("a")
    watcher.stop()
    assert not any(thread.is_alive() for thread in started)
    (repo / "b.txt").write_text("b")
    await asyncio.sleep(QUIET)
    assert changes.seen == []


async def test_a_missing_folder_leaves_the_watcher_unavailable(tmp_path: Path) -> None:
    watcher = FolderWatcher(tmp_path / "gone", lambda _: None, loop=asyncio.get_running_loop())
    watcher.start()
    assert not watcher.available
    assert watcher.error
    watcher.stop()


async def test_the_inotify_limit_is_a_warning_not_a_crash(
    repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Full(BaseObserver):
        def __init__(self) -> None:
            pass

        def schedule(self, *args: Any, **kwargs: Any) -> Any:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    loop = asyncio.get_running_loop()
    watcher = FolderWatcher(repo, lambda _: None, loop=loop, observer=Full())
    watcher.start()
    assert not watcher.available
    assert "cannot watch" in caplog.text
    watcher.stop()


# -- the registry -------------------------------------------------------------------------


async def test_the_registry_counts_users_and_invalidates_on_change(repo: Path) -> None:
    changes = Changes()
    workspaces = Workspaces(loop=asyncio.get_running_loop(), on_change=changes)
    try:
        state = workspaces.register(repo)
        assert workspaces.register(repo / "." / "src" / "..") is state  # same folder
        assert workspaces.folders() == [repo]
        assert workspaces.watching(repo)
        before = await state.snapshot_async()
        assert before.untracked == 0
        (repo / "new.txt").write_text("new")
        change = await changes.next()
        assert change.paths == ("new.txt",)
        after = await state.snapshot_async()
        assert after is not before
        assert after.untracked == 1
        workspaces.unregister(repo)
        assert workspaces.folders() == [repo]  # one window still has it open
        workspaces.unregister(repo)
        assert workspaces.folders() == []
        with pytest.raises(KeyError):
            workspaces.state(repo)
    finally:
        workspaces.close()


async def test_an_unwatchable_folder_trusts_its_snapshot_only_briefly(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: FolderWatcher) -> None:
        self.error = "inotify watch limit reached"

    monkeypatch.setattr(FolderWatcher, "start", full)
    workspaces = Workspaces(loop=asyncio.get_running_loop())
    try:
        state = workspaces.register(repo)
        assert not workspaces.watching(repo)
        assert state.max_age == UNWATCHED_MAX_AGE
    finally:
        workspaces.close()
