"""Voice notes turned into text: Whisper on this machine or an OpenAI-compatible server."""

from tgbridge.voice.availability import MISSING, local_ready, packages_dir, use_packages
from tgbridge.voice.transcriber import NoteTooLong, Transcriber, Transcript

__all__ = [
    "MISSING",
    "NoteTooLong",
    "Transcriber",
    "Transcript",
    "local_ready",
    "packages_dir",
    "use_packages",
]
