"""Messages: send (with Telegram's limits), edit, delete, read back; each change reaches
every account that sees the message as an update with its own pts."""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from tests.telegram_server.api.bots import button_data
from tests.telegram_server.api.files import media_from_input
from tests.telegram_server.rpc import RpcError, handles
from tests.telegram_server.world import Account, Group, now

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_entities(text: str, entities: list[Any] | None) -> None:
    length = utf16_len(text)
    for entity in entities or []:
        if entity.offset < 0 or entity.length <= 0 or entity.offset + entity.length > length:
            raise RpcError(400, "ENTITY_BOUNDS_INVALID")


def check_markup(sender: Account, markup: Any) -> None:
    if markup is None:
        return
    if isinstance(markup, types.ReplyInlineMarkup) and not sender.bot:
        raise RpcError(400, "REPLY_MARKUP_INVALID")
    for row in getattr(markup, "rows", []):
        for button in row.buttons:
            data = button_data(button)
            if data is not None and len(data) > MAX_CALLBACK_DATA:
                raise RpcError(400, "BUTTON_DATA_INVALID")


def _reply_to(request: Any) -> int | None:
    reply = getattr(request, "reply_to", None)
    return getattr(reply, "reply_to_msg_id", None)


def send(call: Any, text: str, media: Any = None) -> types.Updates:
    """What sendMessage and sendMedia share: duplicate check, flood limits, delivery."""
    request = call.request
    me: Account = call.account
    target = call.world.resolve_peer(me, request.peer)
    if request.random_id in me.sent_random_ids:
        raise RpcError(500, "RANDOM_ID_DUPLICATE")
    check_entities(text, request.entities)
    check_markup(me, request.reply_markup)
    call.server.limits.check(me.id, target.id)
    message = call.world.post(
        me,
        target,
        text,
        entities=request.entities,
        media=media_from_input(call, media) if media is not None else None,
        reply_to=_reply_to(request),
        reply_markup=request.reply_markup,
        exclude_auth_key_id=call.auth.key.key_id,
    )
    me.sent_random_ids[request.random_id] = message.id
    return _updates(
        call, me, target, [types.UpdateMessageID(message.id, request.random_id), me.log[-1].update]
    )


def _updates(call: Any, me: Account, target: Account | Group, updates: list[Any]) -> types.Updates:
    users, chats = call.world.users_and_chats(me, target)
    return types.Updates(updates=updates, users=users, chats=chats, date=now(), seq=0)


@handles(functions.messages.SendMessageRequest)
async def send_message(call: Any) -> types.Updates:
    text = call.request.message
    if not text.strip():
        raise RpcError(400, "MESSAGE_EMPTY")
    if utf16_len(text) > MAX_TEXT:
        raise RpcError(400, "MESSAGE_TOO_LONG")
    return send(call, text)


@handles(functions.messages.SendMediaRequest)
async def send_media(call: Any) -> types.Updates:
    caption = call.request.message or ""
    if utf16_len(caption) > MAX_CAPTION:
        raise RpcError(400, "MEDIA_CAPTION_TOO_LONG")
    return send(call, caption, call.request.media)


@handles(functions.messages.EditMessageRequest)
async def edit_message(call: Any) -> types.Updates:
    request = call.request
    me: Account = call.account
    target = call.world.resolve_peer(me, request.peer)
    own = me.messages.get(request.id)
    if own is None or not own.out:
        raise RpcError(400, "MESSAGE_ID_INVALID")
    text = request.message if request.message is not None else own.message
    # Without a new text the text and its entities stay as they were.
    entities = (request.entities if request.message is not None else own.entities) or None
    limit = MAX_CAPTION if own.media else MAX_TEXT
    if utf16_len(text) > limit:
        raise RpcError(400, "MEDIA_CAPTION_TOO_LONG" if own.media else "MESSAGE_TOO_LONG")
    if text == own.message and entities == (own.entities or None) and request.reply_markup is None:
        raise RpcError(400, "MESSAGE_NOT_MODIFIED")
    check_entities(text, entities)
    check_markup(me, request.reply_markup)
    edited = now()
    own_update: Any = None
    for account, message in call.world.copies(me, request.id):
        message.message = text
        message.entities = entities
        message.edit_date = edited
        if request.reply_markup is not None:
            message.reply_markup = request.reply_markup
        update = account.append(types.UpdateEditMessage(message=message, pts=0, pts_count=1))
        if account is me:
            own_update = update
            call.server.deliver(account, update, exclude_auth_key_id=call.auth.key.key_id)
        else:
            call.server.deliver(account, update)
    return _updates(call, me, target, [own_update])


@handles(functions.messages.DeleteMessagesRequest)
async def delete_messages(call: Any) -> types.messages.AffectedMessages:
    me: Account = call.account
    gone: dict[int, list[int]] = {}
    for message_id in call.request.id:
        for account, message in call.world.copies(me, message_id):
            if account is me or call.request.revoke:
                gone.setdefault(account.id, []).append(message.id)
    for account_id, ids in gone.items():
        account = call.world.accounts[account_id]
        for message_id in ids:
            account.messages.pop(message_id, None)
        update = account.append(
            types.UpdateDeleteMessages(messages=ids, pts=0, pts_count=len(ids)), len(ids)
        )
        call.server.deliver(
            account, update, exclude_auth_key_id=call.auth.key.key_id if account is me else None
        )
    return types.messages.AffectedMessages(pts=me.pts, pts_count=len(gone.get(me.id, [])))


@handles(functions.messages.GetMessagesRequest)
async def get_messages(call: Any) -> types.messages.Messages:
    me: Account = call.account
    found = []
    for wanted in call.request.id:
        message_id = getattr(wanted, "id", None)
        if isinstance(wanted, types.InputMessageReplyTo):  # the message `id` replies to
            replying = me.messages.get(wanted.id)
            message_id = getattr(getattr(replying, "reply_to", None), "reply_to_msg_id", None)
        message = me.messages.get(message_id) if message_id is not None else None
        found.append(message or types.MessageEmpty(id=message_id or 0, peer_id=None))
    users, chats = call.world.entities(me, found)
    return types.messages.Messages(messages=found, topics=[], chats=chats, users=users)


@handles(functions.messages.SetTypingRequest, functions.messages.ReadHistoryRequest)
async def acknowledged(call: Any) -> Any:
    if isinstance(call.request, functions.messages.ReadHistoryRequest):
        return types.messages.AffectedMessages(pts=call.account.pts, pts_count=0)
    return True
