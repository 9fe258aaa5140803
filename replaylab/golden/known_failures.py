"""Bundled golden cases the shipped baseline is known to fail, each with its cause.

The list ships in `replaylab/data/golden_known_failures.yaml`. The golden gate (the pytest
plugin) reports such a case as xfail only while its recorded cause still holds; any other
failure of the case fails the gate, so the list can never hide a new regression:

    known = known_failures()                       # {"q047": KnownFailure(...), ...}
    known["q047"].explains(trace, case.doc_ids)    # True while the supporting doc is not retrieved
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from replaylab.errors import ConfigError
from replaylab.trace import Trace
from replaylab.workspace import PACKAGE_DATA

__all__ = ["KNOWN_FAILURES", "KnownFailure", "known_failures"]

KNOWN_FAILURES: Path = PACKAGE_DATA / "golden_known_failures.yaml"
"""The bundled list (read-only, in the package)."""


class KnownFailure(BaseModel):
    """One bundled case the shipped baseline fails, and the cause that excuses it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    qid: str
    """The bundled golden case (`q047`)."""
    cause: Literal["retrieval_miss"]
    """What must hold for the failure to count as the known one: `retrieval_miss` = no chunk of
    the case's supporting documents is in the retrieved context."""
    reason: str
    """The measured reason, in words (rank of the supporting chunk, what outranks it)."""

    def explains(self, trace: Trace, doc_ids: Sequence[str]) -> bool:
        """True when this trace fails for the recorded cause (and nothing else may be excused)."""
        if self.cause == "retrieval_miss":
            retrieved = {c.doc_id for c in trace.retrieval.chunks} if trace.retrieval else set()
            return bool(doc_ids) and not (set(doc_ids) & retrieved)
        return False  # pragma: no cover - Literal guards it


@cache
def known_failures(path: Path = KNOWN_FAILURES) -> dict[str, KnownFailure]:
    """The known failures by qid (empty when the file is absent); a malformed file is a ConfigError."""
    import yaml

    if not path.exists():
        return {}
    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        items = [KnownFailure.model_validate(r) for r in rows]
    except (OSError, yaml.YAMLError, ValidationError, TypeError) as exc:
        raise ConfigError(f"Known golden failures {path} are unreadable: {str(exc).splitlines()[0]}") from None
    return {k.qid: k for k in items}
