"""Installs requirements/runtime.txt into bundled/libs/py3.X for each supported Python.

The current interpreter's platform tags are used for every version, so the .vsix carries
compiled wheels (pydantic-core, cryptg) for this platform and each Python version. What
is the same for every version (pure Python: most of it, the model SDKs' thousands of
files among it) is then kept once, in bundled/libs/common, on the path after py3.X.
"""

from __future__ import annotations

import hashlib
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
    shared = share_pure(libs)
    print(f"{shared} entries the same for every version kept once in bundled/libs/common")


def share_pure(libs: Path) -> int:
    """Moves every top-level entry that is byte-identical in all py3.X folders to
    libs/common; returns how many moved."""
    folders = [libs / f"py{version}" for version in VERSIONS]
    common = libs / "common"
    common.mkdir()
    moved = 0
    for entry in sorted(folders[0].iterdir()):
        digests = {tree_digest(folder / entry.name) for folder in folders}
        if len(digests) != 1 or None in digests:
            continue
        shutil.move(entry, common / entry.name)
        for folder in folders[1:]:
            remove(folder / entry.name)
        moved += 1
    return moved


def tree_digest(path: Path) -> str | None:
    """A digest of a file, or of a folder's relative paths and contents; None if absent."""
    if not path.exists():
        return None
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(path.parent)).encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


if __name__ == "__main__":
    main()
