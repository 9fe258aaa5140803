"""The four-layer artifact id of a session, and deterministic canary assignment.

An agent's artifact id is ALV (agent logic), PPV (prompt and policy), MRV (model runtime)
and TAV (tool and API schemas). A prompt rollback is a PPV change and nothing else:
`ArtifactId.with_ppv` is the only way a session's artifact changes.

Canary routing is keyed on the session id, never random: `canary_assignment` hashes
`salt:session_id` into one of 10,000 buckets, so a session's assignment never changes, the
same ids land in the canary on every run, and raising the percentage only adds sessions.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict

from replaylab.config import RunConfig
from replaylab.errors import ConfigError
from replaylab.trace import VersionSnapshot

DEFAULT_ALV: str = VersionSnapshot.model_fields["alv"].default
"""The agent logic version the RAG pipeline stamps on its traces."""

BUCKETS = 10_000


class ArtifactId(BaseModel):
    """ALV, PPV, MRV and TAV of one session: what it was started under."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alv: str
    """Agent logic version."""
    ppv: str
    """Prompt and policy version, `template@version` (never a label)."""
    mrv: str
    """Model runtime version: the pinned (requested) model id."""
    tav: str
    """Tool and API schema version."""

    @classmethod
    def for_config(cls, config: RunConfig, *, ppv: str, alv: str = DEFAULT_ALV) -> ArtifactId:
        """The artifact a request with `config` runs under, with prompt version `ppv`."""
        return cls(alv=alv, ppv=ppv, mrv=config.model, tav=config.tools or "none")

    @classmethod
    def of_versions(cls, versions: VersionSnapshot) -> ArtifactId:
        """The artifact a trace actually ran under."""
        return cls(alv=versions.alv, ppv=versions.ppv, mrv=versions.mrv.requested, tav=versions.tav)

    def with_ppv(self, ppv: str) -> ArtifactId:
        """The same artifact with another prompt version: a rollback touches nothing else."""
        return self.model_copy(update={"ppv": ppv})

    def same_except_ppv(self, other: ArtifactId) -> bool:
        """True when ALV, MRV and TAV agree (PPV may differ)."""
        return (self.alv, self.mrv, self.tav) == (other.alv, other.mrv, other.tav)

    def __str__(self) -> str:
        return f"alv={self.alv} ppv={self.ppv} mrv={self.mrv} tav={self.tav}"


def canary_bucket(session_id: str, salt: str = "") -> int:
    """The session's bucket in [0, 10000): a hash of `salt:session_id`."""
    digest = hashlib.sha256(f"{salt}:{session_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def canary_assignment(session_id: str, percent: float, salt: str = "") -> bool:
    """Whether `session_id` is in the `percent` % canary. Deterministic; monotone in `percent`."""
    if not 0.0 <= percent <= 100.0:
        raise ConfigError(f"Canary percentage must be between 0 and 100, not {percent}")
    return canary_bucket(session_id, salt) < round(percent * BUCKETS / 100)
