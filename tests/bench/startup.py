"""Cold start: process start to the initialize result, over stdio with LSP framing."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import IO

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "processId": os.getpid(),
        "rootUri": None,
        "capabilities": {},
        "initializationOptions": {"settings": {}},
    },
}


def frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_message(stream: IO[bytes]) -> dict[str, object]:
    length = 0
    while (line := stream.readline().strip()) != b"":
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    if length == 0:
        raise RuntimeError("the server closed its output before answering initialize")
    message: dict[str, object] = json.loads(stream.read(length))
    return message


def time_to_initialize(command: list[str], env: dict[str, str] | None = None) -> float:
    """Milliseconds from spawning `command` to its initialize result."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(frame(INITIALIZE))
    process.stdin.flush()
    while "result" not in (message := read_message(process.stdout)) or message.get("id") != 1:
        pass
    elapsed = (time.perf_counter() - started) * 1000
    process.kill()
    process.wait()
    return elapsed


def median_startups(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Interleaves the commands run by run, rotating who goes first, after one discarded
    warm-up round, so machine noise and cache effects hit each alike."""
    names = list(commands)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        time_to_initialize(commands[name])
    for run in range(runs):
        for name in names[run % len(names) :] + names[: run % len(names)]:
            samples[name].append(time_to_initialize(commands[name]))
    return {name: statistics.median(values) for name, values in samples.items()}


def startup_line(python: str, pylsp_python: str, runs: int) -> str:
    here = Path(__file__).parent
    medians = median_startups(
        {
            "tgbridge": [python, "-m", "tgbridge", "serve", "--stdio"],
            "pygls": [python, str(here / "bare_pygls.py")],
            "pylsp": [pylsp_python, "-m", "pylsp"],
        },
        runs,
    )
    ratio = medians["tgbridge"] / medians["pygls"]
    return (
        f"startup_ms: {medians['tgbridge']:.0f} ms (baseline pygls: {medians['pygls']:.0f} ms, "
        f"ratio: {ratio:.2f}; pylsp: {medians['pylsp']:.0f} ms)"
    )
