"""Bot replies built piece by piece with Telegram entities, so text from the workspace or
the phone (file names, commit subjects, search hits) is never read as Markdown."""

from __future__ import annotations

from telethon.helpers import add_surrogate
from telethon.tl.types import (
    MessageEntityBold,
    MessageEntityCode,
    MessageEntityItalic,
    MessageEntityPre,
    TypeMessageEntity,
)

from tgbridge.telegram.render import Part


class Text:
    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._entities: list[TypeMessageEntity] = []
        self._units = 0

    def plain(self, text: str) -> Text:
        self._pieces.append(text)
        self._units += len(add_surrogate(text))
        return self

    def bold(self, text: str) -> Text:
        return self._styled(text, lambda o, n: MessageEntityBold(o, n))

    def italic(self, text: str) -> Text:
        return self._styled(text, lambda o, n: MessageEntityItalic(o, n))

    def code(self, text: str) -> Text:
        return self._styled(text, lambda o, n: MessageEntityCode(o, n))

    def pre(self, text: str, language: str = "") -> Text:
        text = text.rstrip("\n") or " "
        return self._styled(text, lambda o, n: MessageEntityPre(o, n, language))

    def line(self, text: str = "") -> Text:
        return self.plain(text + "\n")

    def part(self) -> Part:
        return Part("".join(self._pieces).rstrip("\n"), list(self._entities))

    def __len__(self) -> int:
        return self._units

    def _styled(self, text: str, make: object) -> Text:
        units = len(add_surrogate(text))
        if units:
            self._entities.append(make(self._units, units))  # type: ignore[operator]
        return self.plain(text)


def plain(text: str) -> Part:
    return Part(text)
