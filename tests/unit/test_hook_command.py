"""`tgbridge hook`, `tgbridge notify` and `tgbridge ask` as processes, against a stand-in
hub (a thread answering on the hub's socket): the requests they make, their stdout and
exit codes, and failing safe. The real hub and phone are in tests/telegram."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tgbridge import session_file
from tgbridge.hooks import loops
from tgbridge.hub.address import layout

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hooks"
RUN_WITHIN = 30.0
ONLINE = {"state": "online", "detail": "Connected."}
Answerer = Callable[[str, dict[str, Any]], Any]


class StandInHub:
    """Listens on the hub's socket for a state dir and answers each request with
    `answer(method, params)`: a result, or an Exception to answer an error with."""

    def __init__(self, state: Path, answer: Answerer, connection: dict[str, Any]) -> None:
        self.state = state
        self.answer = answer
        self.connection = connection
        self.requests: list[tuple[str, dict[str, Any]]] = []
        path, folders = layout(state)
        for folder in folders:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            os.chmod(folder, 0o700)
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        self._server.bind(path)
        self._server.listen()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def methods(self) -> list[str]:
        return [method for method, _ in self.requests]

    def params(self, method: str) -> dict[str, Any]:
        return next(params for name, params in self.requests if name == method)

    def close(self) -> None:
        self._server.close()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(connection,), daemon=True).start()

    def _talk(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as reader:
            for line in reader:
                message = json.loads(line)
                method, params = message["method"], message.get("params", {})
                self.requests.append((method, params))
                if method == "hub/attach":
                    result: Any = {"hubVersion": "0", "pid": 1, "connection": self.connection}
                else:
                    result = self.answer(method, params)
                if result is ConnectionAbortedError:
                    return
                if isinstance(result, Exception):
                    error = {
                        "code": -32001,
                        "message": str(result),
                        "data": {"code": result.args[1]},
                    }
                    reply = {"jsonrpc": "2.0", "id": message["id"], "error": error}
                else:
                    reply = {"jsonrpc": "2.0", "id": message["id"], "result": result}
                connection.sendall(json.dumps(reply).encode() + b"\n")


@pytest.fixture
def state(tmp_path: Path) -> Path:
    folder = tmp_path / "state"
    folder.mkdir(mode=0o700)
    return folder


@contextlib.contextmanager
def hub(state: Path, answer: Answerer, connection: dict[str, Any] = ONLINE) -> Iterator[StandInHub]:
    stand_in = StandInHub(state, answer, connection)
    try:
        yield stand_in
    finally:
        stand_in.close()


def answering(**answer: Any) -> Answerer:
    def reply(method: str, params: dict[str, Any]) -> Any:
        if method == "agent/ask":
            return {"id": "a1", "text": None, "by": None, "detail": "", **answer}
        return {"sendId": 7}

    return reply


def run(
    state: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "TGBRIDGE_STATE_DIR": str(state)}
    environment.pop("TGBRIDGE_HOOK_TIMEOUT", None)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=RUN_WITHIN,
        check=False,
    )


def payload(agent: str, name: str) -> str:
    return (FIXTURES / agent / f"{name}.json").read_text()


def hook(
    state: Path, agent: str, event: str, *extra: str, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return run(state, "-m", "tgbridge", "hook", agent, event, *extra, **kwargs)


# ---- start-up --------------------------------------------------------------------------------


def test_a_hook_imports_neither_pydantic_nor_telethon(state: Path) -> None:
    with hub(state, answering(outcome="allow", by="Ann")):
        done = run(
            state,
            "-X",
            "importtime",
            "-m",
            "tgbridge",
            "hook",
            "claude",
            "PreToolUse",
            stdin=payload("claude", "PreToolUse"),
        )
    assert done.returncode == 0 and '"allow"' in done.stdout
    imported = {
        line.split("|")[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    # (importlib.import_module, which picks the agent's module, is not in this list; what
    # that module imports is.)
    assert "tgbridge.hooks.transcript" in imported
    heavy = {name for name in imported if name.split(".")[0] in ("pydantic", "telethon")}
    assert not heavy, heavy
    # Nor what would make the start slow for nothing: asyncio, the argument parser.
    assert not {"asyncio", "argparse", "tgbridge.protocol", "tgbridge.settings"} & imported


# ---- hooks ------------------------------------------------------------------------------------


def test_an_allowed_command_answers_as_claude_code_documents(state: Path) -> None:
    with hub(state, answering(outcome="allow", by="Ann")) as stand_in:
        done = hook(state, "claude", "PreToolUse", stdin=payload("claude", "PreToolUse"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "allow",
            "permissionDecisionReason": "Allowed on the phone by Ann (tgbridge).",
        }
    }
    assert stand_in.methods() == ["hub/attach", "agent/ask"]
    attach = stand_in.params("hub/attach")
    assert attach["kind"] == "cli" and attach["name"] == "tgbridge hook"
    asked = stand_in.params("agent/ask")
    assert asked["timeoutSeconds"] == 600 and asked["onlyIfAway"] is True
    assert asked["command"] == "npm test -- --runInBand"


def test_the_timeout_comes_from_the_flag_or_the_environment(state: Path) -> None:
    with hub(state, answering(outcome="timeout")) as stand_in:
        hook(
            state,
            "claude",
            "PreToolUse",
            stdin=payload("claude", "PreToolUse"),
            env={"TGBRIDGE_HOOK_TIMEOUT": "90"},
        )
        hook(
            state,
            "cursor",
            "beforeShellExecution",
            "--timeout",
            "30",
            stdin=payload("cursor", "beforeShellExecution"),
        )
    asks = [params for method, params in stand_in.requests if method == "agent/ask"]
    assert [params["timeoutSeconds"] for params in asks] == [90, 30]


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (
            answering(outcome="timeout", detail="Nobody answered in time; the agent decides."),
            "Nobody answered",
        ),
        (
            answering(outcome="not_paired", detail="No phone is paired (tgbridge: Pair Phone)."),
            "No phone is paired",
        ),
        (lambda method, params: ConnectionAbortedError, "closed the connection"),
        (lambda method, params: ValueError("Bad params", "invalid_params"), "Bad params"),
    ],
)
def test_no_answer_hands_back_to_the_agent(state: Path, answer: Answerer, why: str) -> None:
    with hub(state, answer):
        claude = hook(state, "claude", "PreToolUse", stdin=payload("claude", "PreToolUse"))
        cursor = hook(
            state, "cursor", "beforeShellExecution", stdin=payload("cursor", "beforeShellExecution")
        )
        codex = hook(
            state, "codex", "PermissionRequest", stdin=payload("codex", "PermissionRequest")
        )
    for done in (claude, cursor, codex):
        assert done.returncode == 0
        assert why in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert claude.stdout == "" and codex.stdout == ""
    assert json.loads(cursor.stdout)["permission"] == "ask"


def test_malformed_input_and_unknown_hooks_fail_safe(state: Path) -> None:
    with hub(state, answering(outcome="allow")) as stand_in:
        garbage = hook(state, "cursor", "beforeShellExecution", stdin="not json{")
        wrong = hook(state, "claude", "PreToolUse", stdin='{"tool_name": "Bash"}')
        unknown = hook(state, "gemini", "BeforeTool", stdin="{}")
        usage = run(state, "-m", "tgbridge", "hook", "claude")
    assert garbage.returncode == 0 and json.loads(garbage.stdout)["permission"] == "ask"
    assert "malformed hook input" in garbage.stderr
    assert wrong.returncode == 0 and wrong.stdout == "" and "malformed" in wrong.stderr
    assert unknown.returncode == 0 and unknown.stdout == "" and "no hook gemini" in unknown.stderr
    assert usage.returncode == 0 and usage.stdout == "" and "usage" in usage.stderr
    assert stand_in.methods() == []  # nothing was asked


def test_an_unsafe_socket_folder_is_not_used(state: Path) -> None:
    folder = Path(layout(state)[1][-1])
    folder.mkdir(mode=0o755, parents=True)
    folder.chmod(0o755)
    claude = hook(state, "claude", "PreToolUse", stdin=payload("claude", "PreToolUse"))
    cursor = hook(
        state, "cursor", "beforeMCPExecution", stdin=payload("cursor", "beforeMCPExecution")
    )
    assert claude.returncode == 0 and claude.stdout == "" and "not 700" in claude.stderr
    assert cursor.returncode == 0 and json.loads(cursor.stdout)["permission"] == "ask"
    notify = run(state, "-m", "tgbridge", "notify", "hello")
    assert notify.returncode == 4 and "not 700" in notify.stderr


def test_notes_and_codex_notify(state: Path) -> None:
    with hub(state, answering()) as stand_in:
        note = hook(state, "claude", "Notification", stdin=payload("claude", "Notification"))
        response = hook(
            state, "cursor", "afterAgentResponse", stdin=payload("cursor", "afterAgentResponse")
        )
        turn = hook(state, "codex", "notify", payload("codex", "notify"))
    assert (note.returncode, note.stdout) == (0, "")
    assert (response.returncode, response.stdout.strip()) == (0, "{}")
    assert (turn.returncode, turn.stdout) == (0, "")
    notes = [params for method, params in stand_in.requests if method == "agent/notify"]
    assert notes == [
        {
            "agent": "claude",
            "text": "Claude needs your permission to use Bash",
            "workspace": "shop",
            "onlyIfAway": True,
        },
        {
            "agent": "cursor",
            "text": "The cart now rounds tax per line; all 48 tests pass.",
            "workspace": "shop",
            "onlyIfAway": True,
        },
        {
            "agent": "codex",
            "text": "Refactored the cart module; the tests pass.",
            "workspace": "shop",
            "onlyIfAway": True,
        },
    ]


def test_a_chain_of_phone_replies_to_stops_is_bounded(state: Path) -> None:
    reply = answering(outcome="answer", text="keep going", by="Ann")
    stop = json.loads(payload("claude", "Stop"))
    outputs: list[subprocess.CompletedProcess[str]] = []
    with hub(state, reply) as stand_in:
        for active in (False, True, True, True):
            stop["stop_hook_active"] = active
            stop["last_assistant_message"] = f"turn {len(outputs)}"
            outputs.append(hook(state, "claude", "Stop", stdin=json.dumps(stop)))
    assert [done.stdout.strip() for done in outputs[:3]] == [
        json.dumps({"decision": "block", "reason": "keep going"})
    ] * 3
    assert outputs[3].returncode == 0 and outputs[3].stdout == ""
    assert "3 times in a row" in outputs[3].stderr
    assert stand_in.methods().count("agent/ask") == loops.MAX_CONTINUES


def test_a_hub_not_yet_connected_is_connected_with_the_command_lines_session(
    state: Path,
) -> None:
    session_file.save(state, session_file.SavedSession(1, "hash", "session"))
    answers = iter(["not_paired", "not_paired", "allow"])

    def answer(method: str, params: dict[str, Any]) -> Any:
        if method == "tgbridge/connect":
            return {"connection": {"state": "connecting", "detail": ""}}
        return {"id": "a", "outcome": next(answers), "detail": ""}

    not_configured = {"state": "not configured", "detail": "Telegram is not configured yet."}
    with hub(state, answer, not_configured) as stand_in:
        done = hook(
            state, "codex", "PermissionRequest", stdin=payload("codex", "PermissionRequest")
        )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hookSpecificOutput"]["decision"] == {"behavior": "allow"}
    assert stand_in.methods() == ["hub/attach", "tgbridge/connect", *["agent/ask"] * 3]
    assert stand_in.params("tgbridge/connect") == {
        "apiId": 1,
        "apiHash": "hash",
        "session": "session",
    }


# ---- tgbridge notify / ask ----------------------------------------------------------------------


def test_ask_prints_the_answer_and_says_how_it_ended_by_exit_code(state: Path) -> None:
    cases = [
        (answering(outcome="answer", text="yes", by="Ann"), 0, "yes\n"),
        (answering(outcome="timeout", detail="Nobody answered in time"), 2, ""),
        (answering(outcome="not_paired", detail="No phone is paired"), 3, ""),
        (answering(outcome="deny"), 1, ""),
        (lambda method, params: ValueError("No", "internal"), 1, ""),
    ]
    for answer, code, stdout in cases:
        with hub(state, answer) as stand_in:
            done = run(
                state,
                "-m",
                "tgbridge",
                "ask",
                "Deploy",
                "now?",
                "--option",
                "yes",
                "--option",
                "no",
                "--timeout",
                "60",
            )
        assert (done.returncode, done.stdout) == (code, stdout), done.stderr
    asked = stand_in.params("agent/ask")
    assert asked["title"] == "Deploy now?" and asked["options"] == ["yes", "no"]
    assert asked["kind"] == "question" and asked["onlyIfAway"] is False
    assert asked["timeoutSeconds"] == 60 and asked["agent"] == "cli"


def test_notify_exit_codes(state: Path) -> None:
    with hub(state, answering()) as stand_in:
        sent = run(state, "-m", "tgbridge", "notify", "build", "done", "--agent", "ci")
        piped = run(state, "-m", "tgbridge", "notify", "-", stdin="from stdin\n")
    assert sent.returncode == 0 and piped.returncode == 0
    assert [p["text"] for m, p in stand_in.requests if m == "agent/notify"] == [
        "build done",
        "from stdin",
    ]
    assert stand_in.params("agent/notify")["agent"] == "ci"

    def unpaired(method: str, params: dict[str, Any]) -> Any:
        return ValueError("No phone is paired (tgbridge: Pair Phone).", "not_logged_in")

    with hub(state, unpaired):
        done = run(state, "-m", "tgbridge", "notify", "hello")
    assert done.returncode == 3 and "No phone is paired" in done.stderr
    for usage in (["notify"], ["ask"], ["ask", "x", "--timeout", "soon"], ["notify", "   "]):
        assert run(state, "-m", "tgbridge", *usage).returncode == 64, usage


def test_help_documents_the_exit_codes(state: Path) -> None:
    for command in ("notify", "ask", "hook"):
        done = run(state, "-m", "tgbridge", command, "--help")
        assert done.returncode == 0 and "exit code" in done.stdout
    assert "4  no tgbridge hub" in run(state, "-m", "tgbridge", "ask", "-h").stdout
