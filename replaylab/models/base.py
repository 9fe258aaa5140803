"""The generator interface every model backend implements.

A backend takes the rendered chat messages and sampling parameters and returns the output
text, the model id the backend *returned* (which may differ from the one requested: the
signal of a silent model version change), and token counts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, Field

from replaylab.config import SamplingParams
from replaylab.registry import lookup
from replaylab.trace import ChatMessage

UNREAD_BIAS_DEPTH = 0.5
"""How far the middle of a long context sags for a model whose position bias was not measured."""


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
    runtime: dict[str, str] = Field(default_factory=dict)
    """What the serving side reported about itself for this call (an HTTP backend only):
    `system_fingerprint`, and from a replaylab server its `backend`, `quantization`, `file_sha256`."""


class Generator(ABC):
    """A model backend. Subclasses register with `@register("generator", name)`."""

    id: ClassVar[str]
    alias: ClassVar[str] = ""
    """The public model name a provider would serve this version under."""
    runtime: ClassVar[dict[str, str]] = {}
    """Model runtime facts for the trace's MRV: quantisation, file checksum, backend."""
    position_profile: ClassVar[tuple[tuple[float, float], ...]] = ()
    """Measured position bias: (relative place of the answer passage, 0 first .. 1 last;
    accuracy there relative to the best place). Empty when not measured."""

    def position_weight(self, pos: int, n: int) -> float:
        """How well this model reads a passage at 0-based `pos` of `n` (1.0: as well as anywhere).

        From the measured `position_profile` (linear between its points) when there is one;
        otherwise the Lost-in-the-Middle U shape (Liu et al. 2023) as a prior: the first and
        last passages are read, the middle one is at risk (weight 0.5).
        """
        if n <= 1:
            return 1.0
        at = pos / (n - 1)
        if self.position_profile:
            xs, ys = zip(*self.position_profile, strict=True)
            return float(np.interp(at, xs, ys))
        return 1.0 - UNREAD_BIAS_DEPTH * (1.0 - abs(2 * at - 1))

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
