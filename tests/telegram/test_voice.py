"""Voice notes through the hub and the loopback server, as a phone sends them: a paired
user's note is transcribed by the local Whisper, shown back ("🎙 …") and then taken as
typed (a command, or a chat message the editor gets as text); a stranger's is never
downloaded; a long note is transcribed while other messages keep being answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from telethon.tl import functions, types

from tests.bench.voice import speak, voice_tools_missing
from tests.telegram.harness import Sidecar, World, online_bot
from tests.telegram.repo import make_repo
from tests.telegram_server import Account
from tgbridge.bot.strangers import REFUSAL
from tgbridge.voice.availability import local_ready

missing = voice_tools_missing() or (
    None if local_ready() else "the voice add-on is not installed (requirements/voice.txt)"
)
pytestmark = pytest.mark.skipif(missing is not None, reason=str(missing))

MIC = "🎙"
WITHIN = 60.0  # the first note loads the model; the machine may be busy
# Words espeak-ng says so that tiny.en always hears them (its "review" and "parser" come
# out as "renew" and "password" at some speeds).
CHECK = "Please check the login page."
LONG_TALK = " ".join(
    [
        "This is a long voice note about the build. Please check the login page.",
        "The parser module fails on empty files, and the tokenizer drops the last line.",
        "The tests for the lexer fail on the build server but pass on my laptop.",
        "Please look at the cache layer too, because it keeps too many entries in memory.",
        "When you are done, run the unit tests again and tell me what changed.",
    ]
    * 2
)


def from_bot(world: World, user: Account) -> list[types.Message]:
    return world.server.phone(user).received(world.bot)


async def bot_says(world: World, user: Account, fragment: str) -> types.Message:
    """The bot's first message to `user` containing `fragment`, once it arrives."""
    return await world.server.wait_until(
        lambda: next((m for m in from_bot(world, user) if fragment in m.message), None),
        within=WITHIN,
    )


def note(tmp_path: Path, text: str) -> bytes:
    return speak(text, tmp_path / "clips" / str(abs(hash(text)))).read_bytes()


def reply_to(message: types.Message) -> int | None:
    return message.reply_to.reply_to_msg_id if message.reply_to else None


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "ws")


async def test_a_spoken_command_is_shown_back_and_runs(
    world: World, sidecars: list[Sidecar], tmp_path: Path, repo: Path
) -> None:
    await online_bot(world, sidecars, tmp_path / "state", workspace=repo)
    phone = world.server.phone(world.user)
    sent = phone.send_voice(world.bot, note(tmp_path, "Show status."), duration=2)

    shown = await bot_says(world, world.user, MIC)
    assert shown.message.lower().startswith(f"{MIC} show status")
    assert shown.message.endswith("→ /status")
    assert reply_to(shown) == sent.id
    status = await bot_says(world, world.user, "on main")
    assert status.id > shown.id  # the transcript first, then the command's answer


async def test_a_spoken_sentence_is_a_chat_message_the_editor_gets_as_text(
    world: World, sidecars: list[Sidecar], tmp_path: Path, repo: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path / "state", workspace=repo)
    phone = world.server.phone(world.user)
    sent = phone.send_voice(world.bot, note(tmp_path, CHECK), duration=3)

    shown = await bot_says(world, world.user, MIC)
    said = shown.message.lower()
    assert "check" in said and "login" in said, said
    assert "→" not in said  # not a command
    assert reply_to(shown) == sent.id

    def as_text() -> dict[str, object] | None:
        return next(
            (
                m
                for m in sidecar.of("tgbridge/message")
                if m["messageId"] == sent.id and "login" in str(m["text"]).lower()
            ),
            None,
        )

    message = await sidecar.wait_for(as_text, within=WITHIN)
    assert message["filePath"], "the note itself is kept too"
    found = await sidecar.request("tgbridge/history", {"search": "login"})
    assert [m["messageId"] for m in found["messages"] if not m["outgoing"]] == [sent.id]
    texts = [m.message for m in from_bot(world, world.user)]
    assert not any(text.startswith("Unknown command") for text in texts)


async def test_a_strangers_voice_note_is_neither_downloaded_nor_transcribed(
    world: World, sidecars: list[Sidecar], tmp_path: Path, repo: Path
) -> None:
    await online_bot(world, sidecars, tmp_path / "state", workspace=repo)
    stranger = world.server.world.add_user("Eve", phone="+15550000666")
    world.server.phone(stranger).send_voice(world.bot, note(tmp_path, "Show status."), 2)
    await bot_says(world, stranger, REFUSAL)  # screened: the one fixed refusal

    # The paired user's note after it is transcribed; by then the stranger's was
    # long done with (the inbound path is one ordered queue).
    world.server.phone(world.user).send_voice(world.bot, note(tmp_path, CHECK), 3)
    await bot_says(world, world.user, MIC)
    assert [m.message for m in from_bot(world, stranger)] == [REFUSAL]
    downloads = world.server.outcomes(functions.upload.GetFileRequest, "ok")
    assert {d.account_id for d in downloads} == {world.bot.id}
    assert len({d.request.location.id for d in downloads}) == 1  # the paired user's only
    assert not list((tmp_path / "state" / "files").glob(f"{stranger.id}/*"))


async def test_other_messages_are_answered_while_a_long_note_is_transcribed(
    world: World, sidecars: list[Sidecar], tmp_path: Path, repo: Path
) -> None:
    await online_bot(world, sidecars, tmp_path / "state", workspace=repo)
    phone = world.server.phone(world.user)
    clip = note(tmp_path, LONG_TALK)
    phone.send_voice(world.bot, clip, duration=50)
    # Once the note is downloaded its transcription starts: type a command then.
    await world.server.wait_until(
        lambda: world.server.outcomes(functions.upload.GetFileRequest, "ok") or None,
        within=WITHIN,
    )
    phone.send(world.bot, "/status")

    status = await bot_says(world, world.user, "on main")
    shown = await bot_says(world, world.user, MIC)
    assert status.id < shown.id, "/status waited for the transcription"
    assert "login" in shown.message.lower()
