"""The router against the loopback server through the official SDKs: providers per task,
fallback in order, Retry-After honoured, timeouts, a stream that restarts in the same
message, local-only, and errors a user can act on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError

from tests.llm_server import LlmServer, Wire, faults
from tgbridge.llm.config import LlmSettings, ProviderSetting
from tgbridge.llm.errors import LlmError
from tgbridge.llm.local import is_local
from tgbridge.llm.router import NO_PROVIDER, Router
from tgbridge.llm.types import Attempt, ChatMessage, LlmRequest, LlmResult

KEYS = {"openai": "sk-openai-test", "anthropic": "sk-ant-test"}
REQUEST = LlmRequest("ask", (ChatMessage("user", "Why is the build red?"),))


@pytest.fixture
async def server() -> AsyncIterator[LlmServer]:
    async with LlmServer() as running:
        running.texts = {
            "openai": "OpenAI thinks the tests fail.",
            "anthropic": "Anthropic thinks a lint step fails.",
            "ollama": "Ollama thinks the cache is stale.",
        }
        yield running


@pytest.fixture(autouse=True)
def no_ambient_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OLLAMA_HOST", "OLLAMA_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def setting(server: LlmServer, wire: Wire, **options: object) -> ProviderSetting:
    base_url = server.url + "/v1" if wire == "openai" else server.url
    return ProviderSetting.model_validate(
        {"kind": wire, "model": f"{wire}-model", "base_url": base_url, **options}
    )


class Sleeps:
    """A fake sleep: records each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Message:
    """One chat message the caller edits with whatever on_text says."""

    def __init__(self) -> None:
        self.text = ""
        self.edits: list[str] = []

    def __call__(self, text: str) -> None:
        self.text = text
        self.edits.append(text)


async def ask(
    settings: LlmSettings, sleep: Sleeps | None = None, keys: dict[str, str] = KEYS
) -> tuple[Message, LlmResult]:
    message = Message()
    async with Router(settings, keys, sleep=sleep or Sleeps()) as router:
        result = await router.stream(REQUEST, message)
    return message, result


async def test_the_first_provider_answers_and_streams(server: LlmServer) -> None:
    settings = LlmSettings(providers=[setting(server, "anthropic"), setting(server, "ollama")])
    message, result = await ask(settings)
    assert message.text == result.text == "Anthropic thinks a lint step fails."
    assert message.edits == [
        "Anthropic ",
        "Anthropic thinks ",
        "Anthropic thinks a ",
        "Anthropic thinks a lint ",
        "Anthropic thinks a lint step ",
        "Anthropic thinks a lint step fails.",
    ]
    assert (result.provider, result.model) == ("anthropic", "anthropic-model")
    assert (result.input_tokens, result.output_tokens) == (17, 6)
    assert result.first_token_ms is not None
    assert 0 < result.first_token_ms <= result.latency_ms
    assert result.attempts == (Attempt("anthropic", None),)
    assert server.calls("ollama") == []


async def test_providers_fall_back_in_order(server: LlmServer) -> None:
    server.fail_next("openai", faults.server_error())
    server.fail_next("anthropic", faults.rate_limited(2))
    sleeps = Sleeps()
    settings = LlmSettings(
        providers=[
            setting(server, "openai"),
            setting(server, "anthropic"),
            setting(server, "ollama"),
        ]
    )
    message, result = await ask(settings, sleeps)
    assert result.attempts == (
        Attempt("openai", "unavailable"),
        Attempt("anthropic", "rate_limited"),
        Attempt("ollama", None),
    )
    assert message.text == "Ollama thinks the cache is stale."
    assert [request.wire for request in server.requests] == ["openai", "anthropic", "ollama"]
    assert sleeps.waits == []  # another provider followed: no waiting


@pytest.mark.parametrize(
    ("fault", "wait"),
    [(faults.rate_limited(2), 2.0), (faults.rate_limited(retry_after_ms=1500), 1.5)],
)
async def test_the_last_provider_is_retried_after_its_retry_after(
    server: LlmServer, fault: faults.Fault, wait: float
) -> None:
    server.fail_next("anthropic", fault)
    sleeps = Sleeps()
    _, result = await ask(LlmSettings(providers=[setting(server, "anthropic")]), sleeps)
    assert sleeps.waits == [wait]
    assert result.attempts == (Attempt("anthropic", "rate_limited"), Attempt("anthropic", None))
    assert len(server.calls("anthropic")) == 2


async def test_a_wait_too_long_is_not_waited_for(server: LlmServer) -> None:
    server.fail_next("openai", faults.rate_limited(40))
    sleeps = Sleeps()
    with pytest.raises(LlmError) as raised:
        await ask(LlmSettings(providers=[setting(server, "openai")]), sleeps)
    assert sleeps.waits == []
    assert raised.value.kind == "rate_limited"
    assert raised.value.retry_after == 40
    assert raised.value.message == "openai is rate limiting tgbridge: try again in 40 s."


async def test_a_provider_rate_limited_twice_is_retried_once(server: LlmServer) -> None:
    server.fail_next("openai", faults.rate_limited(1), faults.rate_limited(1))
    sleeps = Sleeps()
    with pytest.raises(LlmError) as raised:
        await ask(LlmSettings(providers=[setting(server, "openai")]), sleeps)
    assert sleeps.waits == [1.0]
    assert raised.value.kind == "rate_limited"
    assert len(server.calls("openai")) == 2


async def test_a_provider_that_does_not_answer_in_time_falls_back(server: LlmServer) -> None:
    server.fail_next("openai", faults.hang())
    settings = LlmSettings(
        providers=[setting(server, "openai", timeout_seconds=0.5), setting(server, "ollama")]
    )
    _, result = await ask(settings)
    assert result.attempts == (Attempt("openai", "timeout"), Attempt("ollama", None))


async def test_a_stream_that_stalls_midway_restarts_the_message(server: LlmServer) -> None:
    server.fail_next("anthropic", faults.hang(after_chunks=4))
    settings = LlmSettings(
        providers=[setting(server, "anthropic", timeout_seconds=0.5), setting(server, "openai")]
    )
    message, result = await ask(settings)
    assert result.attempts == (Attempt("anthropic", "timeout"), Attempt("openai", None))
    assert message.edits[:3] == ["Anthropic ", "Anthropic thinks ", ""]
    assert message.text == "OpenAI thinks the tests fail."


async def test_a_malformed_stream_falls_back_and_the_message_starts_over(
    server: LlmServer,
) -> None:
    server.fail_next("openai", faults.malformed(after_chunks=3))
    settings = LlmSettings(providers=[setting(server, "openai"), setting(server, "ollama")])
    message, result = await ask(settings)
    assert result.attempts == (Attempt("openai", "malformed"), Attempt("ollama", None))
    restart = message.edits.index("")
    assert message.edits[:restart] == ["OpenAI ", "OpenAI thinks "]
    # After the restart the message only ever shows the answering provider's text.
    assert all("Ollama thinks the cache is stale.".startswith(t) for t in message.edits[restart:])
    assert message.text == result.text == "Ollama thinks the cache is stale."


async def test_a_stream_cut_midway_falls_back(server: LlmServer) -> None:
    server.fail_next("ollama", faults.cut(after_chunks=2))
    settings = LlmSettings(providers=[setting(server, "ollama"), setting(server, "anthropic")])
    message, result = await ask(settings)
    assert result.attempts == (Attempt("ollama", "unavailable"), Attempt("anthropic", None))
    assert message.text == "Anthropic thinks a lint step fails."


async def test_local_only_refuses_a_remote_provider_before_any_request(
    server: LlmServer,
) -> None:
    remote = ProviderSetting(kind="openai", model="gpt", base_url="https://llm.example.com/v1")
    settings = LlmSettings(providers=[remote, setting(server, "ollama")], local_only=True)
    _, result = await ask(settings)
    assert result.attempts == (Attempt("ollama", None),)

    cloud = ProviderSetting(kind="anthropic", model="claude")  # no base_url: the cloud
    with pytest.raises(LlmError) as raised:
        await ask(LlmSettings(providers=[remote, cloud], local_only=True))
    assert raised.value.kind == "not_local"
    assert raised.value.attempts == ()
    assert [request.wire for request in server.requests] == ["ollama"]


@pytest.mark.parametrize(
    ("url", "local"),
    [
        (None, False),
        ("https://api.openai.com/v1", False),
        ("http://localhost:1234/v1", True),
        ("http://127.0.0.1:11434", True),
        ("http://127.8.9.10:8080", True),
        ("http://[::1]:8000/v1", True),
        ("localhost:11434", True),
        ("http://192.168.1.5:1234/v1", False),
        ("http://localhost.example.com/v1", False),
        ("http://0.0.0.0:8000", False),
    ],
)
def test_local_hosts(url: str | None, local: bool) -> None:
    assert is_local(url) is local


async def test_a_refused_key_says_how_to_set_it(server: LlmServer) -> None:
    server.fail_next("anthropic", faults.key_refused())
    with pytest.raises(LlmError) as raised:
        await ask(LlmSettings(providers=[setting(server, "anthropic")]))
    assert raised.value.kind == "key_refused"
    assert raised.value.message == (
        "anthropic refused the API key: set it again with tgbridge: Set Language Model Key."
    )


async def test_the_most_telling_error_is_raised(server: LlmServer) -> None:
    server.fail_next("openai", faults.key_refused())
    server.fail_next("ollama", faults.server_error())
    settings = LlmSettings(providers=[setting(server, "openai"), setting(server, "ollama")])
    with pytest.raises(LlmError) as raised:
        await ask(settings)
    assert (raised.value.kind, raised.value.provider) == ("key_refused", "openai")
    assert raised.value.attempts == (
        Attempt("openai", "key_refused"),
        Attempt("ollama", "unavailable"),
    )


async def test_a_cloud_provider_without_a_key_is_not_asked(server: LlmServer) -> None:
    cloud = ProviderSetting(kind="anthropic", model="claude", base_url="https://llm.example.com")
    settings = LlmSettings(providers=[cloud, setting(server, "ollama")])
    _, result = await ask(settings, keys={})
    assert result.attempts == (Attempt("anthropic", "key_refused"), Attempt("ollama", None))


async def test_a_local_openai_server_needs_no_key(server: LlmServer) -> None:
    _, result = await ask(LlmSettings(providers=[setting(server, "openai")]), keys={})
    assert result.text == "OpenAI thinks the tests fail."
    assert server.calls("openai")[0].headers["authorization"] == "Bearer not-needed"


async def test_the_key_given_is_sent_over_the_environments(
    server: LlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    await ask(LlmSettings(providers=[setting(server, "openai")]), keys={"openai": "sk-given"})
    await ask(LlmSettings(providers=[setting(server, "openai")]), keys={})
    sent = [request.headers["authorization"] for request in server.calls("openai")]
    assert sent == ["Bearer sk-given", "Bearer sk-from-env"]


async def test_no_provider_set_up(server: LlmServer) -> None:
    with pytest.raises(LlmError) as raised:
        await ask(LlmSettings())
    assert (raised.value.kind, raised.value.message) == ("no_provider", NO_PROVIDER)
    assert NO_PROVIDER == (
        "No language model is set up: add one in the setting tgbridge.llm.providers."
    )


async def test_providers_serve_only_their_tasks(server: LlmServer) -> None:
    commits = setting(server, "ollama", tasks=["commit"])
    anything = setting(server, "anthropic")
    settings = LlmSettings(providers=[commits, anything])
    async with Router(settings, KEYS) as router:
        assert router.providers_for("commit") == [commits, anything]
        assert router.providers_for("ask") == [anything]
    with pytest.raises(LlmError) as raised:
        await ask(LlmSettings(providers=[commits]))
    assert raised.value.kind == "no_provider"


def test_settings_read_the_editors_camel_case() -> None:
    settings = LlmSettings.model_validate(
        {
            "providers": [
                {"kind": "ollama", "model": "qwen", "baseUrl": "http://localhost:11434"},
                {"name": "lmstudio", "kind": "openai", "model": "m", "timeoutSeconds": 5},
            ],
            "localOnly": True,
            "maxContextTokens": 4000,
        }
    )
    assert [p.name for p in settings.providers] == ["ollama", "lmstudio"]
    assert settings.providers[0].base_url == "http://localhost:11434"
    assert settings.providers[1].timeout_seconds == 5
    assert (settings.local_only, settings.max_context_tokens) == (True, 4000)


def test_provider_names_must_be_unique() -> None:
    with pytest.raises(ValidationError, match="unique"):
        LlmSettings.model_validate(
            {"providers": [{"kind": "ollama", "model": "a"}, {"kind": "ollama", "model": "b"}]}
        )
    with pytest.raises(ValidationError):
        LlmSettings.model_validate({"providers": [], "unknown": 1})
