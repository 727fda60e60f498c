"""Logging in: bot tokens, login codes (sendCode, resendCode, signIn), the 2FA password
(account.getPassword, auth.checkPassword) and logging out."""

from __future__ import annotations

import secrets
from typing import Any

from telethon.tl import functions, types

from tests.telegram_server import srp
from tests.telegram_server.rpc import RpcError, handles
from tests.telegram_server.world import Account, digits


def _authorize(call: Any, account: Account) -> types.auth.Authorization:
    call.auth.account_id = account.id
    call.auth.pending_account_id = None
    return types.auth.Authorization(user=account.user(account))


@handles(functions.auth.ImportBotAuthorizationRequest, needs_login=False)
async def import_bot_authorization(call: Any) -> types.auth.Authorization:
    account = call.world.by_token(call.request.bot_auth_token)
    if account is None:
        raise RpcError(400, "ACCESS_TOKEN_INVALID")
    return _authorize(call, account)


def _sent_code(call: Any, phone: str) -> types.auth.SentCode:
    code = "".join(secrets.choice("0123456789") for _ in range(5))
    code_hash = secrets.token_hex(8)
    call.server.login_codes[digits(phone)] = code
    call.server.code_hashes[code_hash] = (phone, code)
    return types.auth.SentCode(
        type=types.auth.SentCodeTypeApp(length=5),
        phone_code_hash=code_hash,
        next_type=types.auth.CodeTypeSms(),
        timeout=60,
    )


@handles(functions.auth.SendCodeRequest, needs_login=False)
async def send_code(call: Any) -> types.auth.SentCode:
    if call.world.by_phone(call.request.phone_number) is None:
        raise RpcError(400, "PHONE_NUMBER_INVALID")
    return _sent_code(call, call.request.phone_number)


@handles(functions.auth.ResendCodeRequest, needs_login=False)
async def resend_code(call: Any) -> types.auth.SentCode:
    if call.server.code_hashes.pop(call.request.phone_code_hash, None) is None:
        raise RpcError(400, "PHONE_CODE_EXPIRED")
    return _sent_code(call, call.request.phone_number)


@handles(functions.auth.SignInRequest, needs_login=False)
async def sign_in(call: Any) -> types.auth.Authorization:
    request = call.request
    pending = call.server.code_hashes.get(request.phone_code_hash)
    if pending is None or pending[0] != request.phone_number:
        raise RpcError(400, "PHONE_CODE_EXPIRED")
    if request.phone_code != pending[1]:
        raise RpcError(400, "PHONE_CODE_INVALID")
    del call.server.code_hashes[request.phone_code_hash]
    account = call.world.by_phone(request.phone_number)
    assert account is not None
    if account.password:
        call.auth.pending_account_id = account.id
        raise RpcError(401, "SESSION_PASSWORD_NEEDED")
    return _authorize(call, account)


def _password_account(call: Any) -> Account:
    account_id = call.auth.account_id or call.auth.pending_account_id
    if account_id is None:
        raise RpcError(401, "AUTH_KEY_UNREGISTERED")
    account: Account = call.world.accounts[account_id]
    return account


@handles(functions.account.GetPasswordRequest, needs_login=False)
async def get_password(call: Any) -> types.account.Password:
    account = _password_account(call)
    new_algo = srp.algorithm(account.srp_salt1[:8], account.srp_salt2)
    secure = types.SecurePasswordKdfAlgoPBKDF2HMACSHA512iter100000(salt=secrets.token_bytes(8))
    if not account.password:
        return types.account.Password(
            new_algo=new_algo, new_secure_algo=secure, secure_random=secrets.token_bytes(32)
        )
    verifier = srp.verifier(account.password, account.srp_salt1, account.srp_salt2)
    b, big_b = srp.server_public(verifier)
    srp_id = secrets.randbits(63)
    call.auth.srp[srp_id] = b
    return types.account.Password(
        has_password=True,
        current_algo=srp.algorithm(account.srp_salt1, account.srp_salt2),
        srp_B=big_b,
        srp_id=srp_id,
        new_algo=new_algo,
        new_secure_algo=secure,
        secure_random=secrets.token_bytes(32),
    )


@handles(functions.auth.CheckPasswordRequest, needs_login=False)
async def check_password(call: Any) -> types.auth.Authorization:
    account = _password_account(call)
    check = call.request.password
    b = call.auth.srp.pop(getattr(check, "srp_id", None), None)
    if not account.password or b is None or not isinstance(check, types.InputCheckPasswordSRP):
        raise RpcError(400, "SRP_ID_INVALID")
    verifier = srp.verifier(account.password, account.srp_salt1, account.srp_salt2)
    if not srp.check(verifier, b, account.srp_salt1, account.srp_salt2, check.A, check.M1):
        raise RpcError(400, "PASSWORD_HASH_INVALID")
    return _authorize(call, account)


@handles(functions.auth.LogOutRequest)
async def log_out(call: Any) -> types.auth.LoggedOut:
    call.auth.account_id = None
    return types.auth.LoggedOut()
