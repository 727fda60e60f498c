"""A small synchronous line to the hub for the hook commands and `tgbridge notify`/`ask`.

Standard library only, and no asyncio: a hook runs once per agent call, so its start-up
is the agent's wait. It connects to the socket `tgbridge.hub.address` names (after the
same private-folder checks as every client), attaches as kind "cli", sends one request
and reads its answer line (newline-delimited JSON-RPC 2.0, as `tgbridge.hub.rpc` speaks
it). When no hub listens it starts one (`tgbridge.hub.spawn`, as a window's link does)
and waits a bounded time for it.

A hub with no Telegram connection yet (started by this command, or by another command
line) is connected with the command line's session (`tgbridge login`), as `tgbridge send`
does, so the phone can be reached with no editor open.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import socket
import sys
import time

from tgbridge.hub.address import HubUnavailable, check_private, layout
from tgbridge.methods import AGENT_ASK, AGENT_NOTIFY, CONNECT, HUB_ATTACH, HUB_PROTOCOL_VERSION

TYPE_CHECKING = False  # typing is not imported at run time: a hook starts faster
if TYPE_CHECKING:
    from typing import Any

STATE_DIR_VARIABLE = "TGBRIDGE_STATE_DIR"
START_WITHIN = 3.0  # seconds a hook gives a hub it started (the agent is waiting)
POLL_EVERY = 0.05  # while a started hub's socket is not there yet
RESPAWN_EVERY = 1.0  # the hub started may have found the lock held by one on its way out
ANSWER_GRACE = 15.0  # beyond an ask's own timeout: the hub answers "timeout" by then
REQUEST_WITHIN = 15.0  # attach, connect, notify
READY_WITHIN = 10.0  # a hub this command connected: until its account is known
READY_POLL = 0.25
NOT_CONFIGURED = "not configured"


class Unreachable(Exception):
    """No hub could be reached or started (or its socket's folder is not private)."""


class HubError(Exception):
    """The hub answered with an error; `code` is its stable `data.code` when it has one."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def state_dir() -> str:
    """The state dir the settings name: `TGBRIDGE_STATE_DIR` (absolute or `~/...`; empty
    counts as unset), else the platform's user state folder for tgbridge."""
    value = os.environ.get(STATE_DIR_VARIABLE, "")
    if value:
        path = os.path.expanduser(value)
        if not os.path.isabs(path):
            raise Unreachable(f"{STATE_DIR_VARIABLE} must be an absolute path, not {value!r}")
        return path
    from platformdirs import user_state_dir  # as tgbridge.app.state_dir; only when needed

    return user_state_dir("tgbridge", appauthor=False)


class HubClient:
    """One attached connection to the hub. Use as a context manager."""

    def __init__(self, folder: str, name: str, *, start_within: float = START_WITHIN) -> None:
        self.folder = folder
        self._name = name
        self._start_within = start_within
        self._sock: socket.socket | None = None
        self._reader: Any = None
        self._ids = itertools.count(1)
        self.connection: dict[str, Any] = {}  # the hub's Telegram state at attach
        self.connected_by_us = False

    def __enter__(self) -> HubClient:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- connecting -------------------------------------------------------------------

    def open(self) -> None:
        """Connects (starting a hub when none listens) and attaches."""
        self._sock = self._connect_or_start()
        self._reader = self._sock.makefile("rb")
        attach = {"protocolVersion": HUB_PROTOCOL_VERSION, "kind": "cli", "name": self._name}
        result = self.request(HUB_ATTACH, attach, within=REQUEST_WITHIN)
        connection = result.get("connection") if isinstance(result, dict) else None
        self.connection = connection if isinstance(connection, dict) else {}

    def close(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(OSError):
                self._reader.close()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
        self._sock = self._reader = None

    def _connect_or_start(self) -> socket.socket:
        try:
            return _connect(self.folder)
        except HubUnavailable:
            pass
        from pathlib import Path

        from tgbridge.hub.spawn import hub_log, spawn_hub

        folder = Path(self.folder)
        environment = {STATE_DIR_VARIABLE: self.folder}
        spawn_hub(folder, environment)
        now = time.monotonic()
        deadline, respawn_at = now + self._start_within, now + RESPAWN_EVERY
        while True:
            time.sleep(POLL_EVERY)  # polling for a socket that is not there yet
            try:
                return _connect(self.folder)
            except HubUnavailable:
                now = time.monotonic()
                if now > deadline:
                    raise Unreachable(
                        f"no tgbridge hub started within {self._start_within:.0f} s "
                        f"(see {hub_log(folder)})"
                    ) from None
                if now > respawn_at:
                    spawn_hub(folder, environment)
                    respawn_at = now + RESPAWN_EVERY

    def connect_telegram(self) -> bool:
        """Connects a hub that has no Telegram connection yet with the command line's
        session, when there is one; True when it asked the hub to."""
        if self.connection.get("state") != NOT_CONFIGURED:
            return False
        from pathlib import Path

        from tgbridge import session_file

        try:
            saved = session_file.load(Path(self.folder))
        except (OSError, ValueError, KeyError, TypeError):
            return False
        if saved is None:
            return False
        credentials = {"apiId": saved.api_id, "apiHash": saved.api_hash, "session": saved.session}
        self.request(CONNECT, credentials, within=REQUEST_WITHIN)
        self.connected_by_us = True
        return True

    # ---- agent requests ---------------------------------------------------------------

    def ask(self, params: dict[str, Any]) -> dict[str, Any]:
        """`agent/ask`: blocks until the hub answers (it answers "timeout" itself at the
        ask's `timeoutSeconds`). A hub this command connected is given time to learn its
        account before "not_paired" counts."""
        within = float(params.get("timeoutSeconds", 600)) + ANSWER_GRACE
        ready_by = time.monotonic() + READY_WITHIN
        while True:
            answer = self.request(AGENT_ASK, params, within=within)
            if not isinstance(answer, dict):
                raise HubError("internal", "the hub's answer is not an object")
            if answer.get("outcome") != "not_paired" or not self.connected_by_us:
                return answer
            if time.monotonic() > ready_by:
                return answer
            time.sleep(READY_POLL)  # the connection this command made is still coming up

    def notify(
        self, agent: str, text: str, workspace: str = "", *, only_if_away: bool = False
    ) -> None:
        """`agent/notify`: the hub queues a message to the owner's phone (with
        `only_if_away`, only while the owner is away from the editor)."""
        params: dict[str, Any] = {"agent": agent, "text": text, "workspace": workspace}
        if only_if_away:
            params["onlyIfAway"] = True
        ready_by = time.monotonic() + READY_WITHIN
        while True:
            try:
                self.request(AGENT_NOTIFY, params, within=REQUEST_WITHIN)
                return
            except HubError as error:
                if error.code != "not_logged_in" or not self.connected_by_us:
                    raise
                if time.monotonic() > ready_by:
                    raise
            time.sleep(READY_POLL)

    # ---- JSON-RPC -----------------------------------------------------------------------

    def request(self, method: str, params: dict[str, Any], *, within: float) -> Any:
        """Sends one request and returns its result; answers a request from the hub with
        "unknown method" and skips notifications meanwhile."""
        if self._sock is None or self._reader is None:
            raise Unreachable("not connected to the hub")
        request_id = next(self._ids)
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        deadline = time.monotonic() + within
        try:
            self._sock.sendall(_line(message))
            while True:
                self._sock.settimeout(max(0.01, deadline - time.monotonic()))
                raw = self._reader.readline()
                if not raw.endswith(b"\n"):
                    raise Unreachable("the hub closed the connection before answering")
                received = json.loads(raw)
                if not isinstance(received, dict):
                    continue
                if "method" in received:
                    self._refuse(received)
                    continue
                if received.get("id") != request_id:
                    continue
                if "error" in received:
                    raise _error(received["error"])
                return received.get("result")
        except TimeoutError:
            raise Unreachable(f"the hub did not answer {method} in time") from None
        except (OSError, ValueError) as error:
            raise Unreachable(f"the connection to the hub failed: {error}") from None

    def _refuse(self, message: dict[str, Any]) -> None:
        """A request from the hub (it asks only windows things): "unknown method"."""
        if "id" not in message or self._sock is None:
            return
        error = {"code": -32601, "message": "Unknown method", "data": {"code": "unknown_method"}}
        self._sock.sendall(_line({"jsonrpc": "2.0", "id": message["id"], "error": error}))


def _connect(folder: str) -> socket.socket:
    """Connects to the hub's socket after checking its folders (as `hub.socket.connect`)."""
    path, folders = layout(folder)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        for private in folders:
            check_private(private, repair=False)
        sock.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError) as error:
        sock.close()
        raise HubUnavailable(f"No tgbridge hub is listening on {path}.") from error
    except OSError as error:  # HubUnsafe (a folder on the way is not private), and others
        sock.close()
        raise Unreachable(str(error)) from error
    return sock


def _line(message: dict[str, Any]) -> bytes:
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode() + b"\n"


def _error(error: Any) -> HubError:
    if not isinstance(error, dict):
        return HubError("internal", "a malformed error answer")
    data = error.get("data")
    code = data.get("code") if isinstance(data, dict) else None
    message = error.get("message")
    return HubError(
        code if isinstance(code, str) else "internal",
        message if isinstance(message, str) else "the hub refused the request",
    )


def say(message: str) -> None:
    """One line on stderr (an agent shows a hook's stderr in its log, never to the model
    on exit 0)."""
    print(f"tgbridge: {message}", file=sys.stderr)
