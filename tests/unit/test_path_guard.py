"""The path guard: hostile paths from the phone are refused, workspace files are readable."""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tgbridge.security.paths import (
    ABSOLUTE,
    BINARY,
    DENIED,
    DOTDOT,
    HOME,
    INVALID,
    INVISIBLE,
    LOOKALIKE,
    NO_FOLDER,
    NO_SUCH_FILE,
    NOT_A_FILE,
    PERCENT,
    TOO_LONG,
    GuardedPath,
    PathGuard,
    PathRefused,
    size_text,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="symlinks and FIFOs")

SECRET = "TOP-SECRET-7f3a9c"  # in every file the phone must never see
MAX_BYTES = 4096
TOO_LARGE = "file is larger than 4 KiB"
USER_GLOBS = ("*.secret", "private/", "!.env")  # "!.env" must not re-allow a built-in


@dataclass
class Workspace:
    root: Path  # tmp_path
    ws: Path  # first folder
    other: Path  # second folder, named "other"
    outside: Path
    state: Path
    guard: PathGuard


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = tmp_path / "ws"
    other = tmp_path / "other"
    outside = tmp_path / "outside"
    write(ws / "src" / "app.py", "print('hello')\n")
    write(ws / "README.md", "# Read me\n")
    write(ws / "docs" / "café-日本.md", "unicode ok\n")
    write(ws / ".gitignore", "build/\n")
    write(ws / ".github" / "workflows" / "ci.yml", "on: push\n")
    write(ws / "environment.md", "not a dotenv\n")
    write(ws / "exact.txt", "x" * MAX_BYTES)
    write(other / "notes.txt", "second folder\n")
    for denied in (
        ".env",
        ".env.local",
        "config/.env.production",
        "certs/server.pem",
        "keys/api.key",
        "id_rsa",
        "id_ed25519",
        ".ssh/config",
        ".git/config",
        "sub/.git/HEAD",
        ".netrc",
        ".npmrc",
        ".pypirc",
        "certs/client.p12",
        "certs/client.pfx",
        "vault.kdbx",
        "notes/plan.secret",
        "private/diary.txt",
        ".tgbridge-state/db.sqlite3",
    ):
        write(ws / denied, SECRET)
    write(other / ".env", SECRET)
    write(outside / "secret.txt", SECRET)
    (ws / "link-to-secret.txt").symlink_to(outside / "secret.txt")
    (ws / "link-to-outside-dir").symlink_to(outside, target_is_directory=True)
    (ws / "link-to-env").symlink_to(ws / ".env")
    (ws / "relative-link-to-env").symlink_to(".env")
    (ws / "escape").symlink_to("..", target_is_directory=True)
    (ws / "link-to-git").symlink_to(".git", target_is_directory=True)
    (ws / "link-to-state").symlink_to(".tgbridge-state", target_is_directory=True)
    (ws / "link-to-other").symlink_to(other, target_is_directory=True)
    (ws / "link-to-root").symlink_to(".", target_is_directory=True)
    (ws / "loop").symlink_to("loop")
    (ws / "alias.py").symlink_to("src/app.py")
    os.mkfifo(ws / "pipe")
    (ws / "binary.bin").write_bytes(b"\x7fELF\x00\x01" + SECRET.encode())
    (ws / "latin1.txt").write_bytes(SECRET.encode() + b" caf\xe9\n")
    write(ws / "big.txt", SECRET + "x" * MAX_BYTES)
    guard = PathGuard(
        [ws, other],
        state_dir=ws / ".tgbridge-state",
        deny_globs=USER_GLOBS,
        max_bytes=MAX_BYTES,
    )
    return Workspace(tmp_path, ws, other, outside, ws / ".tgbridge-state", guard)


def read_with_deadline(guard: PathGuard, requested: str) -> BaseException | tuple[GuardedPath, str]:
    """`guard.read_text` in a thread: if it opened the FIFO it would block, so a thread still
    alive after 5 s fails the test (and is unblocked by opening the FIFO's write end)."""
    outcome: list[BaseException | tuple[GuardedPath, str]] = []

    def run() -> None:
        try:
            outcome.append(guard.read_text(requested))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():
        for fifo in Path(guard.folders[0]).glob("pipe"):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail(f"read_text({requested!r}) blocked")
    return outcome[0]


HOSTILE: list[tuple[str, str]] = [
    # traversal
    ("../outside/secret.txt", DOTDOT),
    ("src/../../outside/secret.txt", DOTDOT),
    ("..\\..\\outside\\secret.txt", DOTDOT),
    ("src\\..\\..\\outside\\secret.txt", DOTDOT),
    ("..", DOTDOT),
    ("src/..", DOTDOT),
    ("other/../ws/.env", DOTDOT),
    # absolute, drive, UNC
    ("{outside}/secret.txt", ABSOLUTE),
    ("/etc/passwd", ABSOLUTE),
    ("/", ABSOLUTE),
    ("\\\\server\\share\\x", ABSOLUTE),
    ("\\\\?\\C:\\x", ABSOLUTE),
    ("C:\\Windows\\win.ini", ABSOLUTE),
    ("C:/Windows/win.ini", ABSOLUTE),
    ("c:x", ABSOLUTE),
    # home
    ("~/.ssh/id_rsa", HOME),
    ("~root/x", HOME),
    ("~", HOME),
    # control characters
    ("README.md\x00.txt", INVISIBLE),
    ("\x00", INVISIBLE),
    ("src/app.py\n", INVISIBLE),
    ("src/\x1b[31mapp.py", INVISIBLE),
    ("README.md\x7f", INVISIBLE),
    # percent-encoding
    ("%2e%2e/outside/secret.txt", PERCENT),
    ("..%2fsecret", PERCENT),
    ("%00", PERCENT),
    ("src%2fapp.py", PERCENT),
    ("%2E%2E%2Foutside%2Fsecret.txt", PERCENT),
    # Unicode look-alikes and invisible characters
    ("\uff0e\uff0e\uff0foutside/secret.txt", LOOKALIKE),  # fullwidth dots, solidus
    ("src\uff0fapp.py", LOOKALIKE),  # fullwidth solidus
    ("\u2024\u2024/outside/secret.txt", LOOKALIKE),  # one-dot leader
    ("\uff53\uff52\uff43/app.py", LOOKALIKE),  # fullwidth letters
    ("src/app.py\u00a0", LOOKALIKE),  # no-break space
    ("src/app\u200d.py", INVISIBLE),  # zero-width joiner
    ("\u202eyp.ppa/crs", INVISIBLE),  # right-to-left override
    ("src/app.py\u2028", INVISIBLE),  # line separator
    ("\ufeffREADME.md", INVISIBLE),  # byte order mark
    # malformed
    ("src//app.py", INVALID),
    ("src/./app.py", INVALID),
    ("src/app.py/", INVALID),
    (".env.", INVALID),
    ("README.md ", INVALID),
    ("x" * 1025, TOO_LONG),
    # deny globs, built-in and the user's
    (".env", DENIED),
    (".env.local", DENIED),
    ("config/.env.production", DENIED),
    (".ENV", DENIED),
    ("certs/server.pem", DENIED),
    ("keys/api.key", DENIED),
    ("id_rsa", DENIED),
    ("id_ed25519", DENIED),
    (".ssh/config", DENIED),
    (".git/config", DENIED),
    (".git", DENIED),
    ("sub/.git/HEAD", DENIED),
    (".netrc", DENIED),
    (".npmrc", DENIED),
    (".pypirc", DENIED),
    ("certs/client.p12", DENIED),
    ("certs/client.pfx", DENIED),
    ("vault.kdbx", DENIED),
    ("notes/plan.secret", DENIED),
    ("private/diary.txt", DENIED),
    ("other/.env", DENIED),
    # the state dir
    (".tgbridge-state/db.sqlite3", DENIED),
    (".tgbridge-state", DENIED),
    (".TGBRIDGE-STATE/db.sqlite3", DENIED),
    # symlinks
    ("link-to-secret.txt", NO_SUCH_FILE),
    ("link-to-outside-dir/secret.txt", NO_SUCH_FILE),
    ("escape/outside/secret.txt", NO_SUCH_FILE),
    ("link-to-other/notes.txt", NO_SUCH_FILE),  # into another folder: not the chosen one
    ("link-to-env", DENIED),
    ("relative-link-to-env", DENIED),
    ("link-to-git/config", DENIED),
    ("link-to-state/db.sqlite3", DENIED),
    ("link-to-root/.env", DENIED),
    ("loop", NO_SUCH_FILE),
    # not regular files, missing, unreadable content
    ("pipe", NOT_A_FILE),
    ("src", NOT_A_FILE),
    ("link-to-root", NOT_A_FILE),
    ("", NOT_A_FILE),
    (".", NOT_A_FILE),
    ("missing.txt", NO_SUCH_FILE),
    ("src/app.py/x", NO_SUCH_FILE),
    ("other", NO_SUCH_FILE),  # one component: relative to the first folder
    ("binary.bin", BINARY),
    ("latin1.txt", BINARY),
    ("big.txt", TOO_LARGE),
]


def test_there_are_enough_hostile_cases() -> None:
    assert len(HOSTILE) >= 45


@pytest.mark.parametrize(("requested", "reason"), HOSTILE, ids=[repr(r)[:40] for r, _ in HOSTILE])
def test_a_hostile_path_is_refused_without_leaking(
    workspace: Workspace, requested: str, reason: str
) -> None:
    requested = requested.replace("{outside}", str(workspace.outside))
    outcome = read_with_deadline(workspace.guard, requested)
    assert isinstance(outcome, PathRefused), f"read {requested!r}: {outcome!r}"
    assert outcome.reason == reason
    shown = f"{outcome} {outcome!r} {outcome.args!r}"
    assert SECRET not in shown
    assert str(workspace.outside) not in shown
    assert str(workspace.root) not in shown
    assert outcome.__cause__ is None
    assert outcome.__suppress_context__ or outcome.__context__ is None


def test_the_fifo_is_refused_by_resolve_before_any_open(workspace: Workspace) -> None:
    with pytest.raises(PathRefused) as refused:
        workspace.guard.resolve("pipe")
    assert refused.value.reason == NOT_A_FILE


def test_outside_and_missing_files_share_one_reason(workspace: Workspace) -> None:
    reasons = set()
    for requested in ("link-to-outside-dir/secret.txt", "link-to-outside-dir/nope.txt", "nope"):
        with pytest.raises(PathRefused) as refused:
            workspace.guard.resolve(requested)
        reasons.add(refused.value.reason)
    assert reasons == {NO_SUCH_FILE}


@pytest.mark.parametrize(
    ("requested", "relative", "text"),
    [
        ("src/app.py", "src/app.py", "print('hello')\n"),
        ("README.md", "README.md", "# Read me\n"),
        ("docs/café-日本.md", "docs/café-日本.md", "unicode ok\n"),
        (".gitignore", ".gitignore", "build/\n"),
        (".github/workflows/ci.yml", ".github/workflows/ci.yml", "on: push\n"),
        ("environment.md", "environment.md", "not a dotenv\n"),
        ("src\\app.py", "src/app.py", "print('hello')\n"),
        ("alias.py", "src/app.py", "print('hello')\n"),  # a symlink to an allowed file
        ("exact.txt", "exact.txt", "x" * MAX_BYTES),  # exactly the limit
    ],
)
def test_a_workspace_file_is_read(
    workspace: Workspace, requested: str, relative: str, text: str
) -> None:
    guarded, got = workspace.guard.read_text(requested)
    assert got == text
    assert guarded == GuardedPath(
        workspace.ws.resolve(), workspace.ws.resolve() / relative, relative
    )
    assert workspace.guard.resolve(requested) == guarded


def test_name_slash_path_picks_the_second_folder(workspace: Workspace) -> None:
    guarded, text = workspace.guard.read_text("other/notes.txt")
    assert text == "second folder\n"
    assert guarded.folder == workspace.other.resolve()
    assert guarded.relative == "notes.txt"


def test_with_one_folder_a_leading_name_is_just_a_directory(tmp_path: Path) -> None:
    write(tmp_path / "ws" / "ws" / "inner.txt", "inner\n")
    guard = PathGuard([tmp_path / "ws"], state_dir=None)
    guarded, text = guard.read_text("ws/inner.txt")
    assert (guarded.relative, text) == ("ws/inner.txt", "inner\n")


def test_no_folder_refuses_everything(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "a\n")
    guard = PathGuard([], state_dir=None)
    with pytest.raises(PathRefused) as refused:
        guard.read_text("a.txt")
    assert refused.value.reason == NO_FOLDER
    assert not guard.allows(tmp_path, "a.txt")


def test_a_state_dir_that_is_a_workspace_folder_denies_all_of_it(tmp_path: Path) -> None:
    write(tmp_path / "state" / "notes.txt", "n\n")
    guard = PathGuard([tmp_path / "state"], state_dir=tmp_path / "state")
    with pytest.raises(PathRefused) as refused:
        guard.read_text("notes.txt")
    assert refused.value.reason == DENIED


def test_an_invalid_user_glob_is_an_error_not_ignored(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        PathGuard([tmp_path], state_dir=None, deny_globs=["!"])


def test_the_size_reason_names_the_limit() -> None:
    assert size_text(512 * 1024) == "512 KiB"
    assert size_text(2 * 1024 * 1024) == "2 MiB"
    assert size_text(1000) == "1000 bytes"


@pytest.mark.parametrize(
    ("relative", "allowed"),
    [
        ("src/app.py", True),
        ("README.md", True),
        ("deleted/gone.py", True),  # git diff names deleted files
        ("alias.py", True),
        (".env", False),
        ("config/.env.production", False),
        ("sub/.git/HEAD", False),
        (".ssh/config", False),
        ("keys/api.key", False),
        ("notes/plan.secret", False),
        ("private/new.txt", False),
        (".tgbridge-state/db.sqlite3", False),
        ("link-to-env", False),
        ("link-to-secret.txt", False),
        ("link-to-outside-dir/anything", False),
        ("escape/outside/secret.txt", False),
        ("link-to-git/config", False),
        ("../outside/secret.txt", False),
        ("/etc/passwd", False),
        ("%2e%2e/x", False),
        ("src\u200d/app.py", False),
        ("", False),
        ("loop", False),
    ],
)
def test_allows_filters_paths_git_printed(
    workspace: Workspace, relative: str, allowed: bool
) -> None:
    assert workspace.guard.allows(workspace.ws, relative) is allowed


def test_allows_takes_the_second_folder_and_refuses_unknown_folders(workspace: Workspace) -> None:
    assert workspace.guard.allows(workspace.other, "notes.txt")
    assert not workspace.guard.allows(workspace.other, ".env")
    assert not workspace.guard.allows(workspace.outside, "secret.txt")
    assert not workspace.guard.allows(workspace.root, "outside/secret.txt")
