"""The agents' hook commands run as each agent runs them: the real `python -m tgbridge hook
<agent> <event>` process, the agent's documented JSON on stdin (tests/fixtures/hooks), a
hub started by a window logged in as the bot, and the loopback phone answering; the exit
code and stdout are checked against what the agent documents."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.telegram.harness import Sidecar, World, online_bot
from tests.telegram.test_agents import bot_messages, current_text, next_from_bot
from tests.telegram.test_cli import Cli, Done, wait_gone, window_with_session
from tests.telegram.test_cli import cli as cli  # the fixture: stops the hub a hook started
from tests.telegram.test_phone_security import buttons

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hooks"


def fixture(agent: str, name: str, **changes: Any) -> str:
    data = json.loads((FIXTURES / agent / f"{name}.json").read_text())
    data.update(changes)
    return json.dumps(data)


class Hooks:
    """Runs hook commands on the test's state dir, as an agent would."""

    def __init__(self, world: World, state: Path) -> None:
        self.cli = Cli(world, state)

    def start(self, agent: str, event: str, stdin: str, *args: str) -> asyncio.Task[Done]:
        return asyncio.create_task(self.cli.run("hook", agent, event, *args, stdin=stdin))

    async def run(self, agent: str, event: str, stdin: str, *args: str) -> Done:
        return await self.start(agent, event, stdin, *args)


async def away(world: World, sidecars: list[Sidecar], state: Path) -> Hooks:
    """A window online as the bot (its hub), and the owner away: asks go to the phone."""
    await online_bot(world, sidecars, state)
    world.server.phone(world.user).send(world.bot, "/away")
    await next_from_bot(world, 0)
    return Hooks(world, state)


def output(done: Done) -> Any:
    assert done.code == 0, done.stderr
    return json.loads(done.stdout)


async def test_a_command_is_allowed_from_the_phone_once_and_blocked_ones_are_denied_unasked(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    hooks = await away(world, sidecars, tmp_path / "state")
    phone = world.server.phone(world.user)
    count = len(bot_messages(world))
    running = hooks.start("claude", "PreToolUse", fixture("claude", "PreToolUse"))
    question = await next_from_bot(world, count)
    assert "claude in shop" in question.message and "npm test -- --runInBand" in question.message
    allow = buttons(question)["Allow"]
    assert (await phone.press(question, allow)).message == "✔ Allowed by Ann"
    assert output(await running) == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "allow",
            "permissionDecisionReason": "Allowed on the phone by Ann (tgbridge).",
        }
    }
    assert (await phone.press(question, allow)).message == "This button was already used."
    # The agent's same call asked again (a retried hook) gets the same answer, unasked.
    again = await hooks.run("claude", "PreToolUse", fixture("claude", "PreToolUse"))
    assert output(again)["hookSpecificOutput"]["permissionDecision"] == "allow"
    assert len(bot_messages(world)) == count + 1

    # An edit shows its diff on the phone; denied there, Claude Code is told so.
    running = hooks.start("claude", "PreToolUse", fixture("claude", "PreToolUse.edit"))
    question = await next_from_bot(world, count + 1)
    assert "+const TAX = 0.21;" in question.message
    await phone.press(question, buttons(question)["Deny"])
    denied = output(await running)["hookSpecificOutput"]
    assert (denied["permissionDecision"], denied["permissionDecisionReason"]) == (
        "deny",
        "Denied on the phone by Ann (tgbridge).",
    )

    # A blocked pattern is denied at once, without asking anyone (Cursor's shape).
    blocked = fixture("cursor", "beforeShellExecution", command="git push --force origin main")
    assert output(await hooks.run("cursor", "beforeShellExecution", blocked)) == {
        "permission": "deny",
        "user_message": "Blocked by tgbridge's rules.",
        "agent_message": "The user denied this from their phone: Blocked by tgbridge's rules.",
    }
    assert len(bot_messages(world)) == count + 2


async def test_without_an_answer_the_agents_own_prompt_decides(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    hooks = await away(world, sidecars, tmp_path / "state")
    phone = world.server.phone(world.user)
    count = len(bot_messages(world))
    claude, cursor = await asyncio.gather(
        hooks.run("claude", "PreToolUse", fixture("claude", "PreToolUse"), "--timeout", "2"),
        hooks.run(
            "cursor",
            "beforeShellExecution",
            fixture("cursor", "beforeShellExecution"),
            "--timeout=2",
        ),
    )
    assert (claude.code, claude.stdout) == (0, "")  # no decision: Claude Code's prompt shows
    assert "Nobody answered in time" in claude.stderr
    assert output(cursor) == {
        "permission": "ask",
        "user_message": "tgbridge: Nobody answered in time; the agent decides.",
    }
    stale = (await phone.wait_messages(count + 2, sender=world.bot))[count]
    await current_text(world, stale, "stopped waiting")
    late = await phone.press(stale, buttons(stale)["Allow"])  # (the loopback keeps buttons)
    assert late.message == "This request is no longer waiting."

    # At the editor (/back), the agent's own prompt decides at once: nothing reaches the phone.
    phone.send(world.bot, "/back")
    await next_from_bot(world, count + 2)
    count = len(bot_messages(world))
    present = await hooks.run("codex", "PermissionRequest", fixture("codex", "PermissionRequest"))
    assert (present.code, present.stdout, present.stderr) == (0, "", "")
    assert len(bot_messages(world)) == count


async def test_a_reply_on_the_phone_continues_a_stopped_agent(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    hooks = await away(world, sidecars, tmp_path / "state")
    phone = world.server.phone(world.user)
    session = tmp_path / "session.jsonl"
    said = {"type": "assistant", "uuid": "a9", "message": {"content": "Done; 48 tests pass."}}
    session.write_text(json.dumps(said) + "\n")
    stops = [
        ("claude", "Stop", fixture("claude", "Stop", transcript_path=str(session))),
        ("cursor", "stop", fixture("cursor", "stop")),
        ("codex", "Stop", fixture("codex", "Stop")),
    ]
    outputs, questions = [], []
    for n, (agent, event, stdin) in enumerate(stops):
        count = len(bot_messages(world))
        running = hooks.start(agent, event, stdin)
        question = await next_from_bot(world, count)
        assert f"{agent} in shop" in question.message
        assert "Reply to this message to continue" in question.message
        questions.append(question.message)  # (as asked: it is edited once answered)
        phone.reply(question, f"now update the changelog ({n})")
        outputs.append(output(await running))
    assert outputs == [
        {"decision": "block", "reason": "now update the changelog (0)"},
        {"followup_message": "now update the changelog (1)"},
        {"decision": "block", "reason": "now update the changelog (2)"},
    ]
    assert "Done; 48 tests pass." in questions[0]  # the transcript's last message
    assert "Want me to update the changelog too?" in questions[2]  # Codex sends its own

    # Without a reply the agent stops: no block, no follow-up.
    count = len(bot_messages(world))
    later = fixture("codex", "Stop", turn_id="5")
    cursor_later = fixture("cursor", "stop", generation_id="g-later")
    codex, cursor = await asyncio.gather(
        hooks.run("codex", "Stop", later, "--timeout", "2"),
        hooks.run("cursor", "stop", cursor_later, "--timeout", "2"),
    )
    assert (codex.code, codex.stdout) == (0, "")
    assert output(cursor) == {}
    for stale in (await phone.wait_messages(count + 2, sender=world.bot))[count:]:
        await current_text(world, stale, "stopped waiting")


async def test_two_agents_in_two_workspaces_each_get_their_own_answer(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    hooks = await away(world, sidecars, tmp_path / "state")
    phone = world.server.phone(world.user)
    count = len(bot_messages(world))
    cursor = hooks.start(
        "cursor",
        "beforeShellExecution",
        fixture(
            "cursor", "beforeShellExecution", workspace_roots=["/home/ann/one"], command="make one"
        ),
    )
    codex = hooks.start(
        "codex",
        "PermissionRequest",
        fixture(
            "codex", "PermissionRequest", cwd="/home/ann/two", tool_input={"command": "make two"}
        ),
    )
    first, second = (await phone.wait_messages(count + 2, sender=world.bot))[count:]
    by_workspace = {("one" if "in one" in m.message else "two"): m for m in (first, second)}
    assert "make two" in by_workspace["two"].message
    await phone.press(by_workspace["two"], buttons(by_workspace["two"])["Deny"])
    await phone.press(by_workspace["one"], buttons(by_workspace["one"])["Allow"])
    assert output(await cursor)["permission"] == "allow"
    assert output(await codex)["hookSpecificOutput"]["decision"] == {
        "behavior": "deny",
        "message": "Denied on the phone by Ann (tgbridge).",
    }


async def test_with_no_editor_open_a_hook_starts_the_hub_and_reaches_the_phone(
    world: World, sidecars: list[Sidecar], cli: Cli
) -> None:
    window = await window_with_session(world, sidecars, cli)  # `tgbridge login`, as it were
    phone = world.server.phone(world.user)
    phone.send(world.bot, "/away")
    await next_from_bot(world, 0)
    first_hub = (await window.request("tgbridge/status", {}))["hubPid"]
    await window.stop()  # the last window: its hub (lingering 0 minutes) ends
    assert await wait_gone(first_hub)
    count = len(bot_messages(world))
    hooks = Hooks(world, cli.state_dir)
    # The hub outlives the hook long enough to answer the press (the fixture stops it).
    hooks.cli.env["TGBRIDGE_HUB_LINGER_MINUTES"] = "1"
    running = hooks.start(
        "cursor", "beforeShellExecution", fixture("cursor", "beforeShellExecution")
    )
    # The hook started a hub, which it connected with the command line's session.
    question = (await phone.wait_messages(count + 1, sender=world.bot, within=30))[count]
    assert "npm test -- --runInBand" in question.message
    await phone.press(question, buttons(question)["Allow"])
    assert output(await running)["permission"] == "allow"
