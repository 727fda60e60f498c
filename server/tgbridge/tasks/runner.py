"""Runs a declared task: its argv is exec'd, never through a shell, in its cwd inside the
workspace folder, with a minimal environment, in a session (process group) of its own.

Its output (stdout and stderr together) goes whole to a private log file, and a bounded
tail of it, cleaned for display, to the caller at most once per interval. Past its
timeout, or when cancelled, the whole process group is stopped: SIGTERM, then SIGKILL
for whatever is left after a grace period, so children and grandchildren die too.

The output comes through a pipe this module owns (not asyncio's stdout=PIPE, whose
`wait()` also waits for the pipe to close): a process that left the group but kept the
output open can delay the result by a bounded drain time, never hold it forever.
"""

from __future__ import annotations

import asyncio
import codecs
import inspect
import logging
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tgbridge.store.files import private_dir
from tgbridge.tasks.spec import TaskSpec

log = logging.getLogger(__name__)

# Passed from the hub's environment to every task, with TERM=dumb; a task's `env` adds to it.
BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL")
FIXED_ENV: Mapping[str, str] = {"TERM": "dumb"}
TAIL_LINES = 30
LOG_FILE_MODE = 0o600
# After SIGTERM to the group, how long its processes have to exit before SIGKILL.
KILL_GRACE_SECONDS = 3.0
# How long to wait for the end of the output once the main process is gone (or killed).
DRAIN_SECONDS = 2.0
# How long an on_output call still running when the task ends may take before it is cancelled.
CALLBACK_GRACE_SECONDS = 10.0
_POLL_SECONDS = 0.05

OnOutput = Callable[[str], Awaitable[None] | None]


@dataclass(frozen=True)
class TaskResult:
    name: str
    exit_code: int | None  # None: it did not start (see tail); negative: killed by that signal
    duration: float  # seconds
    timed_out: bool
    cancelled: bool
    log_path: Path
    tail: str  # the last lines of the output, cleaned for display
    output_bytes: int


# CSI, OSC (ended by BEL or ST), DCS/SOS/PM/APC strings, other escapes, 8-bit CSI, and an
# escape cut off at the end of the text (the rest of it has not arrived yet).
_ANSI = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)
    | \x1b[PX^_][^\x1b]*\x1b\\
    | \x1b[ -/]*[0-~]
    | \x9b[0-?]*[ -/]*[@-~]
    | \x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[PX^_][^\x1b]*|[ -/]*)\Z
    """,
    re.VERBOSE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but \t and \n


def _overwrite(row: str) -> str:
    """A line as a terminal shows it after carriage returns (progress bars)."""
    if "\r" not in row:
        return row
    shown = ""
    for part in row.split("\r"):
        shown = part + shown[len(part) :]
    return shown


def clean_tail(text: str, chars: int, lines: int = TAIL_LINES) -> str:
    """The last `lines` lines, at most `chars` characters, of terminal output: escape
    sequences and control characters removed, carriage returns applied, trailing
    whitespace dropped."""
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    text = "\n".join(_overwrite(row) for row in text.split("\n"))
    text = _CONTROL.sub("", text).rstrip()
    text = "\n".join(text.split("\n")[-lines:])
    return text[-chars:] if chars > 0 else ""


class OutputTail:
    """The end of a stream of bytes as text, in bounded memory whatever the stream's size:
    UTF-8 decoded incrementally (errors replaced), only the last few times `chars`
    characters kept."""

    def __init__(self, chars: int, lines: int = TAIL_LINES) -> None:
        self._chars = chars
        self._lines = lines
        # Room for escape sequences and carriage-return rewrites the display drops.
        self._keep = 4 * chars + 1024
        self._text = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    @property
    def buffered_chars(self) -> int:
        return len(self._text)

    def feed(self, data: bytes) -> None:
        most = 4 * self._keep  # bytes enough for `_keep` characters of UTF-8
        if len(data) > most:
            self._decoder.reset()  # what came before is dropped anyway
            self._text = self._decoder.decode(data[-most:])
        else:
            self._text += self._decoder.decode(data)
        if len(self._text) > 2 * self._keep:  # trimmed now and then, not on every chunk
            self._text = self._text[-self._keep :]

    def finish(self) -> None:
        self._text += self._decoder.decode(b"", final=True)

    def text(self) -> str:
        return clean_tail(self._text, self._chars, self._lines)


def resolve_cwd(spec: TaskSpec, folder: Path) -> Path:
    """The task's cwd inside the workspace folder, symlinks resolved; ValueError when it
    leads outside."""
    root = folder.resolve()
    cwd = (root / spec.cwd).resolve()
    if not cwd.is_relative_to(root):
        raise ValueError(
            f"Task {spec.name!r}: its cwd {spec.cwd!r} leads outside the workspace folder."
        )
    return cwd


def task_env(spec: TaskSpec, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The task's environment: PATH, HOME, LANG, LC_ALL and the task's allowlisted names
    when the hub has them, and TERM=dumb. Nothing else of the hub's environment."""
    source = os.environ if environ is None else environ
    env = {name: source[name] for name in (*BASE_ENV, *spec.env) if name in source}
    env.update(FIXED_ENV)
    return env


def _open_log(log_dir: Path, name: str) -> tuple[Path, int]:
    """A new log file `<name>-<timestamp>.log`, 0600, in the 0700 folder `log_dir`."""
    private_dir(log_dir)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 1000):
        suffix = "" if attempt == 1 else f"-{attempt}"
        path = log_dir / f"{name}-{stamp}{suffix}.log"
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, LOG_FILE_MODE)
        except FileExistsError:
            continue
        os.fchmod(descriptor, LOG_FILE_MODE)  # whatever the umask
        return path, descriptor
    raise FileExistsError(f"No free log file name for {name}-{stamp} in {log_dir}")


class _Output:
    """Where the task's output goes: the log file, the tail, and a wake-up for the notifier."""

    def __init__(self, descriptor: int, tail: OutputTail) -> None:
        self.descriptor = descriptor
        self.tail = tail
        self.size = 0
        self.new = asyncio.Event()
        self._log_failed = False

    def write_log(self, data: bytes) -> None:
        if self._log_failed:
            return
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.descriptor, view) :]
        except OSError as exc:  # e.g. a full disk: the task goes on, its log stops
            self._log_failed = True
            log.warning("Task log write failed: %s", exc)

    def note(self, text: str) -> None:
        self.write_log(f"[tgbridge] {text}\n".encode())

    def feed(self, data: bytes) -> None:
        self.size += len(data)
        self.write_log(data)
        self.tail.feed(data)
        self.new.set()


class _PipeProtocol(asyncio.Protocol):
    def __init__(self, output: _Output, closed: asyncio.Future[None]) -> None:
        self._output = output
        self.closed = closed

    def data_received(self, data: bytes) -> None:
        self._output.feed(data)

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _Notifier:
    """Calls on_output with the latest tail when there is new output, at most once per
    interval, in a task of its own: a slow on_output never holds up reading the output,
    and tails that went stale while it ran are skipped, not queued."""

    def __init__(self, on_output: OnOutput, interval: float, output: _Output) -> None:
        self._on_output = on_output
        self._interval = interval
        self._output = output
        self._calling = False
        self._closing = False
        self._task = asyncio.create_task(self._run(), name="tgbridge-task-output")

    async def _run(self) -> None:
        while True:
            await self._output.new.wait()
            self._output.new.clear()
            self._calling = True
            try:
                pending = self._on_output(self._output.tail.text())
                if inspect.isawaitable(pending):
                    await pending
            except Exception:
                log.exception("A task's on_output callback failed")
            finally:
                self._calling = False
            if self._closing:
                return
            await asyncio.sleep(self._interval)

    async def close(self) -> None:
        """No more calls; one under way may finish (for a bounded time), so that it never
        lands after what the caller does with the result."""
        self._closing = True
        if self._calling:
            await asyncio.wait({self._task}, timeout=CALLBACK_GRACE_SECONDS)
        self.abort()
        await asyncio.wait({self._task})

    def abort(self) -> None:
        self._closing = True
        self._task.cancel()


def _signal_group(pgid: int, sig: int) -> bool:
    """Signals the process group; False when it has no process left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:  # macOS, when only a zombie is left
        return False
    return True


async def _stop_group(pgid: int, exited: asyncio.Future[int]) -> bool:
    """SIGTERM to the whole group; SIGKILL to whatever is left of it after the grace
    period, including processes that ignore SIGTERM. False when no process was left."""
    if not _signal_group(pgid, signal.SIGTERM):
        return False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + KILL_GRACE_SECONDS
    while loop.time() < deadline:
        await asyncio.sleep(_POLL_SECONDS)
        # The leader counts until it is reaped (exited), then any process of its group.
        if exited.done() and not _signal_group(pgid, 0):
            return True
    _signal_group(pgid, signal.SIGKILL)
    return True


async def _within(future: asyncio.Future[Any], seconds: float) -> bool:
    """Whether the future is done within the time, without cancelling it."""
    if not future.done():
        await asyncio.wait({future}, timeout=seconds)
    return future.done()


def _spawn_error_result(
    spec: TaskSpec, output: _Output, log_path: Path, exc: OSError, started: float
) -> TaskResult:
    message = f"Could not start the task: {exc}"
    output.note(message)
    return TaskResult(
        name=spec.name,
        exit_code=None,
        duration=time.monotonic() - started,
        timed_out=False,
        cancelled=False,
        log_path=log_path,
        tail=message,
        output_bytes=0,
    )


async def run_task(
    spec: TaskSpec,
    folder: Path,
    *,
    log_dir: Path,
    on_output: OnOutput,
    output_interval: float = 1.5,
    tail_chars: int = 3000,
    cancel: asyncio.Event | None = None,
) -> TaskResult:
    """Runs the task in `folder` (its workspace folder) and returns how it ended.

    ValueError when its cwd leads outside the folder; OSError when its log file cannot be
    made. A task that cannot start (missing executable or cwd, not executable) is a result
    with exit_code None and the reason in its tail, and in its log. on_output gets the
    tail as the output grows, at most once per output_interval; the final tail is only in
    the result. When run_task itself is cancelled, the task's process group is killed
    before the cancellation propagates."""
    if output_interval <= 0:
        raise ValueError("output_interval must be positive")
    cwd = resolve_cwd(spec, folder)
    env = task_env(spec)
    log_path, descriptor = _open_log(log_dir, spec.name)
    output = _Output(descriptor, OutputTail(tail_chars))
    started = time.monotonic()
    try:
        output.note(f"Task {spec.name}: {shlex.join(spec.argv)}")
        output.note(f"In {cwd}, started {datetime.now().isoformat(timespec='seconds')}")
        if cancel is not None and cancel.is_set():
            output.note("Cancelled before it started.")
            return TaskResult(
                name=spec.name,
                exit_code=None,
                duration=0.0,
                timed_out=False,
                cancelled=True,
                log_path=log_path,
                tail="",
                output_bytes=0,
            )
        read_end, write_end = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                spec.argv[0],
                *spec.argv[1:],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=write_end,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            os.close(read_end)
            return _spawn_error_result(spec, output, log_path, exc, started)
        finally:
            os.close(write_end)  # the task's processes hold the only write ends now
        return await _supervise(
            spec, process, read_end, output, on_output, output_interval, cancel, started, log_path
        )
    finally:
        os.close(descriptor)


async def _supervise(
    spec: TaskSpec,
    process: asyncio.subprocess.Process,
    read_end: int,
    output: _Output,
    on_output: OnOutput,
    output_interval: float,
    cancel: asyncio.Event | None,
    started: float,
    log_path: Path,
) -> TaskResult:
    loop = asyncio.get_running_loop()
    pgid = process.pid  # a new session: the leader's pid is the group's id
    closed: asyncio.Future[None] = loop.create_future()
    exited = asyncio.ensure_future(process.wait())
    cancelled_wait = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
    pipe = os.fdopen(read_end, "rb", buffering=0)
    transport: asyncio.BaseTransport | None = None
    notifier: _Notifier | None = None
    timed_out = was_cancelled = finished = False
    try:
        # The transport owns (and closes) the pipe from here on.
        transport, _ = await loop.connect_read_pipe(lambda: _PipeProtocol(output, closed), pipe)
        notifier = _Notifier(on_output, output_interval, output)
        waits: set[asyncio.Future[Any]] = {exited}
        if cancelled_wait is not None:
            waits.add(cancelled_wait)
        await asyncio.wait(waits, timeout=spec.timeout_seconds, return_when=asyncio.FIRST_COMPLETED)
        if not exited.done():
            was_cancelled = cancelled_wait is not None and cancelled_wait.done()
            timed_out = not was_cancelled
            output.note("Cancelled: stopping it." if was_cancelled else "Timed out: stopping it.")
            await _stop_group(pgid, exited)
        if not await _within(closed, DRAIN_SECONDS):
            # Something still holds the output open after the task is over.
            stopped = False
            if not (timed_out or was_cancelled):
                output.note("Its main process exited; stopping what still holds its output.")
                stopped = await _stop_group(pgid, exited)
            if not (stopped and await _within(closed, DRAIN_SECONDS)):
                output.note("Its output is still open (held by a process outside its group?).")
        await _within(exited, DRAIN_SECONDS)
        transport.close()
        await notifier.close()
        finished = True
    finally:
        if not finished:  # run_task was cancelled or failed: leave nothing running
            _signal_group(pgid, signal.SIGKILL)
            if notifier is not None:
                notifier.abort()
            if transport is not None:
                transport.close()
            else:
                pipe.close()
        for waiter in (exited, cancelled_wait):
            if waiter is not None and not waiter.done():
                waiter.cancel()
    output.tail.finish()
    duration = time.monotonic() - started
    exit_code = process.returncode
    output.note(f"Exit code {exit_code} after {duration:.1f} s.")
    return TaskResult(
        name=spec.name,
        exit_code=exit_code,
        duration=duration,
        timed_out=timed_out,
        cancelled=was_cancelled,
        log_path=log_path,
        tail=output.tail.text(),
        output_bytes=output.size,
    )
