"""The Telegram service: the store, the outbox and the gateway, owned together.

One object holds the one Telegram connection, so a later hub can keep it on behalf of
several editor windows (DESIGN.md, "One Telegram connection per machine").
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from telethon.tl.types import TypeMessageEntity

from tgbridge.errors import BridgeError
from tgbridge.protocol import (
    ChatMessage,
    ConnectionState,
    HistoryParams,
    HistoryResult,
    LoginParams,
    MessageStatusParams,
    SendParams,
)
from tgbridge.settings import Settings
from tgbridge.store.database import open_database
from tgbridge.store.history import HistoryStore, StoredMessage
from tgbridge.store.outbox_store import NewMessage, OutboxRow, OutboxStore, SendStatus
from tgbridge.telegram.errors import TransientError
from tgbridge.telegram.gateway import (
    Credentials,
    DataCenter,
    Gateway,
    Incoming,
    LoginError,
    LoginPrompt,
    StateName,
)
from tgbridge.telegram.outbox import DEFAULT_LIMITS, Limits, Outbox
from tgbridge.telegram.render import AsDocument, Part, code_block, parse_markdown, render


class GatewayLike(Protocol):
    """What the service needs of a gateway (the Telethon one, or a test's)."""

    async def start(self, *, keep_trying: bool) -> bool: ...
    async def stop(self) -> None: ...
    async def login_bot(self, token: str) -> str: ...
    async def login_user(self, phone: str, ask: LoginPrompt) -> str: ...
    async def logout(self) -> None: ...
    async def peer_id(self, chat: str) -> int: ...
    async def send(self, row: OutboxRow) -> int | None: ...


GatewayFactory = Callable[..., GatewayLike]
OnConnection = Callable[[ConnectionState], None]
OnStatus = Callable[[MessageStatusParams], None]
OnMessage = Callable[[ChatMessage], Awaitable[None] | None]


class TelegramService:
    def __init__(
        self,
        state_dir: Path,
        settings: Settings,
        *,
        on_connection: OnConnection,
        on_status: OnStatus,
        on_message: OnMessage,
        limits: Limits = DEFAULT_LIMITS,
        gateway_factory: GatewayFactory = Gateway,
    ) -> None:
        self._gateway_factory = gateway_factory
        self._state_dir = state_dir
        self._settings = settings
        self._on_connection = on_connection
        self._on_status = on_status
        self._on_message = on_message
        db = open_database(state_dir / "tgbridge.db")
        self._outbox_store = OutboxStore(db)
        self._history = HistoryStore(db)
        self._gateway: GatewayLike | None = None
        self._outbox = Outbox(
            self._outbox_store,
            self._send_row,
            limits=limits,
            on_status=self._report_status,
            on_wait=self._on_wait,
        )
        self._outbox_task: asyncio.Task[None] | None = None
        self._connecting: asyncio.Task[bool] | None = None
        self._link: tuple[StateName, str] = ("connecting", "")
        self._waits: dict[int, int] = {}

    async def connect(self, credentials: Credentials) -> None:
        """Starts connecting with a saved session and keeps trying; progress arrives as
        connection states, so the request answers at once."""
        gateway = await self._replace_gateway(credentials)
        self._connecting = asyncio.create_task(gateway.start(keep_trying=True))
        self._start_outbox()

    async def login(self, params: LoginParams, ask: LoginPrompt) -> str:
        """Logs in and returns the session to keep; a refusal says why, never the secret."""
        gateway = await self._replace_gateway(Credentials(params.api_id, params.api_hash))
        try:
            await gateway.start(keep_trying=False)
            if params.mode == "bot":
                if not params.bot_token:
                    raise BridgeError("invalid_params", "A bot login needs the bot token.")
                session = await gateway.login_bot(params.bot_token)
            else:
                if not params.phone:
                    raise BridgeError("invalid_params", "An account login needs a phone number.")
                session = await gateway.login_user(params.phone, ask)
        except LoginError as error:
            raise BridgeError("login_failed", str(error)) from None
        self._start_outbox()
        return session

    async def logout(self) -> None:
        if self._gateway is not None:
            await self._gateway.logout()
            await self._gateway.stop()
            self._gateway = None

    async def send(self, params: SendParams) -> int:
        """Queues a send durably and returns its id; delivery is reported later."""
        chosen = [name for name in ("text", "code", "file") if getattr(params, name) is not None]
        if len(chosen) != 1:
            raise BridgeError("invalid_params", "Send exactly one of text, code or file.")
        chat_id = await self._chat_id(params.chat or self._settings.default_chat)
        send_id = self._outbox_store.enqueue(
            chat_id, self._messages(params), params.reply_to, client_key=params.client_key
        )
        self._outbox.wake(chat_id)
        # Let the chat's worker hand the message to Telethon, and Telethon put it on the
        # wire, before this answer and the "queued" report are written: the send comes first.
        for _ in range(3):
            await asyncio.sleep(0)
        self._report_queued(send_id)
        return send_id

    def history(self, params: HistoryParams) -> HistoryResult:
        page = self._history.page(
            chat_id=params.chat_id, search=params.search, before=params.before, limit=params.limit
        )
        return HistoryResult(
            messages=[_chat_message(message) for message in page.messages],
            next_cursor=page.next_cursor,
        )

    async def stop(self) -> None:
        if self._connecting:
            self._connecting.cancel()
        if self._outbox_task:
            self._outbox_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._outbox_task
        if self._gateway:
            await self._gateway.stop()

    def _messages(self, params: SendParams) -> list[NewMessage]:
        if params.file is not None:
            path = Path(params.file.path).expanduser()
            if not path.is_file():
                raise BridgeError("invalid_params", f"No such file: {path}")
            return [NewMessage("file", {"path": str(path), "caption": params.file.caption})]
        if params.code is not None:
            code = params.code
            lines = f":{code.range.start.line + 1}-{code.range.end.line + 1}" if code.range else ""
            part = code_block(code.text, code.language, f"{code.path}{lines}" if code.path else "")
            name = Path(code.path).name if code.path else "snippet.txt"
        else:
            part = parse_markdown(params.text or "")
            name = "message.md"
        if not part.text.strip():
            raise BridgeError("invalid_params", "There is nothing to send.")
        rendered = render(part, document_above=self._settings.document_above, file_name=name)
        if isinstance(rendered, AsDocument):
            return [self._document(rendered)]
        return [NewMessage("text", _payload(piece)) for piece in rendered]

    def _document(self, document: AsDocument) -> NewMessage:
        folder = self._state_dir / "outgoing" / uuid.uuid4().hex
        folder.mkdir(parents=True)
        path = folder / document.file_name
        path.write_text(document.content, encoding="utf-8")
        caption = _payload(document.caption)
        return NewMessage(
            "file",
            {"path": str(path), "caption": caption["text"], "entities": caption["entities"]},
        )

    async def _chat_id(self, chat: str | None) -> int:
        if not chat:
            raise BridgeError(
                "invalid_params", "No chat to send to: set tgbridge.defaultChat or pass a chat."
            )
        with contextlib.suppress(ValueError):
            return int(chat)
        gateway = self._require_gateway()
        try:
            return await gateway.peer_id(chat)
        except ValueError:
            raise BridgeError(
                "invalid_params", f"Telegram does not know the chat {chat}."
            ) from None

    def _require_gateway(self) -> GatewayLike:
        if self._gateway is None:
            raise BridgeError("not_logged_in", "Not logged in to Telegram: run tgbridge: Log In.")
        return self._gateway

    async def _replace_gateway(self, credentials: Credentials) -> GatewayLike:
        if self._connecting is not None:
            self._connecting.cancel()
        if self._gateway is not None:
            await self._gateway.stop()
        center = self._settings.data_center
        self._gateway = self._gateway_factory(
            credentials,
            data_center=DataCenter(center.id, center.host, center.port, center.public_key_file)
            if center
            else None,
            on_state=self._on_link,
            on_incoming=self._on_incoming,
            on_reconnected=self._outbox.resume,
            downloads=self._state_dir / "files",
            max_download_bytes=self._settings.max_download_mb * 1024 * 1024,
        )
        return self._gateway

    def _start_outbox(self) -> None:
        if self._outbox_task is None:
            self._outbox_task = asyncio.create_task(self._outbox.run())
        self._outbox.wake()

    async def _send_row(self, row: OutboxRow) -> int | None:
        if self._gateway is None:
            raise TransientError("not connected")  # kept queued until a gateway is back
        telegram_id = await self._gateway.send(row)
        if telegram_id is not None:
            # The chat panel shows both sides of the conversation.
            self._history.record(
                StoredMessage(
                    chat_id=row.chat_id,
                    message_id=telegram_id,
                    sender_id=None,
                    outgoing=True,
                    text=str(row.payload.get("text") or row.payload.get("caption") or ""),
                    date=time.time(),
                    reply_to=row.reply_to,
                    file_path=row.payload.get("path"),
                )
            )
        return telegram_id

    async def _on_incoming(self, incoming: Incoming) -> None:
        stored = StoredMessage(
            chat_id=incoming.chat_id,
            message_id=incoming.message_id,
            sender_id=incoming.sender_id,
            outgoing=incoming.outgoing,
            text=incoming.text + (f"\n[file {incoming.file_note}]" if incoming.file_note else ""),
            date=incoming.date,
            reply_to=incoming.reply_to,
            edit_date=incoming.date if incoming.edited else None,
            file_path=incoming.file_path,
        )
        self._history.record(stored)
        result = self._on_message(_chat_message(stored, edited=incoming.edited))
        if result is not None:
            await result

    def _on_link(self, state: StateName, detail: str) -> None:
        self._link = (state, detail)
        self._publish_connection()

    def _on_wait(self, chat_id: int, seconds: int | None) -> None:
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

    def _report_queued(self, send_id: int) -> None:
        status = self._outbox_store.status(send_id)
        if status is not None and status.state == "queued":
            self._report_status(status)

    def _report_status(self, status: SendStatus | None) -> None:
        if status is None:
            return
        self._on_status(
            MessageStatusParams(
                send_id=status.send_id,
                state=status.state,
                telegram_ids=status.telegram_ids,
                error=status.error,
            )
        )


def _payload(part: Part) -> dict[str, object]:
    entities: list[TypeMessageEntity] = part.entities
    return {"text": part.text, "entities": [entity.to_dict() for entity in entities]}


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
    )
