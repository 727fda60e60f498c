"""The Bridge: builds tgbridge's parts and answers for them. The one composition point."""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tgbridge import __version__, logs
from tgbridge.errors import BridgeError
from tgbridge.methods import (
    CONNECT,
    CONNECTION_CHANGED,
    EDITOR_EVENT,
    HISTORY,
    LOGIN,
    LOGOUT,
    MESSAGE,
    PAIR_PHONE,
    SEND,
)
from tgbridge.protocol import (
    HUB_PROTOCOL_VERSION,
    NOTIFICATIONS,
    AgentsChange,
    AgentsParams,
    AgentsResult,
    AskLoginParams,
    AskLoginResult,
    AttachParams,
    CodeSelection,
    ConnectionChangedParams,
    ConnectionState,
    ConnectParams,
    EditorEventParams,
    EmptyResult,
    HistoryParams,
    HistoryResult,
    LoginParams,
    LoginResult,
    LogoutResult,
    Model,
    PairPhoneResult,
    PythonInfo,
    SendParams,
    SendResult,
    SendSelectionArgs,
    StatusResult,
    WorkspaceFolder,
)
from tgbridge.settings import Settings, load_settings

if TYPE_CHECKING:
    from tgbridge.hub.link import HubLink
    from tgbridge.telegram.gateway import LoginPrompt

Notify = Callable[[str, Model], None]
ResultT = TypeVar("ResultT", bound=Model)


NOT_CONFIGURED = ConnectionState(state="not configured", detail="Telegram is not configured yet.")


class Bridge:
    """Holds the settings and the connection state on behalf of one editor window."""

    def __init__(self, notify: Notify) -> None:
        self._notify = notify
        self.settings: Settings | None = None
        self.settings_error: BridgeError | None = None
        self.workspace_folders: list[WorkspaceFolder] = []
        self.connection = NOT_CONFIGURED
        self._link: HubLink | None = None
        self._ask: LoginPrompt | None = None
        self._last_connect: ConnectParams | None = None
        self._shown = Shown()

    def configure(self, editor_settings: Mapping[str, Any]) -> None:
        """Applies the editor's settings; a bad one is kept as the error to answer with."""
        try:
            self.settings = load_settings(editor_settings)
            self.settings_error = None
            logs.set_level(self.settings.log_level)
        except BridgeError as error:
            self.settings = None
            self.settings_error = error
            logs.logger.error("%s", error.message)

    def set_workspace_folders(self, folders: list[WorkspaceFolder]) -> None:
        """The window's folders changed: the hub routes by them, so it is told."""
        self.workspace_folders = folders
        if self._link is not None:
            self._link.set_folders(folders)

    def set_connection(self, connection: ConnectionState) -> None:
        if connection == self.connection:
            return
        self.connection = connection
        self._notify(CONNECTION_CHANGED, ConnectionChangedParams(connection=connection))

    def status(self) -> StatusResult:
        return StatusResult(
            version=__version__,
            workspace_folders=self.workspace_folders,
            connection=self.connection,
            python=PythonInfo(executable=sys.executable, version=platform.python_version()),
            settings_error=self.settings_error.message if self.settings_error else None,
            hub_pid=self._link.hub_pid if self._link else None,
        )

    async def connect(self, params: ConnectParams) -> StatusResult:
        """Connects with the credentials the editor kept from the last login."""
        self._last_connect = params
        await (await self._hub()).request(CONNECT, params.to_wire())
        return self.status()

    async def restart_hub(self) -> StatusResult:
        """Stops the running hub (say, one from before an update) and attaches to a new
        one, connecting again with the credentials this window last used."""
        from tgbridge.hub.link import stop_hub

        link, self._link = self._link, None
        if link is not None:
            await link.close()
        await stop_hub(state_dir(self.require_settings()))
        if self._last_connect is not None:
            return await self.connect(self._last_connect)
        await self._hub()
        return self.status()

    async def login(self, params: LoginParams, ask: LoginPrompt) -> LoginResult:
        """Logs in through the hub, which asks its questions back through this window."""
        hub = await self._hub()
        self._ask = ask
        try:
            answer = await hub.request(LOGIN, params.to_wire())
        finally:
            self._ask = None
        return LoginResult.model_validate(answer)

    async def logout(self) -> LogoutResult:
        return LogoutResult.model_validate(await (await self._hub()).request(LOGOUT, {}))

    async def send(self, params: SendParams) -> SendResult:
        self.require_telegram()
        return SendResult.model_validate(await (await self._hub()).request(SEND, params.to_wire()))

    async def history(self, params: HistoryParams) -> HistoryResult:
        answer = await (await self._hub()).request(HISTORY, params.to_wire())
        return HistoryResult.model_validate(answer)

    async def relay(self, method: str, params: Model | None, result: type[ResultT]) -> ResultT:
        """A request the hub answers, passed on as it is; refused at once (no hub is
        started for it) while this window never connected or logged in."""
        self.require_telegram()
        wire = params.to_wire() if params is not None else {}
        return result.model_validate(await (await self._hub()).request(method, wire))

    async def agents(self, params: AgentsParams) -> AgentsResult:
        """Connects or disconnects coding agents, user-level (their config in the home
        folder), through a launcher that runs this Python with these libraries."""
        from tgbridge.agents.install import install, launcher, uninstall

        run = launcher(state_dir(self.require_settings()))
        apply = install if params.action == "install" else uninstall
        try:
            changes = apply(list(params.agents), home=Path.home(), run=run)
        except (ValueError, OSError) as error:
            raise BridgeError("invalid_params", str(error)) from None
        return AgentsResult(
            changes=[
                AgentsChange(agent=c.agent, path=str(c.path), entries=c.entries) for c in changes
            ]
        )

    async def pair_phone(self) -> PairPhoneResult:
        return PairPhoneResult.model_validate(await (await self._hub()).request(PAIR_PHONE, {}))

    async def editor_event(self, params: EditorEventParams) -> EmptyResult:
        await (await self._hub()).request(EDITOR_EVENT, params.to_wire())
        return EmptyResult()

    async def send_selection(self, args: SendSelectionArgs, text: str, language: str) -> SendResult:
        code = CodeSelection(
            text=text, language=language, path=_display_path(args.uri), range=args.range
        )
        return await self.send(SendParams(code=code))

    async def shutdown(self) -> None:
        """The editor closes the window: it detaches; the hub stays for the others."""
        link, self._link = self._link, None
        if link is not None:
            await link.close()

    def require_telegram(self) -> None:
        """Refuses at once when this window never connected or logged in."""
        if self._link is None:
            raise BridgeError(
                "not_connected",
                "Not connected to Telegram: log in first (tgbridge: Log In). "
                f"Connection: {self.connection.detail}",
            )

    async def _hub(self) -> HubLink:
        """The line to the hub, made on first use (Telethon and the hub stay off the
        window's cold start)."""
        if self._link is None:
            from tgbridge.hub.link import HubLink

            settings = self.require_settings()
            attach = AttachParams(
                protocol_version=HUB_PROTOCOL_VERSION,
                kind="window",
                folders=self.workspace_folders,
                phone=settings.phone().model_dump(mode="json", by_alias=True),
            )
            link = HubLink(
                state_dir(settings),
                settings,
                attach,
                on_pushed=self._pushed,
                on_ask=self._ask_editor,
                on_state=self.set_connection,
            )
            await link.start()
            self._link = link
        return self._link

    def _pushed(self, method: str, params: dict[str, Any]) -> None:
        """What the hub tells this window, passed on to the editor. A message a dying hub
        wrote but could not mark as shown comes again from the next hub: once is enough."""
        if method == CONNECTION_CHANGED:
            self.set_connection(ConnectionChangedParams.model_validate(params).connection)
        elif method == MESSAGE and not self._shown.first_time(params):
            return
        elif (model := NOTIFICATIONS.get(method)) is not None:
            self._notify(method, model.model_validate(params))

    async def _ask_editor(self, params: dict[str, Any]) -> dict[str, Any]:
        question = AskLoginParams.model_validate(params)
        value = await self._ask(question.kind, question.prompt) if self._ask else None
        return AskLoginResult(value=value).to_wire()

    def require_settings(self) -> Settings:
        if self.settings_error is not None:
            raise self.settings_error
        if self.settings is None:
            raise BridgeError("invalid_settings", "The sidecar has not received its settings yet.")
        return self.settings


class Shown:
    """The messages this window was last given, as the hub gave them (bounded)."""

    def __init__(self, keep: int = 10_000) -> None:
        self._keys: dict[str, None] = {}
        self._keep = keep

    def first_time(self, message: dict[str, Any]) -> bool:
        key = json.dumps(message, sort_keys=True)
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self._keep:
            del self._keys[next(iter(self._keys))]
        return True


def state_dir(settings: Settings) -> Path:
    if settings.state_dir is not None:
        return settings.state_dir
    from platformdirs import user_state_dir

    return Path(user_state_dir("tgbridge", appauthor=False))


def _display_path(uri: str) -> str:
    """The workspace-relative path when there is one; the name is enough for Telegram."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    return Path(unquote(parsed.path)).name if parsed.scheme == "file" else uri
