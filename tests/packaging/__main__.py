"""Starts the sidecar from the bundled libraries with every Python 3.11-3.13 on PATH and
asks it for its status: the packaged extension must run on its own libraries.

`python -m tests.packaging` (after scripts/package); exits 1 when any interpreter fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.bench.startup import INITIALIZE, frame, read_message

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ["3.11", "3.12", "3.13"]


def status_with(python: str, version: str) -> dict[str, object]:
    env = bundled_env(version)
    # The model SDKs are loaded only when a model is asked: they must import too.
    subprocess.run(
        [python, "-s", "-c", "import tgbridge.llm.router, openai, anthropic, ollama"],
        env=env,
        cwd="/",
        check=True,
    )
    process = subprocess.Popen(
        [python, "-s", "-m", "tgbridge", "serve", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        cwd="/",
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(frame(INITIALIZE))
    process.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    process.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "tgbridge/status"}))
    process.stdin.flush()
    try:
        while (message := read_message(process.stdout)).get("id") != 2:
            pass
    finally:
        process.kill()
        process.wait()
    result = message.get("result")
    if not isinstance(result, dict):
        raise RuntimeError(f"no status: {json.dumps(message)}")
    return result


def bundled_env(version: str) -> dict[str, str]:
    """The environment the extension gives the sidecar: its server/, the libraries for
    this version, then those shared by every version."""
    libs = ROOT / "bundled" / "libs"
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL"))
    }
    paths = [ROOT / "server", libs / f"py{version}", libs / "common"]
    env["PYTHONPATH"] = os.pathsep.join(str(path) for path in paths)
    return env


def find_python(version: str) -> str | None:
    """python3.X on PATH, or one that pyenv installed but did not activate."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(
        str(p) for p in Path.home().glob(f".pyenv/versions/{version}*/bin/python3")
    )
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys"], capture_output=True)
        if probe.returncode == 0:
            return candidate
    return None


def main() -> int:
    checked, failed = 0, 0
    for version in VERSIONS:
        python = find_python(version)
        if python is None:
            print(f"python{version}: not found, not checked")
            continue
        checked += 1
        try:
            status = status_with(python, version)
            print(f"python{version} ({python}): sidecar {status['version']} answered")
        except Exception as error:
            failed += 1
            print(f"python{version}: FAILED: {error}")
    if checked == 0:
        print("no Python 3.11-3.13 found to check the bundle with")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
