"""Installs requirements/runtime.txt into bundled/libs/py3.X for each supported Python.

The current interpreter's platform tags are used for every version, so the .vsix carries
compiled wheels (pydantic-core, cryptg) for this platform and each Python version.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from packaging.tags import sys_tags

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ["3.11", "3.12", "3.13"]


def pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check", *args]
    done = subprocess.run(command, capture_output=True, text=True)
    noise = "is ignored: it is neither a file nor a directory"
    sys.stderr.write("".join(line for line in done.stderr.splitlines(True) if noise not in line))
    done.check_returncode()


def main() -> None:
    requirements = ROOT / "requirements" / "runtime.txt"
    wheels = ROOT / ".tools" / "wheels"
    libs = ROOT / "bundled" / "libs"
    shutil.rmtree(libs, ignore_errors=True)
    # Source-only requirements (pure Python) become wheels once, usable by every version.
    pip("wheel", "--no-deps", "-r", str(requirements), "-w", str(wheels))
    platforms: list[str] = []
    for tag in sys_tags():
        if tag.platform not in platforms and tag.platform != "any":
            platforms.append(tag.platform)
    for version in VERSIONS:
        target = libs / f"py{version}"
        platform_args = [arg for platform in platforms for arg in ("--platform", platform)]
        pip(
            "install",
            "--no-deps",
            "--only-binary=:all:",
            "--no-compile",
            "--python-version",
            version,
            "--implementation",
            "cp",
            *platform_args,
            "--find-links",
            str(wheels),
            "--target",
            str(target),
            "-r",
            str(requirements),
        )
        for cache in target.rglob("__pycache__"):
            shutil.rmtree(cache)
        print(f"bundled libraries for Python {version} in {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
