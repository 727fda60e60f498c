"""JSON Schema of the protocol, the input of `scripts/gen-protocol`."""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from tgbridge import protocol


def _ref(model: type[protocol.Model]) -> dict[str, str]:
    return {"$ref": f"#/$defs/{model.__name__}"}


def _table(entries: dict[str, dict[str, Any]], title: str) -> dict[str, Any]:
    return {
        "title": title,
        "type": "object",
        "properties": entries,
        "required": sorted(entries),
        "additionalProperties": False,
    }


def _pair(params: type[protocol.Model], result: type[protocol.Model]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"params": _ref(params), "result": _ref(result)},
        "required": ["params", "result"],
        "additionalProperties": False,
    }


def protocol_schema() -> dict[str, Any]:
    models: set[type[protocol.Model]] = {protocol.ErrorData}
    for params, result in [*protocol.REQUESTS.values(), *protocol.CLIENT_REQUESTS.values()]:
        models |= {params, result}
    models |= set(protocol.NOTIFICATIONS.values()) | set(protocol.COMMANDS.values())
    inputs = {params for params, _ in protocol.REQUESTS.values()}
    inputs |= {result for _, result in protocol.CLIENT_REQUESTS.values()}
    inputs |= set(protocol.COMMANDS.values())
    ordered = sorted(models, key=lambda model: model.__name__)
    # What the editor sends may omit defaults; what it receives always has every field.
    _, top = models_json_schema(
        [(model, "validation" if model in inputs else "serialization") for model in ordered],
        by_alias=True,
        ref_template="#/$defs/{model}",
    )
    for definition in top["$defs"].values():
        for field in definition.get("properties", {}).values():
            field.pop("title", None)  # else each field becomes a named TS type
    requests = {name: _pair(*pair) for name, pair in protocol.REQUESTS.items()}
    client_requests = {name: _pair(*pair) for name, pair in protocol.CLIENT_REQUESTS.items()}
    notifications = {name: _ref(model) for name, model in protocol.NOTIFICATIONS.items()}
    commands = {name: _ref(model) for name, model in protocol.COMMANDS.items()}
    return {
        "title": "Protocol",
        "type": "object",
        "properties": {
            "requests": _table(requests, "Requests"),
            "clientRequests": _table(client_requests, "ClientRequests"),
            "notifications": _table(notifications, "Notifications"),
            "commands": _table(commands, "Commands"),
            "errorData": _ref(protocol.ErrorData),
        },
        "required": ["requests", "clientRequests", "notifications", "commands", "errorData"],
        "additionalProperties": False,
        "$defs": top["$defs"],
    }


if __name__ == "__main__":
    print(json.dumps(protocol_schema(), indent=2, sort_keys=True))
