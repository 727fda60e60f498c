"""Each provider drives its official SDK against the loopback server: the text streams in
order with the provider's token counts, the request carries what it should, and every
fault maps to the error kind the router acts on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.llm_server import Fault, LlmServer, Wire, faults
from tgbridge.llm.config import ProviderSetting
from tgbridge.llm.errors import LlmError
from tgbridge.llm.providers import Provider
from tgbridge.llm.providers.anthropic_provider import AnthropicProvider
from tgbridge.llm.providers.ollama_provider import OllamaProvider
from tgbridge.llm.providers.openai_provider import OpenAIProvider
from tgbridge.llm.types import ChatMessage, LlmRequest

WIRES: tuple[Wire, ...] = ("openai", "anthropic", "ollama")
SYSTEM = "Answer in one line."
REQUEST = LlmRequest(
    "ask", (ChatMessage("system", SYSTEM), ChatMessage("user", "What is 2+2?")), max_tokens=99
)


@pytest.fixture
async def server() -> AsyncIterator[LlmServer]:
    async with LlmServer(text="Four, as it always was.") as running:
        yield running


def provider(server: LlmServer, wire: Wire, timeout: float = 5) -> Provider:
    base_url = server.url + "/v1" if wire == "openai" else server.url
    setting = ProviderSetting(
        kind=wire, model=f"{wire}-model", base_url=base_url, timeout_seconds=timeout
    )
    if wire == "openai":
        return OpenAIProvider(setting, "sk-openai-test")
    if wire == "anthropic":
        return AnthropicProvider(setting, "sk-ant-test")
    return OllamaProvider(setting)


@pytest.mark.parametrize("wire", WIRES)
async def test_the_answer_streams_in_order_with_its_usage(server: LlmServer, wire: Wire) -> None:
    chunks: list[str] = []
    client = provider(server, wire)
    try:
        usage = await client.stream(REQUEST, chunks.append)
    finally:
        await client.aclose()
    assert [chunk for chunk in chunks if chunk] == server.pieces(wire)
    assert "".join(chunks) == "Four, as it always was."
    assert (usage.input_tokens, usage.output_tokens) == (17, len(server.pieces(wire)))


async def test_openai_gets_the_messages_and_asks_for_usage(server: LlmServer) -> None:
    client = provider(server, "openai")
    await client.stream(REQUEST, lambda _: None)
    await client.aclose()
    (sent,) = server.calls("openai")
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-openai-test"
    assert sent.body["model"] == "openai-model"
    assert sent.body["messages"][0] == {"role": "system", "content": SYSTEM}
    assert sent.body["max_tokens"] == 99
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}


async def test_anthropic_gets_the_system_prompt_apart(server: LlmServer) -> None:
    client = provider(server, "anthropic")
    await client.stream(REQUEST, lambda _: None)
    await client.aclose()
    (sent,) = server.calls("anthropic")
    # The SDK sends the key as x-api-key or, in newer versions, as a bearer token.
    bearer = sent.headers.get("authorization", "").removeprefix("Bearer ")
    assert "sk-ant-test" in (sent.headers.get("x-api-key"), bearer)
    assert sent.body["system"] == SYSTEM
    assert sent.body["messages"] == [{"role": "user", "content": "What is 2+2?"}]
    assert (sent.body["max_tokens"], sent.body["stream"]) == (99, True)


async def test_ollama_gets_the_messages_and_the_answer_limit(server: LlmServer) -> None:
    client = provider(server, "ollama")
    await client.stream(REQUEST, lambda _: None)
    await client.aclose()
    (sent,) = server.calls("ollama")
    assert sent.body["model"] == "ollama-model"
    assert sent.body["messages"][0] == {"role": "system", "content": SYSTEM}
    assert sent.body["options"]["num_predict"] == 99
    assert sent.body["stream"] is True


FAULTS: list[tuple[Fault, str]] = [
    (faults.server_error(), "unavailable"),
    (faults.server_error(503), "unavailable"),
    (faults.key_refused(), "key_refused"),
    (faults.model_missing(), "model_missing"),
    (faults.context_too_large(), "context_too_large"),
    (faults.rate_limited(3), "rate_limited"),
    (faults.cut(3), "unavailable"),
    (faults.malformed(3), "malformed"),
    (faults.hang(), "timeout"),
]


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize(("fault", "kind"), FAULTS, ids=[f"{f.kind}{f.status}" for f, _ in FAULTS])
async def test_a_fault_becomes_its_error_kind(
    server: LlmServer, wire: Wire, fault: Fault, kind: str
) -> None:
    server.fail_next(wire, fault)
    client = provider(server, wire, timeout=0.3)
    try:
        with pytest.raises(LlmError) as raised:
            await client.stream(REQUEST, lambda _: None)
    finally:
        await client.aclose()
    assert raised.value.kind == kind
    assert raised.value.message.startswith(wire)


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
@pytest.mark.parametrize(
    ("fault", "seconds"),
    [(faults.rate_limited(7), 7.0), (faults.rate_limited(retry_after_ms=1500), 1.5)],
)
async def test_a_rate_limit_says_how_long_to_wait(
    server: LlmServer, wire: Wire, fault: Fault, seconds: float
) -> None:
    server.fail_next(wire, fault)
    client = provider(server, wire)
    with pytest.raises(LlmError) as raised:
        await client.stream(REQUEST, lambda _: None)
    await client.aclose()
    assert raised.value.retry_after == seconds
    assert f"try again in {seconds:.0f} s" in raised.value.message
