"""`tgbridge mcp` driven by the MCP SDK's own client (`stdio_client` + `ClientSession`), as
a coding agent drives it: a real server process talking to the hub of a window logged in
to the loopback Telegram server, answered from the loopback phone."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientRequestContext, ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, ListRootsResult, Root, TextContent
from telethon.tl import types

from tests.telegram import test_cli
from tests.telegram.harness import Sidecar, World, online_bot
from tests.telegram.test_agents import bot_messages, current_text, next_from_bot
from tests.telegram.test_cli import Cli, wait_gone, window_with_session
from tests.telegram.test_phone_security import buttons
from tests.telegram_server import DC_ID

cli = test_cli.cli  # the fixture: the command line's state dir, its hub stopped at the end
TOOLS = {"notify", "ask", "request_approval", "send_file", "wait_for_answer"}
ANSWER_WITHIN = 60.0


def server_env(world: World, state: Path) -> dict[str, str]:
    """The settings a window's hub runs with, as `TGBRIDGE_*` variables (hub/link.py
    settings_env), so the MCP server finds that hub."""
    server = world.server
    center = {
        "id": DC_ID,
        "host": server.host,
        "port": server.port,
        "publicKeyFile": str(server.public_key_file),
    }
    return {
        **os.environ,
        "TGBRIDGE_STATE_DIR": str(state),
        "TGBRIDGE_DATA_CENTER": json.dumps(center),
        "TGBRIDGE_HUB_LINGER_MINUTES": "0",
    }


@asynccontextmanager
async def mcp_client(
    env: dict[str, str],
    log: Path,
    *args: str,
    cwd: Path | None = None,
    roots: list[Path] | None = None,
    read_timeout: float = ANSWER_WITHIN,
) -> AsyncIterator[ClientSession]:
    """`python -m tgbridge mcp ARGS` under the SDK's client; with `roots` the client
    offers them (the roots capability), as an editor's agent does."""

    async def list_roots(context: ClientRequestContext) -> ListRootsResult:
        return ListRootsResult(
            roots=[Root(uri=root.as_uri(), name=root.name) for root in roots or []]
        )

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "tgbridge", "mcp", *args], env=env, cwd=cwd
    )
    with log.open("a") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(
                read,
                write,
                read_timeout_seconds=read_timeout,
                list_roots_callback=list_roots if roots is not None else None,
            ) as session,
        ):
            await session.initialize()
            yield session


def said(result: CallToolResult) -> str:
    [block] = result.content
    assert isinstance(block, TextContent)
    return block.text


def structured(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None
    return dict(result.structured_content)


async def test_an_agent_asks_and_notifies_the_phone(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state, workspace = tmp_path / "state", tmp_path / "shop"
    workspace.mkdir()
    await online_bot(world, sidecars, state, workspace=workspace)
    phone = world.server.phone(world.user)
    env = server_env(world, state)
    async with mcp_client(env, tmp_path / "mcp.log", "--workspace", str(workspace)) as agent:
        listed = await agent.list_tools()
        assert {tool.name for tool in listed.tools} == TOOLS
        ask_tool = next(tool for tool in listed.tools if tool.name == "ask")
        assert ask_tool.output_schema is not None and "outcome" in str(ask_tool.output_schema)

        count = len(bot_messages(world))
        sent = await agent.call_tool("notify", {"text": "the build is green"})
        assert said(sent) == "sent" and not sent.is_error
        note = await next_from_bot(world, count)
        assert "the build is green" in note.message and "mcp in shop" in note.message

        # An agent's question comes to the phone even when the owner is at the editor
        # (not away): an agent that calls ask wants the phone.
        count += 1
        asking = asyncio.create_task(
            agent.call_tool("ask", {"question": "Ship it today?", "options": ["yes", "no"]})
        )
        question = await next_from_bot(world, count)
        assert "Ship it today?" in question.message
        assert set(buttons(question)) == {"yes", "no"}
        pressed = await phone.press(question, buttons(question)["yes"])
        assert pressed.message == "✔ Answered by Ann: yes"
        answer = await asking
        assert said(answer) == "answer: yes"
        outcome = structured(answer)
        assert (outcome["outcome"], outcome["text"], outcome["by"]) == ("answer", "yes", "Ann")
        assert outcome["id"]
        await current_text(world, question, "Answered by Ann")


async def test_long_waits_answer_pending_and_resume_and_a_cancel_turns_the_prompt_stale(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state, workspace = tmp_path / "state", tmp_path / "shop"
    workspace.mkdir()
    await online_bot(world, sidecars, state, workspace=workspace)
    phone = world.server.phone(world.user)
    env = server_env(world, state)
    async with mcp_client(
        env,
        tmp_path / "mcp.log",
        "--max-block",
        "2",
        cwd=workspace,
        read_timeout=10,  # a client that gives up on a call after 10 s
    ) as agent:
        count = len(bot_messages(world))
        reported: list[float] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            reported.append(progress)

        pending = await agent.call_tool(
            "request_approval",
            {"action": "npm publish", "diff": "diff --git a/package.json b/package.json"},
            progress_callback=on_progress,
        )
        assert said(pending).startswith("pending: ") and said(pending).endswith(
            " — call wait_for_answer"
        )
        ask_id = structured(pending)["id"]
        assert ask_id and ask_id in said(pending)
        assert reported and reported == sorted(reported)  # it told the client it was waiting
        question = await next_from_bot(world, count)
        assert "npm publish" in question.message

        # The owner answers while the agent waits again, as often as it takes.
        waiting = asyncio.create_task(agent.call_tool("wait_for_answer", {"id": ask_id}))
        await phone.press(question, buttons(question)["Allow"])
        answer = await waiting
        async with asyncio.timeout(ANSWER_WITHIN):
            while said(answer).startswith("pending"):
                answer = await agent.call_tool("wait_for_answer", {"id": ask_id})
        assert said(answer) == "allow (by Ann)"
        assert (structured(answer)["outcome"], structured(answer)["id"]) == ("allow", ask_id)

        # A client that cancels (here: times out after 1 s, which cancels the call) has
        # stopped waiting: the phone's question turns stale and can no longer be answered.
        count += 1
        with pytest.raises(MCPError, match="timed out"):
            await agent.call_tool("ask", {"question": "Rebase onto main?"}, read_timeout_seconds=1)
        stale = await next_from_bot(world, count)
        assert "Rebase onto main?" in stale.message
        text = await current_text(world, stale, "The agent stopped waiting")
        assert "no answer in time" not in text  # not its own timeout: the agent went


async def test_send_file_sends_only_guarded_workspace_files(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    state, workspace = tmp_path / "state", tmp_path / "shop"
    (workspace / "docs").mkdir(parents=True)
    (workspace / "docs" / "notes.txt").write_text("release notes\n")
    (workspace / ".env").write_text("TOKEN=secret\n")
    (workspace / "id_rsa").write_text("-----BEGIN KEY-----\n")
    (tmp_path / "outside.txt").write_text("not the workspace's\n")
    (workspace / "escape.txt").symlink_to(tmp_path / "outside.txt")
    await online_bot(world, sidecars, state, workspace=workspace)
    phone = world.server.phone(world.user)
    env = server_env(world, state)
    # The server runs in the workspace's parent: the client's roots are the workspace.
    async with mcp_client(env, tmp_path / "mcp.log", cwd=tmp_path, roots=[workspace]) as agent:
        count = len(bot_messages(world))
        refusals = {
            str(tmp_path / "outside.txt"): "refused: not inside the workspace",
            "outside.txt": "refused: no such file",
            "../outside.txt": "refused: '..' is not allowed",
            str(workspace / ".." / "outside.txt"): "refused: '..' is not allowed",
            "escape.txt": "refused: no such file",  # a symlink out of the workspace
            ".env": "refused: denied by tgbridge's rules",
            str(workspace / ".env"): "refused: denied by tgbridge's rules",
            "id_rsa": "refused: denied by tgbridge's rules",
            "docs": "refused: not a regular file",
        }
        for path, refusal in refusals.items():
            refused = await agent.call_tool("send_file", {"path": path})
            assert (said(refused), refused.is_error) == (refusal, True), path
            assert structured(refused)["outcome"] == "refused"

        sent = await agent.call_tool(
            "send_file", {"path": str(workspace / "docs" / "notes.txt"), "caption": "for review"}
        )
        assert said(sent) == "sent docs/notes.txt"
        document = await next_from_bot(world, count)
        assert isinstance(document.media, types.MessageMediaDocument)
        assert phone.file_of(document) == b"release notes\n"
        assert "for review" in document.message and "shop" in document.message
        # Nothing else reached the phone: every refusal sent nothing.
        assert len(bot_messages(world)) == count + 1


async def test_with_no_hub_running_it_starts_one_with_the_command_lines_session(
    world: World, sidecars: list[Sidecar], cli: Cli, tmp_path: Path
) -> None:
    window = await window_with_session(world, sidecars, cli)
    first_hub = (await window.request("tgbridge/status", {}))["hubPid"]
    await window.stop()  # the last window: its hub (lingering 0 minutes) ends
    assert await wait_gone(first_hub)
    assert not world.server.online(world.bot)
    async with mcp_client(cli.env, tmp_path / "mcp.log", cwd=tmp_path) as agent:
        sent = await agent.call_tool("notify", {"text": "tests pass"})
        assert said(sent) == "sent", said(sent)
        note = await next_from_bot(world, 0)
        assert "tests pass" in note.message
    # The hub it started leaves with it (no linger here) and takes the connection along.
    await world.server.wait_until(lambda: not world.server.online(world.bot), within=15)


async def test_without_a_hub_or_a_session_the_tools_say_how_to_log_in(tmp_path: Path) -> None:
    env = {**os.environ, "TGBRIDGE_STATE_DIR": str(tmp_path / "state")}
    async with mcp_client(env, tmp_path / "mcp.log", cwd=tmp_path) as agent:
        for name, arguments in (
            ("notify", {"text": "hello"}),
            ("ask", {"question": "anyone?"}),
            ("request_approval", {"action": "rm -r build"}),
        ):
            result = await agent.call_tool(name, arguments)
            assert said(result) == "not logged in: open the editor or run tgbridge login"
            assert result.is_error and structured(result)["outcome"] == "not_logged_in"
    assert not (tmp_path / "state" / "hub.log").exists()  # no hub was started
