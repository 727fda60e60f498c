"""The command line."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tgbridge import __version__
from tgbridge.cli_send import UsageError, code_selection, send_params


def test_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tgbridge", "--version"], capture_output=True, text=True
    )
    assert done.stdout.strip() == f"tgbridge {__version__}"


def test_unknown_command_is_refused_with_usage() -> None:
    done = subprocess.run([sys.executable, "-m", "tgbridge", "fly"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "invalid choice: 'fly'" in done.stderr


def test_logout_without_a_session_says_so(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tgbridge", "logout"],
        capture_output=True,
        text=True,
        env={**os.environ, "TGBRIDGE_STATE_DIR": str(tmp_path)},
    )
    assert (done.returncode, done.stderr.strip()) == (0, "There was no session.")


def test_login_to_an_unreachable_telegram_fails_clearly(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    center = f'{{"id": 2, "host": "127.0.0.1", "port": {port}}}'
    done = subprocess.run(
        [sys.executable, "-m", "tgbridge", "login", "--api-id", "1", "--bot"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "TGBRIDGE_STATE_DIR": str(tmp_path),
            "TGBRIDGE_DATA_CENTER": center,
            "TGBRIDGE_API_HASH": "0123456789abcdef0123456789abcdef",
            "TGBRIDGE_BOT_TOKEN": "123:secret-token",
        },
    )
    assert done.returncode == 1
    assert "Cannot reach Telegram" in done.stderr
    assert "secret-token" not in done.stderr + done.stdout
    assert not (tmp_path / "session.json").exists()


# ---- tgbridge send / status (the hub-backed paths are in tests/telegram/test_cli.py) ----


def run_cli(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tgbridge", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TGBRIDGE_STATE_DIR": str(state_dir)},
    )


def test_send_help_documents_the_exit_codes(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "send", "--help")
    assert done.returncode == 0
    for code in ("0  sent", "1  the send failed", "2  usage", "3  no tgbridge hub"):
        assert code in done.stdout
    assert "--reply-to" in done.stdout and "--code PATH[:START-END]" in done.stdout


def test_status_without_a_hub_says_so_and_starts_none(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "status")
    assert (done.returncode, done.stdout.strip()) == (0, "no hub running")
    assert list(tmp_path.iterdir()) == []


def test_send_without_a_session_exits_2(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "send", "--chat", "1", "hello")
    assert done.returncode == 2
    assert "run `tgbridge login` first" in done.stderr
    assert not (tmp_path / "tgbridge.db").exists()


def test_send_refuses_two_things_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    done = run_cli(tmp_path, "send", "--file", str(tmp_path / "a.txt"), "and text")
    assert done.returncode == 2
    assert "exactly one of TEXT, --file PATH or --code" in done.stderr


def test_send_and_status_load_neither_telethon_nor_the_database(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from tgbridge.cli import main\n"
        "codes = [main(['send', '--chat', '1', 'hi']), main(['status'])]\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('telethon', 'sqlite3')\n"
        "          or m.startswith('tgbridge.store.') and m != 'tgbridge.store.files']\n"
        "print(codes, loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "TGBRIDGE_STATE_DIR": str(tmp_path)},
    )
    assert done.stdout.splitlines()[-1] == "[2, 0] []", done.stdout + done.stderr


def test_code_lines_are_sent_with_their_path_language_and_range(tmp_path: Path) -> None:
    source = tmp_path / "tool.py"
    source.write_text("one\ntwo = 2\nthree\nfour\n")
    code = code_selection(f"{source}:2-3")
    assert (code.text, code.language, code.path) == ("two = 2\nthree", "python", "tool.py")
    assert code.range is not None
    assert (code.range.start.line, code.range.start.character) == (1, 0)
    assert (code.range.end.line, code.range.end.character) == (2, 5)
    assert code_selection(f"{source}:4").text == "four"
    whole = code_selection(str(source))
    assert (whole.text, whole.range) == ("one\ntwo = 2\nthree\nfour\n", None)


def test_code_lines_outside_the_file_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "short.txt"
    source.write_text("only\n")
    with pytest.raises(UsageError, match="has 1 lines; lines 2-3 are not in it"):
        code_selection(f"{source}:2-3")
    with pytest.raises(UsageError, match="cannot read"):
        code_selection(str(tmp_path / "missing.py"))


def test_a_file_is_named_by_its_absolute_path_for_the_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    monkeypatch.chdir(tmp_path)
    params = send_params(
        chat="@ann",
        reply_to=7,
        file="report.pdf",
        caption="the report",
        code=None,
        text=[],
        client_key="k",
    )
    assert params.file is not None
    assert (params.file.path, params.file.caption) == (str(tmp_path / "report.pdf"), "the report")
    assert (params.chat, params.reply_to, params.client_key) == ("@ann", 7, "k")


def test_text_is_joined_or_read_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    def text_of(words: list[str]) -> str | None:
        params = send_params(
            chat="1", reply_to=None, file=None, caption="", code=None, text=words, client_key="k"
        )
        return params.text

    assert text_of(["hello", "there"]) == "hello there"
    monkeypatch.setattr("sys.stdin", io.StringIO("from\na pipe\n"))
    assert text_of(["-"]) == "from\na pipe"
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    with pytest.raises(UsageError, match="nothing to send"):
        text_of(["-"])
