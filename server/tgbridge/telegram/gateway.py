"""The Telethon gateway: one Telegram client, its connection state, login, inbound events,
and the send function the outbox drains into.

Telethon's own reconnect neither reports the gap nor fetches what was missed during it
(TESTING.md), so the gateway supervises the connection itself: when it drops, it reports
"offline", reconnects with capped back-off, asks for the difference at once and reports
"online" again. Flood waits are left to the outbox (flood_sleep_threshold=0) and server
errors are not retried inside Telethon (request_retries=0): one place decides.

The update stream resumes where the store says it stopped (session.py, checkpoint.py):
inbound messages, resume points and gap reports pass through one ordered queue, so a
resume point is saved only after the messages before it are stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from telethon import Button, TelegramClient, errors, events, functions, types
from telethon._updates import ChannelState, SessionState
from telethon.crypto import rsa

from tgbridge.store.accounts import Account, AccountStore, UpdatePosition
from tgbridge.store.files import ReceivedFiles
from tgbridge.store.outbox_store import OutboxRow
from tgbridge.telegram.checkpoint import CheckpointBox
from tgbridge.telegram.downloads import Download, Downloads, OnFile
from tgbridge.telegram.errors import AlreadySent, FloodWait, PermanentError, TransientError
from tgbridge.telegram.render import entity_from_dict, with_fences
from tgbridge.telegram.session import StoreSession

logger = logging.getLogger(__name__)

StateName = Literal["connecting", "online", "offline", "unauthorized"]
RESOLVE_TIMEOUT = 5.0  # an @username lookup that takes longer is treated as offline
LOGOUT_TIMEOUT = 5.0
RECOVERY_BATCH = 100
# What a lost or refused connection raises (asyncio's IncompleteReadError is an EOFError).
NETWORK_ERRORS = (ConnectionError, OSError, TimeoutError, EOFError)


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
    file_pending: bool = False  # a file is being downloaded; reported through on_file
    forwarded: bool = False  # a forward is never a command
    sender_name: str = ""
    private: bool = True  # a one-to-one chat (or Saved Messages), not a group


@dataclass(frozen=True)
class Press:
    """An inline button pressed on the phone."""

    user_id: int
    chat_id: int
    message_id: int
    data: bytes
    user_name: str = ""


@dataclass(frozen=True)
class PressAnswer:
    text: str = ""
    alert: bool = False


@dataclass(frozen=True)
class TooLong:
    """Telegram would not hand over what came since `pts`: it jumped to `to_pts`."""

    pts: int
    to_pts: int


class LoginPrompt(Protocol):
    async def __call__(self, kind: Literal["code", "password"], hint: str) -> str | None: ...


class LoginError(Exception):
    """A login that cannot go on; the message says why, without the secret."""


class Offline(Exception):
    """Telegram cannot be asked right now (a lookup waits for the connection)."""


OnState = Callable[[StateName, str], None]
OnIncoming = Callable[[Incoming], Awaitable[bool]]  # False: not stored (known, or refused)
OnPress = Callable[[Press], Awaitable[PressAnswer]]
OnAccount = Callable[[Account | None], None]
# (pts we had, pts Telegram jumped to, messages fetched instead)
OnTooLong = Callable[[TooLong, int], Awaitable[None]]
LastMessageId = Callable[[], int]
_Item = tuple[Any, bool] | list[UpdatePosition] | TooLong


class Gateway:
    def __init__(
        self,
        credentials: Credentials,
        *,
        accounts: AccountStore,
        data_center: DataCenter | None,
        on_state: OnState,
        on_incoming: OnIncoming,
        on_account: OnAccount = lambda account: None,
        on_reconnected: Callable[[], None] = lambda: None,
        on_file: OnFile | None = None,
        on_press: OnPress | None = None,
        on_too_long: OnTooLong | None = None,
        last_message_id: LastMessageId = lambda: 0,
        reconnect_cap: float = 30.0,
        files: ReceivedFiles | None = None,
        max_download_bytes: int = 20 * 1024 * 1024,
    ) -> None:
        self._files = files
        self._max_download_bytes = max_download_bytes
        if data_center and data_center.public_key_file:
            rsa.add_key(data_center.public_key_file.read_text(), old=False)
        self._accounts = accounts
        self._session = StoreSession(credentials.session, accounts)
        self._client = TelegramClient(
            self._session,
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
            catch_up=False,  # the gateway loads the saved state and asks for the difference
            sequential_updates=True,  # checkpoint.py relies on it
            base_logger="tgbridge.telethon",
        )
        self._client._message_box = CheckpointBox(
            on_safe_point=self._inbox_safe_point, on_too_long=self._too_long
        )
        if data_center:
            self._client.session.set_dc(data_center.id, data_center.host, data_center.port)
        self._on_state = on_state
        self._on_incoming = on_incoming
        self._on_account = on_account
        self._on_reconnected = on_reconnected
        self._on_too_long = on_too_long
        self._on_press = on_press
        self._last_message_id = last_message_id
        self._reconnect_cap = reconnect_cap
        self._supervisor: asyncio.Task[None] | None = None
        self._closing = False
        self.account: Account | None = None
        self._inbox: asyncio.Queue[_Item | None] = asyncio.Queue()  # None: drained, stop
        self._peers: dict[int, Any] = {}  # input peers already resolved, by chat id
        self._downloads = Downloads(files, on_file) if on_file and files else None
        if self._downloads is None:
            self._files = None
        self._inbox_task = asyncio.create_task(self._deliver_inbox())
        self._client.add_event_handler(self._new_message, events.NewMessage())
        self._client.add_event_handler(self._edited_message, events.MessageEdited())
        self._client.add_event_handler(self._callback_query, events.CallbackQuery())
        self._resume_saved_position()

    @property
    def session(self) -> str:
        saved: str = self._session.save()
        return saved

    async def start(self, *, keep_trying: bool) -> bool:
        """Connects. With `keep_trying` the connection is kept from then on, in the
        background, and True is returned at once. Without it an unreachable Telegram is a
        LoginError at once, as a login wizard wants, and the result says whether the
        session is logged in."""
        self._on_state("connecting", "Connecting to Telegram…")
        if keep_trying:
            self._supervisor = asyncio.create_task(self._supervise(connected=False))
            return True
        try:
            await self._client.connect()
        except NETWORK_ERRORS as error:
            self._on_state("offline", "Cannot reach Telegram.")
            raise LoginError(f"Cannot reach Telegram ({type(error).__name__}).") from None
        return await self._authorized_and_caught_up()

    def keep_connected(self) -> None:
        """After a login on a single connection: supervise it from now on."""
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(connected=True))

    async def stop(self) -> None:
        """Disconnects, then stores what was received: every message handed over before
        the stop, the last resume point, the files in progress (or why they are not)."""
        self._closing = True
        if self._supervisor:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self._client.disconnect()
        self._inbox.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._inbox_task
        if self._downloads is not None:
            await self._downloads.stop()

    async def login_bot(self, token: str) -> str:
        try:
            await self._client.sign_in(bot_token=token)
        except (errors.AccessTokenInvalidError, errors.AccessTokenExpiredError) as error:
            raise LoginError("Telegram refused the bot token.") from error
        await self._logged_in()
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
        await self._logged_in()
        return self.session

    async def _logged_in(self) -> None:
        await self._report_authorization()
        # Wakes the update loop: its next question to the box is the first resume point.
        await self._client.catch_up()

    async def logout(self) -> bool:
        """Stops connecting at once, then tells Telegram if it can be reached; True when
        Telegram was told (the session is ended there too)."""
        self._closing = True
        if self._supervisor:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        told = False
        if self._client.is_connected():
            try:
                request = self._client(functions.auth.LogOutRequest())
                told = bool(await asyncio.wait_for(request, LOGOUT_TIMEOUT))
            except Exception as error:  # whatever went wrong, Telegram was not told
                logger.warning("could not tell Telegram about the logout: %r", error)
        if self.account is not None:
            self._accounts.forget_key(self.account.id)
        self.account = None
        self._on_account(None)
        await self.stop()
        if told:
            self._on_state("unauthorized", "Logged out of Telegram.")
        else:
            self._on_state(
                "unauthorized",
                "Logged out here, but Telegram could not be reached and was not told: end "
                "the session in Telegram's Settings → Devices.",
            )
        return told

    async def peer_id(self, chat: str) -> int:
        """The id of a chat named by @username, phone or "me". ValueError when Telegram
        does not know it; Offline when it is not in the store and Telegram cannot be asked."""
        try:
            peer_id: int = await asyncio.wait_for(self._client.get_peer_id(chat), RESOLVE_TIMEOUT)
        except NETWORK_ERRORS as error:
            raise Offline(str(error)) from None
        return peer_id

    async def send(self, row: OutboxRow) -> int | None:
        """Sends one outbox row with its own random_id; the outbox's Transport."""
        if self.account is None or row.account_id != self.account.id:
            raise TransientError("waiting for the account that queued it")
        try:
            peer = self._peers.get(row.chat_id) or await self._client.get_input_entity(row.chat_id)
            self._peers[row.chat_id] = peer
            request = self._request(row, peer, await self._media(row))
            result = await self._client(request)
        except (errors.FloodWaitError, errors.SlowModeWaitError, errors.FloodPremiumWaitError) as e:
            # Telethon would refuse every later send of this type, to any chat, for the
            # wait; the outbox pauses only the chat Telegram named, so forget it here.
            getattr(self._client, "_flood_waited_requests", {}).clear()
            raise FloodWait(e.seconds) from e
        except errors.RandomIdDuplicateError as error:
            raise AlreadySent() from error
        except (TimeoutError, errors.ServerError, ConnectionError, EOFError) as error:
            raise TransientError(type(error).__name__) from error
        except (FileNotFoundError, PermissionError, IsADirectoryError) as error:
            raise PermanentError(f"cannot read {error.filename}: {error.strerror}") from error
        except OSError as error:
            raise TransientError(type(error).__name__) from error
        except (errors.RPCError, ValueError) as error:
            raise PermanentError(str(error)) from error
        return _sent_message_id(result, row.random_id)

    def _request(self, row: OutboxRow, peer: Any, media: Any) -> Any:
        payload = row.payload
        entities = [entity_from_dict(item) for item in payload.get("entities", [])]
        reply = types.InputReplyToMessage(reply_to_msg_id=row.reply_to) if row.reply_to else None
        markup = _markup(payload.get("buttons"))
        if media is None:
            return functions.messages.SendMessageRequest(
                peer=peer,
                message=payload["text"],
                random_id=row.random_id,
                entities=entities,
                reply_to=reply,
                no_webpage=True,
                reply_markup=markup,
            )
        return functions.messages.SendMediaRequest(
            peer=peer,
            media=media,
            message=payload.get("caption", ""),
            random_id=row.random_id,
            entities=entities,
            reply_to=reply,
            reply_markup=markup,
        )

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        entities: list[dict[str, Any]] | None = None,
        buttons: list[list[dict[str, str]]] | None = None,
    ) -> None:
        """Edits a message the bot or account sent (a task's output, a used keyboard).
        Raises FloodWait, TransientError or PermanentError as a send does."""
        if self.account is None:
            raise TransientError("not logged in")
        try:
            peer = self._peers.get(chat_id) or await self._client.get_input_entity(chat_id)
            self._peers[chat_id] = peer
            await self._client(
                functions.messages.EditMessageRequest(
                    peer=peer,
                    id=message_id,
                    message=text,
                    entities=[entity_from_dict(item) for item in entities or []],
                    reply_markup=_markup(buttons),
                    no_webpage=True,
                )
            )
        except errors.MessageNotModifiedError:
            return
        except (errors.FloodWaitError, errors.SlowModeWaitError) as e:
            getattr(self._client, "_flood_waited_requests", {}).clear()
            raise FloodWait(e.seconds) from e
        except (TimeoutError, errors.ServerError, *NETWORK_ERRORS) as error:
            raise TransientError(type(error).__name__) from error
        except (errors.RPCError, ValueError) as error:
            raise PermanentError(str(error)) from error

    async def set_commands(self, scopes: list[tuple[int | None, list[tuple[str, str]]]]) -> None:
        """Telegram's command menu: (user id or None for everyone, [(command, summary)])."""
        for user_id, commands in scopes:
            scope: Any = types.BotCommandScopeDefault()
            if user_id is not None:
                peer = await self._client.get_input_entity(user_id)
                scope = types.BotCommandScopePeer(peer=peer)
            await self._client(
                functions.bots.SetBotCommandsRequest(
                    scope=scope,
                    lang_code="",
                    commands=[types.BotCommand(name, summary) for name, summary in commands],
                )
            )

    async def _media(self, row: OutboxRow) -> Any:
        if row.kind != "file":
            return None
        path = Path(row.payload["path"])
        if not _is_file(path):  # a local file is gone: no network error, no retry
            raise PermanentError(f"the file {path} is gone")
        uploaded = await self._client.upload_file(
            path, file_name=row.payload.get("name", path.name)
        )
        return types.InputMediaUploadedDocument(
            file=uploaded,
            mime_type=row.payload.get("mimeType", "application/octet-stream"),
            attributes=[types.DocumentAttributeFilename(row.payload.get("name", path.name))],
            force_file=True,
        )

    # ---- connection ------------------------------------------------------------------

    def _resume_saved_position(self) -> None:
        """Binds the session to the account its auth key last logged in as, and loads
        where that account's update stream stopped, so connecting catches up from there."""
        key_id = self._session.key_id
        known = self._accounts.by_key(key_id) if key_id else None
        if known is None:
            return
        self.account = known
        self._session.bind(known.id)
        positions = self._accounts.positions(known.id)
        account = next((p for p in positions if p.entity_id == 0), None)
        if account is None:
            return
        state = SessionState(0, 0, False, account.pts, account.qts, account.date, account.seq, None)
        channels = [ChannelState(p.entity_id, p.pts) for p in positions if p.entity_id != 0]
        self._client._message_box.load(state, channels)

    async def _report_authorization(self) -> bool:
        me = await self._client.get_me()  # None when the session is not (or no longer) valid
        if me is None:
            self._on_state("unauthorized", "Not logged in to Telegram: run tgbridge: Log In.")
            return False
        name = f"@{me.username}" if getattr(me, "username", None) else me.first_name or str(me.id)
        account = Account(id=me.id, name=name, bot=bool(me.bot))
        if self._session.key_id:
            self._accounts.remember(account, self._session.key_id)
        self._session.bind(account.id)
        self.account = account
        self._on_account(account)
        self._on_state("online", f"Online as {name}.")
        return True

    async def _supervise(self, *, connected: bool) -> None:
        """Keeps the connection: (re)connects with back-off, catches up, waits for the
        drop. An unexpected error is logged, shown, and retried with back-off too."""
        failures = 0
        while not self._closing:
            try:
                if not connected:
                    await self._connect_with_backoff()
                    if not await self._authorized_and_caught_up():
                        return  # nothing to resume until the user logs in again
                    self._on_reconnected()
                connected = False
                failures = 0
                with contextlib.suppress(Exception):
                    await self._client.disconnected
                if self._closing:
                    return
                self._on_state("offline", "Connection to Telegram lost; reconnecting…")
                # A full disconnect ends Telethon's update loop: connect() starts a new
                # one, and two loops on one message box corrupt it.
                await self._client.disconnect()
            except asyncio.CancelledError:
                raise
            except NETWORK_ERRORS as error:
                logger.info("connection lost again while resuming: %r", error)
                connected = False
            except Exception as error:
                failures += 1
                wait = min(self._reconnect_cap, 0.5 * 2**failures)
                logger.exception("the connection task failed; retrying in %.0f s", wait)
                self._on_state(
                    "offline",
                    f"Internal error in the connection ({type(error).__name__}); "
                    f"retrying in {wait:.0f} s. See the logs.",
                )
                with contextlib.suppress(Exception):
                    await self._client.disconnect()
                await asyncio.sleep(wait)
                connected = False

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
            except NETWORK_ERRORS as error:
                wait = random.uniform(delay / 2, delay)
                logger.warning("cannot reach Telegram (%s); retry in %.1f s", error, wait)
                self._on_state("offline", f"Cannot reach Telegram; retrying in {wait:.0f} s.")
                await asyncio.sleep(wait)
                delay = min(delay * 2, self._reconnect_cap)

    # ---- inbound ---------------------------------------------------------------------

    def _inbox_safe_point(self, positions: list[UpdatePosition]) -> None:
        self._inbox.put_nowait(positions)

    def _too_long(self, pts: int, to_pts: int) -> None:
        self._inbox.put_nowait(TooLong(pts, to_pts))

    async def _new_message(self, event: events.NewMessage.Event) -> None:
        # Handed over at once, without awaiting: the update loop goes on with the batch.
        self._inbox.put_nowait((event.message, False))

    async def _edited_message(self, event: events.MessageEdited.Event) -> None:
        self._inbox.put_nowait((event.message, True))

    async def _deliver_inbox(self) -> None:
        """Stores inbound messages in the order they came; saves a resume point only
        after every message before it is stored."""
        while (item := await self._inbox.get()) is not None:
            try:
                if isinstance(item, list):
                    self._session.save_position(item)
                elif isinstance(item, TooLong):
                    await self._recover(item)
                else:
                    await self._take_in(*item)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("could not take in %s", type(item).__name__)

    async def _take_in(self, message: Any, edited: bool) -> None:
        """Stores one message; a new one's file goes to the download queue."""
        incoming = _incoming(message, edited=edited)
        has_file = (
            not edited and self._downloads is not None and bool(message.document or message.photo)
        )
        size = (message.file.size or 0) if has_file else 0
        if has_file and size > self._max_download_bytes:
            note = f"not saved: {size} bytes is over the {self._max_download_bytes}-byte limit"
            incoming, has_file = replace(incoming, file_note=note), False
        elif has_file:
            incoming = replace(incoming, file_pending=True)
        stored = await self._on_incoming(incoming)  # False: known already, delivered again
        if not (stored and has_file and self._files and self._downloads):
            return
        name = message.file.name or f"{incoming.message_id}{message.file.ext or ''}"
        target = self._files.reserve(incoming.chat_id, incoming.message_id, name)
        self._downloads.add(Download(incoming.chat_id, incoming.message_id, message, target))

    async def _recover(self, gap: TooLong) -> None:
        """Telegram skipped a long gap: fetch the messages after the last one stored, by
        id (private chats and groups number an account's messages in one sequence)."""
        logger.warning("Telegram skipped updates %s..%s: fetching by id", gap.pts, gap.to_pts)
        fetched = 0
        async for message in self._messages_after(self._last_message_id()):
            await self._take_in(message, False)
            fetched += 1
        if self._on_too_long is not None:
            await self._on_too_long(gap, fetched)

    async def _messages_after(self, last_id: int) -> AsyncIterator[Any]:
        start = last_id + 1
        while True:
            ids = list(range(start, start + RECOVERY_BATCH))
            try:
                batch = await self._client.get_messages(None, ids=ids)
            except (errors.RPCError, *NETWORK_ERRORS) as error:
                logger.warning("could not fetch missed messages: %r", error)
                return
            found = [m for m in batch if m is not None and not isinstance(m, types.MessageEmpty)]
            if not found:
                return
            for message in found:
                yield message
            start += RECOVERY_BATCH

    async def _callback_query(self, event: events.CallbackQuery.Event) -> None:
        # Always answered, or the phone shows a spinner until Telegram gives up; in a task
        # of its own, as the update loop waits for each handler.
        task = asyncio.create_task(self._answer_press(event))
        task.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def _answer_press(self, event: events.CallbackQuery.Event) -> None:
        answer = PressAnswer()
        if self._on_press is not None:
            sender = await _sender_of(event)
            press = Press(
                user_id=event.sender_id,
                chat_id=event.chat_id,
                message_id=event.message_id,
                data=bytes(event.data or b""),
                user_name=_display_name(sender) if sender else "",
            )
            try:
                answer = await self._on_press(press)
            except Exception:
                logger.exception("a button press failed")
                answer = PressAnswer("Something went wrong; see the editor's logs.")
        await event.answer(answer.text[:200] or None, alert=answer.alert)


def _is_file(path: Path) -> bool:
    return os.path.isfile(path)


def _incoming(message: Any, *, edited: bool) -> Incoming:
    reply = message.reply_to.reply_to_msg_id if message.reply_to else None
    sender = getattr(message, "sender", None)
    return Incoming(
        forwarded=message.fwd_from is not None,
        sender_name=_display_name(sender) if sender is not None else "",
        private=bool(message.is_private),
        chat_id=message.chat_id,
        message_id=message.id,
        sender_id=message.sender_id,
        text=with_fences(message.message or "", message.entities or []),
        date=message.date.timestamp(),
        reply_to=reply,
        edited=edited,
        outgoing=bool(message.out),
    )


def _display_name(user: Any) -> str:
    username = getattr(user, "username", None)
    if username:
        return f"@{username}"
    names = [getattr(user, "first_name", None), getattr(user, "last_name", None)]
    return " ".join(n for n in names if n) or str(getattr(user, "id", ""))


async def _sender_of(event: Any) -> Any:
    try:
        return await event.get_sender()
    except Exception:  # the name is a nicety; the id is what counts
        return None


def _markup(rows: list[list[dict[str, str]]] | None) -> Any:
    """Inline buttons stored as [[{"text", "data"}]] -> Telegram's markup (Telethon's)."""
    if not rows:
        return None
    return TelegramClient.build_reply_markup(
        [[Button.inline(b["text"], b["data"].encode()) for b in row] for row in rows]
    )


def _sent_message_id(result: Any, random_id: int) -> int | None:
    if isinstance(result, types.UpdateShortSentMessage):
        return int(result.id)
    for update in getattr(result, "updates", []):
        if isinstance(update, types.UpdateMessageID) and update.random_id == random_id:
            return int(update.id)
    return None


def _masked(phone: str) -> str:
    return phone[:3] + "…" + phone[-2:] if len(phone) > 6 else "your number"
