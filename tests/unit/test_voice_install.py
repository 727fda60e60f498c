"""`tgbridge voice install`: the pinned add-on goes into its own folder, with progress as
JSON lines the editor shows; a failed install says why and leaves no half folder."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tgbridge.voice.availability import packages_dir, use_packages
from tgbridge.voice.install import REQUIREMENTS, install

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_pins_are_requirements_voice_txt() -> None:
    listed = (ROOT / "requirements" / "voice.txt").read_text().splitlines()
    pins = [line for line in listed if line.strip() and not line.startswith("#")]
    assert REQUIREMENTS.splitlines() == pins
    assert all("==" in pin for pin in pins)


def make_wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel, so pip installs without any index."""
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ),
        f"{name}-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [
        f"{path},sha256="
        + base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).decode().rstrip("=")
        + f",{len(text.encode())}"
        for path, text in files.items()
    ]
    files[f"{name}-{version}.dist-info/RECORD"] = "\n".join(
        [*record, f"{name}-{version}.dist-info/RECORD,,"]
    )
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def test_an_install_reports_progress_and_replaces_the_old_add_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "demo_voice_a", "1.0")
    make_wheel(wheels, "demo_voice_b", "2.0")
    target = tmp_path / "state" / "voice-packages"
    (target / "stale").mkdir(parents=True)
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # the wheels above, never an index
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    lines: list[dict[str, object]] = []
    code = install(
        target, requirements="demo_voice_a==1.0\ndemo_voice_b==2.0\n", report=lines.append
    )

    assert code == 0, lines
    percents = [int(str(line["percent"])) for line in lines]
    assert percents == sorted(percents) and percents[0] == 0 and percents[-1] == 100
    steps = [line["step"] for line in lines]
    assert any("demo_voice_a" in str(step) for step in steps)
    assert steps[-1] == "Voice notes are ready"
    assert (target / "demo_voice_a" / "__init__.py").is_file()
    assert (target / "demo_voice_b" / "__init__.py").is_file()
    assert not (target / "stale").exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["voice-packages"]


def test_a_failed_install_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "voice-packages"
    done = subprocess.run(
        [sys.executable, "-m", "tgbridge", "voice", "install", "--target", str(target)],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path)},
        timeout=120,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1
    assert lines[0] == {"step": "Preparing the voice add-on", "percent": 0}
    assert lines[-1]["step"] == "Could not install the voice add-on"
    assert "No matching distribution" in lines[-1]["error"]
    assert list(tmp_path.iterdir()) == []


def test_the_hub_looks_for_the_add_on_in_the_state_dir(tmp_path: Path) -> None:
    before = list(sys.path)
    try:
        folder = use_packages(tmp_path)
        assert folder == packages_dir(tmp_path) == tmp_path / "voice-packages"
        assert sys.path[-1] == str(folder)  # after the bundled libraries
        use_packages(tmp_path)
        assert sys.path.count(str(folder)) == 1
    finally:
        sys.path[:] = before


def test_a_cancelled_install_leaves_nothing_behind(tmp_path: Path) -> None:
    """Cancel in the editor sends SIGTERM to the install's process group while pip works:
    the half-made folder goes."""
    import signal
    import socket

    silent = socket.socket()  # an index that never answers: pip waits on it
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    target = tmp_path / "voice-packages"
    index = f"http://127.0.0.1:{silent.getsockname()[1]}/simple"
    process = subprocess.Popen(
        [sys.executable, "-m", "tgbridge", "voice", "install", "--target", str(target)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PIP_INDEX_URL": index, "PIP_TIMEOUT": "60", "PIP_RETRIES": "0"},
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        assert first["step"] == "Preparing the voice add-on"
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=30) == 143
    finally:
        process.kill()
        silent.close()
    assert list(tmp_path.iterdir()) == []
