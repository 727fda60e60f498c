"""The Telegram service: the store, the outbox and the gateway, owned together.

One object holds the one Telegram connection, so a later hub can keep it on behalf of
several editor windows (DESIGN.md, "One Telegram connection per machine"). Everything it
keeps belongs to the account logged in when it was made: a send waits for that account,
and never goes out from another.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, Protocol

from tgbridge.errors import BridgeError
from tgbridge.protocol import (
    CancelResult,
    ChatMessage,
    ChatsResult,
    ChatSummary,
    ConnectionState,
    HistoryGapParams,
    HistoryParams,
    HistoryResult,
    LoginParams,
    LogoutResult,
    MessageStatusParams,
    OutboxItem,
    OutboxResult,
    Person,
    SendParams,
)
from tgbridge.settings import Settings
from tgbridge.store.accounts import Account, AccountStore, peer_name
from tgbridge.store.database import open_database
from tgbridge.store.events import EventLog
from tgbridge.store.files import ReceivedFiles
from tgbridge.store.history import HistoryStore, StoredMessage
from tgbridge.store.outbox_store import (
    NewMessage,
    OutboxRow,
    OutboxStore,
    SendStatus,
    pending_sends,
)
from tgbridge.telegram.compose import compose, compose_document, compose_part
from tgbridge.telegram.errors import TransientError
from tgbridge.telegram.gateway import (
    Credentials,
    DataCenter,
    Gateway,
    Incoming,
    LoginError,
    LoginPrompt,
    Offline,
    Press,
    PressAnswer,
    StateName,
    TooLong,
)
from tgbridge.telegram.outbox import DEFAULT_LIMITS, Limits, Outbox
from tgbridge.telegram.render import Part, entity_from_dict, split, with_fences


class GatewayLike(Protocol):
    """What the service needs of a gateway (the Telethon one, or a test's)."""

    account: Account | None

    async def start(self, *, keep_trying: bool) -> bool: ...
    def keep_connected(self) -> None: ...
    async def stop(self) -> None: ...
    async def login_bot(self, token: str) -> str: ...
    async def login_user(self, phone: str, ask: LoginPrompt) -> str: ...
    async def logout(self) -> bool: ...
    async def peer_id(self, chat: str) -> int: ...
    async def send(self, row: OutboxRow) -> int | None: ...
    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        entities: list[dict[str, Any]] | None = None,
        buttons: list[list[dict[str, str]]] | None = None,
    ) -> None: ...
    async def set_commands(
        self, scopes: list[tuple[int | None, list[tuple[str, str]]]]
    ) -> None: ...


Screen = Literal["store", "command", "drop"]


class PhoneSide(Protocol):
    """The bot's side of the inbound path (bot/): who is let in, what is a command."""

    def screen(self, incoming: Incoming, account: Account) -> Screen:
        """Decides before anything is stored; a stranger's message is answered (at most a
        fixed refusal, or pairing) and dropped."""
        ...

    def command(self, incoming: Incoming) -> None: ...
    async def press(self, press: Press) -> PressAnswer: ...


GatewayFactory = Callable[..., GatewayLike]
OnConnection = Callable[[ConnectionState], None]
OnStatus = Callable[[MessageStatusParams], None]
# Whether any window heard it; False: kept as unseen until one attaches (the hub).
OnMessage = Callable[[ChatMessage], Awaitable[bool | None] | bool | None]
OnGap = Callable[[HistoryGapParams], None]
FILE_DOWNLOADING = "downloading"
FILE_SAVED = "saved"


class TelegramService:
    def __init__(
        self,
        state_dir: Path,
        settings: Settings,
        *,
        on_connection: OnConnection,
        on_status: OnStatus,
        on_message: OnMessage,
        on_gap: OnGap = lambda gap: None,
        limits: Limits = DEFAULT_LIMITS,
        gateway_factory: GatewayFactory = Gateway,
    ) -> None:
        self._gateway_factory = gateway_factory
        self._state_dir = state_dir
        self._settings = settings
        self._on_connection = on_connection
        self._on_status = on_status
        self._on_message = on_message
        self._on_gap = on_gap
        self._db = db = open_database(state_dir / "tgbridge.db")
        self._outbox_store = OutboxStore(db)
        self._history = HistoryStore(db)
        self._accounts = AccountStore(db)
        self._events = EventLog(db)
        self._files = ReceivedFiles(state_dir)
        self._files.discard_partial()
        self._history.mark_unfinished_downloads("incomplete: tgbridge stopped before it finished")
        self._gateway: GatewayLike | None = None
        self._account: Account | None = None
        self._outbox = Outbox(
            self._outbox_store,
            self._send_row,
            account=lambda: self._account.id if self._account else None,
            limits=limits,
            on_status=self._report_status,
            on_wait=self._on_wait,
        )
        self._outbox_task: asyncio.Task[None] | None = None
        self._resolving: asyncio.Task[None] | None = None
        self._link: tuple[StateName, str] = ("connecting", "")
        self._waits: dict[int, int] = {}
        self._phone: PhoneSide | None = None
        self._settled: dict[int, list[asyncio.Future[SendStatus]]] = {}
        # A received file was saved (the phone side transcribes voice notes from it).
        self.on_file_saved: Callable[[StoredMessage], None] | None = None

    def attach_phone(self, phone: PhoneSide) -> None:
        self._phone = phone

    @property
    def account(self) -> Account | None:
        return self._account

    @property
    def db(self) -> Any:
        """The store's connection, for the phone side's own tables (same thread, same loop)."""
        return self._db

    def queued_count(self) -> int:
        return len(self._outbox_store.queued_sends(except_account=None))

    async def wait_sent(self, send_id: int, within: float = 60.0) -> SendStatus | None:
        """The send's status once it is sent or failed; None if still queued after `within`."""
        status = self._outbox_store.status(send_id)
        if status is None or status.state != "queued":
            return status
        future: asyncio.Future[SendStatus] = asyncio.get_running_loop().create_future()
        self._settled.setdefault(send_id, []).append(future)
        try:
            return await asyncio.wait_for(future, within)
        except TimeoutError:
            return None
        finally:
            waiting = self._settled.get(send_id, [])
            if future in waiting:
                waiting.remove(future)
            if not waiting:
                self._settled.pop(send_id, None)

    async def edit_part(
        self,
        chat_id: int,
        message_id: int,
        part: Part,
        *,
        buttons: list[list[dict[str, str]]] | None = None,
    ) -> None:
        """Edits a sent message (cut to one message); raises the gateway's errors."""
        if self._gateway is None:
            raise TransientError("not connected")
        piece = split(part)[0] if part.text.strip() else Part("…")
        entities = [entity.to_dict() for entity in piece.entities]
        await self._gateway.edit(chat_id, message_id, piece.text, entities, buttons)
        # The history (and the Chat view) follow: an answer is not left as its placeholder.
        text = with_fences(piece.text, piece.entities)
        stored = self._history.edited(self._account_id(), chat_id, message_id, text, time.time())
        if stored is not None:
            await self._tell_editor(_chat_message(stored))

    async def set_commands(self, scopes: list[tuple[int | None, list[tuple[str, str]]]]) -> None:
        if self._gateway is not None:
            await self._gateway.set_commands(scopes)

    async def connect(self, credentials: Credentials) -> None:
        """Starts connecting with a saved session and keeps trying; progress arrives as
        connection states, so the request answers at once."""
        if self._gateway is not None:
            await self._gateway.stop()
        self._gateway = self._make_gateway(credentials, adopted=True)
        self._set_account(self._gateway.account)
        await self._gateway.start(keep_trying=True)
        self._start_outbox()

    async def login(self, params: LoginParams, ask: LoginPrompt) -> str:
        """Logs in and returns the session to keep; a refusal says why, never the secret.
        The new connection replaces the working one only once the login succeeded."""
        if params.mode == "bot" and not params.bot_token:
            raise BridgeError("invalid_params", "A bot login needs the bot token.")
        if params.mode == "account" and not params.phone:
            raise BridgeError("invalid_params", "An account login needs a phone number.")
        candidate = self._make_gateway(Credentials(params.api_id, params.api_hash), adopted=False)
        try:
            await candidate.start(keep_trying=False)
            if params.bot_token and params.mode == "bot":
                session = await candidate.login_bot(params.bot_token)
            else:
                session = await candidate.login_user(params.phone or "", ask)
        except LoginError as error:
            await candidate.stop()
            raise BridgeError("login_failed", str(error)) from None
        except BaseException:
            await candidate.stop()
            raise
        if self._gateway is not None:
            await self._gateway.stop()
        self._gateway = candidate
        self._adopt(candidate)
        candidate.keep_connected()
        self._start_outbox()
        return session

    async def logout(self) -> LogoutResult:
        """Stops connecting at once; the account's queued sends wait for its next login."""
        gateway, self._gateway = self._gateway, None
        if gateway is None:
            return LogoutResult(telegram_told=False, detail="Not logged in.")
        told = await gateway.logout()
        account = self._account
        self._set_account(None)
        name = account.name if account else "the account"
        detail = (
            f"Logged out {name}."
            if told
            else f"Logged out {name} here; Telegram could not be reached and was not told."
        )
        return LogoutResult(telegram_told=told, detail=detail)

    async def send(
        self,
        params: SendParams,
        on_enqueued: Callable[[int], None] = lambda send_id: None,
        *,
        buttons: list[list[dict[str, str]]] | None = None,
    ) -> int:
        """Queues a send durably and returns its id; delivery is reported later.
        `on_enqueued` learns the id before any status of it is reported. `buttons` (the
        bot's inline keyboard) go under the send's last message."""
        account = self._require_account()
        messages = compose(
            params,
            document_above=self._settings.document_above,
            outgoing_dir=self._state_dir / "outgoing",
        )
        if buttons:
            last = messages[-1]
            messages[-1] = NewMessage(last.kind, {**last.payload, "buttons": buttons})
        chat_id, chat_ref = await self._chat_id(params.chat or self._settings.default_chat)
        send_id = self._outbox_store.enqueue(
            chat_id,
            messages,
            params.reply_to,
            account_id=account.id,
            client_key=params.client_key,
            chat_ref=chat_ref,
        )
        on_enqueued(send_id)
        if chat_id:
            self._outbox.wake(chat_id)
        # Let the chat's worker hand the message to Telethon, and Telethon put it on the
        # wire, before this answer and the "queued" report are written: the send comes first.
        for _ in range(3):
            await asyncio.sleep(0)
        self._outbox_store.flush()  # "queued" is said only once it survives a power cut
        # Where the send stands: "queued", or for a retried key maybe "sent" already.
        self._report_status(self._outbox_store.status(send_id))
        return send_id

    async def send_part(
        self,
        chat_id: int,
        part: Part | None = None,
        *,
        document: Path | None = None,
        buttons: list[list[dict[str, str]]] | None = None,
        reply_to: int | None = None,
        file_name: str = "message.txt",
        document_above: int | None = None,
        content: str | None = None,
    ) -> int:
        """The bot's own replies: formatted text (split, or a document when long), or one of
        our files with `part` as its caption; queued durably like any send."""
        account = self._require_account()
        if document is not None:
            messages = [compose_document(document, part or Part(""))]
        else:
            messages = compose_part(
                part or Part(""),
                file_name=file_name,
                document_above=document_above or self._settings.document_above,
                content=content,
                outgoing_dir=self._state_dir / "outgoing",
            )
        if buttons:
            last = messages[-1]
            messages[-1] = NewMessage(last.kind, {**last.payload, "buttons": buttons})
        messages = [NewMessage(m.kind, {**m.payload, "bot": True}) for m in messages]
        send_id = self._outbox_store.enqueue(chat_id, messages, reply_to, account_id=account.id)
        self._outbox.wake(chat_id)
        return send_id

    def chats(self) -> ChatsResult:
        """The account's chats, most recent first, with names as far as they are known."""
        account_id = self._account_id()
        names = {peer[0]: peer_name(peer) for peer in self._accounts.peers(account_id)}
        latest = self._history.chats(account_id)
        senders = {m.sender_id for m in latest if m.sender_id is not None}
        return ChatsResult(
            chats=[
                ChatSummary(
                    chat_id=m.chat_id,
                    title=names.get(m.chat_id) or str(m.chat_id),
                    last=_chat_message(m),
                )
                for m in latest
            ],
            people=[Person(id=i, name=n) for i, n in names.items() if i in senders or i > 0],
        )

    def outbox(self) -> OutboxResult:
        """What is not delivered yet, oldest first: queued, waiting (seconds left), failed."""
        items = []
        for send in pending_sends(self._db, self._account_id()):
            wait = self._waits.get(send.chat_id)
            state: Literal["queued", "waiting", "failed"] = (
                send.state if send.state == "failed" else ("waiting" if wait else "queued")
            )
            items.append(
                OutboxItem(
                    send_id=send.send_id,
                    chat_id=send.chat_id,
                    state=state,
                    preview=send.preview,
                    error=send.error,
                    wait_seconds=wait if state == "waiting" else None,
                    created_at=send.created_at,
                )
            )
        return OutboxResult(items=items)

    def retry(self, send_id: int) -> int:
        """A failed send goes again, with the same random ids."""
        if not self._outbox_store.retry(send_id):
            raise BridgeError("invalid_params", "That message has not failed: nothing to retry.")
        status = self._outbox_store.status(send_id)
        if status is not None and status.chat_id:
            self._outbox.wake(status.chat_id)
        self._report_status(status)
        return send_id

    def cancel(self, send_id: int) -> CancelResult:
        if not self._outbox_store.cancel(send_id):
            return CancelResult(cancelled=False, detail="It was sent already: nothing to cancel.")
        self._report_status(self._outbox_store.status(send_id))
        return CancelResult(cancelled=True, detail="Cancelled: it will not be sent.")

    def history(self, params: HistoryParams) -> HistoryResult:
        page = self._history.page(
            chat_id=params.chat_id, search=params.search, before=params.before, limit=params.limit
        )
        return HistoryResult(
            messages=[_chat_message(message) for message in page.messages],
            next_cursor=page.next_cursor,
        )

    async def stop(self) -> None:
        """A clean stop: the outbox stops between sends, then the connection closes and
        what it received is stored (files in progress finished or marked incomplete)."""
        if self._resolving:
            self._resolving.cancel()
        await self._outbox.stop()
        if self._outbox_task:
            self._outbox_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._outbox_task
        if self._gateway:
            await self._gateway.stop()
        self._db.close()  # the last connection to close folds the WAL into the database

    async def _chat_id(self, chat: str | None) -> tuple[int, str | None]:
        """The chat's id; (0, name) for a name that must wait to be resolved online."""
        if not chat:
            raise BridgeError(
                "invalid_params", "No chat to send to: set tgbridge.defaultChat or pass a chat."
            )
        with contextlib.suppress(ValueError):
            return int(chat), None
        gateway = self._gateway
        if gateway is None:
            return 0, chat
        try:
            return await gateway.peer_id(chat), None
        except Offline:
            return 0, chat
        except ValueError:
            raise BridgeError(
                "invalid_params", f"Telegram does not know the chat {chat}."
            ) from None

    def _require_account(self) -> Account:
        if self._account is not None:
            return self._account
        if self._gateway is None:
            raise BridgeError("not_logged_in", "Not logged in to Telegram: run tgbridge: Log In.")
        raise BridgeError(
            "not_connected",
            "Still connecting to Telegram for the first time: send again once online.",
        )

    def _make_gateway(self, credentials: Credentials, *, adopted: bool) -> GatewayLike:
        """A gateway whose reports count only while it is the service's gateway."""
        center = self._settings.data_center
        gateway: GatewayLike | None = None

        def mine() -> bool:
            """Its reports count once it is the service's (a login's candidate before
            that only when there is no working connection whose state it would hide)."""
            return gateway is not None and (gateway is self._gateway or self._gateway is None)

        gateway = self._gateway_factory(
            credentials,
            accounts=self._accounts,
            data_center=DataCenter(center.id, center.host, center.port, center.public_key_file)
            if center
            else None,
            on_state=lambda state, detail: self._on_link(state, detail) if mine() else None,
            on_incoming=self._on_incoming,
            on_account=lambda account: self._set_account(account) if mine() else None,
            on_reconnected=lambda: self._online_again() if mine() else None,
            on_file=self._on_file,
            on_press=self._on_press,
            on_too_long=self._on_too_long,
            last_message_id=lambda: self._history.last_message_id(self._account_id()),
            files=self._files,
            max_download_bytes=self._settings.max_download_mb * 1024 * 1024,
        )
        return gateway

    def _adopt(self, gateway: GatewayLike) -> None:
        """A login's connection became the service's: report what it found."""
        self._set_account(gateway.account)
        name = gateway.account.name if gateway.account else "?"
        self._on_link("online", f"Online as {name}.")
        self._online_again()

    def _account_id(self) -> int:
        return self._account.id if self._account else 0

    def _set_account(self, account: Account | None) -> None:
        """Another account (or none): its sends go on, the others' say what they wait for."""
        if account != self._account:
            self._account = account
            self._outbox.account_changed()
        for send_id in self._outbox_store.queued_sends(except_account=self._account_id()):
            status = self._outbox_store.status(send_id)
            if status is not None:
                owner = self._accounts.get(status.account_id)
                who = owner.name if owner else "the account that queued it"
                self._report_status(status, detail=f"waiting for {who} to log in")

    def _online_again(self) -> None:
        self._outbox.resume()
        if self._resolving is None or self._resolving.done():
            self._resolving = asyncio.create_task(self._resolve_names())

    async def _resolve_names(self) -> None:
        """Sends queued offline to an @username that was not known: resolved now."""
        account, gateway = self._account, self._gateway
        if account is None or gateway is None:
            return
        for chat_ref in self._outbox_store.unresolved(account.id):
            try:
                chat_id = await gateway.peer_id(chat_ref)
            except Offline:
                return  # the next reconnect tries again
            except ValueError:
                error = f"Telegram does not know the chat {chat_ref}."
                for send_id in self._outbox_store.fail_unresolved(account.id, chat_ref, error):
                    self._report_status(self._outbox_store.status(send_id))
                continue
            self._outbox_store.resolve(account.id, chat_ref, chat_id)
            self._outbox.wake(chat_id)

    def _start_outbox(self) -> None:
        if self._outbox_task is None:
            self._outbox_task = asyncio.create_task(self._outbox.run())
        self._outbox.wake()

    async def _send_row(self, row: OutboxRow) -> int | None:
        if self._gateway is None:
            raise TransientError("not connected")  # kept queued until a gateway is back
        telegram_id = await self._gateway.send(row)
        path = row.payload.get("path")
        if telegram_id is not None:
            # The chat panel shows both sides of the conversation.
            stored = StoredMessage(
                account_id=row.account_id,
                chat_id=row.chat_id,
                message_id=telegram_id,
                sender_id=None,
                outgoing=True,
                text=_shown_text(row.payload),
                date=time.time(),
                reply_to=row.reply_to,
                file_path=None if row.payload.get("copy") else path,
            )
            if self._history.record(stored) and row.payload.get("bot"):
                # The bot's own replies (no window sent them) appear in the Chat view too.
                await self._tell_editor(_chat_message(stored))
        if path and row.payload.get("copy"):
            self._files.remove_outgoing(Path(path))
        return telegram_id

    async def _on_press(self, press: Press) -> PressAnswer:
        if self._phone is None:
            return PressAnswer()
        return await self._phone.press(press)

    async def _on_incoming(self, incoming: Incoming) -> bool:
        """Screened before anything is stored: deny by default (no phone side: nothing)."""
        if self._account is None or self._phone is None:
            return False
        screen = self._phone.screen(incoming, self._account)
        if screen == "drop":
            return False
        if not await self._store_incoming(incoming):
            return False
        if screen == "command":
            self._phone.command(incoming)
        return True

    async def _store_incoming(self, incoming: Incoming) -> bool:
        note = incoming.file_note
        stored = StoredMessage(
            account_id=self._account_id(),
            chat_id=incoming.chat_id,
            message_id=incoming.message_id,
            sender_id=incoming.sender_id,
            outgoing=incoming.outgoing,
            text=incoming.text,
            date=incoming.date,
            reply_to=incoming.reply_to,
            edit_date=incoming.date if incoming.edited else None,
            file_path=incoming.file_path,
            file_state=FILE_DOWNLOADING if incoming.file_pending else note,
        )
        if not self._history.record(stored):
            return False  # delivered again after a restart: the editor has it already
        await self._tell_editor(_chat_message(stored, edited=incoming.edited))
        return True

    async def _on_file(
        self, chat_id: int, message_id: int, path: Path | None, note: str | None
    ) -> None:
        stored = self._history.set_file(
            self._account_id(), chat_id, message_id, str(path) if path else None, note or FILE_SAVED
        )
        if path is not None:
            removed = self._files.enforce_quota(self._settings.max_stored_mb * 1024 * 1024)
            self._history.forget_files(
                [str(p) for p in removed], "removed: over the tgbridge.maxStoredMb quota"
            )
        if stored is not None:
            await self._tell_editor(_chat_message(stored))
        if stored is not None and path is not None and self.on_file_saved is not None:
            self.on_file_saved(stored)

    async def set_text(self, message: StoredMessage, text: str) -> None:
        """A received message's text found later (a voice note's transcript): stored,
        searchable, and shown in the editor as the message's text."""
        stored = replace(message, text=text, edit_date=time.time())
        if self._history.record(stored):
            await self._tell_editor(_chat_message(stored, edited=False))

    async def _on_too_long(self, gap: TooLong, fetched: int) -> None:
        since = self._history.newest_date(self._account_id())
        skipped = max(0, gap.to_pts - gap.pts)
        detail = (
            f"Telegram would not hand over the {skipped} updates that came while tgbridge "
            f"was away; {fetched} messages were fetched from the history instead. Edits and "
            "deletions made in that time are not shown."
        )
        self._on_gap(
            HistoryGapParams(detail=detail, since=since, skipped_updates=skipped, fetched=fetched)
        )

    async def _tell_editor(self, message: ChatMessage) -> None:
        heard = self._on_message(message)
        if inspect.isawaitable(heard):
            heard = await heard
        if heard is False:
            self._history.mark_unseen(self._account_id(), message.chat_id, message.message_id)

    @property
    def has_account(self) -> bool:
        return self._account is not None

    def mark_seen(self, chat_id: int, message_id: int) -> None:
        """A window has the message: it is not shown again to the next one."""
        self._history.mark_seen(self._account_id(), chat_id, message_id)

    def unseen(self) -> list[ChatMessage]:
        """What no window has shown yet (it came while none was open), oldest first."""
        return [_chat_message(m) for m in self._history.unseen(self._account_id())]

    def _on_link(self, state: StateName, detail: str) -> None:
        self._link = (state, detail)
        self._publish_connection()

    def _on_wait(self, chat_id: int, seconds: int | None) -> None:
        if seconds is not None:
            self._events.record("flood_wait", seconds, f"chat {chat_id}")
        if seconds is None:
            self._waits.pop(chat_id, None)
        else:
            self._waits[chat_id] = seconds
        self._publish_connection()

    def _publish_connection(self) -> None:
        state, detail = self._link
        if self._waits and state == "online":
            seconds = max(self._waits.values())
            self._on_connection(
                ConnectionState(
                    state="waiting",
                    detail=f"Telegram asked to wait {seconds} s before sending more.",
                    wait_seconds=seconds,
                )
            )
            return
        self._on_connection(ConnectionState(state=state, detail=detail))

    def _report_status(self, status: SendStatus | None, *, detail: str | None = None) -> None:
        if status is None:
            return
        if status.state == "failed" and status.error:
            self._events.record("error", None, status.error)
        if status.state != "queued":
            for future in self._settled.pop(status.send_id, []):
                if not future.done():
                    future.set_result(status)
        self._on_status(
            MessageStatusParams(
                send_id=status.send_id,
                chat_id=status.chat_id,
                state=status.state,
                telegram_ids=status.telegram_ids,
                error=status.error,
                detail=detail,
            )
        )


def _chat_message(message: StoredMessage, *, edited: bool | None = None) -> ChatMessage:
    return ChatMessage(
        chat_id=message.chat_id,
        message_id=message.message_id,
        sender_id=message.sender_id,
        text=message.text,
        date=message.date,
        reply_to=message.reply_to,
        edited=message.edit_date is not None if edited is None else edited,
        outgoing=message.outgoing,
        file_path=message.file_path,
        file_pending=message.file_state == FILE_DOWNLOADING,
        file_note=None
        if message.file_state in (None, FILE_DOWNLOADING, FILE_SAVED)
        else message.file_state,
    )


def _shown_text(payload: dict[str, Any]) -> str:
    """A sent message's text as the history keeps it: its code still code."""
    text = str(payload.get("text") or payload.get("caption") or "")
    entities = [entity_from_dict(item) for item in payload.get("entities") or []]
    return with_fences(text, entities)
