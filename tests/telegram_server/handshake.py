"""The server side of MTProto's auth-key exchange (req_pq_multi, req_DH_params,
set_client_DH_params), on Telethon's TL types so both ends agree on every byte."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from hashlib import sha1

from telethon import helpers
from telethon.crypto import AES, AuthKey
from telethon.crypto.rsa import get_byte_array
from telethon.extensions import BinaryReader
from telethon.tl import TLObject, functions, types

from tests.telegram_server.keys import ServerKey

# Telegram's own DH prime (as Telethon checks it for 2FA) with g = 3.
DH_PRIME_BYTES = bytes.fromhex(
    "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F"
    "48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37"
    "20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64"
    "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4"
    "A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754"
    "FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4"
    "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F"
    "0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B"
)
DH_PRIME = int.from_bytes(DH_PRIME_BYTES, "big")
DH_G = 3

# Two small primes whose product Telethon factorises in a few milliseconds.
_P, _Q = 1229739323, 1402015859


class HandshakeError(Exception):
    pass


@dataclass
class Handshake:
    key: ServerKey
    nonce: int = 0
    server_nonce: int = field(
        default_factory=lambda: int.from_bytes(os.urandom(16), "big", signed=True)
    )
    new_nonce: int = 0
    a: int = 0

    def answer(self, request: TLObject) -> tuple[TLObject, AuthKey | None]:
        """The reply to one plain-text handshake step, and the auth key once it is made."""
        if isinstance(request, (functions.ReqPqMultiRequest, functions.ReqPqRequest)):
            self.nonce = request.nonce
            return types.ResPQ(
                nonce=self.nonce,
                server_nonce=self.server_nonce,
                pq=get_byte_array(_P * _Q),
                server_public_key_fingerprints=[self.key.fingerprint],
            ), None
        if isinstance(request, functions.ReqDHParamsRequest):
            return self._dh_params(request), None
        if isinstance(request, functions.SetClientDHParamsRequest):
            return self._client_dh_params(request)
        raise HandshakeError(f"unexpected {type(request).__name__} before an auth key exists")

    def _dh_params(self, request: functions.ReqDHParamsRequest) -> TLObject:
        self._check_nonces(request)
        if request.public_key_fingerprint != self.key.fingerprint:
            raise HandshakeError("unknown public key fingerprint")
        plain = self.key.decrypt(request.encrypted_data)
        reader = BinaryReader(plain[20:])
        inner = reader.tgread_object()
        if sha1(plain[20 : 20 + reader.tell_position()]).digest() != plain[:20]:
            raise HandshakeError("p_q_inner_data hash mismatch")
        if not isinstance(inner, types.PQInnerData) or inner.nonce != self.nonce:
            raise HandshakeError("bad p_q_inner_data")
        self.new_nonce = inner.new_nonce
        self.a = int.from_bytes(os.urandom(256), "big")
        g_a = pow(DH_G, self.a, DH_PRIME)
        answer = bytes(
            types.ServerDHInnerData(
                nonce=self.nonce,
                server_nonce=self.server_nonce,
                g=DH_G,
                dh_prime=DH_PRIME_BYTES,
                g_a=get_byte_array(g_a),
                server_time=int(time.time()),
            )
        )
        with_hash = sha1(answer).digest() + answer
        with_hash += os.urandom(-len(with_hash) % 16)
        key, iv = helpers.generate_key_data_from_nonce(self.server_nonce, self.new_nonce)
        return types.ServerDHParamsOk(
            nonce=self.nonce,
            server_nonce=self.server_nonce,
            encrypted_answer=AES.encrypt_ige(with_hash, key, iv),
        )

    def _client_dh_params(
        self, request: functions.SetClientDHParamsRequest
    ) -> tuple[TLObject, AuthKey]:
        self._check_nonces(request)
        key, iv = helpers.generate_key_data_from_nonce(self.server_nonce, self.new_nonce)
        plain = AES.decrypt_ige(request.encrypted_data, key, iv)
        reader = BinaryReader(plain[20:])
        inner = reader.tgread_object()
        if sha1(plain[20 : 20 + reader.tell_position()]).digest() != plain[:20]:
            raise HandshakeError("client_DH_inner_data hash mismatch")
        if not isinstance(inner, types.ClientDHInnerData):
            raise HandshakeError("bad client_DH_inner_data")
        g_b = int.from_bytes(inner.g_b, "big")
        auth_key = AuthKey(get_byte_array(pow(g_b, self.a, DH_PRIME)))
        return types.DhGenOk(
            nonce=self.nonce,
            server_nonce=self.server_nonce,
            new_nonce_hash1=auth_key.calc_new_nonce_hash(self.new_nonce, 1),
        ), auth_key

    def _check_nonces(self, request: TLObject) -> None:
        if request.nonce != self.nonce or request.server_nonce != self.server_nonce:
            raise HandshakeError("nonce mismatch")
