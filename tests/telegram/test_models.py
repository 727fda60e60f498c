"""Language models from the phone, through the hub, the loopback Telegram server and a
loopback model server speaking OpenAI's and Anthropic's wire formats: a failing provider
hands over to the next and the phone sees one message, edited; no file under a deny glob
reaches any request; /commit is the owner's, and commits only what the message is for."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telethon.tl import types

from tests.llm_server import LlmServer
from tests.llm_server.faults import malformed
from tests.telegram.harness import Sidecar, World, allow, online_bot
from tests.telegram.repo import SECRET, git, make_repo
from tests.telegram.test_phone_security import buttons

ANTHROPIC_ANSWER = "src/app.py prints a greeting; main() returns it."
COMMIT_TEXT = "```\nfeat: add the new module\n\nIt holds the NEW flag.\n```"


@pytest.fixture
async def llm() -> AsyncIterator[LlmServer]:
    async with LlmServer() as server:
        yield server


def providers(llm: LlmServer) -> dict[str, Any]:
    return {
        "providers": [
            {"name": "openai", "kind": "openai", "model": "gpt-test", "baseUrl": llm.url + "/v1"},
            {"name": "anthropic", "kind": "anthropic", "model": "claude-test", "baseUrl": llm.url},
        ]
    }


def from_bot(world: World, after: int = 0) -> list[types.Message]:
    return world.server.phone(world.user).received(world.bot)[after:]


async def settled(world: World, message_id: int, fragment: str) -> str:
    """The bot's message `message_id` once an edit made it contain `fragment`."""
    phone = world.server.phone(world.user)

    def current() -> str | None:
        text: str = phone.account.messages[message_id].message
        return text if fragment in text else None

    return await world.server.wait_until(current, within=40)


def bodies(llm: LlmServer) -> str:
    return "\n".join(json.dumps(request.body) for request in llm.requests)


async def test_ask_hands_over_to_the_next_model_in_one_edited_message_and_sends_no_secret(
    world: World, sidecars: list[Sidecar], tmp_path: Path, llm: LlmServer
) -> None:
    repo = make_repo(tmp_path / "ws")
    sidecar = await online_bot(
        world, sidecars, tmp_path / "state", workspace=repo, llm=providers(llm)
    )
    await sidecar.request("tgbridge/llmKeys", {"keys": {"anthropic": "sk-ant-from-secrets"}})
    llm.texts["openai"] = "The first model starts to say something and then"
    llm.texts["anthropic"] = ANTHROPIC_ANSWER
    llm.fail_next("openai", malformed(after_chunks=2))
    phone = world.server.phone(world.user)
    before = len(from_bot(world))

    phone.send(world.bot, "/ask what does src/app.py do? Also read .env and certs/server.pem")
    first = (await phone.wait_messages(before + 1, sender=world.bot))[before]
    final = await settled(world, first.id, "anthropic (claude-test)")

    assert ANTHROPIC_ANSWER in final
    assert "The first model" not in final  # the failed model's words were replaced
    # The editor's history (the Chat view) holds the answer, not the placeholder.
    page = await sidecar.request("tgbridge/history", {"chatId": world.user.id, "limit": 5})
    kept = next(m for m in page["messages"] if m["messageId"] == first.id)
    assert ANTHROPIC_ANSWER in kept["text"] and kept["edited"]
    assert len(from_bot(world, before)) == 1, "one message, edited: never a second answer"
    assert [request.wire for request in llm.requests] == ["openai", "anthropic"]
    anthropic = llm.calls("anthropic")[0]
    assert "sk-ant-from-secrets" in anthropic.headers.get("x-api-key", "") + anthropic.headers.get(
        "authorization", ""
    )
    sent = bodies(llm)
    assert "hello, phone" in sent  # the diff and the file named went as context
    assert SECRET not in sent

    # "What was sent" lists the context, and what was left out and why.
    message = phone.account.messages[first.id]
    await phone.press(message, buttons(message)["What was sent"])
    report = await world.server.wait_until(
        lambda: next(
            (m for m in from_bot(world, before + 1) if "What was sent" in m.message), None
        ),
        within=20,
    )
    assert "src/app.py" in report.message
    assert ".env" in report.message.split("Not sent", 1)[1]


async def test_commit_is_the_owners_and_commits_only_the_changes_it_describes(
    world: World, sidecars: list[Sidecar], tmp_path: Path, llm: LlmServer
) -> None:
    repo = make_repo(tmp_path / "ws")
    state = tmp_path / "state"
    helpers = {
        role: world.server.world.add_user(role.title(), phone=f"+1555000010{n}", username=role)
        for n, role in enumerate(("collaborator", "viewer"))
    }
    for role, account in helpers.items():
        allow(state, account, role)  # type: ignore[arg-type]
    sidecar = await online_bot(world, sidecars, state, workspace=repo, llm=providers(llm))
    llm.text = COMMIT_TEXT
    git(repo, "add", ".env")  # a staged secret: never sent to the model

    for role, account in helpers.items():
        theirs = world.server.phone(account)
        theirs.send(world.bot, "/commit")
        refusal = await theirs.next_message(sender=world.bot, within=20)
        assert refusal.message == f"/commit needs the owner role; you are a {role}."
    assert llm.requests == []

    phone = world.server.phone(world.user)
    before = len(from_bot(world))
    phone.send(world.bot, "/commit")
    offer = (await phone.wait_messages(before + 1, sender=world.bot))[before]
    text = await settled(world, offer.id, "feat: add the new module")
    assert "```" not in text
    assert SECRET not in bodies(llm)
    assert "NEW = True" in bodies(llm)

    # The staged changes moved on after the message was written: Commit refuses.
    git(repo, "add", "notes.txt")
    message = phone.account.messages[offer.id]
    answer = await phone.press(message, buttons(message)["Commit"])
    assert answer.message == "Changed: not committed."
    assert git(repo, "log", "-1", "--format=%s").strip() == "first commit"

    git(repo, "reset", "-q", "notes.txt", ".env")
    phone.send(world.bot, "/commit")
    count = len(from_bot(world))
    offer = (await phone.wait_messages(count + 1, sender=world.bot))[count]
    await settled(world, offer.id, "feat: add the new module")
    message = phone.account.messages[offer.id]
    answer = await phone.press(message, buttons(message)["Commit"])
    assert answer.message == "Committed."
    assert git(repo, "log", "-1", "--format=%B").strip() == (
        "feat: add the new module\n\nIt holds the NEW flag."
    )
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["src/new.py"]

    # The editor's Source Control view asks the same models for its commit box.
    (repo / "src/util.py").write_text("VALUE = 2\n")
    git(repo, "add", "src/util.py")
    result = await sidecar.request("tgbridge/commitMessage", {"folder": repo.as_uri()})
    assert result["message"] == "feat: add the new module\n\nIt holds the NEW flag."
    assert result["provider"] == "openai"


async def test_explain_and_review_read_through_the_path_guard_and_say_what_went_wrong(
    world: World, sidecars: list[Sidecar], tmp_path: Path, llm: LlmServer
) -> None:
    repo = make_repo(tmp_path / "ws")
    only_openai = {"providers": providers(llm)["providers"][:1]}
    await online_bot(world, sidecars, tmp_path / "state", workspace=repo, llm=only_openai)
    phone = world.server.phone(world.user)

    phone.send(world.bot, "/explain .env")
    refused = await phone.next_message(sender=world.bot, within=20)
    assert refused.message.startswith("Cannot explain that file:")
    phone.send(world.bot, "/review keys/api.key")
    refused = await phone.next_message(sender=world.bot, within=20)
    assert refused.message.startswith("Cannot review keys/api.key:")
    assert llm.requests == []

    llm.text = "Line 2 returns the greeting."
    count = len(from_bot(world))
    phone.send(world.bot, "/explain src/app.py:1-2")
    answer = (await phone.wait_messages(count + 1, sender=world.bot))[count]
    final = await settled(world, answer.id, "openai (gpt-test)")
    assert final.startswith("Line 2 returns the greeting.")
    assert "return 'hello, phone'" in bodies(llm)
    assert "print(main())" not in bodies(llm)  # only the lines asked for

    # A refused key is said as such, in the same message, with what to do.
    from tests.llm_server.faults import key_refused

    llm.fail_next("openai", key_refused())
    count = len(from_bot(world))
    phone.send(world.bot, "/review")
    answer = (await phone.wait_messages(count + 1, sender=world.bot))[count]
    final = await settled(world, answer.id, "refused the API key")
    assert "Set Language Model Key" in final
    assert SECRET not in bodies(llm)
