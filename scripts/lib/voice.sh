# Voice-note test tools (sourced by scripts/test and scripts/bench, after common.sh): the
# tests make their voice notes at run time, as Telegram sends them: espeak-ng speaks the
# text to WAV, opusenc (opus-tools) turns it into OGG/Opus. The voice add-on itself
# (faster-whisper and the Whisper weights) is a Python package: requirements/voice.txt.
ensure_voice_tools() {
  ensure_apt espeak-ng opus-tools
}
