"""Files on disk: private modes, received files under a quota, outgoing copies removed."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tgbridge.store.files import (
    ReceivedFiles,
    atomic_private,
    partial,
    private_dir,
    private_file_mode,
    safe_name,
    write_private,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that lets everyone read: the modes must not depend on the user's."""
    old = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("loose_umask")
def test_a_private_dir_and_its_missing_parents_are_0700(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir(mode=0o755)
    folder = private_dir(tmp_path / "home" / "state" / "tgbridge")
    assert folder == tmp_path / "home" / "state" / "tgbridge"
    assert mode(folder) == 0o700
    assert mode(folder.parent) == 0o700
    assert mode(tmp_path / "home") == 0o755  # a parent that was there is not ours to change


@pytest.mark.usefixtures("loose_umask")
def test_a_private_dir_that_exists_with_loose_bits_is_narrowed(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    folder.chmod(0o777)
    private_dir(folder)
    assert mode(folder) == 0o700


def test_a_private_dir_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("")
    with pytest.raises(NotADirectoryError):
        private_dir(tmp_path / "state")


def test_a_file_is_made_0600(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("x")
    path.chmod(0o644)
    assert mode(private_file_mode(path)) == 0o600


@pytest.mark.usefixtures("loose_umask")
def test_an_atomic_write_is_0600_even_over_a_stale_world_readable_temp(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    stale = tmp_path / "session.json.tmp"
    stale.write_text("left by a crash")
    stale.chmod(0o666)
    write_private(path, "secret")
    assert path.read_text() == "secret"
    assert mode(path) == 0o600
    assert not stale.exists()
    # Replacing a file that others could read gives a private one too.
    path.chmod(0o644)
    write_private(path, b"newer")
    assert (path.read_bytes(), mode(path)) == (b"newer", 0o600)


def test_a_failed_atomic_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    write_private(path, "old")
    with pytest.raises(RuntimeError), atomic_private(path) as file:
        file.write(b"half")
        raise RuntimeError("disk full")
    assert path.read_text() == "old"
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.usefixtures("loose_umask")
def test_a_reserved_download_is_private_and_completes_to_its_name(tmp_path: Path) -> None:
    files = ReceivedFiles(tmp_path)
    path = files.reserve(-1001234, 42, "report.pdf")
    assert path == tmp_path / "files" / "-1001234" / "42-report.pdf"
    part = partial(path)
    assert part == tmp_path / "files" / "-1001234" / "42-report.pdf.part"
    assert mode(tmp_path / "files") == mode(part.parent) == 0o700
    assert mode(part) == 0o600
    with open(part, "wb") as download:  # as Telethon writes into an existing file
        download.write(b"%PDF")
    assert files.complete(path) == path
    assert (path.read_bytes(), mode(path)) == (b"%PDF", 0o600)
    assert not part.exists()


def test_a_failed_download_is_discarded(tmp_path: Path) -> None:
    files = ReceivedFiles(tmp_path)
    path = files.reserve(1, 2, "a.zip")
    partial(path).write_bytes(b"PK")
    files.discard(path)
    assert list((tmp_path / "files" / "1").iterdir()) == []


def test_a_stale_part_is_replaced_by_a_new_private_one(tmp_path: Path) -> None:
    files = ReceivedFiles(tmp_path)
    part = partial(files.reserve(1, 7, "a.txt"))
    part.write_text("half of an old download")
    part.chmod(0o644)
    files.reserve(1, 7, "a.txt")
    assert (part.read_text(), mode(part)) == ("", 0o600)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../.ssh/authorized_keys", "authorized_keys"),
        ("..\\..\\evil.bat", "evil.bat"),
        ("/etc/passwd", "passwd"),
        (".bashrc", "bashrc"),
        ("...", "file"),
        ("..", "file"),
        ("", "file"),
        ("a\x00b\nc.txt", "a_b_c.txt"),
        ('what?<is>:"this"|*.txt', "what__is___this___.txt"),
        ("trailing. . ", "trailing"),
        ("sneaky.part", "sneaky.part_"),
        ("отчёт.pdf", "отчёт.pdf"),
    ],
)
def test_names_from_senders_are_sanitised(sent: str, kept: str) -> None:
    assert safe_name(sent) == kept


def test_a_long_name_is_cut_and_keeps_its_extension() -> None:
    name = safe_name("é" * 300 + ".tar.gz")
    assert name.endswith(".gz")
    assert len(name.encode()) <= 160
    name.encode().decode()  # never cut inside a character


def test_a_traversal_name_stays_inside_the_chat_folder(tmp_path: Path) -> None:
    files = ReceivedFiles(tmp_path / "state")
    path = files.reserve(5, 1, "../../../escaped")
    assert path == tmp_path / "state" / "files" / "5" / "1-escaped"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state"]


def received(files: ReceivedFiles, chat_id: int, message_id: int, size: int, age: int) -> Path:
    """A finished download of `size` bytes, last written `age` seconds before a fixed now."""
    path = files.reserve(chat_id, message_id, f"f{message_id}.bin")
    partial(path).write_bytes(b"x" * size)
    files.complete(path)
    when = 1_700_000_000 - age
    os.utime(path, (when, when))
    return path


def test_the_quota_removes_the_oldest_files_first_and_keeps_the_newest(tmp_path: Path) -> None:
    files = ReceivedFiles(tmp_path)
    oldest = received(files, 1, 1, 400, age=400)
    older = received(files, 2, 2, 300, age=300)
    newer = received(files, 1, 3, 200, age=200)
    newest = received(files, 2, 4, 100, age=100)
    assert files.total_bytes() == 1000
    assert files.enforce_quota(1000) == []
    assert files.enforce_quota(350) == [oldest, older]
    assert (newer.exists(), newest.exists()) == (True, True)
    assert files.total_bytes() == 300
    assert files.enforce_quota(0) == [newer, newest]
    assert not (tmp_path / "files" / "1").exists()  # emptied chat folders go too


def test_the_quota_never_removes_a_download_in_progress(tmp_path: Path) -> None:
    files = ReceivedFiles(tmp_path)
    done = received(files, 1, 1, 100, age=500)
    part = partial(files.reserve(1, 2, "big.iso"))
    part.write_bytes(b"y" * 10_000)
    os.utime(part, (1, 1))  # older than anything
    assert files.enforce_quota(50) == [done]
    assert part.exists()
    assert files.discard_partial() == [part]
    assert not part.exists()


def test_a_sent_copy_is_removed_only_under_outgoing(tmp_path: Path) -> None:
    files = ReceivedFiles(tmp_path / "state")
    folder = tmp_path / "state" / "outgoing" / "abc123"
    folder.mkdir(parents=True)
    copy = folder / "snippet.py"
    copy.write_text("print()")
    users_own = tmp_path / "project" / "snippet.py"
    users_own.parent.mkdir()
    users_own.write_text("mine")
    sneaky = tmp_path / "state" / "outgoing" / ".." / ".." / "project" / "snippet.py"
    assert files.remove_outgoing(users_own) is False
    assert files.remove_outgoing(sneaky) is False
    assert files.remove_outgoing(tmp_path / "state" / "outgoing") is False
    assert users_own.read_text() == "mine"
    assert files.remove_outgoing(copy) is True
    assert not folder.exists()  # its folder was only for it
    assert (tmp_path / "state" / "outgoing").is_dir()
    assert files.remove_outgoing(copy) is False  # already gone


def test_a_link_under_outgoing_is_removed_not_followed(tmp_path: Path) -> None:
    files = ReceivedFiles(tmp_path / "state")
    target = tmp_path / "precious.txt"
    target.write_text("keep")
    link = tmp_path / "state" / "outgoing" / "x" / "link.txt"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    assert files.remove_outgoing(link) is True
    assert target.read_text() == "keep"
