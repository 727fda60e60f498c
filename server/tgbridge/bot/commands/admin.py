"""The owner's commands: /audit and /users, and approving phones that ask to pair."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tgbridge.bot.registry import Registry
from tgbridge.bot.request import Choice, Keyboard, PressRequest, Request
from tgbridge.bot.text import Text
from tgbridge.security.access import AccessError
from tgbridge.security.roles import parse_role
from tgbridge.telegram.render import Part

if TYPE_CHECKING:
    from tgbridge.bot.phone import PhoneBot

AUDIT_ROWS = 25


def register(registry: Registry) -> None:
    @registry.command("audit", "owner", "Who did what, and what was refused")
    async def audit(request: Request) -> None:
        rows = request.bot.access.audit_log(limit=AUDIT_ROWS)
        if not rows:
            await request.reply(Text().plain("The audit log is empty.").part())
            return
        names = {user.user_id: user.name for user in request.bot.access.users()}
        text = Text().bold(f"The last {len(rows)} audit entries").line(" (newest first):")
        for row in rows:
            when = time.strftime("%m-%d %H:%M", time.localtime(row.at))
            who = names.get(row.user_id or 0) or (str(row.user_id) if row.user_id else "editor")
            text.code(when).plain(f" {who} · {row.action} · {row.outcome}")
            if row.detail:
                text.plain(f" · {row.detail[:80]}")
            text.line()
        await request.reply(text.part())

    @registry.command("users", "owner", "Who may use this bot; change roles")
    async def users(request: Request) -> None:
        part, keyboard = _users(request.bot)
        await request.reply(part, buttons=keyboard)

    @registry.action("users.role", "owner")
    async def change_role(press: PressRequest) -> str:
        role = parse_role(str(press.payload.get("role", "")))
        user_id = int(press.payload.get("user", 0))
        if role is None:
            return "Unknown role."
        try:
            user = press.bot.access.set_role(user_id, role)
        except AccessError as error:
            return error.message
        await _refresh(press)
        await press.bot.publish_menu()
        return f"{user.name} is now a {role}."

    @registry.action("users.remove", "owner")
    async def remove(press: PressRequest) -> str:
        user_id = int(press.payload.get("user", 0))
        try:
            press.bot.access.remove(user_id)
        except AccessError as error:
            return error.message
        await _refresh(press)
        await press.bot.publish_menu()
        return "Removed."

    @registry.action("pair.approve", "owner")
    async def approve(press: PressRequest) -> str:
        role = parse_role(str(press.payload.get("role", "")))
        if role is None:
            return "Unknown role."
        try:
            user = press.bot.pairing.approve(int(press.payload.get("id", 0)), role)
        except AccessError as error:
            return error.message
        press.bot.paired(user.name, role)
        await press.edit(Text().plain(f"{user.name} may now use this bot as a {role}.").part())
        await press.bot.send(
            user.user_id,
            user.user_id,
            Text().bold("You are in").plain(f", as a {role}. /help lists what you can do.").part(),
        )
        await press.bot.publish_menu()
        return "Approved."

    @registry.action("pair.deny", "owner")
    async def deny(press: PressRequest) -> str:
        try:
            press.bot.pairing.deny(int(press.payload.get("id", 0)))
        except AccessError as error:
            return error.message
        await press.edit(Text().plain("Pairing denied.").part())
        return "Denied."


async def _refresh(press: PressRequest) -> None:
    part, keyboard = _users(press.bot)
    await press.edit(part, buttons=keyboard)


def _users(bot: PhoneBot) -> tuple[Part, Keyboard]:
    text = Text().bold("People who may use this bot").line(":")
    keyboard: Keyboard = []
    for user in bot.access.users():
        text.plain(f"{user.name} ").code(str(user.user_id)).line(f" — {user.role}")
        if user.role == "owner":
            continue
        other = "viewer" if user.role == "collaborator" else "collaborator"
        keyboard.append(
            [
                Choice(
                    f"{user.name}: make {other}",
                    "users.role",
                    {"user": user.user_id, "role": other},
                ),
                Choice(f"Remove {user.name}", "users.remove", {"user": user.user_id}),
            ]
        )
    pending = bot.pairing.pending()
    if pending:
        text.line().bold("Waiting to pair").line(":")
        for request in pending:
            text.line(f"{request.name} ({request.user_id})")
            keyboard.append(
                [
                    Choice(
                        f"Let {request.name} in",
                        "pair.approve",
                        {"id": request.id, "role": "viewer"},
                    ),
                    Choice("Deny", "pair.deny", {"id": request.id}),
                ]
            )
    return text.part(), keyboard
