"""The fault contract: a pydantic model whose fields are its parameters, tagged by `kind`.

    fault = EmbeddingDrift(to="minilm-l6-v2-l3")
    injection = fault.inject(deployment, stack=stack, golden=golden)   # stack now serves the fault
    ...
    fault.rollback(injection, stack=stack)                              # == injection.before, served again

`inject` activates the given deployment, captures it in full (every prompt label, every
provider swap) as `before`, derives `after`, activates it and returns both with the batches
it wrote, the golden questions it should break, notes and rollback steps in words.
`rollback` re-activates `before` and returns it unchanged: a rollback is a label move, a
configuration change or a provider pin, never a data deletion (batches stay on disk,
content-addressed, and simply leave the corpus spec).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from replaylab.config import RunConfig
from replaylab.errors import ConfigError
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.variables import Layer, differing


class Injection(BaseModel):
    """What one injection did: the state before and after, and how to undo it."""

    model_config = ConfigDict(extra="forbid")

    fault: str
    """The fault's kind."""
    layer: Layer
    """The diagnosis layer the fault lives in."""
    before: Deployment
    """The full deployment served before the fault (every label and provider swap)."""
    after: Deployment
    """The deployment served under the fault."""
    variables: list[str] = []
    """The variables a bisect between `before` and a failing trace should name."""
    batches: list[str] = []
    """Document batches the injector wrote to the workspace."""
    affected_qids: list[str] = []
    """The golden questions this fault should break, chosen by mechanism (see each fault)."""
    notes: list[str] = []
    """What was done, in words."""
    rollback_steps: list[str] = []
    """How to undo it, in words, e.g. "move rag-answer:production 5 -> 4"."""


class Change(BaseModel):
    """What a fault decides: the deployment under the fault and the facts around it."""

    model_config = ConfigDict(extra="forbid")

    after: Deployment
    batches: list[str] = []
    affected_qids: list[str] = []
    notes: list[str] = []


class FaultBase(BaseModel):
    """Base of every fault injector. Subclasses set `kind` (a Literal tag), `layer` and `apply`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    """The fault's registered name, e.g. `stale-index`: which fault this is (a scenario's `method.kind`)."""
    layer: ClassVar[Layer]
    summary: ClassVar[str] = ""

    baseline_fields: ClassVar[dict[str, Any]] = {}
    """RunConfig fields of the steady state this fault is meaningful against (most faults: none).
    A scenario's `baseline:` should carry the same fields."""

    def steady_state(self, config: RunConfig) -> RunConfig:
        """`config` with `baseline_fields` applied: the good deployment to inject into."""
        if not self.baseline_fields:
            return config
        return RunConfig.model_validate({**config.model_dump(mode="json"), **self.baseline_fields})

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        """Derive the faulty deployment from `before` (pure apart from writing batches)."""
        raise NotImplementedError

    def inject(self, deployment: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Injection:
        """Serve the fault on `stack` and say what changed. `stack` serves `deployment` if this raises."""
        deployment.activate(stack)
        before = Deployment.capture(stack, deployment.config)
        change = self.apply(before, stack=stack, golden=list(golden))
        after = change.after
        if after == before:
            raise ConfigError(f"Fault {self.kind} changes nothing in this deployment: {'; '.join(change.notes)}")
        variables = differing(before.config, after.config)
        if (
            after.served_as.get(after.config.model, after.config.model)
            != before.served_as.get(before.config.model, before.config.model)
            and "model" not in variables
        ):
            variables.append("model")
        after.activate(stack)
        return Injection(
            fault=self.kind,
            layer=self.layer,
            before=before,
            after=after,
            variables=sorted(variables),
            batches=change.batches,
            affected_qids=sorted(change.affected_qids),
            notes=change.notes,
            rollback_steps=rollback_steps(before, after),
        )

    def rollback(self, injection: Injection, *, stack: Stack) -> Deployment:
        """Serve `injection.before` again and return it."""
        injection.before.activate(stack)
        return injection.before


def _show(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _field_steps(name: str, old: object, new: object) -> list[str]:
    """`set name new -> old`, descending into nested models so only what differs is named."""
    if old == new:
        return []
    if isinstance(old, BaseModel) and isinstance(new, BaseModel) and type(old) is type(new):
        out: list[str] = []
        for sub in type(old).model_fields:
            out += _field_steps(f"{name}.{sub}", getattr(old, sub), getattr(new, sub))
        return out
    return [f"set {name} {_show(new)} -> {_show(old)}"]


def rollback_steps(before: Deployment, after: Deployment) -> list[str]:
    """The steps that turn `after` back into `before`, in words."""
    steps: list[str] = []
    for template in sorted(set(before.labels) | set(after.labels)):
        for label in sorted(set(before.labels.get(template, {})) | set(after.labels.get(template, {}))):
            old, new = before.labels.get(template, {}).get(label), after.labels.get(template, {}).get(label)
            if old != new and old is not None:
                steps.append(f"move {template}:{label} {new} -> {old}")
    for model in sorted(set(before.served_as) | set(after.served_as)):
        old_s, new_s = before.served_as.get(model), after.served_as.get(model)
        if old_s != new_s:
            steps.append(f"pin {model} at the provider to {old_s or model} (it now serves {new_s or model} under that name)")
    b, a = before.config, after.config
    if a.corpus.batches != b.corpus.batches:
        extra = [x for x in a.corpus.batches if x not in b.corpus.batches]
        steps.append(
            f"drop batch {', '.join(extra)} from the corpus (batches -> {_show(b.corpus.batches)}) "
            "and serve the index built without it"
        )
    if a.corpus.source != b.corpus.source:
        steps.append(f"set corpus source {a.corpus.source} -> {b.corpus.source}")
    for field in RunConfig.model_fields:
        if field != "corpus":
            steps += _field_steps(field, getattr(b, field), getattr(a, field))
    return steps


def with_config(before: Deployment, **fields: Any) -> Deployment:
    """`before` serving a config with `fields` replaced (labels and provider swaps unchanged)."""
    return before.model_copy(update={"config": before.config.model_copy(update=fields)})


def no_change(reason: str, before: Deployment) -> Change:
    """A Change that changes nothing: `inject` turns it into a ConfigError with `reason`."""
    return Change(after=before, notes=[reason])
