"""The MCP tools and how long a call may block.

MCP clients give up on a tool call after their own time-out (often 60 s), and a person
may take minutes to answer. So a call blocks at most `max_block` seconds (sending
progress notifications meanwhile when the client asked for them), then answers
`pending: <id>`; `wait_for_answer(id)` resumes the same wait, as often as needed, until
the ask's own timeout. A client that cancels a call (or times it out, which cancels it)
has stopped waiting: the ask ends and its phone message turns stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import CallToolResult, ClientCapabilities, RootsCapability, TextContent
from pydantic import BaseModel, Field

from tgbridge import __version__
from tgbridge.agent_mcp.files import folders_of, guarded_file
from tgbridge.agent_mcp.hub_client import NOT_PAIRED, HubClient, Unavailable
from tgbridge.protocol import AgentAnswer, AgentAskParams, AgentNotifyParams, AskKind
from tgbridge.security.paths import PathRefused
from tgbridge.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_MAX_BLOCK = 50.0
PROGRESS_EVERY = 5.0  # or a quarter of max_block when that is shorter
CANCEL_WITHIN = 10.0  # after a client's cancel: time left to tell the hub
ROOTS_WITHIN = 5.0
APPROVAL_TIMEOUT = 600.0
AGENT = "mcp"  # the phone's name for an agent whose client did not name itself

INSTRUCTIONS = """\
Reach the owner of this workspace on their phone (Telegram), through tgbridge.
notify: tell them something. ask: ask a question (optionally with answer options).
request_approval: ask before doing something risky. send_file: send them a workspace file.
A call that waits for a person answers within about a minute: when it says
`pending: <id>`, call wait_for_answer with that id to keep waiting."""

Status = Literal[
    "allow",
    "deny",
    "answer",
    "present",
    "timeout",
    "pending",
    "sent",
    "refused",
    "not_paired",
    "not_logged_in",
    "unavailable",
]


class Outcome(BaseModel):
    """What a tool call came to: the structured twin of its text."""

    outcome: Status
    id: str | None = Field(default=None, description="the request id wait_for_answer takes")
    text: str | None = Field(default=None, description="the answer (an option or free text)")
    by: str | None = Field(default=None, description="who answered on the phone")
    detail: str = ""


ToolResult = Annotated[CallToolResult, Outcome]


def _result(outcome: Outcome, text: str, *, error: bool = False) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=outcome.model_dump(mode="json"),
        is_error=error,
    )


def _failed(failure: Unavailable) -> CallToolResult:
    return _result(Outcome(outcome=failure.outcome, detail=str(failure)), str(failure), error=True)


def _answered(answer: AgentAnswer) -> CallToolResult:
    """The hub's answer as the agent reads it: "allow (by Ann)", "answer: yes"…"""
    outcome = Outcome(
        outcome=answer.outcome,
        id=answer.id or None,
        text=answer.text,
        by=answer.by,
        detail=answer.detail,
    )
    match answer.outcome:
        case "allow" | "deny":
            why = f"by {answer.by}" if answer.by else answer.detail
            return _result(outcome, f"{answer.outcome} ({why})" if why else answer.outcome)
        case "answer":
            return _result(outcome, f"answer: {answer.text or ''}")
        case "pending":
            return _result(outcome, f"pending: {answer.id} — call wait_for_answer")
        case "timeout":
            return _result(outcome, f"timeout: {answer.detail or 'nobody answered in time'}")
        case "present":
            return _result(outcome, "present: the owner is at the editor; ask there")
        case "not_paired":
            return _result(outcome, NOT_PAIRED, error=True)
    raise AssertionError(answer.outcome)


def _progress_requested(ctx: Context[Any, Any]) -> bool:
    meta = ctx.request_context.meta
    return meta is not None and meta.get("progress_token") is not None


class Tools:
    """The tools; each is a method whose docstring and parameters the client sees."""

    def __init__(
        self,
        hub: HubClient,
        settings: Settings,
        state_dir: Path,
        workspace: Path,
        max_block: float,
    ) -> None:
        self._hub = hub
        self._settings = settings
        self._state_dir = state_dir
        self._workspace = workspace
        self._max_block = max_block
        self._progress_every = min(PROGRESS_EVERY, max_block / 4)

    async def notify(
        self,
        ctx: Context[Any, Any],
        text: Annotated[str, Field(description="the message")],
    ) -> ToolResult:
        """Send a short message to the owner's phone (Telegram), e.g. that a long task is
        done. Does not wait for a reply."""
        folders = await self._folders(ctx)
        note = AgentNotifyParams(agent=_agent(ctx), text=text, workspace=folders[0].name)
        try:
            await self._hub.notify(note)
        except Unavailable as failure:
            return _failed(failure)
        return _result(Outcome(outcome="sent"), "sent")

    async def ask(
        self,
        ctx: Context[Any, Any],
        question: Annotated[str, Field(description="the question for the owner")],
        options: Annotated[
            Sequence[str], Field(description="answers to offer as buttons (optional)")
        ] = (),
        timeout_seconds: Annotated[
            int, Field(description="how long the question stays open", ge=1, le=86_400)
        ] = 600,
    ) -> ToolResult:
        """Ask the owner a question on their phone and wait for the answer (a button or a
        typed reply). Answers `answer: <text>`, or `pending: <id>` when it takes long:
        then call wait_for_answer(id)."""
        return await self._ask(
            ctx, "question", question, options=list(options), open_for=float(timeout_seconds)
        )

    async def request_approval(
        self,
        ctx: Context[Any, Any],
        action: Annotated[str, Field(description="what you want to do, e.g. the command")],
        details: Annotated[str, Field(description="why, or what it changes")] = "",
        diff: Annotated[str, Field(description="the change as a unified diff")] = "",
    ) -> ToolResult:
        """Ask the owner on their phone to approve an action before you take it. Answers
        `allow` or `deny` (the owner's rules may decide at once), or `pending: <id>` when
        it takes long: then call wait_for_answer(id)."""
        return await self._ask(
            ctx,
            "approval",
            "Asks for approval",
            command=action,
            details=diff or details,
            open_for=APPROVAL_TIMEOUT,
        )

    async def send_file(
        self,
        ctx: Context[Any, Any],
        path: Annotated[str, Field(description="a file inside the workspace")],
        caption: Annotated[str, Field(description="a line to send with it")] = "",
    ) -> ToolResult:
        """Send a file from the workspace to the owner's phone. Only regular files inside
        the workspace that tgbridge's rules allow (never .env files, keys or .git)."""
        folders = await self._folders(ctx)
        try:
            guarded = guarded_file(
                path,
                folders,
                state_dir=self._state_dir,
                deny_globs=self._settings.deny_globs,
            )
        except PathRefused as refused:
            outcome = Outcome(outcome="refused", detail=refused.reason)
            return _result(outcome, f"refused: {refused.reason}", error=True)
        note = AgentNotifyParams(
            agent=_agent(ctx),
            text=caption or guarded.relative,
            workspace=guarded.folder.name,
            file=str(guarded.path),
        )
        try:
            await self._hub.notify(note)
        except Unavailable as failure:
            return _failed(failure)
        return _result(Outcome(outcome="sent", detail=guarded.relative), f"sent {guarded.relative}")

    async def wait_for_answer(
        self,
        ctx: Context[Any, Any],
        id: Annotated[str, Field(description="the id from a `pending: <id>` answer")],
    ) -> ToolResult:
        """Keep waiting for the answer to an ask or request_approval that answered
        `pending: <id>`. Answers like them, or `pending` again."""
        return await self._wait(ctx, id, time.monotonic())

    # ---- waiting ---------------------------------------------------------------------

    async def _ask(
        self,
        ctx: Context[Any, Any],
        kind: AskKind,
        title: str,
        *,
        options: list[str] | None = None,
        command: str | None = None,
        details: str = "",
        open_for: float,
    ) -> CallToolResult:
        started = time.monotonic()
        folders = await self._folders(ctx)
        params = AgentAskParams(
            key=f"mcp-{uuid.uuid4().hex}",
            agent=_agent(ctx),
            kind=kind,
            title=title,
            details=details,
            command=command,
            options=options or [],
            workspace=folders[0].name,
            timeout_seconds=open_for,
            wait_seconds=0,  # the id first, so a cancel can name the ask
            only_if_away=False,  # an agent calling this wants the phone
        )
        asking = asyncio.ensure_future(self._hub.ask(params))
        try:
            answer = await self._blocking(ctx, asking, started)
        except asyncio.CancelledError:
            await self._abandon(asking=asking)
            raise
        except Unavailable as failure:
            return _failed(failure)
        if answer.outcome != "pending":
            return _answered(answer)
        return await self._wait(ctx, answer.id, started)

    async def _wait(self, ctx: Context[Any, Any], ask_id: str, started: float) -> CallToolResult:
        remaining = max(0.0, self._max_block - (time.monotonic() - started))
        waiting = asyncio.ensure_future(self._hub.wait(ask_id, remaining))
        try:
            answer = await self._blocking(ctx, waiting, started)
        except asyncio.CancelledError:
            waiting.cancel()
            await self._abandon(ask_id=ask_id)
            raise
        except Unavailable as failure:
            return _failed(failure)
        return _answered(answer)

    async def _blocking(
        self, ctx: Context[Any, Any], request: asyncio.Future[AgentAnswer], started: float
    ) -> AgentAnswer:
        """The request's answer; meanwhile progress, when the client asked for it."""
        every = self._progress_every if _progress_requested(ctx) else None
        while True:
            done, _ = await asyncio.wait({request}, timeout=every)
            if done:
                return request.result()
            waited = time.monotonic() - started
            await ctx.report_progress(
                round(waited, 1), None, f"waiting for the owner's answer ({waited:.0f} s)"
            )

    async def _abandon(
        self, *, asking: asyncio.Future[AgentAnswer] | None = None, ask_id: str = ""
    ) -> None:
        """The client cancelled: the hub is told, so the phone's message turns stale. An
        ask still being posted is waited for first (its id comes with its answer)."""
        with anyio.CancelScope(shield=True), anyio.move_on_after(CANCEL_WITHIN):
            try:
                if asking is not None:
                    answer = await asking
                    if answer.outcome != "pending":
                        return
                    ask_id = answer.id
                await self._hub.cancel(ask_id)
            except Exception as error:
                logger.warning("could not tell the hub the agent stopped waiting: %s", error)

    async def _folders(self, ctx: Context[Any, Any]) -> list[Path]:
        """The client's roots when it has them, else --workspace or the working dir."""
        session = ctx.session
        if session.check_client_capability(ClientCapabilities(roots=RootsCapability())):
            try:
                with anyio.fail_after(ROOTS_WITHIN):
                    listed = await session.list_roots()
                folders = folders_of([str(root.uri) for root in listed.roots])
                if folders:
                    return folders
            except Exception as error:
                logger.warning("could not list the client's roots: %s", error)
        return [self._workspace]


def _agent(ctx: Context[Any, Any]) -> str:
    """The client's own name ("claude-code", "cursor-vscode"…) for the phone."""
    params = ctx.session.client_params
    name = params.client_info.name if params is not None else ""
    return name[:40] or AGENT


def build_server(tools: Tools) -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer(
        "tgbridge",
        title="tgbridge: the owner's phone",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )
    for tool in (
        tools.notify,
        tools.ask,
        tools.request_approval,
        tools.send_file,
        tools.wait_for_answer,
    ):
        server.add_tool(tool)
    return server


def run(workspace: str | None, max_block: float) -> int:
    """`tgbridge mcp`: serves MCP on stdin/stdout until the client closes it."""
    from tgbridge.app import state_dir
    from tgbridge.errors import BridgeError
    from tgbridge.settings import load_settings

    logging.basicConfig(
        level=logging.WARNING, format="tgbridge mcp: %(message)s", stream=sys.stderr
    )
    # Roots are what this server's clients offer today; newer protocol versions
    # deprecate them, and the warning would only clutter the agent's log.
    warnings.filterwarnings("ignore", category=MCPDeprecationWarning)
    try:
        settings = load_settings({})
    except BridgeError as error:
        print(f"tgbridge: {error.message}", file=sys.stderr)
        return 2
    folder = Path(workspace).expanduser().resolve() if workspace else Path.cwd()
    hub = HubClient(settings, state_dir(settings))
    tools = Tools(hub, settings, state_dir(settings), folder, max(0.1, max_block))
    server = build_server(tools)

    async def serve() -> None:
        try:
            await server.run_stdio_async()
        finally:
            with anyio.CancelScope(shield=True):
                await hub.close()

    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(serve)
    return 0
