"""The Bridge: builds tgbridge's parts and answers for them. The one composition point."""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tgbridge import __version__, logs
from tgbridge.errors import BridgeError
from tgbridge.methods import CONNECTION_CHANGED, HISTORY_GAP, MESSAGE, MESSAGE_STATUS
from tgbridge.protocol import (
    CodeSelection,
    ConnectionChangedParams,
    ConnectionState,
    ConnectParams,
    HistoryParams,
    HistoryResult,
    LoginParams,
    LoginResult,
    LogoutResult,
    Model,
    PythonInfo,
    SendParams,
    SendResult,
    SendSelectionArgs,
    StatusResult,
    WorkspaceFolder,
)
from tgbridge.settings import Settings, load_settings

if TYPE_CHECKING:
    from tgbridge.telegram.gateway import LoginPrompt
    from tgbridge.telegram.service import TelegramService

Notify = Callable[[str, Model], None]

NOT_CONFIGURED = ConnectionState(state="not configured", detail="Telegram is not configured yet.")


class Bridge:
    """Holds the settings and the connection state on behalf of one editor window."""

    def __init__(self, notify: Notify) -> None:
        self._notify = notify
        self.settings: Settings | None = None
        self.settings_error: BridgeError | None = None
        self.workspace_folders: list[WorkspaceFolder] = []
        self.connection = NOT_CONFIGURED
        self._telegram: TelegramService | None = None

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
        )

    async def connect(self, params: ConnectParams) -> StatusResult:
        """Connects with the credentials the editor kept from the last login."""
        from tgbridge.telegram.gateway import Credentials

        service = self._service()
        await service.connect(Credentials(params.api_id, params.api_hash, params.session))
        return self.status()

    async def login(self, params: LoginParams, ask: LoginPrompt) -> LoginResult:
        session = await self._service().login(params, ask)
        return LoginResult(session=session, connection=self.connection)

    async def logout(self) -> LogoutResult:
        if self._telegram is None:
            return LogoutResult(telegram_told=False, detail="Not logged in.")
        return await self._telegram.logout()

    async def send(self, params: SendParams) -> SendResult:
        return SendResult(send_id=await self.require_telegram().send(params))

    async def history(self, params: HistoryParams) -> HistoryResult:
        return self._service().history(params)

    async def send_selection(self, args: SendSelectionArgs, text: str, language: str) -> SendResult:
        code = CodeSelection(
            text=text, language=language, path=_display_path(args.uri), range=args.range
        )
        return await self.send(SendParams(code=code))

    async def shutdown(self) -> None:
        """The editor asked the sidecar to stop: a clean stop of the service."""
        telegram, self._telegram = self._telegram, None
        if telegram is not None:
            await telegram.stop()

    def require_telegram(self) -> TelegramService:
        if self._telegram is None:
            raise BridgeError(
                "not_connected",
                "Not connected to Telegram: log in first (tgbridge: Log In). "
                f"Connection: {self.connection.detail}",
            )
        return self._telegram

    def _service(self) -> TelegramService:
        """The Telegram service, built on first use (Telethon stays off the cold start)."""
        if self._telegram is None:
            from tgbridge.telegram.service import TelegramService

            settings = self.require_settings()
            self._telegram = TelegramService(
                state_dir(settings),
                settings,
                on_connection=self.set_connection,
                on_status=lambda status: self._notify(MESSAGE_STATUS, status),
                on_message=lambda message: self._notify(MESSAGE, message),
                on_gap=lambda gap: self._notify(HISTORY_GAP, gap),
            )
        return self._telegram

    def require_settings(self) -> Settings:
        if self.settings_error is not None:
            raise self.settings_error
        if self.settings is None:
            raise BridgeError("invalid_settings", "The sidecar has not received its settings yet.")
        return self.settings


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
