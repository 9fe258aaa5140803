"""Test stand-ins shared by several test modules (import as `from _stand_ins import ...`)."""

from __future__ import annotations

from typing import ClassVar


def hashing_router_twins() -> None:
    """Register intent-v1 and intent-v2 on the hashing stand-in as test-hashing-v1/-v2 (once per process)."""
    from replaylab.registry import names, register
    from replaylab.stack.router import IntentV1, IntentV2

    if "test-hashing-v1" in names("router"):
        return

    @register("router", "test-hashing-v1")
    class HashingV1(IntentV1):
        version: ClassVar[str] = "test-hashing-v1"
        embedder: str = "hashing-test"

    @register("router", "test-hashing-v2")
    class HashingV2(IntentV2):
        version: ClassVar[str] = "test-hashing-v2"
        embedder: str = "hashing-test"


def recency_reader() -> str:
    """Register `test-reader-recency` (a sandbox reader that reads the end of its context best, as Gemma 3
    270M measures) once per process, and return its id."""
    from replaylab.models.reader import SandboxReader
    from replaylab.registry import names, register

    if "test-reader-recency" not in names("generator"):

        @register("generator", "test-reader-recency")
        class RecencyReader(SandboxReader):
            id = "test-reader-recency"
            position_bias = "recency"
            bias_depth = 0.75

    return "test-reader-recency"
