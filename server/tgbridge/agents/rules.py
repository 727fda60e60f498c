"""Who decides what an agent may run: patterns always denied (a blocked-command guard, plus
the owner's), patterns always allowed (the owner's, and "Always allow" presses), and the
rest goes to the human (the phone when away, else the agent's own prompt)."""

from __future__ import annotations

import fnmatch
import re
from typing import Literal

Verdict = Literal["deny", "allow", "ask"]

# Commands no agent should run unasked, whatever the owner allowed.
BLOCKED = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\brm\s+(-[a-z]*\s+)*-[a-z]*(r[a-z]*f|f[a-z]*r)[a-z]*\s+(--\s+)?(/|~|\$HOME|\*)(\s|/?\*?$)",
        r"\bgit\s+push\b.*(\s--force(-with-lease)?\b|\s-f\b)",
        r"\bdrop\s+(table|database|schema)\b",
        r"\btruncate\s+table\b",
        r"\bmkfs(\.\w+)?\b",
        r"\bdd\b.*\bof=/dev/",
        r":\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:",
        r"\bchmod\s+(-[a-z]*\s+)*-?R?\s*777\s+/(\s|$)",
        r"\b(curl|wget)\b[^|]*\|\s*(sudo\s+)?(ba|z)?sh\b",
        r"\bgit\s+reset\s+--hard\b.*\borigin\b",
        r">\s*/dev/sd[a-z]\b",
    )
]


def normalized(command: str) -> str:
    return " ".join(command.split())


def verdict(command: str | None, *, deny: list[str], allow: list[str]) -> Verdict:
    """The owner's rule for a command: a built-in or owner's deny pattern wins, then an
    allow pattern; anything else is asked. Patterns are shell-style (`*`, `?`)."""
    if command is None:
        return "ask"
    text = normalized(command)
    if any(p.search(text) for p in BLOCKED) or any(_matches(text, p) for p in deny):
        return "deny"
    if any(_matches(text, p) for p in allow):
        return "allow"
    return "ask"


def _matches(text: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(text, normalized(pattern))
