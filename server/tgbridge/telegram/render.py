"""Editor text -> Telegram messages: Markdown-style formatting becomes entities through
Telethon's parser, code goes as a `pre` block with its language, and text over the limit
splits into parts that are each valid on their own (an entity cut by a split continues
in the next part, a code block keeps its language) or goes as a document when it is
longer than the user wants to read as messages.

What a split guarantees, given that Telegram trims the whitespace at both ends of a
message unless an entity such as `pre` starts the message (tdlib's fix_formatted_text):
- every part is an exact slice of the text, parts in order, each 1..limit UTF-16 units;
- no part ends with whitespace, and a part starts with whitespace only inside a code
  entity that starts the part, so Telegram shows each part exactly as sent;
- only whitespace lies between parts; inside code nothing does (the line break and the
  next line's indentation open the next part), so the code of the parts joins back to
  the source exactly, unless a run of whitespace in it is too long for one part.

Offsets and lengths are UTF-16 code units, as Telegram counts them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from telethon.extensions import markdown
from telethon.helpers import add_surrogate, del_surrogate
from telethon.tl import types
from telethon.tl.types import (
    MessageEntityBold,
    MessageEntityCode,
    MessageEntityPre,
    TypeMessageEntity,
)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_FENCE_LINE = re.compile(r"([\w#+.-]{0,32})\n")
_VISIBLE = re.compile(r"\S")
_LAST_SPACE = re.compile(r"\s\S*\Z")
_GUARD = "\u2063"  # invisible, neither whitespace nor Markdown
_KEEPS_LEADING = (MessageEntityPre, MessageEntityCode)


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
    # Telethon strips what it parses, which would take the indentation of a leading code
    # block: parse between guards and drop them, and let split() trim as Telegram does.
    text, entities = markdown.parse(_GUARD + source + _GUARD)
    units = add_surrogate(text)
    return _lift_code_languages(units[1:-1], _clip(entities, 1, len(units) - 1))


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
    """Parts of at most `limit` (>= 2) units, cut at a line break where one is in reach;
    see the module's docstring for what a split keeps."""
    units = add_surrogate(part.text)
    code = [(e.offset, e.offset + e.length) for e in part.entities if isinstance(e, _KEEPS_LEADING)]
    parts = []
    end = 0
    while (first := _first_visible(units, end)) < len(units):
        # Whitespace before the first visible character is kept where code holds both.
        start = min((max(a, end) for a, b in code if a <= first < b), default=first)
        end = _end(units, start, limit)
        if end == start:  # the kept whitespace leaves no room for anything visible
            start, end = first, _end(units, first, limit)
        parts.append(Part(del_surrogate(units[start:end]), _clip(part.entities, start, end)))
    return parts


def caption(part: Part, limit: int = CAPTION_LIMIT) -> Part:
    """The first `limit` units of `part`, with "…" when cut; entities clipped to fit."""
    if part.length <= limit:
        return part
    units = add_surrogate(part.text)[: limit - 1]
    if units and _is_high_surrogate(units[-1]):
        units = units[:-1]
    return Part(del_surrogate(units) + "…", _clip(part.entities, 0, len(units)))


def render(
    part: Part, *, document_above: int, file_name: str, content: str | None = None
) -> Rendered:
    """Messages for `part`, or a document when it is longer than `document_above` units;
    the document holds `content` when given (the source the part was made from)."""
    if part.length > document_above:
        return AsDocument(
            file_name=file_name,
            content=part.text if content is None else content,
            caption=caption(part),
        )
    return split(part)


def with_fences(text: str, entities: Sequence[Any]) -> str:
    """The text as the Chat view and the history show it: code blocks fenced (with their
    language) and inline code in backticks, the rest of the formatting dropped."""
    marks: list[tuple[int, int, str]] = []  # (position, order at that position, mark)
    units = add_surrogate(text)
    for entity in entities:
        start, end = entity.offset, entity.offset + entity.length
        if isinstance(entity, MessageEntityPre):
            close = "```" if units[end - 1 : end] == "\n" else "\n```"
            marks += [(start, 1, f"```{entity.language or ''}\n"), (end, 0, close)]
        elif isinstance(entity, MessageEntityCode):
            marks += [(start, 1, "`"), (end, 0, "`")]
    if not marks:
        return text
    pieces: list[str] = []
    at = 0
    for position, _, mark in sorted(marks):
        pieces += [units[at:position], mark]
        at = position
    pieces.append(units[at:])
    shown: str = del_surrogate("".join(pieces))
    return shown


def entity_from_dict(item: dict[str, Any]) -> TypeMessageEntity:
    """An entity stored as Telethon's `to_dict()` back to its TL object."""
    fields = dict(item)
    made: TypeMessageEntity = getattr(types, fields.pop("_"))(**fields)
    return made


def _first_visible(units: str, pos: int) -> int:
    found = _VISIBLE.search(units, pos)
    return found.start() if found else len(units)


def _end(units: str, start: int, limit: int) -> int:
    """Where the part from `start` ends: before the last line break in reach, else the last
    whitespace, else at the limit (never inside a surrogate pair); never on whitespace.
    `start` when no cut leaves anything visible."""
    stop = start + limit
    if stop >= len(units):
        return start + len(units[start:].rstrip())
    window = units[start:stop]
    space = _LAST_SPACE.search(window)
    hard = limit - 1 if _is_high_surrogate(window[-1]) else limit
    for cut in (window.rfind("\n"), space.start() if space else -1, hard):
        end = start + len(window[: max(cut, 0)].rstrip())
        if end > start:
            return end
    return start


def _clip(entities: Sequence[TypeMessageEntity], start: int, end: int) -> list[TypeMessageEntity]:
    """The entities' parts within units [start, end), offsets from `start`."""
    kept = []
    for entity in entities:
        begin, stop = max(entity.offset, start), min(entity.offset + entity.length, end)
        if begin < stop:
            clipped = copy.copy(entity)
            clipped.offset, clipped.length = begin - start, stop - begin
            kept.append(clipped)
    return kept


def _is_high_surrogate(unit: str) -> bool:
    return "\ud800" <= unit <= "\udbff"


def _lift_code_languages(units: str, entities: list[TypeMessageEntity]) -> Part:
    """Telethon's Markdown keeps the opening fence's "python\\n" (or bare "\\n") as code
    text: make it the language, and leave the closing fence's line break out of the block."""
    for pre in sorted(
        (e for e in entities if isinstance(e, MessageEntityPre)), key=lambda e: -e.offset
    ):
        match = _FENCE_LINE.match(units, pos=pre.offset, endpos=pre.offset + pre.length)
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
        if pre.length > 1 and units[pre.offset + pre.length - 1] == "\n":
            pre.length -= 1
    return Part(del_surrogate(units), entities)
