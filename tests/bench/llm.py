"""The router's cost: time to the first streamed token through tgbridge's Router (openai
kind) minus the same openai SDK call made directly, both against the loopback LLM server
on 127.0.0.1 (one server, interleaved runs, after a warm-up; medians)."""

from __future__ import annotations

import asyncio
import statistics
import time

import openai

from tests.llm_server import LlmServer
from tgbridge.llm.config import LlmSettings, ProviderSetting
from tgbridge.llm.router import Router
from tgbridge.llm.types import ChatMessage, LlmRequest

WARM_UP = 5
MODEL = "bench-model"
QUESTION = "Why is the build red?"


async def _first_token_via_router(router: Router) -> float:
    request = LlmRequest("ask", (ChatMessage("user", QUESTION),))
    first = asyncio.get_running_loop().create_future()
    started = time.perf_counter()

    def on_text(text: str) -> None:
        if text and not first.done():
            first.set_result(time.perf_counter())

    await router.stream(request, on_text)
    return float(first.result()) - started


async def _first_token_via_sdk(client: openai.AsyncOpenAI) -> float:
    started = time.perf_counter()
    first: float | None = None
    chunks = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": QUESTION}],
        max_tokens=1024,
        stream=True,
        stream_options={"include_usage": True},
    )
    async for chunk in chunks:
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter()
    assert first is not None
    return first - started


async def overhead_ms(runs: int) -> tuple[float, float]:
    """(median router first-token time - median SDK first-token time, SDK median), in ms."""
    async with LlmServer(text="The tests fail because the cache is stale.") as server:
        base_url = server.url + "/v1"
        setting = ProviderSetting(kind="openai", model=MODEL, base_url=base_url)
        client = openai.AsyncOpenAI(api_key="not-needed", base_url=base_url, max_retries=0)
        async with Router(LlmSettings(providers=[setting]), {}) as router:
            for _ in range(WARM_UP):
                await _first_token_via_router(router)
                await _first_token_via_sdk(client)
            via_router: list[float] = []
            via_sdk: list[float] = []
            for _ in range(runs):
                via_router.append(await _first_token_via_router(router))
                via_sdk.append(await _first_token_via_sdk(client))
        await client.close()
    sdk = statistics.median(via_sdk) * 1000
    return statistics.median(via_router) * 1000 - sdk, sdk


def llm_lines(runs: int) -> list[str]:
    overhead, sdk = asyncio.run(overhead_ms(max(5, runs)))
    return [f"llm_overhead_ms: {overhead:.1f} ms (baseline SDK: {sdk:.1f} ms)"]


if __name__ == "__main__":
    for line in llm_lines(50):
        print(line)
