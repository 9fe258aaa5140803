"""The generator interface every model backend implements.

A backend takes the rendered chat messages and sampling parameters and returns the output
text, the model id the backend *returned* (which may differ from the one requested: the
signal of a silent model version change), and token counts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from replaylab.config import SamplingParams
from replaylab.registry import lookup


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant", "tool"]
    content: str


class GenerationRequest(BaseModel):
    """One call to a generator."""

    model: str
    """The model id requested."""
    messages: list[ChatMessage]
    sampling: SamplingParams = SamplingParams()


class GenerationResult(BaseModel):
    """What a generator returned."""

    output: str
    model_returned: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    cassette: str | None = None
    """Path of the cassette the call was replayed from or recorded into."""


class Generator(ABC):
    """A model backend. Subclasses register with `@register("generator", name)`."""

    id: ClassVar[str]
    alias: ClassVar[str] = ""
    """The public model name a provider would serve this version under."""
    runtime: ClassVar[dict[str, str]] = {}
    """Model runtime facts for the trace's MRV: quantisation, file checksum, backend."""

    @abstractmethod
    def generate(self, request: GenerationRequest) -> GenerationResult:
        """Run one generation."""

    def describe(self) -> dict[str, str]:
        return {"id": self.id, "alias": self.alias or self.id, **self.runtime}


_instances: dict[str, Generator] = {}


def get_generator(model_id: str) -> Generator:
    """The generator registered as `model_id`, created once per process (weights load once)."""
    if model_id not in _instances:
        backend, sep, target = model_id.partition(":")
        if sep:  # a parameterised backend, e.g. `openai:gemma-3-270m`
            _instances[model_id] = lookup("generator", backend)(target)
        else:
            _instances[model_id] = lookup("generator", model_id)()
    return _instances[model_id]
