"""Agents waiting for a human, on the phone. Each ask is bound to the agent's own call
(`key`: asked again, it is the same ask), carries a digest of what is approved, expires,
and is answered once: by a button (single-use, bound to its person and message; every
paired person sees the ask, a collaborator or the owner may answer it) or a
reply to its message; the first answer wins, a late one is refused and says so. When the
agent stops waiting, the phone message is edited to say the ask is stale."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tgbridge.agents.rules import verdict
from tgbridge.bot.request import Choice, Keyboard, PressRequest
from tgbridge.bot.text import Text
from tgbridge.methods import AGENT_ASKED
from tgbridge.protocol import AgentAnswer, AgentAskedParams, AgentAskParams, AskOutcome
from tgbridge.security.roles import allows
from tgbridge.telegram.gateway import Incoming
from tgbridge.telegram.render import Part

if TYPE_CHECKING:
    from tgbridge.bot.phone import PhoneBot

AWAY = "away"
ALWAYS = "agent_always"
KEEP_FINISHED = 500  # answered asks remembered (a retried hook gets the same answer)
INLINE_DETAILS = 3000  # longer details (a big diff) also go as a document
STOPPED_WAITING = "the agent stopped waiting"


@dataclass
class Ask:
    id: str
    params: AgentAskParams
    digest: str
    asked_at: float
    expires_at: float
    answer: asyncio.Future[AgentAnswer]
    # Where it was shown: (chat, message) per paired person; the owner's first.
    shown: list[tuple[int, int]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class Asks:
    def __init__(self, bot: PhoneBot) -> None:
        self._bot = bot
        self._by_id: dict[str, Ask] = {}
        self._by_key: dict[str, Ask] = {}
        self._by_message: dict[tuple[int, int], Ask] = {}

    # ---- the agent's side ------------------------------------------------------------

    async def ask(self, params: AgentAskParams) -> AgentAnswer:
        known = self._by_key.get(params.key)
        if known is not None:
            return await self._wait(known, params.wait_seconds)
        decided = self._decide(params)
        if decided is not None:
            return decided
        account = self._bot.service.account
        owner = self._bot.access.owner()
        if account is None or not account.bot or owner is None:
            return AgentAnswer(
                id="", outcome="not_paired", detail="No phone is paired (tgbridge: Pair Phone)."
            )
        loop = asyncio.get_running_loop()
        now = time.time()
        ask = Ask(
            id=uuid.uuid4().hex,
            params=params,
            digest=_digest(params),
            asked_at=now,
            expires_at=now + params.timeout_seconds,
            answer=loop.create_future(),
        )
        self._remember(ask)
        ask.timer = loop.call_later(params.timeout_seconds, self._expire, ask)
        people = [u.user_id for u in self._bot.access.users()]  # owner first
        await asyncio.gather(*(self._post(ask, person) for person in people))
        return await self._wait(ask, params.wait_seconds)

    async def wait(self, ask_id: str, wait_seconds: float) -> AgentAnswer:
        ask = self._by_id.get(ask_id)
        if ask is None:
            return AgentAnswer(id=ask_id, outcome="timeout", detail="No such request (expired).")
        return await self._wait(ask, wait_seconds)

    def cancel(self, ask_id: str) -> AgentAnswer:
        """The agent stopped waiting (an MCP client cancelled): the ask ends as timed out
        and its phone message says so. Answers how the ask ended."""
        ask = self._by_id.get(ask_id)
        if ask is None:
            return AgentAnswer(id=ask_id, outcome="timeout", detail="No such request (expired).")
        if not ask.answer.done():
            answer = AgentAnswer(id=ask.id, outcome="timeout", detail=STOPPED_WAITING)
            self._finish(ask, answer)
            self._bot.spawn(self._settle(ask, answer, None))
        return ask.answer.result()

    def waiting(self) -> list[Ask]:
        return [ask for ask in self._by_id.values() if not ask.answer.done()]

    def stop(self) -> None:
        for ask in self.waiting():
            self._finish(ask, AgentAnswer(id=ask.id, outcome="timeout", detail="tgbridge stopped"))

    # ---- the phone's side ------------------------------------------------------------

    async def pressed(self, press: PressRequest) -> str:
        ask = self._by_id.get(str(press.payload.get("ask")))
        if ask is None or ask.answer.done():
            return "This request is no longer waiting."
        if press.payload.get("digest") != ask.digest:
            return "This request changed; it was not answered."
        choice = str(press.payload.get("choice"))
        outcome: AskOutcome = "answer"
        text: str | None = choice
        if ask.params.kind == "approval":
            outcome = "deny" if choice == "deny" else "allow"
            text = None
            if choice == "always" and ask.params.command:
                self._always_allow(ask.params.command)
        answer = AgentAnswer(id=ask.id, outcome=outcome, text=text, by=press.user.name)
        self._finish(ask, answer)
        await self._settle(ask, answer, press)
        return _said(answer)

    def replied(self, incoming: Incoming) -> bool:
        """A reply to a waiting ask's message: its text is the answer (the next prompt
        for a stopped agent). True when it answered one."""
        if incoming.reply_to is None:
            return False
        ask = self._by_message.get((incoming.chat_id, incoming.reply_to))
        user = self._bot.user(incoming.sender_id or 0)
        if ask is None or ask.answer.done() or user is None:
            return False
        if not allows(user.role, "collaborator") or not incoming.text.strip():
            return False
        answer = AgentAnswer(id=ask.id, outcome="answer", text=incoming.text, by=user.name)
        self._finish(ask, answer)
        self._bot.spawn(self._settle(ask, answer, None))
        return True

    # ---- internals ---------------------------------------------------------------------

    def _decide(self, params: AgentAskParams) -> AgentAnswer | None:
        """The owner's rules first (a blocked command is denied without asking); then,
        unless away, the agent's own prompt decides."""
        if params.kind == "approval":
            rules = self._bot.hub.settings().agent_rules
            always = self._always()
            found = verdict(params.command, deny=rules.deny, allow=[*rules.allow, *always])
            if found == "deny":
                return AgentAnswer(id="", outcome="deny", detail="Blocked by tgbridge's rules.")
            if found == "allow":
                return AgentAnswer(id="", outcome="allow", detail="Allowed by the owner's rules.")
        if params.only_if_away and not self.away:
            return AgentAnswer(id="", outcome="present", detail="The owner is at the editor.")
        return None

    @property
    def away(self) -> bool:
        return self._bot.preferences.get(AWAY) == "1"

    def set_away(self, away: bool) -> None:
        self._bot.preferences.set(AWAY, "1" if away else None)

    def _always(self) -> list[str]:
        return list(json.loads(self._bot.preferences.get(ALWAYS) or "[]"))

    def _always_allow(self, command: str) -> None:
        patterns = self._always()
        if command not in patterns:
            self._bot.preferences.set(ALWAYS, json.dumps([*patterns, command][-200:]))

    async def _wait(self, ask: Ask, wait_seconds: float | None) -> AgentAnswer:
        if wait_seconds is None:
            return await asyncio.shield(ask.answer)
        try:
            return await asyncio.wait_for(asyncio.shield(ask.answer), wait_seconds)
        except TimeoutError:
            return AgentAnswer(id=ask.id, outcome="pending", detail="Still waiting on the phone.")

    async def answer_in_editor(
        self, ask_id: str, outcome: AskOutcome, text: str | None
    ) -> AgentAnswer:
        """Answered in an editor window; the phone's message then says so."""
        ask = self._by_id.get(ask_id)
        if ask is None or ask.answer.done():
            done = ask.answer.result() if ask is not None else None
            detail = "Already answered" + (f": {_said(done)}" if done else "") + "."
            return AgentAnswer(id=ask_id, outcome="timeout", detail=detail)
        answer = AgentAnswer(id=ask.id, outcome=outcome, text=text, by="the editor")
        self._finish(ask, answer)
        self._bot.spawn(self._settle(ask, answer, None))
        return answer

    async def _post(self, ask: Ask, person: int) -> None:
        """Shows the ask to one paired person: everyone sees it; only a collaborator or
        the owner can answer (the button's action needs that role)."""
        params = ask.params
        if person == self._owner_id():
            self._tell_editor(ask)
        part, keyboard = _message(ask)
        if len(params.details) > INLINE_DETAILS:  # the whole diff as a document first
            name = "changes.diff" if _is_diff(params.details) else "details.txt"
            await self._bot.send(
                person,
                person,
                Text().plain(f"{params.agent}: {params.title}").part(),
                file_name=name,
                document_above=1,
                content=params.details,
            )
        send_id = await self._bot.send(person, person, part, buttons=keyboard)
        message_id = await self._bot.message_id(send_id)
        if message_id is not None:
            ask.shown.append((person, message_id))
            self._by_message[(person, message_id)] = ask
            if ask.answer.done():  # answered or expired before its id was known
                await self._settle_one(ask, ask.answer.result(), person, message_id)

    def _owner_id(self) -> int | None:
        owner = self._bot.access.owner()
        return owner.user_id if owner else None

    def _tell_editor(self, ask: Ask) -> None:
        params = ask.params
        self._bot.hub.tell_windows(
            AGENT_ASKED,
            AgentAskedParams(
                id=ask.id,
                agent=params.agent,
                kind=params.kind,
                title=params.title,
                command=params.command,
                details=params.details[:2000],
                options=params.options,
                workspace=params.workspace,
            ).to_wire(),
        )

    def _expire(self, ask: Ask) -> None:
        if ask.answer.done():
            return
        answer = AgentAnswer(
            id=ask.id, outcome="timeout", detail="Nobody answered in time; the agent decides."
        )
        self._finish(ask, answer)
        self._bot.spawn(self._settle(ask, answer, None))

    def _finish(self, ask: Ask, answer: AgentAnswer) -> None:
        if ask.timer is not None:
            ask.timer.cancel()
        if not ask.answer.done():
            ask.answer.set_result(answer)

    async def _settle(self, ask: Ask, answer: AgentAnswer, press: PressRequest | None) -> None:
        """Every phone message of the ask says how it ended, without its buttons."""
        for chat_id, message_id in ask.shown:
            if press is not None and (chat_id, message_id) == (press.chat_id, press.message_id):
                await press.edit(_ended(ask, answer))
            else:
                await self._settle_one(ask, answer, chat_id, message_id)

    async def _settle_one(
        self, ask: Ask, answer: AgentAnswer, chat_id: int, message_id: int
    ) -> None:
        await self._bot.edit(chat_id, chat_id, message_id, _ended(ask, answer))

    def _remember(self, ask: Ask) -> None:
        self._by_id[ask.id] = ask
        self._by_key[ask.params.key] = ask
        finished = [a for a in self._by_id.values() if a.answer.done()]
        for old in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            self._by_id.pop(old.id, None)
            self._by_key.pop(old.params.key, None)
            for shown in old.shown:
                self._by_message.pop(shown, None)


def _ended(ask: Ask, answer: AgentAnswer) -> Part:
    text = Text().plain(f"{ask.params.agent}: {ask.params.title}").line()
    waited = int(time.time() - ask.asked_at)
    return text.bold(_said(answer)).plain(f" (after {waited} s)").part()


def _digest(params: AgentAskParams) -> str:
    fields: dict[str, Any] = {
        "kind": params.kind,
        "title": params.title,
        "details": params.details,
        "command": params.command,
        "options": params.options,
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def _message(ask: Ask) -> tuple[Any, Keyboard]:
    params = ask.params
    where = f" in {params.workspace}" if params.workspace else ""
    asked = time.strftime("%H:%M:%S", time.localtime(ask.asked_at))
    text = Text().bold(f"{params.agent}{where}").plain(f" · asked at {asked}").line()
    text.line(params.title)
    if params.command:
        text.pre(params.command, "bash")
        text.line()
    if params.details:
        language = "diff" if _is_diff(params.details) else ""
        if len(params.details) > INLINE_DETAILS:
            text.line(
                _diff_summary(params.details) if language else "(long: the full text follows)"
            )
        text.pre(params.details[:INLINE_DETAILS], language)
        text.line()
    base = {"ask": ask.id, "digest": ask.digest}
    if params.kind == "approval":
        keyboard: Keyboard = [
            [
                Choice("Allow", "agent.answer", {**base, "choice": "allow"}),
                Choice("Deny", "agent.answer", {**base, "choice": "deny"}),
            ]
        ]
        if params.command:
            keyboard.append(
                [Choice("Always allow this command", "agent.answer", {**base, "choice": "always"})]
            )
        return text.part(), keyboard
    if params.kind == "question":
        text.plain("Answer with a button, or reply to this message.")
        rows = [[Choice(o[:60], "agent.answer", {**base, "choice": o})] for o in params.options[:8]]
        return text.part(), rows
    text.plain("Reply to this message to continue; the agent stops otherwise.")
    return text.part(), []


def _is_diff(text: str) -> bool:
    return text.startswith(("diff ", "--- ", "@@"))


def _diff_summary(diff: str) -> str:
    """ "3 file(s), +120 -8" for a unified diff."""
    lines = diff.splitlines()
    files = sum(1 for line in lines if line.startswith("+++ "))
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    return f"{max(files, 1)} file(s), +{added} -{removed}; the whole diff is the document above."


def _said(answer: AgentAnswer) -> str:
    by = f" by {answer.by}" if answer.by else ""
    if answer.outcome == "allow":
        return f"✔ Allowed{by}"
    if answer.outcome == "deny":
        return f"✖ Denied{by}"
    if answer.outcome == "answer":
        return f"✔ Answered{by}: {(answer.text or '')[:200]}"
    if answer.detail == STOPPED_WAITING:
        return "⌛ The agent stopped waiting"
    return "⌛ The agent stopped waiting: no answer in time"
