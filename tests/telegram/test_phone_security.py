"""The phone side lets in only who was let in: through the hub and the loopback server,
as phones would. Pairing is the only way in; a stranger gets one fixed refusal at most,
nothing of theirs is stored or downloaded, and every attempt is audited."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from telethon.tl import functions, types

from tests.telegram.harness import Sidecar, World, online_bot
from tests.telegram.repo import make_repo
from tests.telegram_server import Account
from tests.telegram_server.api.bots import button_data
from tgbridge.bot.strangers import REFUSAL
from tgbridge.security.access import AccessStore
from tgbridge.store.database import open_database


def texts(world: World, user: Account) -> list[str]:
    phone = world.server.phone(user)
    return [m.message for m in phone.received(world.bot)]


async def ask(world: World, user: Account, text: str, *, chat: Any = None) -> types.Message:
    """Sends a command as `user` and waits for the bot's next message to them."""
    phone = world.server.phone(user)
    before = len(phone.received(world.bot))
    phone.send(chat or world.bot, text)
    return (await phone.wait_messages(before + 1, sender=world.bot))[before]


async def wait_text(world: World, user: Account, fragment: str) -> types.Message:
    """The bot's first message to `user` that contains `fragment`, once it arrives."""
    phone = world.server.phone(user)
    return await world.server.wait_until(
        lambda: next((m for m in phone.received(world.bot) if fragment in m.message), None)
    )


async def pair(sidecar: Sidecar, world: World, user: Account) -> types.Message:
    code = (await sidecar.request("tgbridge/pairPhone", {}))["code"]
    return await ask(world, user, f"/start {code}")


def buttons(message: types.Message) -> dict[str, bytes]:
    rows = getattr(message.reply_markup, "rows", [])
    return {b.text: button_data(b) or b"" for row in rows for b in row.buttons}


def audit(state: Path) -> list[tuple[int | None, str, str, str]]:
    db = open_database(state / "tgbridge.db")
    try:
        rows = AccessStore(db).audit_log(limit=1000)
        return [(r.user_id, r.action, r.outcome, r.detail) for r in reversed(rows)]
    finally:
        db.close()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "ws")


async def test_a_stranger_gets_one_fixed_refusal_and_nothing_of_theirs_is_kept(
    world: World, sidecars: list[Sidecar], tmp_path: Path, repo: Path
) -> None:
    state = tmp_path / "state"
    sidecar = await online_bot(world, sidecars, state, workspace=repo, paired=False)
    result = await sidecar.request("tgbridge/pairPhone", {})
    assert result["link"] == f"https://t.me/tgbridge_bot?start={result['code']}"
    phone = world.server.phone(world.user)
    phone.send(world.bot, "hello, can I see your code?")
    phone.send(world.bot, "/status")
    phone.send(world.bot, "/file src/app.py")
    phone.send_file(world.bot, b"payload " * 100, "upload.bin", caption="take this")
    phone.send(world.bot, "/start WRONGCODE")
    # The inbound path is one ordered queue: once pairing answers, all of the above were
    # screened, and each refusal after the first was held back.
    phone.send(world.bot, f"/start {result['code']}")
    paired = await wait_text(world, world.user, "You are the owner")
    assert texts(world, world.user) == [REFUSAL, paired.message]
    assert "hello from the readme" not in "".join(texts(world, world.user))

    found = await sidecar.request("tgbridge/history", {"search": "hello"})
    assert found["messages"] == []
    shown = [m["text"] for m in sidecar.of("tgbridge/message")]
    assert not any("hello" in text or "take this" in text for text in shown)
    assert world.server.outcomes(functions.upload.GetFileRequest, "ok") == []
    assert not list((state / "files").glob("**/*upload*"))

    strangers = [row for row in audit(state) if row[1] == "stranger"]
    assert [row[3] for row in strangers] == [
        "message",
        "command /status",
        "command /file",
        "file",
        "command /start",
    ]
    assert all(row[0] == world.user.id and row[2] == "refused" for row in strangers)

    # Now the owner: commands answer, and the owner's own messages are kept.
    status = await ask(world, world.user, "/status")
    assert "on main" in status.message
    analytics = await ask(world, world.user, "/analytics")
    assert "Last 24 h" in analytics.message and "/status 1" in analytics.message
    phone.send(world.bot, "now I am in")
    await sidecar.wait_for(
        lambda: any(m["text"] == "now I am in" for m in sidecar.of("tgbridge/message")) or None
    )


async def test_roles_decide_what_each_paired_phone_may_do(
    world: World, sidecars: list[Sidecar], tmp_path: Path, repo: Path
) -> None:
    state = tmp_path / "state"
    bob = world.server.world.add_user("Bob", phone="+15550000002", username="bob")
    sidecar = await online_bot(world, sidecars, state, workspace=repo, paired=False)
    assert "owner" in (await pair(sidecar, world, world.user)).message

    owner_phone = world.server.phone(world.user)
    before = len(owner_phone.received(world.bot))
    waiting = await pair(sidecar, world, bob)
    assert "owner was asked" in waiting.message
    [request] = (await owner_phone.wait_messages(before + 1, sender=world.bot))[before:]
    assert "@bob" in request.message
    # Bob is not in yet: a command gets nothing.
    bob_phone = world.server.phone(bob)
    bob_phone.send(world.bot, "/status")
    answer = await owner_phone.press(request, buttons(request)["Viewer"])
    assert answer.message == "Approved."
    welcome = await bob_phone.next_message(sender=world.bot)
    assert "as a viewer" in welcome.message
    assert not any("on main" in text for text in texts(world, bob))

    for command, needed in (("/run", "collaborator"), ("/audit", "owner"), ("/users", "owner")):
        refused = await ask(world, bob, command)
        assert refused.message == f"{command} needs the {needed} role; you are a viewer."
    assert "on main" in (await ask(world, bob, "/status")).message

    # The owner makes Bob a collaborator: /run is his now, /audit and /users still not.
    users = await ask(world, world.user, "/users")
    pressed = await owner_phone.press(users, buttons(users)["@bob: make collaborator"])
    assert pressed.message == "@bob is now a collaborator."
    assert "No tasks are declared" in (await ask(world, bob, "/run")).message
    for command in ("/audit", "/users"):
        refused = await ask(world, bob, command)
        assert refused.message == f"{command} needs the owner role; you are a collaborator."

    # Removed, Bob is a stranger again: his old buttons do nothing but say so.
    menu = await ask(world, bob, "/workspace")
    users = await ask(world, world.user, "/users")
    assert (await owner_phone.press(users, buttons(users)["Remove @bob"])).message == "Removed."
    late = await bob_phone.press(menu, next(iter(buttons(menu).values())))
    assert late.message == "This bot is private."
    log = audit(state)
    assert (bob.id, "command:/audit", "refused", "needs owner") in log
    assert (bob.id, "button", "refused", "not on the allowlist") in log


async def test_five_wrong_tries_lock_the_pairing_code(
    world: World, sidecars: list[Sidecar], tmp_path: Path, repo: Path
) -> None:
    state = tmp_path / "state"
    sidecar = await online_bot(world, sidecars, state, workspace=repo, paired=False)
    code = (await sidecar.request("tgbridge/pairPhone", {}))["code"]
    phone = world.server.phone(world.user)
    wrong = "23456789" if code != "23456789" else "98765432"
    for _ in range(5):
        phone.send(world.bot, f"/start {wrong}")
    phone.send(world.bot, f"/start {code}")  # right, but too late: the code is locked
    # Inbound messages are screened in order: once a second stranger is refused, the
    # tries above were all counted.
    carol = world.server.world.add_user("Carol", phone="+15550000003")
    world.server.phone(carol).send(world.bot, "hi")
    await wait_text(world, carol, REFUSAL)
    # A fresh code works.
    fresh = (await sidecar.request("tgbridge/pairPhone", {}))["code"]
    assert sidecar.of("tgbridge/paired") == []
    phone.send(world.bot, f"/start {fresh}")
    await wait_text(world, world.user, "You are the owner")
    assert texts(world, world.user)[:-1] == [REFUSAL]
    # The editor hears of it: the Chat view closes the code it shows.
    paired = await sidecar.wait_for(lambda: sidecar.of("tgbridge/paired") or None)
    assert paired == [{"name": "@ann", "role": "owner"}]
    outcomes = [row[2] for row in audit(state) if row[1] == "pair"]
    assert outcomes == ["wrong"] * 5 + ["locked", "owner"]


async def test_buttons_pressed_twice_by_someone_else_or_late_change_nothing(
    world: World,
    sidecars: list[Sidecar],
    tmp_path: Path,
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TGBRIDGE_TEST_BUTTON_SECONDS", "3")
    state = tmp_path / "state"
    bob = world.server.world.add_user("Bob", phone="+15550000002", username="bob")
    team = world.server.world.add_group("team", [world.user, bob, world.bot])
    from tests.telegram.harness import allow

    allow(state, bob, "viewer")
    await online_bot(world, sidecars, state, workspace=repo)
    owner, bobs = world.server.phone(world.user), world.server.phone(bob)

    menu = await ask(world, world.user, "/workspace@tgbridge_bot", chat=team)
    choose = buttons(menu)[repo.name]
    bob_copy = next(m for m in bobs.received(world.bot) if m.message == menu.message)
    assert (await bobs.press(bob_copy, choose)).message == "This button is not for you."
    assert (await owner.press(menu, choose)).message == f"Chose {repo.name}."
    again = await owner.press(menu, choose)
    assert again.message == "This button was already used."

    late = await ask(world, world.user, "/session")
    await asyncio.sleep(3.5)  # the button's lifetime, shortened for the test
    expired = await owner.press(late, buttons(late)["Start a new session"])
    assert expired.message == "This button has expired."
    log = audit(state)
    assert (bob.id, "button", "refused", "not_yours") in log
    assert (world.user.id, "button", "refused", "used") in log
    assert (world.user.id, "button", "refused", "expired") in log


async def test_the_bots_own_replies_reach_the_editor_live(
    world: World, sidecars: list[Sidecar], tmp_path: Path, repo: Path
) -> None:
    sidecar = await online_bot(world, sidecars, tmp_path / "state", workspace=repo)
    await ask(world, world.user, "/status")
    shown = await sidecar.wait_for(
        lambda: [m for m in sidecar.of("tgbridge/message") if m["outgoing"]] or None
    )
    assert "on main" in shown[0]["text"]
