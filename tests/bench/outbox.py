"""The outbox against the loopback Telegram server, measured in one run beside a bare
Telethon client:

- `outbox_rate_ratio`: messages per second reaching a server that enforces 1 msg/s per
  chat and 30/s overall, over the rate it allows, after the first burst; with the
  number of FLOOD_WAIT answers it had to give.
- `send_overhead_ms`: from the editor's `tgbridge/send` to the MTProto request reaching
  the server (median), beside a bare Telethon `send_message` on the same server.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from telethon import TelegramClient, events
from telethon.crypto import rsa
from telethon.sessions import StringSession
from telethon.tl import functions

from tests.telegram.harness import API_HASH, API_ID, Sidecar, World, allow, bot_login
from tests.telegram_server import DC_ID, Account, RateLimits, TelegramServer

CHATS = 40  # more chats than the overall limit allows per second: the overall limit binds
ROUNDS = 8
BURST = 20  # the outbox's own overall burst: the steady rate is measured after it


async def _world(server: TelegramServer) -> tuple[World, list[Account]]:
    bot = server.world.add_bot("tgbridge", username="tgbridge_bot")
    users = [server.world.add_user(f"User {n}", phone=f"+1555300{n:04d}") for n in range(CHATS)]
    return World(server, bot, users[0]), users


def _sends(server: TelegramServer, since: int = 0) -> list[float]:
    return [
        record.at
        for record in server.requests[since:]
        if isinstance(record.request, functions.messages.SendMessageRequest)
    ]


async def rate_ratio() -> tuple[float, int]:
    limits = RateLimits(per_chat_rate=1, per_chat_burst=3, overall_rate=30, overall_burst=30)
    async with TelegramServer(limits=limits) as server:
        world, users = await _world(server)
        with tempfile.TemporaryDirectory() as state:
            sidecar = await Sidecar(server, Path(state), logLevel="info").start()
            try:
                await bot_login(sidecar, world)
                total = CHATS * ROUNDS
                for n in range(total):
                    chat = users[n % CHATS]
                    await sidecar.request("tgbridge/send", {"chat": str(chat.id), "text": f"m{n}"})
                await server.wait_until(
                    lambda: sum(len(server.phone(u).received()) for u in users) >= total, within=120
                )
            finally:
                await sidecar.stop()
        accepted = sorted(at for at in _sends(server))[: total + server.flood_errors]
        steady = accepted[BURST:]
        rate = (len(steady) - 1) / (steady[-1] - steady[0])
        allowed = min(CHATS * limits.per_chat_rate, limits.overall_rate)
        return rate / allowed, server.flood_errors


async def send_overhead(runs: int) -> tuple[float, float]:
    async with TelegramServer(limits=RateLimits(enabled=False)) as server:
        world, users = await _world(server)
        baseline_bot = server.world.add_bot("baseline", username="baseline_bot")
        rsa.add_key(server.public_key_file.read_text(), old=False)
        client = TelegramClient(StringSession(), API_ID, API_HASH, base_logger="bench.telethon")
        client.session.set_dc(DC_ID, server.host, server.port)
        with tempfile.TemporaryDirectory() as state:
            for user in users:  # paired phones: tgbridge keeps only what they write
                allow(Path(state), user, "viewer")
            sidecar = await Sidecar(server, Path(state), logLevel="info").start()
            try:
                await bot_login(sidecar, world)
                await client.connect()
                await client.sign_in(bot_token=baseline_bot.bot_token)
                # As in life, each user wrote to the bot first, so both know the chats.
                greeted: set[int] = set()
                all_greeted = asyncio.Event()

                async def greeting(event: events.NewMessage.Event) -> None:
                    greeted.add(event.chat_id)
                    if len(greeted) == CHATS:
                        all_greeted.set()

                client.add_event_handler(greeting, events.NewMessage())
                for user in users:
                    server.phone(user).send(world.bot, "hello")
                    server.phone(user).send(baseline_bot, "/start")
                await sidecar.wait_for(lambda: len(sidecar.of("tgbridge/message")) >= CHATS)
                await asyncio.wait_for(all_greeted.wait(), 30)
                ours: list[float] = []
                theirs: list[float] = []
                for n in range(runs + 3):  # three warm-up rounds
                    chat = users[n % CHATS]  # a new chat each round: no per-chat limit binds
                    ours.append(await _through_sidecar(server, sidecar, chat, n))
                    theirs.append(await _through_telethon(server, client, chat, n))
                    # Pacing below the overall 30/s, so the outbox's limiter never waits.
                    await asyncio.sleep(1 / 20)
                return statistics.median(ours[3:]) * 1000, statistics.median(theirs[3:]) * 1000
            finally:
                await client.disconnect()
                await sidecar.stop()


async def _through_sidecar(
    server: TelegramServer, sidecar: Sidecar, chat: Account, n: int
) -> float:
    since = len(server.requests)
    started = time.monotonic()
    # As the editor sends: with a client key (the send is flushed to disk after the wire).
    params = {"chat": str(chat.id), "text": f"ours {n}", "clientKey": f"bench-{n}"}
    result = await sidecar.request("tgbridge/send", params)
    arrived = await server.wait_request(functions.messages.SendMessageRequest, after=since)
    await sidecar.wait_for(
        lambda: any(
            s["sendId"] == result["sendId"] and s["state"] == "sent"
            for s in sidecar.of("tgbridge/messageStatus")
        )
    )
    return arrived.at - started


async def _through_telethon(
    server: TelegramServer, client: TelegramClient, chat: Account, n: int
) -> float:
    since = len(server.requests)
    started = time.monotonic()
    await client.send_message(chat.id, f"theirs {n}")
    arrived = await server.wait_request(functions.messages.SendMessageRequest, after=since)
    return arrived.at - started


def outbox_lines(runs: int) -> list[str]:
    ratio, floods = asyncio.run(rate_ratio())
    ours, theirs = asyncio.run(send_overhead(runs))
    return [
        f"outbox_rate_ratio: {ratio:.3f} (flood errors: {floods})",
        f"send_overhead_ms: {ours:.2f} ms (baseline telethon: {theirs:.2f} ms)",
    ]
