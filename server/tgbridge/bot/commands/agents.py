"""/away, /back and /agents: whether agents' questions come to the phone, and who waits;
and the buttons that answer an agent."""

from __future__ import annotations

import time

from tgbridge.bot.registry import Registry
from tgbridge.bot.request import PressRequest, Request
from tgbridge.bot.text import Text
from tgbridge.methods import OPEN_AGENT_CHAT


def register(registry: Registry) -> None:
    @registry.command("away", "collaborator", "Send the agents' questions to the phone")
    async def away(request: Request) -> None:
        request.bot.asks.set_away(True)
        text = Text().plain("Away: agents' permission requests and questions come here. ")
        await request.reply(text.plain("/back when you are at the editor again.").part())

    @registry.command("back", "collaborator", "Agents ask in the editor again")
    async def back(request: Request) -> None:
        request.bot.asks.set_away(False)
        await request.reply(Text().plain("Back: the agents ask in the editor again.").part())

    @registry.command("agents", "viewer", "The agents waiting for an answer")
    async def agents(request: Request) -> None:
        waiting = request.bot.asks.waiting()
        mode = "away (questions come here)" if request.bot.asks.away else "at the editor"
        text = Text().plain("You are ").bold(mode).line(".")
        if not waiting:
            text.plain("No agent is waiting.")
        for ask in waiting:
            params = ask.params
            since = int(time.time() - ask.asked_at)
            where = f" in {params.workspace}" if params.workspace else ""
            text.line(f"• {params.agent}{where}: {params.title[:100]} (waiting {since} s)")
        await request.reply(text.part())

    @registry.command("chat", "collaborator", "Ask the editor's agent (opens its chat)", "prompt")
    async def chat(request: Request) -> None:
        if not request.args:
            await request.reply(Text().plain("Say what to ask: /chat fix the failing test").part())
            return
        told = request.bot.hub.tell_windows(OPEN_AGENT_CHAT, {"query": request.args[:4000]})
        if told:
            await request.reply(Text().plain("Opened the agent chat in the editor.").part())
        else:
            await request.reply(Text().plain("No editor window is open.").part())

    @registry.action("agent.answer", "collaborator")
    async def answer(press: PressRequest) -> str:
        return await press.bot.asks.pressed(press)
