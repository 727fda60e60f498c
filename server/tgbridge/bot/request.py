"""One command or button press from an allowed user, with the ways to answer it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tgbridge.security.access import User
from tgbridge.telegram.render import Part

if TYPE_CHECKING:
    from tgbridge.bot.phone import PhoneBot


@dataclass(frozen=True)
class Choice:
    """One inline button: what it says and the action (with its payload) it runs."""

    label: str
    action: str
    payload: dict[str, Any] = field(default_factory=dict)


Keyboard = list[list[Choice]]


@dataclass
class Request:
    bot: PhoneBot
    user: User
    chat_id: int
    message_id: int
    command: str
    args: str

    async def reply(
        self,
        part: Part,
        *,
        buttons: Keyboard | None = None,
        file_name: str = "reply.txt",
        document_above: int | None = None,
        content: str | None = None,
    ) -> int:
        """Sends the answer (longer than `document_above`, default the setting, as a
        document); returns the send id."""
        return await self.bot.send(
            self.user.user_id,
            self.chat_id,
            part,
            buttons=buttons,
            file_name=file_name,
            document_above=document_above,
            content=content,
        )

    async def reply_document(self, path: Path, caption: Part) -> int:
        return await self.bot.send(self.user.user_id, self.chat_id, caption, document=path)

    def audit(self, outcome: str, detail: str = "") -> None:
        self.bot.access.audit(self.user.user_id, f"command:/{self.command}", outcome, detail)


@dataclass
class PressRequest:
    bot: PhoneBot
    user: User
    chat_id: int
    message_id: int
    action: str
    payload: dict[str, Any]

    async def edit(self, part: Part, *, buttons: Keyboard | None = None) -> None:
        """Replaces the pressed message (its keyboard goes unless new buttons are given)."""
        await self.bot.edit(self.user.user_id, self.chat_id, self.message_id, part, buttons=buttons)

    async def reply(self, part: Part, *, buttons: Keyboard | None = None) -> int:
        return await self.bot.send(self.user.user_id, self.chat_id, part, buttons=buttons)

    def audit(self, outcome: str, detail: str = "") -> None:
        self.bot.access.audit(self.user.user_id, f"button:{self.action}", outcome, detail)
