"""BridgeError -> JSON-RPC error with a stable `data.code`."""

from __future__ import annotations

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from tgbridge.errors import BridgeError

# JSON-RPC's range for implementation-defined server errors.
SERVER_ERROR = -32001


def to_rpc_error(error: BridgeError) -> JsonRpcException:
    data = {"code": error.code, "field": error.field}
    if error.code == "invalid_params":
        return JsonRpcInvalidParams(message=error.message, data=data)
    return JsonRpcException(code=SERVER_ERROR, message=error.message, data=data)
