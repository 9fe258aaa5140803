"""Generation-layer faults: context-position burial, a silent model change, a prompt
instruction conflict, sampling drift.

The retrieved context stays right; what the model does with it changes. The questions each
should break are predicted from the model's documented knobs (position bias, sycophancy,
window, instruction policy) and the prompt's instructions, without running the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import Field

from replaylab.errors import ConfigError
from replaylab.faults.base import Change, FaultBase, no_change, with_config
from replaylab.faults.effects import Lens, Seen, mentions_answer, visible_hits
from replaylab.models.base import Generator, get_generator
from replaylab.models.reader import SandboxReader
from replaylab.registry import register
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.stack.prompts import parse_prompt_id
from replaylab.variables import Layer

HIGH, LOW = 0.9, 0.5
"""An answer passage weighted >= HIGH is read; one weighted <= LOW is likely lost."""


def served_generator(deployment: Deployment) -> Generator:
    cfg = deployment.config
    return get_generator(deployment.served_as.get(cfg.model, cfg.model))


def answer_weight(seen: Seen, item: GoldenItem, generator: Generator) -> float:
    """The attention the best answer-bearing passage gets under `generator`'s position bias (0 if none)."""
    weights = [
        generator.position_weight(p.position, seen.in_window)
        for p in seen.placed
        if p.visible and mentions_answer(p.visible, item)
    ]
    return max(weights, default=0.0)


def _sycophancy(generator: Generator) -> float:
    return generator.sycophancy if isinstance(generator, SandboxReader) else 0.0


def behaviour_changes(
    stack: Stack, before: Deployment, after: Deployment, golden: Sequence[GoldenItem]
) -> tuple[list[str], list[str]]:
    """Qids a change of model or context order should break, and the reasons in words."""
    g_before, g_after = served_generator(before), served_generator(after)
    lens = Lens(stack)
    hits = lens.hits(before, golden)
    readable = [g for g in golden if g.qid in hits]
    if _sycophancy(g_before) > 0:  # false-premise questions already fail before the change
        readable = [g for g in readable if not g.false_premise]
    notes: list[str] = []
    out: set[str] = set(lens.lost(before, after, readable))
    if out:
        notes.append(f"{len(out)} answers fall outside {g_after.id}'s context window")
    if _sycophancy(g_after) > _sycophancy(g_before):
        fp = {g.qid for g in readable if g.false_premise}
        out |= fp
        notes.append(
            f"{len(fp)} false-premise questions: {g_after.id} agrees with a premise (sycophancy {_sycophancy(g_after):.0%})"
        )
    buried = set()
    for g in readable:
        if g.qid in out:
            continue
        w0 = answer_weight(lens.see(before, g.question), g, g_before)
        w1 = answer_weight(lens.see(after, g.question), g, g_after)
        if w0 >= HIGH and w1 <= LOW:
            buried.add(g.qid)
    if buried:
        notes.append(f"{len(buried)} answers move to a position {g_after.id} weighs <= {LOW} (from >= {HIGH})")
    return sorted(out | buried), notes


@register("fault")
class ContextPositionBurial(FaultBase):
    """A long context with the answer chunk in the middle, against a position-biased model.

    Its steady state (`baseline_fields`): `sandbox-reader-1.1` (lost in the middle) over a
    20-chunk context in rank order, the best chunk first. The fault buries the best chunk in
    the middle (`context_order: bury`).
    """

    kind: Literal["context-position-burial"] = "context-position-burial"
    top_k: int = Field(20, ge=20, le=200)
    """Chunks in the context under the fault (at least 20: a long context)."""

    layer: ClassVar[Layer] = "generation"
    summary: ClassVar[str] = "the answer chunk sits in the middle of a long context"
    baseline_fields: ClassVar[dict[str, Any]] = {
        "model": "sandbox-reader-1.1",
        "top_k": 20,
        "context_order": "rank",
        "context_budget": 2400,
    }

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        cfg = before.config
        top_k = max(cfg.top_k, self.top_k)
        if cfg.context_order == "bury" and cfg.top_k == top_k:
            return no_change("the best chunk is already buried in a long context", before)
        after = with_config(before, context_order="bury", top_k=top_k)
        affected, notes = behaviour_changes(stack, before, after, golden)
        grow = f", top_k {cfg.top_k} -> {top_k}" if top_k != cfg.top_k else ""
        return Change(
            after=after,
            affected_qids=affected,
            notes=[
                f"context_order {cfg.context_order} -> bury{grow}: the best of {top_k} chunks sits in the middle of the "
                f"context served to {served_generator(before).id}",
                *notes,
            ],
        )


@register("fault")
class SilentModelChange(FaultBase):
    """The provider serves another version under the pinned model name (MRV returned != requested)."""

    kind: Literal["silent-model-change"] = "silent-model-change"
    to: str = "sandbox-reader-1.1"
    """The version the provider actually serves."""
    model: str | None = None
    """The pinned model id (default: the deployment's model)."""

    layer: ClassVar[Layer] = "generation"
    summary: ClassVar[str] = "returned model differs from the pinned one"

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        pinned = self.model or before.config.model
        get_generator(self.to)  # an unknown version fails here, before anything changes
        if before.served_as.get(pinned, pinned) == self.to:
            return no_change(f"the provider already serves {self.to} for {pinned}", before)
        after = before.model_copy(update={"served_as": {**before.served_as, pinned: self.to}})
        affected: list[str] = []
        notes = [f"requests pinned to {pinned} are answered by {self.to}"]
        if pinned == before.config.model:
            affected, more = behaviour_changes(stack, before, after, golden)
            notes += more
        return Change(after=after, affected_qids=affected, notes=notes)


_WITHHOLD = re.compile(r"do not (repeat|state|give|share) specific", re.IGNORECASE)
_IGNORE = re.compile(r"ignore the context", re.IGNORECASE)


@register("fault")
class PromptInstructionConflict(FaultBase):
    """A new prompt version whose user turn contradicts the system rules is promoted to a label."""

    kind: Literal["prompt-instruction-conflict"] = "prompt-instruction-conflict"
    version: int = Field(5, ge=1)
    """The prompt version promoted (rag-answer@5 adds a privacy line against repeating figures)."""
    label: str = "production"
    """The label moved to the new version, e.g. `production` or `canary`."""
    template: str | None = None
    """Default: the template of the deployment's prompt."""

    layer: ClassVar[Layer] = "generation"
    summary: ClassVar[str] = "a new prompt version conflicts with the system rules"

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        cfg = before.config
        template = self.template or parse_prompt_id(cfg.prompt)[0]
        current = before.labels.get(template, {}).get(self.label)
        if current is None:
            raise ConfigError(
                f"prompt-instruction-conflict: label {template}:{self.label} does not exist. "
                f"Labels: {before.labels.get(template, {})}"
            )
        new = stack.prompts.resolve(f"{template}@{self.version}")
        old = stack.prompts.resolve(cfg.prompt)
        if current == self.version and cfg.prompt == new.id:
            return no_change(f"{template}:{self.label} already serves {new.id}", before)
        labels = {t: dict(v) for t, v in before.labels.items()}
        labels[template][self.label] = self.version
        after = before.model_copy(update={"labels": labels, "config": cfg.model_copy(update={"prompt": new.id})})
        generator = served_generator(before)
        hits = visible_hits(stack, before, golden)
        # a sycophantic model already fails the false-premise questions
        readable = [g for g in golden if g.qid in hits and not (g.false_premise and _sycophancy(generator) > 0)]
        obeys_system = isinstance(generator, SandboxReader) and generator.instruction_policy == "system"
        affected: list[str] = []
        why = "no instruction the model acts on changed"
        if _IGNORE.search(new.user + new.system) and not _IGNORE.search(old.user + old.system):
            affected, why = [g.qid for g in readable], "the new version tells the model to ignore the context"
        elif _WITHHOLD.search(new.user) and not _WITHHOLD.search(old.user) and not obeys_system:
            affected = [g.qid for g in readable if re.search(r"\d", g.answer)]
            why = "the user turn forbids repeating figures, codes and dates; answers holding one are withheld"
        return Change(
            after=after,
            affected_qids=affected,
            notes=[
                f"{template}:{self.label} {current} -> {self.version}; config.prompt {cfg.prompt} -> {new.id}",
                f"{why} ({len(affected)} golden questions)",
            ],
        )


def sampling_failures(
    stack: Stack, before: Deployment, after: Deployment, items: Sequence[GoldenItem], *, seeds: int
) -> tuple[list[str], str]:
    """Qids that pass under `before` and fail on most of `seeds` sampler seeds under `after`, and how they were chosen.

    A sandbox reader samples a sentence from its documented softmax, so the prediction is the
    reader's own decoding on the request it would get (cheap); for any other model every
    answerable question is at risk."""
    generator = served_generator(after)
    lens = Lens(stack)
    hits = lens.hits(before, items)
    readable = [g for g in items if g.qid in hits]
    if not isinstance(generator, SandboxReader):
        return sorted(hits), "every answerable question is at risk once decoding samples"

    def fails_mostly(g: GoldenItem, deployment: Deployment) -> bool:
        request = lens.see(before, g.question).request
        base = deployment.config.sampling
        runs = seeds if base.temperature > 0 else 1
        fails = sum(
            not mentions_answer(
                generator.generate(
                    request.model_copy(update={"sampling": base.model_copy(update={"seed": base.seed + seed})})
                ).output,
                g,
            )
            for seed in range(runs)
        )
        return fails * 2 > runs

    out = [g.qid for g in readable if fails_mostly(g, after) and not fails_mostly(g, before)]
    return sorted(out), (
        f"answerable questions {generator.id} gets right before the drift and wrong on most of {seeds} sampler seeds under it"
    )


@register("fault")
class SamplingDrift(FaultBase):
    """temperature / top_p changed in a config file without going through eval."""

    kind: Literal["sampling-drift"] = "sampling-drift"
    temperature: float = Field(1.3, ge=0.0, le=5.0)
    """The sampling temperature the drifted config sets (0 is greedy decoding)."""
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    """None: unchanged."""
    probe_seeds: int = Field(6, ge=1, le=64)
    """Sampler seeds the injector tries per question to choose the ones the drift breaks."""

    layer: ClassVar[Layer] = "generation"
    summary: ClassVar[str] = "sampling parameters changed without eval"

    def apply(self, before: Deployment, *, stack: Stack, golden: Sequence[GoldenItem]) -> Change:
        cfg = before.config
        update: dict[str, Any] = {"temperature": self.temperature}
        if self.top_p is not None:
            update["top_p"] = self.top_p
        sampling = cfg.sampling.model_copy(update=update)
        if sampling == cfg.sampling:
            return no_change(f"sampling is already {sampling}", before)
        after = with_config(before, sampling=sampling)
        items = [g for g in golden if not g.false_premise]
        affected, how = sampling_failures(stack, before, after, items, seeds=self.probe_seeds)
        changed = ", ".join(f"{k} {getattr(cfg.sampling, k)} -> {v}" for k, v in update.items() if getattr(cfg.sampling, k) != v)
        return Change(after=after, affected_qids=affected, notes=[changed, f"{len(affected)} golden questions: {how}"])
