"""Claude Code hooks (`~/.claude/settings.json` → `hooks`), as documented in the hooks
reference, https://code.claude.com/docs/en/hooks (formerly
docs.anthropic.com/en/docs/claude-code/hooks).

Every event's stdin JSON carries `session_id`, `transcript_path` (the session's JSON Lines
transcript), `cwd`, `permission_mode` and `hook_event_name`, and:

- `PreToolUse`: `tool_name`, `tool_input` (Bash: `command`, `description`, `timeout`;
  Edit: `file_path`, `old_string`, `new_string`, `replace_all`; MultiEdit: `file_path`,
  `edits`; Write: `file_path`, `content`; ...), `tool_use_id`.
  Output (exit 0): `{"hookSpecificOutput": {"hookEventName": "PreToolUse",
  "permissionDecision": "allow"|"deny"|"ask", "permissionDecisionReason": "..."}}`.
  tgbridge answers only allow or deny, from the phone (or the owner's rules); with no
  answer it prints nothing, so Claude Code's own permission prompt decides ("ask" is not
  used: the Claude Code VS Code extension ignores it). Exit code 2 would block the tool
  and is never used.
- `Notification`: `message` (and `title`, `notification_type`); no decision. Sent to the
  phone as a note.
- `Stop`: `stop_hook_active` (true when Claude Code already continues because of a stop
  hook), and in newer versions `last_assistant_message`. Output `{"decision": "block",
  "reason": "..."}` makes Claude continue with the reason as its next instruction; no
  output lets it stop. The last message comes from `last_assistant_message`, else from
  the transcript's tail.

Which calls reach the phone: read-only tools never (Claude Code does not ask for them
either); nothing when `permission_mode` is `bypassPermissions`, nor edits under
`acceptEdits`. The ask's key is the session and `tool_use_id` (a hash of the tool input
when it is absent), so a retried hook asks once.
"""

from __future__ import annotations

import json
import os

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
    edit_diff,
    object_field,
    payload_object,
    stop_details,
    text_field,
    tool_call,
    workspace_name,
)
from tgbridge.hooks.transcript import last_assistant

TYPE_CHECKING = False  # typing is not imported at run time: a hook starts faster
if TYPE_CHECKING:
    from typing import Any

AGENT = "claude"
EVENTS = ("PreToolUse", "Notification", "Stop")
EDITS = frozenset({"Edit", "MultiEdit", "Write", "NotebookEdit"})
READ_ONLY = frozenset(
    {
        "Read",
        "Glob",
        "Grep",
        "LS",
        "NotebookRead",
        "TodoRead",
        "TodoWrite",
        "Task",
        "ExitPlanMode",
        "BashOutput",
        "KillShell",
        "KillBash",
        "ListMcpResourcesTool",
        "ReadMcpResourceTool",
        "AskUserQuestion",
    }
)


def plan(event: str, payload: Any) -> Plan:
    data = payload_object(payload)
    if event == "PreToolUse":
        return _pre_tool_use(data)
    if event == "Notification":
        text = text_field(data, "message")
        title = text_field(data, "title", required=False)
        where = workspace_name(text_field(data, "cwd", required=False))
        return Note(AGENT, f"{title}: {text}" if title else text, where)
    if event == "Stop":
        return _stop(data)
    raise Malformed(f"unknown event {event}")


def reply(event: str, answer: Answer | None, why: str = "") -> str:
    if event == "PreToolUse":
        if answer is None or answer.outcome not in ("allow", "deny"):
            return ""  # no decision: Claude Code's own prompt shows
        decision = {
            "hookEventName": "PreToolUse",
            "permissionDecision": answer.outcome,
            "permissionDecisionReason": answer.reason(),
        }
        return json.dumps({"hookSpecificOutput": decision})
    if event == "Stop" and answer is not None and answer.continues:
        return json.dumps({"decision": "block", "reason": answer.text})
    return ""


def _pre_tool_use(data: dict[str, Any]) -> Plan:
    tool = text_field(data, "tool_name")
    arguments = object_field(data, "tool_input")
    session = text_field(data, "session_id")
    mode = data.get("permission_mode")
    if tool in READ_ONLY:
        return Nothing(f"{tool} only reads")
    if mode == "bypassPermissions" or (mode == "acceptEdits" and tool in EDITS):
        return Nothing(f"permission mode {mode}")
    call = data.get("tool_use_id")
    key = f"{session}:{call if isinstance(call, str) and call else digest(tool, arguments)}"
    details = ""
    if tool == "Bash":
        command = text_field(arguments, "command")
        title = "Run a command"
        description = arguments.get("description")
        details = description if isinstance(description, str) else ""
    elif tool in EDITS:
        path = arguments.get("file_path") or arguments.get("notebook_path") or ""
        command = tool_call(tool, {"file_path": path})
        title = f"{tool} {os.path.basename(str(path))}".strip()
        details = edit_diff(tool, arguments)
    else:
        command = tool_call(tool, arguments)
        title = f"Use {tool}"
    where = workspace_name(text_field(data, "cwd", required=False))
    params = ask(
        agent=AGENT,
        key=key,
        kind="approval",
        title=title,
        workspace=where,
        command=command,
        details=details,
    )
    return Ask(params)


def _stop(data: dict[str, Any]) -> Plan:
    session = text_field(data, "session_id")
    active = bool_field(data, "stop_hook_active")
    transcript = text_field(data, "transcript_path", required=False)
    said, line = last_assistant(transcript)
    message = data.get("last_assistant_message")
    if isinstance(message, str) and message.strip():
        said = message
    # Bound to this stop: the transcript's last assistant line (or its length, which
    # grows with every turn); without either, a fresh key (this stop asks once anyway).
    moment = line or _size(transcript) or os.urandom(16).hex()
    params = ask(
        agent=AGENT,
        key=f"{session}:stop:{moment}:{digest(said)}",
        kind="continue",
        title="Stopped",
        workspace=workspace_name(text_field(data, "cwd", required=False)),
        details=stop_details(said),
    )
    return Ask(params, Loop(f"{AGENT}:{session}", active))


def _size(path: str) -> str:
    try:
        return str(os.path.getsize(path)) if path else ""
    except OSError:
        return ""
