"""Files: upload.saveFilePart / saveBigFilePart collect parts, sendMedia turns them into a
document or photo on this data centre, upload.getFile serves them back in chunks."""

from __future__ import annotations

import hashlib
from typing import Any

from telethon.tl import functions, types

from tests.telegram_server.rpc import RpcError, handles
from tests.telegram_server.world import StoredFile, now

MAX_PART = 512 * 1024
MAX_CHUNK = 1024 * 1024


def _parts(call: Any, file_id: int) -> dict[int, bytes]:
    key = (call.auth.key.key_id, file_id)
    parts: dict[int, bytes] = call.server.uploads.setdefault(key, {})
    return parts


@handles(functions.upload.SaveFilePartRequest)
async def save_file_part(call: Any) -> bool:
    if len(call.request.bytes) > MAX_PART:
        raise RpcError(400, "FILE_PART_TOO_BIG")
    _parts(call, call.request.file_id)[call.request.file_part] = call.request.bytes
    return True


@handles(functions.upload.SaveBigFilePartRequest)
async def save_big_file_part(call: Any) -> bool:
    request = call.request
    if len(request.bytes) > MAX_PART:
        raise RpcError(400, "FILE_PART_TOO_BIG")
    if not 0 <= request.file_part < request.file_total_parts:
        raise RpcError(400, "FILE_PART_INVALID")
    _parts(call, request.file_id)[request.file_part] = request.bytes
    return True


def _assemble(call: Any, uploaded: Any) -> bytes:
    parts = call.server.uploads.pop((call.auth.key.key_id, uploaded.id), {})
    if sorted(parts) != list(range(uploaded.parts)):
        raise RpcError(
            400, f"FILE_PART_{next(i for i in range(uploaded.parts) if i not in parts)}_MISSING"
        )
    data = b"".join(parts[i] for i in range(uploaded.parts))
    md5 = getattr(uploaded, "md5_checksum", "")
    if md5 and hashlib.md5(data).hexdigest() != md5:
        raise RpcError(400, "MD5_CHECKSUM_INVALID")
    return data


def document(stored: StoredFile, dc_id: int, attributes: list[Any] | None = None) -> types.Document:
    """The document of a stored file; its attributes default to its file name."""
    named = [types.DocumentAttributeFilename(stored.name)]
    return types.Document(
        id=stored.id,
        access_hash=stored.access_hash,
        file_reference=stored.file_reference,
        date=now(),
        mime_type=stored.mime_type,
        size=len(stored.data),
        dc_id=dc_id,
        attributes=named if attributes is None else attributes,
    )


def photo(stored: StoredFile, dc_id: int) -> types.Photo:
    return types.Photo(
        id=stored.id,
        access_hash=stored.access_hash,
        file_reference=stored.file_reference,
        date=now(),
        sizes=[types.PhotoSize(type="x", w=800, h=600, size=len(stored.data))],
        dc_id=dc_id,
    )


def media_from_input(call: Any, media: Any) -> Any:
    from tests.telegram_server.server import DC_ID

    if isinstance(media, types.InputMediaUploadedDocument):
        name = next(
            (
                a.file_name
                for a in media.attributes
                if isinstance(a, types.DocumentAttributeFilename)
            ),
            media.file.name,
        )
        stored = call.world.store_file(_assemble(call, media.file), name, media.mime_type)
        return types.MessageMediaDocument(document=document(stored, DC_ID))
    if isinstance(media, types.InputMediaUploadedPhoto):
        stored = call.world.store_file(_assemble(call, media.file), media.file.name, "image/jpeg")
        return types.MessageMediaPhoto(photo=photo(stored, DC_ID))
    if isinstance(media, types.InputMediaDocument):
        stored = call.world.files.get(media.id.id)
        if stored is None or stored.access_hash != media.id.access_hash:
            raise RpcError(400, "MEDIA_INVALID")
        return types.MessageMediaDocument(document=document(stored, DC_ID))
    raise RpcError(400, "MEDIA_INVALID")


@handles(functions.upload.GetFileRequest)
async def get_file(call: Any) -> types.upload.File:
    request = call.request
    location = request.location
    if not isinstance(location, (types.InputDocumentFileLocation, types.InputPhotoFileLocation)):
        raise RpcError(400, "LOCATION_INVALID")
    stored = call.world.files.get(location.id)
    if stored is None or stored.access_hash != location.access_hash:
        raise RpcError(400, "FILE_REFERENCE_INVALID" if stored else "LOCATION_INVALID")
    # Telegram's rules for precise=False: offset a multiple of 4 KB, limit a divisor of
    # 1 MB that is a multiple of 4 KB, and no chunk crossing a 1 MB boundary.
    offset, limit = request.offset, request.limit
    if offset < 0 or offset % 4096:
        raise RpcError(400, "OFFSET_INVALID")
    if (
        limit <= 0
        or limit % 4096
        or MAX_CHUNK % limit
        or offset // MAX_CHUNK != (offset + limit - 1) // MAX_CHUNK
    ):
        raise RpcError(400, "LIMIT_INVALID")
    chunk = stored.data[request.offset : request.offset + request.limit]
    # mtime is a TL int, not a date.
    return types.upload.File(
        type=types.storage.FileUnknown(), mtime=int(now().timestamp()), bytes=chunk
    )
