"""The server's RSA key: made once per process (about 3 s), never written to the repository.

Telethon 1.45 encrypts `sha1(data) + data + random` (255 bytes) with plain RSA to a key it
knows; tests register ours with `rsa.add_key(pem, old=False)` (or the product's data-centre
setting does, from the file `TelegramServer.public_key_file` names).
"""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import rsa
from telethon.crypto.rsa import _compute_fingerprint


@dataclass(frozen=True)
class ServerKey:
    private: rsa.PrivateKey
    fingerprint: int

    @property
    def public_pem(self) -> str:
        public = rsa.PublicKey(self.private.n, self.private.e)
        pem: bytes = public.save_pkcs1()
        return pem.decode()

    def decrypt(self, block: bytes) -> bytes:
        """Plain RSA, as Telethon encrypts: 255 bytes of sha1 + data + padding."""
        plain = pow(int.from_bytes(block, "big"), self.private.d, self.private.n)
        return plain.to_bytes(255, "big")


@functools.cache
def server_key() -> ServerKey:
    """The key, kept in the user's temp dir (0600) between runs: making one takes 1-10 s."""
    cache = Path(tempfile.gettempdir()) / f"tgbridge-loopback-key-{os.getuid()}.pem"
    try:
        private = rsa.PrivateKey.load_pkcs1(cache.read_bytes())
    except (OSError, ValueError):
        _, private = rsa.newkeys(2048, poolsize=1)
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(private.save_pkcs1())
        partial.chmod(0o600)
        partial.replace(cache)
    public = rsa.PublicKey(private.n, private.e)
    return ServerKey(private=private, fingerprint=_compute_fingerprint(public))
