"""Token counts without a tokenizer: about four characters a token, which is close for
English and code on the models tgbridge talks to, and errs long on neither much."""

from __future__ import annotations

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def cap(text: str, max_tokens: int) -> tuple[str, bool]:
    """`text` cut to about `max_tokens` at a line boundary, and whether it was cut. A first
    line longer than the whole budget is cut inside the line instead of dropped."""
    if estimate_tokens(text) <= max_tokens:
        return text, False
    limit = max(0, max_tokens) * CHARS_PER_TOKEN
    kept = text[:limit]
    end = kept.rfind("\n")
    if end < 0:
        return text[:limit], True
    return text[: end + 1], True
