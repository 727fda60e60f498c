"""Logging in through the sidecar: a bot, an account with two-step verification, and every
refusal said clearly — with no secret, whole or in part, in any log, notification, login
prompt or error, nor in any file under the state dir (the database with its -wal and -shm,
saved files, anything written there)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException
from telethon.sessions import StringSession

from tests.telegram.harness import API_HASH, API_ID, Sidecar, World, bot_login, start_sidecar


@dataclass(frozen=True)
class Secret:
    name: str
    pattern: re.Pattern[bytes]


def secret(name: str, value: str | bytes, *, number: bool = False) -> Secret:
    """A secret to look for; a `number` (a login code) only where no digit touches it,
    so that it is not found inside some longer number of a log line."""
    raw = re.escape(value.encode() if isinstance(value, str) else value)
    return Secret(name, re.compile(rb"(?<![0-9])" + raw + rb"(?![0-9])" if number else raw))


def api_hash() -> list[Secret]:
    return [secret("api hash", API_HASH)]


def bot_token(token: str) -> list[Secret]:
    """The whole token, and the part after the colon (the bot id before it is public)."""
    return [secret("bot token", token), secret("bot token after the colon", token.split(":")[1])]


def session(value: str) -> list[Secret]:
    """The session string, and the auth key in it, raw and in hex."""
    key: bytes = StringSession(value).auth_key.key
    return [secret("session", value), secret("auth key", key), secret("auth key in hex", key.hex())]


def assert_nothing_leaks(sidecar: Sidecar, err: str, state_dir: Path, *secrets: Secret) -> None:
    """Looks for each secret in the logs (the editor's and stderr), the notifications, the
    `tgbridge/askLogin` prompts, the error and every file under the state dir."""
    places = {
        "the logs": "\n".join(sidecar.logs()).encode(),
        "stderr": err.encode(),
        "the notifications": str(sidecar.notifications).encode(),
        "the askLogin prompts": str(sidecar.asked).encode(),
    }
    assert_nothing_at_rest(state_dir, *secrets, elsewhere=places)


def assert_nothing_at_rest(
    state_dir: Path, *secrets: Secret, elsewhere: dict[str, bytes] | None = None
) -> None:
    places = dict(elsewhere or {})
    files = sorted(path for path in state_dir.rglob("*") if path.is_file())
    for path in files:
        places[str(path.relative_to(state_dir))] = path.read_bytes()
    assert any(data.startswith(b"SQLite format 3") for data in places.values()), "no database"
    leaks = [
        f"{s.name} in {place}"
        for place, data in places.items()
        for s in secrets
        if s.pattern.search(data)
    ]
    assert leaks == [], "secrets leaked: " + "; ".join(leaks)


async def test_bot_login_goes_online_and_returns_a_session(
    world: World, sidecars: list[Sidecar], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    result = await bot_login(sidecar, world)
    assert result
    status = await sidecar.request("tgbridge/status", {})
    assert status["connection"]["state"] == "online"
    assert "tgbridge_bot" in status["connection"]["detail"]
    assert world.server.online(world.bot)
    secrets = [*bot_token(str(world.bot.bot_token)), *api_hash(), *session(result)]
    assert_nothing_leaks(sidecar, capfd.readouterr().err, tmp_path, *secrets)
    await sidecar.stop()  # and what is left on disk once it has gone
    assert_nothing_at_rest(tmp_path, *secrets)


async def test_account_login_asks_for_the_code_and_the_password(
    world: World, sidecars: list[Sidecar], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    # Typed as people paste it, with spaces around.
    sidecar.answers["code"] = lambda _: f" {world.server.login_code(world.user.phone or '')} "
    sidecar.answers["password"] = lambda _: "correct horse"
    result = await sidecar.request(
        "tgbridge/login",
        {"mode": "account", "apiId": API_ID, "apiHash": API_HASH, "phone": world.user.phone},
    )
    assert [asked["kind"] for asked in sidecar.asked] == ["code", "password"]
    assert result["connection"]["state"] == "online"
    assert "Ann" in result["connection"]["detail"] or "ann" in result["connection"]["detail"]
    code = world.server.login_code(world.user.phone or "")
    secrets = [
        secret("2FA password", "correct horse"),
        secret("login code", code, number=True),
        *api_hash(),
        *session(result["session"]),
    ]
    assert_nothing_leaks(sidecar, capfd.readouterr().err, tmp_path, *secrets)
    await sidecar.stop()
    assert_nothing_at_rest(tmp_path, *secrets)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"code": "00000"}, "The login code is wrong or expired."),
        ({"password": "wrong horse"}, "The two-step verification password is wrong."),
    ],
)
async def test_a_wrong_code_or_password_is_refused_clearly_and_nothing_is_kept(
    world: World,
    sidecars: list[Sidecar],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    answers: dict[str, str],
    expected: str,
) -> None:
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    typed: list[str] = []

    def code(_: object) -> str:
        typed.append(answers.get("code") or world.server.login_code(world.user.phone or ""))
        return typed[-1]

    sidecar.answers["code"] = code
    sidecar.answers["password"] = lambda _: answers.get("password", "correct horse")
    with pytest.raises(JsonRpcException) as raised:
        await sidecar.request(
            "tgbridge/login",
            {"mode": "account", "apiId": API_ID, "apiHash": API_HASH, "phone": world.user.phone},
        )
    assert raised.value.message == expected
    assert raised.value.data == {"code": "login_failed", "field": None}
    status = await sidecar.request("tgbridge/status", {})
    assert status["connection"]["state"] != "online"
    assert not any(world.server.auth_keys[k].account_id for k in world.server.auth_keys)
    secrets = [
        secret("wrong 2FA password", "wrong horse"),
        secret("2FA password", "correct horse"),
        *(secret("login code", value, number=True) for value in typed),
        *api_hash(),
    ]
    assert_nothing_leaks(sidecar, capfd.readouterr().err, tmp_path, *secrets)
    await sidecar.stop()
    assert_nothing_at_rest(tmp_path, *secrets)


async def test_a_wrong_bot_token_is_refused_clearly(
    world: World, sidecars: list[Sidecar], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    token = "999999:not-a-real-token-but-secret-all-the-same"
    with pytest.raises(JsonRpcException) as raised:
        await sidecar.request(
            "tgbridge/login",
            {"mode": "bot", "apiId": API_ID, "apiHash": API_HASH, "botToken": token},
        )
    assert raised.value.message == "Telegram refused the bot token."
    assert not any(state.account_id for state in world.server.auth_keys.values())
    secrets = [*bot_token(token), *api_hash()]
    assert_nothing_leaks(sidecar, capfd.readouterr().err, tmp_path, *secrets)
    await sidecar.stop()
    assert_nothing_at_rest(tmp_path, *secrets)
