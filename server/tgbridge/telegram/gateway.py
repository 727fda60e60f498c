"""The Telethon gateway: one Telegram client, its connection state, login, inbound events,
and the send function the outbox drains into.

Telethon's own reconnect neither reports the gap nor fetches what was missed during it
(TESTING.md), so the gateway supervises the connection itself: when it drops, it reports
"offline", reconnects with capped back-off, asks for the difference at once and reports
"online" again. Flood waits are left to the outbox (flood_sleep_threshold=0) and server
errors are not retried inside Telethon (request_retries=0): one place decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from telethon import TelegramClient, errors, events, functions, types
from telethon.crypto import rsa
from telethon.sessions import StringSession

from tgbridge.store.outbox_store import OutboxRow
from tgbridge.telegram.errors import AlreadySent, FloodWait, PermanentError, TransientError

logger = logging.getLogger(__name__)

StateName = Literal["connecting", "online", "offline", "unauthorized"]


@dataclass(frozen=True)
class DataCenter:
    """A custom data centre: the loopback test server, or Telegram's test environment."""

    id: int
    host: str
    port: int
    public_key_file: Path | None = None


@dataclass(frozen=True)
class Credentials:
    api_id: int
    api_hash: str
    session: str = ""


@dataclass(frozen=True)
class Incoming:
    chat_id: int
    message_id: int
    sender_id: int | None
    text: str
    date: float
    reply_to: int | None
    edited: bool
    outgoing: bool
    file_path: str | None = None
    file_note: str | None = None  # why a file was not saved, e.g. over the size limit


class LoginPrompt(Protocol):
    async def __call__(self, kind: Literal["code", "password"], hint: str) -> str | None: ...


class LoginError(Exception):
    """A login that cannot go on; the message says why, without the secret."""


OnState = Callable[[StateName, str], None]
OnIncoming = Callable[[Incoming], Awaitable[None]]
OnCallback = Callable[[int, int, bytes], Awaitable[str | None]]


class Gateway:
    def __init__(
        self,
        credentials: Credentials,
        *,
        data_center: DataCenter | None,
        on_state: OnState,
        on_incoming: OnIncoming,
        on_reconnected: Callable[[], None] = lambda: None,
        reconnect_cap: float = 30.0,
        downloads: Path | None = None,
        max_download_bytes: int = 20 * 1024 * 1024,
    ) -> None:
        self._downloads = downloads
        self._max_download_bytes = max_download_bytes
        if data_center and data_center.public_key_file:
            rsa.add_key(data_center.public_key_file.read_text(), old=False)
        self._client = TelegramClient(
            StringSession(credentials.session),
            credentials.api_id,
            credentials.api_hash,
            flood_sleep_threshold=0,
            # One attempt: the outbox decides on retries. Telethon still sleeps 2 s after
            # a 5xx (RANDOM_ID_DUPLICATE is one) before raising it.
            request_retries=0,
            raise_last_call_error=True,
            connection_retries=1,
            retry_delay=0,
            auto_reconnect=False,
            catch_up=False,  # asked for by us, once we know the session is authorized
            base_logger="tgbridge.telethon",
        )
        if data_center:
            self._client.session.set_dc(data_center.id, data_center.host, data_center.port)
        self._on_state = on_state
        self._on_incoming = on_incoming
        self._on_reconnected = on_reconnected
        self._reconnect_cap = reconnect_cap
        self._supervisor: asyncio.Task[None] | None = None
        self._closing = False
        self._inbox: asyncio.Queue[tuple[Any, bool]] = asyncio.Queue()
        self._peers: dict[int, Any] = {}  # input peers already resolved, by chat id
        self._inbox_task = asyncio.create_task(self._deliver_inbox())
        self._client.add_event_handler(self._new_message, events.NewMessage())
        self._client.add_event_handler(self._edited_message, events.MessageEdited())
        self._client.add_event_handler(self._callback_query, events.CallbackQuery())

    @property
    def session(self) -> str:
        saved: str = self._client.session.save()
        return saved

    async def start(self, *, keep_trying: bool) -> bool:
        """Connects; True when the session is logged in. Without `keep_trying` an
        unreachable Telegram is a LoginError at once, as a login wizard wants."""
        self._on_state("connecting", "Connecting to Telegram…")
        if keep_trying:
            await self._connect_with_backoff()
        else:
            try:
                await self._client.connect()
            except (TimeoutError, ConnectionError, OSError) as error:
                self._on_state("offline", "Cannot reach Telegram.")
                raise LoginError(f"Cannot reach Telegram ({type(error).__name__}).") from None
        self._supervisor = asyncio.create_task(self._supervise())
        return await self._authorized_and_caught_up()

    async def stop(self) -> None:
        self._closing = True
        self._inbox_task.cancel()
        if self._supervisor:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self._client.disconnect()

    async def login_bot(self, token: str) -> str:
        try:
            await self._client.sign_in(bot_token=token)
        except (errors.AccessTokenInvalidError, errors.AccessTokenExpiredError) as error:
            raise LoginError("Telegram refused the bot token.") from error
        await self._report_authorization()
        return self.session

    async def login_user(self, phone: str, ask: LoginPrompt) -> str:
        try:
            await self._client.send_code_request(phone)
        except errors.PhoneNumberInvalidError as error:
            raise LoginError("Telegram does not know that phone number.") from error
        code = await ask("code", f"The login code Telegram sent for {_masked(phone)}")
        if not code:
            raise LoginError("Login cancelled.")
        try:
            await self._client.sign_in(phone=phone, code=code.strip())
        except (errors.PhoneCodeInvalidError, errors.PhoneCodeExpiredError) as error:
            raise LoginError("The login code is wrong or expired.") from error
        except errors.SessionPasswordNeededError:
            password = await ask("password", "Your Telegram two-step verification password")
            if not password:
                raise LoginError("Login cancelled.") from None
            try:
                await self._client.sign_in(password=password)
            except errors.PasswordHashInvalidError as error:
                raise LoginError("The two-step verification password is wrong.") from error
        await self._report_authorization()
        return self.session

    async def logout(self) -> None:
        with contextlib.suppress(errors.RPCError, ConnectionError):
            await self._client.log_out()
        self._on_state("unauthorized", "Logged out of Telegram.")

    async def peer_id(self, chat: str) -> int:
        """The id of a chat named by @username, phone or "me"; ValueError when unknown."""
        peer_id: int = await self._client.get_peer_id(chat)
        return peer_id

    async def send(self, row: OutboxRow) -> int | None:
        """Sends one outbox row with its own random_id; the outbox's Transport."""
        try:
            peer = self._peers.get(row.chat_id) or await self._client.get_input_entity(row.chat_id)
            self._peers[row.chat_id] = peer
            request = self._request(row, peer, await self._media(row))
            result = await self._client(request)
        except errors.FloodWaitError as error:
            # Telethon would refuse every later send of this type, to any chat, for the
            # wait; the outbox pauses only the chat Telegram named, so forget it here.
            getattr(self._client, "_flood_waited_requests", {}).clear()
            raise FloodWait(error.seconds) from error
        except errors.RandomIdDuplicateError as error:
            raise AlreadySent() from error
        except (TimeoutError, errors.ServerError, ConnectionError, OSError) as error:
            raise TransientError(type(error).__name__) from error
        except (errors.RPCError, ValueError) as error:
            raise PermanentError(str(error)) from error
        return _sent_message_id(result, row.random_id)

    def _request(self, row: OutboxRow, peer: Any, media: Any) -> Any:
        payload = row.payload
        entities = [_entity(item) for item in payload.get("entities", [])]
        reply = types.InputReplyToMessage(reply_to_msg_id=row.reply_to) if row.reply_to else None
        if media is None:
            return functions.messages.SendMessageRequest(
                peer=peer,
                message=payload["text"],
                random_id=row.random_id,
                entities=entities,
                reply_to=reply,
                no_webpage=True,
            )
        return functions.messages.SendMediaRequest(
            peer=peer,
            media=media,
            message=payload.get("caption", ""),
            random_id=row.random_id,
            entities=entities,
            reply_to=reply,
        )

    async def _media(self, row: OutboxRow) -> Any:
        if row.kind != "file":
            return None
        path = Path(row.payload["path"])
        uploaded = await self._client.upload_file(
            path, file_name=row.payload.get("name", path.name)
        )
        return types.InputMediaUploadedDocument(
            file=uploaded,
            mime_type=row.payload.get("mimeType", "application/octet-stream"),
            attributes=[types.DocumentAttributeFilename(row.payload.get("name", path.name))],
            force_file=True,
        )

    async def _report_authorization(self) -> bool:
        me = await self._client.get_me()  # None when the session is not (or no longer) valid
        if me is not None:
            name = getattr(me, "username", None) or getattr(me, "first_name", None) or me.id
            self._on_state("online", f"Online as {name}.")
            return True
        self._on_state("unauthorized", "Not logged in to Telegram: run tgbridge: Log In.")
        return False

    async def _supervise(self) -> None:
        while not self._closing:
            with contextlib.suppress(Exception):
                await self._client.disconnected
            if self._closing:
                return
            self._on_state("offline", "Connection to Telegram lost; reconnecting…")
            # A full disconnect ends Telethon's update loop: connect() starts a new one,
            # and two loops on one message box corrupt it.
            await self._client.disconnect()
            await self._connect_with_backoff()
            try:
                authorized = await self._authorized_and_caught_up()
            except (ConnectionError, OSError, TimeoutError) as error:
                logger.info("connection lost again while resuming: %s", error)
                continue
            if not authorized:
                return  # nothing to resume until the user logs in again
            self._on_reconnected()

    async def _authorized_and_caught_up(self) -> bool:
        """Reports the state; when authorized, fetches at once what was missed while
        away (on its own Telethon would only notice at the next gap, or 15 min later)."""
        if not await self._report_authorization():
            return False
        await self._client.catch_up()
        return True

    async def _connect_with_backoff(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._client.connect()
                return
            except (TimeoutError, ConnectionError, OSError) as error:
                wait = random.uniform(delay / 2, delay)
                logger.warning("cannot reach Telegram (%s); retry in %.1f s", error, wait)
                self._on_state("offline", f"Cannot reach Telegram; retrying in {wait:.0f} s.")
                await asyncio.sleep(wait)
                delay = min(delay * 2, self._reconnect_cap)

    async def _new_message(self, event: events.NewMessage.Event) -> None:
        # Handed over at once, without awaiting: Telethon cancels its handler tasks when
        # it disconnects, and the update's pts is already counted as seen.
        self._inbox.put_nowait((event, False))

    async def _edited_message(self, event: events.MessageEdited.Event) -> None:
        self._inbox.put_nowait((event, True))

    async def _deliver_inbox(self) -> None:
        """Passes inbound messages on in the order they came, files saved first."""
        while True:
            event, edited = await self._inbox.get()
            try:
                incoming = _incoming(event.message, edited=edited)
                if not edited:
                    incoming = await self._with_file(incoming, event)
                await self._on_incoming(incoming)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("could not take in message %s", event.message.id)

    async def _with_file(self, incoming: Incoming, event: Any) -> Incoming:
        """Saves a received document or photo under the state dir, within the size limit."""
        message = event.message
        if self._downloads is None or not (message.document or message.photo):
            return incoming
        size = message.file.size or 0
        if size > self._max_download_bytes:
            note = f"not saved: {size} bytes is over the {self._max_download_bytes}-byte limit"
            return replace(incoming, file_note=note)
        folder = self._downloads / str(incoming.chat_id)
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(message.file.name or f"{incoming.message_id}{message.file.ext or ''}").name
        try:
            path = await message.download_media(file=str(folder / f"{incoming.message_id}-{name}"))
        except (errors.RPCError, ConnectionError, OSError, TimeoutError) as error:
            logger.warning("could not download the file of message %s: %s", message.id, error)
            return replace(incoming, file_note=f"not saved: the download failed ({error})")
        return replace(incoming, file_path=str(path))

    async def _callback_query(self, event: events.CallbackQuery.Event) -> None:
        # Always answered, or the phone shows a spinner until Telegram gives up.
        await event.answer()


def _incoming(message: Any, *, edited: bool) -> Incoming:
    reply = message.reply_to.reply_to_msg_id if message.reply_to else None
    return Incoming(
        chat_id=message.chat_id,
        message_id=message.id,
        sender_id=message.sender_id,
        text=message.message or "",
        date=message.date.timestamp(),
        reply_to=reply,
        edited=edited,
        outgoing=bool(message.out),
    )


def _entity(item: dict[str, Any]) -> Any:
    """An entity stored as Telethon's `to_dict()` back to its TL object."""
    fields = dict(item)
    return getattr(types, fields.pop("_"))(**fields)


def _sent_message_id(result: Any, random_id: int) -> int | None:
    if isinstance(result, types.UpdateShortSentMessage):
        return int(result.id)
    for update in getattr(result, "updates", []):
        if isinstance(update, types.UpdateMessageID) and update.random_id == random_id:
            return int(update.id)
    return None


def _masked(phone: str) -> str:
    return phone[:3] + "…" + phone[-2:] if len(phone) > 6 else "your number"
