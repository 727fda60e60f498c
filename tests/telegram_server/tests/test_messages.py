"""Messages both ways between a Telethon client and the phone: text, replies, edits,
deletions and basic groups, each side with its own message ids."""

from __future__ import annotations

from typing import Any

import pytest
from telethon import errors, events
from telethon.tl import types

from tests.telegram_server import Account, TelegramServer
from tests.telegram_server.tests.clients import Connect, Inbox, sign_in_user


async def test_client_to_phone(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    phone = server.phone(ann)

    sent = await bot_client.send_message("ann", "hello from the bot")

    [got] = await phone.wait_messages(1)
    assert got.message == "hello from the bot"
    assert got.peer_id == types.PeerUser(bot.id)
    assert not got.out
    assert sent.out and sent.text == "hello from the bot"
    assert sent.peer_id == types.PeerUser(ann.id)


async def test_phone_to_client(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    inbox = Inbox(bot_client, events.NewMessage())

    server.phone(ann).send(bot, "hello bot")

    event = await inbox.next()
    assert event.raw_text == "hello bot"
    assert event.sender_id == ann.id
    assert event.chat_id == ann.id
    assert event.is_private and not event.out
    sender = await event.get_sender()
    assert (sender.first_name, sender.username) == ("Ann", "ann")


async def test_a_user_client_talks_to_another_user(
    server: TelegramServer, connect: Connect, bob: Account, ann: Account
) -> None:
    client = await connect()
    await sign_in_user(client, server, bob)
    inbox = Inbox(client, events.NewMessage(incoming=True))

    await client.send_message("ann", "hi Ann")
    [got] = await server.phone(ann).wait_messages(1)
    server.phone(ann).send(bob, "hi Bob")
    event = await inbox.next()

    assert got.message == "hi Ann" and got.peer_id == types.PeerUser(bob.id)
    assert event.raw_text == "hi Bob" and event.sender_id == ann.id


async def test_several_messages_arrive_in_order_each_once(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    inbox = Inbox(bot_client, events.NewMessage())
    phone = server.phone(ann)

    for n in range(5):
        phone.send(bot, f"message {n}")
    got = await inbox.take(5)
    phone.send(bot, "last")
    assert (await inbox.next()).raw_text == "last"

    assert [e.raw_text for e in got] == [f"message {n}" for n in range(5)]
    assert inbox.rest() == []
    assert len({e.id for e in got}) == 5


async def test_a_reply_keeps_reply_to_on_both_sides(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    inbox = Inbox(bot_client, events.NewMessage())
    phone = server.phone(ann)
    question = phone.send(bot, "question?")
    event = await inbox.next()

    sent = await event.reply("answer")
    [answer] = await phone.wait_messages(1, sender=bot)
    phone.reply(answer, "thanks")
    thanks = await inbox.next()

    # Each side names the replied-to message by its own id for it.
    assert sent.reply_to_msg_id == event.id
    assert answer.reply_to.reply_to_msg_id == question.id
    assert thanks.reply_to_msg_id == sent.id
    replied = await thanks.get_reply_message()
    assert replied.text == "answer" and replied.out


async def test_an_edit_by_the_phone_arrives_as_message_edited(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    new = Inbox(bot_client, events.NewMessage())
    edited = Inbox(bot_client, events.MessageEdited())
    phone = server.phone(ann)
    message = phone.send(bot, "typo")
    original = await new.next()

    phone.edit(message, "fixed")

    event = await edited.next()
    assert event.id == original.id
    assert event.raw_text == "fixed"
    assert event.message.edit_date is not None
    assert new.rest() == []


async def test_an_edit_by_the_client_reaches_the_phone(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account
) -> None:
    phone = server.phone(ann)
    sent = await bot_client.send_message("ann", "draft")
    [got] = await phone.wait_messages(1)

    edited = await bot_client.edit_message(sent, "final")

    await server.wait_until(lambda: got.message == "final")
    assert edited.text == "final" and edited.edit_date is not None
    assert got.edit_date is not None
    assert len(phone.received()) == 1


async def test_an_edit_that_changes_nothing_is_refused(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    sent = await bot_client.send_message("ann", "same")

    with pytest.raises(errors.MessageNotModifiedError):
        await bot_client.edit_message(sent, "same")


async def test_a_revoked_message_disappears_on_both_sides(
    server: TelegramServer, connect: Connect, ann: Account, bob: Account
) -> None:
    at_bob = await connect()
    await sign_in_user(at_bob, server, bob)
    at_ann = await connect()
    await sign_in_user(at_ann, server, ann)
    new = Inbox(at_ann, events.NewMessage(incoming=True))
    deleted = Inbox(at_ann, events.MessageDeleted())
    sent = await at_bob.send_message("ann", "oops")
    arrived = await new.next()

    await at_bob.delete_messages("ann", [sent.id])  # revoke: for both sides

    gone = await deleted.next()
    assert gone.deleted_ids == [arrived.id]
    assert arrived.id not in ann.messages
    assert sent.id not in bob.messages


async def test_a_group_message_reaches_every_member(
    server: TelegramServer, bot_client: Any, bot: Account, ann: Account, bob: Account
) -> None:
    group = server.world.add_group("Team", [bot, ann, bob])
    inbox = Inbox(bot_client, events.NewMessage())

    server.phone(ann).send(group, "hello team")
    event = await inbox.next()
    [at_bob] = await server.phone(bob).wait_messages(1)

    assert event.raw_text == "hello team"
    assert event.chat_id == -group.id and event.is_group
    assert event.sender_id == ann.id
    assert (await event.get_chat()).title == "Team"
    assert at_bob.message == "hello team"
    assert at_bob.peer_id == types.PeerChat(group.id)
    assert at_bob.from_id == types.PeerUser(ann.id)

    await bot_client.send_message(types.PeerChat(group.id), "hello from the bot")
    from_bot_ann = await server.phone(ann).wait_messages(1, sender=bot)
    from_bot_bob = await server.phone(bob).wait_messages(2)
    assert from_bot_ann[0].message == "hello from the bot"
    assert from_bot_bob[-1].message == "hello from the bot"
    assert from_bot_bob[-1].peer_id == types.PeerChat(group.id)


async def test_a_non_member_cannot_write_to_a_group(
    server: TelegramServer, bot_client: Any, ann: Account
) -> None:
    group = server.world.add_group("Private", [ann])

    with pytest.raises(errors.ChatIdInvalidError):
        await bot_client.send_message(types.PeerChat(group.id), "let me in")
    assert server.phone(ann).received() == []


async def test_a_message_sent_in_one_session_reaches_the_accounts_other_session(
    server: TelegramServer, connect: Connect, ann: Account, bob: Account
) -> None:
    laptop = await connect()
    await sign_in_user(laptop, server, bob)
    desktop = await connect()
    await sign_in_user(desktop, server, bob)
    on_laptop = Inbox(laptop, events.NewMessage())
    on_desktop = Inbox(desktop, events.NewMessage())

    sent = await laptop.send_message("ann", "from the laptop")

    echo = await on_desktop.next()
    assert (echo.raw_text, echo.out, echo.id) == ("from the laptop", True, sent.id)
    server.phone(ann).send(bob, "to both")
    assert (await on_desktop.next()).raw_text == "to both"
    assert (await on_laptop.next()).raw_text == "to both"  # nothing came before it
