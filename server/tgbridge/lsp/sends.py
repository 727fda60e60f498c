"""What the code actions send: a whole file (the file itself when the editor holds what is
on disk, else its text as code) and a diagnostic with the lines around it. Loads pydantic:
imported by the commands when they run, never at start."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from tgbridge.errors import BridgeError
from tgbridge.protocol import CodeSelection, FileToSend, Model, Range, SendParams

# Lines shown above and below a diagnostic.
CONTEXT_LINES = 3
# A diagnostic's message is cut here: the code around it is what the phone needs most.
MESSAGE_LIMIT = 2000
# Marks the diagnostic's own lines among those around it.
MARK = ">"
EOL = "\r\n"
SEVERITIES = {1: "🔴 Error", 2: "🟡 Warning", 3: "🔵 Info", 4: "💡 Hint"}


class SendFileArgs(Model):
    """Argument of the `tgbridge.sendFile` command (workspace/executeCommand)."""

    uri: str
    client_key: str | None = None


class DiagnosticInfo(Model):
    """What of an LSP diagnostic goes to the phone."""

    range: Range
    message: str
    severity: int | None = None
    source: str | None = None
    code: int | str | None = None


class SendDiagnosticArgs(Model):
    """Argument of the `tgbridge.sendDiagnostic` command (workspace/executeCommand)."""

    uri: str
    diagnostic: DiagnosticInfo
    client_key: str | None = None


def display_name(uri: str) -> str:
    """The file's name ("Untitled-1" for an untitled document): enough for Telegram."""
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)).name or uri


def file_path(uri: str) -> Path | None:
    """The file a `file:` URI names; None for any other scheme (untitled, say)."""
    from pygls.uris import to_fs_path

    if urlparse(uri).scheme != "file":
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def file_send(
    uri: str, open_text: str | None, language: str, client_key: str | None = None
) -> SendParams:
    """The whole document: a saved file as the file itself; an untitled document, or one
    whose text differs from the disk (unsaved changes), as code. `open_text` is the
    editor's text, None when the document is not open."""
    path = file_path(uri)
    if path is not None and open_text is None:
        if not path.is_file():
            raise BridgeError("invalid_params", f"No such file: {display_name(uri)}")
        return SendParams(file=FileToSend(path=str(path)), client_key=client_key)
    if open_text is None:
        raise BridgeError("invalid_params", "Open the document in the editor, then try again.")
    if not open_text.strip():
        raise BridgeError("invalid_params", f"{display_name(uri)} is empty: nothing to send.")
    if path is not None and _disk_text(path) == open_text:
        return SendParams(file=FileToSend(path=str(path)), client_key=client_key)
    code = CodeSelection(text=open_text, language=language, path=display_name(uri))
    return SendParams(code=code, client_key=client_key)


def diagnostic_send(
    diagnostic: DiagnosticInfo,
    lines: Sequence[str],
    name: str,
    language: str,
    client_key: str | None = None,
) -> SendParams:
    """One message: severity, where, source and code; the message; the lines around it
    (numbered, the diagnostic's own marked) as a code block in the document's language."""
    first, last = _lines_of(diagnostic.range)
    start = max(0, first - CONTEXT_LINES)
    stop = min(len(lines), last + CONTEXT_LINES + 1)
    width = len(str(stop))
    shown = [
        f"{MARK if first <= n <= last else ' '} {n + 1:>{width}}  {lines[n].rstrip(EOL)}"
        for n in range(start, stop)
    ]
    severity = SEVERITIES.get(diagnostic.severity or 0, "Problem")
    origin = " ".join(str(part) for part in (diagnostic.source, diagnostic.code) if part)
    head = f"**{severity}** `{_inline(f'{name}:{first + 1}')}`"
    if origin:
        head += f" · `{_inline(origin)}`"
    message = diagnostic.message.strip() or "(no message)"
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 1] + "…"
    parts = [head, _pre(message)]
    if shown:
        parts.append(_pre("\n".join(shown), language))
    return SendParams(text="\n".join(parts), client_key=client_key)


def _lines_of(range_: Range) -> tuple[int, int]:
    """The first and last line a range covers (a range ending at a line's start does not
    cover that line)."""
    first, end = range_.start.line, range_.end.line
    if end > first and range_.end.character == 0:
        end -= 1
    return first, max(first, end)


def _pre(text: str, language: str = "") -> str:
    """A Markdown code block: nothing inside is read as formatting."""
    fence = "`" * 3
    body = text.replace(fence, "'" * 3)
    return f"{fence}{_inline(language)}\n{body}\n{fence}"


def _inline(text: str) -> str:
    """Text for inline code (or a code block's language): no backticks, one line."""
    return " ".join(text.replace("`", "'").split())


def _disk_text(path: Path) -> str | None:
    """The file's text as the editor would read it; None when it cannot be read as UTF-8."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
