"""The phone side's voice notes, with the bot around them faked: what the phone is told
when the add-on is missing or the note too long, and the OpenAI-compatible provider
against a small local server that speaks its transcription API."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest

from tgbridge.bot import voice_notes
from tgbridge.bot.commands import build_registry
from tgbridge.bot.models import Models
from tgbridge.bot.voice_notes import VoiceNotes
from tgbridge.llm.config import LlmSettings, ProviderSetting
from tgbridge.settings import PhoneSettings, VoiceSetting
from tgbridge.store.accounts import Account
from tgbridge.store.history import StoredMessage
from tgbridge.telegram.gateway import Incoming
from tgbridge.telegram.render import Part
from tgbridge.voice.availability import MISSING

OWNER, STRANGER, CHAT = 7, 8, 7


class FakeBot:
    """What VoiceNotes uses of the PhoneBot: records what would reach the phone."""

    def __init__(self, voice: VoiceSetting) -> None:
        self.voice = voice
        self.llm = LlmSettings()
        self.service = self
        self.hub = self
        self.access = self
        self.asks = self
        self.account = Account(1, "@tgbridge_bot", bot=True)
        self.registry = build_registry()
        self.replies: list[tuple[str, int | None]] = []
        self.commands: list[str] = []
        self.texts: list[str] = []
        self.prompts: list[tuple[str, int | None]] = []  # offered to a waiting agent
        self.tasks: list[asyncio.Task[None]] = []
        self.models = Models(cast(Any, None), lambda: self.settings().llm)

    def settings(self) -> PhoneSettings:
        return PhoneSettings(voice=self.voice, llm=self.llm)

    def role_of(self, user_id: int) -> str | None:
        return "owner" if user_id == OWNER else None

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self.tasks.append(asyncio.ensure_future(coroutine))

    async def send_part(self, chat_id: int, part: Part, *, reply_to: int | None = None) -> int:
        self.replies.append((part.text, reply_to))
        return len(self.replies)

    def command(self, incoming: Incoming) -> None:
        self.commands.append(incoming.text)

    def replied(self, incoming: Incoming) -> bool:
        self.prompts.append((incoming.text, incoming.reply_to))
        return False

    async def set_text(self, message: StoredMessage, text: str) -> None:
        self.texts.append(text)

    async def settle(self) -> None:
        await asyncio.gather(*self.tasks)


def voice_note(path: Path, sender: int = OWNER, reply_to: int | None = None) -> StoredMessage:
    path.write_bytes(b"OggS not really audio")
    return StoredMessage(CHAT, 42, sender, False, "", 0.0, reply_to, file_path=str(path))


def notes_of(bot: FakeBot) -> VoiceNotes:
    return VoiceNotes(cast(Any, bot))


async def test_without_the_add_on_the_phone_is_told_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voice_notes, "local_ready", lambda: False)
    bot = FakeBot(VoiceSetting())
    notes_of(bot).arrived(voice_note(tmp_path / "1.oga"))
    await bot.settle()
    assert bot.replies == [(MISSING, 42)]
    assert MISSING == (
        "Voice notes need the voice add-on: run tgbridge: Enable Voice Notes in the editor."
    )


async def test_with_voice_notes_off_or_from_a_stranger_nothing_happens(tmp_path: Path) -> None:
    bot = FakeBot(VoiceSetting(provider="off"))
    notes = notes_of(bot)
    notes.arrived(voice_note(tmp_path / "1.oga"))
    await bot.settle()
    bot.voice = VoiceSetting(provider="openai", openai_base_url="http://127.0.0.1:9/v1")
    notes.arrived(voice_note(tmp_path / "2.oga", sender=STRANGER))
    notes.arrived(voice_note(tmp_path / "report.pdf"))  # not audio
    await bot.settle()
    assert (bot.replies, bot.commands, bot.texts) == ([], [], [])


class Transcriptions(BaseHTTPRequestHandler):
    """POST /v1/audio/transcriptions -> {"text": ...}, as OpenAI answers."""

    said = ""
    seen: list[tuple[str, bytes]] = []  # noqa: RUF012 - one server per test
    keys: list[str] = []  # noqa: RUF012 - the Authorization headers

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append((self.path, body))
        type(self).keys.append(self.headers.get("Authorization", ""))
        answer = json.dumps({"text": type(self).said}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def openai_server() -> Iterator[str]:
    Transcriptions.seen = []
    Transcriptions.keys = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Transcriptions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


async def test_an_openai_compatible_server_transcribes_and_a_spoken_command_runs(
    tmp_path: Path, openai_server: str
) -> None:
    setting = VoiceSetting(provider="openai", openai_base_url=openai_server, openai_model="tiny")
    bot = FakeBot(setting)
    notes = notes_of(bot)
    Transcriptions.said = "Show status."
    notes.arrived(voice_note(tmp_path / "1.oga"))
    await bot.settle()
    assert bot.replies == [("🎙 Show status. → /status", 42)]
    assert bot.commands == ["/status"]
    path, body = Transcriptions.seen[0]
    assert path == "/v1/audio/transcriptions"
    assert b'name="model"\r\n\r\ntiny' in body and b"OggS not really audio" in body

    Transcriptions.said = "Please check the login page."
    notes.arrived(voice_note(tmp_path / "2.oga", reply_to=40))  # a reply to an agent's ask
    await bot.settle()
    assert bot.replies[-1] == ("🎙 Please check the login page.", 42)
    assert bot.texts == ["Please check the login page."]  # a chat message, not a command
    assert bot.prompts == [("Please check the login page.", 40)]  # the agent's next prompt
    assert bot.commands == ["/status"]

    # The key the editor set for an openai provider is the one sent.
    bot.llm = LlmSettings(providers=[ProviderSetting(name="gpt", kind="openai", model="m")])
    bot.models.set_keys({"gpt": "sk-from-secret-storage"})
    notes.arrived(voice_note(tmp_path / "3.oga"))
    await bot.settle()
    assert Transcriptions.keys[-1] == "Bearer sk-from-secret-storage"
    assert "sk-from-secret-storage" not in Transcriptions.keys[0]


async def test_a_note_over_the_limit_is_not_transcribed_and_the_phone_is_told_why(
    tmp_path: Path, openai_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tgbridge.voice import openai_transcriber

    monkeypatch.setattr(openai_transcriber, "audio_seconds", lambda path: 400.0)
    setting = VoiceSetting(provider="openai", openai_base_url=openai_server, max_seconds=300)
    bot = FakeBot(setting)
    notes_of(bot).arrived(voice_note(tmp_path / "1.oga"))
    await bot.settle()
    assert bot.replies == [
        (
            "🎙 This note is 400 s long; notes up to 300 s are transcribed "
            "(tgbridge.voice.maxSeconds).",
            42,
        )
    ]
    assert Transcriptions.seen == []
