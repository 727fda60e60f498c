"""One folder's git state (GitPython), cached until the folder's watcher says it changed,
and the small bounded git read-outs the phone's commands show.

Every git call goes through GitPython, which starts git without a shell, with
`GIT_OPTIONAL_LOCKS=0` (so `status` never takes `index.lock` nor rewrites the index, which
would wake the watcher again), literal pathspecs (a path from the phone is never a glob or
`:(magic)`), no pager and no external diff. Output is read through a capped sink, so a
huge diff or a grep for a common word costs bounded memory, and every helper call is
killed after `HELPER_TIMEOUT` seconds.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, cast

# Without a git executable, importing GitPython raises unless told to stay quiet; the
# hub must still start (snapshots then say "git not found").
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import git

logger = logging.getLogger(__name__)

GIT_ENV = {
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_LITERAL_PATHSPECS": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "PAGER": "cat",
}
STATUS_TIMEOUT = 60.0
HELPER_TIMEOUT = 10.0
COMMIT_TIMEOUT = 120.0  # hooks may lint or test
MAX_LOG = 50
MAX_GREP = 500
MAX_GREP_LINE = 300  # characters of a matching line kept
MAX_FILES = 1_000
MAX_STAT_BYTES = 16_000
MAX_LIST_BYTES = 1 << 20
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # what an unborn HEAD diffs against
TRUNCATED = "\n… (truncated)"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One commit, as a line of the phone's log."""

    short_sha: str
    subject: str
    author: str
    iso_time: str  # author date, ISO 8601


@dataclass(frozen=True, slots=True)
class GrepMatch:
    relative: str  # posix, relative to the folder
    line: int
    text: str  # the matching line, at most MAX_GREP_LINE characters


@dataclass(frozen=True, slots=True)
class GitSnapshot:
    """A folder's git state at `computed_at` (epoch seconds). Counts are of paths inside
    the folder; branch, upstream and ahead/behind are the repository's."""

    is_repo: bool
    computed_at: float
    branch: str | None = None  # the short sha when detached
    detached: bool = False
    upstream: str | None = None
    ahead: int = 0
    behind: int = 0
    staged: int = 0
    modified: int = 0
    untracked: int = 0
    conflicted: int = 0
    last_commit: LogEntry | None = None
    error: str | None = None  # why git could not tell (not a repo is no error)


class _Capped:
    """A write-only byte sink that keeps the first `limit` bytes and drains the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.truncated = False
        self._buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        room = self.limit - self._buffer.tell()
        if len(data) > room:
            self.truncated = True
            data = data[: max(room, 0)]
        self._buffer.write(data)
        return len(data)

    def value(self) -> bytes:
        return self._buffer.getvalue()


def _text(data: bytes, truncated: bool) -> str:
    text = data.decode("utf-8", errors="replace")
    return text + TRUNCATED if truncated else text


def parse_status(output: bytes) -> dict[str, Any]:
    """The fields of `git status --porcelain=v2 --branch -z` that a snapshot holds."""
    fields: dict[str, Any] = {
        "oid": None,
        "head": None,
        "upstream": None,
        "ahead": 0,
        "behind": 0,
        "staged": 0,
        "modified": 0,
        "untracked": 0,
        "conflicted": 0,
    }
    records = output.split(b"\0")
    skip_next = False
    for record in records:
        if skip_next:  # a rename's original path
            skip_next = False
            continue
        if not record:
            continue
        kind = record[:1]
        if kind == b"#":
            parts = record.decode("utf-8", errors="replace").split(" ")
            key = parts[1] if len(parts) > 1 else ""
            if key == "branch.oid":
                fields["oid"] = parts[2]
            elif key == "branch.head":
                fields["head"] = " ".join(parts[2:])
            elif key == "branch.upstream":
                fields["upstream"] = " ".join(parts[2:])
            elif key == "branch.ab" and len(parts) >= 4:
                fields["ahead"] = abs(int(parts[2]))
                fields["behind"] = abs(int(parts[3]))
        elif kind in (b"1", b"2"):
            xy = record[2:4]
            if xy[:1] != b".":
                fields["staged"] += 1
            if xy[1:2] != b".":
                fields["modified"] += 1
            skip_next = kind == b"2"
        elif kind == b"u":
            fields["conflicted"] += 1
        elif kind == b"?":
            fields["untracked"] += 1
    return fields


def format_status(snapshot: GitSnapshot) -> str:
    """The phone's /status text for one folder's snapshot (pure)."""
    if not snapshot.is_repo:
        suffix = f" ({snapshot.error})" if snapshot.error else ""
        return "not a git repository" + suffix
    where = "detached at" if snapshot.detached else "on"
    head = f"{where} {snapshot.branch or '(no branch)'}"
    if snapshot.upstream:
        ahead_behind = (
            f"↑{snapshot.ahead} ↓{snapshot.behind}"
            if snapshot.ahead or snapshot.behind
            else "up to date"
        )
        head += f" → {snapshot.upstream} ({ahead_behind})"
    counts = [
        f"{name} {value}"
        for name, value in (
            ("staged", snapshot.staged),
            ("modified", snapshot.modified),
            ("untracked", snapshot.untracked),
            ("conflicted", snapshot.conflicted),
        )
        if value
    ]
    lines = [head, ", ".join(counts) if counts else "clean"]
    commit = snapshot.last_commit
    if commit is None:
        lines.append("no commits yet")
    else:
        lines.append(
            f"last commit {commit.short_sha} {commit.subject} — {commit.author}, {commit.iso_time}"
        )
    return "\n".join(lines)


class GitState:
    """The git state of one folder. `snapshot()` is cached until `invalidate()` (the
    folder's watcher calls it), or for `max_age` seconds when set (the fallback when
    the folder cannot be watched). Thread-safe: computations are serialised."""

    def __init__(self, folder: Path, *, max_age: float | None = None) -> None:
        self.folder = Path(os.path.realpath(folder))
        self.max_age = max_age
        self._git = git.Git(str(self.folder))  # helpers run in the folder
        self._git.update_environment(**GIT_ENV)
        self._repo: git.Repo | None = None
        self._prefix = ""  # the folder relative to the repository's root ("" at the root)
        self._compute_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._generation = 0
        self._cache: GitSnapshot | None = None
        self._cache_generation = -1
        self._cache_time = 0.0
        self._inflight: tuple[int, asyncio.Future[GitSnapshot]] | None = None

    # -- the cached snapshot ------------------------------------------------------------

    def invalidate(self) -> None:
        """The folder changed: the next snapshot recomputes."""
        with self._state_lock:
            self._generation += 1

    def _cached(self) -> tuple[GitSnapshot | None, int]:
        with self._state_lock:
            cache = self._cache
            if (
                cache is not None
                and self._cache_generation == self._generation
                and (self.max_age is None or time.monotonic() - self._cache_time < self.max_age)
            ):
                return cache, self._generation
            return None, self._generation

    def snapshot(self) -> GitSnapshot:
        """The cached state, or a fresh one (one `git status` run) if it changed. Blocks:
        on the loop, use `snapshot_async`."""
        cached, _ = self._cached()
        if cached is not None:
            return cached
        with self._compute_lock:
            cached, generation = self._cached()
            if cached is not None:
                return cached
            snapshot = self._compute()
            with self._state_lock:
                self._cache = snapshot
                self._cache_generation = generation
                self._cache_time = time.monotonic()
            return snapshot

    async def snapshot_async(self) -> GitSnapshot:
        """`snapshot()` in a thread; concurrent callers share one computation."""
        cached, generation = self._cached()
        if cached is not None:
            return cached
        inflight = self._inflight
        loop = asyncio.get_running_loop()
        if inflight is None or inflight[0] != generation or inflight[1].get_loop() is not loop:
            future: asyncio.Future[GitSnapshot] = asyncio.ensure_future(
                asyncio.to_thread(self.snapshot)
            )
            entry = (generation, future)
            self._inflight = entry

            def done(_: asyncio.Future[GitSnapshot]) -> None:
                if self._inflight is entry:
                    self._inflight = None

            future.add_done_callback(done)
            inflight = entry
        return await asyncio.shield(inflight[1])

    def close(self) -> None:
        """Ends the persistent git processes GitPython keeps for the repository."""
        with self._compute_lock:
            if self._repo is not None:
                self._repo.close()
                self._repo = None

    # -- computing ----------------------------------------------------------------------

    def _open(self) -> git.Repo | None:
        if self._repo is None:
            try:
                repo = git.Repo(self.folder, search_parent_directories=True)
            except (git.InvalidGitRepositoryError, git.NoSuchPathError):
                return None
            if repo.bare or repo.working_tree_dir is None:
                repo.close()
                return None
            repo.git.update_environment(**GIT_ENV)
            root = Path(os.path.realpath(repo.working_tree_dir))
            try:
                relative = self.folder.relative_to(root).as_posix()
            except ValueError:  # the folder is inside the git dir itself
                repo.close()
                return None
            self._prefix = "" if relative == "." else relative
            self._repo = repo
        return self._repo

    def _compute(self) -> GitSnapshot:
        now = time.time()
        try:
            repo = self._open()
            if repo is None:
                return GitSnapshot(is_repo=False, computed_at=now)
            pathspec = ["--", self._prefix] if self._prefix else []
            output = repo.git.status(
                "--porcelain=v2",
                "--branch",
                "-z",
                "--untracked-files=all",
                *pathspec,
                stdout_as_string=False,
                kill_after_timeout=STATUS_TIMEOUT,
            )
            fields = parse_status(cast(bytes, output))
            last = self._last_commit(repo)
        except git.GitCommandNotFound:
            return GitSnapshot(is_repo=False, computed_at=now, error="git is not installed")
        except git.GitCommandError as exc:
            # The repository vanished or is broken: forget it, retry next time.
            logger.warning("git status failed in %s: %s", self.folder, exc.stderr.strip())
            self._drop_repo()
            return GitSnapshot(is_repo=False, computed_at=now, error="git status failed")
        except Exception:  # a corrupt repository must not take the hub's /status down
            logger.exception("reading the git state of %s failed", self.folder)
            self._drop_repo()
            return GitSnapshot(is_repo=False, computed_at=now, error="git state unreadable")
        head = fields["head"]
        detached = head == "(detached)"
        oid = fields["oid"]
        branch = (oid[:7] if oid and oid != "(initial)" else None) if detached else head
        return GitSnapshot(
            is_repo=True,
            computed_at=now,
            branch=branch,
            detached=detached,
            upstream=fields["upstream"],
            ahead=fields["ahead"],
            behind=fields["behind"],
            staged=fields["staged"],
            modified=fields["modified"],
            untracked=fields["untracked"],
            conflicted=fields["conflicted"],
            last_commit=last,
        )

    def _drop_repo(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    @staticmethod
    def _last_commit(repo: git.Repo) -> LogEntry | None:
        try:
            commit = repo.head.commit
        except ValueError:  # unborn branch: no commit yet
            return None
        return LogEntry(
            short_sha=commit.hexsha[:7],
            subject=commit.summary
            if isinstance(commit.summary, str)
            else commit.summary.decode("utf-8", errors="replace"),
            author=commit.author.name or "",
            iso_time=commit.authored_datetime.isoformat(),
        )

    # -- bounded helpers for the phone's commands -----------------------------------------

    def _run(
        self, command: str, *args: str, max_bytes: int, timeout: float = HELPER_TIMEOUT
    ) -> tuple[int, bytes, bool]:
        """(exit status, at most `max_bytes` of stdout, truncated) of `git <command> args`
        in the folder; never raises for git's own failures."""
        if not self.folder.is_dir():  # git would run in the hub's own directory
            return -1, b"", False
        sink = _Capped(max_bytes)
        try:
            status, _, stderr = getattr(self._git, command)(
                *args,
                output_stream=cast(BinaryIO, sink),
                with_extended_output=True,
                with_exceptions=False,
                kill_after_timeout=timeout,
            )
        except git.GitCommandNotFound:
            logger.warning("git not found")
            return -1, b"", False
        if status not in (0, 1):
            logger.info("git %s in %s exited %s: %s", command, self.folder, status, stderr)
        return int(status), sink.value(), sink.truncated

    def _base(self) -> str:
        """HEAD, or the empty tree before the first commit."""
        status, _, _ = self._run("rev_parse", "-q", "--verify", "HEAD^{commit}", max_bytes=100)
        return "HEAD" if status == 0 else EMPTY_TREE

    def _checked(self, relative: str) -> str:
        """`relative` as a posix path inside the folder, or ValueError."""
        if not relative or "\0" in relative:
            raise ValueError("empty path")
        path = PurePosixPath(relative.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts:
            raise ValueError(f"path outside the folder: {relative!r}")
        return path.as_posix()

    def diff_stat(self, path: str | None = None) -> str:
        """`git diff HEAD --stat` (staged and unstaged changes of tracked files), at most
        50 files and MAX_STAT_BYTES; optionally of one path only."""
        pathspec = ["--", self._checked(path)] if path else []
        status, data, truncated = self._run(
            "diff",
            self._base(),
            "--stat=100,60,50",
            "--no-color",
            "--no-ext-diff",
            "--relative",
            *pathspec,
            max_bytes=MAX_STAT_BYTES,
        )
        return _text(data, truncated) if status == 0 else ""

    def diff_files(self, limit: int = MAX_FILES) -> list[str]:
        """Changed paths relative to the folder (tracked changes against HEAD, then the
        untracked files), sorted, at most `limit`."""
        limit = max(0, min(limit, MAX_FILES))
        _, changed, _ = self._run(
            "diff",
            self._base(),
            "--name-only",
            "-z",
            "--relative",
            "--no-ext-diff",
            max_bytes=MAX_LIST_BYTES,
        )
        _, untracked, _ = self._run(
            "ls_files", "-z", "--others", "--exclude-standard", max_bytes=MAX_LIST_BYTES
        )
        names = {os.fsdecode(name) for name in (changed + b"\0" + untracked).split(b"\0")}
        names.discard("")
        return sorted(names)[:limit]

    def diff_of(self, relative: str, max_bytes: int) -> str:
        """The diff of one file against HEAD (staged and unstaged); an untracked file as a
        new-file diff; "" when unchanged; at most `max_bytes` then a truncation mark."""
        relative = self._checked(relative)
        _, listed, _ = self._run(
            "ls_files", "-z", "--others", "--exclude-standard", "--", relative, max_bytes=4096
        )
        if os.fsencode(relative) in listed.split(b"\0") and (self.folder / relative).is_file():
            args: Sequence[str] = (
                "--no-index",
                "--no-color",
                "--no-ext-diff",
                "--",
                os.devnull,
                relative,
            )
            status, data, truncated = self._run("diff", *args, max_bytes=max_bytes)
        else:
            status, data, truncated = self._run(
                "diff",
                self._base(),
                "--no-color",
                "--no-ext-diff",
                "--",
                relative,
                max_bytes=max_bytes,
            )
        return _text(data, truncated) if status in (0, 1) else ""

    def changes_diff(self, max_bytes: int) -> str:
        """Every tracked change against HEAD (staged and unstaged), paths relative to the
        folder; at most `max_bytes`."""
        status, data, truncated = self._run(
            "diff",
            self._base(),
            "--no-color",
            "--no-ext-diff",
            "--relative",
            max_bytes=max_bytes,
        )
        return _text(data, truncated) if status in (0, 1) else ""

    def staged_diff(self, max_bytes: int) -> str:
        """What `git commit` would commit now, paths relative to the folder."""
        status, data, truncated = self._run(
            "diff",
            "--cached",
            "--no-color",
            "--no-ext-diff",
            "--relative",
            max_bytes=max_bytes,
        )
        return _text(data, truncated) if status in (0, 1) else ""

    def commit(self, message: str) -> tuple[bool, str]:
        """`git commit` of the staged changes (the repository's own hooks run, as in the
        editor): (done, git's last line of output)."""
        if not self.folder.is_dir():
            return False, "the folder is gone"
        try:
            status, stdout, stderr = self._git.commit(
                "--quiet",
                "-m",
                message,
                with_extended_output=True,
                with_exceptions=False,
                kill_after_timeout=COMMIT_TIMEOUT,
            )
        except git.GitCommandNotFound:
            return False, "git was not found"
        self.invalidate()
        lines = (str(stderr) or str(stdout)).strip().splitlines()
        return status == 0, lines[-1] if lines else ""

    def log(self, n: int) -> list[LogEntry]:
        """The last `n` commits (at most MAX_LOG), newest first; [] before the first."""
        n = max(1, min(n, MAX_LOG))
        status, data, _ = self._run(
            "log",
            f"-n{n}",
            "--no-color",
            "--format=%H%x1f%s%x1f%an%x1f%aI%x1e",
            max_bytes=n * 2048,
        )
        if status != 0:
            return []
        entries = []
        for record in data.decode("utf-8", errors="replace").split("\x1e"):
            parts = record.strip("\n").split("\x1f")
            if len(parts) == 4:
                entries.append(LogEntry(parts[0][:7], parts[1], parts[2], parts[3]))
        return entries

    def grep(self, text: str, max_matches: int = 50) -> list[GrepMatch]:
        """Lines containing `text` literally (never a regex, never an option), in tracked
        and untracked files of the folder, binary files skipped; at most `max_matches`."""
        if not text:
            return []
        if "\0" in text or "\n" in text or "\r" in text:
            raise ValueError("grep text must be one line")
        max_matches = max(1, min(max_matches, MAX_GREP))
        status, data, _ = self._run(
            "grep",
            "-n",
            "-I",
            "-z",
            "--no-color",
            "--untracked",
            "--fixed-strings",
            "-e",
            text,
            "--",
            max_bytes=max_matches * (MAX_GREP_LINE * 4 + 4096),
        )
        if status != 0 and not data:
            return []  # 1: no match; anything else was logged
        matches: list[GrepMatch] = []
        for line in data.split(b"\n"):
            parts = line.split(b"\0", 2)
            if len(parts) != 3 or not parts[1].isdigit():
                continue
            content = parts[2].decode("utf-8", errors="replace")[:MAX_GREP_LINE]
            matches.append(GrepMatch(os.fsdecode(parts[0]), int(parts[1]), content))
            if len(matches) >= max_matches:
                break
        return matches
