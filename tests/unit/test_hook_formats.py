"""Each agent's documented hook input becomes the hub request it should be, and the hub's
answer becomes the agent's documented output; malformed input is refused (the command
line then answers "no decision"). Pure: no hub, no processes."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tgbridge.hooks import calls, claude, codex, cursor, loops, transcript, vscode
from tgbridge.hooks.calls import Answer, Ask, Loop, Malformed, Note, Nothing

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hooks"
MODULES: dict[str, ModuleType] = {
    "claude": claude,
    "cursor": cursor,
    "codex": codex,
    "vscode": vscode,
}


def fixture(agent: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / agent / f"{name}.json").read_text())
    return data


def asked(agent: str, event: str, data: Any) -> Ask:
    plan = MODULES[agent].plan(event, data)
    assert isinstance(plan, Ask), plan
    return plan


ALLOW = Answer("allow", by="Ann")
DENY = Answer("deny", by="Ann", detail="Blocked by tgbridge's rules.")
REPLY = Answer("answer", text="now update the changelog", by="Ann")
NO_ANSWERS = [
    None,
    Answer("present", detail="The owner is at the editor."),
    Answer("timeout", detail="Nobody answered in time; the agent decides."),
    Answer("pending"),
    Answer("not_paired", detail="No phone is paired (tgbridge: Pair Phone)."),
]


def test_every_fixture_is_one_of_its_agents_events() -> None:
    for folder in FIXTURES.iterdir():
        if folder.is_dir():
            module = MODULES[folder.name]
            for path in folder.glob("*.json"):
                assert path.name.split(".")[0] in module.EVENTS, path


# ---- Claude Code -----------------------------------------------------------------------


def test_claude_bash_is_an_approval_bound_to_the_tool_call() -> None:
    ask = asked("claude", "PreToolUse", fixture("claude", "PreToolUse"))
    params = ask.params
    assert params["key"] == (
        "claude:5f2b9c1e-7a4d-4e8b-9c3a-1d2e3f4a5b6c:toolu_01HkQf3xT9mB2cV7nR4sW8yZ"
    )
    assert params["agent"] == "claude" and params["kind"] == "approval"
    assert params["command"] == "npm test -- --runInBand"
    assert params["details"] == "Run the test suite"
    assert params["workspace"] == "shop" and params["onlyIfAway"] is True
    assert ask.loop is None


def test_claude_without_a_tool_use_id_keys_by_the_input() -> None:
    data = fixture("claude", "PreToolUse")
    del data["tool_use_id"]
    first = asked("claude", "PreToolUse", data).params["key"]
    assert first == asked("claude", "PreToolUse", data).params["key"]
    data["tool_input"]["command"] = "npm test"
    assert asked("claude", "PreToolUse", data).params["key"] != first


def test_claude_edit_shows_a_diff_and_names_the_file() -> None:
    params = asked("claude", "PreToolUse", fixture("claude", "PreToolUse.edit")).params
    assert params["command"] == 'Edit({"file_path": "/home/ann/shop/src/cart.js"})'
    assert params["title"] == "Edit cart.js"
    details = params["details"]
    assert details.startswith("diff a/home/ann/shop/src/cart.js")
    assert "-const TAX = 0.2;" in details and "+const TAX = 0.21;" in details


def test_claude_multi_edit_and_write_diffs() -> None:
    data = fixture("claude", "PreToolUse.edit")
    data["tool_name"] = "MultiEdit"
    data["tool_input"] = {
        "file_path": "/w/a.py",
        "edits": [
            {"old_string": "x = 1", "new_string": "x = 2"},
            {"old_string": "y", "new_string": "z"},
        ],
    }
    details = asked("claude", "PreToolUse", data).params["details"]
    assert "+x = 2" in details and "+z" in details
    data["tool_name"] = "Write"
    data["tool_input"] = {"file_path": "/w/new.txt", "content": "hello\nworld\n"}
    details = asked("claude", "PreToolUse", data).params["details"]
    assert "+hello" in details and "+world" in details


def test_claude_other_tools_are_shown_as_a_call() -> None:
    data = fixture("claude", "PreToolUse")
    data["tool_name"] = "mcp__github__create_issue"
    data["tool_input"] = {"title": "x" * 5000}
    command = asked("claude", "PreToolUse", data).params["command"]
    assert command.startswith('mcp__github__create_issue({"title": "xxx')
    assert len(command) == calls.COMMAND_LIMIT and command.endswith("…")


def test_claude_read_only_tools_and_bypass_mode_ask_nobody() -> None:
    data = fixture("claude", "PreToolUse")
    data["tool_name"], data["tool_input"] = "Read", {"file_path": "/w/a.py"}
    assert isinstance(claude.plan("PreToolUse", data), Nothing)
    data = fixture("claude", "PreToolUse")
    data["permission_mode"] = "bypassPermissions"
    assert isinstance(claude.plan("PreToolUse", data), Nothing)
    data = fixture("claude", "PreToolUse.edit")
    data["permission_mode"] = "acceptEdits"
    assert isinstance(claude.plan("PreToolUse", data), Nothing)


def test_claude_pre_tool_use_output() -> None:
    assert json.loads(claude.reply("PreToolUse", ALLOW)) == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "allow",
            "permissionDecisionReason": "Allowed on the phone by Ann (tgbridge).",
        }
    }
    assert json.loads(claude.reply("PreToolUse", DENY)) == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": "Blocked by tgbridge's rules.",
        }
    }
    for answer in NO_ANSWERS:  # no decision: Claude Code's own prompt (never "ask")
        assert claude.reply("PreToolUse", answer, "why") == ""


def test_claude_notification_is_a_note() -> None:
    note = claude.plan("Notification", fixture("claude", "Notification"))
    assert note == Note("claude", "Claude needs your permission to use Bash", "shop")
    assert claude.reply("Notification", None) == ""


def test_claude_stop_reads_the_last_message_from_the_transcript(tmp_path: Path) -> None:
    lines = [
        {"type": "user", "uuid": "u1", "message": {"role": "user", "content": "fix it"}},
        {
            "type": "assistant",
            "uuid": "a1",
            "message": {"role": "assistant", "content": [{"type": "text", "text": "Fixed."}]},
        },
        {
            "type": "assistant",
            "uuid": "a2",
            "message": {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "t", "name": "Bash", "input": {}},
                    {"type": "text", "text": "All tests pass. Anything else?"},
                ],
            },
        },
        {"type": "system", "uuid": "s1", "content": "hook ran"},
    ]
    path = tmp_path / "session.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    data = fixture("claude", "Stop")
    data["transcript_path"] = str(path)
    ask = asked("claude", "Stop", data)
    assert ask.params["kind"] == "continue" and ask.params["onlyIfAway"] is True
    assert ask.params["details"] == "All tests pass. Anything else?"
    assert ":stop:a2:" in ask.params["key"]
    assert ask.loop == Loop("claude:5f2b9c1e-7a4d-4e8b-9c3a-1d2e3f4a5b6c", False)
    # Newer Claude Code sends the message itself.
    data["last_assistant_message"] = "Done; shall I release?"
    assert asked("claude", "Stop", data).params["details"] == "Done; shall I release?"


def test_claude_stop_output() -> None:
    assert json.loads(claude.reply("Stop", REPLY)) == {
        "decision": "block",
        "reason": "now update the changelog",
    }
    for answer in [*NO_ANSWERS, Answer("answer", text="  ")]:
        assert claude.reply("Stop", answer) == ""


def test_transcript_tail_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    old = {"type": "assistant", "uuid": "old", "message": {"content": "old news"}}
    filler = {"type": "user", "message": {"content": "x" * 1000}}
    with path.open("w") as file:
        file.write(json.dumps(old) + "\n")
        for _ in range(200):
            file.write(json.dumps(filler) + "\n")
    assert transcript.last_assistant(str(path)) == ("", "")  # beyond the last 64 KB
    assert transcript.last_assistant(str(tmp_path / "missing.jsonl")) == ("", "")


# ---- Cursor --------------------------------------------------------------------------------


def test_cursor_shell_command_is_an_approval() -> None:
    params = asked(
        "cursor", "beforeShellExecution", fixture("cursor", "beforeShellExecution")
    ).params
    assert params["key"].startswith("cursor:c91e4b07-3f2a-4d6e-8b15-7a9d0e2c4f68:")
    assert params["command"] == "npm test -- --runInBand"
    assert params["workspace"] == "shop" and params["kind"] == "approval"


def test_cursor_mcp_call_is_an_approval() -> None:
    params = asked("cursor", "beforeMCPExecution", fixture("cursor", "beforeMCPExecution")).params
    assert params["command"] == 'query({"sql": "SELECT count(*) FROM orders"})'
    assert params["title"] == "Use the MCP tool query"
    assert "server-postgres" in params["details"]


def test_cursor_permission_output_never_allows_without_an_answer() -> None:
    for event in cursor.PERMISSIONS:
        assert json.loads(cursor.reply(event, ALLOW)) == {
            "permission": "allow",
            "user_message": "Allowed on the phone by Ann (tgbridge).",
            "agent_message": "Allowed on the phone by Ann (tgbridge).",
        }
        denied = json.loads(cursor.reply(event, DENY))
        assert denied["permission"] == "deny" and "denied" in denied["agent_message"]
        for answer in NO_ANSWERS:
            output = json.loads(cursor.reply(event, answer, "no tgbridge hub: gone"))
            assert output["permission"] == "ask", output
            assert output["user_message"].startswith("tgbridge: ")


def test_cursor_response_is_a_note_and_stop_asks_to_continue() -> None:
    note = cursor.plan("afterAgentResponse", fixture("cursor", "afterAgentResponse"))
    assert note == Note("cursor", "The cart now rounds tax per line; all 48 tests pass.", "shop")
    assert cursor.reply("afterAgentResponse", None) == "{}"
    ask = asked("cursor", "stop", fixture("cursor", "stop"))
    assert ask.params["kind"] == "continue" and ask.params["key"].endswith(":stop:0")
    assert json.loads(cursor.reply("stop", REPLY)) == {
        "followup_message": "now update the changelog"
    }
    for answer in NO_ANSWERS:
        assert cursor.reply("stop", answer) == "{}"
    aborted = {**fixture("cursor", "stop"), "status": "aborted"}
    assert isinstance(cursor.plan("stop", aborted), Nothing)
    errored = {**fixture("cursor", "stop"), "status": "error", "loop_count": 2}
    assert asked("cursor", "stop", errored).params["title"] == "Stopped with an error"


# ---- Codex -------------------------------------------------------------------------------


def test_codex_permission_request() -> None:
    params = asked("codex", "PermissionRequest", fixture("codex", "PermissionRequest")).params
    assert params["key"].startswith("codex:019a4c2e-7b3d-7f10-9a8e-5c6d4b2a1f03:3:")
    assert params["command"] == "npm install left-pad"
    assert params["details"] == "Install the missing dependency (needs network access)"
    assert json.loads(codex.reply("PermissionRequest", ALLOW)) == {
        "hookSpecificOutput": {
            "hookEventName": "PermissionRequest",
            "decision": {"behavior": "allow"},
        }
    }
    assert json.loads(codex.reply("PermissionRequest", DENY)) == {
        "hookSpecificOutput": {
            "hookEventName": "PermissionRequest",
            "decision": {"behavior": "deny", "message": "Blocked by tgbridge's rules."},
        }
    }
    for answer in NO_ANSWERS:  # no verdict: Codex's approval prompt follows
        assert codex.reply("PermissionRequest", answer) == ""


def test_codex_stop_and_notify() -> None:
    ask = asked("codex", "Stop", fixture("codex", "Stop"))
    assert ask.params["details"].startswith("Refactored the cart module")
    assert ask.params["key"].startswith("codex:019a4c2e-7b3d-7f10-9a8e-5c6d4b2a1f03:4:stop:")
    assert ask.loop == Loop("codex:019a4c2e-7b3d-7f10-9a8e-5c6d4b2a1f03", False)
    assert json.loads(codex.reply("Stop", REPLY)) == {
        "decision": "block",
        "reason": "now update the changelog",
    }
    assert codex.reply("Stop", None) == ""
    note = codex.plan("notify", fixture("codex", "notify"))
    assert note == Note("codex", "Refactored the cart module; the tests pass.", "shop")
    assert isinstance(codex.plan("notify", {"type": "approval-requested"}), Nothing)


# ---- VS Code -----------------------------------------------------------------------------


def test_vscode_pre_tool_use() -> None:
    params = asked("vscode", "PreToolUse", fixture("vscode", "PreToolUse")).params
    assert params["key"] == "vscode:b6e1f2a4-93c7-4d58-a0e6-2f7b8c9d1e34:call_Xb4kR2mN8pQ5sT7v"
    assert params["command"] == "npm test -- --runInBand"
    assert json.loads(vscode.reply("PreToolUse", ALLOW))["hookSpecificOutput"] == {
        "hookEventName": "PreToolUse",
        "permissionDecision": "allow",
        "permissionDecisionReason": "Allowed on the phone by Ann (tgbridge).",
    }
    assert vscode.reply("PreToolUse", NO_ANSWERS[1]) == ""  # at the editor: VS Code's rules
    for answer in [None, *NO_ANSWERS[2:]]:
        output = json.loads(vscode.reply("PreToolUse", answer, "why"))
        assert output["hookSpecificOutput"]["permissionDecision"] == "ask"
    edit = {
        **fixture("vscode", "PreToolUse"),
        "tool_name": "replace_string_in_file",
        "tool_input": {"filePath": "/w/a.ts", "oldString": "let a = 1", "newString": "let a = 2"},
    }
    params = asked("vscode", "PreToolUse", edit).params
    assert params["title"] == "Edit a.ts" and "+let a = 2" in params["details"]
    read = {**fixture("vscode", "PreToolUse"), "tool_name": "read_file", "tool_input": {}}
    assert isinstance(vscode.plan("PreToolUse", read), Nothing)


def test_vscode_stop() -> None:
    ask = asked("vscode", "Stop", fixture("vscode", "Stop"))
    assert ask.params["kind"] == "continue"
    assert ask.loop == Loop("vscode:b6e1f2a4-93c7-4d58-a0e6-2f7b8c9d1e34", False)
    output = json.loads(vscode.reply("Stop", REPLY))
    assert output["decision"] == "block" and output["reason"] == "now update the changelog"
    assert output["hookSpecificOutput"] == {
        "hookEventName": "Stop",
        "decision": "block",
        "reason": "now update the changelog",
    }
    assert vscode.reply("Stop", None) == ""


# ---- malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "event", "data"),
    [
        ("claude", "PreToolUse", []),
        ("claude", "PreToolUse", {"session_id": "s"}),
        ("claude", "PreToolUse", {"session_id": "s", "tool_name": "Bash", "tool_input": "ls"}),
        ("claude", "PreToolUse", {"session_id": "s", "tool_name": "Bash", "tool_input": {}}),
        ("claude", "Stop", {"session_id": "s", "stop_hook_active": "yes"}),
        ("claude", "Notification", {"session_id": "s"}),
        ("cursor", "beforeShellExecution", {"generation_id": "g", "command": 3}),
        ("cursor", "beforeMCPExecution", {"generation_id": "g"}),
        ("cursor", "stop", {"conversation_id": "c"}),
        ("codex", "PermissionRequest", {"session_id": "s", "tool_name": "Bash"}),
        ("codex", "Stop", {"session_id": "s", "stop_hook_active": 1}),
        ("vscode", "PreToolUse", {"sessionId": "s", "tool_input": {}}),
        ("vscode", "Stop", "stop"),
    ],
)
def test_malformed_input_is_refused(agent: str, event: str, data: Any) -> None:
    with pytest.raises(Malformed):
        MODULES[agent].plan(event, data)


# ---- the loop bound --------------------------------------------------------------------------


def test_continues_in_a_row_are_bounded(tmp_path: Path) -> None:
    state = str(tmp_path)
    first, again = Loop("claude:s1", False), Loop("claude:s1", True)
    assert loops.may_continue(state, first)
    loops.record(state, first, continued=True)
    for _ in range(loops.MAX_CONTINUES - 1):
        assert loops.may_continue(state, again)
        loops.record(state, again, continued=True)
    assert not loops.may_continue(state, again)  # the phone continued it 3 times in a row
    assert loops.may_continue(state, Loop("claude:other", True))  # another session
    assert loops.may_continue(state, first)  # the user started a new chain
    assert loops.may_continue(state, again)
    loops.record(state, again, continued=False)  # it stopped: the chain ended
    assert loops.may_continue(state, again)
