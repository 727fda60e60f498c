"""A test's hand on the phone: acts as one user of the world (send text or a file, reply,
edit, press a button) and reads what arrived, waiting on events, never sleeping."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telethon.tl import types

from tests.telegram_server.api.bots import press
from tests.telegram_server.api.files import document, photo
from tests.telegram_server.world import Account, Group

if TYPE_CHECKING:
    from tests.telegram_server.server import TelegramServer


class Phone:
    def __init__(self, server: TelegramServer, account: Account) -> None:
        self.server = server
        self.account = account

    # ---- acting ------------------------------------------------------------------

    def send(self, to: Account | Group, text: str, *, reply_to: int | None = None) -> types.Message:
        """Sends as this user; returns this user's copy (its id is the phone's id)."""
        return self.server.world.post(self.account, to, text, reply_to=reply_to)

    def reply(self, message: types.Message, text: str) -> types.Message:
        return self.send(self._chat_of(message), text, reply_to=message.id)

    def send_file(
        self,
        to: Account | Group,
        data: bytes,
        name: str,
        *,
        mime_type: str = "application/octet-stream",
        caption: str = "",
    ) -> types.Message:
        from tests.telegram_server.server import DC_ID

        stored = self.server.world.store_file(data, name, mime_type)
        media = types.MessageMediaDocument(document=document(stored, DC_ID))
        return self.server.world.post(self.account, to, caption, media=media)

    def send_voice(self, to: Account | Group, ogg: bytes, duration: int) -> types.Message:
        """A voice note, as Telegram sends one: OGG/Opus, no file name, voice audio."""
        from tests.telegram_server.server import DC_ID

        stored = self.server.world.store_file(ogg, "", "audio/ogg")
        voice = types.DocumentAttributeAudio(duration=duration, voice=True)
        media = types.MessageMediaDocument(document=document(stored, DC_ID, [voice]), voice=True)
        return self.server.world.post(self.account, to, "", media=media)

    def send_photo(self, to: Account | Group, data: bytes, *, caption: str = "") -> types.Message:
        from tests.telegram_server.server import DC_ID

        stored = self.server.world.store_file(data, "photo.jpg", "image/jpeg")
        media = types.MessageMediaPhoto(photo=photo(stored, DC_ID))
        return self.server.world.post(self.account, to, caption, media=media)

    def edit(self, message: types.Message, text: str) -> None:
        from tests.telegram_server.world import now

        for account, copy in self.server.world.copies(self.account, message.id):
            copy.message = text
            copy.edit_date = now()
            update = account.append(types.UpdateEditMessage(message=copy, pts=0, pts_count=1))
            self.server.deliver(account, update)

    async def press(self, message: types.Message, data: bytes) -> types.messages.BotCallbackAnswer:
        """Presses an inline button; returns the bot's answer (BOT_RESPONSE_TIMEOUT if none)."""
        return await press(self.server, self.account, message.id, data)

    # ---- reading -----------------------------------------------------------------

    def received(self, sender: Account | None = None) -> list[types.Message]:
        """Messages that reached this user (not sent by it), oldest first."""
        found = [m for m in self.account.messages.values() if not m.out]
        if sender is not None:
            found = [m for m in found if self._sender_id(m) == sender.id]
        return sorted(found, key=lambda m: m.id)

    async def wait_messages(
        self, count: int, *, sender: Account | None = None, within: float = 10
    ) -> list[types.Message]:
        """Waits until at least `count` messages have arrived; returns them all."""
        return await self.server.wait_until(
            lambda: found if len(found := self.received(sender)) >= count else None, within
        )

    async def next_message(
        self, *, sender: Account | None = None, within: float = 10
    ) -> types.Message:
        """The first message to arrive from now on."""
        before = len(self.received(sender))
        return (await self.wait_messages(before + 1, sender=sender, within=within))[before]

    def file_of(self, message: types.Message) -> bytes:
        media = message.media
        item = getattr(media, "document", None) or getattr(media, "photo", None)
        if item is None:
            raise ValueError("the message has no file")
        return self.server.world.files[item.id].data

    def _sender_id(self, message: types.Message) -> int:
        if message.from_id is not None:
            peer_id: int = message.from_id.user_id
            return peer_id
        user_id: int = message.peer_id.user_id
        return user_id

    def _chat_of(self, message: types.Message) -> Account | Group:
        peer = message.peer_id
        if isinstance(peer, types.PeerChat):
            return self.server.world.groups[peer.chat_id]
        return self.server.world.accounts[peer.user_id]
