"""An OpenAI-compatible transcription server (`audio.transcriptions.create`): OpenAI
itself, or a local one that speaks the same API (faster-whisper-server, LocalAI, ...) at
`tgbridge.voice.openaiBaseUrl`. The key is the one set in the editor for an openai
provider (tgbridge: Set Language Model Key), else OPENAI_API_KEY, never from settings; a
local server that wants none gets a placeholder."""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from pathlib import Path
from typing import Any

from tgbridge.voice.transcriber import NoteTooLong, Transcript


class OpenAITranscriber:
    def __init__(
        self, base_url: str, model: str, max_seconds: int, *, key: str | None = None
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.key = key
        self.max_seconds = max_seconds
        self._client: Any = None

    async def transcribe(self, path: Path) -> Transcript:
        duration = await asyncio.to_thread(audio_seconds, path)
        if duration > self.max_seconds:
            raise NoteTooLong(duration, self.max_seconds)
        started = time.perf_counter()
        result = await self._openai().audio.transcriptions.create(model=self.model, file=path)
        text = str(getattr(result, "text", result)).strip()
        language = str(getattr(result, "language", None) or "")
        return Transcript(text, language, duration, time.perf_counter() - started)

    def _openai(self) -> Any:
        if self._client is None:
            from openai import AsyncOpenAI

            key = self.key or os.environ.get("OPENAI_API_KEY") or "none"
            self._client = AsyncOpenAI(base_url=self.base_url, api_key=key, max_retries=1)
        return self._client


def audio_seconds(path: Path) -> float:
    """The note's length when PyAV is there to read it (the voice add-on); 0 otherwise."""
    try:
        av: Any = importlib.import_module("av")
    except ImportError:
        return 0.0
    try:
        with av.open(str(path)) as container:
            return float(container.duration or 0) / float(av.time_base)
    except (OSError, ValueError, av.FFmpegError):
        return 0.0
