"""Agents waiting for a human, through the hub and the loopback phone: the owner's rules
first, the phone when away, answers that cannot be replayed, and hand-back to the agent's
own prompt when nobody answers."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from telethon.tl import types

from tests.telegram.harness import Sidecar, World, allow, online_bot
from tests.telegram.test_hub import hub_control
from tests.telegram.test_phone_security import buttons


def bot_messages(world: World) -> list[types.Message]:
    return world.server.phone(world.user).received(world.bot)


async def next_from_bot(world: World, after: int) -> types.Message:
    phone = world.server.phone(world.user)
    return (await phone.wait_messages(after + 1, sender=world.bot))[after]


async def current_text(world: World, message: types.Message, fragment: str) -> str:
    account = world.server.phone(world.user).account

    def edited() -> str | None:
        text: str = account.messages[message.id].message
        return text if fragment in text else None

    return await world.server.wait_until(edited, within=30)


def ask(key: str, **fields: Any) -> dict[str, Any]:
    return {"key": key, "agent": "claude", "kind": "approval", "title": "Run a command", **fields}


async def test_away_approvals_come_to_the_phone_once_and_rules_come_first(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    await online_bot(world, sidecars, state)
    phone = world.server.phone(world.user)
    async with hub_control(state) as hub:
        # At the editor: the agent's own prompt decides.
        present = await hub.request("agent/ask", ask("k0", command="npm test"))
        assert present["outcome"] == "present"
        # A blocked command is denied at once, away or not, without asking anyone.
        count = len(bot_messages(world))
        blocked = await hub.request("agent/ask", ask("k1", command="rm -rf / --no-preserve-root"))
        assert blocked["outcome"] == "deny" and "Blocked" in blocked["detail"]
        blocked = await hub.request("agent/ask", ask("k2", command="git push --force origin main"))
        assert blocked["outcome"] == "deny"

        phone.send(world.bot, "/away")
        await next_from_bot(world, count)
        count = len(bot_messages(world))
        asking = asyncio.create_task(
            hub.request("agent/ask", ask("k3", command="npm test", workspace="shop"))
        )
        question = await next_from_bot(world, count)
        assert "claude in shop" in question.message and "npm test" in question.message
        allow = buttons(question)["Allow"]
        answer = await phone.press(question, allow)
        assert answer.message == "✔ Allowed by Ann"
        decided = await asking
        assert (decided["outcome"], decided["by"]) == ("allow", "Ann")
        await current_text(world, question, "Allowed by Ann")
        again = await phone.press(question, allow)
        assert again.message == "This button was already used."
        # The same agent call asked again (a retried hook) gets the same answer, unasked.
        retried = await hub.request("agent/ask", ask("k3", command="npm test", workspace="shop"))
        assert retried["outcome"] == "allow" and len(bot_messages(world)) == count + 1

        # "Always allow this command": the next time it is allowed without asking.
        asking = asyncio.create_task(hub.request("agent/ask", ask("k4", command="make lint")))
        question = await next_from_bot(world, count + 1)
        await phone.press(question, buttons(question)["Always allow this command"])
        assert (await asking)["outcome"] == "allow"
        later = await hub.request("agent/ask", ask("k5", command="make lint"))
        assert later["outcome"] == "allow" and "rules" in later["detail"]


async def test_no_answer_hands_back_and_long_waits_resume(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    await online_bot(world, sidecars, state)
    phone = world.server.phone(world.user)
    phone.send(world.bot, "/away")
    await next_from_bot(world, 0)
    async with hub_control(state) as hub:
        count = len(bot_messages(world))
        timed_out = await hub.request("agent/ask", ask("t1", command="pytest", timeoutSeconds=2))
        assert timed_out["outcome"] == "timeout"
        stale = await next_from_bot(world, count)
        await current_text(world, stale, "stopped waiting")

        # A client that cannot block long gets "pending", then the answer by id.
        pending = await hub.request(
            "agent/ask", ask("t2", command="pytest -x", waitSeconds=0.5, timeoutSeconds=120)
        )
        assert pending["outcome"] == "pending"
        question = await next_from_bot(world, count + 1)
        waiting = asyncio.create_task(
            hub.request("agent/wait", {"id": pending["id"], "waitSeconds": 30})
        )
        await phone.press(question, buttons(question)["Deny"])
        assert (await waiting)["outcome"] == "deny"


async def test_a_reply_continues_a_stopped_agent_and_two_agents_get_their_own_answers(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    await online_bot(world, sidecars, state)
    phone = world.server.phone(world.user)
    phone.send(world.bot, "/away")
    await next_from_bot(world, 0)
    async with hub_control(state) as hub:
        count = len(bot_messages(world))
        stopped = asyncio.create_task(
            hub.request(
                "agent/ask",
                {
                    "key": "s1",
                    "agent": "codex",
                    "kind": "continue",
                    "title": "Finished the refactor",
                    "details": "All tests pass.",
                },
            )
        )
        question = await next_from_bot(world, count)
        assert "Reply to this message to continue" in question.message
        phone.reply(question, "now update the changelog")
        answer = await stopped
        assert (answer["outcome"], answer["text"]) == ("answer", "now update the changelog")

        count = len(bot_messages(world))
        one = asyncio.create_task(
            hub.request("agent/ask", ask("a1", command="make one", workspace="one"))
        )
        two = asyncio.create_task(
            hub.request("agent/ask", ask("a2", command="make two", workspace="two"))
        )
        first, second = (await phone.wait_messages(count + 2, sender=world.bot))[count:]
        by_workspace = {("one" if "in one" in m.message else "two"): m for m in (first, second)}
        await phone.press(by_workspace["two"], buttons(by_workspace["two"])["Deny"])
        await phone.press(by_workspace["one"], buttons(by_workspace["one"])["Allow"])
        assert (await one)["outcome"] == "allow"
        assert (await two)["outcome"] == "deny"


async def test_the_editor_may_answer_first_and_the_phone_can_open_the_agent_chat(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    window = await online_bot(world, sidecars, state)
    phone = world.server.phone(world.user)
    phone.send(world.bot, "/away")
    await next_from_bot(world, 0)
    async with hub_control(state) as hub:
        count = len(bot_messages(world))
        asking = asyncio.create_task(hub.request("agent/ask", ask("e1", command="make deploy")))
        asked = await window.wait_for(lambda: window.of("tgbridge/agentAsked") or None)
        assert asked[0]["command"] == "make deploy"
        question = await next_from_bot(world, count)
        answered = await window.request(
            "tgbridge/answerAgent", {"id": asked[0]["id"], "choice": "deny"}
        )
        assert (answered["outcome"], answered["by"]) == ("deny", "the editor")
        assert (await asking)["outcome"] == "deny"
        late = await phone.press(question, buttons(question)["Allow"])
        assert late.message == "This request is no longer waiting."
        await current_text(world, question, "Denied by the editor")
        again = await window.request(
            "tgbridge/answerAgent", {"id": asked[0]["id"], "choice": "allow"}
        )
        assert again["outcome"] == "timeout" and "Already answered" in again["detail"]

    phone.send(world.bot, "/chat fix the failing test")
    opened = await window.wait_for(lambda: window.of("tgbridge/openAgentChat") or None)
    assert opened == [{"query": "fix the failing test"}]


async def test_the_file_exchange_turns_files_into_messages_and_questions(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    await online_bot(world, sidecars, state)
    phone = world.server.phone(world.user)
    inbox, outbox = state / "exchange" / "inbox", state / "exchange" / "outbox"
    await world.server.wait_until(lambda: inbox.is_dir() or None)

    def drop(name: str, content: str, *, age: float = 0) -> None:
        partial = inbox / (name + ".partial")
        partial.write_text(content)
        if age:
            os.utime(partial, (time.time() - age, time.time() - age))
        partial.rename(inbox / name)

    drop(
        "note.json", json.dumps({"type": "notify", "text": "nightly build finished", "agent": "ci"})
    )
    note = await next_from_bot(world, 0)
    assert "ci" in note.message and "nightly build finished" in note.message

    drop(
        "q.json",
        json.dumps(
            {"type": "ask", "id": "ship-1", "question": "Ship it?", "options": ["yes", "no"]}
        ),
    )
    question = await next_from_bot(world, 1)
    assert "Ship it?" in question.message
    await phone.press(question, buttons(question)["yes"])
    answer_file = outbox / "ship-1.json"
    answer = await world.server.wait_until(
        lambda: json.loads(answer_file.read_text()) if answer_file.exists() else None
    )
    assert (answer["outcome"], answer["text"], answer["by"]) == ("answer", "yes", "Ann")

    drop("broken.json", "{oops", age=60)
    drop("wrong.json", json.dumps({"type": "launch", "text": "x"}))
    rejected = inbox / "rejected"
    await world.server.wait_until(
        lambda: sum("was set aside" in m.message for m in bot_messages(world)) == 2 or None
    )
    reasons = sorted(p.name for p in rejected.glob("*.reason.txt"))
    assert reasons == ["broken.json.reason.txt", "wrong.json.reason.txt"]
    assert "type must be" in (rejected / "wrong.json.reason.txt").read_text()
    assert (rejected / "broken.json").read_text() == "{oops"  # kept, not lost


async def test_a_long_diff_comes_as_a_document_with_a_summary(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    await online_bot(world, sidecars, state)
    phone = world.server.phone(world.user)
    phone.send(world.bot, "/away")
    await next_from_bot(world, 0)
    diff = "--- a/app.py\n+++ b/app.py\n@@ -1,0 +1,400 @@\n" + "".join(
        f"+line {n}\n" for n in range(400)
    )
    async with hub_control(state) as hub:
        asking = asyncio.create_task(
            hub.request("agent/ask", ask("d1", command="Edit(app.py)", details=diff))
        )
        document, question = (await phone.wait_messages(3, sender=world.bot))[1:3]
        assert phone.file_of(document).decode() == diff
        assert "1 file(s), +400 -0" in question.message
        await phone.press(question, buttons(question)["Deny"])
        assert (await asking)["outcome"] == "deny"


async def test_every_paired_phone_sees_the_ask_but_a_viewer_cannot_answer(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    bob = world.server.world.add_user("Bob", phone="+15550000002", username="bob")
    allow(state, bob, "viewer")
    await online_bot(world, sidecars, state)
    owner, viewer = world.server.phone(world.user), world.server.phone(bob)
    owner.send(world.bot, "/away")
    await next_from_bot(world, 0)
    async with hub_control(state) as hub:
        asking = asyncio.create_task(hub.request("agent/ask", ask("v1", command="make release")))
        [seen] = await viewer.wait_messages(1, sender=world.bot)
        question = await next_from_bot(world, 1)
        refused = await viewer.press(seen, buttons(seen)["Allow"])
        assert refused.message == "This needs the collaborator role."
        assert not asking.done()
        await owner.press(question, buttons(question)["Deny"])
        assert (await asking)["outcome"] == "deny"
        await world.server.wait_until(
            lambda: "Denied by Ann" in bob.messages[seen.id].message or None
        )
