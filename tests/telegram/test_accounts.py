"""Accounts: what one account queued goes out from it alone; Log Out stops connecting at
once and says whether Telegram was told; a failed re-login keeps the working connection;
an account-mode sidecar knows its chats after a restart and resolves an @username queued
while offline once it is back."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from telethon.tl import functions

from tests.telegram.harness import (
    API_HASH,
    API_ID,
    Sidecar,
    World,
    allow,
    bot_login,
    connect,
    start_sidecar,
)
from tests.telegram_server import Account, TelegramServer

OBSERVE = 3.0  # seconds to watch for something that must not happen (a reconnect)


async def account_login(sidecar: Sidecar, world: World) -> str:
    server = world.server
    sidecar.answers["code"] = lambda _: server.login_code(world.user.phone or "")
    sidecar.answers["password"] = lambda _: "correct horse"
    result = await sidecar.request(
        "tgbridge/login",
        {"mode": "account", "apiId": API_ID, "apiHash": API_HASH, "phone": world.user.phone},
    )
    session: str = result["session"]
    return session


def texts_to(server: TelegramServer, person: Account, sender: Account) -> list[str]:
    return [m.message for m in server.phone(person).received(sender)]


async def never(server: TelegramServer, predicate: Any) -> bool:
    """True when `predicate` stayed false for the whole observation window."""
    with contextlib.suppress(TimeoutError):
        await server.wait_until(predicate, within=OBSERVE)
        return False
    return True


def status_of(sidecar: Sidecar, send_id: int) -> dict[str, Any] | None:
    return sidecar.statuses().get(send_id)


async def test_log_out_stops_connecting_and_its_queue_never_leaves_from_another_account(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    other_bot = server.world.add_bot("second", username="second_bot")
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    await bot_login(sidecar, world)
    # Queued while the chat is flooded, so it is still waiting at the Log Out.
    server.faults.flood_wait(functions.messages.SendMessageRequest, 60, times=None)
    queued = await sidecar.request(
        "tgbridge/send", {"chat": str(world.user.id), "text": "queued by the first bot"}
    )
    await sidecar.wait_state("waiting")
    result = await sidecar.request("tgbridge/logout", {})
    assert result["telegramTold"] is True
    await sidecar.wait_state("unauthorized")
    assert await never(server, lambda: server.connections or None)

    server.faults.clear()
    await sidecar.request(
        "tgbridge/login",
        {"mode": "bot", "apiId": API_ID, "apiHash": API_HASH, "botToken": other_bot.bot_token},
    )
    waiting = await sidecar.wait_for(
        lambda: (s := status_of(sidecar, queued["sendId"])) and s.get("detail") and s
    )
    assert waiting["state"] == "queued"
    assert waiting["detail"] == "waiting for @tgbridge_bot to log in"
    mine = await sidecar.request(
        "tgbridge/send", {"chat": str(world.user.id), "text": "from the second bot"}
    )
    await sidecar.wait_for(
        lambda: (s := status_of(sidecar, mine["sendId"])) and s["state"] == "sent"
    )
    assert texts_to(server, world.user, other_bot) == ["from the second bot"]
    assert texts_to(server, world.user, world.bot) == []

    # The first bot logs in again: its message goes out, from it.
    await bot_login(sidecar, world)
    await sidecar.wait_for(
        lambda: (s := status_of(sidecar, queued["sendId"])) and s["state"] == "sent"
    )
    assert texts_to(server, world.user, world.bot) == ["queued by the first bot"]
    assert texts_to(server, world.user, other_bot) == ["from the second bot"]


async def test_log_out_while_offline_says_telegram_was_not_told(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    await bot_login(sidecar, world)
    server.faults.drop_connection(None, times=None)
    server.drop_connections(abort=True)
    await sidecar.wait_state("offline")
    result = await sidecar.request("tgbridge/logout", {})
    assert result["telegramTold"] is False
    assert "not told" in result["detail"]
    unauthorized = await sidecar.wait_state("unauthorized")
    assert "not told" in unauthorized["detail"]
    server.faults.clear()
    assert await never(server, lambda: server.connections or None)


async def test_a_failed_login_leaves_the_working_connection_as_it_was(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    await bot_login(sidecar, world)
    with contextlib.suppress(Exception):
        await sidecar.request(
            "tgbridge/login",
            {"mode": "bot", "apiId": API_ID, "apiHash": API_HASH, "botToken": "1:wrong"},
        )
    status = await sidecar.request("tgbridge/status", {})
    assert status["connection"]["state"] == "online"
    sent = await sidecar.request(
        "tgbridge/send", {"chat": str(world.user.id), "text": "still here"}
    )
    await sidecar.wait_for(
        lambda: (s := status_of(sidecar, sent["sendId"])) and s["state"] == "sent"
    )
    assert texts_to(server, world.user, world.bot) == ["still here"]


async def test_account_mode_knows_its_chats_after_a_restart_and_resolves_names_once_online(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    bob = server.world.add_user("Bob", phone="+15550000002")
    carol = server.world.add_user("Carol", phone="+15550000003", username="carol")
    allow(tmp_path, bob, "viewer")  # deny by default: a stranger's message is not kept
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    session = await account_login(sidecar, world)
    server.phone(bob).send(world.user, "hi Ann, it's Bob")
    await sidecar.wait_for(lambda: sidecar.of("tgbridge/message") or None)
    await sidecar.stop()

    sidecar = await start_sidecar(world, sidecars, tmp_path)
    await connect(sidecar, session)
    sent = await sidecar.request("tgbridge/send", {"chat": str(bob.id), "text": "hi Bob"})
    await sidecar.wait_for(
        lambda: (s := status_of(sidecar, sent["sendId"])) and s["state"] == "sent"
    )
    assert texts_to(server, bob, world.user) == ["hi Bob"]

    server.faults.drop_connection(None, times=None)
    server.drop_connections(abort=True)
    await sidecar.wait_state("offline")
    queued = await sidecar.request("tgbridge/send", {"chat": "@carol", "text": "hi Carol"})
    # The hub's status may come just after the answer: wait for it.
    waiting = await sidecar.wait_for(lambda: status_of(sidecar, queued["sendId"]))
    assert waiting["state"] == "queued"
    server.faults.clear()
    await sidecar.wait_state("online", within=40)
    await sidecar.wait_for(
        lambda: (s := status_of(sidecar, queued["sendId"])) and s["state"] == "sent", within=20
    )
    assert texts_to(server, carol, world.user) == ["hi Carol"]
