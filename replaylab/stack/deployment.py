"""A deployment: what production serves at one moment. Faults change it; rollbacks restore it.

It holds the served run configuration, the prompt labels, and the provider-side model
swaps (a provider serving another version under the pinned name). Two deployments compare
equal exactly when they would serve every request the same way, which is what a drill's
"rollback restores the steady state" check and the injector round-trip property test use.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from replaylab.config import RunConfig
from replaylab.stack.pipeline import Stack


class Deployment(BaseModel):
    """The served state of the application."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    config: RunConfig = RunConfig()
    labels: dict[str, dict[str, int]] = {}
    """Prompt labels, template -> label -> version."""
    served_as: dict[str, str] = {}
    """Provider-side swaps: requested model id -> the version actually served."""

    def activate(self, stack: Stack) -> None:
        """Make `stack` serve this deployment: provider swaps and prompt labels."""
        stack.provider_overrides = dict(self.served_as)
        current = stack.prompts.labels()
        for template, labels in self.labels.items():
            for label, version in labels.items():
                if current.get(template, {}).get(label) != version:
                    stack.prompts.move_label(template=template, label=label, version=version)

    @classmethod
    def capture(cls, stack: Stack, config: RunConfig) -> Deployment:
        """The deployment `stack` serves now with `config`."""
        return cls(config=config, labels=stack.prompts.labels(), served_as=dict(stack.provider_overrides))
