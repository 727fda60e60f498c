"""Voice notes: how fast the local Whisper (tiny.en, int8, greedy) transcribes, as a
real-time factor (seconds of work per second of speech; lower is better), for a ~25 s
clip spoken by espeak-ng. The model is loaded and warmed up first; the median of a few
runs is reported. Also the clip maker the voice tests use (`speak`): espeak-ng to WAV,
then OGG/Opus as Telegram sends a voice note (opusenc, else ffmpeg)."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

PASSAGE = (
    "Good morning. Please review the parser module before lunch. The tokenizer still "
    "drops the last line of every file, and the tests for the lexer are failing on the "
    "build server. When you are done, run the unit tests again and tell me what changed. "
    "After that, look at the cache layer, because it keeps too many entries in memory "
    "when the workspace is large."
)
RUNS = 5


def voice_tools_missing() -> str | None:
    """Why clips cannot be made here, or None (scripts/lib/voice.sh installs the tools)."""
    if shutil.which("espeak-ng") is None:
        return "espeak-ng is not installed (ensure_voice_tools in scripts/lib/voice.sh)"
    if shutil.which("opusenc") is None and shutil.which("ffmpeg") is None:
        return "neither opusenc nor ffmpeg is installed (ensure_voice_tools)"
    return None


def speak(text: str, folder: Path, *, voice: str = "en-us", speed: int = 150) -> Path:
    """`text` spoken by espeak-ng, as an OGG/Opus voice note in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    wav, ogg = folder / "note.wav", folder / "note.ogg"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text],
        check=True,
        capture_output=True,
    )
    if shutil.which("opusenc"):
        command = ["opusenc", "--quiet", "--bitrate", "24", str(wav), str(ogg)]
    else:
        command = ["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "libopus"]
        command += ["-b:a", "24k", str(ogg)]
    subprocess.run(command, check=True, capture_output=True)
    wav.unlink()
    return ogg


def voice_lines() -> list[str]:
    from tgbridge.voice.availability import local_ready
    from tgbridge.voice.whisper_local import LocalWhisper
    from tgbridge.voice.worker import Worker

    missing = voice_tools_missing()
    if missing is None and not local_ready():
        missing = "the voice add-on is not installed (pip install -r requirements/voice.txt)"
    if missing is not None:
        return [f"voice_rtf: skipped ({missing})"]
    with tempfile.TemporaryDirectory() as folder:
        clip = speak(PASSAGE, Path(folder))
        whisper = LocalWhisper(max_seconds=600, worker=Worker())
        whisper.transcribe_now(clip)  # loads the model and warms it up
        runs = [whisper.transcribe_now(clip) for _ in range(RUNS)]
    length = runs[0].duration_s
    rtf = statistics.median(run.seconds_taken for run in runs) / length
    return [f"voice_rtf: {rtf:.3f} ({length:.1f} s clip)"]


if __name__ == "__main__":
    print("\n".join(voice_lines()))
