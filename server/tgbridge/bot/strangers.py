"""Strangers: pairing is the only way in; anything else gets the fixed refusal at most
(once an hour per person) and an audit row that says what kind of message it was, never
what it said. Nothing of theirs is stored."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tgbridge.bot.request import Choice
from tgbridge.bot.text import Text
from tgbridge.telegram.gateway import Incoming
from tgbridge.telegram.render import Part

if TYPE_CHECKING:
    from tgbridge.bot.phone import PhoneBot

REFUSAL = (
    "This bot is private. To pair a phone, run “tgbridge: Pair Phone” in the editor and "
    "send /start with the code it shows."
)


def arrived(bot: PhoneBot, incoming: Incoming) -> None:
    """A stranger's message in a private chat: a pairing attempt, or refused."""
    sender = incoming.sender_id
    assert sender is not None
    name, args = split_command(incoming.text) if bot.is_command(incoming) else ("", "")
    if name == "start" and args:
        outcome = bot.pairing.redeem(sender, incoming.sender_name or str(sender), args)
        if outcome.outcome == "owner":
            bot.paired(incoming.sender_name or str(sender), "owner")
            bot.spawn(_welcome_owner(bot, incoming.chat_id, sender))
            return
        if outcome.outcome == "pending" and outcome.request_id is not None:
            bot.spawn(_ask_owner(bot, incoming, outcome.request_id))
            return
    kind = f"command /{name}" if name else ("file" if incoming.file_pending else "message")
    bot.access.audit(sender, "stranger", "refused", kind)
    if bot.access.should_answer_refusal(sender):
        bot.spawn(_refuse(bot, incoming.chat_id))


def split_command(text: str) -> tuple[str, str]:
    """ "/Diff@my_bot src/a.py" -> ("diff", "src/a.py")."""
    head, _, args = text.strip().partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    return name, args.strip()


async def _refuse(bot: PhoneBot, chat_id: int) -> None:
    await bot.service.send_part(chat_id, Part(REFUSAL))


async def _welcome_owner(bot: PhoneBot, chat_id: int, user_id: int) -> None:
    text = Text().bold("Paired.").plain(" You are the owner of this bot. ")
    text.plain("/help lists what you can do from here.")
    await bot.send(user_id, chat_id, text.part())
    await bot.publish_menu()


async def _ask_owner(bot: PhoneBot, incoming: Incoming, request_id: int) -> None:
    await bot.service.send_part(
        incoming.chat_id, Part("The owner was asked to let you in; you will hear back here.")
    )
    name = incoming.sender_name or str(incoming.sender_id)
    text = Text().plain("A phone asks to pair: ").bold(name)
    text.plain(f" (Telegram id {incoming.sender_id}). Let them in?")
    approve = {"id": request_id}
    await bot.tell_owner(
        text.part(),
        buttons=[
            [
                Choice("Collaborator", "pair.approve", {**approve, "role": "collaborator"}),
                Choice("Viewer", "pair.approve", {**approve, "role": "viewer"}),
            ],
            [Choice("Deny", "pair.deny", approve)],
        ],
    )
