"""The phone side of the hub: screens every inbound message before it is stored (deny by
default), pairs new phones, runs commands and button presses by role, and answers through
the outbox (nothing lost, nothing sent twice).

In bot mode the allowlist decides; a stranger gets one fixed refusal at most (rate-limited
per user) and an audit row, and nothing of theirs is stored or downloaded. In account mode
the command channel is Saved Messages, and only the account's own messages there are
commands; a stranger writing to the account is never answered by tgbridge.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from tgbridge.bot import strangers
from tgbridge.bot.asks import Asks
from tgbridge.bot.commands.run import Running
from tgbridge.bot.hub_view import HubView
from tgbridge.bot.models import Models
from tgbridge.bot.notify import Notifier
from tgbridge.bot.preferences import Preferences
from tgbridge.bot.registry import Registry
from tgbridge.bot.request import Keyboard, PressRequest, Request
from tgbridge.bot.strangers import split_command
from tgbridge.bot.text import Text
from tgbridge.bot.voice_notes import VoiceNotes
from tgbridge.methods import PAIRED
from tgbridge.security.access import AccessStore, User
from tgbridge.security.buttons import Buttons, Refused
from tgbridge.security.pairing import Pairing, PairingCode
from tgbridge.security.roles import allows
from tgbridge.store.accounts import Account
from tgbridge.telegram.gateway import Incoming, Press, PressAnswer
from tgbridge.telegram.render import Part
from tgbridge.telegram.service import Screen, TelegramService

logger = logging.getLogger(__name__)

STRANGER_PRESS = "This bot is private."
BIND_WITHIN = 120.0
# How long a button can be pressed; a test may shorten it to see one expire.
BUTTON_SECONDS = float(os.environ.get("TGBRIDGE_TEST_BUTTON_SECONDS") or 600)


class PhoneBot:
    def __init__(
        self,
        service: TelegramService,
        hub: HubView,
        registry: Registry,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.hub = hub
        self.registry = registry
        self.access = AccessStore(service.db, clock=clock)
        self.pairing = Pairing(service.db, self.access, clock=clock)
        self.buttons = Buttons(service.db, clock=clock)
        self.preferences = Preferences(service.db)
        self.notifier = Notifier(self, clock=clock)
        self.runs: dict[str, Running] = {}
        self.asks = Asks(self)
        self.models = Models(service.db, lambda: hub.settings().llm, clock=clock)
        self.voice = VoiceNotes(self)
        service.on_file_saved = self.voice.arrived  # voice notes are transcribed once saved
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- the inbound path (TelegramService.PhoneSide) ---------------------------------

    def screen(self, incoming: Incoming, account: Account) -> Screen:
        if incoming.outgoing:
            return "store"  # the account's (or bot's) own message
        sender = incoming.sender_id
        if sender is None:
            return "drop"
        if not account.bot:
            if sender == account.id and incoming.chat_id == account.id:
                return "command" if self.is_command(incoming) else "store"
            return "store" if self.access.role_of(sender) is not None else "drop"
        if self.access.role_of(sender) is not None:
            if self.is_command(incoming, account):
                return "command"
            self.asks.replied(incoming)  # a reply to an agent waiting for its next prompt
            return "store"
        if incoming.private:
            strangers.arrived(self, incoming)
        elif self.is_command(incoming, account):  # group chatter is not audited, commands are
            name = split_command(incoming.text)[0]
            self.access.audit(sender, "stranger", "refused", f"command /{name} in a group")
        return "drop"

    def command(self, incoming: Incoming) -> None:
        self.spawn(self._run_command(incoming))

    async def press(self, press: Press) -> PressAnswer:
        user = self._user(press.user_id)
        if user is None:
            self.access.audit(press.user_id, "button", "refused", "not on the allowlist")
            return PressAnswer(STRANGER_PRESS, alert=True)
        result = self.buttons.press(
            press.data, user_id=user.user_id, chat_id=press.chat_id, message_id=press.message_id
        )
        if isinstance(result, Refused):
            self.access.audit(user.user_id, "button", "refused", result.reason)
            return PressAnswer(result.text, alert=True)
        action = self.registry.actions.get(result.action)
        if action is None:
            return PressAnswer("This button no longer does anything.", alert=True)
        if not allows(user.role, action.role):
            self.access.audit(user.user_id, f"button:{action.name}", "refused", "role")
            return PressAnswer(f"This needs the {action.role} role.", alert=True)
        request = PressRequest(
            self, user, press.chat_id, press.message_id, action.name, result.payload
        )
        text = await action.handler(request)
        request.audit("ok")
        return PressAnswer(text)

    # ---- answering ---------------------------------------------------------------------

    async def send(
        self,
        user_id: int,
        chat_id: int,
        part: Part,
        *,
        buttons: Keyboard | None = None,
        document: Path | None = None,
        file_name: str = "reply.txt",
        document_above: int | None = None,
        content: str | None = None,
    ) -> int:
        """Queues a reply; its buttons are bound to `user_id` and, once sent, the message.
        Longer than `document_above` (default: the setting), it goes as a document."""
        rows, tokens = self._keyboard(user_id, chat_id, buttons)
        send_id = await self.service.send_part(
            chat_id,
            part,
            document=document,
            buttons=rows,
            file_name=file_name,
            document_above=document_above,
            content=content,
        )
        if tokens:
            self.spawn(self._bind_when_sent(send_id, tokens))
        return send_id

    async def edit(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        part: Part,
        *,
        buttons: Keyboard | None = None,
    ) -> None:
        rows = self.keyboard_rows(user_id, chat_id, buttons, message_id=message_id)
        await self.service.edit_part(chat_id, message_id, part, buttons=rows)

    async def message_id(self, send_id: int, within: float = BIND_WITHIN) -> int | None:
        """The Telegram id of a reply once it is sent (its last message)."""
        status = await self.service.wait_sent(send_id, within)
        if status is None or status.state != "sent" or not status.telegram_ids:
            return None
        return status.telegram_ids[-1]

    async def tell_owner(
        self, part: Part, *, buttons: Keyboard | None = None, document: Path | None = None
    ) -> int | None:
        """A message (or a file with `part` as its caption) to the owner's chat (Saved
        Messages in account mode)."""
        account = self.service.account
        if account is None:
            return None
        owner_id = account.id if not account.bot else None
        if owner_id is None:
            owner = self.access.owner()
            if owner is None:
                return None
            owner_id = owner.user_id
        return await self.send(owner_id, owner_id, part, buttons=buttons, document=document)

    def paired(self, name: str, role: str) -> None:
        """Tells the editor windows a phone got in: the Chat view closes its pairing code."""
        self.hub.tell_windows(PAIRED, {"name": name, "role": role})

    def new_pairing_code(self) -> PairingCode:
        code = self.pairing.new_code()
        self.access.audit(None, "pair:code", "made")
        return code

    async def publish_menu(self) -> None:
        """Telegram's command menu, per person and role (strangers see /start only)."""
        account = self.service.account
        if account is None or not account.bot:
            return
        scopes: list[tuple[int | None, list[tuple[str, str]]]] = [
            (None, [("start", "Pair this phone with your editor")])
        ]
        for user in self.access.users():
            scopes.append((user.user_id, self.registry.menu(user.role)))
        try:
            await self.service.set_commands(scopes)
        except Exception as error:  # the menu is a convenience; commands work without it
            logger.warning("could not set the bot's command menu: %r", error)

    # ---- internals ---------------------------------------------------------------------

    def user(self, user_id: int) -> User | None:
        return self._user(user_id)

    def _user(self, user_id: int) -> User | None:
        account = self.service.account
        if account is not None and not account.bot and user_id == account.id:
            return User(user_id, "owner", account.name, 0.0)
        return self.access.get(user_id)

    @staticmethod
    def is_command(incoming: Incoming, account: Account | None = None) -> bool:
        """A typed /command (never an edit or a forward); in a group, one addressed to
        another bot ("/status@other_bot") is not ours."""
        text = incoming.text
        if not text.startswith("/") or len(text) < 2 or incoming.edited or incoming.forwarded:
            return False
        head = text.split(maxsplit=1)[0]
        if "@" in head and account is not None:
            return head.split("@", 1)[1].lower() == account.name.lstrip("@").lower()
        return True

    async def _run_command(self, incoming: Incoming) -> None:
        sender = incoming.sender_id
        user = self._user(sender) if sender is not None else None
        if user is None:  # removed between the screen and now
            return
        name, args = split_command(incoming.text)
        request = Request(self, user, incoming.chat_id, incoming.message_id, name, args)
        command = self.registry.commands.get(name)
        async with self._chat_locks.setdefault(incoming.chat_id, asyncio.Lock()):
            if command is None:
                request.audit("unknown")
                await request.reply(
                    Text().plain(f"Unknown command /{name}. ").plain("/help lists them.").part()
                )
                return
            if not allows(user.role, command.role):
                request.audit("refused", f"needs {command.role}")
                await request.reply(
                    Part(f"/{name} needs the {command.role} role; you are a {user.role}.")
                )
                return
            try:
                await command.handler(request)
                request.audit("ok")
            except Exception as error:
                logger.exception("/%s failed", name)
                request.audit("error", type(error).__name__)
                await request.reply(Part(f"/{name} failed: {type(error).__name__}. See the logs."))

    def keyboard_rows(
        self,
        user_id: int,
        chat_id: int,
        buttons: Keyboard | None,
        *,
        message_id: int,
        ttl: float = BUTTON_SECONDS,
    ) -> list[list[dict[str, str]]] | None:
        """Buttons for a message already sent: issued and bound to it at once."""
        rows, tokens = self._keyboard(user_id, chat_id, buttons, ttl)
        if tokens:
            self.buttons.bind(tokens, message_id)
        return rows

    def _keyboard(
        self, user_id: int, chat_id: int, buttons: Keyboard | None, ttl: float = 0
    ) -> tuple[list[list[dict[str, str]]] | None, list[bytes]]:
        if not buttons:
            return None, []
        flat = [(c.label, c.action, c.payload) for row in buttons for c in row]
        issued = iter(
            self.buttons.issue(
                user_id=user_id, chat_id=chat_id, choices=flat, ttl=ttl or BUTTON_SECONDS
            )
        )
        rows = [
            [{"text": label, "data": data.decode()} for label, data in (next(issued) for _ in row)]
            for row in buttons
        ]
        tokens = [b["data"].encode() for row in rows for b in row]
        return rows, tokens

    async def _bind_when_sent(self, send_id: int, tokens: list[bytes]) -> None:
        message_id = await self.message_id(send_id)
        if message_id is not None:
            self.buttons.bind(tokens, message_id)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Work that outlives the request (a task run); cancelled when the hub stops."""
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a phone task failed", exc_info=task.exception())

    async def stop(self) -> None:
        self.asks.stop()
        self.voice.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.models.close()
