"""Inline buttons and bot commands: a press (messages.getBotCallbackAnswer) reaches the bot
as an updateBotCallbackQuery and waits for its messages.setBotCallbackAnswer."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from telethon.tl import functions, types

from tests.telegram_server.rpc import RpcError, handles
from tests.telegram_server.world import Account


def button_data(button: Any) -> bytes | None:
    """A callback button's data: `KeyboardInlineButton(type=InlineButtonTypeCallback(data))`
    in this layer, a bare `data` field in older ones."""
    data = getattr(getattr(button, "type", None), "data", None)
    return data if data is not None else getattr(button, "data", None)


async def press(
    server: Any, presser: Account, message_id: int, data: bytes
) -> types.messages.BotCallbackAnswer:
    """Presses the button carrying `data` under the presser's copy of a bot's message."""
    message = presser.messages.get(message_id)
    if message is None:
        raise RpcError(400, "MESSAGE_ID_INVALID")
    buttons = [b for row in getattr(message.reply_markup, "rows", []) for b in row.buttons]
    if not any(button_data(b) == data for b in buttons):
        raise RpcError(400, "DATA_INVALID")
    bot_copy = next(
        ((a, m) for a, m in server.world.copies(presser, message_id) if a.bot and m.out), None
    )
    if bot_copy is None:
        raise RpcError(400, "BOT_INVALID")
    bot, bot_message = bot_copy
    query_id = secrets.randbits(63)
    answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    server.callback_answers[query_id] = answer
    chat = bot_message.peer_id
    server.deliver(
        bot,
        types.UpdateBotCallbackQuery(
            query_id=query_id,
            user_id=presser.id,
            peer=chat,
            msg_id=bot_message.id,
            chat_instance=hash((bot.id, presser.id)) & (2**63 - 1),
            data=data,
        ),
    )
    try:
        async with asyncio.timeout(server.callback_timeout):
            result: types.messages.BotCallbackAnswer = await answer
            return result
    except TimeoutError:
        raise RpcError(400, "BOT_RESPONSE_TIMEOUT") from None
    finally:
        server.callback_answers.pop(query_id, None)


@handles(functions.messages.GetBotCallbackAnswerRequest)
async def get_bot_callback_answer(call: Any) -> types.messages.BotCallbackAnswer:
    request = call.request
    if request.data is None or len(request.data) > 64:
        raise RpcError(400, "DATA_INVALID")
    return await press(call.server, call.account, request.msg_id, request.data)


@handles(functions.messages.SetBotCallbackAnswerRequest)
async def set_bot_callback_answer(call: Any) -> bool:
    request = call.request
    if not call.account.bot:
        raise RpcError(400, "USER_BOT_REQUIRED")
    answer = call.server.callback_answers.get(request.query_id)
    if answer is None or answer.done():
        raise RpcError(400, "QUERY_ID_INVALID")
    if request.message and len(request.message) > 200:
        raise RpcError(400, "MESSAGE_TOO_LONG")
    answer.set_result(
        types.messages.BotCallbackAnswer(
            cache_time=request.cache_time,
            alert=request.alert,
            message=request.message,
            url=request.url,
        )
    )
    return True


@handles(functions.bots.SetBotCommandsRequest)
async def set_bot_commands(call: Any) -> bool:
    if not call.account.bot:
        raise RpcError(400, "USER_BOT_REQUIRED")
    call.account.bot_commands = list(call.request.commands)
    return True


@handles(functions.bots.GetBotCommandsRequest)
async def get_bot_commands(call: Any) -> list[Any]:
    commands: list[Any] = call.account.bot_commands
    return commands
