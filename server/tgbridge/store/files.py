"""Files tgbridge keeps on disk: private to the user (folders 0700, files 0600), received
files under a quota, outgoing copies removed once sent.

Layout under the state dir:

- `files/<chat_id>/<message_id>-<name>`: a received file; `<...>.part` while it downloads.
- `outgoing/<folder>/<name>`: a copy made for sending, removed once Telegram has it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
PART = ".part"  # the suffix of a file still being written: never counted, never evicted
MAX_NAME_BYTES = 160  # with the message id and ".part" well under the usual 255-byte limit
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def private_dir(path: Path) -> Path:
    """Creates the folder, and its missing parents, 0700; an existing folder whose mode
    lets others in is narrowed to 0700. Parents that already exist are left alone."""
    missing: list[Path] = []
    parent = path
    while not parent.exists():
        missing.append(parent)
        if parent.parent == parent:
            break
        parent = parent.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            folder.mkdir(PRIVATE_DIR)
        folder.chmod(PRIVATE_DIR)  # whatever the umask
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a folder")
    if path.stat().st_mode & 0o077:
        path.chmod(PRIVATE_DIR)
    return path


def private_file_mode(path: Path) -> Path:
    """Makes an existing file readable and writable by its owner only (0600)."""
    path.chmod(PRIVATE_FILE)
    return path


@contextmanager
def atomic_private(path: Path) -> Iterator[BinaryIO]:
    """Writes a new version of `path`, 0600 from its first byte: the data goes to
    `<name>.tmp` (a stale one, whatever its mode, is removed first, and the new one is
    created exclusively), is synced, then replaces `path`. Readers see the old file or the
    new one, never a mix; on an error `path` is untouched and the temporary file removed."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        _narrow(descriptor, temporary)
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def write_private(path: Path, data: bytes | str) -> Path:
    """`atomic_private` for a whole file at once; text is written as UTF-8."""
    with atomic_private(path) as file:
        file.write(data.encode() if isinstance(data, str) else data)
    return path


class ReceivedFiles:
    """Received files under `<state_dir>/files`, and the outgoing copies beside them."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "files"
        self.outgoing = state_dir / "outgoing"

    def reserve(self, chat_id: int, message_id: int, name: str) -> Path:
        """Where a received file goes: `files/<chat_id>/<message_id>-<name>`, `name`
        sanitised. Its download file, `partial(path)`, is made now, empty and 0600 (a stale
        one is replaced): Telethon writes into an existing file as it is, keeping the mode.
        End with `complete(path)`, or `discard(path)` when the download fails."""
        folder = private_dir(private_dir(self.root) / str(int(chat_id)))
        path = folder / f"{int(message_id)}-{safe_name(name)}"
        part = partial(path)
        part.unlink(missing_ok=True)  # left by a download that never ended
        descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        try:
            _narrow(descriptor, part)
        finally:
            os.close(descriptor)
        return path

    def complete(self, path: Path) -> Path:
        """Gives a finished download (`partial(path)`) its name; returns `path`."""
        part = partial(path)
        private_file_mode(part)
        os.replace(part, path)
        return path

    def discard(self, path: Path) -> None:
        """Removes the download file of a download that failed."""
        partial(path).unlink(missing_ok=True)

    def discard_partial(self) -> list[Path]:
        """Removes every `.part` file: left by a process that stopped mid-download. Call it
        only while nothing downloads (at start)."""
        removed = [path for path, _, _ in self._files(partial=True)]
        for path in removed:
            path.unlink(missing_ok=True)
        return removed

    def total_bytes(self) -> int:
        return sum(size for _, size, _ in self._files())

    def enforce_quota(self, max_bytes: int) -> list[Path]:
        """Removes received files, oldest (by mtime) first, until the rest take at most
        `max_bytes`; returns the removed paths so the history can say the file is gone.
        Files still being written (`*.part`) are neither counted nor removed."""
        files = sorted(self._files(), key=lambda item: (item[2], str(item[0])))
        total = sum(size for _, size, _ in files)
        removed: list[Path] = []
        for path, size, _ in files:
            if total <= max_bytes:
                break
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            total -= size
            removed.append(path)
        for folder in {path.parent for path in removed}:
            with contextlib.suppress(OSError):  # not empty: fine
                folder.rmdir()
        return removed

    def remove_outgoing(self, path: Path) -> bool:
        """Deletes a copy made for sending, and its folder when that is left empty; only
        under `<state_dir>/outgoing` (anything else, the user's own file above all, is
        never touched). True when something was removed."""
        outgoing = self.outgoing.resolve()
        # The folder is resolved, not the file: a symbolic link is removed, not followed.
        where = path.parent.resolve()
        if not where.is_relative_to(outgoing) or path.name in ("", ".", ".."):
            return False
        target = where / path.name
        try:
            if target.is_dir() and not target.is_symlink():
                return False
            target.unlink()
        except FileNotFoundError:
            return False
        while where != outgoing:
            try:
                where.rmdir()
            except OSError:
                break
            where = where.parent
        return True

    def _files(self, *, partial: bool = False) -> Iterator[tuple[Path, int, int]]:
        """(path, size, mtime in ns) of each regular received file, or of each `.part`."""
        if not self.root.is_dir():
            return
        for folder in os.scandir(self.root):
            if not folder.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(folder.path):
                if entry.name.endswith(PART) != partial:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if entry.is_file(follow_symlinks=False):
                        stat = entry.stat(follow_symlinks=False)
                        yield Path(entry.path), stat.st_size, stat.st_mtime_ns


def partial(path: Path) -> Path:
    """The file a download is written to before it is complete: `<name>.part`."""
    return path.with_name(path.name + PART)


def safe_name(name: str) -> str:
    """A file name from a sender, made harmless: its last path part only (either
    separator), no control or reserved characters, no leading dots or trailing dots and
    spaces, at most `MAX_NAME_BYTES` bytes (the extension kept); "file" if nothing is left."""
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("_", name).lstrip(". ").rstrip(". ")
    if len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, extension = name.rpartition(".")
        if not dot or len(extension.encode()) > 16:
            stem, extension = name, ""
        keep = MAX_NAME_BYTES - len(extension.encode()) - len(dot)
        stem = stem.encode()[:keep].decode(errors="ignore").rstrip(". ")
        name = stem + (dot + extension if extension else "")
    if name.endswith(PART):
        name += "_"  # a finished file never looks like a download in progress
    return name or "file"


def _narrow(descriptor: int, path: Path) -> None:
    """0600 whatever the umask (os.open applies it to the mode asked for)."""
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, PRIVATE_FILE)
    else:  # pragma: no cover - Windows has no POSIX modes to narrow
        path.chmod(PRIVATE_FILE)


def _sync_folder(folder: Path) -> None:
    """Makes a rename in `folder` survive a power cut (where the system allows it)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
