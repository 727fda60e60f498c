"""Pushed updates with pts as Telethon checks them: a lost update is recovered through
getDifference, a repeated one is applied once, reordered ones both arrive, a long gap comes
back in differenceSlices, and updates keep flowing after a reconnect."""

from __future__ import annotations

from typing import Any

from telethon import events
from telethon.tl import functions, types

from tests.telegram_server import Account, TelegramServer
from tests.telegram_server.tests.clients import Inbox


async def settle(inbox: Inbox, server: TelegramServer, sender: Account, to: Account) -> None:
    """Sends one last message and takes it: whatever came before it has been handled."""
    server.phone(sender).send(to, "sentinel")
    assert (await inbox.next()).raw_text == "sentinel"


def count(server: TelegramServer, kind: type, after: int = 0) -> int:
    return sum(isinstance(r.request, kind) for r in server.requests[after:])


def pushed_texts(server: TelegramServer, account: Account) -> list[str]:
    """The new messages' texts as the updates actually went out to the account."""
    return [
        update.message.message
        for account_id, updates in server.pushed
        if account_id == account.id
        for update in updates.updates
        if isinstance(update, types.UpdateNewMessage)
    ]


async def test_a_dropped_update_is_recovered_through_get_difference(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    inbox = Inbox(bot_client, events.NewMessage())
    phone = server.phone(ann)
    mark = len(server.requests)
    server.faults.drop_updates(bot)

    phone.send(bot, "one")  # never pushed
    phone.send(bot, "two")  # its pts shows the gap

    got = await inbox.take(2)
    await settle(inbox, server, ann, bot)
    assert [e.raw_text for e in got] == ["one", "two"]
    assert inbox.rest() == []
    assert pushed_texts(server, bot) == ["two", "sentinel"]
    assert count(server, functions.updates.GetDifferenceRequest, mark) >= 1


async def test_a_repeated_update_is_delivered_once(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    inbox = Inbox(bot_client, events.NewMessage())
    mark = len(server.requests)
    server.faults.repeat_updates(bot)

    server.phone(ann).send(bot, "once")

    assert (await inbox.next()).raw_text == "once"
    await settle(inbox, server, ann, bot)
    assert inbox.rest() == []
    assert pushed_texts(server, bot) == ["once", "once", "sentinel"]
    assert count(server, functions.updates.GetDifferenceRequest, mark) == 0


async def test_reordered_updates_both_arrive_once(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    inbox = Inbox(bot_client, events.NewMessage())
    mark = len(server.requests)
    server.faults.reorder_updates(bot)

    server.phone(ann).send(bot, "first")  # held back
    server.phone(ann).send(bot, "second")  # goes out, then "first" after it

    got = await inbox.take(2)
    await settle(inbox, server, ann, bot)
    assert [e.raw_text for e in got] == ["first", "second"]
    assert inbox.rest() == []
    assert pushed_texts(server, bot) == ["second", "first", "sentinel"]
    # The held update filled the gap itself: nothing had to be asked for.
    assert count(server, functions.updates.GetDifferenceRequest, mark) == 0


async def test_updates_missed_while_offline_come_back_in_slices(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    inbox = Inbox(bot_client, events.NewMessage())
    server.difference_slice = 3
    await bot_client.disconnect()
    await server.wait_until(lambda: not server.online(bot))
    texts = [f"missed {n}" for n in range(10)]
    for text in texts:
        server.phone(ann).send(bot, text)
    assert inbox.rest() == []

    await bot_client.connect()
    mark = len(server.requests)
    await bot_client.catch_up()

    got = await inbox.take(len(texts))
    await settle(inbox, server, ann, bot)
    assert [e.raw_text for e in got] == texts
    assert inbox.rest() == []
    # 10 updates in slices of 3: three differenceSlices, then the final difference.
    assert count(server, functions.updates.GetDifferenceRequest, mark) >= 4


async def test_messages_keep_flowing_after_the_connection_is_reset(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    inbox = Inbox(bot_client, events.NewMessage())
    server.phone(ann).send(bot, "before")
    assert (await inbox.next()).raw_text == "before"
    mark = len(server.requests)

    assert server.drop_connections(abort=True) == 1

    # Telethon reconnects by itself and says it is back with a request (users.getUsers).
    await server.wait_request(functions.users.GetUsersRequest, account=bot, after=mark)
    server.phone(ann).send(bot, "after")
    assert (await inbox.next()).raw_text == "after"
    await bot_client.send_message("ann", "still here")
    [*_, last] = await server.phone(ann).wait_messages(1)
    assert last.message == "still here"
    assert inbox.rest() == []


async def test_an_update_missed_while_offline_is_recovered_at_the_next_one(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    """No catch_up: the next pushed update shows the gap and Telethon fills it."""
    inbox = Inbox(bot_client, events.NewMessage())
    await bot_client.disconnect()
    await server.wait_until(lambda: not server.online(bot))
    server.phone(ann).send(bot, "while away")  # nobody is connected to receive it

    await bot_client.connect()
    mark = len(server.requests)
    server.phone(ann).send(bot, "back")

    got = await inbox.take(2)
    await settle(inbox, server, ann, bot)
    assert [e.raw_text for e in got] == ["while away", "back"]
    assert inbox.rest() == []
    assert count(server, functions.updates.GetDifferenceRequest, mark) >= 1


async def test_get_state_reports_the_accounts_pts(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    server.phone(ann).send(bot, "one")
    server.phone(ann).send(bot, "two")

    state = await bot_client(functions.updates.GetStateRequest())

    assert state.pts == bot.pts >= 3
    empty = await bot_client(
        functions.updates.GetDifferenceRequest(pts=state.pts, date=state.date, qts=0)
    )
    assert empty.to_dict()["_"] == "DifferenceEmpty"
