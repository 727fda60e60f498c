"""The file exchange, for agents that can only write files: a JSON file dropped in
`<state>/exchange/inbox/` becomes a message or a question to the phone; the answer is
written to `<state>/exchange/outbox/<id>.json`. A file is taken once it parses (one still
being written is looked at again), then moved to `inbox/done/`; one that stays malformed
is moved to `inbox/rejected/` beside a `.reason.txt` (and the phone is told): never
lost, never taken twice.

    {"type": "notify", "text": "deploy finished", "agent": "ci"}
    {"type": "ask", "id": "q1", "question": "Ship it?", "options": ["yes", "no"],
     "timeout": 600, "agent": "ci"}
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from tgbridge.protocol import AgentAnswer, AgentAskParams
from tgbridge.store.files import private_dir

logger = logging.getLogger(__name__)

SCAN_EVERY = 0.5
SETTLE = 5.0  # seconds a file may stay unparsable (still being written) before rejection
MAX_BYTES = 256 * 1024

Ask = Callable[[AgentAskParams], Awaitable[AgentAnswer]]
Notify = Callable[[str, str], Coroutine[Any, Any, None]]  # (agent, text)


class Exchange:
    def __init__(self, state_dir: Path, *, ask: Ask, notify: Notify) -> None:
        root = private_dir(state_dir / "exchange")
        self.inbox = private_dir(root / "inbox")
        self.outbox = private_dir(root / "outbox")
        self._done = private_dir(self.inbox / "done")
        self._rejected = private_dir(self.inbox / "rejected")
        self._ask = ask
        self._notify = notify
        self._taken: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        while True:
            self.scan()
            await asyncio.sleep(SCAN_EVERY)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def scan(self) -> None:
        for path in sorted(self.inbox.glob("*.json")):
            if path.name in self._taken:
                continue
            request = self._read(path)
            if request is None:
                continue
            self._taken.add(path.name)
            done = self._done / path.name
            os.replace(path, done)
            self._taken.discard(path.name)
            task = asyncio.create_task(self._handle(request, done))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _read(self, path: Path) -> dict[str, Any] | None:
        """The request, or None: not settled yet, or moved aside as malformed."""
        try:
            stat = path.stat()
            if stat.st_size > MAX_BYTES:
                self._reject(path, f"larger than {MAX_BYTES} bytes")
                return None
            request = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (ValueError, OSError) as error:
            if time.time() - path.stat().st_mtime < SETTLE:
                return None  # perhaps still being written
            self._reject(path, f"not JSON: {error}")
            return None
        problem = _problem(request)
        if problem:
            self._reject(path, problem)
            return None
        return dict(request)

    def _reject(self, path: Path, reason: str) -> None:
        target = self._rejected / path.name
        os.replace(path, target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n")
        logger.warning("exchange: %s rejected: %s", path.name, reason)
        note = f"The file {path.name} in the exchange inbox was set aside: {reason}."
        task = asyncio.create_task(self._notify("tgbridge", note))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, request: dict[str, Any], source: Path) -> None:
        agent = str(request.get("agent") or "file")
        if request["type"] == "notify":
            await self._notify(agent, str(request["text"]))
            return
        ask_id = str(request.get("id") or source.stem)
        answer = await self._ask(
            AgentAskParams(
                key=f"exchange:{ask_id}",
                agent=agent,
                kind="question",
                title=str(request["question"]),
                options=[str(o) for o in request.get("options", [])],
                timeout_seconds=float(request.get("timeout", 600)),
                only_if_away=False,
            )
        )
        result = {"id": ask_id, **answer.model_dump(mode="json", include={"outcome", "text", "by"})}
        partial = self.outbox / f"{ask_id}.json.partial"
        partial.write_text(json.dumps(result) + "\n")
        os.replace(partial, self.outbox / f"{ask_id}.json")


def _problem(request: Any) -> str | None:
    if not isinstance(request, dict):
        return "not a JSON object"
    kind = request.get("type")
    if kind == "notify":
        return (
            None
            if isinstance(request.get("text"), str) and request["text"].strip()
            else ("a notify needs a non-empty text")
        )
    if kind == "ask":
        if not isinstance(request.get("question"), str) or not request["question"].strip():
            return "an ask needs a non-empty question"
        options = request.get("options", [])
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            return "options must be a list of strings"
        ask_id = request.get("id")
        if ask_id is not None and (not isinstance(ask_id, str) or "/" in ask_id or not ask_id):
            return "id must be a file-name-safe string"
        timeout = request.get("timeout", 600)
        if not isinstance(timeout, (int, float)) or not 0 < timeout <= 86400:
            return "timeout must be seconds between 0 and 86400"
        return None
    return 'type must be "notify" or "ask"'
