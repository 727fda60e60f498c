"""/ask, /review, /explain and /commit: a language model answers from the workspace's
diff and files, read through the path guard (deny globs never leave the machine). The
answer streams into one message, edited at a limited rate; a "What was sent" button lists
the context. /commit (owner) shows a message for the staged changes with Commit / Edit /
Cancel; Commit runs git only if the staged changes are still those the message is for."""

from __future__ import annotations

import asyncio
import copy
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tgbridge.bot.commands.files import split_range
from tgbridge.bot.commands.guarded import guard_for
from tgbridge.bot.live import LiveMessage
from tgbridge.bot.registry import Registry
from tgbridge.bot.request import Choice, Keyboard, PressRequest, Request
from tgbridge.bot.text import Text
from tgbridge.llm import prompts
from tgbridge.llm.context import Context, ContextItem, build_context, paths_named_in
from tgbridge.llm.errors import LlmError
from tgbridge.llm.tokens import cap, estimate_tokens
from tgbridge.llm.types import LlmRequest, LlmResult
from tgbridge.security.paths import PathGuard, PathRefused
from tgbridge.telegram.render import TEXT_LIMIT, Part, parse_markdown

if TYPE_CHECKING:
    from tgbridge.bot.phone import PhoneBot

DIFF_BYTES = 400_000  # read of the diff; the context's token cap cuts it further
ANSWER_EDIT_SECONDS = 1.5  # between edits of a streaming answer
ANSWER_ROOM = TEXT_LIMIT - 400  # the answer's part of the message; the rest: the footer
FILES_FROM_DIFF = 5  # changed files whose content joins the diff in /ask's context
SHOWN_CONTEXT = 30  # lines of "What was sent"


def register(registry: Registry) -> None:
    @registry.command("ask", "collaborator", "Ask a language model about the workspace", "question")
    async def ask(request: Request) -> None:
        question = request.args.strip()
        if not question:
            await request.reply(Text().plain("Ask something: /ask why does the login fail?").part())
            return
        guard, folder = _guard(request)
        diff = await _changes(request, folder)
        named = paths_named_in(question)
        changed = [p for p in paths_named_in(diff) if p not in named][:FILES_FROM_DIFF]
        context = _context(request, guard, diff=diff, paths=[*named, *changed])
        limit = request.bot.models.settings.max_answer_tokens
        await _answer(request, prompts.ask(question, context, max_tokens=limit), context)

    @registry.command(
        "review", "collaborator", "A review of the current diff, or of one file", "[path]"
    )
    async def review(request: Request) -> None:
        guard, folder = _guard(request)
        path = request.args.strip()
        if path:
            try:
                guard.resolve(path)
            except PathRefused as refused:
                request.audit("refused", refused.reason)
                await request.reply(Text().plain(f"Cannot review {path}: {refused.reason}").part())
                return
            context = _context(request, guard, paths=[path])
        else:
            diff = await _changes(request, folder)
            if not diff.strip():
                await request.reply(Text().plain("Nothing has changed: no diff to review.").part())
                return
            context = _context(request, guard, diff=diff)
        limit = request.bot.models.settings.max_answer_tokens
        await _answer(request, prompts.review(context, max_tokens=limit), context)

    @registry.command(
        "explain", "collaborator", "Explain a file or some of its lines", "path[:start-end]"
    )
    async def explain(request: Request) -> None:
        if not request.args.strip():
            await request.reply(
                Text().plain("Say what to explain: /explain src/app.py:10-40").part()
            )
            return
        guard, _ = _guard(request)
        requested, lines = split_range(request.args)
        try:
            guarded, content = guard.read_text(requested)
        except PathRefused as refused:
            request.audit("refused", refused.reason)
            await request.reply(Text().plain(f"Cannot explain that file: {refused.reason}").part())
            return
        all_lines = content.splitlines()
        start, end = lines or (1, len(all_lines))
        end = min(end, len(all_lines))
        label = f"{guarded.relative}:{start}-{end}"
        numbered = "\n".join(f"{n:>5}  {all_lines[n - 1]}" for n in range(start, end + 1))
        settings = request.bot.models.settings
        code, cut = cap(numbered, settings.max_context_tokens)
        sent = Context(
            text=code, items=(ContextItem(label, estimate_tokens(code), cut),), dropped=()
        )
        llm_request = prompts.explain(label, code, max_tokens=settings.max_answer_tokens)
        await _answer(request, llm_request, sent)

    @registry.command("commit", "owner", "A commit message for the staged changes", "[message]")
    async def commit(request: Request) -> None:
        guard, folder = _guard(request)
        if folder is None:
            await request.reply(Text().plain("No workspace is open.").part())
            return
        state = request.bot.hub.workspaces.state(folder)
        staged = await asyncio.to_thread(state.staged_diff, DIFF_BYTES)
        if not staged.strip():
            await request.reply(Text().plain(f"Nothing is staged in {folder.name}.").part())
            return
        given = request.args.strip()
        if given:  # the owner's own message: only confirmed
            await request.reply(
                _commit_offer(folder, given, "your message"),
                buttons=_commit_buttons(folder, staged, given),
            )
            return
        context = _context(request, guard, diff=staged)
        if not context.text:
            await request.reply(
                Text().plain("The staged changes are all in files tgbridge may not send.").part()
            )
            return
        limit = request.bot.models.settings.max_answer_tokens
        await _answer(
            request,
            prompts.commit(context, max_tokens=min(limit, 400)),
            context,
            commit_of=(folder, staged),
        )

    @registry.action("llm.context", "collaborator")
    async def what_was_sent(press: PressRequest) -> str:
        await press.reply(_context_report(press.payload))
        return ""

    @registry.action("commit.do", "owner")
    async def commit_now(press: PressRequest) -> str:
        folder = Path(str(press.payload.get("folder")))
        message = str(press.payload.get("message") or "")
        if folder not in press.bot.hub.folders() or not message:
            await press.edit(Part("That workspace is no longer open: not committed."))
            return "Not committed."
        state = press.bot.hub.workspaces.state(folder)
        staged = await asyncio.to_thread(state.staged_diff, DIFF_BYTES)
        if _digest(staged) != press.payload.get("digest"):
            await press.edit(
                Part(
                    "The staged changes changed since this message was written: run /commit again."
                )
            )
            return "Changed: not committed."
        done, output = await asyncio.to_thread(state.commit, message)
        if not done:
            await press.edit(Text().plain("git commit failed: ").plain(output[:500]).part())
            return "Not committed."
        subject = message.splitlines()[0]
        await press.edit(Text().plain(f"Committed in {folder.name}: ").bold(subject).part())
        return "Committed."

    @registry.action("commit.edit", "owner")
    async def commit_edit(press: PressRequest) -> str:
        message = str(press.payload.get("message") or "")
        text = Text().plain("To commit with your own words, send /commit and the message:")
        text.line().pre(f"/commit {message}")
        await press.reply(text.part())
        return ""

    @registry.action("commit.cancel", "owner")
    async def commit_cancel(press: PressRequest) -> str:
        await press.edit(Part("Not committed."))
        return "Cancelled."


# ---- the answer ------------------------------------------------------------------------


async def _answer(
    request: Request,
    llm_request: LlmRequest,
    context: Context,
    *,
    commit_of: tuple[Path, str] | None = None,
) -> None:
    """A placeholder now; the model's answer streams into it from a task of its own (a
    long answer must not hold up the chat's other commands)."""
    models = request.bot.models
    providers = [
        p.name for p in models.settings.providers if p.tasks is None or llm_request.task in p.tasks
    ]
    waiting = f"Asking {providers[0]}…" if providers else "Asking…"
    send_id = await request.reply(Text().italic(waiting).part())
    request.bot.spawn(_stream(request, send_id, llm_request, context, commit_of))


async def _stream(
    request: Request,
    send_id: int,
    llm_request: LlmRequest,
    context: Context,
    commit_of: tuple[Path, str] | None,
) -> None:
    bot, user_id, chat_id = request.bot, request.user.user_id, request.chat_id
    message_id = await bot.message_id(send_id)

    async def edit(part: Part) -> None:
        if message_id is not None:
            await bot.service.edit_part(chat_id, message_id, part)

    final_buttons: Keyboard = []

    async def final(part: Part) -> None:
        if message_id is None:  # the placeholder never went out: the answer goes as new
            await bot.send(user_id, chat_id, part, buttons=final_buttons)
        else:
            await bot.edit(user_id, chat_id, message_id, part, buttons=final_buttons)

    live = LiveMessage(edit, final=final, interval=ANSWER_EDIT_SECONDS)
    try:
        result = await bot.models.stream(llm_request, lambda text: live.update(_streaming(text)))
    except LlmError as error:
        await live.finish(_failed(error, context))
        return
    except asyncio.CancelledError:
        await asyncio.shield(live.finish(Part("Stopped: tgbridge stopped.")))
        raise
    final_buttons.append([Choice("What was sent", "llm.context", _context_payload(context))])
    if commit_of is not None:
        folder, staged = commit_of
        message = clean_commit_message(result.text)
        final_buttons[:0] = _commit_buttons(folder, staged, message)
        await live.finish(_commit_offer(folder, message, _footer_text(result)))
        return
    await live.finish(_final(result, context))
    if len(result.text) > ANSWER_ROOM:
        await bot.send(
            user_id,
            chat_id,
            Text().plain("The whole answer").part(),
            document_above=1,
            content=result.text,
            file_name=f"{llm_request.task}.md",
        )


def _streaming(text: str) -> Part:
    shown = text if len(text) <= ANSWER_ROOM else text[:ANSWER_ROOM] + "…"
    return Part(shown or "…")


def _final(result: LlmResult, context: Context) -> Part:
    answer = result.text.strip() or "(the model gave an empty answer)"
    if len(answer) > ANSWER_ROOM:
        answer = answer[:ANSWER_ROOM] + "… (the whole answer follows as a file)"
    try:
        part = parse_markdown(answer)
    except Exception:  # whatever the model wrote, the user sees it
        part = Part(answer)
    footer = Text().line().line().italic(_footer_text(result) + _cut_note(context)).part()
    return _join(part, footer)


def _failed(error: LlmError, context: Context) -> Part:
    text = Text().plain(error.message)
    if error.kind == "context_too_large":
        text.line().plain(_cut_note(context).strip() or "Ask about fewer files.")
    return text.part()


def _footer_text(result: LlmResult) -> str:
    tokens = ""
    if result.input_tokens is not None or result.output_tokens is not None:
        tokens = f", {result.input_tokens or 0} → {result.output_tokens or 0} tokens"
    return f"{result.provider} ({result.model}), {result.latency_ms / 1000:.1f} s{tokens}"


def _cut_note(context: Context) -> str:
    cut = [item.label for item in context.items if item.cut]
    notes = []
    if cut:
        notes.append("cut to fit: " + ", ".join(cut))
    if context.dropped:
        notes.append(f"{len(context.dropped)} left out")
    return (" · " + "; ".join(notes)) if notes else ""


def _join(first: Part, second: Part) -> Part:
    shift = first.length
    moved = []
    for entity in second.entities:
        shifted = copy.copy(entity)
        shifted.offset += shift
        moved.append(shifted)
    return Part(first.text + second.text, [*first.entities, *moved])


# ---- the context -----------------------------------------------------------------------


def _guard(request: Request) -> tuple[PathGuard, Path | None]:
    guard = guard_for(request)
    return guard, (guard.folders[0] if guard.folders else None)


async def _changes(request: Request, folder: Path | None) -> str:
    if folder is None:
        return ""
    state = request.bot.hub.workspaces.state(folder)
    return await asyncio.to_thread(state.changes_diff, DIFF_BYTES)


def _context(
    request: Request, guard: PathGuard, *, diff: str = "", paths: list[str] | None = None
) -> Context:
    context = build_context(
        guard,
        diff=diff,
        paths=paths or [],
        max_tokens=request.bot.models.settings.max_context_tokens,
    )
    for dropped in context.dropped:
        request.audit("left out of context", dropped[:200])
    return context


def _context_payload(context: Context) -> dict[str, Any]:
    return {
        "items": [[item.label, item.tokens, item.cut] for item in context.items][:SHOWN_CONTEXT],
        "dropped": list(context.dropped)[:SHOWN_CONTEXT],
    }


def _context_report(payload: dict[str, Any]) -> Part:
    text = Text().bold("What was sent to the model").line()
    items = payload.get("items") or []
    if not items:
        text.line("Only the question: no workspace content.")
    for label, tokens, cut in items:
        text.plain("• ").code(str(label)).line(
            f" about {tokens} tokens" + (", cut to fit" if cut else "")
        )
    dropped = payload.get("dropped") or []
    if dropped:
        text.bold("Not sent").line()
        for line in dropped:
            text.line(f"• {line}")
    return text.part()


# ---- commits ---------------------------------------------------------------------------


def _digest(staged: str) -> str:
    return hashlib.sha256(staged.encode()).hexdigest()[:16]


def _commit_buttons(folder: Path, staged: str, message: str) -> Keyboard:
    payload = {"folder": str(folder), "digest": _digest(staged), "message": message}
    return [
        [
            Choice("Commit", "commit.do", payload),
            Choice("Edit", "commit.edit", {"message": message}),
            Choice("Cancel", "commit.cancel", {}),
        ]
    ]


def _commit_offer(folder: Path, message: str, source: str) -> Part:
    text = Text().plain("Commit the staged changes in ").bold(folder.name).line(" with:")
    text.pre(message).line().italic(source)
    return text.part()


def clean_commit_message(text: str) -> str:
    """The model's answer as a commit message: no code fence or quotes around it, no
    trailing spaces, one blank line after the subject."""
    lines = text.strip().strip('"').splitlines()
    if lines and lines[0].startswith("```"):
        lines = lines[1:]
    if lines and lines[-1].startswith("```"):
        lines = lines[:-1]
    lines = [line.rstrip() for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    if len(lines) > 1 and lines[1]:
        lines.insert(1, "")
    return "\n".join(lines).strip() or "Update"


async def editor_commit_message(bot: PhoneBot, folder: Path) -> tuple[str, str, list[str]]:
    """For the editor's Source Control view: (message, provider, what was left out) for
    what is staged in `folder`; raises LlmError, or ValueError when nothing is staged."""
    state = bot.hub.workspaces.state(folder)
    staged = await asyncio.to_thread(state.staged_diff, DIFF_BYTES)
    if not staged.strip():
        raise ValueError(f"Nothing is staged in {folder.name}: stage changes first.")
    guard = PathGuard(
        [folder], state_dir=bot.hub.state_dir, deny_globs=bot.hub.settings().deny_globs
    )
    settings = bot.models.settings
    context = build_context(guard, diff=staged, max_tokens=settings.max_context_tokens)
    if not context.text:
        raise ValueError("The staged changes are all in files tgbridge may not send.")
    request = prompts.commit(context, max_tokens=min(settings.max_answer_tokens, 400))
    result = await bot.models.stream(request, lambda _text: None)
    cut = [f"{item.label}: cut to fit" for item in context.items if item.cut]
    return clean_commit_message(result.text), result.provider, [*cut, *context.dropped]
