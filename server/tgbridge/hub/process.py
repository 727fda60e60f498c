"""`python -m tgbridge hub`: the one process per user that owns the Telegram connection,
the store and the outbox, and serves every editor window, the CLI and the agents over
the local socket (DESIGN.md, "One Telegram connection per machine").

It runs only while it holds the hub lock; it stays while any client is attached and for
`hubLingerMinutes` after the last one leaves; a crash lets go of the lock, and the next
client to notice starts a new hub, which carries on from the same store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tgbridge import __version__
from tgbridge.agents.exchange import Exchange
from tgbridge.bot.commands import build_registry
from tgbridge.bot.hub_view import HubView, WindowInfo
from tgbridge.bot.phone import PhoneBot
from tgbridge.bot.text import Text
from tgbridge.errors import BridgeError
from tgbridge.hub.lock import HubLock
from tgbridge.hub.router import Router, Window, folder_path
from tgbridge.hub.rpc import RpcConnection
from tgbridge.hub.socket import serve
from tgbridge.methods import (
    AGENT_ASK,
    AGENT_CANCEL,
    AGENT_NOTIFY,
    AGENT_WAIT,
    ANSWER_AGENT,
    ASK_LOGIN,
    CANCEL,
    CHATS,
    COMMIT_MESSAGE,
    CONNECT,
    CONNECTION_CHANGED,
    EDITOR_EVENT,
    HISTORY,
    HISTORY_GAP,
    HUB_ATTACH,
    HUB_CHOOSE_WORKSPACE,
    HUB_STOP,
    LLM_KEYS,
    LOGIN,
    LOGOUT,
    MESSAGE,
    MESSAGE_STATUS,
    OUTBOX,
    PAIR_PHONE,
    RETRY,
    SEND,
)
from tgbridge.protocol import (
    HUB_PROTOCOL_VERSION,
    AgentAskParams,
    AgentCancelParams,
    AgentNotifyParams,
    AgentWaitParams,
    AnswerAgentParams,
    AskLoginParams,
    AskLoginResult,
    AskOutcome,
    AttachParams,
    AttachResult,
    ChatMessage,
    ChooseWorkspaceParams,
    CommitMessageParams,
    CommitMessageResult,
    ConnectionChangedParams,
    ConnectionState,
    ConnectParams,
    EditorEventParams,
    HistoryGapParams,
    HistoryParams,
    LlmKeysParams,
    LoginParams,
    LoginResult,
    MessageStatusParams,
    PairPhoneResult,
    SendIdParams,
    SendParams,
    SendResult,
)
from tgbridge.settings import PhoneSettings, Settings
from tgbridge.telegram.gateway import Credentials
from tgbridge.telegram.service import TelegramService
from tgbridge.voice.availability import use_packages as use_voice_packages
from tgbridge.workspace.registry import Workspaces

logger = logging.getLogger(__name__)

START_GRACE = 30.0
REGISTER_WAIT = 2.0
NOT_CONNECTED = ConnectionState(state="not configured", detail="Telegram is not configured yet.")


class Hub:
    def __init__(self, settings: Settings, state_dir: Any) -> None:
        self._settings = settings
        self._state_dir = state_dir
        self._router = Router()
        self._connection = NOT_CONNECTED
        self._stopped = asyncio.Event()
        self._linger: asyncio.TimerHandle | None = None
        self._service = TelegramService(
            state_dir,
            settings,
            on_connection=self._on_connection,
            on_status=self._on_status,
            on_message=self._on_message,
            on_gap=self._on_gap,
        )
        self._connected = False
        self._workspaces = Workspaces(loop=asyncio.get_running_loop())
        self._chosen: Path | None = None
        self._phone_settings = settings.phone()
        self._menu_published_for: int | None = None
        self._bot = PhoneBot(
            self._service,
            HubView(
                windows=self._window_infos,
                connection=lambda: self._connection,
                chosen_workspace=lambda: self._chosen,
                choose_workspace=self._choose,
                workspaces=self._workspaces,
                settings=lambda: self._phone_settings,
                state_dir=Path(state_dir),
                tell_windows=self._tell_windows,
            ),
            build_registry(),
        )
        self._service.attach_phone(self._bot)

    def _window_infos(self) -> list[WindowInfo]:
        return [
            WindowInfo(window.name, [p for p in map(folder_path, window.folders) if p])
            for window in self._router.editors()
        ]

    async def _notify_owner(self, agent: str, text: str) -> None:
        await self._bot.tell_owner(Text().bold(agent).line(":").plain(text).part())

    def _tell_windows(self, method: str, params: dict[str, Any]) -> int:
        """The windows of the chosen workspace (else every editor window) are told."""
        windows = self._router.for_message(0, None)
        for window in windows:
            window.notify(method, params, None)
        return len(windows)

    def _choose(self, folder: Path | None) -> None:
        """The phone's routing choice: its messages go to the windows open on `folder`."""
        folder = folder.resolve() if folder is not None else None
        self._chosen = folder
        uris = [
            uri
            for window in self._router.editors()
            for uri in window.folders
            if folder is not None and _resolved(folder_path(uri)) == folder
        ]
        self._router.chosen_workspace = uris[0] if uris else None

    async def _register(self, uris: list[str]) -> None:
        """Watches a window's folders (in a thread: a first watch walks the folder)."""
        for uri in uris:
            path = folder_path(uri)
            if path is None or path.resolve() in self._workspaces.folders():
                continue
            try:
                await asyncio.to_thread(self._workspaces.register, path)
            except Exception:  # a folder that cannot be watched is still usable
                logger.exception("could not register the workspace %s", path)

    def _apply_phone_settings(self, values: dict[str, Any] | None) -> None:
        if values is None:
            return
        try:
            self._phone_settings = PhoneSettings.model_validate(values)
        except ValidationError as error:
            logger.warning("a window's phone settings are invalid: %s", error)

    async def run(self) -> None:
        server = await serve(self._state_dir, self._serve_client)
        exchange = Exchange(
            Path(self._state_dir), ask=self._bot.asks.ask, notify=self._notify_owner
        )
        exchanging = asyncio.create_task(exchange.run())
        # The client that started it attaches in a moment; if it never does, the hub goes.
        self._start_linger(at_least=START_GRACE)
        logger.info("tgbridge hub %s serving (pid %s)", __version__, os.getpid())
        try:
            await self._stopped.wait()
        finally:
            server.close()
            exchanging.cancel()
            await exchange.stop()
            await self._bot.stop()
            await self._service.stop()
            self._workspaces.close()

    def stop(self) -> None:
        self._stopped.set()

    # ---- clients ---------------------------------------------------------------------

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        connection = RpcConnection(reader, writer, name="client")
        window: Window | None = None

        def notify(
            method: str, params: dict[str, Any], written: Callable[[], None] | None = None
        ) -> None:
            if not connection.closed:
                task = asyncio.ensure_future(connection.notify(method, params))
                task.add_done_callback(lambda done: _written(done, written))

        async def attach(params: dict[str, Any]) -> Any:
            nonlocal window
            attach = AttachParams.model_validate(params)
            if attach.protocol_version != HUB_PROTOCOL_VERSION:
                raise BridgeError(
                    "hub_version",
                    f"The running tgbridge hub speaks protocol {HUB_PROTOCOL_VERSION}, this "
                    f"window {attach.protocol_version}: restart the hub (tgbridge: Restart Hub).",
                )
            folders = [f.uri for f in attach.folders]
            if attach.kind == "window":
                # Watched before the answer (and before anything is pushed to the window),
                # so the phone's next /status sees them; a huge folder goes on in the
                # background.
                registering = asyncio.ensure_future(self._register(folders))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(registering), REGISTER_WAIT)
                self._apply_phone_settings(attach.phone)
            if window is None:
                window = Window(attach.kind, folders, notify, name=attach.name)
                self._router.attach(window)
                self._cancel_linger()
            else:  # attached again: its workspace folders changed
                window.folders = folders
            if attach.kind == "window":
                show_unseen()
            return (
                AttachResult(hub_version=__version__, pid=os.getpid(), connection=self._connection)
            ).to_wire()

        unseen_shown = False

        def show_unseen() -> None:
            """What came while no window was open; once the account is known."""
            nonlocal unseen_shown
            if unseen_shown or not self._service.has_account:
                return
            unseen_shown = True
            for message in self._service.unseen():
                notify(MESSAGE, message.to_wire(), _seen(self._service, message))

        def attached() -> Window:
            if window is None:
                raise BridgeError("invalid_params", "Attach first (hub/attach).")
            return window

        async def connect(params: dict[str, Any]) -> Any:
            attached()
            connect = ConnectParams.model_validate(params)
            if not self._connected:  # one connection, whichever window asks first
                self._connected = True
                await self._service.connect(
                    Credentials(connect.api_id, connect.api_hash, connect.session)
                )
            if window is not None and window.kind == "window":
                show_unseen()
            return ConnectionChangedParams(connection=self._connection).to_wire()

        async def login(params: dict[str, Any]) -> Any:
            attached()

            async def ask(kind: Any, hint: str) -> str | None:
                answer = await connection.request(
                    ASK_LOGIN, AskLoginParams(kind=kind, prompt=hint).to_wire()
                )
                return AskLoginResult.model_validate(answer or {}).value

            session = await self._service.login(LoginParams.model_validate(params), ask)
            self._connected = True
            return LoginResult(session=session, connection=self._connection).to_wire()

        async def logout(params: dict[str, Any]) -> Any:
            attached()
            self._connected = False
            return (await self._service.logout()).to_wire()

        async def send(params: dict[str, Any]) -> Any:
            sender = attached()
            send_id = await self._service.send(
                SendParams.model_validate(params),
                on_enqueued=lambda send_id: self._router.sent(send_id, sender),
            )
            return SendResult(send_id=send_id).to_wire()

        async def history(params: dict[str, Any]) -> Any:
            attached()
            return self._service.history(HistoryParams.model_validate(params)).to_wire()

        async def choose_workspace(params: dict[str, Any]) -> Any:
            attached()
            uri = ChooseWorkspaceParams.model_validate(params).uri
            self._choose(folder_path(uri) if uri else None)
            return {}

        async def pair_phone(params: dict[str, Any]) -> Any:
            attached()
            account = self._service.account
            if account is None:
                raise BridgeError(
                    "not_logged_in", "Log in first (tgbridge: Log In), then pair a phone."
                )
            code = self._bot.new_pairing_code()
            minutes = round((code.expires_at - time.time()) / 60)
            if account.bot:
                bot_name = account.name.lstrip("@")
                link = f"https://t.me/{bot_name}?start={code.code}"
                detail = (
                    f"On the phone, open {link} or send /start {code.code} to {account.name} "
                    f"within {minutes} minutes."
                )
            else:
                bot_name, link = None, None
                detail = f"Send /start {code.code} to Saved Messages within {minutes} minutes."
            return PairPhoneResult(
                code=code.code,
                expires_at=code.expires_at,
                link=link,
                bot_name=bot_name,
                detail=detail,
            ).to_wire()

        async def editor_event(params: dict[str, Any]) -> Any:
            attached()
            self._bot.notifier.editor_event(EditorEventParams.model_validate(params))
            return {}

        async def chats(params: dict[str, Any]) -> Any:
            attached()
            return self._service.chats().to_wire()

        async def outbox(params: dict[str, Any]) -> Any:
            attached()
            return self._service.outbox().to_wire()

        async def retry(params: dict[str, Any]) -> Any:
            sender = attached()
            send_id = SendIdParams.model_validate(params).send_id
            self._router.sent(send_id, sender)  # its statuses now go to the window retrying
            return SendResult(send_id=self._service.retry(send_id)).to_wire()

        async def cancel(params: dict[str, Any]) -> Any:
            attached()
            return self._service.cancel(SendIdParams.model_validate(params).send_id).to_wire()

        async def agent_ask(params: dict[str, Any]) -> Any:
            attached()
            return (await self._bot.asks.ask(AgentAskParams.model_validate(params))).to_wire()

        async def agent_wait(params: dict[str, Any]) -> Any:
            attached()
            wait = AgentWaitParams.model_validate(params)
            return (await self._bot.asks.wait(wait.id, wait.wait_seconds)).to_wire()

        async def answer_agent(params: dict[str, Any]) -> Any:
            attached()
            answer = AnswerAgentParams.model_validate(params)
            outcome: AskOutcome = answer.choice
            result = await self._bot.asks.answer_in_editor(answer.id, outcome, answer.text)
            return result.to_wire()

        async def agent_notify(params: dict[str, Any]) -> Any:
            attached()
            note = AgentNotifyParams.model_validate(params)
            if note.only_if_away and not self._bot.asks.away:
                return SendResult(send_id=0).to_wire()  # at the editor: the agent's own UI
            where = f" in {note.workspace}" if note.workspace else ""
            send_id = await self._bot.tell_owner(
                Text().bold(f"{note.agent}{where}").line(":").plain(note.text).part(),
                document=Path(note.file) if note.file else None,
            )
            if send_id is None:
                raise BridgeError("not_logged_in", "No phone is paired (tgbridge: Pair Phone).")
            return SendResult(send_id=send_id).to_wire()

        async def agent_cancel(params: dict[str, Any]) -> Any:
            attached()
            ask_id = AgentCancelParams.model_validate(params).id
            return self._bot.asks.cancel(ask_id).to_wire()

        async def llm_keys(params: dict[str, Any]) -> Any:
            attached()
            self._bot.models.set_keys(LlmKeysParams.model_validate(params).keys)
            return {}

        async def commit_message(params: dict[str, Any]) -> Any:
            attached()
            from tgbridge.bot.commands.models import editor_commit_message
            from tgbridge.llm.errors import LlmError

            folder = folder_path(CommitMessageParams.model_validate(params).folder)
            if folder is None or not folder.is_dir():
                raise BridgeError("invalid_params", "That folder is not on this machine.")
            try:
                message, provider, cut = await editor_commit_message(self._bot, folder.resolve())
            except (ValueError, LlmError) as error:
                raise BridgeError("llm_failed", str(error)) from None
            return CommitMessageResult(message=message, provider=provider, cut=cut).to_wire()

        async def stop(params: dict[str, Any]) -> Any:
            asyncio.get_running_loop().call_soon(self.stop)
            return {}

        for method, handler in (
            (HUB_ATTACH, attach),
            (CONNECT, connect),
            (LOGIN, login),
            (LOGOUT, logout),
            (SEND, send),
            (HISTORY, history),
            (HUB_CHOOSE_WORKSPACE, choose_workspace),
            (PAIR_PHONE, pair_phone),
            (EDITOR_EVENT, editor_event),
            (CHATS, chats),
            (AGENT_ASK, agent_ask),
            (AGENT_WAIT, agent_wait),
            (AGENT_NOTIFY, agent_notify),
            (AGENT_CANCEL, agent_cancel),
            (ANSWER_AGENT, answer_agent),
            (OUTBOX, outbox),
            (RETRY, retry),
            (CANCEL, cancel),
            (LLM_KEYS, llm_keys),
            (COMMIT_MESSAGE, commit_message),
            (HUB_STOP, stop),
        ):
            connection.on_request(method, handler)
        try:
            await connection.run()
        finally:
            if window is not None:
                self._router.detach(window)
                if not self._router.windows:
                    self._start_linger()

    # ---- what the service reports ------------------------------------------------------

    def _on_connection(self, connection: ConnectionState) -> None:
        self._connection = connection
        account = self._service.account
        online = connection.state == "online" and account is not None
        if online and account is not None and self._menu_published_for != account.id:
            self._menu_published_for = account.id  # once per account and hub
            self._bot.spawn(self._bot.publish_menu())
        params = ConnectionChangedParams(connection=connection).to_wire()
        for window in self._router.windows:
            window.notify(CONNECTION_CHANGED, params, None)

    def _on_status(self, status: MessageStatusParams) -> None:
        for window in self._router.for_status(status.send_id, status.chat_id, status.telegram_ids):
            window.notify(MESSAGE_STATUS, status.to_wire(), None)

    def _on_message(self, message: ChatMessage) -> bool:
        """Passes the message on; it stays unseen in the store until it is written to a
        window, so one lost with a dying hub is shown by the next hub."""
        params = message.to_wire()
        for window in self._router.for_message(message.chat_id, message.reply_to):
            window.notify(
                MESSAGE,
                params,
                lambda: self._service.mark_seen(message.chat_id, message.message_id),
            )
        return False

    def _on_gap(self, gap: HistoryGapParams) -> None:
        for window in self._router.editors():
            window.notify(HISTORY_GAP, gap.to_wire(), None)

    # ---- lingering -----------------------------------------------------------------------

    def _start_linger(self, at_least: float = 0) -> None:
        self._cancel_linger()
        seconds = max(at_least, self._settings.hub_linger_minutes * 60)
        self._linger = asyncio.get_running_loop().call_later(seconds, self.stop)

    def _cancel_linger(self) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None


def _resolved(path: Path | None) -> Path | None:
    return path.resolve() if path is not None else None


def _written(done: asyncio.Future[None], then: Callable[[], None] | None) -> None:
    if not done.cancelled() and done.exception() is None and then is not None:
        then()


def _seen(service: TelegramService, message: ChatMessage) -> Callable[[], None]:
    return lambda: service.mark_seen(message.chat_id, message.message_id)


def run_hub(settings: Settings) -> int:
    """Runs the hub until it is stopped or lingers out; 0 also when another hub runs."""
    from tgbridge.app import state_dir

    folder = state_dir(settings)
    use_voice_packages(folder)  # the voice add-on, when `tgbridge voice install` put it there
    lock = HubLock(folder)
    if not lock.acquire():
        logger.info("a tgbridge hub already runs for %s", folder)
        return 0
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run(settings, folder))
    finally:
        lock.release()
    return 0


async def _run(settings: Settings, folder: Any) -> None:
    import signal

    hub = Hub(settings, folder)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, hub.stop)
    await hub.run()
