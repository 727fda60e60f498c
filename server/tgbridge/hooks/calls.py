"""What every agent's hook format turns into, and the helpers they share.

An agent module reads its documented stdin JSON into a `Plan`:
- `Ask`: an `agent/ask` request (the AgentAskParams wire dict, camelCase); for a stop,
  with the agent's loop flag so a chain of phone replies stays bounded (`tgbridge.hooks.loops`);
- `Note`: an `agent/notify` message for the owner's phone;
- `Nothing`: no one is asked (a read-only tool, a stop the user aborted); the agent's
  own rules decide.
It then turns the hub's AgentAnswer (or None: no answer, for whatever reason) into its
documented stdout. Nothing here talks to the hub.
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False  # typing is not imported at run time: a hook starts faster
if TYPE_CHECKING:
    from typing import Any

COMMAND_LIMIT = 2000  # characters of a tool call shown as its "command"
DETAILS_LIMIT = 60_000  # the hub shows long details as a document
MESSAGE_LIMIT = 8000  # an agent's last message, as the details of a stop


class Malformed(ValueError):
    """The stdin is not what the agent's format documents."""


class _Value:
    """A small value: its fields are its `__slots__`; equal when they are."""

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Loop(_Value):
    """A stop that may continue the agent: `session` keys the counter of continues in a
    row; `active` is the agent's own flag that this stop follows a hook's continue."""

    __slots__ = ("active", "session")

    def __init__(self, session: str, active: bool) -> None:
        self.session, self.active = session, active


class Ask(_Value):
    __slots__ = ("loop", "params")

    def __init__(self, params: dict[str, Any], loop: Loop | None = None) -> None:
        self.params, self.loop = params, loop


class Note(_Value):
    __slots__ = ("agent", "text", "workspace")

    def __init__(self, agent: str, text: str, workspace: str = "") -> None:
        self.agent, self.text, self.workspace = agent, text, workspace


class Nothing(_Value):
    __slots__ = ("why",)

    def __init__(self, why: str = "") -> None:
        self.why = why


Plan = Ask | Note | Nothing


class Answer(_Value):
    """The hub's AgentAnswer, read defensively (it comes over a socket)."""

    __slots__ = ("by", "detail", "outcome", "text")

    def __init__(self, outcome: str, text: str = "", by: str = "", detail: str = "") -> None:
        self.outcome, self.text, self.by, self.detail = outcome, text, by, detail

    @classmethod
    def of(cls, wire: dict[str, Any]) -> Answer:
        def text(name: str) -> str:
            value = wire.get(name)
            return value if isinstance(value, str) else ""

        return cls(text("outcome"), text("text"), text("by"), text("detail"))

    @property
    def continues(self) -> bool:
        """A reply to a stop: the agent's next instruction."""
        return self.outcome == "answer" and bool(self.text.strip())

    def reason(self) -> str:
        """Why the phone decided, for the agent and its user."""
        by = f" by {self.by}" if self.by else ""
        if self.outcome == "allow":
            return self.detail or f"Allowed on the phone{by} (tgbridge)."
        if self.outcome == "deny":
            return self.detail or f"Denied on the phone{by} (tgbridge)."
        return self.detail


# ---- reading the payload ---------------------------------------------------------------


def payload_object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise Malformed("the hook input is not a JSON object")
    return payload


def text_field(payload: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = payload.get(name)
    if isinstance(value, str) and (value or not required):
        return value
    if value is None and not required:
        return ""
    raise Malformed(f"the hook input has no {name!r} string")


def bool_field(payload: dict[str, Any], name: str) -> bool:
    value = payload.get(name, False)
    if not isinstance(value, bool):
        raise Malformed(f"{name!r} is not true or false")
    return value


def object_field(payload: dict[str, Any], name: str) -> dict[str, Any]:
    value = payload.get(name, {})
    if not isinstance(value, dict):
        raise Malformed(f"{name!r} is not an object")
    return value


# ---- building the ask ------------------------------------------------------------------


def digest(*parts: Any) -> str:
    """A short stable digest of JSON-able parts (keys bind an ask to the agent's call)."""
    import hashlib  # not every call needs one (OpenSSL's import is a few ms of a hook's start)

    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tool_call(name: str, arguments: Any) -> str:
    """`Name(arguments as JSON)`, shortened: what a non-shell tool call shows and is
    matched by (the owner's rules see the same text)."""
    if isinstance(arguments, str):
        shown = arguments
    else:
        shown = json.dumps(arguments, ensure_ascii=False, sort_keys=True, default=str)
    return shorten(f"{name}({shown})", COMMAND_LIMIT)


def workspace_name(*paths: str) -> str:
    """The folder the agent works in, by name (the phone shows "claude in shop")."""
    for path in paths:
        if path:
            return os.path.basename(path.rstrip("/")) or path
    return ""


def ask(
    *,
    agent: str,
    key: str,
    kind: str,
    title: str,
    workspace: str,
    command: str | None = None,
    details: str = "",
) -> dict[str, Any]:
    """The AgentAskParams wire dict; the command line adds `timeoutSeconds`."""
    params: dict[str, Any] = {
        "key": f"{agent}:{key}",
        "agent": agent,
        "kind": kind,
        "title": title,
        "details": shorten(details, DETAILS_LIMIT),
        "workspace": workspace,
        "onlyIfAway": True,  # at the editor, the agent's own prompt decides
    }
    if command is not None:
        params["command"] = command
    return params


def stop_details(message: str) -> str:
    """The agent's last message, as the phone shows a stop (its end, when long)."""
    message = message.strip()
    if len(message) <= MESSAGE_LIMIT:
        return message
    return "…" + message[-(MESSAGE_LIMIT - 1) :]


# ---- edits as diffs ----------------------------------------------------------------------


def edit_diff(tool: str, arguments: dict[str, Any]) -> str:
    """A unified diff of what an Edit, MultiEdit or Write call would change ("" for other
    tools or arguments that do not say)."""
    path = arguments.get("file_path") or arguments.get("filePath") or arguments.get("path")
    if not isinstance(path, str) or not path:
        return ""
    pairs: list[tuple[str, str]] = []
    if tool == "Edit":
        pairs = [_pair(arguments)]
    elif tool == "MultiEdit":
        edits = arguments.get("edits")
        if isinstance(edits, list):
            pairs = [_pair(edit) for edit in edits if isinstance(edit, dict)]
    elif tool == "Write":
        # Against nothing, not the file on disk: what the phone sees is what the call
        # carries, never a file's old content (it may be one the path guard denies).
        content = arguments.get("content")
        if isinstance(content, str):
            pairs = [("", content)]
    if not pairs:
        return ""
    import difflib  # only for edits

    name = path.lstrip("/")
    lines = [f"diff a/{name} b/{name}"]
    for old, new in pairs:
        lines.extend(
            line.rstrip("\n")
            for line in difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
                n=2,
            )
        )
    return shorten("\n".join(lines), DETAILS_LIMIT)


def _pair(edit: dict[str, Any]) -> tuple[str, str]:
    old, new = edit.get("old_string"), edit.get("new_string")
    return (old if isinstance(old, str) else "", new if isinstance(new, str) else "")
