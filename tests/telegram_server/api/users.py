"""users.getUsers, users.getFullUser and contacts.resolveUsername."""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from tests.telegram_server.rpc import RpcError, handles


@handles(functions.users.GetUsersRequest)
async def get_users(call: Any) -> list[Any]:
    me = call.account
    found = []
    for wanted in call.request.id:
        try:
            found.append(call.world.resolve_user(me, wanted).user(me))
        except RpcError:
            continue  # Telegram leaves unknown users out
    return found


@handles(functions.users.GetFullUserRequest)
async def get_full_user(call: Any) -> types.users.UserFull:
    me = call.account
    user = call.world.resolve_user(me, call.request.id)
    full = types.UserFull(
        id=user.id,
        settings=types.PeerSettings(),
        notify_settings=types.PeerNotifySettings(),
        common_chats_count=0,
    )
    return types.users.UserFull(full_user=full, chats=[], users=[user.user(me)])


@handles(functions.contacts.ResolveUsernameRequest)
async def resolve_username(call: Any) -> types.contacts.ResolvedPeer:
    me = call.account
    account = call.world.by_username(call.request.username)
    if account is None:
        raise RpcError(400, "USERNAME_NOT_OCCUPIED")
    return types.contacts.ResolvedPeer(
        peer=types.PeerUser(account.id), chats=[], users=[account.user(me)]
    )
