"""updates.getState and updates.getDifference, read from the account's update log, in
slices of `TelegramServer.difference_slice` as Telegram's differenceSlice, or
differenceTooLong past `TelegramServer.difference_too_long_after` updates."""

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
    too_long = call.server.difference_too_long_after
    if too_long is not None and len(missed) > too_long:
        return types.updates.DifferenceTooLong(pts=me.pts)
    limit = call.server.difference_slice
    part = missed[:limit]
    updates = [entry.update for entry in part]
    users, chats = call.world.entities(me, updates)
    new_messages = [u.message for u in updates if isinstance(u, types.UpdateNewMessage)]
    other = [u for u in updates if not isinstance(u, types.UpdateNewMessage)]
    if len(missed) > limit:
        intermediate = me.state(pts=part[-1].pts)
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
