"""What turns a voice note into text: a `Transcriber` takes an audio file and gives back a
`Transcript`. Two kinds: Whisper on this machine (`whisper_local.py`) and an
OpenAI-compatible server (`openai_transcriber.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    duration_s: float  # the note's length; 0 when the provider does not say
    seconds_taken: float


class Transcriber(Protocol):
    async def transcribe(self, path: Path) -> Transcript: ...


class NoteTooLong(Exception):
    """The note is longer than `tgbridge.voice.maxSeconds`: not transcribed."""

    def __init__(self, duration_s: float, max_seconds: int) -> None:
        super().__init__(f"{duration_s:.0f} s is over the {max_seconds} s limit")
        self.duration_s = duration_s
        self.max_seconds = max_seconds
