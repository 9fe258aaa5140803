"""Realistic traffic for scale runs: many recorded traces drawn from the golden set and paraphrases.

Production traffic is skewed (a few questions are asked far more often than the rest), worded
in many ways, and spread over sessions and time. The generator draws golden questions with a
Zipf-like popularity, rewrites each with one of `PARAPHRASES` (polite prefixes, lower case,
dropped punctuation, a typo, ...), runs it through the stack under the production config and
records the trace, keeping the golden answer so the evaluators can score every replay.

    plan = plan_traffic(load_golden(), n=10_000, seed=0)
    path = record_traffic(stack, config, plan, out=Path("traffic.jsonl"))

Paraphrases are template rewrites, not a language model: they keep the question's content words,
so retrieval and the sandbox reader see realistic surface variation without drifting in meaning.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic import BaseModel

from replaylab.config import RunConfig
from replaylab.errors import InputError
from replaylab.files import atomic_write_text
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.pipeline import Stack, golden_of

__all__ = ["PARAPHRASES", "PlannedRequest", "paraphrase", "plan_traffic", "record_traffic"]

Progress = Callable[[int, int], None]


def _lower_first(q: str) -> str:
    return q[:1].lower() + q[1:]


def _typo(q: str, rng: random.Random) -> str:
    """Swap two adjacent letters inside one longer word (a realistic keyboard slip)."""
    words = q.split()
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long:
        return q
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


PARAPHRASES: dict[str, Callable[[str, random.Random], str]] = {
    "verbatim": lambda q, r: q,
    "lowercase": lambda q, r: q.lower(),
    "no-punctuation": lambda q, r: q.rstrip("?.! "),
    "quick-question": lambda q, r: f"Quick question: {q}",
    "polite": lambda q, r: f"Could you tell me: {_lower_first(q)}",
    "greeting": lambda q, r: f"Hi! {q}",
    "thanks": lambda q, r: f"{q} Thanks!",
    "context": lambda q, r: f"I'm setting this up for my team. {q}",
    "urgent": lambda q, r: f"{q} Need this asap",
    "typo": _typo,
}
"""Named rewrites of a question; every trace records the one it used in its `paraphrase` tag."""


def paraphrase(question: str, name: str, rng: random.Random) -> str:
    """`question` rewritten by the paraphrase `name`."""
    if name not in PARAPHRASES:
        raise InputError(f"Unknown paraphrase {name!r}. Valid: {sorted(PARAPHRASES)}")
    return PARAPHRASES[name](question, rng)


class PlannedRequest(BaseModel):
    """One request the traffic will send."""

    qid: str
    """The golden question it rewrites."""
    question: str
    """The question as this user worded it."""
    paraphrase: str
    """Which rewrite of `PARAPHRASES` made it."""
    session_id: str
    at: datetime
    """When the request arrived."""


def plan_traffic(
    golden: Sequence[GoldenItem],
    *,
    n: int,
    seed: int = 0,
    zipf: float = 1.1,
    turns_per_session: int = 4,
    start: datetime | None = None,
    window: timedelta = timedelta(days=1),
) -> list[PlannedRequest]:
    """`n` requests: questions drawn with popularity ~ 1/rank^zipf, each paraphrased, in sessions over `window`."""
    if not golden:
        raise InputError("Traffic needs at least one golden question")
    if n < 1:
        raise InputError(f"Traffic needs at least one request, got n={n}")
    rng = random.Random(seed)
    order = list(golden)
    rng.shuffle(order)  # which questions are popular is itself seeded
    weights = [1.0 / (rank**zipf) for rank in range(1, len(order) + 1)]
    picks = rng.choices(order, weights=weights, k=n)
    names = sorted(PARAPHRASES)
    begin = start or datetime(2026, 11, 2, tzinfo=timezone.utc)
    step = window / n
    return [
        PlannedRequest(
            qid=item.qid,
            question=paraphrase(item.question, name, rng),
            paraphrase=name,
            session_id=f"sess-{seed}-{i // max(1, turns_per_session):06d}",
            at=begin + i * step,
        )
        for i, (item, name) in enumerate((item, rng.choice(names)) for item in picks)
    ]


def record_traffic(
    stack: Stack,
    config: RunConfig,
    plan: Sequence[PlannedRequest],
    *,
    golden: Sequence[GoldenItem],
    out: Path,
    progress: Progress | None = None,
) -> Path:
    """Run every planned request under `config`, recording traces into `out` (.jsonl, else a folder of .json)."""
    from replaylab.stack.embedders import get_embedder

    by_qid = {g.qid: golden_of(g) for g in golden}
    if config.context is None:  # one batched embedding call instead of one per request (pure: cached by text)
        stack.cache.encode(get_embedder(config.embedder), list(dict.fromkeys(r.question for r in plan)))
    lines: list[str] = []
    folder = None if out.suffix == ".jsonl" else out
    for i, req in enumerate(plan, 1):
        tags = {"qid": req.qid, "paraphrase": req.paraphrase, "traffic": "synthetic"}
        trace = stack.run(req.question, config, golden=by_qid.get(req.qid), session_id=req.session_id, tags=tags)
        trace = trace.model_copy(update={"created_at": req.at})
        if folder is None:
            lines.append(trace.model_dump_json())
        else:
            atomic_write_text(folder / f"{i:06d}-{req.qid}.json", trace.model_dump_json(indent=1) + "\n")
        if progress is not None:
            progress(i, len(plan))
    if folder is None:
        atomic_write_text(out, "\n".join(lines) + "\n")
    return out
