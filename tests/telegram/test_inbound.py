"""What reaches the editor from the phone: messages, replies as threads, edits, files,
button presses (always answered), and the history with its search; plus the editor's
"Send selection" and file sends arriving on the phone."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from telethon import Button
from telethon.tl import functions, types

from tests.sidecar.conftest import WORKSPACE
from tests.telegram.harness import Sidecar, World, online_bot


def inbound(sidecar: Sidecar, text: str) -> dict[str, Any] | None:
    return next((m for m in sidecar.of("tgbridge/message") if m["text"] == text), None)


def mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


def file_done(sidecar: Sidecar, text: str) -> dict[str, Any] | None:
    """The message again, once its file is saved (or known not to be)."""
    return next(
        (
            m
            for m in sidecar.of("tgbridge/message")
            if m["text"] == text and not m["filePending"] and (m["filePath"] or m["fileNote"])
        ),
        None,
    )


async def test_messages_replies_and_edits_reach_the_editor_and_its_history(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path)
    phone = world.server.phone(world.user)
    first = phone.send(world.bot, "deploy finished? #release")
    message = await sidecar.wait_for(lambda: inbound(sidecar, "deploy finished? #release"))
    assert message["chatId"] == world.user.id and message["senderId"] == world.user.id
    assert not message["outgoing"] and not message["edited"]

    sent = await sidecar.request(
        "tgbridge/send", {"chat": str(world.user.id), "text": "Yes, green."}
    )
    status = await sidecar.wait_for(
        lambda: next(
            (
                s
                for s in sidecar.of("tgbridge/messageStatus")
                if s["sendId"] == sent["sendId"] and s["state"] == "sent"
            ),
            None,
        )
    )
    [answer] = await phone.wait_messages(1, sender=world.bot)
    phone.reply(answer, "thanks, merging")
    reply = await sidecar.wait_for(lambda: inbound(sidecar, "thanks, merging"))
    assert reply["replyTo"] == status["telegramIds"][0]

    phone.edit(first, "deploy finished? #release (edited)")
    edited = await sidecar.wait_for(lambda: inbound(sidecar, "deploy finished? #release (edited)"))
    assert edited["edited"] and edited["messageId"] == message["messageId"]

    page = await sidecar.request("tgbridge/history", {"chatId": world.user.id, "search": "release"})
    assert [m["text"] for m in page["messages"]] == ["deploy finished? #release (edited)"]
    everything = await sidecar.request("tgbridge/history", {"chatId": world.user.id})
    texts = [m["text"] for m in everything["messages"]]
    assert "thanks, merging" in texts and "Yes, green." in texts


async def test_a_button_press_is_always_answered(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    await online_bot(world, sidecars, tmp_path)
    markup = types.ReplyInlineMarkup(
        [types.KeyboardButtonRow([Button.inline("Approve", b"approve:1")])]
    )
    world.server.world.post(world.bot, world.user, "Run the migration?", reply_markup=markup)
    phone = world.server.phone(world.user)
    [question] = await phone.wait_messages(1, sender=world.bot)
    world.server.callback_timeout = 5
    answer = await phone.press(question, b"approve:1")  # BOT_RESPONSE_TIMEOUT if unanswered
    assert isinstance(answer, types.messages.BotCallbackAnswer)


async def test_received_documents_and_photos_are_saved_within_the_size_limit(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path / "state", maxDownloadMb=1)
    phone = world.server.phone(world.user)
    small = bytes(range(256)) * 2048  # 512 KiB
    phone.send_file(world.bot, small, "trace.bin", caption="the trace")
    first = await sidecar.wait_for(lambda: inbound(sidecar, "the trace"))
    assert first["filePending"] and first["filePath"] is None
    message = await sidecar.wait_for(lambda: file_done(sidecar, "the trace"))
    saved = Path(message["filePath"])
    assert saved.is_relative_to(tmp_path / "state")
    assert (
        hashlib.sha256(await asyncio.to_thread(saved.read_bytes)).digest()
        == hashlib.sha256(small).digest()
    )

    picture = bytes(range(256)) * 400  # 100 KiB
    phone.send_photo(world.bot, picture, caption="the screenshot")
    shot = await sidecar.wait_for(lambda: file_done(sidecar, "the screenshot"))
    assert await asyncio.to_thread(Path(shot["filePath"]).read_bytes) == picture

    phone.send_file(world.bot, b"x" * (2 * 1024 * 1024), "huge.bin", caption="too big")
    big = await sidecar.wait_for(lambda: inbound(sidecar, "too big"))
    assert big["filePath"] is None and not big["filePending"]
    assert "over the" in big["fileNote"]
    assert mode(saved) == 0o600 and mode(saved.parent) == 0o700


async def test_a_large_download_never_holds_up_the_text_behind_it(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path / "state")
    phone = world.server.phone(world.user)
    stall = world.server.faults.stall(functions.upload.GetFileRequest)
    phone.send_file(world.bot, b"y" * 600_000, "big.log", caption="the big log")
    await asyncio.wait_for(stall.reached.wait(), 20)
    phone.send(world.bot, "typed after the file")
    await sidecar.wait_for(lambda: inbound(sidecar, "typed after the file"))
    assert file_done(sidecar, "the big log") is None  # still downloading
    stall.release()
    done = await sidecar.wait_for(lambda: file_done(sidecar, "the big log"))
    assert await asyncio.to_thread(Path(done["filePath"]).read_bytes) == b"y" * 600_000


async def test_received_files_keep_to_the_quota_oldest_first(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path / "state", maxStoredMb=1)
    phone = world.server.phone(world.user)
    phone.send_file(world.bot, b"a" * 700_000, "old.bin", caption="older")
    older = await sidecar.wait_for(lambda: file_done(sidecar, "older"))
    phone.send_file(world.bot, b"b" * 700_000, "new.bin", caption="newer")
    newer = await sidecar.wait_for(lambda: file_done(sidecar, "newer"))
    assert await asyncio.to_thread(os.path.exists, newer["filePath"])
    assert not await asyncio.to_thread(os.path.exists, older["filePath"])
    history = await sidecar.request("tgbridge/history", {"search": "older"})
    [entry] = history["messages"]
    assert entry["filePath"] is None and "maxStoredMb" in entry["fileNote"]


async def test_send_selection_and_files_from_the_editor_arrive(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path / "state", defaultChat=str(world.user.id))
    uri = (WORKSPACE / "hello.py").as_uri()
    selection = {
        "uri": uri,
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
    }
    assert sidecar.client is not None
    sidecar.client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri, "python", 1, (WORKSPACE / "hello.py").read_text())
        )
    )
    await sidecar.client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="tgbridge.sendSelection", arguments=[selection])
    )
    phone = world.server.phone(world.user)
    [code] = await phone.wait_messages(1, sender=world.bot)
    first_line = (WORKSPACE / "hello.py").read_text().splitlines()[0]
    assert first_line in code.message and "hello.py:1-2" in code.message
    assert any(
        isinstance(e, types.MessageEntityPre) and e.language == "python"
        for e in code.entities or []
    )

    payload = tmp_path / "report.csv"
    payload.write_bytes(b"a,b\n" * 100_000)
    await sidecar.request(
        "tgbridge/send", {"file": {"path": str(payload), "caption": "the report"}}
    )
    messages = await phone.wait_messages(2, sender=world.bot)
    assert messages[1].message == "the report"
    assert phone.file_of(messages[1]) == payload.read_bytes()


async def test_a_download_cut_by_a_clean_stop_is_recorded_as_incomplete(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path / "state")
    phone = world.server.phone(world.user)
    stall = world.server.faults.stall(functions.upload.GetFileRequest)
    phone.send_file(world.bot, b"z" * 300_000, "cut.bin", caption="cut short")
    await asyncio.wait_for(stall.reached.wait(), 20)
    await sidecar.stop()  # the download never finishes: the stop must not wait for it
    stall.release()
    sidecar = await online_bot(world, sidecars, tmp_path / "state")
    history = await sidecar.request("tgbridge/history", {"search": "cut"})
    [entry] = history["messages"]
    assert entry["filePath"] is None and not entry["filePending"]
    assert entry["fileNote"].startswith("incomplete")
    leftovers = await asyncio.to_thread(lambda: list((tmp_path / "state").rglob("*.part")))
    assert leftovers == []
