"""The workspace watcher and git state on a large repository (50,000 committed files in
nested directories, 500 of them changed: modified, staged, untracked):

- `status_reply_ms`: the median time to build the phone's /status reply from the warm
  cache the watcher keeps (`GitState.snapshot_async()` with nothing changed, then the
  bot's own `describe()`), over 20 runs; beside it the cold full scan (`git status`). Target:
  <= 20 ms.
- `burst_events`: a child process rewrites 10,000 files of the registered folder; the
  coalesced events delivered, and the seconds from the end of the burst to the last of
  them; then the process's CPU use over the 2 s after it. Target: 1 event within 1 s.
- `hub_rss_mb_50k`: the peak RSS (VmHWM) of a fresh Python process that imports the
  hub's Telegram service and the workspace registry, registers the repository (watcher
  started, one snapshot taken). Target: <= 120 MB.

`python -m tests.bench.workspace` runs it alone.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from tgbridge.bot.commands.workspace import describe
from tgbridge.bot.text import Text
from tgbridge.workspace.git_state import GitSnapshot
from tgbridge.workspace.registry import Workspaces
from tgbridge.workspace.watcher import WorkspaceChange

TOP, SUB, PER_DIR = 20, 25, 100  # 20 * 25 directories of 100 files: 50,000 files
MODIFIED, STAGED, UNTRACKED = 300, 100, 100
BURST = 10_000
WARM_RUNS = 20
COLD_RUNS = 3
IDLE = 2.0  # seconds of CPU measured after the burst's last event
QUIET = 2.0  # no event for this long ends the burst's count
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, input=stdin)


def tracked(index: int) -> str:
    a, rest = divmod(index, SUB * PER_DIR)
    b, c = divmod(rest, PER_DIR)
    return f"pkg{a:02}/mod{b:02}/file{c:03}.py"


def build_repository(folder: Path) -> None:
    """50,000 small files committed in one `git fast-import`, checked out, then 500 of
    them changed."""
    _git(folder, "init", "-q", "-b", "main")
    parts = [b"commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\n"]
    parts.append(b"data 7\ninitial\n")
    ignore = b"*.log\nbuild/\n"
    parts.append(b"M 100644 inline .gitignore\ndata %d\n%s\n" % (len(ignore), ignore))
    for index in range(TOP * SUB * PER_DIR):
        content = f"VALUE_{index} = {index}\n".encode()
        path = tracked(index).encode()
        parts.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path, len(content), content))
    _git(folder, "fast-import", "--quiet", stdin=b"".join(parts))
    _git(folder, "reset", "-q", "--hard")
    step = TOP * SUB * PER_DIR // (MODIFIED + STAGED)
    changed = [tracked(index * step) for index in range(MODIFIED + STAGED)]
    for relative in changed:
        with open(folder / relative, "a") as file:
            file.write("# changed\n")
    staged = "\0".join(changed[MODIFIED:]).encode()
    _git(folder, "add", "--pathspec-from-file=-", "--pathspec-file-nul", stdin=staged)
    (folder / "new").mkdir()
    for index in range(UNTRACKED):
        (folder / "new" / f"untracked{index:03}.py").write_text(f"NEW = {index}\n")


def reply_text(folder: Path, snapshot: GitSnapshot) -> str:
    """The workspace part of the phone's /status reply, built as the bot builds it."""
    text = Text()
    describe(text, folder, snapshot)
    return text.part().text


async def status_reply(folder: Path) -> tuple[float, float, str]:
    """(warm median ms, cold median ms, the reply)."""
    workspaces = Workspaces(loop=asyncio.get_running_loop())
    try:
        state = workspaces.register(folder)
        cold: list[float] = []
        for _ in range(COLD_RUNS):
            state.invalidate()
            started = time.perf_counter()
            reply_text(folder, await state.snapshot_async())
            cold.append((time.perf_counter() - started) * 1000)
        warm: list[float] = []
        for _ in range(WARM_RUNS):
            started = time.perf_counter()
            reply = reply_text(folder, await state.snapshot_async())
            warm.append((time.perf_counter() - started) * 1000)
        return statistics.median(warm), statistics.median(cold), reply
    finally:
        workspaces.close()


BURST_CHILD = textwrap.dedent(
    """
    import sys, time
    from tests.bench.workspace import BURST, tracked
    folder = sys.argv[1]
    started = time.perf_counter()
    for index in range(BURST):
        with open(f"{folder}/{tracked(index * 5)}", "w") as file:
            file.write(f"BURST_{index} = {index}\\n")
    print(time.perf_counter() - started)
    """
)


async def burst(folder: Path) -> tuple[int, int, float, float, float]:
    """(events, changed paths they report, seconds from the burst's end to its last
    event, idle CPU %, seconds the burst's writes took)."""
    events: list[tuple[float, WorkspaceChange]] = []
    arrived = asyncio.Event()

    def changed(change: WorkspaceChange) -> None:
        events.append((time.perf_counter(), change))
        arrived.set()

    workspaces = Workspaces(loop=asyncio.get_running_loop(), on_change=changed)
    try:
        workspaces.register(folder)
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            BURST_CHILD,
            str(folder),
            cwd=Path(__file__).parents[2],
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await child.communicate()
        if child.returncode != 0:
            raise RuntimeError("the burst's writer failed")
        writing = float(output)
        ended = time.perf_counter()
        while True:  # count events until QUIET seconds pass without one
            arrived.clear()
            try:
                await asyncio.wait_for(arrived.wait(), QUIET if events else 30.0)
            except TimeoutError:
                if events:
                    break
                raise RuntimeError("the burst produced no event") from None
        last = events[-1][0]
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        await asyncio.sleep(IDLE)
        cpu = time.process_time() - cpu_before
        idle = 100 * cpu / (time.perf_counter() - wall_before)
        paths = sum(change.count for _, change in events)
        return len(events), paths, last - ended, idle, writing
    finally:
        workspaces.close()


RSS_CHILD = textwrap.dedent(
    """
    import asyncio, resource, sys
    from pathlib import Path
    import tgbridge.telegram.service  # noqa: F401  (the hub has Telethon loaded too)
    from tgbridge.workspace.registry import Workspaces

    async def main() -> None:
        workspaces = Workspaces(loop=asyncio.get_running_loop())
        state = workspaces.register(Path(sys.argv[1]))
        assert workspaces.watching(Path(sys.argv[1]))
        await state.snapshot_async()
        workspaces.close()

    asyncio.run(main())
    # VmHWM, this process's own peak: ru_maxrss would also count the pages of the
    # parent that forked it (Linux keeps the larger of the two across exec).
    try:
        with open("/proc/self/status") as status:
            hwm = [line for line in status if line.startswith("VmHWM:")]
        print(hwm[0].split()[1])
    except (OSError, IndexError):
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)


def peak_rss_mb(folder: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", RSS_CHILD, str(folder)],
        cwd=Path(__file__).parents[2],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout.split()[-1]) / 1024  # both are in KiB on Linux


def run(report: Callable[[str], None]) -> None:
    with tempfile.TemporaryDirectory(prefix="tgbridge-bench-") as temporary:
        folder = Path(temporary) / "repo"
        folder.mkdir()
        build_repository(folder)
        warm, cold, _ = asyncio.run(status_reply(folder))
        report(f"status_reply_ms: {warm:.3f} ms (cold full scan: {cold:.0f} ms)")
        rss = peak_rss_mb(folder)
        events, paths, seconds, idle, writing = asyncio.run(burst(folder))
        report(
            f"burst_events: {events} in {seconds:.2f} s (the writes took {writing:.2f} s,"
            f" max_delay 1 s; {paths} changed paths reported; idle cpu: {idle:.1f}%)"
        )
        report(f"hub_rss_mb_50k: {rss:.0f} MB")


if __name__ == "__main__":
    run(lambda line: print(line, flush=True))
