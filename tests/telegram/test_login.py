"""Logging in through the sidecar: a bot, an account with two-step verification, and every
refusal said clearly — with no secret in any log, notification or error."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from tests.telegram.harness import API_HASH, API_ID, Sidecar, World, bot_login, start_sidecar


def assert_nothing_leaks(sidecar: Sidecar, err: str, *secrets: str) -> None:
    seen = [*sidecar.logs(), err, *(str(params) for _, params in sidecar.notifications)]
    for secret in secrets:
        for text in seen:
            assert secret not in text


async def test_bot_login_goes_online_and_returns_a_session(
    world: World, sidecars: list[Sidecar], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    session = await bot_login(sidecar, world)
    assert session
    status = await sidecar.request("tgbridge/status", {})
    assert status["connection"]["state"] == "online"
    assert "tgbridge_bot" in status["connection"]["detail"]
    assert world.server.online(world.bot)
    assert_nothing_leaks(
        sidecar, capfd.readouterr().err, str(world.bot.bot_token), API_HASH, session
    )


async def test_account_login_asks_for_the_code_and_the_password(
    world: World, sidecars: list[Sidecar], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sidecar = await start_sidecar(world, sidecars, tmp_path)
    sidecar.answers["code"] = lambda _: world.server.login_code(world.user.phone or "")
    sidecar.answers["password"] = lambda _: "correct horse"
    result = await sidecar.request(
        "tgbridge/login",
        {"mode": "account", "apiId": API_ID, "apiHash": API_HASH, "phone": world.user.phone},
    )
    assert [asked["kind"] for asked in sidecar.asked] == ["code", "password"]
    assert result["connection"]["state"] == "online"
    assert "Ann" in result["connection"]["detail"] or "ann" in result["connection"]["detail"]
    code = world.server.login_code(world.user.phone or "")
    assert_nothing_leaks(
        sidecar, capfd.readouterr().err, "correct horse", API_HASH, result["session"], code
    )


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
    code = answers.get("code")
    sidecar.answers["code"] = lambda _: code or world.server.login_code(world.user.phone or "")
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
    assert_nothing_leaks(sidecar, capfd.readouterr().err, "wrong horse", "correct horse", API_HASH)


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
    assert_nothing_leaks(sidecar, capfd.readouterr().err, token, API_HASH)
