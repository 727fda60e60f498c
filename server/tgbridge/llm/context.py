"""The context that leaves the machine with a question: the diff first, then the files
named, each read through the path guard (deny globs, symlinks, sizes) and capped in
tokens. What did not fit or was refused is listed, never included."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tgbridge.llm.tokens import cap, estimate_tokens
from tgbridge.security.paths import DENIED, PathGuard, PathRefused

NO_ROOM = "no room left in the context"
MIN_FILE_TOKENS = 50  # less than this of a file says nothing

_GIT_HEADER = re.compile(r'^diff --git "?a/(.+?)"? "?b/(.+?)"?$')
_FILE_HEADER = re.compile(r'^(?:---|\+\+\+) "?(?:[ab]/)?(.+?)"?(?:\t.*)?$')
_RENAME = re.compile(r"^(?:rename|copy) (?:from|to) (.+)$")
_TRIM = "\"'`()[]{}<>,;!?"
_NAME = re.compile(r"\.?[\w-]+(?:\.[\w-]+)*")


@dataclass(frozen=True)
class ContextItem:
    label: str  # "diff", "src/app.py:1-80"
    tokens: int
    cut: bool


@dataclass(frozen=True)
class Context:
    text: str
    items: tuple[ContextItem, ...]
    dropped: tuple[str, ...]  # "path: why", for what did not fit or was refused


def build_context(
    guard: PathGuard, *, diff: str = "", paths: Sequence[str] = (), max_tokens: int
) -> Context:
    blocks: list[str] = []
    items: list[ContextItem] = []
    dropped: list[str] = []
    budget = max_tokens
    kept_diff, refused = _allowed_diff(guard, diff)
    dropped += [f"diff of {path}: {DENIED}" for path in refused]
    if kept_diff.strip():
        text, cut = cap(kept_diff, budget - estimate_tokens(_block("diff", "")))
        if text:
            block = _block("diff", text)
            blocks.append(block)
            budget -= estimate_tokens(block)
            items.append(ContextItem("diff", estimate_tokens(text), cut))
        else:
            dropped.append(f"diff: {NO_ROOM}")
    for path in dict.fromkeys(paths):
        try:
            guarded, content = guard.read_text(path)
        except PathRefused as refusal:
            dropped.append(f"{path}: {refusal.reason}")
            continue
        room = budget - estimate_tokens(_block(guarded.relative + ":1-99999", ""))
        if room < MIN_FILE_TOKENS:
            dropped.append(f"{guarded.relative}: {NO_ROOM}")
            continue
        text, cut = cap(content, room)
        label = f"{guarded.relative}:1-{max(1, len(text.splitlines()))}"
        block = _block(label, text)
        blocks.append(block)
        budget -= estimate_tokens(block)
        items.append(ContextItem(label, estimate_tokens(text), cut))
    return Context("\n".join(blocks), tuple(items), tuple(dropped))


def paths_named_in(text: str) -> list[str]:
    """File paths a question or a diff names: diff headers (`+++ b/src/x.py`) and words that
    look like paths (`src/app.py`, `app.py:12`, `.env`). Lines of a diff hunk are code, not
    names, and are skipped."""
    found: list[str] = []
    in_hunk = False
    for line in text.splitlines():
        header = _diff_paths(line)
        if header is not None:
            found += header
            in_hunk = False
            continue
        if line.startswith("@@"):
            in_hunk = True
            continue
        if in_hunk and line[:1] in (" ", "+", "-", "\\"):
            continue
        in_hunk = False
        found += [word for word in map(_path_word, line.split()) if word]
    return list(dict.fromkeys(found))


def _allowed_diff(guard: PathGuard, diff: str) -> tuple[str, list[str]]:
    """The diff without the files the guard refuses (checked in the first workspace
    folder), and the paths of those files. A file whose path cannot be read is refused."""
    if not diff:
        return "", []
    folder = guard.folders[0] if guard.folders else None
    kept: list[str] = []
    refused: list[str] = []
    for section in _sections(diff):
        paths = [path for line in section.splitlines() for path in _diff_paths(line) or []]
        starts_file = section.startswith(("diff --git ", "--- "))
        if starts_file and not paths:
            refused.append("an unreadable path")
            continue
        denied = [path for path in paths if folder is None or not guard.allows(folder, path)]
        if denied:
            refused.append(denied[0])
        else:
            kept.append(section)
    return "".join(kept), list(dict.fromkeys(refused))


def _sections(diff: str) -> list[str]:
    """The diff split per file: at `diff --git`, or, in a diff without git headers, at a
    `---`/`+++` pair once the current file has had its own."""
    lines = diff.splitlines(keepends=True)
    sections: list[list[str]] = [[]]
    git_section = has_plus = False
    for index, line in enumerate(lines):
        pair = (
            line.startswith("--- ")
            and lines[index + 1 : index + 2] != []
            and (lines[index + 1].startswith("+++ "))
        )
        git_header = line.startswith("diff --git ")
        if git_header or (pair and (has_plus or not git_section)):
            if sections[-1]:
                sections.append([])
            git_section, has_plus = git_header, False
        has_plus = has_plus or line.startswith("+++ ")
        sections[-1].append(line)
    return ["".join(section) for section in sections if section]


def _diff_paths(line: str) -> list[str] | None:
    """The paths a diff header line names (None: not a header line)."""
    line = line.rstrip("\r\n")
    match = _GIT_HEADER.match(line)
    if match:
        return list(dict.fromkeys(match.groups()))
    match = _FILE_HEADER.match(line)
    if match:
        return [] if match.group(1) == "/dev/null" else [match.group(1)]
    match = _RENAME.match(line)
    if match:
        return [match.group(1)]
    if line.startswith("Binary files "):
        return [path for path in re.findall(r"[ab]/(\S+)", line) if path != "dev/null"]
    return None


def _path_word(word: str) -> str | None:
    """`word` as a path when it looks like one: it has a `/`, or a short extension after a
    name of two or more characters (`app.py`; not `e.g.` nor `os.environ`), or it is a
    dotfile (`.env`). A line number (`app.py:12`) is dropped; URLs are not paths."""
    word = word.strip(_TRIM).rstrip(".:")
    if "://" in word:
        return None
    word = re.sub(r":\d+(?:-\d+)?$", "", word)
    parts = word.split("/")
    if not all(_NAME.fullmatch(part) for part in parts):
        return None
    name = parts[-1]
    if len(parts) > 1 or name.startswith("."):
        return word
    stem, dot, extension = name.rpartition(".")
    if dot and len(stem) >= 2 and extension[:1].isalpha() and len(extension) <= 5:
        return word
    return None


def _block(label: str, text: str) -> str:
    """A labelled code block, fenced longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{label}\n{fence}\n{body}{fence}\n"
