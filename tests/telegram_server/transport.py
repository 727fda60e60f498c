"""TcpFull, the transport Telethon uses by default: length, sequence number, body, CRC32."""

from __future__ import annotations

import asyncio
import struct
from zlib import crc32


class TransportError(Exception):
    pass


class FullTransport:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._send_seq = 0
        self._recv_seq = 0

    async def read(self) -> bytes:
        header = await self._reader.readexactly(8)
        length, seq = struct.unpack("<ii", header)
        if length < 12 or length > 16 * 1024 * 1024:
            raise TransportError(f"bad packet length {length}")
        rest = await self._reader.readexactly(length - 8)
        body, checksum = rest[:-4], struct.unpack("<I", rest[-4:])[0]
        if crc32(header + body) != checksum:
            raise TransportError("bad CRC32")
        if seq != self._recv_seq:
            raise TransportError(f"packet sequence {seq}, expected {self._recv_seq}")
        self._recv_seq += 1
        return body

    def write(self, body: bytes) -> None:
        if self._writer.is_closing():
            return
        packet = struct.pack("<ii", len(body) + 12, self._send_seq) + body
        self._send_seq += 1
        self._writer.write(packet + struct.pack("<I", crc32(packet)))

    def write_error(self, code: int) -> None:
        """A transport error such as -404 (unknown auth key): a bare 4-byte body."""
        self.write(struct.pack("<i", code))

    async def drain(self) -> None:
        if not self._writer.is_closing():
            await self._writer.drain()

    def close(self, *, abort: bool = False) -> None:
        if abort:
            self._writer.transport.abort()
        else:
            self._writer.close()
