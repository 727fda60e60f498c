"""Hostile paths through /file, /diff and /find, as a paired phone would send them: no
secret reaches the phone, and every refusal is in the audit log."""

from __future__ import annotations

import asyncio
from pathlib import Path

from telethon.tl import types

from tests.telegram.harness import Sidecar, World, allow, online_bot
from tests.telegram.repo import SECRET, make_repo
from tests.telegram_server import Account
from tgbridge.security.access import AccessStore
from tgbridge.store.database import open_database

HOSTILE = [
    "../outside/secret.txt",
    "src/../../outside/secret.txt",
    "..\\outside\\secret.txt",
    "src/..\\..\\outside\\secret.txt",
    "./../outside/secret.txt",
    "/etc/passwd",
    "//etc/passwd",
    "C:\\Windows\\win.ini",
    "C:/Windows/win.ini",
    "\\\\server\\share\\x",
    "~/.ssh/id_rsa",
    "~root/.bashrc",
    "README.md\x00.txt",
    "%2e%2e/outside/secret.txt",
    "..%2foutside%2fsecret.txt",
    "src%2f..%2f..%2foutside%2fsecret.txt",
    "README.md%00",
    "\uff0e\uff0e\uff0foutside\uff0fsecret.txt",
    "src\uff0fapp.py",
    "\u2024\u2024/outside/secret.txt",
    "REA\u200dDME.md",
    "\u202etxt.terces/edistuo/..",
    "link-out.txt",
    "link-dir/secret.txt",
    "link-env",
    "pipe",
    ".env",
    ".env.local",
    "config/.env.production",
    "certs/server.pem",
    "keys/api.key",
    "id_rsa",
    "id_ed25519",
    ".ssh/config",
    ".git/config",
    ".git/HEAD",
    "deploy/.netrc",
    "private/notes.secret",
    ".ENV",
    "src",
    ".",
    "a/" * 600 + "x",
    "config",
    ".git",
]


async def test_no_hostile_path_reads_a_secret_and_each_refusal_is_audited(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "ws")
    state = tmp_path / "state"
    await online_bot(world, sidecars, state, workspace=repo, denyGlobs=["private/", "*.secret"])
    # Telegram lets a bot write about one message a second to a chat: four phones, four
    # chats, in parallel.
    helpers = [world.user] + [
        world.server.world.add_user(f"Tester {n}", phone=f"+1555600{n:04d}") for n in range(3)
    ]
    for user in helpers[1:]:
        allow(state, user, "viewer")
    phone = world.server.phone(world.user)

    async def command_as(user: Account, text: str) -> types.Message:
        user_phone = world.server.phone(user)
        before = len(user_phone.received(world.bot))
        user_phone.send(world.bot, text)
        got = await user_phone.wait_messages(before + 1, sender=world.bot, within=60)
        return got[before]

    async def command(text: str) -> types.Message:
        return await command_as(world.user, text)

    async def probe(user: Account, attempts: list[tuple[str, str]]) -> None:
        for name, path in attempts:
            reply = await command_as(user, f"/{name} {path}")
            if name == "file":
                assert reply.message.startswith("Cannot show that file"), (path, reply.message)
            elif name == "diff":
                assert reply.message == "That is not a workspace path tgbridge may show.", path

    assert len(HOSTILE) >= 40
    attempts = [(name, path) for path in HOSTILE for name in ("file", "diff", "find")]
    await asyncio.gather(
        *(probe(user, attempts[n :: len(helpers)]) for n, user in enumerate(helpers))
    )

    # What may be shown still is, without the denied files' changes or matches.
    shown = await command("/file src/app.py:1-2")
    assert "hello, phone" in shown.message
    before = len(phone.received(world.bot))
    phone.send(world.bot, "/diff")
    [stat] = (await phone.wait_messages(before + 1, sender=world.bot))[before:][:1]
    assert "hidden by the deny rules" in stat.message
    assert ".env" not in stat.message and "server.pem" not in stat.message
    await world.server.wait_until(
        lambda: any("hello, phone" in m.message for m in phone.received(world.bot)[before:]) or None
    )
    before = len(phone.received(world.bot))
    phone.send(world.bot, f"/find {SECRET}")
    found = await world.server.wait_until(
        lambda: next(
            (m for m in phone.received(world.bot)[before:] if "Nothing found" in m.message), None
        )
    )
    assert "files tgbridge does not show" in found.message

    for user in helpers:
        for message in world.server.phone(user).received(world.bot):
            assert SECRET not in message.message
            if message.media is not None:
                assert SECRET.encode() not in world.server.phone(user).file_of(message)

    db = open_database(state / "tgbridge.db")
    try:
        store = AccessStore(db)
        assert store.audit_count(action="command:/file", outcome="refused") == len(HOSTILE)
        # Each hostile /diff, and the whole /diff that left the denied files out.
        assert store.audit_count(action="command:/diff", outcome="refused") == len(HOSTILE) + 1
        assert store.audit_count(action="command:/find", outcome="refused") >= 1
    finally:
        db.close()


async def test_a_long_diff_comes_as_a_patch_document_and_the_menu_fits_the_role(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "ws")
    (repo / "src/util.py").write_text("".join(f"VALUE_{n} = {n}\n" for n in range(400)))
    await online_bot(world, sidecars, tmp_path / "state", workspace=repo)
    phone = world.server.phone(world.user)
    before = len(phone.received(world.bot))
    phone.send(world.bot, "/diff src/util.py")
    [reply] = (await phone.wait_messages(before + 1, sender=world.bot))[before:]
    assert isinstance(reply.media, types.MessageMediaDocument)
    patch = phone.file_of(reply).decode()
    assert patch.startswith("diff --git a/src/util.py b/src/util.py")
    assert "+VALUE_399 = 399" in patch
    assert "repo/src/util.py" in reply.message  # the caption names it

    # The owner's command menu was published from the registry.
    names = await world.server.wait_until(
        lambda: {c.command for c in world.bot.bot_commands} or None
    )
    assert {"status", "diff", "run", "audit", "users"} <= names
