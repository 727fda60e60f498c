"""The JSON-RPC protocol between the extension and the sidecar, written once.

`scripts/gen-protocol` turns these models into `extension/src/protocol.ts`.
Requests are `tgbridge/<noun>`, notifications `tgbridge/<noun>Changed` or
`tgbridge/<event>`; errors carry a stable `data.code` (see ErrorData).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from tgbridge.errors import ErrorCode
from tgbridge.methods import (
    AGENT_ASK,
    AGENT_ASKED,
    AGENT_CANCEL,
    AGENT_NOTIFY,
    AGENT_WAIT,
    AGENTS,
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
    OPEN_AGENT_CHAT,
    OUTBOX,
    PAIR_PHONE,
    PAIRED,
    RESTART_HUB,
    RETRY,
    SEND,
    SEND_SELECTION_COMMAND,
    STATUS,
)
from tgbridge.methods import HUB_PROTOCOL_VERSION as _HUB_PROTOCOL_VERSION


class Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="forbid",
        json_schema_serialization_defaults_required=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-RPC params or result: camelCase names, JSON values."""
        return self.model_dump(mode="json", by_alias=True)


ConnectionStateName = Literal[
    "not configured", "connecting", "online", "offline", "waiting", "unauthorized"
]


class ConnectionState(Model):
    """Where the Telegram connection is; `detail` is the sentence to show."""

    state: ConnectionStateName
    detail: str
    wait_seconds: int | None = None


class WorkspaceFolder(Model):
    name: str
    uri: str


class PythonInfo(Model):
    executable: str
    version: str


class StatusParams(Model):
    pass


class StatusResult(Model):
    version: str
    workspace_folders: list[WorkspaceFolder]
    connection: ConnectionState
    python: PythonInfo
    settings_error: str | None = None
    hub_pid: int | None = None  # the hub this window is attached to, once it is


class ConnectionChangedParams(Model):
    connection: ConnectionState


class Position(Model):
    line: int
    character: int


class Range(Model):
    start: Position
    end: Position


class SendSelectionArgs(Model):
    """Argument of the `tgbridge.sendSelection` command (workspace/executeCommand)."""

    uri: str
    range: Range


class ConnectParams(Model):
    """Credentials from the editor's secret storage; never logged."""

    api_id: int
    api_hash: str
    session: str


class LoginParams(Model):
    mode: Literal["bot", "account"]
    api_id: int
    api_hash: str
    bot_token: str | None = None
    phone: str | None = None


class LoginResult(Model):
    """The session to keep in the editor's secret storage."""

    session: str
    connection: ConnectionState


class AskLoginParams(Model):
    """Sent by the sidecar while logging in to an account: the editor asks the user."""

    kind: Literal["code", "password"]
    prompt: str


class AskLoginResult(Model):
    value: str | None = None


class EmptyResult(Model):
    pass


class LogoutResult(Model):
    """`telegram_told` is false when Telegram could not be reached: the session then
    still lives on Telegram's side until ended in Settings → Devices."""

    telegram_told: bool
    detail: str


class CodeSelection(Model):
    text: str
    language: str = ""
    path: str = ""
    range: Range | None = None


class FileToSend(Model):
    path: str
    caption: str = ""


class SendParams(Model):
    """One of text (Markdown-style), code or file; `chat` defaults to the setting."""

    chat: str | None = None
    text: str | None = None
    code: CodeSelection | None = None
    file: FileToSend | None = None
    reply_to: int | None = None
    # Picked by the editor per send: retrying the request (say, after the sidecar
    # restarted) answers the same send id instead of sending twice.
    client_key: str | None = None


class SendResult(Model):
    send_id: int


class MessageStatusParams(Model):
    send_id: int
    chat_id: int  # 0 while an @username waits to be resolved
    state: Literal["queued", "sent", "failed"]
    telegram_ids: list[int]
    error: str | None = None
    # Why a queued send is not moving, e.g. "waiting for @ann to log in".
    detail: str | None = None


class ChatMessage(Model):
    chat_id: int
    message_id: int
    sender_id: int | None
    text: str
    date: float
    reply_to: int | None
    edited: bool
    outgoing: bool
    file_path: str | None = None
    # A file still downloading: the same message comes again once it is saved (or not).
    file_pending: bool = False
    file_note: str | None = None  # why a received file was not saved


class HistoryGapParams(Model):
    """Telegram would not hand over everything that came while tgbridge was away."""

    detail: str
    since: float | None  # the newest message stored before the gap
    skipped_updates: int
    fetched: int  # messages fetched from the history instead


class HistoryParams(Model):
    chat_id: int | None = None
    search: str | None = None
    before: int | None = None
    limit: int = 50


class HistoryResult(Model):
    messages: list[ChatMessage]
    next_cursor: int | None


class PairPhoneResult(Model):
    """A one-time pairing code: the phone sends `/start <code>` to the bot (or opens
    `link`) within ten minutes; five wrong tries lock it."""

    code: str
    expires_at: float
    link: str | None = None  # t.me/<bot>?start=<code>, in bot mode
    bot_name: str | None = None
    detail: str


class PairedParams(Model):
    """A phone was let in (its pairing finished, or the owner approved it)."""

    name: str
    role: str


class LlmKeysParams(Model):
    """The language models' API keys, by provider name (`tgbridge.llm.providers`), from
    the editor's SecretStorage: the hub keeps them in memory only."""

    keys: dict[str, str]


class CommitMessageParams(Model):
    """A commit message for what is staged in the workspace folder `folder` (a URI)."""

    folder: str


class CommitMessageResult(Model):
    message: str
    provider: str
    # What did not fit in the model's context or was refused by the path guard.
    cut: list[str] = []


class EditorEventParams(Model):
    """Something that ended in the editor, for the phone's notification rules."""

    kind: Literal["task", "debug"]
    name: str
    exit_code: int | None = None
    duration_seconds: float = 0
    test: bool = False
    workspace: str = ""


class Person(Model):
    id: int
    name: str


class ChatSummary(Model):
    """A chat the bot or account talks in, with its newest message."""

    chat_id: int
    title: str
    last: ChatMessage


class ChatsResult(Model):
    chats: list[ChatSummary]
    # Names of the people the messages name (sender ids), as far as they are known.
    people: list[Person]


class OutboxItem(Model):
    """A send not delivered yet: queued, waiting out a flood wait, or failed."""

    send_id: int
    chat_id: int
    state: Literal["queued", "waiting", "failed"]
    preview: str
    error: str | None = None
    wait_seconds: int | None = None
    created_at: float


class OutboxResult(Model):
    items: list[OutboxItem]


class SendIdParams(Model):
    send_id: int


class CancelResult(Model):
    cancelled: bool
    detail: str


class AgentsParams(Model):
    """Connect (install) or disconnect coding agents: their hook and MCP entries."""

    action: Literal["install", "uninstall"]
    agents: list[Literal["claude", "cursor", "codex"]]


class AgentsChange(Model):
    agent: str
    path: str
    entries: list[str]


class AgentsResult(Model):
    changes: list[AgentsChange]


class AgentAskedParams(Model):
    """An agent waits for a human (the owner is away): the editor may answer too; the
    first answer wins, phone or editor."""

    id: str
    agent: str
    kind: Literal["approval", "question", "continue"]
    title: str
    command: str | None = None
    details: str = ""
    options: list[str] = []
    workspace: str = ""


class AnswerAgentParams(Model):
    id: str
    choice: Literal["allow", "deny", "answer"]
    text: str | None = None


class OpenAgentChatParams(Model):
    """The phone asks the editor's agent something: open the chat in agent mode."""

    query: str


class ErrorData(Model):
    """`data` of every error the sidecar answers."""

    code: ErrorCode
    field: str | None = None


REQUESTS: dict[str, tuple[type[Model], type[Model]]] = {
    STATUS: (StatusParams, StatusResult),
    CONNECT: (ConnectParams, StatusResult),
    LOGIN: (LoginParams, LoginResult),
    LOGOUT: (StatusParams, LogoutResult),
    SEND: (SendParams, SendResult),
    HISTORY: (HistoryParams, HistoryResult),
    RESTART_HUB: (StatusParams, StatusResult),
    PAIR_PHONE: (StatusParams, PairPhoneResult),
    EDITOR_EVENT: (EditorEventParams, EmptyResult),
    CHATS: (StatusParams, ChatsResult),
    OUTBOX: (StatusParams, OutboxResult),
    RETRY: (SendIdParams, SendResult),
    CANCEL: (SendIdParams, CancelResult),
    AGENTS: (AgentsParams, AgentsResult),
    LLM_KEYS: (LlmKeysParams, EmptyResult),
    COMMIT_MESSAGE: (CommitMessageParams, CommitMessageResult),
}
NOTIFICATIONS: dict[str, type[Model]] = {
    CONNECTION_CHANGED: ConnectionChangedParams,
    MESSAGE_STATUS: MessageStatusParams,
    MESSAGE: ChatMessage,
    HISTORY_GAP: HistoryGapParams,
    AGENT_ASKED: AgentAskedParams,
    OPEN_AGENT_CHAT: OpenAgentChatParams,
    PAIRED: PairedParams,
}
# Requests the sidecar sends to the editor.
CLIENT_REQUESTS: dict[str, tuple[type[Model], type[Model]]] = {
    ASK_LOGIN: (AskLoginParams, AskLoginResult),
}
COMMANDS: dict[str, type[Model]] = {
    SEND_SELECTION_COMMAND: SendSelectionArgs,
}


# ---- hub-only members: the local socket between the hub and its clients -------------

# Raised when a message on the socket changes meaning; a window and a hub of different
# versions say so instead of misunderstanding each other.
HUB_PROTOCOL_VERSION = _HUB_PROTOCOL_VERSION  # the number lives in tgbridge.methods


class AttachParams(Model):
    """The first request on the hub socket: who is attaching."""

    protocol_version: int
    kind: Literal["window", "cli"]
    name: str = ""
    folders: list[WorkspaceFolder] = []
    # The window's phone settings (tasks, deny globs, notification rules): the latest
    # window's apply, so a changed setting reaches the running hub.
    phone: dict[str, Any] | None = None


class AttachResult(Model):
    hub_version: str
    pid: int
    connection: ConnectionState


class ChooseWorkspaceParams(Model):
    """The workspace whose window gets the phone's messages (the phone's /workspace)."""

    uri: str | None


AskKind = Literal["approval", "question", "continue"]
AskOutcome = Literal[
    "allow",  # approved (also by an "always allow" rule or button)
    "deny",  # refused (by the phone, or a blocked pattern at once)
    "answer",  # a question answered (an option, or a reply's text)
    "present",  # the owner is not away: the agent's own prompt decides
    "timeout",  # nobody answered in time: the agent's own prompt decides
    "pending",  # still waiting; agent/wait resumes it (long waits, MCP)
    "not_paired",  # no paired phone, or not logged in as a bot
]


class AgentAskParams(Model):
    """An agent waits for a human: approve a command or tool call, answer a question, or
    give the next instruction when it stopped. `key` is bound to the agent's own call:
    asking again with the same key is the same request (a retried hook asks once)."""

    key: str
    agent: str  # "claude", "cursor", "codex", "vscode", "mcp", "cli"
    kind: AskKind
    title: str
    details: str = ""
    command: str | None = None  # the shell command or tool call, for the owner's rules
    options: list[str] = []
    workspace: str = ""
    timeout_seconds: float = 600
    wait_seconds: float | None = None  # answer "pending" after this long (<= timeout)
    only_if_away: bool = True  # when the owner is at the editor, answer "present" at once


class AgentAnswer(Model):
    id: str
    outcome: AskOutcome
    text: str | None = None  # the option chosen, or the reply's text
    by: str | None = None  # who answered on the phone
    detail: str = ""


class AgentWaitParams(Model):
    id: str
    wait_seconds: float


class AgentCancelParams(Model):
    """The agent stopped waiting (an MCP client cancelled its call): the ask ends as
    timed out and its phone message turns stale."""

    id: str


class AgentNotifyParams(Model):
    agent: str
    text: str
    workspace: str = ""
    # An agent's hook reports (a turn ended) reach the phone only while the owner is away.
    only_if_away: bool = False
    # A file (absolute path) for the owner's phone, `text` its caption; the client has
    # checked it (the MCP server's send_file passes it through the path guard).
    file: str | None = None


HUB_REQUESTS: dict[str, tuple[type[Model], type[Model]]] = {
    HUB_ATTACH: (AttachParams, AttachResult),
    HUB_STOP: (StatusParams, EmptyResult),
    HUB_CHOOSE_WORKSPACE: (ChooseWorkspaceParams, EmptyResult),
    AGENT_ASK: (AgentAskParams, AgentAnswer),
    AGENT_WAIT: (AgentWaitParams, AgentAnswer),
    AGENT_NOTIFY: (AgentNotifyParams, SendResult),
    AGENT_CANCEL: (AgentCancelParams, AgentAnswer),
}
# The editor answers an agent with the hub's own answer model (defined with the hub's).
REQUESTS[ANSWER_AGENT] = (AnswerAgentParams, AgentAnswer)
