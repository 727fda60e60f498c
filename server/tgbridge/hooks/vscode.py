"""VS Code agent hooks (Preview; `.github/hooks/*.json`, or the user's hook files), as
documented at https://code.visualstudio.com/docs/agents/reference/hooks-reference and
https://code.visualstudio.com/docs/copilot/customization/hooks.

Every hook's stdin JSON carries the common fields `timestamp`, `cwd`, `sessionId`,
`hookEventName` and `transcript_path` (event fields are snake_case), and:

- `PreToolUse`: `tool_name` (VS Code's tool names, e.g. `run_in_terminal`, `editFiles`,
  `create_file`), `tool_input` (the tool's parameters), `tool_use_id`. Output:
  `{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision":
  "allow"|"deny"|"ask", "permissionDecisionReason": "..."}}`; "ask" always shows VS Code's
  confirmation (never auto-approved), no output leaves VS Code's own approval rules in
  charge.
- `Stop`: `stop_hook_active`. Output: block with a reason to make the agent continue.
  The reference shows it inside `hookSpecificOutput` (`{"hookEventName": "Stop",
  "decision": "block", "reason": "..."}`) while the Copilot Chat types read `decision`
  and `reason` at the top level, Claude Code style; tgbridge writes both, which either
  reading accepts.

What tgbridge answers: allow or deny from the phone; no output when the owner is at the
editor (VS Code's own rules decide, including tools the user auto-approved); "ask" when
the phone gave no answer, no hub was reached or the input was malformed, so nothing runs
unconfirmed. Tools that only read are not sent to the phone (best effort by name).
"""

from __future__ import annotations

import json
import os

from tgbridge.hooks.calls import (
    Answer,
    Ask,
    Loop,
    Malformed,
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

AGENT = "vscode"
EVENTS = ("PreToolUse", "Stop")
READ_ONLY = frozenset(
    {
        "read_file",
        "readFile",
        "list_dir",
        "listDirectory",
        "file_search",
        "fileSearch",
        "grep_search",
        "textSearch",
        "semantic_search",
        "codebase",
        "get_errors",
        "problems",
        "get_changed_files",
        "changes",
        "list_code_usages",
        "usages",
        "get_terminal_output",
        "terminalLastCommand",
        "terminalSelection",
        "manage_todo_list",
        "todos",
        "think",
    }
)
# VS Code's edit tools, read into the arguments `calls.edit_diff` knows.
EDITS = {
    "replace_string_in_file": "Edit",
    "create_file": "Write",
}


def plan(event: str, payload: Any) -> Plan:
    data = payload_object(payload)
    session = text_field(data, "sessionId", required=False) or text_field(
        data, "session_id", required=False
    )
    where = workspace_name(text_field(data, "cwd", required=False))
    if event == "PreToolUse":
        tool = text_field(data, "tool_name")
        arguments = object_field(data, "tool_input")
        if tool in READ_ONLY:
            return Nothing(f"{tool} only reads")
        call = data.get("tool_use_id")
        key = f"{session}:{call if isinstance(call, str) and call else digest(tool, arguments)}"
        command = arguments.get("command")
        details = ""
        if isinstance(command, str) and command:
            title = "Run a command"
            explanation = arguments.get("explanation")
            details = explanation if isinstance(explanation, str) else ""
        elif tool in EDITS:
            path = arguments.get("filePath") or arguments.get("file_path") or ""
            command = tool_call(tool, {"filePath": path})
            title = f"Edit {os.path.basename(str(path))}".strip()
            details = edit_diff(EDITS[tool], _edit_arguments(arguments))
        else:
            command = tool_call(tool, arguments)
            title = f"Use {tool}"
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
    if event == "Stop":
        active = bool_field(data, "stop_hook_active")
        said, line = last_assistant(text_field(data, "transcript_path", required=False))
        moment = line or text_field(data, "timestamp", required=False)
        params = ask(
            agent=AGENT,
            key=f"{session}:stop:{moment}:{digest(said)}",
            kind="continue",
            title="Stopped",
            workspace=where,
            details=stop_details(said),
        )
        return Ask(params, Loop(f"{AGENT}:{session}", active))
    raise Malformed(f"unknown event {event}")


def reply(event: str, answer: Answer | None, why: str = "") -> str:
    if event == "PreToolUse":
        if answer is not None and answer.outcome == "present":
            return ""  # at the editor: VS Code's own approval rules decide
        if answer is not None and answer.outcome in ("allow", "deny"):
            decision, reason = answer.outcome, answer.reason()
        else:
            shown = (answer.detail if answer is not None else "") or why or "no answer"
            decision, reason = "ask", f"tgbridge: {shown}"
        output = {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        }
        return json.dumps({"hookSpecificOutput": output})
    if event == "Stop" and answer is not None and answer.continues:
        block = {"decision": "block", "reason": answer.text}
        return json.dumps({**block, "hookSpecificOutput": {"hookEventName": "Stop", **block}})
    return ""


def _edit_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "file_path": arguments.get("filePath") or arguments.get("file_path"),
        "old_string": arguments.get("oldString"),
        "new_string": arguments.get("newString"),
        "content": arguments.get("content"),
    }
