"""Which transcripts are commands: a command's name alone, or "slash"/"show" then a name
and its arguments; everything else is text. And which saved files are voice notes."""

from __future__ import annotations

import pytest

from tgbridge.bot.commands import build_registry
from tgbridge.bot.voice_notes import is_audio, spoken_command

COMMANDS = build_registry().commands


@pytest.mark.parametrize(
    ("transcript", "command"),
    [
        ("Status.", "/status"),
        ("  status  ", "/status"),
        ("STATUS!", "/status"),
        ("Show status.", "/status"),
        ("show help", "/help"),
        ("Slash status.", "/status"),
        ("Slash diff src/app.py", "/diff src/app.py"),
        ("slash find todo.", "/find todo"),
        ("Back.", "/back"),
    ],
)
def test_a_command_name_alone_or_after_slash_or_show_is_that_command(
    transcript: str, command: str
) -> None:
    assert spoken_command(transcript, COMMANDS) == command


@pytest.mark.parametrize(
    "transcript",
    [
        "Please check the login page.",
        "Help me with the parser.",  # a name first, but more words: a sentence
        "Status of the build is red.",
        "Show me the parser.",  # "show" then no command
        "Slash.",
        "Slash launch the rockets.",  # not a command of ours
        "",
        "...",
    ],
)
def test_anything_else_is_text(transcript: str) -> None:
    assert spoken_command(transcript, COMMANDS) is None


def test_voice_notes_and_audio_files_are_audio_other_files_are_not() -> None:
    assert is_audio("/state/files/1/7-7.oga")  # a voice note: audio/ogg, no name
    assert is_audio("/state/files/1/8-memo.M4A")
    assert not is_audio("/state/files/1/9-report.pdf")
    assert not is_audio(None)
