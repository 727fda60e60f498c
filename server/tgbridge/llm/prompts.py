"""What tgbridge asks a language model for each task, and how the request is built."""

from __future__ import annotations

import re

from tgbridge.llm.context import Context
from tgbridge.llm.types import ChatMessage, LlmRequest, Task

ASK = (
    "You are a senior developer answering a question about the user's code, read on a"
    " phone. Answer briefly and concretely; use the context given, say when it is not"
    " enough, and never invent file contents."
)
REVIEW = (
    "You review a code change. List findings only, most important first, one a line, as"
    " `path:line: finding` (the line in the new version). Flag bugs, security problems and"
    " missing tests; skip style nits. If there is nothing worth saying, answer `No findings.`"
)
COMMIT = (
    "You write a git commit message for the staged diff. First line: a conventional commit"
    " subject (`type(scope): summary`, scope optional) in the imperative mood, at most 72"
    " characters, no trailing period. Then one blank line, then a short body (a few lines,"
    " wrapped at 72) saying what changed and why. Answer with the message only."
)
EXPLAIN = (
    "You explain a piece of code to a developer reading on a phone: what it does, how, and"
    " anything surprising. Be brief; refer to lines by number."
)


def ask(question: str, context: Context, *, max_tokens: int = 1024) -> LlmRequest:
    user = f"{_context_part(context)}Question: {question}"
    return _request("ask", ASK, user, max_tokens)


def review(context: Context, *, max_tokens: int = 1024) -> LlmRequest:
    user = f"{_context_part(context)}Review this change."
    return _request("review", REVIEW, user, max_tokens)


def commit(context: Context, *, max_tokens: int = 300) -> LlmRequest:
    """`context`: the staged diff, through the path guard (denied files left out)."""
    user = f"{_context_part(context)}Write the commit message for this staged diff."
    return _request("commit", COMMIT, user, max_tokens)


def explain(path_and_lines: str, code: str, *, max_tokens: int = 1024) -> LlmRequest:
    user = f"Explain {path_and_lines}:\n{_fenced(code)}"
    return _request("explain", EXPLAIN, user, max_tokens)


def _context_part(context: Context) -> str:
    return f"Context:\n{context.text}\n" if context.text else ""


def _request(task: Task, system: str, user: str, max_tokens: int) -> LlmRequest:
    return LlmRequest(
        task=task,
        messages=(ChatMessage("system", system), ChatMessage("user", user)),
        max_tokens=max_tokens,
    )


def _fenced(text: str, language: str = "") -> str:
    """A code block fenced longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"
