"""/file path[:start-end]: a workspace file, or some of its lines, through the path guard."""

from __future__ import annotations

import re

from tgbridge.bot.commands.guarded import guard_for
from tgbridge.bot.registry import Registry
from tgbridge.bot.request import Request
from tgbridge.bot.text import Text
from tgbridge.security.paths import PathRefused
from tgbridge.telegram.render import code_block

_RANGE = re.compile(r"^(.*):(\d{1,7})(?:-(\d{1,7}))?$")
LANGUAGES = {
    ".py": "python",
    ".ts": "typescript",
    ".js": "javascript",
    ".json": "json",
    ".md": "markdown",
    ".sh": "bash",
    ".rs": "rust",
    ".go": "go",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".toml": "toml",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".html": "html",
    ".css": "css",
    ".sql": "sql",
    ".rb": "ruby",
    ".kt": "kotlin",
    ".swift": "swift",
}


def register(registry: Registry) -> None:
    @registry.command("file", "viewer", "Show a file, or some of its lines", "path[:start-end]")
    async def file(request: Request) -> None:
        if not request.args:
            await request.reply(Text().plain("Say which file: /file src/app.py:10-40").part())
            return
        requested, lines = split_range(request.args)
        try:
            guarded, content = guard_for(request).read_text(requested)
        except PathRefused as refused:
            request.audit("refused", refused.reason)
            await request.reply(
                Text().plain("Cannot show that file: ").plain(refused.reason).part()
            )
            return
        all_lines = content.splitlines()
        header = f"{guarded.folder.name}/{guarded.relative}"
        if lines is not None:
            start, end = lines
            if start > len(all_lines):
                await request.reply(
                    Text().plain(f"{header} has only {len(all_lines)} lines.").part()
                )
                return
            end = min(end, len(all_lines))
            content = "\n".join(all_lines[start - 1 : end])
            header += f":{start}-{end}"
        suffix = "." + guarded.relative.rsplit(".", 1)[-1] if "." in guarded.relative else ""
        language = LANGUAGES.get(suffix.lower(), "")
        await request.reply(
            code_block(content or " ", language, header),
            file_name=guarded.path.name,
            content=content,
        )


def split_range(argument: str) -> tuple[str, tuple[int, int] | None]:
    match = _RANGE.match(argument.strip())
    if not match:
        return argument.strip(), None
    start = max(1, int(match.group(2)))
    end = int(match.group(3)) if match.group(3) else start
    return match.group(1), (start, max(start, end))
