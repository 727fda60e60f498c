"""The server side of Telegram's two-step verification (SRP-2048), checking what
`telethon.password.compute_check` computes on the client."""

from __future__ import annotations

import functools
import os

from telethon.password import big_num_for_hash, compute_hash, num_bytes_for_hash, sha256, xor
from telethon.tl import types

from tests.telegram_server.handshake import DH_G, DH_PRIME, DH_PRIME_BYTES


def algorithm(
    salt1: bytes, salt2: bytes
) -> types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow:
    return types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
        salt1=salt1, salt2=salt2, g=DH_G, p=DH_PRIME_BYTES
    )


@functools.cache
def verifier(password: str, salt1: bytes, salt2: bytes) -> int:
    """v = g^x, x the PBKDF2-based hash of the password (about 0.1 s: cached)."""
    x = int.from_bytes(compute_hash(algorithm(salt1, salt2), password), "big")
    return pow(DH_G, x, DH_PRIME)


def _k() -> int:
    return int.from_bytes(sha256(num_bytes_for_hash(DH_PRIME_BYTES), big_num_for_hash(DH_G)), "big")


def server_public(v: int) -> tuple[int, bytes]:
    """A fresh secret b and the public B = k*v + g^b that goes out as srp_B."""
    b = int.from_bytes(os.urandom(256), "big")
    big_b = (_k() * v + pow(DH_G, b, DH_PRIME)) % DH_PRIME
    return b, big_num_for_hash(big_b)


def check(v: int, b: int, salt1: bytes, salt2: bytes, a_bytes: bytes, m1: bytes) -> bool:
    big_b = big_num_for_hash((_k() * v + pow(DH_G, b, DH_PRIME)) % DH_PRIME)
    a = int.from_bytes(a_bytes, "big")
    if not 1 < a < DH_PRIME - 1:
        return False
    u = int.from_bytes(sha256(a_bytes, big_b), "big")
    s = pow(a * pow(v, u, DH_PRIME) % DH_PRIME, b, DH_PRIME)
    k = sha256(big_num_for_hash(s))
    p_hash, g_hash = num_bytes_for_hash(DH_PRIME_BYTES), big_num_for_hash(DH_G)
    expected = sha256(
        xor(sha256(p_hash), sha256(g_hash)), sha256(salt1), sha256(salt2), a_bytes, big_b, k
    )
    return bool(expected == m1)
