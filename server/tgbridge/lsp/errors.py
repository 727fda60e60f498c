"""BridgeError -> JSON-RPC error with a stable `data.code`."""

from __future__ import annotations

import logging

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from tgbridge.errors import BridgeError

# JSON-RPC's range for implementation-defined server errors.
SERVER_ERROR = -32001


class BridgeRpcError(JsonRpcException):
    """An expected error answered to the editor, e.g. "not connected": not a crash."""


def to_rpc_error(error: BridgeError) -> JsonRpcException:
    data = {"code": error.code, "field": error.field}
    code = JsonRpcInvalidParams.CODE if error.code == "invalid_params" else SERVER_ERROR
    return BridgeRpcError(code=code, message=error.message, data=data)


class HideExpectedErrors(logging.Filter):
    """pygls logs a traceback for every error a handler raises; ours are answers."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], BridgeRpcError))
