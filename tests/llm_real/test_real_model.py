"""tgbridge's router streams an answer from a real model (SmolLM2-135M) through a real
OpenAI-compatible server. What the model says is not checked, only that it streamed."""

from __future__ import annotations

import itertools

from tgbridge.llm.config import LlmSettings, ProviderSetting
from tgbridge.llm.router import Router
from tgbridge.llm.types import ChatMessage, LlmRequest


async def test_router_streams_a_real_models_answer(llama_base_url: str) -> None:
    setting = ProviderSetting(
        name="local", kind="openai", model="smollm2", base_url=llama_base_url, timeout_seconds=60
    )
    request = LlmRequest(task="ask", messages=(ChatMessage("user", "Say hello."),), max_tokens=32)
    seen: list[str] = []  # the whole text so far, once per streamed chunk
    async with Router(LlmSettings(providers=[setting]), keys={}) as router:
        result = await router.stream(request, seen.append)

    assert result.provider == "local"
    assert result.text.strip()
    assert len(seen) > 1, f"the answer came in {len(seen)} piece(s): not streamed"
    for earlier, later in itertools.pairwise(seen):
        assert later.startswith(earlier) and len(later) > len(earlier), seen
    assert seen[-1] == result.text
    assert result.first_token_ms is not None
