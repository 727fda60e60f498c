"""A send request -> the outbox messages that carry it: text and code as messages (or a
document when long), a file with its caption held to Telegram's caption limit."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tgbridge.errors import BridgeError
from tgbridge.protocol import CodeSelection, SendParams
from tgbridge.store.files import private_dir, write_private
from tgbridge.store.outbox_store import NewMessage
from tgbridge.telegram.render import (
    CAPTION_LIMIT,
    AsDocument,
    Part,
    caption,
    code_block,
    parse_markdown,
    render,
)


def compose(params: SendParams, *, document_above: int, outgoing_dir: Path) -> list[NewMessage]:
    """The messages of one send. A document made from long text or code is written to a
    new folder under `outgoing_dir`."""
    chosen = [name for name in ("text", "code", "file") if getattr(params, name) is not None]
    if len(chosen) != 1:
        raise BridgeError("invalid_params", "Send exactly one of text, code or file.")
    if params.file is not None:
        path = Path(params.file.path).expanduser()
        if not path.is_file():
            raise BridgeError("invalid_params", f"No such file: {path}")
        held = caption(Part(_well_formed(params.file.caption)))
        return [NewMessage("file", {"path": str(path), **_payload(held, "caption")})]
    if params.code is not None:
        # The document holds exactly the code; its path and lines go in the caption.
        content = _well_formed(params.code.text)
        part = code_block(content, params.code.language, _header(params.code))
        name = Path(params.code.path).name if params.code.path else "snippet.txt"
    else:
        content = _well_formed(params.text or "")
        name = "message.md"
        if Part(content).length > document_above:
            # A document of the Markdown source: only its head is parsed, for the caption
            # (Telethon's parser slows down sharply with size: minutes for a megabyte).
            head = caption(parse_markdown(content[: 2 * CAPTION_LIMIT]))
            if not content.strip():
                raise BridgeError("invalid_params", "There is nothing to send.")
            return [_document(AsDocument(name, content, head), outgoing_dir)]
        part = parse_markdown(content)
    if not part.text.strip():
        raise BridgeError("invalid_params", "There is nothing to send.")
    rendered = render(part, document_above=document_above, file_name=name, content=content)
    if isinstance(rendered, AsDocument):
        return [_document(rendered, outgoing_dir)]
    return [NewMessage("text", _payload(piece, "text")) for piece in rendered]


def compose_part(
    part: Part,
    *,
    file_name: str,
    document_above: int,
    outgoing_dir: Path,
    content: str | None = None,
) -> list[NewMessage]:
    """The messages of text already formatted (the bot's replies): split, or a document
    (holding `content` when given, e.g. the bare patch of a diff)."""
    if not part.text.strip():
        raise BridgeError("invalid_params", "There is nothing to send.")
    rendered = render(part, document_above=document_above, file_name=file_name, content=content)
    if isinstance(rendered, AsDocument):
        return [_document(rendered, outgoing_dir)]
    return [NewMessage("text", _payload(piece, "text")) for piece in rendered]


def compose_document(path: Path, part: Part) -> NewMessage:
    """A file of ours (a task's log) with its caption; the file is kept after sending."""
    return NewMessage("file", {"path": str(path), **_payload(caption(part), "caption")})


def _header(code: CodeSelection) -> str:
    if not code.path:
        return ""
    lines = f":{code.range.start.line + 1}-{code.range.end.line + 1}" if code.range else ""
    return f"{code.path}{lines}"


def _document(document: AsDocument, outgoing_dir: Path) -> NewMessage:
    folder = private_dir(outgoing_dir / uuid.uuid4().hex)
    path = write_private(folder / document.file_name, document.content.encode())
    # "copy": the file is ours, under outgoing/, and is removed once sent.
    payload = {"path": str(path), **_payload(document.caption, "caption"), "copy": True}
    return NewMessage("file", payload)


def _payload(part: Part, key: str) -> dict[str, Any]:
    payload: dict[str, Any] = {key: part.text}
    if part.entities:
        payload["entities"] = [entity.to_dict() for entity in part.entities]
    return payload


def _well_formed(text: str) -> str:
    """Lone surrogates (a JSON string may carry them) become U+FFFD: Telegram takes UTF-8."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
