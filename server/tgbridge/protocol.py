"""The JSON-RPC protocol between the extension and the sidecar, written once.

`scripts/gen-protocol` turns these models into `extension/src/protocol.ts`.
Requests are `tgbridge/<noun>`, notifications `tgbridge/<noun>Changed` or
`tgbridge/<event>`; errors carry a stable `data.code` (see ErrorData).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from tgbridge.errors import ErrorCode
from tgbridge.methods import CONNECTION_CHANGED, SEND_SELECTION_COMMAND, STATUS


class Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="forbid",
        json_schema_serialization_defaults_required=True,
    )


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


class ErrorData(Model):
    """`data` of every error the sidecar answers."""

    code: ErrorCode
    field: str | None = None


REQUESTS: dict[str, tuple[type[Model], type[Model]]] = {
    STATUS: (StatusParams, StatusResult),
}
NOTIFICATIONS: dict[str, type[Model]] = {
    CONNECTION_CHANGED: ConnectionChangedParams,
}
COMMANDS: dict[str, type[Model]] = {
    SEND_SELECTION_COMMAND: SendSelectionArgs,
}
