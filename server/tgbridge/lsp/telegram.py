"""tgbridge/connect, login, logout, send, history: the editor's way to Telegram."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from tgbridge.errors import BridgeError
from tgbridge.lsp.errors import to_rpc_error
from tgbridge.lsp.server import TgbridgeServer
from tgbridge.methods import (
    AGENTS,
    ANSWER_AGENT,
    ASK_LOGIN,
    CANCEL,
    CHATS,
    COMMIT_MESSAGE,
    CONNECT,
    EDITOR_EVENT,
    HISTORY,
    LLM_KEYS,
    LOGIN,
    LOGOUT,
    OUTBOX,
    PAIR_PHONE,
    RESTART_HUB,
    RETRY,
    SEND,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from tgbridge.protocol import Model

    ParamsT = TypeVar("ParamsT", bound=BaseModel)

# pydantic and the protocol models load on first use, off the cold-start path.

# Test only: names a file; a send, once stored, writes its id there and is never answered,
# so a test can kill the sidecar between storing a send and answering it.
HOLD_SEND_ANSWER = "TGBRIDGE_TEST_HOLD_SEND_ANSWER"


def parse(model: type[ParamsT], params: Any) -> ParamsT:
    """Validated params, or an invalid_params error that names the field (not its value)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(params or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise to_rpc_error(
            BridgeError("invalid_params", f"{field}: {first['msg']}", field=field)
        ) from None


async def answer(call: Awaitable[Model]) -> dict[str, Any]:
    """The result as JSON, or the BridgeError as a JSON-RPC error."""
    try:
        result = await call
    except BridgeError as error:
        raise to_rpc_error(error) from None
    return result.to_wire()


def register(server: TgbridgeServer) -> None:
    @server.feature(CONNECT)
    async def on_connect(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """Connects with the session the editor kept."""
        from tgbridge.protocol import ConnectParams

        return await answer(ls.bridge.connect(parse(ConnectParams, params)))

    @server.feature(LOGIN)
    async def on_login(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """Logs in; asks the editor for the code and the 2FA password when needed."""
        from tgbridge.protocol import AskLoginParams, AskLoginResult, LoginParams

        async def ask(kind: Literal["code", "password"], hint: str) -> str | None:
            request = AskLoginParams(kind=kind, prompt=hint)
            answer = await ls.protocol.send_request_async(ASK_LOGIN, request.to_wire())
            return AskLoginResult.model_validate(answer or {}).value

        return await answer(ls.bridge.login(parse(LoginParams, params), ask))

    @server.feature(LOGOUT)
    async def on_logout(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """Logs out of Telegram (says whether Telegram was told); the editor forgets the
        session."""
        return await answer(ls.bridge.logout())

    @server.feature(SEND)
    async def on_send(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """Queues text, code or a file for a chat; answers once it is stored."""
        from tgbridge.protocol import SendParams

        result = await answer(ls.bridge.send(parse(SendParams, params)))
        hold = os.environ.get(HOLD_SEND_ANSWER)
        if hold:
            await hold_forever(Path(hold), result["sendId"])
        return result

    @server.feature(HISTORY)
    async def on_history(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """A page of history, newest first, optionally searched."""
        from tgbridge.protocol import HistoryParams

        return await answer(ls.bridge.history(parse(HistoryParams, params)))

    @server.feature(RESTART_HUB)
    async def on_restart_hub(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """Stops the hub; this window starts the next one and connects again."""
        return await answer(ls.bridge.restart_hub())

    @server.feature(PAIR_PHONE)
    async def on_pair_phone(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """A one-time code (and t.me link) for a phone to pair with the bot."""
        return await answer(ls.bridge.pair_phone())

    @server.feature(EDITOR_EVENT)
    async def on_editor_event(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """A task or debug session ended in the editor: the phone's rules decide."""
        from tgbridge.protocol import EditorEventParams

        return await answer(ls.bridge.editor_event(parse(EditorEventParams, params)))

    @server.feature(CHATS)
    async def on_chats(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """The chats the bot or account talks in, newest first, with people's names."""
        from tgbridge.protocol import ChatsResult

        return await answer(ls.bridge.relay(CHATS, None, ChatsResult))

    @server.feature(OUTBOX)
    async def on_outbox(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """What is not delivered yet: queued, waiting out a flood wait, failed."""
        from tgbridge.protocol import OutboxResult

        return await answer(ls.bridge.relay(OUTBOX, None, OutboxResult))

    @server.feature(RETRY)
    async def on_retry(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """A failed send goes again, with the same random ids (so at most once)."""
        from tgbridge.protocol import SendIdParams, SendResult

        return await answer(ls.bridge.relay(RETRY, parse(SendIdParams, params), SendResult))

    @server.feature(LLM_KEYS)
    async def on_llm_keys(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """The language models' API keys from SecretStorage, for the hub's memory."""
        from tgbridge.protocol import EmptyResult, LlmKeysParams

        return await answer(ls.bridge.relay(LLM_KEYS, parse(LlmKeysParams, params), EmptyResult))

    @server.feature(COMMIT_MESSAGE)
    async def on_commit_message(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """A commit message for what is staged, from the language models."""
        from tgbridge.protocol import CommitMessageParams, CommitMessageResult

        return await answer(
            ls.bridge.relay(COMMIT_MESSAGE, parse(CommitMessageParams, params), CommitMessageResult)
        )

    @server.feature(AGENTS)
    async def on_agents(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """Writes (or removes) the coding agents' hook and MCP entries for tgbridge."""
        from tgbridge.protocol import AgentsParams

        return await answer(ls.bridge.agents(parse(AgentsParams, params)))

    @server.feature(ANSWER_AGENT)
    async def on_answer_agent(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """An agent's request answered in the editor (the first answer wins)."""
        from tgbridge.protocol import AgentAnswer, AnswerAgentParams

        return await answer(
            ls.bridge.relay(ANSWER_AGENT, parse(AnswerAgentParams, params), AgentAnswer)
        )

    @server.feature(CANCEL)
    async def on_cancel(ls: TgbridgeServer, params: Any) -> dict[str, Any]:
        """A queued or failed send is dropped (a part already on the wire may land)."""
        from tgbridge.protocol import CancelResult, SendIdParams

        return await answer(ls.bridge.relay(CANCEL, parse(SendIdParams, params), CancelResult))


async def hold_forever(path: Path, send_id: int) -> None:
    """Writes the stored send's id to `path` (whole, by rename) and never returns."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(str(send_id))
    partial.replace(path)
    await asyncio.Event().wait()
