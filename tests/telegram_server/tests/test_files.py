"""Files: uploaded in parts by Telethon's send_file, served back in chunks to download_media,
byte for byte, both from the client and from the phone."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from telethon import errors, events
from telethon.tl import functions, types

from tests.telegram_server import Account, TelegramServer
from tests.telegram_server.tests.clients import Inbox

BIG = 12 * 1024 * 1024


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_a_12_mb_file_goes_up_and_comes_back_intact(
    server: TelegramServer, bot_client: Any, ann: Account, tmp_path: Path
) -> None:
    data = os.urandom(BIG)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    phone = server.phone(ann)

    sent = await bot_client.send_file("ann", source, caption="the build", force_document=True)

    [got] = await phone.wait_messages(1)
    assert got.message == "the build"
    assert sha256(phone.file_of(got)) == sha256(data)
    assert isinstance(got.media, types.MessageMediaDocument)
    assert got.media.document.size == BIG
    # Over 10 MB Telethon uses saveBigFilePart, in parts of at most 512 KB.
    parts = [
        r.request
        for r in server.requests
        if isinstance(r.request, functions.upload.SaveBigFilePartRequest)
    ]
    assert len(parts) > 1
    assert all(len(p.bytes) <= 512 * 1024 for p in parts)

    downloaded = await bot_client.download_media(sent, file=bytes)

    assert len(downloaded) == BIG
    assert sha256(downloaded) == sha256(data)
    chunks = [r for r in server.requests if isinstance(r.request, functions.upload.GetFileRequest)]
    assert len(chunks) > 1


async def test_a_small_file_uses_save_file_part_and_keeps_its_name(
    server: TelegramServer, bot_client: Any, ann: Account, tmp_path: Path
) -> None:
    data = b"print('hello')\n" * 1000
    source = tmp_path / "hello.py"
    source.write_bytes(data)

    sent = await bot_client.send_file("ann", source, force_document=True)

    [got] = await server.phone(ann).wait_messages(1)
    assert server.phone(ann).file_of(got) == data
    assert sent.file.name == "hello.py"
    assert got.media.document.attributes[0].file_name == "hello.py"
    assert any(isinstance(r.request, functions.upload.SaveFilePartRequest) for r in server.requests)
    assert not any(
        isinstance(r.request, functions.upload.SaveBigFilePartRequest) for r in server.requests
    )
    path = await bot_client.download_media(sent, file=str(tmp_path / "back"))
    assert await asyncio.to_thread(Path(path).read_bytes) == data


async def test_a_file_from_the_phone_downloads_intact(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account, tmp_path: Path
) -> None:
    inbox = Inbox(bot_client, events.NewMessage())
    data = os.urandom(3 * 1024 * 1024 + 17)  # not a whole number of chunks

    server.phone(ann).send_file(bot, data, "notes.bin", caption="see attached")
    event = await inbox.next()

    assert event.raw_text == "see attached"
    assert event.file.name == "notes.bin"
    assert event.file.size == len(data)
    downloaded = await event.download_media(file=bytes)
    assert sha256(downloaded) == sha256(data)


async def test_two_phone_files_stay_apart(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    inbox = Inbox(bot_client, events.NewMessage())
    first, second = os.urandom(1000), os.urandom(2000)

    server.phone(ann).send_file(bot, first, "a.bin")
    server.phone(ann).send_file(bot, second, "b.bin")
    events_ = await inbox.take(2)

    assert [await e.download_media(file=bytes) for e in events_] == [first, second]


async def test_a_photo_goes_up_as_a_photo_and_comes_back_intact(
    server: TelegramServer, bot_client: Any, ann: Account, tmp_path: Path
) -> None:
    data = b"\xff\xd8\xff\xe0" + os.urandom(200_000) + b"\xff\xd9"  # JPEG-shaped bytes
    source = tmp_path / "shot.jpg"
    source.write_bytes(data)

    sent = await bot_client.send_file("ann", source, caption="look")

    [got] = await server.phone(ann).wait_messages(1)
    assert isinstance(got.media, types.MessageMediaPhoto)
    assert got.message == "look"
    assert server.phone(ann).file_of(got) == data
    assert isinstance(sent.media, types.MessageMediaPhoto)
    assert await bot_client.download_media(sent, file=bytes) == data


async def test_file_parts_over_512_kb_or_out_of_range_are_refused(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    part = os.urandom(512 * 1024)
    upload = functions.upload

    assert await bot_client(upload.SaveFilePartRequest(1, 0, part)) is True
    with pytest.raises(errors.FilePartTooBigError):
        await bot_client(upload.SaveFilePartRequest(1, 1, part + b"x"))
    assert await bot_client(upload.SaveBigFilePartRequest(2, 0, 2, part)) is True
    with pytest.raises(errors.FilePartTooBigError):
        await bot_client(upload.SaveBigFilePartRequest(2, 1, 2, part + b"x"))
    for index in (2, -1):
        with pytest.raises(errors.FilePartInvalidError):
            await bot_client(upload.SaveBigFilePartRequest(2, index, 2, b"x"))

    peer = await bot_client.get_input_entity("ann")
    with pytest.raises(errors.FilePartMissingError) as missing:  # part 1 never came
        await bot_client(
            functions.messages.SendMediaRequest(
                peer,
                types.InputMediaUploadedDocument(
                    types.InputFile(1, 2, "a.bin", ""), "application/octet-stream", []
                ),
                message="",
                random_id=1,
            )
        )
    assert missing.value.which == 1
    assert server.phone(ann).received() == []


async def test_get_file_takes_only_the_offsets_and_limits_telegram_takes(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    mb = 1024 * 1024
    data = os.urandom(2 * mb + 100)
    document = server.phone(ann).send_file(bot, data, "big.bin").media.document
    location = types.InputDocumentFileLocation(
        document.id, document.access_hash, document.file_reference, thumb_size=""
    )

    async def chunk(offset: int, limit: int) -> bytes:
        got: bytes = (
            await bot_client(functions.upload.GetFileRequest(location, offset, limit))
        ).bytes
        return got

    assert await chunk(0, 4096) == data[:4096]
    assert await chunk(8192, 8192) == data[8192:16384]
    assert await chunk(mb, mb) == data[mb : 2 * mb]
    assert await chunk(2 * mb, 4096) == data[2 * mb :]  # the short tail
    for offset in (100, -4096):
        with pytest.raises(errors.OffsetInvalidError):
            await chunk(offset, 4096)
    # Not a multiple of 4 KB, not a divisor of 1 MB, over 1 MB, across a 1 MB boundary.
    for offset, limit in [(0, 1000), (0, 3 * 4096), (0, 2 * mb), (mb - 4096, 8192), (0, 0)]:
        with pytest.raises(errors.LimitInvalidError):
            await chunk(offset, limit)
