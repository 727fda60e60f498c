"""updates.getState and updates.getDifference, read from the account's update log, in
slices of `TelegramServer.difference_slice` as Telegram's differenceSlice."""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from tests.telegram_server.rpc import handles
from tests.telegram_server.world import Account, now


@handles(functions.updates.GetStateRequest)
async def get_state(call: Any) -> types.updates.State:
    state: types.updates.State = call.account.state()
    return state


@handles(functions.updates.GetDifferenceRequest)
async def get_difference(call: Any) -> Any:
    me: Account = call.account
    since = call.request.pts
    if since >= me.pts:
        return types.updates.DifferenceEmpty(date=now(), seq=me.seq)
    missed = [entry for entry in me.log if entry.pts > since]
    limit = call.server.difference_slice
    part = missed[:limit]
    updates = [entry.update for entry in part]
    users, chats = entities_of(call, me, updates)
    new_messages = [u.message for u in updates if isinstance(u, types.UpdateNewMessage)]
    other = [u for u in updates if not isinstance(u, types.UpdateNewMessage)]
    if len(missed) > limit:
        intermediate = types.updates.State(
            pts=part[-1].pts, qts=0, date=now(), seq=me.seq, unread_count=0
        )
        return types.updates.DifferenceSlice(
            new_messages=new_messages,
            new_encrypted_messages=[],
            other_updates=other,
            chats=chats,
            users=users,
            intermediate_state=intermediate,
        )
    return types.updates.Difference(
        new_messages=new_messages,
        new_encrypted_messages=[],
        other_updates=other,
        chats=chats,
        users=users,
        state=me.state(),
    )


def entities_of(call: Any, me: Account, updates: list[Any]) -> tuple[list[Any], list[Any]]:
    """The users and chats the updates name, as `me` sees them."""
    users: dict[int, Any] = {me.id: me.user(me)}
    chats: dict[int, Any] = {}
    for update in updates:
        message = getattr(update, "message", None)
        for peer in (getattr(message, "peer_id", None), getattr(message, "from_id", None)):
            if isinstance(peer, types.PeerUser) and peer.user_id in call.world.accounts:
                users[peer.user_id] = call.world.accounts[peer.user_id].user(me)
            elif isinstance(peer, types.PeerChat) and peer.chat_id in call.world.groups:
                chats[peer.chat_id] = call.world.groups[peer.chat_id].chat()
    return list(users.values()), list(chats.values())
