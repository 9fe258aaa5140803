"""The diagnosis confusion matrix on the bundled corpus with the real MiniLM + FAISS stack.

Traces with a known failing layer are built from golden questions that pass on the good
configuration (prompt rag-answer@4, router intent-v1: the declared steady state) by breaking
exactly one layer, and each is diagnosed with that good configuration as `good`:

- retrieval: a stale index (built as of the day before the dated document updates), query
  embedding drift (MiniLM cut to 3 layers against a 6-layer index), or the context held
  without any chunk that holds the answer;
- generation: a sycophantic model on false-premise questions, a silent model change
  (1.0 -> 1.1) with the answer buried mid-context, prompt rag-answer@5 (its privacy line
  withholds figures);
- routing: the real router's faulty versions (intent-v2 sends short questions to the cheap
  model, intent-v3 escalates "who/contact" questions), then traces whose recorded handler
  is not the golden `expected_route`;
- upstream data: one topic's documents re-ingested on one date with every figure altered.

`diagnosis_matrix()` returns the matrix so the lead can quote it; the test prints it.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from replaylab.config import CorpusSpec, RunConfig, SamplingParams
from replaylab.diagnosis.tree import diagnose, diagnose_many
from replaylab.evals import EvalSettings, verdict
from replaylab.evals.text import find_needle, specific_needles
from replaylab.stack.corpus import Document, GoldenItem, load_corpus, load_golden, save_batch
from replaylab.stack.pipeline import Stack, golden_of
from replaylab.trace import Trace
from replaylab.workspace import BUNDLED_CORPUS, BUNDLED_GOLDEN, Workspace

pytestmark = [
    pytest.mark.minilm,
    pytest.mark.skipif(
        not (BUNDLED_CORPUS.exists() and BUNDLED_GOLDEN.exists()),
        reason=f"the bundled corpus is not built yet ({BUNDLED_CORPUS} missing)",
    ),
]

LAYERS = ("retrieval", "generation", "routing", "upstream_data")
PREDICTED = (*LAYERS, "none")
PER_LAYER = 12
NOW = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
STALE_AS_OF = date(2026, 8, 31)
BATCH_DAY = date(2026, 11, 20)
LEXICAL = EvalSettings(semantic_embedder=None)
"""The matrix is about the tree, not about groundedness: keep the eval lexical (fast)."""


@dataclass
class Matrix:
    """Rows: the layer that was broken; columns: the layer diagnosed."""

    counts: dict[str, Counter[str]] = field(default_factory=lambda: {k: Counter() for k in LAYERS})
    cases: list[tuple[str, str, str, float]] = field(default_factory=list)
    """(true layer, how it was broken, diagnosed layer, confidence)."""
    many: str = ""
    """The layer `diagnose_many` names for the upstream-data set."""
    seconds: float = 0.0

    def add(self, layer: str, how: str, got: str, confidence: float) -> None:
        self.counts[layer][got] += 1
        self.cases.append((layer, how, got, confidence))

    @property
    def accuracy(self) -> float:
        total = sum(sum(c.values()) for c in self.counts.values())
        return sum(self.counts[k][k] for k in LAYERS) / total if total else 0.0

    def render(self) -> str:
        width = 14
        lines = ["broken \\ diagnosed".ljust(width + 6) + "".join(p.rjust(width) for p in PREDICTED) + "   n"]
        for k in LAYERS:
            row = self.counts[k]
            lines.append(k.ljust(width + 6) + "".join(str(row[p]).rjust(width) for p in PREDICTED) + f"{sum(row.values()):4d}")
        lines.append(
            f"accuracy {self.accuracy:.1%} over {len(self.cases)} traces; diagnose_many on the "
            f"upstream set: {self.many}; {self.seconds:.0f} s"
        )
        return "\n".join(lines)


def _has_figure(text: str) -> bool:
    return re.search(r"\d", text) is not None


def _altered(doc: Document, when: date) -> Document:
    return Document(
        **{**doc.model_dump(), "ingested_at": when, "text": re.sub(r"\d+", lambda m: str(int(m.group()) + 1), doc.text)}
    )


def _held_without_answer(stack: Stack, cfg: RunConfig, item: GoldenItem) -> tuple[str, ...]:
    wide = stack.retrieve(item.question, cfg.model_copy(update={"top_k": 15}))
    needles = specific_needles(item.answer, item.aliases)
    keep = [
        c.chunk_id for c in wide.chunks if c.doc_id not in item.doc_ids and find_needle(f"{c.title}. {c.text}", needles) is None
    ]
    return tuple(keep[: cfg.top_k])


KINDS: dict[str, tuple[str, ...]] = {
    "retrieval": ("stale index", "embedding drift", "context without the answer"),
    "generation": ("sycophantic model", "silent model change + buried answer", "prompt rag-answer@5"),
    "routing": ("router intent-v2: cheap model", "router intent-v3: escalated", "handler differs from golden route"),
}


def build_cases(stack: Stack, drifted: Stack, cfg: RunConfig, items: list[GoldenItem]) -> list[tuple[str, str, Trace]]:
    """(layer, how, failing trace): PER_LAYER per layer, a third of each kind, the last kind filling up."""
    cases: list[tuple[str, str, Trace]] = []
    quota: Counter[str] = Counter()
    goods: dict[str, Trace] = {}
    per_kind = PER_LAYER // 3

    def room(layer: str, how: str) -> bool:
        last = KINDS[layer][-1] == how
        return quota[layer] < PER_LAYER and (last or quota[how] < per_kind)

    def take(layer: str, how: str, trace: Trace) -> None:
        if room(layer, how) and not verdict(trace).passed:
            cases.append((layer, how, trace))
            quota[layer] += 1
            quota[how] += 1

    for item in items:
        good = stack.run(item.question, cfg, golden=golden_of(item))
        if verdict(good).passed and good.routing.handler == "rag":
            goods[item.qid] = good
    chosen = [i for i in items if i.qid in goods]
    stale = cfg.model_copy(update={"index": cfg.index.model_copy(update={"as_of": STALE_AS_OF})})
    drift = cfg.model_copy(update={"embedder": "minilm-l6-v2-l3"})
    for kind, keep, config in (
        ("stale index", lambda i: i.updated, stale),
        ("embedding drift", lambda i: not i.false_premise, drift),
    ):
        for item in (i for i in chosen if keep(i) and room("retrieval", kind)):
            take("retrieval", kind, stack.run(item.question, config, golden=golden_of(item)))
    for item in (i for i in chosen if not i.false_premise and room("retrieval", "context without the answer")):
        held = cfg.model_copy(update={"context": _held_without_answer(stack, cfg, item)})
        take("retrieval", "context without the answer", stack.run(item.question, held, golden=golden_of(item)))

    for item in (i for i in chosen if i.false_premise):
        take(
            "generation",
            "sycophantic model",
            stack.run(item.question, cfg.model_copy(update={"model": "sandbox-reader-1.1"}), golden=golden_of(item)),
        )
    for item in (i for i in chosen if not i.false_premise and room("generation", KINDS["generation"][1])):
        take(
            "generation",
            KINDS["generation"][1],
            drifted.run(item.question, cfg.model_copy(update={"context_order": "bury"}), golden=golden_of(item)),
        )
    for item in (i for i in chosen if _has_figure(i.answer) and room("generation", "prompt rag-answer@5")):
        take(
            "generation",
            "prompt rag-answer@5",
            stack.run(item.question, cfg.model_copy(update={"prompt": "rag-answer@5"}), golden=golden_of(item)),
        )

    for router, kind in (("intent-v2", KINDS["routing"][0]), ("intent-v3", KINDS["routing"][1])):
        for item in (i for i in chosen if room("routing", kind)):
            take("routing", kind, stack.run(item.question, cfg.model_copy(update={"router": router}), golden=golden_of(item)))
    replies = {
        "escalate": "I have passed your question to a support agent, who will reply by email.",
        "doc_lookup": "Here is the document you asked for: {title}.",
        "date_calc": "That falls on 2026-12-01.",
    }
    for n, good in enumerate(goods.values()):
        if not room("routing", KINDS["routing"][2]):
            break
        assert good.golden is not None and good.generation is not None and good.retrieval is not None
        handler = list(replies)[n % 3]
        routed = good.model_copy(
            update={
                "golden": good.golden.model_copy(update={"expected_route": "rag"}),
                "routing": good.routing.model_copy(update={"handler": handler, "intent": handler, "confidence": 0.55}),
                "generation": good.generation.model_copy(
                    update={"output": replies[handler].format(title=good.retrieval.chunks[-1].title)}
                ),
            }
        )
        if n % 2:  # a handler that never retrieved
            routed = routed.model_copy(update={"retrieval": None, "prompt": None})
        take("routing", KINDS["routing"][2], routed)
    return cases


def upstream_cases(stack: Stack, cfg: RunConfig, items: list[GoldenItem]) -> tuple[list[Trace], list[Trace]]:
    """(failing traces after the bad batch, the topic's passing traces before it)."""
    by_topic = Counter(i.topic for i in items if _has_figure(i.answer) and not i.false_premise)
    topic = by_topic.most_common(1)[0][0]
    docs = [d for d in load_corpus(cfg.corpus, stack.ws) if d.topic == topic]
    bid = save_batch(stack.ws, [_altered(d, BATCH_DAY) for d in docs])
    bad = cfg.model_copy(update={"corpus": cfg.corpus.model_copy(update={"batches": (bid,)})})
    mine = [i for i in items if i.topic == topic and not i.false_premise]
    before, after = [], []
    stack.clock = lambda: datetime(2026, 11, 15, tzinfo=timezone.utc)
    for item in mine[:8]:
        t = stack.run(item.question, cfg, golden=golden_of(item))
        if verdict(t).passed:
            before.append(t)
    stack.clock = lambda: NOW
    for item in mine:
        t = stack.run(item.question, bad, golden=golden_of(item))
        if not verdict(t).passed:
            after.append(t)
        if len(after) >= PER_LAYER:
            break
    return after, before


def diagnosis_matrix(ws: Path, corpus: Path = BUNDLED_CORPUS, golden: Path = BUNDLED_GOLDEN) -> Matrix:
    """Build the failing traces, diagnose each, and return the confusion matrix."""
    start = time.perf_counter()
    cfg = RunConfig(prompt="rag-answer@4", router="intent-v1", corpus=CorpusSpec(source=str(corpus)))
    items = load_golden(golden)
    stack = Stack(Workspace(ws), clock=lambda: NOW)
    drifted = Stack(Workspace(ws), clock=lambda: NOW)
    drifted.provider_overrides["sandbox-reader-1.0"] = "sandbox-reader-1.1"
    matrix = Matrix()
    for layer, how, trace in build_cases(stack, drifted, cfg, items):
        d = diagnose(stack, trace, settings=LEXICAL, good=cfg, seeds=0)
        matrix.add(layer, how, d.layer, d.confidence)
    after, before = upstream_cases(stack, cfg, items)
    for trace in after:
        d = diagnose(stack, trace, settings=LEXICAL, good=cfg, seeds=0)
        matrix.add("upstream_data", "altered batch", d.layer, d.confidence)
    matrix.many = diagnose_many(stack, [*before, *after], settings=LEXICAL, good=cfg, seeds=0).layer
    matrix.seconds = time.perf_counter() - start
    return matrix


def test_diagnosis_matrix(tmp_path: Path) -> None:
    m = diagnosis_matrix(tmp_path / "ws")
    print("\n" + m.render())
    for layer in LAYERS:
        assert sum(m.counts[layer].values()) >= 10, (layer, m.render())
    wrong = [c for c in m.cases if c[0] != c[2]]
    assert m.accuracy >= 0.9, f"{m.render()}\nmisdiagnosed: {wrong}"
    assert m.many == "upstream_data"


@pytest.mark.llm
def test_evaluators_on_real_gemma(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One short request answered by Gemma 3 270M, scored by every evaluator (MiniLM cosine on)."""
    pytest.importorskip("replaylab.models.llama", reason="the Gemma backend (replaylab/models/llama.py) is not here")
    from replaylab.errors import ModelUnavailable
    from replaylab.evals import evaluate, evaluator_names, get_evaluator
    from replaylab.models.base import get_generator

    monkeypatch.setenv("REPLAYLAB_HOME", str(tmp_path / "ws"))
    try:
        get_generator("gemma-3-270m")
    except ModelUnavailable as exc:
        pytest.skip(str(exc))
    item = next(i for i in load_golden() if i.answer == "12 users")
    stack = Stack(Workspace(tmp_path / "ws"), clock=lambda: NOW)
    cfg = RunConfig(
        prompt="rag-answer@4", model="gemma-3-270m", top_k=3, sampling=SamplingParams(temperature=0.0, seed=0, max_tokens=32)
    )
    trace = stack.run(item.question, cfg, golden=golden_of(item))
    report = evaluate(trace, stack=stack)
    print(f"\ngemma: {trace.generation.output!r}")  # type: ignore[union-attr]
    for s in report.scores:
        print(f"  {s.name:22s} {s.value:8.3f} {s.passed!s:5s} {s.reason}")
    assert {s.name for s in report.scores} == set(evaluator_names())
    for s in report.scores:
        lo, hi = get_evaluator(s.name).value_range
        assert s.error is None and lo <= s.value <= hi, s
    assert report.score("model_version").passed is True  # type: ignore[union-attr]
    assert report.score("token_cost").details["completion_tokens"] > 0  # type: ignore[union-attr,operator]
    grounded = report.score("grounded")
    assert grounded is not None and grounded.details.get("method") in (None, "lexical+minilm")
    assert report.score("answer_in_context").passed is True  # type: ignore[union-attr]
