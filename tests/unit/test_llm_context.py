"""What leaves the machine: the context is read through the path guard, capped in
tokens, and a denied file never reaches a provider, even when the question or the diff
names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.llm_server import LlmServer, faults
from tgbridge.llm import prompts
from tgbridge.llm.config import LlmSettings, ProviderSetting
from tgbridge.llm.context import NO_ROOM, build_context, paths_named_in
from tgbridge.llm.router import Router
from tgbridge.llm.tokens import cap, estimate_tokens
from tgbridge.security.paths import DENIED, PathGuard

SECRET = "sk-live-DO-NOT-LEAK-4242"
APP = "import os\n\n\ndef token() -> str:\n    return os.environ['TOKEN']\n"
DIFF = f"""diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,3 +1,4 @@
 import os
+import sys
diff --git a/.env b/.env
index 3333333..4444444 100644
--- a/.env
+++ b/.env
@@ -1 +1 @@
-TOKEN=old
+TOKEN={SECRET}
diff --git a/secrets/key.pem b/secrets/key.pem
new file mode 100644
--- /dev/null
+++ b/secrets/key.pem
@@ -0,0 +1 @@
+{SECRET}
"""


@pytest.fixture
def guard(tmp_path: Path) -> PathGuard:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(APP)
    (tmp_path / ".env").write_text(f"TOKEN={SECRET}\n")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "key.pem").write_text(f"-----BEGIN KEY-----\n{SECRET}\n")
    (tmp_path / "notes.md").write_text("line\n" * 2000)
    return PathGuard([tmp_path], state_dir=None)


def test_tokens_are_about_four_characters() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2


def test_cap_cuts_at_a_line_boundary() -> None:
    text = "".join(f"line {n:03}\n" for n in range(100))  # 9 characters a line
    assert cap(text, 1000) == (text, False)
    capped, cut = cap(text, 10)  # 40 characters: four whole lines
    assert (capped, cut) == ("line 000\nline 001\nline 002\nline 003\n", True)
    assert cap("x" * 100, 5) == ("x" * 20, True)  # one long line is cut inside


def test_paths_named_in_a_question_and_a_diff() -> None:
    question = "Why does src/app.py:12 read .env, e.g. via os.environ? See https://x.io/a.py."
    assert paths_named_in(question) == ["src/app.py", ".env"]
    assert paths_named_in(DIFF) == ["src/app.py", ".env", "secrets/key.pem"]


def test_denied_files_named_in_the_question_stay_out(guard: PathGuard) -> None:
    named = paths_named_in("Why does src/app.py read .env and secrets/key.pem?")
    context = build_context(guard, paths=named, max_tokens=2000)
    assert SECRET not in context.text
    assert APP in context.text
    assert [item.label for item in context.items] == ["src/app.py:1-5"]
    assert context.dropped == (f".env: {DENIED}", f"secrets/key.pem: {DENIED}")


def test_denied_files_in_the_diff_stay_out(guard: PathGuard) -> None:
    context = build_context(guard, diff=DIFF, max_tokens=2000)
    assert SECRET not in context.text
    assert "+import sys" in context.text
    assert context.items[0].label == "diff"
    assert context.dropped == (f"diff of .env: {DENIED}", f"diff of secrets/key.pem: {DENIED}")


def test_a_diff_without_git_headers_is_split_per_file(guard: PathGuard) -> None:
    diff = (
        f"--- a/src/app.py\n+++ b/src/app.py\n@@ -1 +1 @@\n+ok\n--- a/.env\n+++ b/.env\n+{SECRET}\n"
    )
    context = build_context(guard, diff=diff, max_tokens=2000)
    assert SECRET not in context.text
    assert "+ok" in context.text


def test_the_diff_comes_first_and_what_does_not_fit_is_said(guard: PathGuard) -> None:
    context = build_context(guard, diff=DIFF, paths=["notes.md", "src/app.py"], max_tokens=300)
    labels = [item.label for item in context.items]
    assert labels[0] == "diff"
    assert labels[1].startswith("notes.md:1-")
    assert context.items[1].cut
    assert "src/app.py: " + NO_ROOM in context.dropped
    assert estimate_tokens(context.text) <= 300


def test_a_missing_file_is_said_not_guessed(guard: PathGuard) -> None:
    context = build_context(guard, paths=["src/gone.py"], max_tokens=100)
    assert (context.text, context.items, context.dropped) == (
        "",
        (),
        ("src/gone.py: no such file",),
    )


async def test_no_request_carries_a_denied_files_content(
    guard: PathGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    question = "What does this change do to src/app.py, .env and secrets/key.pem?"
    context = build_context(
        guard, diff=DIFF, paths=paths_named_in(question + "\n" + DIFF), max_tokens=4000
    )
    requests = [
        prompts.ask(question, context),
        prompts.review(context),
        prompts.explain("src/app.py:1-5", APP),
    ]
    async with LlmServer() as server:
        openai = ProviderSetting(kind="openai", model="m", base_url=server.url + "/v1")
        anthropic = ProviderSetting(kind="anthropic", model="m", base_url=server.url)
        ollama = ProviderSetting(kind="ollama", model="m", base_url=server.url)
        server.fail_next("openai", *[faults.server_error()] * 3)
        settings = LlmSettings(providers=[openai, anthropic, ollama])
        async with Router(settings, {"anthropic": "k"}) as router:
            for request in requests:
                await router.stream(request, lambda _: None)
        bodies = [json.dumps(request.body) for request in server.requests]
    assert len(bodies) == 6  # each request went to openai (failing) and then to anthropic
    assert any("import sys" in body for body in bodies)
    assert not any(SECRET in body for body in bodies)
