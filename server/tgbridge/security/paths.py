"""The path guard: which workspace files a phone command (`/file`, `/diff`, `/find`) may read.

Anything the phone names is hostile. A requested path is accepted only when every step holds,
in this order (the first failing step names the refusal):

1. Lexical checks, before the filesystem is touched: not empty, at most 1024 characters, no
   control or invisible characters (Unicode Cc, Cf, Cs, Co, Zl, Zp), unchanged by NFKC (no
   fullwidth solidus or one-dot leader), no percent-encoding, not absolute (`/x`, `\\\\host\\x`,
   `C:\\x`, `C:x`), no `~` prefix, no `..`, no empty, `.`-ended or space-ended component.
2. Folder: `name/rest` picks the workspace folder called `name` when there are several;
   otherwise the path is relative to the first folder.
3. Deny rules on the requested path: built-in globs (`ALWAYS_DENIED`), the user's globs (kept
   in a separate spec, so a user's `!pattern` cannot re-allow a built-in) and the tgbridge
   state dir. Globs are matched on the path and on its lower-case form (case-insensitive disks).
4. Symlinks are resolved (strict); the result must lie inside the chosen folder, and the deny
   rules are checked again on where it points.
5. It must be a regular file (`stat`, never `open`, so a FIFO cannot block us) within the
   size limit; `read_text` opens it with `O_NOFOLLOW | O_NONBLOCK`, checks with `fstat` that it
   is the same regular file, and refuses NUL bytes or invalid UTF-8 as binary.

Refusal reasons are fixed phrases (the module constants below) that never carry file contents
or paths; a missing file and one outside the workspace share `NO_SUCH_FILE`.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

MAX_PATH_CHARS = 1024
DEFAULT_MAX_BYTES = 512 * 1024
BINARY_SNIFF_BYTES = 8 * 1024

# Gitignore-style; `.git` and `.ssh` without a trailing slash also catch a `.git` file
# (worktrees, submodules) and everything below either directory, at any depth.
ALWAYS_DENIED: tuple[str, ...] = (
    ".env*",
    "*.pem",
    "*.key",
    "id_*",
    ".git",
    ".ssh",
    "*.p12",
    "*.pfx",
    ".netrc",
    ".npmrc",
    ".pypirc",
    "*.kdbx",
)

# Refusal reasons: fixed phrases, safe to show the phone.
NO_FOLDER = "no workspace folder is open"
NOT_A_FILE = "not a regular file"
TOO_LONG = "path is too long"
INVISIBLE = "path has control or invisible characters"
LOOKALIKE = "path has look-alike characters"
PERCENT = "percent-encoded paths are not allowed"
ABSOLUTE = "absolute paths are not allowed"
HOME = "home paths (~) are not allowed"
DOTDOT = "'..' is not allowed"
INVALID = "not a valid path"
DENIED = "denied by tgbridge's rules"
NO_SUCH_FILE = "no such file"
UNREADABLE = "cannot read the file"
BINARY = "binary file"
TOO_LARGE_PREFIX = "file is larger than "  # + the limit, e.g. "512 KiB"

_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_DRIVE = re.compile(r"^[A-Za-z]:")
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


class PathRefused(Exception):
    """A path the phone may not read; `reason` is a short fixed phrase safe to show the phone
    (never file contents, never a resolved path outside the workspace)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class GuardedPath:
    """A file the guard let through."""

    folder: Path  # the workspace folder (resolved) it lies in
    path: Path  # resolved absolute path
    relative: str  # posix path relative to folder, e.g. "src/app.py"


def size_text(limit: int) -> str:
    """`524288` -> "512 KiB"; used in the too-large reason."""
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if limit >= scale and limit % scale == 0:
            return f"{limit // scale} {unit}"
    return f"{limit} bytes"


def components(requested: str) -> list[str]:
    """The lexical checks: the path's components (backslashes read as `/`), or PathRefused.
    Touches no filesystem."""
    if requested in ("", "."):
        raise PathRefused(NOT_A_FILE)
    if len(requested) > MAX_PATH_CHARS:
        raise PathRefused(TOO_LONG)
    if any(unicodedata.category(char) in _INVISIBLE_CATEGORIES for char in requested):
        raise PathRefused(INVISIBLE)
    if unicodedata.normalize("NFKC", requested) != requested:
        raise PathRefused(LOOKALIKE)
    if _PERCENT_ESCAPE.search(requested):
        raise PathRefused(PERCENT)
    text = requested.replace("\\", "/")
    if text.startswith("/") or _DRIVE.match(text):
        raise PathRefused(ABSOLUTE)
    if text.startswith("~"):
        raise PathRefused(HOME)
    parts = text.split("/")
    if ".." in parts:
        raise PathRefused(DOTDOT)
    for part in parts:
        # Windows drops trailing dots and spaces (".env." opens ".env"); ":" names a stream.
        if not part or part.endswith((".", " ")) or (os.name == "nt" and ":" in part):
            raise PathRefused(INVALID)
    return parts


def _lower_inside(path: Path, parent: Path) -> bool:
    """`path` is `parent` or below it, ignoring case (for case-insensitive disks)."""
    return Path(str(path).lower()).is_relative_to(Path(str(parent).lower()))


class PathGuard:
    """Decides which files of the registered workspace folders the phone may read."""

    def __init__(
        self,
        folders: Sequence[Path],
        *,
        state_dir: Path | None,
        deny_globs: Sequence[str] = (),
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        """Raises ValueError for an invalid user glob or a non-positive `max_bytes`."""
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self._folders = tuple(Path(folder).resolve() for folder in folders)
        self._state_dir = Path(state_dir).resolve() if state_dir is not None else None
        self._builtin = pathspec.GitIgnoreSpec.from_lines(ALWAYS_DENIED)
        self._user = pathspec.GitIgnoreSpec.from_lines(list(deny_globs))
        self._max_bytes = max_bytes
        self._too_large = TOO_LARGE_PREFIX + size_text(max_bytes)

    @property
    def folders(self) -> tuple[Path, ...]:
        """The workspace folders, resolved; the first is the default."""
        return self._folders

    def resolve(self, requested: str) -> GuardedPath:
        """The regular file `requested` names inside a workspace folder, or PathRefused."""
        return self._resolve(requested)[0]

    def read_text(self, requested: str) -> tuple[GuardedPath, str]:
        """The file and its text (UTF-8, at most `max_bytes`), or PathRefused."""
        guarded, before = self._resolve(requested)
        try:
            fd = os.open(guarded.path, _OPEN_FLAGS)
        except OSError:
            raise PathRefused(UNREADABLE) from None
        try:
            after = os.fstat(fd)
            if not stat.S_ISREG(after.st_mode):
                raise PathRefused(NOT_A_FILE)
            if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
                raise PathRefused(UNREADABLE)  # swapped between stat and open
            if after.st_size > self._max_bytes:
                raise PathRefused(self._too_large)
            data = _read_at_most(fd, self._max_bytes + 1)
        except OSError:
            raise PathRefused(UNREADABLE) from None
        finally:
            os.close(fd)
        if len(data) > self._max_bytes:
            raise PathRefused(self._too_large)
        if b"\x00" in data[:BINARY_SNIFF_BYTES]:
            raise PathRefused(BINARY)
        try:
            text = data.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            raise PathRefused(BINARY) from None
        return guarded, text

    def allows(self, folder: Path, relative: str) -> bool:
        """Whether a path that git printed, relative to `folder`, may be shown: the lexical
        and deny checks, and, as far as the path exists, where its symlinks point. The file
        need not exist (a deleted file in a diff)."""
        try:
            folder = Path(folder).resolve()
            if folder not in self._folders:
                return False
            parts = components(relative)
            if self._denied(folder, "/".join(parts)):
                return False
            real = folder.joinpath(*parts).resolve()
        except (PathRefused, OSError, RuntimeError):
            return False
        if real == folder or not real.is_relative_to(folder):
            return False
        return not self._denied(folder, real.relative_to(folder).as_posix())

    def _resolve(self, requested: str) -> tuple[GuardedPath, os.stat_result]:
        if not self._folders:
            raise PathRefused(NO_FOLDER)
        folder, parts = self._pick(components(requested))
        if self._denied(folder, "/".join(parts)):
            raise PathRefused(DENIED)
        try:
            resolved = folder.joinpath(*parts).resolve(strict=True)
        except (OSError, RuntimeError):  # missing, not a directory, a symlink loop
            raise PathRefused(NO_SUCH_FILE) from None
        if resolved == folder:
            raise PathRefused(NOT_A_FILE)
        if not resolved.is_relative_to(folder):
            raise PathRefused(NO_SUCH_FILE)  # outside: answered like a missing file
        relative = resolved.relative_to(folder).as_posix()
        if self._denied(folder, relative) or self._in_state_dir_on_disk(folder, resolved):
            raise PathRefused(DENIED)
        try:
            info = os.stat(resolved)
        except OSError:
            raise PathRefused(NO_SUCH_FILE) from None
        if not stat.S_ISREG(info.st_mode):
            raise PathRefused(NOT_A_FILE)
        if info.st_size > self._max_bytes:
            raise PathRefused(self._too_large)
        return GuardedPath(folder=folder, path=resolved, relative=relative), info

    def _pick(self, parts: list[str]) -> tuple[Path, list[str]]:
        """`name/rest` picks the folder called `name` when there are several."""
        if len(self._folders) > 1 and len(parts) > 1:
            for folder in self._folders:
                if folder.name == parts[0]:
                    return folder, parts[1:]
        return self._folders[0], parts

    def _denied(self, folder: Path, relative: str) -> bool:
        """A deny glob matches `relative` (as is or lower-cased), or it lies in the state dir."""
        for candidate in {relative, relative.lower()}:
            if self._builtin.match_file(candidate) or self._user.match_file(candidate):
                return True
        return self._state_dir is not None and _lower_inside(folder / relative, self._state_dir)

    def _in_state_dir_on_disk(self, folder: Path, resolved: Path) -> bool:
        """`resolved` or one of its parents below `folder` is the state dir itself (the same
        inode), whatever case or hard-linked name the request used."""
        if self._state_dir is None:
            return False
        try:
            state = os.stat(self._state_dir)
        except OSError:
            return False
        current = resolved
        while current != folder and current.is_relative_to(folder):
            try:
                if os.path.samestat(os.stat(current), state):
                    return True
            except OSError:
                return True  # cannot tell: deny
            current = current.parent
        return False


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = os.read(fd, min(64 * 1024, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)
