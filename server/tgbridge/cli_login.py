"""`tgbridge login` and `tgbridge logout`: the command line's own Telegram session."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from typing import Literal

from tgbridge import session_file
from tgbridge.app import state_dir
from tgbridge.errors import BridgeError
from tgbridge.settings import load_settings
from tgbridge.store.accounts import AccountStore
from tgbridge.store.database import open_database
from tgbridge.telegram.gateway import Credentials, DataCenter, Gateway, LoginError


def _secret(env: str, prompt: str) -> str:
    return os.environ.get(env) or getpass.getpass(prompt)


async def _ask(kind: Literal["code", "password"], hint: str) -> str | None:
    read = getpass.getpass if kind == "password" else input
    return await asyncio.to_thread(read, f"{hint}: ")


async def _login(api_id: int, api_hash: str, bot_token: str | None, phone: str | None) -> int:
    settings = load_settings({})
    center = settings.data_center
    gateway = Gateway(
        Credentials(api_id, api_hash),
        accounts=AccountStore(open_database(state_dir(settings) / "tgbridge.db")),
        data_center=DataCenter(center.id, center.host, center.port, center.public_key_file)
        if center
        else None,
        on_state=lambda state, detail: print(detail, file=sys.stderr),
        on_incoming=_ignore,
    )
    try:
        await gateway.start(keep_trying=False)
        if bot_token:
            session = await gateway.login_bot(bot_token)
        else:
            session = await gateway.login_user(phone or "", _ask)
    except LoginError as error:
        print(f"tgbridge: {error}", file=sys.stderr)
        return 1
    finally:
        await gateway.stop()
    path = session_file.save(
        state_dir(settings), session_file.SavedSession(api_id, api_hash, session)
    )
    print(f"Logged in; the session is in {path} (readable only by you).", file=sys.stderr)
    return 0


async def _ignore(_: object) -> bool:
    return False


def login(bot: bool, phone: str | None, api_id: int) -> int:
    api_hash = _secret("TGBRIDGE_API_HASH", "API hash (from my.telegram.org): ")
    bot_token = _secret("TGBRIDGE_BOT_TOKEN", "Bot token: ") if bot else None
    try:
        return asyncio.run(_login(api_id, api_hash, bot_token, phone))
    except BridgeError as error:
        print(f"tgbridge: {error.message}", file=sys.stderr)
        return 2


def logout() -> int:
    forgotten = session_file.forget(state_dir(load_settings({})))
    print("Session removed." if forgotten else "There was no session.", file=sys.stderr)
    return 0
