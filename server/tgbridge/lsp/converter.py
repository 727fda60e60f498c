"""A cattrs converter that leaves custom messages' params and results as plain JSON.

pygls turns the params of methods it does not know into namedtuples; tgbridge validates
its own methods with pydantic, which wants the dicts.
"""

from __future__ import annotations

from typing import Any

from cattrs import Converter
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
    default_converter,
)


def _params_as_is(obj: dict[str, Any], cls: type[Any]) -> Any:
    return cls(**{"params": None, **obj})  # JSON-RPC lets a request or notification omit params


def _result_as_is(obj: dict[str, Any], cls: type[Any]) -> Any:
    return cls(**{"result": None, **obj})


def json_converter() -> Converter:
    converter: Converter = default_converter()  # type: ignore[no-untyped-call]
    converter.register_structure_hook(JsonRPCRequestMessage, _params_as_is)
    converter.register_structure_hook(JsonRPCNotification, _params_as_is)
    converter.register_structure_hook(JsonRPCResponseMessage, _result_as_is)
    return converter
