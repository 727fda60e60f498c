"""Voice notes from the phone: transcribed, shown back, then taken as if typed.

Only a note from someone let in gets here: the screen (`PhoneBot.screen`) drops a
stranger's message before anything is stored or downloaded, and a note is transcribed
from the saved file. The transcript goes back to the phone as a reply to the note
("🎙 …"), then is dispatched as typed text:

- a command, by this rule: the words (lower case, punctuation dropped) are a command's
  name alone ("Status." -> /status), or "slash" or "show" then a command's name and its
  arguments ("Show status." -> /status, "slash diff parser" -> /diff parser). Anything
  else is text ("Help me with the parser" stays text). The reply shows the match:
  "🎙 Show status. → /status". The command is checked against the sender's role as any.
- otherwise a chat message: the note's text in the history becomes the transcript (so
  the editor shows it and search finds it), and a reply to an agent's question is the
  agent's next prompt.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from tgbridge.bot.text import Text
from tgbridge.settings import VoiceSetting
from tgbridge.store.history import StoredMessage
from tgbridge.telegram.gateway import Incoming
from tgbridge.telegram.render import Part
from tgbridge.voice.availability import MISSING, MISSING_OPENAI, local_ready, openai_ready
from tgbridge.voice.openai_transcriber import OpenAITranscriber
from tgbridge.voice.transcriber import NoteTooLong, Transcriber
from tgbridge.voice.whisper_local import LocalWhisper
from tgbridge.voice.worker import Worker

if TYPE_CHECKING:
    from tgbridge.bot.phone import PhoneBot

logger = logging.getLogger(__name__)

MIC = "🎙 "
# What Telegram names a voice note (audio/ogg -> .oga) and the usual audio files.
AUDIO_SUFFIXES = frozenset({".oga", ".ogg", ".opus", ".mp3", ".m4a", ".wav", ".flac", ".aac"})
LEAD_INS = ("slash", "show")


def spoken_command(transcript: str, commands: Collection[str]) -> str | None:
    """The command a transcript asks for ("/status", "/diff parser"), or None (see the
    module's rule)."""
    words = [w.strip("./-") for w in re.findall(r"[\w./-]+", transcript.lower())]
    words = [w for w in words if w]
    lead = bool(words) and words[0] in LEAD_INS
    rest = words[1:] if lead else words
    if not rest or rest[0] not in commands or (not lead and len(rest) > 1):
        return None
    return "/" + " ".join(rest)


def is_audio(path: str | None) -> bool:
    return path is not None and Path(path).suffix.lower() in AUDIO_SUFFIXES


class VoiceNotes:
    def __init__(self, bot: PhoneBot) -> None:
        self._bot = bot
        self._worker = Worker()
        self._local: LocalWhisper | None = None
        self._openai: OpenAITranscriber | None = None

    def arrived(self, message: StoredMessage) -> None:
        """A received file was saved: a voice or audio note from someone let in is
        transcribed in the background."""
        if is_audio(message.file_path) and self._let_in(message):
            self._bot.spawn(self._transcribe(message))

    def stop(self) -> None:
        self._worker.close()

    def _let_in(self, message: StoredMessage) -> bool:
        """As the screen decides: in bot mode a paired user's message; in account mode the
        account's own, in its Saved Messages."""
        account = self._bot.service.account
        sender = message.sender_id
        if account is None or sender is None:
            return False
        if not account.bot:
            return sender == account.id and message.chat_id == account.id
        return not message.outgoing and self._bot.access.role_of(sender) is not None

    async def _transcribe(self, message: StoredMessage) -> None:
        setting = self._bot.hub.settings().voice
        if setting.provider == "off":
            return
        transcriber = self._transcriber(setting)
        if transcriber is None:
            missing = MISSING if setting.provider == "local" else MISSING_OPENAI
            await self._reply(message, Part(missing))
            return
        assert message.file_path is not None
        try:
            transcript = await transcriber.transcribe(Path(message.file_path))
        except NoteTooLong as error:
            text = (
                f"{MIC}This note is {error.duration_s:.0f} s long; notes up to "
                f"{error.max_seconds} s are transcribed (tgbridge.voice.maxSeconds)."
            )
            await self._reply(message, Part(text))
            return
        except Exception as error:
            logger.exception("could not transcribe message %s", message.message_id)
            text = f"{MIC}Could not transcribe this note: {type(error).__name__}. See the logs."
            await self._reply(message, Part(text))
            return
        logger.info(
            "transcribed a %.1f s note in %.1f s", transcript.duration_s, transcript.seconds_taken
        )
        said = transcript.text
        if not said:
            await self._reply(message, Part(f"{MIC}(nothing heard)"))
            return
        command = spoken_command(said, self._bot.registry.commands)
        shown = Text().plain(MIC).plain(said)
        if command is not None:
            shown.plain(" → ").code(command)
        await self._reply(message, shown.part())
        typed = Incoming(
            chat_id=message.chat_id,
            message_id=message.message_id,
            sender_id=message.sender_id,
            text=command or said,
            date=message.date,
            reply_to=message.reply_to,
            edited=False,
            outgoing=message.outgoing,
        )
        if command is not None:
            self._bot.command(typed)
            return
        self._bot.asks.replied(typed)  # a reply to an agent waiting for its next prompt
        text = f"{message.text}\n{MIC}{said}" if message.text else said
        await self._bot.service.set_text(message, text)

    def _transcriber(self, setting: VoiceSetting) -> Transcriber | None:
        """The setting's transcriber (the local model is loaded once and kept); None when
        what it needs is not installed."""
        if setting.provider == "openai":
            if not openai_ready():
                return None
            key = self._bot.models.key_of_kind("openai")
            wanted = (setting.openai_base_url, setting.openai_model, key)
            current = self._openai
            if current is None or (current.base_url, current.model, current.key) != wanted:
                current = OpenAITranscriber(
                    setting.openai_base_url, setting.openai_model, setting.max_seconds, key=key
                )
                self._openai = current
            current.max_seconds = setting.max_seconds
            return current
        if self._local is None:
            if not local_ready():
                return None
            self._local = LocalWhisper(setting.max_seconds, self._worker)
        self._local.max_seconds = setting.max_seconds
        return self._local

    async def _reply(self, message: StoredMessage, part: Part) -> None:
        await self._bot.service.send_part(message.chat_id, part, reply_to=message.message_id)
