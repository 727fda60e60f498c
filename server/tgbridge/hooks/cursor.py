"""Cursor agent hooks (`~/.cursor/hooks.json`, `{"version": 1, "hooks": {...}}`), as
documented at https://cursor.com/docs/agent/hooks (also cursor.com/docs/hooks).

Every event's stdin JSON carries `conversation_id`, `generation_id`, `hook_event_name`,
`workspace_roots` (and `model`, `cursor_version`, `user_email` when known), and:

- `beforeShellExecution`: `command`, `cwd`. Output: `{"permission": "allow"|"deny"|"ask",
  "user_message": "...", "agent_message": "..."}` (`user_message` is shown in Cursor,
  `agent_message` is told to the agent).
- `beforeMCPExecution`: `tool_name`, `tool_input` (the call's parameters, a JSON string),
  and `url` or `command` (the MCP server). Output as for shell commands.
- `afterAgentResponse`: `text`, the agent's reply; nothing to decide. Sent to the phone
  as a note; output `{}`.
- `stop`: `status` ("completed", "aborted" or "error") and `loop_count` (how many
  follow-ups this hook already caused; Cursor bounds them by the entry's `loop_limit`).
  Output `{"followup_message": "..."}` sends the text as the user's next message; `{}`
  lets the agent stop.

tgbridge always prints a permission for the two "before" hooks: its entries are
installed with `failClosed`, so printing nothing would deny. With no answer from the
phone (the owner at the editor, a timeout, no hub, malformed input) it is "ask", which
hands the command to Cursor's own approval prompt; never a silent allow. A stop the user
aborted is not asked about. Keys: the generation and a hash of the command (or MCP call).
"""

from __future__ import annotations

import json

from tgbridge.hooks.calls import (
    Answer,
    Ask,
    Malformed,
    Note,
    Nothing,
    Plan,
    ask,
    digest,
    payload_object,
    text_field,
    tool_call,
    workspace_name,
)

TYPE_CHECKING = False  # typing is not imported at run time: a hook starts faster
if TYPE_CHECKING:
    from typing import Any

AGENT = "cursor"
EVENTS = ("beforeShellExecution", "beforeMCPExecution", "afterAgentResponse", "stop")
PERMISSIONS = ("beforeShellExecution", "beforeMCPExecution")


def plan(event: str, payload: Any) -> Plan:
    data = payload_object(payload)
    where = _workspace(data)
    call = text_field(data, "generation_id", required=False) or text_field(data, "conversation_id")
    if event == "beforeShellExecution":
        command = text_field(data, "command")
        cwd = text_field(data, "cwd", required=False)
        params = ask(
            agent=AGENT,
            key=f"{call}:{digest(command, cwd)}",
            kind="approval",
            title="Run a command",
            workspace=where,
            command=command,
        )
        return Ask(params)
    if event == "beforeMCPExecution":
        tool = text_field(data, "tool_name")
        arguments = data.get("tool_input", "")
        server = text_field(data, "url", required=False) or text_field(
            data, "command", required=False
        )
        params = ask(
            agent=AGENT,
            key=f"{call}:{digest(tool, arguments, server)}",
            kind="approval",
            title=f"Use the MCP tool {tool}",
            workspace=where,
            command=tool_call(tool, arguments),
            details=f"MCP server: {server}" if server else "",
        )
        return Ask(params)
    if event == "afterAgentResponse":
        return Note(AGENT, text_field(data, "text"), where)
    if event == "stop":
        status = text_field(data, "status")
        if status == "aborted":
            return Nothing("the user stopped the agent")
        loop_count = data.get("loop_count", 0)
        conversation = text_field(data, "conversation_id")
        params = ask(
            agent=AGENT,
            key=f"{conversation}:{call}:stop:{loop_count}",
            kind="continue",
            title="Stopped with an error" if status == "error" else "Stopped",
            workspace=where,
        )
        return Ask(params)
    raise Malformed(f"unknown event {event}")


def reply(event: str, answer: Answer | None, why: str = "") -> str:
    if event in PERMISSIONS:
        if answer is not None and answer.outcome in ("allow", "deny"):
            said = answer.reason()
            agent_message = said
            if answer.outcome == "deny":
                agent_message = f"The user denied this from their phone: {said}"
            return json.dumps(
                {"permission": answer.outcome, "user_message": said, "agent_message": agent_message}
            )
        shown = (answer.detail if answer is not None else "") or why or "no answer"
        return json.dumps({"permission": "ask", "user_message": f"tgbridge: {shown}"})
    if event == "stop" and answer is not None and answer.continues:
        return json.dumps({"followup_message": answer.text})
    return "{}"


def _workspace(data: dict[str, Any]) -> str:
    roots = data.get("workspace_roots")
    first = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) else ""
    return workspace_name(first, text_field(data, "cwd", required=False))
