"""Watches one workspace folder: watchdog events, filtered the way git ignores files,
debounced and coalesced into one `WorkspaceChange` per burst, delivered on the asyncio loop.

Threads: watchdog reads inotify and calls `_Handler.dispatch` on its observer thread. That
path only classifies the event and updates the pending batch under a short lock; it never
waits on the loop. The first event of a batch asks the loop (`call_soon_threadsafe`, once
per batch) to arm a timer; the timer runs on the loop, decides whether the burst is over
(quiet for `debounce`, or `max_delay` since its first event) and calls `on_change` there.

inotify limits (Linux): a recursive watch costs one inotify watch per directory below the
folder, gitignored ones included (`node_modules/`, `.git/objects/`: watchdog cannot prune
them), counted against `fs.inotify.max_user_watches` for all of the user's processes (the
editor's own file watcher too); each Observer also takes one inotify instance
(`fs.inotify.max_user_instances`, often 128). When the folder's own watch cannot be added
(ENOSPC) or no instance is left (EMFILE), `start()` logs a warning and the watcher stays
unavailable (`available` is False, `error` says why) instead of raising; the registry then
stops trusting the git-state cache for that folder. When only sub-directories fail, watchdog
skips them silently: changes there are missed until something else in the folder changes.
When the kernel's event queue overflows (`fs.inotify.max_queued_events`), watchdog drops
what was queued and re-adds its watches: the events that follow still end the batch (so
the git state is invalidated), but its `paths` may miss some files.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

logger = logging.getLogger(__name__)

# watchdog warns when a new directory's watch is added twice (by its creation event and
# by the rescan of its parent that races it): harmless, and not ours to report.
warnings.filterwarnings(
    "ignore", message=r"Callback with id .* already exists", category=RuntimeWarning
)

DEFAULT_MAX_PATHS = 1_000
MAX_IGNORE_DIRS = 20_000  # directories walked at start looking for nested .gitignore files

# What changes a file's content, presence or mode. Opens and reads (IN_OPEN,
# IN_CLOSE_NOWRITE) are left out at the inotify level, so `git status` reading the tree
# does not wake the watcher; a directory's own "modified" only repeats its entries' events.
EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileAttribEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]

# Files in the git directory whose change changes the git state; the rest (objects,
# logs, hooks, COMMIT_EDITMSG, ...) is churn.
GIT_STATE_FILES = frozenset(
    {"HEAD", "index", "packed-refs", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD"}
)


@dataclass(frozen=True, slots=True)
class WorkspaceChange:
    """One coalesced burst of changes in a folder."""

    folder: Path
    paths: tuple[str, ...]  # relative, posix, at most the watcher's `max_paths`
    # Changed paths: exact up to the cap; beyond it counted without being remembered, so a
    # path that changes again later in the burst may count twice.
    count: int
    git_changed: bool  # HEAD, the index or a ref changed
    overflow: bool  # more paths changed than `paths` holds


OnChange = Callable[[WorkspaceChange], None]


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def find_git_dirs(folder: Path) -> tuple[Path, Path] | None:
    """(git dir, common dir) of the repository `folder` is in, or None; follows a
    `.git` file (worktrees, submodules) and a worktree's `commondir`."""
    for candidate in (folder, *folder.parents):
        dot_git = candidate / ".git"
        if dot_git.is_dir():
            git_dir = dot_git
        elif dot_git.is_file():
            first = _read_lines(dot_git)[:1]
            if not first or not first[0].startswith("gitdir:"):
                return None
            git_dir = (candidate / first[0][len("gitdir:") :].strip()).resolve()
        else:
            continue
        common = _read_lines(git_dir / "commondir")[:1]
        common_dir = (git_dir / common[0].strip()).resolve() if common else git_dir
        return git_dir, common_dir
    return None


class IgnoreRules:
    """Which relative paths git ignores: `.git/info/exclude`, the folder's `.gitignore`
    and the nested ones found at start (or when they change). Not read: the user's global
    excludes file. Thread-safe enough: specs are replaced whole, never mutated."""

    def __init__(self, folder: Path, exclude_file: Path | None) -> None:
        self._folder = folder
        self._exclude_file = exclude_file
        self._specs: dict[str, GitIgnoreSpec] = {}  # "" for the root, else "dir/sub/"
        self.reload_root()
        self._find_nested()

    def reload_root(self) -> None:
        lines = _read_lines(self._exclude_file) if self._exclude_file else []
        lines += _read_lines(self._folder / ".gitignore")
        self._set("", lines)

    def reload(self, relative_gitignore: str) -> None:
        """Re-reads one `.gitignore` (relative posix path) after it changed."""
        directory = relative_gitignore[: -len(".gitignore")]
        if not directory:
            self.reload_root()
        else:
            self._set(directory, _read_lines(self._folder / relative_gitignore))

    def _set(self, directory: str, lines: list[str]) -> None:
        specs = dict(self._specs)
        if any(line.strip() and not line.startswith("#") for line in lines):
            specs[directory] = GitIgnoreSpec.from_lines(lines)
        else:
            specs.pop(directory, None)
        self._specs = specs

    def _find_nested(self) -> None:
        for walked, (top, dirs, files) in enumerate(os.walk(self._folder)):
            if walked >= MAX_IGNORE_DIRS:
                logger.info("%s: stopped looking for .gitignore files", self._folder)
                return
            relative = Path(top).relative_to(self._folder).as_posix()
            prefix = "" if relative == "." else relative + "/"
            if prefix and ".gitignore" in files:
                self.reload(prefix + ".gitignore")
            dirs[:] = [d for d in dirs if d != ".git" and not self.ignored(prefix + d, True)]

    def ignored(self, relative: str, is_dir: bool) -> bool:
        specs = self._specs
        if not specs:
            return False
        candidate = relative + "/" if is_dir else relative
        root = specs.get("")
        if root is not None and root.match_file(candidate):
            return True
        if len(specs) > (1 if root is not None else 0):
            start = 0
            while (slash := candidate.find("/", start)) != -1 and slash < len(candidate) - 1:
                spec = specs.get(candidate[: slash + 1])
                if spec is not None and spec.match_file(candidate[slash + 1 :]):
                    return True
                start = slash + 1
        return False


class _Batch:
    """The pending, not yet delivered changes. Guarded by the watcher's lock."""

    __slots__ = ("count", "first", "git_changed", "last", "last_path", "overflow", "paths")

    def __init__(self) -> None:
        self.paths: dict[str, None] = {}  # an ordered set
        self.count = 0
        self.overflow = False
        self.git_changed = False
        self.first = 0.0
        self.last = 0.0
        self.last_path = ""


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: FolderWatcher) -> None:
        self._watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:
        note = self._watcher._note
        note(os.fsdecode(event.src_path), event.is_directory)
        if event.dest_path:
            note(os.fsdecode(event.dest_path), event.is_directory)


class FolderWatcher:
    """Watches `folder` recursively and calls `on_change` on `loop` once per burst.

    `observer`: a running watchdog observer to schedule on (the registry shares one, as
    each costs an inotify instance and threads); without it the watcher starts its own.
    """

    def __init__(
        self,
        folder: Path,
        on_change: OnChange,
        *,
        loop: asyncio.AbstractEventLoop,
        debounce: float = 0.2,
        max_delay: float = 1.0,
        max_paths: int = DEFAULT_MAX_PATHS,
        observer: BaseObserver | None = None,
    ) -> None:
        self.folder = folder
        self._on_change = on_change
        self._loop = loop
        self._debounce = debounce
        self._max_delay = max(max_delay, debounce)
        self._max_paths = max_paths
        self._observer = observer
        self._owns_observer = observer is None
        self._watches: list[ObservedWatch] = []
        self._lock = threading.Lock()
        self._batch: _Batch | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self._root = os.path.realpath(folder)
        self._prefix = self._root.rstrip(os.sep) + os.sep
        self._git_prefixes: tuple[str, ...] = ()
        self._rules: IgnoreRules | None = None
        self.available = False
        self.error: str | None = None

    # -- lifecycle (any thread; `start` may run in a worker, it walks the folder) -------

    def start(self) -> None:
        """Starts watching; on failure (inotify limits, missing folder) logs a warning and
        leaves `available` False. Walks the tree once for nested .gitignore files."""
        git_dirs = find_git_dirs(Path(self._root))
        exclude = git_dirs[1] / "info" / "exclude" if git_dirs else None
        self._rules = IgnoreRules(Path(self._root), exclude)
        extra: list[tuple[str, bool]] = []
        if git_dirs:
            git_dir, common_dir = (os.path.realpath(p) for p in git_dirs)
            self._git_prefixes = tuple(
                dict.fromkeys(d.rstrip(os.sep) + os.sep for d in (git_dir, common_dir))
            )
            for directory in dict.fromkeys((git_dir, common_dir)):
                if not (directory + os.sep).startswith(self._prefix):
                    # The folder is below the repository's root, or a worktree: watch
                    # HEAD, the index and the refs where they are.
                    extra.append((directory, False))
                    if os.path.isdir(os.path.join(directory, "refs")):
                        extra.append((os.path.join(directory, "refs"), True))
        handler = _Handler(self)
        try:
            if self._observer is None:
                self._observer = Observer()
            for path, recursive in [(self._root, True), *extra]:
                self._watches.append(
                    self._observer.schedule(
                        handler, path, recursive=recursive, event_filter=EVENT_TYPES
                    )
                )
            if self._owns_observer and not self._observer.is_alive():
                self._observer.start()
        except OSError as exc:
            # ENOSPC: max_user_watches reached; EMFILE: max_user_instances reached.
            self.error = f"cannot watch {self._root}: {exc.strerror or exc}"
            logger.warning("%s; changes there will not be noticed", self.error)
            self._unschedule()
            return
        self.available = True

    def stop(self) -> None:
        """Stops watching, drops what is pending, and joins the observer's threads (all
        of them if the watcher owns its observer, else this folder's emitters)."""
        with self._lock:
            self._closed = True
            self._batch = None
        timer, self._timer = self._timer, None
        if timer is not None:  # `_tick` checks `_closed` too; this only frees it early
            if self._on_loop_thread():
                timer.cancel()
            else:
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(timer.cancel)
        self._unschedule()
        self.available = False

    def _on_loop_thread(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def _unschedule(self) -> None:
        observer = self._observer
        if observer is None:
            return
        if self._owns_observer:
            observer.stop()
            if observer.is_alive():
                observer.join()
        else:
            for watch in self._watches:
                with contextlib.suppress(KeyError):
                    observer.unschedule(watch)
        self._watches.clear()

    # -- the observer's thread ----------------------------------------------------------

    def _note(self, path: str, is_dir: bool) -> None:
        """Adds one event's path to the batch; runs on watchdog's thread, never blocks."""
        relative: str | None = None
        git_inside: str | None = None  # the path inside the repository's git dir
        if path.startswith(self._prefix):
            relative = path[len(self._prefix) :].replace(os.sep, "/")
            if relative == ".git" or relative.startswith(".git/"):
                git_inside, relative = relative[len(".git/") :], None
            elif not relative or relative.endswith("/.git") or "/.git/" in relative:
                return  # the folder itself, or a nested repository's git dir
        else:
            for git_prefix in self._git_prefixes:  # a git dir outside the folder
                if path.startswith(git_prefix):
                    git_inside = path[len(git_prefix) :].replace(os.sep, "/")
                    break
            else:
                return
        git_changed = False
        rules = self._rules
        if git_inside is not None:
            git_changed = git_inside in GIT_STATE_FILES or git_inside.startswith("refs/")
            if git_inside == "info/exclude" and rules is not None:
                rules.reload_root()
                git_changed = True  # what counts as untracked changed
        elif relative is not None and rules is not None:
            if relative == ".gitignore" or relative.endswith("/.gitignore"):
                rules.reload(relative)
            elif rules.ignored(relative, is_dir):
                return
        if relative is None and not git_changed:
            return
        now = time.monotonic()
        arm = False
        with self._lock:
            if self._closed:
                return
            batch = self._batch
            if batch is None:
                batch = self._batch = _Batch()
                batch.first = now
                arm = True
            batch.last = now
            if git_changed:
                batch.git_changed = True
            if relative is not None and relative != batch.last_path:
                batch.last_path = relative
                if relative not in batch.paths:
                    batch.count += 1
                    if len(batch.paths) < self._max_paths:
                        batch.paths[relative] = None
                    else:
                        batch.overflow = True
        if arm:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody to tell
                self._loop.call_soon_threadsafe(self._arm)

    # -- the loop's thread --------------------------------------------------------------

    def _arm(self) -> None:
        if not self._closed:
            self._timer = self._loop.call_later(self._debounce, self._tick)

    def _tick(self) -> None:
        self._timer = None
        with self._lock:
            batch = self._batch
            if self._closed or batch is None:
                return
            due = min(batch.last + self._debounce, batch.first + self._max_delay)
            wait = due - time.monotonic()
            if wait > 0.001:
                self._timer = self._loop.call_later(wait, self._tick)
                return
            self._batch = None
        change = WorkspaceChange(
            folder=self.folder,
            paths=tuple(batch.paths),
            count=batch.count,
            git_changed=batch.git_changed,
            overflow=batch.overflow,
        )
        try:
            self._on_change(change)
        except Exception:
            logger.exception("workspace change handler failed for %s", self.folder)
