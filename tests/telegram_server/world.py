"""The small world the server keeps: accounts (users and bots), basic groups, each
account's own copy of every message with its own ids, and each account's update log
(pts) that getDifference reads from."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telethon.tl import types

from tests.telegram_server.rpc import RpcError


def now() -> datetime:
    return datetime.fromtimestamp(int(time.time()), UTC)


@dataclass
class LoggedUpdate:
    pts: int  # the account's pts after this update
    pts_count: int
    update: Any


@dataclass(eq=False)
class Account:
    id: int
    access_hash: int
    first_name: str
    username: str | None = None
    phone: str | None = None
    bot: bool = False
    bot_token: str | None = None
    password: str | None = None  # two-step verification
    pts: int = 1  # Telethon cannot recover a gap from pts 0 (TESTING.md)
    seq: int = 0
    next_message_id: int = 1
    messages: dict[int, types.Message] = field(default_factory=dict)
    log: list[LoggedUpdate] = field(default_factory=list)
    sent_random_ids: dict[int, int] = field(default_factory=dict)
    origin_of: dict[int, int] = field(default_factory=dict)  # message id -> posting
    bot_commands: list[Any] = field(default_factory=list)
    srp_salt1: bytes = field(default_factory=lambda: secrets.token_bytes(40))
    srp_salt2: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    def user(self, viewer: Account | None = None) -> types.User:
        return types.User(
            id=self.id,
            is_self=viewer is self,
            bot=self.bot,
            access_hash=self.access_hash,
            first_name=self.first_name,
            username=self.username,
            phone=self.phone if viewer is self else None,
            bot_info_version=1 if self.bot else None,
        )

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def append(self, update: Any, pts_count: int = 1) -> Any:
        """Gives the update the next pts and keeps it for getDifference."""
        self.pts += pts_count
        update.pts = self.pts
        update.pts_count = pts_count
        self.log.append(LoggedUpdate(self.pts, pts_count, update))
        return update

    def state(self, pts: int | None = None) -> types.updates.State:
        """The account's update state, or an intermediate one at `pts`."""
        return types.updates.State(
            pts=self.pts if pts is None else pts, qts=0, date=now(), seq=self.seq, unread_count=0
        )


@dataclass(eq=False)
class Group:
    id: int
    title: str
    members: list[int]

    def chat(self) -> types.Chat:
        return types.Chat(
            id=self.id,
            title=self.title,
            photo=types.ChatPhotoEmpty(),
            participants_count=len(self.members),
            date=now(),
            version=1,
        )


class World:
    def __init__(self, on_update: Callable[[Account, Any, Any], None]) -> None:
        """`on_update(account, update, exclude_auth_key_id)` pushes an update out."""
        self.accounts: dict[int, Account] = {}
        self.groups: dict[int, Group] = {}
        self._ids = itertools.count(1_000_001)
        self._on_update = on_update
        self.files: dict[int, StoredFile] = {}
        self._origins: dict[int, dict[int, int]] = {}  # posting -> {account id: message id}

    # ---- population -------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        *,
        phone: str,
        username: str | None = None,
        password: str | None = None,
    ) -> Account:
        account = Account(
            id=next(self._ids),
            access_hash=secrets.randbits(63),
            first_name=first_name,
            username=username,
            phone=phone,
            password=password,
        )
        self.accounts[account.id] = account
        return account

    def add_bot(self, first_name: str, *, username: str) -> Account:
        account = Account(
            id=next(self._ids),
            access_hash=secrets.randbits(63),
            first_name=first_name,
            username=username,
            bot=True,
        )
        account.bot_token = f"{account.id}:{secrets.token_urlsafe(26)}"
        self.accounts[account.id] = account
        return account

    def add_group(self, title: str, members: list[Account]) -> Group:
        group = Group(id=next(self._ids), title=title, members=[m.id for m in members])
        self.groups[group.id] = group
        return group

    def by_phone(self, phone: str) -> Account | None:
        wanted = digits(phone)
        return next(
            (a for a in self.accounts.values() if a.phone and digits(a.phone) == wanted), None
        )

    def by_username(self, username: str) -> Account | None:
        wanted = username.lstrip("@").lower()
        return next(
            (a for a in self.accounts.values() if (a.username or "").lower() == wanted), None
        )

    def by_token(self, token: str) -> Account | None:
        return next((a for a in self.accounts.values() if a.bot_token == token), None)

    # ---- peers ---------------------------------------------------------------------

    def resolve_user(self, me: Account, peer: Any) -> Account:
        if isinstance(peer, (types.InputPeerSelf, types.InputUserSelf)):
            return me
        if isinstance(peer, (types.InputPeerUser, types.InputUser)):
            account = self.accounts.get(peer.user_id)
            # Bots may name a user they saw with access_hash 0, as Telegram allows for "min" peers.
            if account and (
                peer.access_hash == account.access_hash or (me.bot and peer.access_hash == 0)
            ):
                return account
        raise RpcError(
            400, "PEER_ID_INVALID" if isinstance(peer, types.InputPeerUser) else "USER_ID_INVALID"
        )

    def resolve_peer(self, me: Account, peer: Any) -> Account | Group:
        if isinstance(peer, types.InputPeerChat):
            group = self.groups.get(peer.chat_id)
            if group is None or me.id not in group.members:
                raise RpcError(400, "CHAT_ID_INVALID")
            return group
        if isinstance(peer, (types.InputPeerSelf, types.InputPeerUser)):
            return self.resolve_user(me, peer)
        raise RpcError(400, "PEER_ID_INVALID")

    def entities(self, viewer: Account, items: list[Any]) -> tuple[list[Any], list[Any]]:
        """The users and chats that messages or updates name, as `viewer` sees them."""
        users: dict[int, Any] = {viewer.id: viewer.user(viewer)}
        chats: dict[int, Any] = {}
        for peer in (peer for item in items for peer in _peers_of(item)):
            if isinstance(peer, types.PeerUser) and peer.user_id in self.accounts:
                users[peer.user_id] = self.accounts[peer.user_id].user(viewer)
            elif isinstance(peer, types.PeerChat) and peer.chat_id in self.groups:
                chats[peer.chat_id] = self.groups[peer.chat_id].chat()
        return list(users.values()), list(chats.values())

    def store_file(self, data: bytes, name: str, mime_type: str) -> StoredFile:
        stored = StoredFile(secrets.randbits(63), secrets.randbits(63), data, name, mime_type)
        self.files[stored.id] = stored
        return stored

    def users_and_chats(
        self, viewer: Account, target: Account | Group, *extra: Account
    ) -> tuple[list[Any], list[Any]]:
        users = {viewer.id: viewer.user(viewer)}
        chats = []
        for account in extra:
            users[account.id] = account.user(viewer)
        if isinstance(target, Group):
            chats.append(target.chat())
            for member in target.members:
                users[member] = self.accounts[member].user(viewer)
        else:
            users[target.id] = target.user(viewer)
        return list(users.values()), chats

    # ---- messages ------------------------------------------------------------------

    def post(
        self,
        sender: Account,
        target: Account | Group,
        text: str,
        *,
        entities: list[Any] | None = None,
        media: Any = None,
        reply_to: int | None = None,
        reply_markup: Any = None,
        exclude_auth_key_id: int | None = None,
    ) -> types.Message:
        """Delivers a message to every account that sees it; returns the sender's copy."""
        date = now()
        recipients = (
            [self.accounts[m] for m in target.members]
            if isinstance(target, Group)
            else [sender, target]
        )
        own: types.Message | None = None
        reply_ids = self._reply_ids(sender, reply_to)
        origin = next(self._ids)
        self._origins[origin] = {}
        for account in dict.fromkeys(recipients):  # once each, in order; saved messages: once
            if isinstance(target, Group):
                peer: Any = types.PeerChat(target.id)
            else:
                other = target if account is sender else sender
                peer = types.PeerUser(other.id)
            message_id = account.take_message_id()
            reply_id = reply_ids.get(account.id)
            message = types.Message(
                id=message_id,
                peer_id=peer,
                date=date,
                message=text,
                out=account is sender,
                from_id=types.PeerUser(sender.id) if isinstance(target, Group) else None,
                entities=entities or None,
                media=media,
                reply_to=types.MessageReplyHeader(reply_to_msg_id=reply_id) if reply_id else None,
                reply_markup=reply_markup,
            )
            account.messages[message_id] = message
            account.origin_of[message_id] = origin
            self._origins[origin][account.id] = message_id
            update = account.append(types.UpdateNewMessage(message=message, pts=0, pts_count=1))
            if account is sender:
                own = message
                self._on_update(account, update, exclude_auth_key_id)
            else:
                self._on_update(account, update, None)
        assert own is not None
        return own

    def _reply_ids(self, sender: Account, reply_to: int | None) -> dict[int, int]:
        """The replied-to message's id in each recipient's own numbering."""
        if not reply_to:
            return {}
        if reply_to not in sender.messages:
            raise RpcError(400, "REPLY_MESSAGE_ID_INVALID")
        return dict(self._origins[sender.origin_of[reply_to]])

    def copies(self, owner: Account, message_id: int) -> list[tuple[Account, types.Message]]:
        """Every account's copy of one message, the owner's first."""
        if message_id not in owner.messages:
            return []
        found = [(owner, owner.messages[message_id])]
        for account_id, copy_id in self._origins[owner.origin_of[message_id]].items():
            if account_id != owner.id:
                account = self.accounts[account_id]
                if copy_id in account.messages:
                    found.append((account, account.messages[copy_id]))
        return found


def _peers_of(item: Any) -> list[Any]:
    """The peers a message, or an update carrying one, names."""
    message = item if isinstance(item, types.Message) else getattr(item, "message", None)
    peers: list[Any] = []
    if isinstance(message, types.Message):
        peers += [message.peer_id, message.from_id]
    if isinstance(item, types.UpdateBotCallbackQuery):
        peers += [types.PeerUser(item.user_id), item.peer]
    return [p for p in peers if p is not None]


def digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


@dataclass
class StoredFile:
    id: int
    access_hash: int
    data: bytes
    name: str
    mime_type: str
    file_reference: bytes = b"\x01"
