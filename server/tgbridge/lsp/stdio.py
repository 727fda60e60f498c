"""Serving JSON-RPC on stdin/stdout with stdin read by the event loop itself.

pygls reads stdin through a thread pool, one executor round trip per header line and body:
about a millisecond per request on a busy machine, paid on every send. An asyncio pipe
reader costs nothing extra. Where stdin is not a pipe (a file, say), pygls's reader stays.
"""

from __future__ import annotations

import asyncio
import sys
import threading

from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async
from pygls.lsp.server import LanguageServer


async def _stdin_reader() -> asyncio.StreamReader | StdinAsyncReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    except (ValueError, OSError):
        return StdinAsyncReader(sys.stdin.buffer)
    return reader


async def _serve(server: LanguageServer) -> None:
    server._stop_event = stop = threading.Event()
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    await run_async(
        stop_event=stop,
        reader=await _stdin_reader(),
        protocol=server.protocol,
        error_handler=server.report_server_error,
    )


def serve_stdio(server: LanguageServer) -> None:
    try:
        asyncio.run(_serve(server))
    except BrokenPipeError:
        pass  # the editor went away
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]
