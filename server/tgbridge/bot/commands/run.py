"""/run: the owner's declared tasks (tgbridge.tasks), never a shell. The phone picks a
name; a confirmation with an inline keyboard comes first; the output's tail follows in
one edited message; the end says the exit code and duration, with the full log attached."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from tgbridge.bot.live import LiveMessage
from tgbridge.bot.registry import Registry
from tgbridge.bot.request import Choice, Keyboard, PressRequest, Request
from tgbridge.bot.text import Text
from tgbridge.security.access import User
from tgbridge.tasks.runner import TaskResult, run_task
from tgbridge.tasks.spec import TaskSpec, find
from tgbridge.telegram.render import Part

CONFIRM_SECONDS = 300
NO_TASKS = (
    "No tasks are declared. The owner adds them to tgbridge.tasks in the editor's user "
    "settings (name, argv, cwd, timeout)."
)


@dataclass
class Running:
    spec: TaskSpec
    user: User
    cancel: asyncio.Event = field(default_factory=asyncio.Event)


def digest(spec: TaskSpec) -> str:
    """What a confirmation approves: the task exactly as declared when it was asked."""
    blob = json.dumps(spec.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def register(registry: Registry) -> None:
    @registry.command("run", "collaborator", "Run a declared task", "[name]")
    async def run(request: Request) -> None:
        tasks = request.bot.hub.settings().tasks
        if not tasks:
            await request.reply(Part(NO_TASKS))
            return
        if not request.args:
            await request.reply(Part("Which task?"), buttons=_task_buttons(tasks))
            return
        spec = find(tasks, request.args.strip())
        if spec is None:
            await request.reply(
                Text().plain("There is no task ").code(request.args[:64]).plain(".").part(),
                buttons=_task_buttons(tasks),
            )
            return
        part, keyboard = _confirmation(request.bot.hub.folders(), spec)
        await request.reply(part, buttons=keyboard)

    @registry.action("run.ask", "collaborator")
    async def ask(press: PressRequest) -> str:
        spec = find(press.bot.hub.settings().tasks, str(press.payload.get("name")))
        if spec is None:
            await press.edit(Part("That task is no longer declared."))
            return "No such task."
        part, keyboard = _confirmation(press.bot.hub.folders(), spec)
        await press.edit(part, buttons=keyboard)
        return ""

    @registry.action("run.cancel", "collaborator")
    async def cancel(press: PressRequest) -> str:
        await press.edit(Part("Not run."))
        return "Cancelled."

    @registry.action("run.start", "collaborator")
    async def start(press: PressRequest) -> str:
        bot = press.bot
        spec = find(bot.hub.settings().tasks, str(press.payload.get("name")))
        if spec is None or digest(spec) != press.payload.get("digest"):
            await press.edit(Part("The task changed since you were asked; run it again."))
            return "Changed: not run."
        folder = Path(str(press.payload.get("folder")))
        if folder not in bot.hub.folders():
            await press.edit(Part("That workspace is no longer open."))
            return "Not run."
        if spec.name in bot.runs:
            return f"{spec.name} is running already."
        running = Running(spec, press.user)
        bot.runs[spec.name] = running
        bot.spawn(_run(press, running, folder))
        return f"Running {spec.name}."

    @registry.action("run.stop", "collaborator")
    async def stop(press: PressRequest) -> str:
        running = press.bot.runs.get(str(press.payload.get("name")))
        if running is None or running.cancel.is_set():
            return "It is not running."
        running.cancel.set()
        return "Stopping…"


def _task_buttons(tasks: list[TaskSpec]) -> Keyboard:
    return [[Choice(task.name, "run.ask", {"name": task.name})] for task in tasks[:30]]


def _confirmation(folders: list[Path], spec: TaskSpec) -> tuple[Part, Keyboard]:
    if not folders:
        return Part("No workspace is open to run it in."), []
    folder = folders[0]
    text = Text().plain("Run ").bold(spec.name).plain(" in ").bold(folder.name).line("?")
    text.code(shlex.join(spec.argv)).line()
    text.plain(f"cwd {spec.cwd} · stops after {spec.timeout_seconds:g} s")
    payload = {"name": spec.name, "digest": digest(spec), "folder": str(folder)}
    keyboard = [[Choice("Run", "run.start", payload), Choice("Cancel", "run.cancel", {})]]
    return text.part(), keyboard


async def _run(press: PressRequest, running: Running, folder: Path) -> None:
    bot, spec = press.bot, running.spec
    stop_rows = bot.keyboard_rows(
        press.user.user_id,
        press.chat_id,
        [[Choice("Stop", "run.stop", {"name": spec.name})]],
        message_id=press.message_id,
        ttl=spec.timeout_seconds + 60,
    )

    async def edit(part: Part, rows: list[list[dict[str, str]]] | None = stop_rows) -> None:
        await bot.service.edit_part(press.chat_id, press.message_id, part, buttons=rows)

    async def final(part: Part) -> None:
        await bot.service.edit_part(press.chat_id, press.message_id, part, buttons=None)

    live = LiveMessage(edit, final=final)
    live.update(_progress(spec, folder, ""))
    try:
        result = await run_task(
            spec,
            folder,
            log_dir=bot.hub.state_dir / "runs",
            on_output=lambda tail: live.update(_progress(spec, folder, tail)),
            cancel=running.cancel,
        )
    except ValueError as error:  # its cwd leads outside the workspace
        await live.finish(Text().plain(f"{spec.name} was not run: {error}").part())
        return
    except asyncio.CancelledError:  # the hub stops: the task was killed with its group
        await asyncio.shield(live.finish(Part(f"{spec.name} was stopped: tgbridge stopped.")))
        raise
    finally:
        bot.runs.pop(spec.name, None)
    await live.finish(_summary(spec, folder, result))
    caption = Text().plain(f"The full log of {spec.name} ({result.output_bytes} bytes)")
    await bot.send(press.user.user_id, press.chat_id, caption.part(), document=result.log_path)
    bot.notifier.run_finished(spec, result, by=press.user)


def _progress(spec: TaskSpec, folder: Path, tail: str) -> Part:
    text = Text().plain("▶ Running ").bold(spec.name).line(f" in {folder.name}…")
    text.pre(tail or "(no output yet)")
    return text.part()


def _summary(spec: TaskSpec, folder: Path, result: TaskResult) -> Part:
    if result.timed_out:
        verdict = f"✖ {spec.name} timed out after {spec.timeout_seconds:g} s and was stopped"
    elif result.cancelled:
        verdict = f"■ {spec.name} was stopped"
    elif result.exit_code is None:
        verdict = f"✖ {spec.name} could not start"
    elif result.exit_code == 0:
        verdict = f"✔ {spec.name} succeeded"
    else:
        verdict = f"✖ {spec.name} failed with exit code {result.exit_code}"
    text = Text().bold(verdict).line(f" ({result.duration:.1f} s, {folder.name})")
    text.pre(result.tail or "(no output)")
    return text.part()
