"""Editor text -> Telegram messages: Markdown-style formatting becomes entities through
Telethon's parser, code goes as a `pre` block with its language, and text over the limit
splits on line boundaries into parts that are each valid on their own (an entity cut by
a split continues in the next part, a code block keeps its language) or goes as a
document when it is longer than the user wants to read as messages.

Offsets and lengths are UTF-16 code units, as Telegram counts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from telethon.extensions import markdown
from telethon.helpers import add_surrogate, del_surrogate, strip_text
from telethon.tl.types import MessageEntityBold, MessageEntityPre, TypeMessageEntity
from telethon.utils import split_text

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_LANGUAGE_LINE = re.compile(r"([\w#+.-]{1,32})\n")


@dataclass(frozen=True)
class Part:
    """One Telegram message: its text and formatting entities."""

    text: str
    entities: list[TypeMessageEntity] = field(default_factory=list)

    @property
    def length(self) -> int:
        return len(add_surrogate(self.text))


@dataclass(frozen=True)
class AsDocument:
    """Too long to read as messages: sent as a file with a short caption."""

    file_name: str
    content: str
    caption: Part


Rendered = list[Part] | AsDocument


def parse_markdown(source: str) -> Part:
    """Markdown-style text -> text with entities; ```lang blocks keep their language."""
    text, entities = markdown.parse(source)
    return _lift_code_languages(text, list(entities))


def code_block(code: str, language: str = "", header: str = "") -> Part:
    """`header` in bold on its own line, then `code` as a pre block with its language."""
    code = code.rstrip("\n") or " "
    head = f"{header}\n" if header else ""
    head_units = len(add_surrogate(head))
    entities: list[TypeMessageEntity] = []
    if header:
        entities.append(MessageEntityBold(offset=0, length=len(add_surrogate(header))))
    entities.append(
        MessageEntityPre(offset=head_units, length=len(add_surrogate(code)), language=language)
    )
    return Part(head + code, entities)


def split(part: Part, limit: int = TEXT_LIMIT) -> list[Part]:
    """Parts of at most `limit` units, cut at a newline where one is in reach."""
    if part.length <= limit:
        return [part]
    parts = []
    for text, entities in split_text(
        part.text, part.entities, limit=limit, split_at=(r"\n", r"\s", r".")
    ):
        kept = list(entities)
        # Telegram trims each message; trim first so entity bounds stay true.
        parts.append(Part(del_surrogate(strip_text(add_surrogate(text), kept)), kept))
    return parts


def caption(part: Part, limit: int = CAPTION_LIMIT) -> Part:
    """The first `limit` units of `part`, with "…" when cut; entities clipped to fit."""
    if part.length <= limit:
        return part
    units = add_surrogate(part.text)[: limit - 1]
    if units and "\ud800" <= units[-1] <= "\udbff":  # never end on half a surrogate pair
        units = units[:-1]
    kept: list[TypeMessageEntity] = []
    for entity in part.entities:
        end = min(entity.offset + entity.length, len(units))
        if entity.offset < end:
            clipped = entity.to_dict()
            del clipped["_"]
            clipped["length"] = end - entity.offset
            kept.append(type(entity)(**clipped))
    return Part(del_surrogate(units) + "…", kept)


def render(part: Part, *, document_above: int, file_name: str) -> Rendered:
    """Messages for `part`, or a document when it is longer than `document_above` units."""
    if part.length > document_above:
        return AsDocument(file_name=file_name, content=part.text, caption=caption(part))
    return split(part)


def _lift_code_languages(text: str, entities: list[TypeMessageEntity]) -> Part:
    """Telethon's Markdown keeps "python\\n" of ```python as code text; make it the language."""
    units = add_surrogate(text)
    for pre in sorted(
        (e for e in entities if isinstance(e, MessageEntityPre)), key=lambda e: -e.offset
    ):
        match = _LANGUAGE_LINE.match(units, pos=pre.offset, endpos=pre.offset + pre.length)
        if pre.language or not match or match.end() == pre.offset + pre.length:
            continue
        cut = match.end() - pre.offset
        units = units[: pre.offset] + units[match.end() :]
        for entity in entities:
            if entity is pre:
                entity.length -= cut
                entity.language = match.group(1)
            elif entity.offset >= pre.offset + cut:
                entity.offset -= cut
            elif entity.offset + entity.length > pre.offset:
                entity.length -= cut
    return Part(del_surrogate(units), entities)
