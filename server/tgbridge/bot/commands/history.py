"""/history query (the store's full-text index) and /analytics (what the store counted)."""

from __future__ import annotations

import time

from tgbridge.bot.registry import Registry
from tgbridge.bot.request import Request
from tgbridge.bot.text import Text
from tgbridge.protocol import HistoryParams
from tgbridge.store.analytics import analytics, format_analytics
from tgbridge.telegram.render import parse_markdown

HISTORY_HITS = 10


def register(registry: Registry) -> None:
    @registry.command("history", "viewer", "Search the conversation", "query")
    async def history(request: Request) -> None:
        query = request.args
        if not query:
            await request.reply(Text().plain("Say what to look for: /history query").part())
            return
        found = request.bot.service.history(HistoryParams(search=query, limit=HISTORY_HITS))
        if not found.messages:
            await request.reply(Text().plain("Nothing in the history matches.").part())
            return
        names = {user.user_id: user.name for user in request.bot.access.users()}
        text = Text().bold(f"{len(found.messages)} matches").line(" (newest first):")
        for message in found.messages:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(message.date))
            who = "tgbridge" if message.outgoing else names.get(message.sender_id or 0, "someone")
            text.code(when).plain(f" {who}: ").line(" ".join(message.text.split())[:200])
        await request.reply(text.part())

    @registry.command("analytics", "viewer", "Messages, commands, reply time, waits, errors")
    async def analytics_(request: Request) -> None:
        account = request.bot.service.account
        periods = analytics(
            request.bot.service.db, account_id=account.id if account else 0, now=time.time()
        )
        await request.reply(parse_markdown(format_analytics(periods)))
