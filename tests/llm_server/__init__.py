"""A loopback language-model server for tests: OpenAI, Anthropic and Ollama wire formats."""

from tests.llm_server import faults
from tests.llm_server.faults import Fault
from tests.llm_server.server import LlmServer, Recorded, Wire

__all__ = ["Fault", "LlmServer", "Recorded", "Wire", "faults"]
