"""The hub against the loopback Telegram server, with real sidecars as editor windows:

- `window_attach_ms`: from a window's `initialized` to its first "online" connection state
  (the window sends `tgbridge/connect` with its saved session at once, as the extension
  does), median over windows opened one after another beside a hub that is already
  online; beside it the first window, which has to start the hub (Telethon imported, the
  connection to Telegram made). Target (issue 9): median <= 300 ms.
- `hub_rss_mb`: the hub's resident memory idle with 3 windows attached, beside one
  window's sidecar.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from tests.telegram.harness import API_HASH, API_ID, Sidecar, World, bot_login
from tests.telegram_server import RateLimits, TelegramServer

MAX_RUNS = 15  # each run starts and stops a sidecar process: keep the bench short
IDLE = 1.0  # seconds the hub is left alone before its memory is read
GONE_WITHIN = 15.0


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


async def _wait_gone(pid: int) -> None:
    """Waits for a hub that lingers out to let go of its lock (another process's exit:
    nothing to wake us, so this polls)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GONE_WITHIN
    while _running(pid):
        if loop.time() > deadline:
            raise RuntimeError(f"the hub (pid {pid}) did not stop")
        await asyncio.sleep(0.05)


def rss_mb(pid: int) -> float:
    """VmRSS of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def _hub_pid(window: Sidecar) -> int:
    pid: int = (await window.request("tgbridge/status", {}))["hubPid"]
    return pid


async def open_window(server: TelegramServer, state: Path, session: str) -> tuple[Sidecar, float]:
    """Starts a window's sidecar; returns it and the milliseconds from its `initialized`
    to its first "online" state."""
    window = Sidecar(server, state, logLevel="info")
    await window.start()  # `initialized` is sent as this returns
    started = time.perf_counter()
    params = {"apiId": API_ID, "apiHash": API_HASH, "session": session}
    connecting = asyncio.ensure_future(window.request("tgbridge/connect", params))
    try:
        await window.wait_state("online", within=30)
        elapsed = (time.perf_counter() - started) * 1000
        await connecting
    except BaseException:
        connecting.cancel()
        await window.stop()
        raise
    return window, elapsed


async def measure(runs: int) -> tuple[float, float, float, float]:
    """(median attach ms, first window with hub start ms, hub RSS MB, sidecar RSS MB)."""
    async with TelegramServer(limits=RateLimits(enabled=False)) as server:
        bot = server.world.add_bot("tgbridge", username="tgbridge_bot")
        user = server.world.add_user("Ann", phone="+15550000001")
        world = World(server, bot, user)
        with tempfile.TemporaryDirectory() as folder:
            state = Path(folder)
            # Log in once, as the user did some day; that window's hub leaves with it.
            login = await Sidecar(server, state, logLevel="info").start()
            try:
                session = await bot_login(login, world)
                first_hub = await _hub_pid(login)
            finally:
                await login.stop()
            await _wait_gone(first_hub)
            windows: list[Sidecar] = []
            try:
                first, with_hub_start = await open_window(server, state, session)
                windows.append(first)
                hub = await _hub_pid(first)
                samples: list[float] = []
                for _ in range(runs):
                    window, elapsed = await open_window(server, state, session)
                    samples.append(elapsed)
                    await window.stop()
                for _ in range(2):
                    windows.append((await open_window(server, state, session))[0])
                await asyncio.sleep(IDLE)
                hub_rss = rss_mb(hub)
                assert first.client is not None and first.client._server is not None
                sidecar_rss = rss_mb(first.client._server.pid)
            finally:
                for window in windows:
                    await window.stop()
            await _wait_gone(hub)
    return statistics.median(samples), with_hub_start, hub_rss, sidecar_rss


def hub_lines(runs: int) -> list[str]:
    attach, with_hub_start, hub_rss, sidecar_rss = asyncio.run(measure(max(3, min(runs, MAX_RUNS))))
    return [
        f"window_attach_ms: {attach:.0f} ms (first window with hub start: {with_hub_start:.0f} ms)",
        f"hub_rss_mb: {hub_rss:.0f} MB (baseline, one window's sidecar: {sidecar_rss:.0f} MB)",
    ]
