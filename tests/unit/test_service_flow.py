"""The service with a scripted gateway: waits shown to the editor, delivery exactly once,
inbound messages stored and passed on, login refusals explained."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tgbridge.errors import BridgeError
from tgbridge.protocol import (
    ChatMessage,
    ConnectionState,
    HistoryParams,
    LoginParams,
    MessageStatusParams,
    SendParams,
)
from tgbridge.settings import Settings
from tgbridge.store.accounts import Account
from tgbridge.store.outbox_store import OutboxRow
from tgbridge.telegram.errors import FloodWait
from tgbridge.telegram.gateway import (
    Credentials,
    Incoming,
    LoginError,
    LoginPrompt,
    Press,
    PressAnswer,
)
from tgbridge.telegram.outbox import Limits
from tgbridge.telegram.service import Screen, TelegramService

FAST = Limits(
    per_chat_rate=200, per_chat_burst=50, overall_rate=500, overall_burst=500, retry_base=0.05
)


class ScriptedGateway:
    """Stands in for Telegram: delivers each random_id once, fails as scripted."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        data_center: object,
        on_state: Callable[[str, str], None],
        on_incoming: Callable[[Incoming], Awaitable[None]],
        on_reconnected: Callable[[], None],
        **options: object,
    ) -> None:
        self.account: Account | None = Account(1, "tester", False)
        self.on_state = on_state
        self.on_incoming = on_incoming
        self.failures: list[Exception] = []
        self.delivered: dict[int, str] = {}
        ScriptedGateway.latest = self

    latest: ScriptedGateway

    async def start(self, *, keep_trying: bool) -> bool:
        self.on_state("online", "Online as tester.")
        return True

    def keep_connected(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def login_bot(self, token: str) -> str:
        raise LoginError("Telegram refused the bot token.")

    async def login_user(self, phone: str, ask: LoginPrompt) -> str:
        code = await ask("code", "code?")
        return f"session-for-{code}"

    async def logout(self) -> bool:
        self.on_state("unauthorized", "Logged out.")
        return True

    async def peer_id(self, chat: str) -> int:
        raise ValueError(chat)

    async def send(self, row: OutboxRow) -> int | None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.setdefault(row.random_id, row.payload["text"])
        return len(self.delivered)

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        entities: list[dict[str, Any]] | None = None,
        buttons: list[list[dict[str, str]]] | None = None,
    ) -> None:
        raise AssertionError("not used here")

    async def set_commands(self, scopes: list[tuple[int | None, list[tuple[str, str]]]]) -> None:
        pass


class LetEveryoneIn:
    """A phone side that stores every message (the real one screens by the allowlist)."""

    def screen(self, incoming: Incoming, account: Account) -> Screen:
        return "store"

    def command(self, incoming: Incoming) -> None:
        pass

    async def press(self, press: Press) -> PressAnswer:
        return PressAnswer()


class Editor:
    """What the editor is told, with a way to wait for it."""

    def __init__(self) -> None:
        self.connection: list[ConnectionState] = []
        self.statuses: list[MessageStatusParams] = []
        self.messages: list[ChatMessage] = []
        self.changed = asyncio.Event()

    def tell(self, into: list[Any]) -> Callable[[Any], None]:
        def record(item: Any) -> None:
            into.append(item)
            self.changed.set()

        return record

    async def until(self, done: Callable[[], bool]) -> None:
        async with asyncio.timeout(10):
            while not done():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def editor_and_service(tmp_path: Path) -> Any:
    editor = Editor()
    service = TelegramService(
        tmp_path,
        Settings(default_chat="42"),
        on_connection=editor.tell(editor.connection),
        on_status=editor.tell(editor.statuses),
        on_message=editor.tell(editor.messages),
        limits=FAST,
        gateway_factory=ScriptedGateway,
    )
    service.attach_phone(LetEveryoneIn())
    await service.connect(Credentials(1, "hash", "session"))
    await editor.until(lambda: any(c.state == "online" for c in editor.connection))
    yield editor, service
    await service.stop()


async def test_a_flood_wait_is_shown_as_waiting_and_the_message_still_goes_once(
    editor_and_service: Any,
) -> None:
    editor, service = editor_and_service
    ScriptedGateway.latest.failures.append(FloodWait(1))
    send_id = await service.send(SendParams(text="**deploy** done"))
    await editor.until(
        lambda: any(s.send_id == send_id and s.state == "sent" for s in editor.statuses)
    )
    states = [(c.state, c.wait_seconds) for c in editor.connection]
    assert ("waiting", 1) in states
    assert states[-1] == ("online", None)
    assert list(ScriptedGateway.latest.delivered.values()) == ["deploy done"]


async def test_inbound_messages_reach_the_editor_and_the_history(editor_and_service: Any) -> None:
    editor, service = editor_and_service
    gateway = ScriptedGateway.latest
    await gateway.on_incoming(Incoming(42, 7, 99, "tests failed", 1000.0, None, False, False))
    await gateway.on_incoming(Incoming(42, 8, 99, "retry?", 1001.0, 7, False, False))
    await gateway.on_incoming(Incoming(42, 7, 99, "tests passed", 1002.0, None, True, False))
    assert [(m.message_id, m.text, m.reply_to, m.edited) for m in editor.messages] == [
        (7, "tests failed", None, False),
        (8, "retry?", 7, False),
        (7, "tests passed", None, True),
    ]
    page = service.history(HistoryParams(search="passed"))
    assert [m.message_id for m in page.messages] == [7]


async def test_without_a_phone_side_nothing_inbound_is_stored(tmp_path: Path) -> None:
    editor = Editor()
    service = TelegramService(
        tmp_path,
        Settings(default_chat="42"),
        on_connection=editor.tell(editor.connection),
        on_status=editor.tell(editor.statuses),
        on_message=editor.tell(editor.messages),
        limits=FAST,
        gateway_factory=ScriptedGateway,
    )
    await service.connect(Credentials(1, "hash", "session"))
    try:
        await editor.until(lambda: any(c.state == "online" for c in editor.connection))
        await ScriptedGateway.latest.on_incoming(
            Incoming(42, 7, 99, "let me in", 1000.0, None, False, False)
        )
        assert editor.messages == []
        assert service.history(HistoryParams(search="let")).messages == []
    finally:
        await service.stop()


async def test_a_refused_login_says_why(editor_and_service: Any) -> None:
    _, service = editor_and_service

    async def never_asked(kind: str, hint: str) -> str | None:
        raise AssertionError("a bot login asks nothing")

    with pytest.raises(BridgeError) as raised:
        await service.login(
            LoginParams(mode="bot", api_id=1, api_hash="h", bot_token="1:x"), never_asked
        )
    assert (raised.value.code, raised.value.message) == (
        "login_failed",
        "Telegram refused the bot token.",
    )


async def test_an_account_login_asks_the_editor_for_the_code(editor_and_service: Any) -> None:
    _, service = editor_and_service
    asked: list[str] = []

    async def editor_answers(kind: str, hint: str) -> str | None:
        asked.append(kind)
        return "12345"

    session = await service.login(
        LoginParams(mode="account", api_id=1, api_hash="h", phone="+440000000"), editor_answers
    )
    assert (asked, session) == (["code"], "session-for-12345")


async def test_an_unknown_chat_name_is_refused_clearly(editor_and_service: Any) -> None:
    _, service = editor_and_service
    with pytest.raises(BridgeError, match="does not know the chat @nobody"):
        await service.send(SendParams(chat="@nobody", text="hi"))
