"""`tgbridge send` and `tgbridge status`: the command line as a client of the hub.

Neither imports Telethon nor opens the database: the hub owns the connection and the
store. `send` attaches to the running hub or starts one, connects it with the command
line's session (`tgbridge login`) if no window has yet, queues the send under a fresh
client key and waits for its outcome, showing every wait on the way. `status` only
asks a hub that already runs; it never starts one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tgbridge import session_file
from tgbridge.app import state_dir
from tgbridge.errors import BridgeError
from tgbridge.hub.link import RECONNECTING, HubLink
from tgbridge.hub.rpc import RpcConnection, RpcError
from tgbridge.hub.socket import HubUnavailable, connect
from tgbridge.methods import CONNECT, CONNECTION_CHANGED, HUB_ATTACH, MESSAGE_STATUS, SEND
from tgbridge.protocol import (
    HUB_PROTOCOL_VERSION,
    AttachParams,
    AttachResult,
    CodeSelection,
    ConnectionChangedParams,
    ConnectionState,
    ConnectParams,
    FileToSend,
    MessageStatusParams,
    Position,
    Range,
    SendParams,
    SendResult,
)
from tgbridge.settings import Settings, load_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_HUB = 3  # explained to users in tgbridge.cli (SEND_EXIT_CODES)

# Beyond --wait: time for a hub to start and answer the connect and the send.
ANSWER_WITHIN = 15.0
RETRY_EVERY = 0.2  # while the hub's connection has not yet learnt its account
NOT_READY = ("not_connected", "not_logged_in")
LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".ts": "typescript",
    ".tsx": "tsx",
    ".js": "javascript",
    ".json": "json",
    ".sh": "bash",
    ".rs": "rust",
    ".go": "go",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".java": "java",
    ".rb": "ruby",
    ".toml": "toml",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".sql": "sql",
    ".html": "html",
    ".css": "css",
    ".md": "markdown",
}
_LINES = re.compile(r"^(?P<path>.+):(?P<start>\d+)(?:-(?P<end>\d+))?$")


class UsageError(Exception):
    """Something on the command line (or a file it names) that cannot be sent."""


def _fail(message: str, code: int) -> int:
    print(f"tgbridge: {message}", file=sys.stderr)
    return code


# ---- building the send from the command line -------------------------------------------


def send_params(
    *,
    chat: str | None,
    reply_to: int | None,
    file: str | None,
    caption: str,
    code: str | None,
    text: list[str],
    client_key: str,
) -> SendParams:
    """The request for one send; raises UsageError for what cannot be sent."""
    chosen = [given for given in (file is not None, code is not None, bool(text)) if given]
    if len(chosen) != 1:
        raise UsageError("give exactly one of TEXT, --file PATH or --code PATH[:START-END]")
    if caption and file is None:
        raise UsageError("--caption goes with --file")
    common: dict[str, Any] = {"chat": chat, "reply_to": reply_to, "client_key": client_key}
    if file is not None:
        path = Path(file).expanduser().resolve()  # the hub runs elsewhere: absolute
        if not path.is_file():
            raise UsageError(f"no such file: {file}")
        return SendParams(file=FileToSend(path=str(path), caption=caption), **common)
    if code is not None:
        return SendParams(code=code_selection(code), **common)
    message = sys.stdin.read().rstrip("\n") if text == ["-"] else " ".join(text)
    if not message.strip():
        raise UsageError("there is nothing to send")
    return SendParams(text=message, **common)


def code_selection(spec: str) -> CodeSelection:
    """`PATH` (the whole file) or `PATH:START-END` (lines, counted from 1, both included;
    `PATH:N` is the one line N)."""
    path, lines = Path(spec).expanduser(), None
    match = _LINES.match(spec)
    if match and not path.is_file():
        path = Path(match["path"]).expanduser()
        start = int(match["start"])
        lines = (start, int(match["end"] or start))
    try:
        content = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    language = LANGUAGES.get(path.suffix.lower(), "")
    if lines is None:
        return CodeSelection(text=content, language=language, path=path.name)
    start, end = lines
    all_lines = content.splitlines()
    if not 1 <= start <= end <= len(all_lines):
        raise UsageError(f"{path} has {len(all_lines)} lines; lines {start}-{end} are not in it")
    chosen = all_lines[start - 1 : end]
    selected = Range(
        start=Position(line=start - 1, character=0),
        end=Position(line=end - 1, character=len(chosen[-1])),
    )
    return CodeSelection(text="\n".join(chosen), language=language, path=path.name, range=selected)


# ---- tgbridge send ---------------------------------------------------------------------


@dataclass
class Watch:
    """What the hub pushes while the command line waits: statuses (any send id, as a
    status may come before the send's answer) and the connection, whose waits it shows."""

    statuses: dict[int, MessageStatusParams] = field(default_factory=dict)
    reattached: bool = False  # a new hub: the send must be named to it again
    _lost: bool = False
    _shown: tuple[str, int | None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def pushed(self, method: str, params: dict[str, Any]) -> None:
        if method == MESSAGE_STATUS:
            status = MessageStatusParams.model_validate(params)
            self.statuses[status.send_id] = status
        elif method == CONNECTION_CHANGED:
            self.state(ConnectionChangedParams.model_validate(params).connection)
        self._changed.set()

    def state(self, connection: ConnectionState) -> None:
        """Shows a flood wait once per change, and states in which nothing goes out."""
        if connection == RECONNECTING:
            self._lost = True
        elif self._lost:
            self._lost, self.reattached = False, True
        shown = (connection.state, connection.wait_seconds)
        if shown != self._shown:
            if connection.state == "waiting":
                seconds = connection.wait_seconds
                print(f"waiting {seconds} s (Telegram's flood limit)", file=sys.stderr)
            elif connection.state in ("offline", "unauthorized"):
                print(connection.detail, file=sys.stderr)
        self._shown = shown
        self._changed.set()

    async def changed(self, within: float) -> None:
        """Returns at the next push, or after `within` seconds."""
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), within)


async def _no_answer(params: dict[str, Any]) -> dict[str, Any]:
    return {"value": None}  # the hub asks questions only during a login


def send(args: Any) -> int:
    """`tgbridge send`: the exit code (EXIT_*)."""
    try:
        settings = load_settings({})
        params = send_params(
            chat=args.chat or settings.default_chat,
            reply_to=args.reply_to,
            file=args.file,
            caption=args.caption,
            code=args.code,
            text=args.text,
            client_key=str(uuid.uuid4()),
        )
        saved = session_file.load(state_dir(settings))
    except BridgeError as error:
        return _fail(error.message, EXIT_USAGE)
    except (UsageError, PermissionError) as error:
        return _fail(str(error), EXIT_USAGE)
    if saved is None:
        return _fail("no session: run `tgbridge login` first", EXIT_USAGE)
    # The hub link's warnings (the hub went away, reconnecting) are for the user too.
    logging.basicConfig(level=logging.WARNING, format="tgbridge: %(message)s", stream=sys.stderr)
    credentials = ConnectParams(api_id=saved.api_id, api_hash=saved.api_hash, session=saved.session)
    return asyncio.run(_send(settings, credentials, params, max(0.0, args.wait)))


async def _send(
    settings: Settings, credentials: ConnectParams, params: SendParams, wait: float
) -> int:
    watch = Watch()
    link = HubLink(
        state_dir(settings),
        settings,
        AttachParams(protocol_version=HUB_PROTOCOL_VERSION, kind="cli", name="tgbridge send"),
        on_pushed=watch.pushed,
        on_ask=_no_answer,
        on_state=watch.state,
    )
    try:
        await link.start()
    except BridgeError as error:
        return _fail(_hint(error), EXIT_NO_HUB)
    except OSError as error:
        return _fail(str(error), EXIT_NO_HUB)
    try:
        return await _deliver(link, watch, credentials, params, wait)
    finally:
        await link.close()


async def _deliver(
    link: HubLink, watch: Watch, credentials: ConnectParams, params: SendParams, wait: float
) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    send_id: int | None = None  # once known, the send is on disk in the hub's store
    try:
        async with asyncio.timeout(wait + ANSWER_WITHIN):
            send_id = await _queue(link, watch, credentials, params, deadline)
            while True:
                status = watch.statuses.get(send_id)
                if status is not None and status.state == "sent":
                    print(" ".join(str(message_id) for message_id in status.telegram_ids))
                    return EXIT_OK
                if status is not None and status.state == "failed":
                    return _fail(status.error or "the send failed", EXIT_FAILED)
                if watch.reattached:  # a new hub: name the send again (same key, same id)
                    watch.reattached = False
                    send_id = await _queue(link, watch, credentials, params, deadline)
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    print(
                        f"queued (send {send_id}); it goes out when Telegram lets it",
                        file=sys.stderr,
                    )
                    return EXIT_OK
                await watch.changed(remaining)
    except BridgeError as error:
        if error.code != "hub_unavailable":
            return _fail(_hint(error), EXIT_FAILED)
        if send_id is None:
            return _fail(error.message, EXIT_NO_HUB)
    except RpcError as error:
        return _fail(f"the hub could not take the send: {error.message}", EXIT_FAILED)
    except TimeoutError:
        if send_id is None:
            return _fail("the tgbridge hub did not answer in time", EXIT_NO_HUB)
    # The hub went away after the send was stored: the next hub sends it.
    print(f"queued (send {send_id}); it goes out when a tgbridge hub runs again", file=sys.stderr)
    return EXIT_OK


def _hint(error: BridgeError) -> str:
    """The hub's words, with what to do from a shell where they name the editor's way."""
    if error.code == "hub_version":
        return f"{error.message} From a shell: `tgbridge hub stop`."
    return error.message


async def _queue(
    link: HubLink, watch: Watch, credentials: ConnectParams, params: SendParams, deadline: float
) -> int:
    """Connects the hub (a no-op when a window already has) and queues the send; while
    the hub's connection does not know its account yet, tries again until `deadline`."""
    loop = asyncio.get_running_loop()
    await link.request(CONNECT, credentials.to_wire())
    while True:
        try:
            answer = await link.request(SEND, params.to_wire())
            return SendResult.model_validate(answer).send_id
        except BridgeError as error:
            remaining = deadline - loop.time()
            if error.code not in NOT_READY or remaining <= 0:
                raise
            await watch.changed(min(RETRY_EVERY, remaining))


# ---- tgbridge status -------------------------------------------------------------------


def status() -> int:
    """`tgbridge status`: the hub's pid and connection; never starts a hub."""
    try:
        settings = load_settings({})
    except BridgeError as error:
        return _fail(error.message, EXIT_USAGE)
    return asyncio.run(_status(state_dir(settings)))


async def _status(folder: Path) -> int:
    try:
        reader, writer = await connect(folder)
    except HubUnavailable:
        print("no hub running")
        return EXIT_OK
    except OSError as error:  # HubUnsafe: a folder on the way is not private
        return _fail(str(error), EXIT_NO_HUB)
    connection = RpcConnection(reader, writer, name="hub")
    running = asyncio.create_task(connection.run())
    attach = AttachParams(protocol_version=HUB_PROTOCOL_VERSION, kind="cli", name="tgbridge status")
    try:
        async with asyncio.timeout(ANSWER_WITHIN):
            answer = await connection.request(HUB_ATTACH, attach.to_wire())
    except BridgeError as error:
        return _fail(_hint(error), EXIT_NO_HUB)
    except (ConnectionError, RpcError, TimeoutError):
        print("no hub running")  # it was stopping as we asked
        return EXIT_OK
    finally:
        await connection.close()
        await running
    result = AttachResult.model_validate(answer)
    print(f"hub pid: {result.pid}")
    print(f"hub version: {result.hub_version}")
    print(f"connection: {result.connection.state}")
    print(f"detail: {result.connection.detail}")
    return EXIT_OK
