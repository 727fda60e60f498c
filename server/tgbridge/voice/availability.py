"""Is the voice add-on here? It is large (Whisper, CTranslate2, ONNX Runtime: ~300 MB), so
it is not bundled: `tgbridge voice install` (palette: *tgbridge: Enable Voice Notes*) puts
it into `<state dir>/voice-packages`, which the hub adds to `sys.path` at start. A
development install has it in the environment itself (`pip install tgbridge[voice]`)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from tgbridge.voice.whisper_local import model_dir

MISSING = "Voice notes need the voice add-on: run tgbridge: Enable Voice Notes in the editor."
MISSING_OPENAI = (
    "Voice notes through an OpenAI-compatible server need the openai package: update tgbridge."
)
PACKAGES_FOLDER = "voice-packages"


def packages_dir(state_dir: Path) -> Path:
    return state_dir / PACKAGES_FOLDER


def use_packages(state_dir: Path) -> Path:
    """Puts the add-on's folder on `sys.path` (after everything else, so the bundled
    libraries win). Added even before it exists: an install while the hub runs is found at
    the next note (`local_ready` clears the import caches)."""
    folder = str(packages_dir(state_dir))
    if folder not in sys.path:
        sys.path.append(folder)
    return Path(folder)


def local_ready() -> bool:
    """faster-whisper and the Whisper weights can be imported (nothing is imported yet)."""
    importlib.invalidate_caches()
    return importlib.util.find_spec("faster_whisper") is not None and model_dir() is not None


def openai_ready() -> bool:
    return importlib.util.find_spec("openai") is not None
