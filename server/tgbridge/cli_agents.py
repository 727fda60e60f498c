"""`tgbridge hook <agent> <event>`, `tgbridge notify` and `tgbridge ask`: agents and scripts
reach the owner's phone through the hub.

A hook reads the agent's documented JSON (stdin, or for Codex's `notify` program the last
argument), asks the hub, and prints the agent's documented answer. It fails safe: input
it cannot read, no hub within a few seconds, no paired phone, no answer in time or any
error gives the "no decision" answer (the agent's own prompt decides), exit code 0 and one
line on stderr; it never allows on its own and never exits 2 (which Claude Code and Codex
read as "block").

Nothing here imports pydantic or Telethon: a hook's start-up is the agent's wait.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from types import ModuleType

from tgbridge.hooks import loops
from tgbridge.hooks.calls import Answer, Ask, Malformed, Note, Nothing, Plan
from tgbridge.hooks.client import HubClient, HubError, Unreachable, say, state_dir

TYPE_CHECKING = False  # typing is not imported at run time: a hook starts faster
if TYPE_CHECKING:
    from typing import Any

AGENTS = ("claude", "cursor", "codex", "vscode")
TIMEOUT_VARIABLE = "TGBRIDGE_HOOK_TIMEOUT"
DEFAULT_TIMEOUT = 600.0
SCRIPT_START_WITHIN = 10.0  # a script can wait for a hub to start longer than an agent

# tgbridge notify / ask (documented in tgbridge.cli, AGENT_EXIT_CODES)
EXIT_ANSWERED = 0
EXIT_REFUSED = 1
EXIT_TIMED_OUT = 2
EXIT_NOT_PAIRED = 3
EXIT_NO_HUB = 4
EXIT_USAGE = 64


def hook_timeout(given: float | None) -> float:
    """`--timeout`, else TGBRIDGE_HOOK_TIMEOUT, else 600 seconds."""
    if given is not None:
        return max(1.0, given)
    value = os.environ.get(TIMEOUT_VARIABLE, "")
    try:
        return max(1.0, float(value)) if value else DEFAULT_TIMEOUT
    except ValueError:
        say(f"{TIMEOUT_VARIABLE}={value!r} is not a number of seconds; using {DEFAULT_TIMEOUT:.0f}")
        return DEFAULT_TIMEOUT


# ---- tgbridge hook ---------------------------------------------------------------------


def hook_main(argv: list[str]) -> int:
    """`tgbridge hook AGENT EVENT [PAYLOAD] [--timeout SECONDS]`, read by hand: argparse's
    import and parser are a hook's start-up too, and its usage errors exit 2 (Claude
    Code's and Codex's "block"). `-h` goes through `tgbridge.cli`'s parser instead."""
    words: list[str] = []
    timeout: float | None = None
    rest = iter(argv)
    for word in rest:
        if word == "--timeout" or word.startswith("--timeout="):
            value = word.partition("=")[2] if "=" in word else next(rest, "")
            try:
                timeout = float(value)
            except ValueError:
                say(f"--timeout {value!r} is not a number of seconds; the agent decides")
                return 0
        else:
            words.append(word)
    if len(words) not in (2, 3):
        say("usage: tgbridge hook AGENT EVENT [PAYLOAD] [--timeout SECONDS]; the agent decides")
        return 0
    return hook(words[0], words[1], words[2] if len(words) == 3 else None, timeout)


def hook(agent: str, event: str, payload: str | None, timeout: float | None) -> int:
    """Runs one hook; always exit code 0 (see the module docstring)."""
    module = _format(agent)
    if module is None or event not in module.EVENTS:
        known = ", ".join(module.EVENTS) if module is not None else ", ".join(AGENTS)
        say(f"no hook {agent} {event} (known: {known}); the agent decides")
        return 0
    answer: Answer | None = None
    why = ""
    try:
        raw = payload if payload is not None else sys.stdin.buffer.read()
        try:
            data = json.loads(raw)
        except ValueError as error:
            raise Malformed(f"the hook input is not JSON ({error})") from None
        answer, why = carry_out(module.plan(event, data), hook_timeout(timeout))
    except Malformed as error:
        why = f"malformed hook input: {error}"
    except Unreachable as error:
        why = f"no tgbridge hub: {error}"
    except HubError as error:
        why = f"the hub refused: {error.message}"
    except Exception as error:  # fail safe, whatever went wrong
        why = f"unexpected error: {error!r}"
    if why:
        say(f"{why}; the agent decides")
    try:
        output = module.reply(event, answer, why)
    except Exception as error:
        say(f"unexpected error: {error!r}")
        return 0
    if output:
        sys.stdout.write(output + "\n")
        sys.stdout.flush()
    return 0


def carry_out(plan: Plan, timeout: float) -> tuple[Answer | None, str]:
    """Asks or tells the hub what the plan says; (the answer, why there is none)."""
    if isinstance(plan, Nothing):
        return Answer("present", detail=plan.why), ""  # not ours: the agent's rules
    folder = state_dir()
    if isinstance(plan, Note):
        with HubClient(folder, "tgbridge hook") as hub:
            hub.connect_telegram()
            hub.notify(plan.agent, plan.text, plan.workspace, only_if_away=True)
        return None, ""
    assert isinstance(plan, Ask)
    if plan.loop is not None and not loops.may_continue(folder, plan.loop):
        return None, f"continued {loops.MAX_CONTINUES} times in a row from the phone"
    params = {**plan.params, "timeoutSeconds": timeout}
    with HubClient(folder, "tgbridge hook") as hub:
        hub.connect_telegram()
        answer = Answer.of(hub.ask(params))
    if plan.loop is not None:
        loops.record(folder, plan.loop, continued=answer.continues)
    if answer.outcome in ("timeout", "not_paired", "pending"):
        return answer, answer.detail or answer.outcome
    return answer, ""


def _format(agent: str) -> ModuleType | None:
    if agent not in AGENTS:
        return None
    return importlib.import_module(f"tgbridge.hooks.{agent}")


# ---- tgbridge notify / tgbridge ask ------------------------------------------------------


def notify(text: list[str], agent: str) -> int:
    message = _text(text)
    if not message:
        say("there is nothing to send")
        return EXIT_USAGE
    try:
        with HubClient(state_dir(), "tgbridge notify", start_within=SCRIPT_START_WITHIN) as hub:
            hub.connect_telegram()
            hub.notify(agent, message, _here())
    except Unreachable as error:
        say(f"no tgbridge hub: {error}")
        return EXIT_NO_HUB
    except HubError as error:
        say(error.message)
        return EXIT_NOT_PAIRED if error.code == "not_logged_in" else EXIT_REFUSED
    return EXIT_ANSWERED


def ask(text: list[str], options: list[str], timeout: float, agent: str) -> int:
    question = _text(text)
    if not question:
        say("there is no question to ask")
        return EXIT_USAGE
    params: dict[str, Any] = {
        "key": f"{agent}:{os.urandom(16).hex()}",
        "agent": agent,
        "kind": "question",
        "title": question,
        "options": options,
        "workspace": _here(),
        "timeoutSeconds": max(1.0, timeout),
        "onlyIfAway": False,  # a script asks the phone, whether or not the owner is away
    }
    try:
        with HubClient(state_dir(), "tgbridge ask", start_within=SCRIPT_START_WITHIN) as hub:
            hub.connect_telegram()
            answer = Answer.of(hub.ask(params))
    except Unreachable as error:
        say(f"no tgbridge hub: {error}")
        return EXIT_NO_HUB
    except HubError as error:
        say(f"the hub refused: {error.message}")
        return EXIT_REFUSED
    if answer.outcome in ("answer", "allow"):
        print(answer.text or answer.outcome)
        return EXIT_ANSWERED
    if answer.outcome == "not_paired":
        say(answer.detail or "no phone is paired")
        return EXIT_NOT_PAIRED
    if answer.outcome in ("timeout", "pending"):
        say(answer.detail or "nobody answered in time")
        return EXIT_TIMED_OUT
    say(answer.detail or f"refused ({answer.outcome})")
    return EXIT_REFUSED


def _text(words: list[str]) -> str:
    text = sys.stdin.read() if words == ["-"] else " ".join(words)
    return text.strip()


def _here() -> str:
    return os.path.basename(os.getcwd())
