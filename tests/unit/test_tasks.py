"""Declared tasks: the spec's validation, and the runner: exec never through a shell, a
minimal environment, cwd kept inside the folder, a private full log and a bounded tail,
rate-limited output, and the whole process group stopped on timeout or cancel."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tgbridge.tasks import runner
from tgbridge.tasks.runner import OutputTail, TaskResult, clean_tail, run_task, task_env
from tgbridge.tasks.spec import TaskSpec, find, parse_tasks

PY = sys.executable


def task(name: str = "t", *argv: str, **fields: Any) -> TaskSpec:
    return TaskSpec(name=name, argv=list(argv), **fields)


def python(code: str, *args: str, **fields: Any) -> TaskSpec:
    return task(fields.pop("name", "t"), PY, "-c", code, *args, **fields)


def ignore(_tail: str) -> None:
    return None


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "state" / "task-logs"


@pytest.fixture
def quick_kill(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shorter grace and drain periods: the same paths, less waiting."""
    monkeypatch.setattr(runner, "KILL_GRACE_SECONDS", 0.5)
    monkeypatch.setattr(runner, "DRAIN_SECONDS", 0.5)


def alive(pid: int) -> bool:
    """Whether the process still runs; a zombie (dead, waiting for its parent, maybe an
    init that does not reap) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def read_pids(path: Path, count: int, seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        if path.exists():
            pids = [int(line) for line in path.read_text().split()]
            if len(pids) >= count:
                return pids
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never had {count} pids")
        time.sleep(0.02)


def files_in(folder: Path) -> list[str]:
    """Every path under the folder, relative to it."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def killed_after(pid_file: Path) -> Iterator[None]:
    """Kills, by pid, processes a test started, should the code under test leave any."""
    try:
        yield
    finally:
        if pid_file.exists():
            for line in pid_file.read_text().split():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(line), signal.SIGKILL)


# --- the spec ---------------------------------------------------------------------------


def test_a_task_from_the_editor_in_camel_case() -> None:
    (spec,) = parse_tasks(
        [
            {
                "name": "unit-tests_2",
                "argv": ["pytest", "-q"],
                "cwd": "server/sub",
                "timeoutSeconds": 90,
                "env": ["CI", "PYTHONPATH"],
                "test": True,
                "description": "The unit tests",
            }
        ]
    )
    assert spec == TaskSpec(
        name="unit-tests_2",
        argv=["pytest", "-q"],
        cwd="server/sub",
        timeout_seconds=90,
        env=["CI", "PYTHONPATH"],
        test=True,
        description="The unit tests",
    )
    defaults = TaskSpec(name="b", argv=["make"])
    assert (defaults.cwd, defaults.timeout_seconds, defaults.env, defaults.test) == (
        ".",
        600,
        [],
        False,
    )
    with pytest.raises(ValidationError):
        defaults.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("name", ["", "Build", "a b", "a/b", "x" * 33, "é", "run;rm", "a.b"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="task name"):
        parse_tasks([{"name": name, "argv": ["make"]}])


def test_good_names() -> None:
    names = ["build", "x" * 32, "test-unit_2", "0"]
    tasks = parse_tasks([{"name": name, "argv": ["make"]} for name in names])
    assert [spec.name for spec in tasks] == names


def test_duplicate_names_are_refused_naming_the_task() -> None:
    with pytest.raises(ValueError, match=r"'build'.*entries 1 and 3"):
        parse_tasks(
            [
                {"name": "build", "argv": ["make"]},
                {"name": "test", "argv": ["make", "test"]},
                {"name": "build", "argv": ["ninja"]},
            ]
        )


@pytest.mark.parametrize("argv", [[], [""], ["make", ""], ["ma\x00ke"], "make", [1]])
def test_bad_argv_is_refused(argv: object) -> None:
    with pytest.raises(ValidationError, match="argv"):
        parse_tasks([{"name": "b", "argv": argv}])


@pytest.mark.parametrize(
    "cwd",
    [
        "/etc",
        "/",
        "\\\\server\\share",
        "C:\\x",
        "c:x",
        "..",
        "../x",
        "a/../../x",
        "a/..",
        "a\\..",
        "~/x",
    ],
)
def test_a_cwd_outside_the_folder_by_its_spelling_is_refused(cwd: str) -> None:
    with pytest.raises(ValidationError, match="cwd"):
        parse_tasks([{"name": "b", "argv": ["make"], "cwd": cwd}])


@pytest.mark.parametrize("cwd", [".", "sub", "sub/dir", "./sub", "a..b", "..a"])
def test_a_relative_cwd_is_accepted(cwd: str) -> None:
    assert parse_tasks([{"name": "b", "argv": ["make"], "cwd": cwd}])[0].cwd == cwd


@pytest.mark.parametrize(
    "fields",
    [
        {"timeoutSeconds": 0},
        {"timeoutSeconds": -1},
        {"timeoutSeconds": 24 * 3600 + 1},
        {"timeoutSeconds": True},
        {"timeoutSeconds": "60"},
        {"env": ["A-B"]},
        {"env": ["1X"]},
        {"env": "PATH"},
        {"shell": True},
        {"command": "make"},
    ],
)
def test_other_bad_fields_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_tasks([{"name": "b", "argv": ["make"], **fields}])


def test_not_a_list_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse_tasks({"name": "b", "argv": ["make"]})  # type: ignore[arg-type]


def test_find_by_exact_name() -> None:
    tasks = parse_tasks([{"name": "build", "argv": ["make"]}, {"name": "test", "argv": ["t"]}])
    assert find(tasks, "test") is tasks[1]
    assert find(tasks, "Test") is None
    assert find(tasks, "missing") is None
    assert find([], "build") is None


# --- never a shell ----------------------------------------------------------------------

SHELL_BAIT = [
    "; touch PWNED",
    "$(touch PWNED2)",
    "`touch PWNED3`",
    "&& touch PWNED4",
    "| touch PWNED5",
    "> PWNED6",
    "|| touch PWNED7 &",
    "*",
    "~",
    "$HOME",
    "${PATH}",
    "'single' \"double\" \\back",
    "a b\tc\nnewline",
    "%PATH% & touch PWNED8",
]


async def test_arguments_with_shell_metacharacters_are_passed_verbatim(
    folder: Path, log_dir: Path, tmp_path: Path
) -> None:
    (folder / "a-file").write_text("globbing would expand * to this")
    spec = python("import sys, json; print(json.dumps(sys.argv[1:]))", *SHELL_BAIT)
    result = await run_task(spec, folder, log_dir=log_dir, on_output=ignore)
    pwned = [p for base in (folder, tmp_path, Path.cwd()) for p in base.rglob("PWNED*")]
    assert pwned == []
    assert result.exit_code == 0, result.tail
    assert json.loads(result.tail) == SHELL_BAIT


async def test_a_shell_as_argv0_is_the_owners_choice_not_the_phones(
    folder: Path, log_dir: Path
) -> None:
    """Even the program name is exec'd as a path, not parsed: a command line there is
    just a missing executable."""
    spec = task("t", "echo hi; touch PWNED")
    result = await run_task(spec, folder, log_dir=log_dir, on_output=ignore)
    assert result.exit_code is None
    assert files_in(folder) == []


# --- environment and cwd ----------------------------------------------------------------


async def test_only_the_base_and_the_allowlisted_environment_reaches_the_task(
    folder: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TGB_ALLOWED", "yes")
    monkeypatch.setenv("TGB_SECRET", "hunter2")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("HOME", "/home/someone")
    monkeypatch.delenv("TGB_MISSING", raising=False)
    spec = python(
        "import os, json; print(json.dumps(dict(os.environ)))",
        env=["TGB_ALLOWED", "TGB_MISSING"],
    )
    result = await run_task(spec, folder, log_dir=log_dir, on_output=ignore)
    seen = json.loads(result.tail)
    assert seen["TGB_ALLOWED"] == "yes"
    assert "TGB_SECRET" not in seen
    assert "TGB_MISSING" not in seen
    assert seen["TERM"] == "dumb"
    assert seen["HOME"] == "/home/someone"
    assert seen["PATH"] == os.environ["PATH"]
    # Python itself may add LC_CTYPE (PEP 538) when no locale is set.
    assert set(seen) - {"LC_CTYPE"} <= {"PATH", "HOME", "LANG", "LC_ALL", "TERM", "TGB_ALLOWED"}


def test_task_env_from_a_given_environment() -> None:
    spec = task("t", "x", env=["KEEP", "PATH"])
    environ = {"PATH": "/bin", "KEEP": "1", "DROP": "2", "TERM": "xterm", "LANG": "C.UTF-8"}
    assert task_env(spec, environ) == {
        "PATH": "/bin",
        "LANG": "C.UTF-8",
        "KEEP": "1",
        "TERM": "dumb",
    }


async def test_the_task_runs_in_its_cwd_inside_the_folder(folder: Path, log_dir: Path) -> None:
    (folder / "sub" / "dir").mkdir(parents=True)
    spec = python("import os; print(os.getcwd())", cwd="sub/dir")
    result = await run_task(spec, folder, log_dir=log_dir, on_output=ignore)
    assert result.tail == str((folder / "sub" / "dir").resolve())


async def test_a_cwd_leading_outside_the_folder_is_refused(
    folder: Path, log_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "link").symlink_to(outside)
    (folder / "inner").symlink_to(folder / "link")
    for cwd in ("link", "inner/.", "link/deeper"):
        spec = python("open('ESCAPED', 'w')", cwd=cwd)
        with pytest.raises(ValueError, match="outside the workspace folder"):
            await run_task(spec, folder, log_dir=log_dir, on_output=ignore)
    # A spec built without validation is still checked when it runs.
    for cwd in ("..", "/tmp", str(outside)):
        spec = TaskSpec.model_construct(name="t", argv=[PY, "-c", "open('ESCAPED', 'w')"], cwd=cwd)
        with pytest.raises(ValueError, match="outside the workspace folder"):
            await run_task(spec, folder, log_dir=log_dir, on_output=ignore)
    assert not (outside / "ESCAPED").exists()
    assert not [name for name in files_in(tmp_path) if name.endswith("ESCAPED")]


async def test_a_symlink_that_stays_inside_is_fine(folder: Path, log_dir: Path) -> None:
    (folder / "real").mkdir()
    (folder / "alias").symlink_to(folder / "real")
    spec = python("import os; print(os.getcwd())", cwd="alias")
    result = await run_task(spec, folder, log_dir=log_dir, on_output=ignore)
    assert result.tail == str((folder / "real").resolve())


# --- failing to start -------------------------------------------------------------------


async def test_a_missing_executable_is_a_result_not_an_exception(
    folder: Path, log_dir: Path
) -> None:
    spec = task("missing", "tgbridge-no-such-program-4711", "--help")
    result = await run_task(spec, folder, log_dir=log_dir, on_output=ignore)
    assert result.exit_code is None
    assert not result.timed_out and not result.cancelled
    assert "No such file or directory" in result.tail
    assert "tgbridge-no-such-program-4711" in result.tail
    assert result.output_bytes == 0
    assert "No such file or directory" in result.log_path.read_text()


async def test_a_missing_cwd_is_a_result_too(folder: Path, log_dir: Path) -> None:
    result = await run_task(
        python("print(1)", cwd="not-there"), folder, log_dir=log_dir, on_output=ignore
    )
    assert result.exit_code is None
    assert "not-there" in result.tail


# --- the log and the tail ---------------------------------------------------------------


async def test_the_log_is_private_and_whole_and_the_tail_short(folder: Path, log_dir: Path) -> None:
    old = os.umask(0)
    try:
        code = "for i in range(2000): print(f'line {i:05}')\nraise SystemExit(3)"
        result = await run_task(
            python(code, name="build"), folder, log_dir=log_dir, on_output=ignore
        )
    finally:
        os.umask(old)
    assert result.exit_code == 3
    assert result.name == "build"
    assert mode(log_dir) == 0o700
    assert mode(result.log_path) == 0o600
    assert result.log_path.parent == log_dir
    assert result.log_path.name.startswith("build-") and result.log_path.suffix == ".log"
    expected = "".join(f"line {i:05}\n" for i in range(2000))
    assert result.output_bytes == len(expected)
    log_text = result.log_path.read_text()
    assert expected in log_text
    assert "Exit code 3" in log_text
    lines = result.tail.split("\n")
    assert lines == [f"line {i:05}" for i in range(1970, 2000)]


async def test_two_runs_in_the_same_second_get_two_logs(folder: Path, log_dir: Path) -> None:
    first, second = await asyncio.gather(
        run_task(python("print('one')"), folder, log_dir=log_dir, on_output=ignore),
        run_task(python("print('two')"), folder, log_dir=log_dir, on_output=ignore),
    )
    assert first.log_path != second.log_path
    assert "one" in first.log_path.read_text() and "two" in second.log_path.read_text()


async def test_stderr_escapes_and_bad_bytes(folder: Path, log_dir: Path) -> None:
    code = (
        "import sys\n"
        "sys.stdout.buffer.write(b'\\x1b[31mred\\x1b[0m \\x1b]0;title\\x07plain\\n'); "
        "sys.stdout.flush()\n"
        "sys.stderr.buffer.write(b'bad \\xff\\xfe bytes\\n'); sys.stderr.flush()\n"
        "sys.stdout.buffer.write(b'50%\\r100%\\n\\x1b[1;32mdone\\x1b[0m\\n')"
    )
    result = await run_task(python(code), folder, log_dir=log_dir, on_output=ignore)
    assert result.tail == "red plain\nbad \ufffd\ufffd bytes\n100%\ndone"
    raw = result.log_path.read_bytes()
    assert b"\x1b[31mred" in raw and b"\xff\xfe" in raw


def test_clean_tail() -> None:
    assert clean_tail("a\x1b[1mb\x1b[", 100) == "ab"  # a cut-off escape at the end
    assert clean_tail("abcdef\rxy\n", 100) == "xycdef"
    assert clean_tail("x\x00y\x07z\tq\n\n\n", 100) == "xyz\tq"
    assert clean_tail("\n".join(str(i) for i in range(100)), 100, lines=3) == "97\n98\n99"
    assert clean_tail("0123456789", 4) == "6789"


def test_the_tail_stays_small_whatever_the_output() -> None:
    tail = OutputTail(3000)
    chunk = ("é" * 1000 + "\n").encode() * 30  # multibyte characters across chunk borders
    for size in (65536, 7, 100_000, 3):
        for _ in range(200):
            tail.feed(chunk[:size])
            tail.feed(chunk[size : size * 2])
            assert tail.buffered_chars < 2 * (4 * 3000 + 1024) + 4 * (4 * 3000 + 1024)
    tail.finish()
    text = tail.text()
    assert len(text) <= 3000
    assert set(text) <= {"é", "\n", "\ufffd"}


async def test_a_large_output_keeps_memory_bounded(folder: Path, log_dir: Path) -> None:
    size = 32 * 1024 * 1024
    code = (
        "import sys\nline = b'x' * 99 + b'\\n'\nblock = line * 1000\n"
        f"for _ in range({size} // len(block)): sys.stdout.buffer.write(block)\n"
        "sys.stdout.buffer.write(b'the end\\n')"
    )
    result = await run_task(python(code), folder, log_dir=log_dir, on_output=ignore)
    assert result.exit_code == 0
    expected = (size // 100_000) * 100_000 + len("the end\n")
    assert result.output_bytes == expected
    assert result.log_path.stat().st_size > expected
    assert result.tail.endswith("x\nthe end")
    assert len(result.tail) <= 3000


# --- output while it runs ---------------------------------------------------------------

TEN_THOUSAND_LINES = """
import sys, time
for batch in range(100):
    sys.stdout.write("".join(f"line {batch * 100 + i:05}\\n" for i in range(100)))
    sys.stdout.flush()
    time.sleep(0.01)
"""


async def test_on_output_is_rate_limited_and_gets_the_latest_tail(
    folder: Path, log_dir: Path
) -> None:
    tails: list[str] = []
    interval = 0.2
    result = await run_task(
        python(TEN_THOUSAND_LINES),
        folder,
        log_dir=log_dir,
        on_output=tails.append,
        output_interval=interval,
    )
    assert result.exit_code == 0
    assert 2 <= len(tails) <= result.duration / interval + 2
    output = "".join(f"line {i:05}\n" for i in range(10_000))
    assert all(tail and tail in output for tail in tails)
    so_far = output[: output.index(tails[-1]) + len(tails[-1])]
    assert so_far.endswith(tails[-1])
    assert all(len(tail) <= 3000 and tail.count("\n") < 30 for tail in tails)
    # The final tail is in the result, not sent again.
    assert result.tail == "\n".join(f"line {i:05}" for i in range(9970, 10_000))
    assert output in result.log_path.read_text()


async def test_a_slow_on_output_never_stalls_the_task_nor_gets_stale_tails(
    folder: Path, log_dir: Path
) -> None:
    """The task writes 8 MB, far more than a pipe holds, while each on_output call takes
    longer than the whole task: the output is read all the same, and calls skip to the
    newest tail; the call under way at the end finishes before run_task returns."""
    code = (
        "import sys, time\nstart = time.monotonic()\n"
        "for i in range(80):\n"
        "    sys.stdout.write(f'{i:03} ' + 'x' * 99_995 + '\\n'); sys.stdout.flush()\n"
        "print(f'took {time.monotonic() - start:.3f}')"
    )
    tails: list[str] = []
    finished_calls: list[str] = []

    async def slow(tail: str) -> None:
        tails.append(tail)
        await asyncio.sleep(1.5)
        finished_calls.append(tail)

    result = await run_task(
        python(code), folder, log_dir=log_dir, on_output=slow, output_interval=0.05
    )
    took = float(result.tail.rsplit("took ", 1)[1])
    assert took < 1.2  # it never waited for the callback
    assert 1 <= len(tails) <= 3
    assert finished_calls == tails  # none cut short, none after the end
    calls = len(tails)
    await asyncio.sleep(0.3)
    assert len(tails) == calls


async def test_a_failing_on_output_does_not_stop_the_task(folder: Path, log_dir: Path) -> None:
    calls = 0

    def broken(_tail: str) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    code = "import time\nfor i in range(5): print(i, flush=True); time.sleep(0.1)"
    result = await run_task(
        python(code), folder, log_dir=log_dir, on_output=broken, output_interval=0.05
    )
    assert result.exit_code == 0
    assert calls >= 2
    assert result.tail == "0\n1\n2\n3\n4"


# --- stopping a task --------------------------------------------------------------------

# The leader starts a child that ignores SIGTERM and starts a grandchild that ignores it
# too; all three write their pid, then sleep, holding the output open.
GRANDCHILD = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
with open(sys.argv[1], "a") as f: f.write(f"{os.getpid()}\\n")
time.sleep(60)
"""
CHILD = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", sys.argv[2], sys.argv[1]])
with open(sys.argv[1], "a") as f: f.write(f"{os.getpid()}\\n")
time.sleep(60)
"""
LEADER = """
import os, subprocess, sys, time
pids = sys.argv[1]
with open(pids, "a") as f: f.write(f"{os.getpid()}\\n")
subprocess.Popen([sys.executable, "-c", sys.argv[2], pids, sys.argv[3]])
while len(open(pids).read().split()) < 3: time.sleep(0.01)
print("all started", flush=True)
time.sleep(60)
"""


def assert_all_gone(pids: list[int]) -> None:
    leader = pids[0]
    for pid in pids:
        assert wait_gone(pid), f"process {pid} survived"
    with pytest.raises(ChildProcessError):  # reaped already: no zombie of ours
        os.waitpid(leader, os.WNOHANG)


async def test_past_its_timeout_the_task_dies_with_its_children(
    folder: Path, log_dir: Path, tmp_path: Path
) -> None:
    """Default grace period: SIGTERM, then SIGKILL for the two that ignore it."""
    pid_file = tmp_path / "pids"
    spec = python(LEADER, str(pid_file), CHILD, GRANDCHILD, timeout_seconds=2)
    with killed_after(pid_file):
        started = time.monotonic()
        result = await run_task(spec, folder, log_dir=log_dir, on_output=ignore)
        elapsed = time.monotonic() - started
        pids = read_pids(pid_file, 3, seconds=0)
        assert result.timed_out and not result.cancelled
        assert result.exit_code == -signal.SIGTERM
        assert result.tail == "all started"
        assert 2 + runner.KILL_GRACE_SECONDS - 0.2 < elapsed < 2 + runner.KILL_GRACE_SECONDS + 3
        assert_all_gone(pids)
    assert "Timed out" in result.log_path.read_text()


@pytest.mark.usefixtures("quick_kill")
async def test_cancel_stops_the_task_and_its_children(
    folder: Path, log_dir: Path, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pids"
    cancel = asyncio.Event()
    tails: list[str] = []

    def on_output(tail: str) -> None:
        tails.append(tail)
        cancel.set()

    spec = python(LEADER, str(pid_file), CHILD, GRANDCHILD, timeout_seconds=60)
    with killed_after(pid_file):
        result = await run_task(
            spec, folder, log_dir=log_dir, on_output=on_output, output_interval=0.05, cancel=cancel
        )
        assert result.cancelled and not result.timed_out
        assert result.exit_code == -signal.SIGTERM
        assert result.duration < 10
        assert tails == ["all started"]
        assert_all_gone(read_pids(pid_file, 3, seconds=0))
    assert "Cancelled" in result.log_path.read_text()


async def test_a_cancel_already_set_runs_nothing(folder: Path, log_dir: Path) -> None:
    cancel = asyncio.Event()
    cancel.set()
    result = await run_task(
        python("open('RAN', 'w')"), folder, log_dir=log_dir, on_output=ignore, cancel=cancel
    )
    assert result.cancelled and result.exit_code is None
    assert not (folder / "RAN").exists()


@pytest.mark.usefixtures("quick_kill")
async def test_cancelling_run_task_kills_the_task(
    folder: Path, log_dir: Path, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pids"
    started = asyncio.Event()

    def on_output(_tail: str) -> None:
        started.set()

    spec = python(LEADER, str(pid_file), CHILD, GRANDCHILD, timeout_seconds=60)
    with killed_after(pid_file):
        running = asyncio.create_task(
            run_task(spec, folder, log_dir=log_dir, on_output=on_output, output_interval=0.05)
        )
        await asyncio.wait_for(started.wait(), 10)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        for pid in read_pids(pid_file, 3, seconds=0):
            assert wait_gone(pid), f"process {pid} survived"


@pytest.mark.usefixtures("quick_kill")
async def test_after_the_main_process_exits_leftovers_holding_the_output_are_stopped(
    folder: Path, log_dir: Path, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pids"
    code = (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', sys.argv[2], sys.argv[1], sys.argv[3]])\n"
        "import time\n"
        "while len(open(sys.argv[1]).read().split()) < 2: time.sleep(0.01)\n"
        "print('leader done')"
    )
    pid_file.write_text("")
    spec = python(code, str(pid_file), CHILD, GRANDCHILD, timeout_seconds=60)
    with killed_after(pid_file):
        result = await run_task(spec, folder, log_dir=log_dir, on_output=ignore)
        assert result.exit_code == 0
        assert not result.timed_out
        assert result.tail == "leader done"
        assert result.duration < 10
        for pid in read_pids(pid_file, 2, seconds=0):
            assert wait_gone(pid), f"process {pid} survived"


@pytest.mark.usefixtures("quick_kill")
async def test_a_process_that_left_the_group_cannot_hold_the_result_forever(
    folder: Path, log_dir: Path, tmp_path: Path
) -> None:
    """It escaped with setsid and keeps the output open: after a bounded drain the pipe is
    closed and the result returned (that process is beyond the task's group)."""
    pid_file = tmp_path / "pids"
    escaper = (
        "import os, sys, time\nos.setsid()\n"
        "with open(sys.argv[1], 'a') as f: f.write(f'{os.getpid()}\\n')\ntime.sleep(60)"
    )
    code = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', sys.argv[2], sys.argv[1]])\n"
        "while not open(sys.argv[1]).read().split(): time.sleep(0.01)\n"
        "print('leader done')"
    )
    pid_file.write_text("")
    spec = python(code, str(pid_file), escaper, timeout_seconds=60)
    with killed_after(pid_file):
        started = time.monotonic()
        result = await run_task(spec, folder, log_dir=log_dir, on_output=ignore)
        assert time.monotonic() - started < 5
        assert result.exit_code == 0 and not result.timed_out
        assert result.tail == "leader done"
        assert "still open" in result.log_path.read_text()


async def test_a_result_is_a_frozen_value(folder: Path, log_dir: Path) -> None:
    result = await run_task(python("print('ok')"), folder, log_dir=log_dir, on_output=ignore)
    assert isinstance(result, TaskResult)
    assert (result.exit_code, result.tail, result.output_bytes) == (0, "ok", 3)
    with pytest.raises(AttributeError):
        result.tail = "changed"  # type: ignore[misc]
