"""Codex hooks (`~/.codex/hooks.json`, or `[hooks]` in `config.toml`) and its `notify`
program, as documented at https://developers.openai.com/codex/hooks and in the schemas
Codex generates from its own types (github.com/openai/codex,
`codex-rs/hooks/schema/generated/*.command.{input,output}.schema.json`).

Every hook's stdin JSON carries `session_id`, `turn_id`, `transcript_path` (may be null),
`cwd`, `hook_event_name`, `model` and `permission_mode`, and:

- `PermissionRequest` (runs where Codex would show its approval prompt): `tool_name`
  ("Bash", or "NetworkAccess" for a network approval) and `tool_input` (`command`, and
  `description`: the request's justification). Output:
  `{"hookSpecificOutput": {"hookEventName": "PermissionRequest",
  "decision": {"behavior": "allow"|"deny", "message": "..."}}}`. A hook that prints
  nothing (exit 0) gives no verdict and Codex's normal approval prompt follows; that is
  what tgbridge does without an answer from the phone.
- `Stop`: `stop_hook_active`, `last_assistant_message` (may be null). Output
  `{"decision": "block", "reason": "..."}` continues the turn with the reason as the
  next instruction (a blank reason is refused by Codex); no output lets it stop.

The `notify` program (`notify = ["tgbridge-agent", "hook", "codex", "notify"]` in
`config.toml`) is not a hook: Codex runs it after each turn with one more argument, a
JSON object `{"type": "agent-turn-complete", "thread-id", "turn-id", "cwd",
"input-messages", "last-assistant-message"}`, and reads nothing back. tgbridge sends the
last message to the phone as a note.

Keys: the session, the turn, and a hash of the request (Codex may ask several times in
one turn).
"""

from __future__ import annotations

import json

from tgbridge.hooks.calls import (
    Answer,
    Ask,
    Loop,
    Malformed,
    Note,
    Nothing,
    Plan,
    ask,
    bool_field,
    digest,
    object_field,
    payload_object,
    stop_details,
    text_field,
    workspace_name,
)

TYPE_CHECKING = False  # typing is not imported at run time: a hook starts faster
if TYPE_CHECKING:
    from typing import Any

AGENT = "codex"
EVENTS = ("PermissionRequest", "Stop", "notify")
TURN_COMPLETE = "agent-turn-complete"


def plan(event: str, payload: Any) -> Plan:
    data = payload_object(payload)
    if event == "notify":
        if data.get("type") != TURN_COMPLETE:
            return Nothing(f"not a finished turn ({data.get('type')!r})")
        message = text_field(data, "last-assistant-message", required=False)
        where = workspace_name(text_field(data, "cwd", required=False))
        return Note(AGENT, message.strip() or "Finished its turn.", where)
    session = text_field(data, "session_id")
    turn = text_field(data, "turn_id", required=False)
    where = workspace_name(text_field(data, "cwd", required=False))
    if event == "PermissionRequest":
        tool = text_field(data, "tool_name")
        arguments = object_field(data, "tool_input")
        command = text_field(arguments, "command")
        description = arguments.get("description")
        params = ask(
            agent=AGENT,
            key=f"{session}:{turn}:{digest(tool, arguments)}",
            kind="approval",
            title="Allow network access" if tool == "NetworkAccess" else "Run a command",
            workspace=where,
            command=command,
            details=description if isinstance(description, str) else "",
        )
        return Ask(params)
    if event == "Stop":
        active = bool_field(data, "stop_hook_active")
        last = data.get("last_assistant_message")  # null when the turn said nothing
        said = last if isinstance(last, str) else ""
        params = ask(
            agent=AGENT,
            key=f"{session}:{turn}:stop:{digest(said)}",
            kind="continue",
            title="Stopped",
            workspace=where,
            details=stop_details(said),
        )
        return Ask(params, Loop(f"{AGENT}:{session}", active))
    raise Malformed(f"unknown event {event}")


def reply(event: str, answer: Answer | None, why: str = "") -> str:
    if event == "PermissionRequest":
        if answer is None or answer.outcome not in ("allow", "deny"):
            return ""  # no verdict: Codex's own approval prompt follows
        decision: dict[str, Any] = {"behavior": answer.outcome}
        if answer.outcome == "deny":
            decision["message"] = answer.reason()
        output = {
            "hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": decision}
        }
        return json.dumps(output)
    if event == "Stop" and answer is not None and answer.continues:
        return json.dumps({"decision": "block", "reason": answer.text})
    return ""
