"""The facts the diagnosis tree reads, and the evidence ledger it writes.

`gather` reads one trace, its eval report and its counterfactual replays (plus the corpus
history of its golden documents and, for sampled requests, a few more seeds) into `Facts`,
and writes a sentence with its numbers for or against each layer into a `Ledger`. Weights
(0..1) rank the sentences and decide which other layers count as rivals; they never leave
this module.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from replaylab.config import RunConfig
from replaylab.diagnosis.counterfactuals import CounterfactualReport
from replaylab.diagnosis.ingestion import ingestion_evidence
from replaylab.diagnosis.route_expectation import expected_route
from replaylab.errors import ReplaylabError
from replaylab.evals import EvalReport, EvalSettings, verdict
from replaylab.evals.answer import context_texts, lexical_support
from replaylab.evals.retrieval import answer_chunks
from replaylab.evals.text import answer_text, content_words, find_needle, specific_needles
from replaylab.models.base import GenerationRequest
from replaylab.models.reader import parse_prompt
from replaylab.stack.corpus import all_rows, load_batch
from replaylab.stack.pipeline import Stack, Stage
from replaylab.trace import Trace
from replaylab.variables import LAYERS

__all__ = ["DEFAULT_HANDLER", "Facts", "LayerEvidence", "Ledger", "gather"]

HOLD_RETRIEVAL: tuple[Stage, ...] = ("retrieval",)
DEFAULT_HANDLER = "rag"
"""The handler every request reaches when no router is configured."""

_CONFLICTS: tuple[tuple[str, str, str], ...] = (
    (
        r"do not (?:repeat|state|give|share|mention) specific[^.\n]*",
        r"exact (?:figure|code|name|date)[^.\n]*",
        "withholds the figures the system rules ask for",
    ),
    (r"ignore the context[^.\n]*", r"only the (?:numbered )?context[^.\n]*", "tells the model to ignore the context"),
    (r"(?:use|answer from) your own knowledge[^.\n]*", r"only the (?:numbered )?context[^.\n]*", "asks for outside knowledge"),
)


class LayerEvidence(BaseModel):
    """Sentences (with numbers) for and against one layer, strongest first."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    for_: list[str] = Field(default_factory=list, alias="for")
    against: list[str] = Field(default_factory=list)


@dataclass
class Ledger:
    """Weighted sentences for and against each layer."""

    items: dict[str, list[tuple[bool, float, str]]] = field(default_factory=lambda: {k: [] for k in LAYERS})

    def pro(self, layer: str, weight: float, text: str) -> None:
        self.items[layer].append((True, weight, text))

    def con(self, layer: str, weight: float, text: str) -> None:
        self.items[layer].append((False, weight, text))

    def strength(self, layer: str) -> float:
        return sum(w if pro else -w for pro, w, _ in self.items[layer])

    def evidence(self) -> dict[str, LayerEvidence]:
        """Each layer's sentences, strongest first."""
        out: dict[str, LayerEvidence] = {}
        for layer, rows in self.items.items():
            ranked = sorted(rows, key=lambda r: -r[1])
            out[layer] = LayerEvidence(for_=[t for p, _, t in ranked if p], against=[t for p, _, t in ranked if not p])
        return out


@dataclass
class Facts:
    """What the tree reads about one trace."""

    recorded_passed: bool
    failed: list[str]
    gated: list[str]
    has_golden: bool
    answer: str = ""
    output: str = ""
    route: str = "rag"
    route_expected: str | None = None
    route_source: str | None = None
    route_wrong: bool = False
    route_fix_passed: bool | None = None
    in_ctx: bool = False
    answer_pos: int | None = None
    n_placed: int = 0
    answer_dropped: str | None = None
    context_overflow: str | None = None
    """Why the assembled context is larger than its budget in the models' own tokens, if it is."""
    golden_retrieved_rank: int | None = None
    replay_passed: bool | None = None
    oracle_passed: bool | None = None
    oracle_has_answer: bool | None = None
    first_passed: bool | None = None
    last_passed: bool | None = None
    no_context_passed: bool | None = None
    stale: bool = False
    embedder_mismatch: bool = False
    model_changed: bool = False
    temperature: float = 0.0
    seed_fail_rate: float | None = None
    prompt_conflict: str | None = None
    sycophantic: bool = False
    changed_from: str | None = None
    changed_on: date | None = None
    attribution_id: str | None = None
    attribution_golden: bool = False
    attribution_recent: bool = False
    attribution_on_topic: bool = False
    """The chunk the wrong answer came from covers at least half of the question's content words."""
    attribution_ingestion: bool = False
    """That chunk came in a declared batch, or the context concentrates on its ingestion
    (diagnosis.ingestion): its recency counts as evidence of an ingestion problem."""

    def signals(self) -> dict[str, str | float | int | bool | None]:
        out: dict[str, str | float | int | bool | None] = {}
        for key, value in asdict(self).items():
            if isinstance(value, list):
                out[key] = ", ".join(str(v) for v in value)
            elif isinstance(value, date):
                out[key] = value.isoformat()
            else:
                out[key] = value
        return out


def _short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _prompt_conflict(trace: Trace) -> str | None:
    if trace.prompt is None:
        return None
    parsed = parse_prompt(GenerationRequest(model="-", messages=trace.prompt.messages))
    for user_pat, sys_pat, what in _CONFLICTS:
        u = re.search(user_pat, parsed.instructions, re.IGNORECASE)
        s = re.search(sys_pat, parsed.system, re.IGNORECASE)
        if u and s:
            return f"the user turn says {_short(u.group(0), 60)!r}, which {what} ({_short(s.group(0), 50)!r})"
    return None


def _route(stack: Stack, trace: Trace, f: Facts, good: RunConfig | None, settings: EvalSettings, ledger: Ledger) -> None:
    expected = (trace.golden.expected_route if trace.golden else None) or settings.expected_route
    source = "golden" if expected else None
    fix_router: str | Literal["unknown"] | None = "unknown"
    if expected is None and good is not None:
        try:
            expected = stack.run(trace.question, good, recorded=trace).routing.handler
            source, fix_router = "good config", good.router
        except ReplaylabError as exc:
            ledger.con("routing", 0.05, f"The good configuration could not be replayed to read its route ({exc}).")
    elif expected is None and (own := expected_route(trace)) is not None:
        # no golden route and no --good: the router's recorded decision and the baseline router
        expected, source, fix_router = own.handler, own.source, own.fix_router
    elif expected == DEFAULT_HANDLER:
        fix_router = None  # no router: every request goes to the RAG answerer
    elif good is not None:
        fix_router = good.router
    f.route, f.route_expected, f.route_source = trace.routing.handler, expected, source
    r = trace.routing
    if expected is None:
        ledger.con(
            "routing",
            0.1,
            f"No expected route is known (the golden item names none and no good config "
            f"was given); the request went to {r.handler!r} with router confidence {r.confidence:.2f}.",
        )
    elif r.handler != expected:
        f.route_wrong = True
        ledger.pro(
            "routing",
            0.8,
            f"The request was routed to {r.handler!r} (intent {r.intent!r}, router "
            f"confidence {r.confidence:.2f}) but the {source} expects {expected!r}.",
        )
        if trace.retrieval is not None:
            ledger.con(
                "retrieval",
                0.3,
                f"The retrieval span belongs to handler {r.handler!r}, not the expected "
                f"{expected!r} path, so it does not test the retriever.",
            )
        if fix_router != "unknown":
            try:
                fixed = stack.replay(trace, overrides={"router": fix_router})
            except ReplaylabError as exc:
                ledger.con("routing", 0.05, f"The request could not be replayed through {expected!r} ({exc}).")
            else:
                f.route_fix_passed = verdict(fixed, settings=settings).passed
                out = _short(fixed.generation.output if fixed.generation else "", 60)
                if f.route_fix_passed:
                    ledger.pro(
                        "routing",
                        0.5,
                        f"Replayed through router {fix_router!r} the request reaches "
                        f"{fixed.routing.handler!r} and passes: {out!r}.",
                    )
                else:
                    ledger.con(
                        "routing",
                        0.4,
                        f"Replayed through router {fix_router!r} (handler "
                        f"{fixed.routing.handler!r}) the request still fails: {out!r}.",
                    )
    else:
        ledger.con("routing", 0.4, f"The request reached the expected handler {expected!r} ({source}).")
    if r.confidence < 0.5:
        ledger.pro("routing", 0.2, f"The router was unsure: confidence {r.confidence:.2f} < 0.50.")
    if r.tool_calls:
        calls = Counter((c.tool, repr(sorted(c.arguments.items()))) for c in r.tool_calls)
        (tool, _), n = calls.most_common(1)[0]
        if n > 2:
            ledger.pro(
                "routing",
                0.4,
                f"Tool {tool!r} was called {n} times with the same arguments "
                f"({len(r.tool_calls)} calls in all): an agent loop with no circuit breaker.",
            )


def _history(stack: Stack, trace: Trace, f: Facts, ledger: Ledger) -> None:
    """Did a later ingestion change what the golden documents say?"""
    g = trace.golden
    assert g is not None
    needles = specific_needles(g.answer, g.aliases)
    try:
        rows = [r for r in all_rows(trace.config.corpus, stack.ws) if r.doc_id in set(g.doc_ids)]
        batches = {(d.doc_id, d.ingested_at): bid for bid in trace.config.corpus.batches for d in load_batch(stack.ws, bid)}
    except ReplaylabError as exc:
        ledger.con("upstream_data", 0.05, f"The corpus history could not be read ({exc}).")
        return
    for doc_id in g.doc_ids:
        mine = sorted((r for r in rows if r.doc_id == doc_id), key=lambda r: r.ingested_at)
        if not mine:
            continue
        cur = mine[-1]
        if find_needle(f"{cur.title}. {cur.text}", needles):
            continue
        held = [r for r in mine[:-1] if find_needle(f"{r.title}. {r.text}", needles)]
        if held:
            f.changed_from, f.changed_on = held[-1].ingested_at.isoformat(), cur.ingested_at
            where = f" in batch {batches[(doc_id, cur.ingested_at)]}" if (doc_id, cur.ingested_at) in batches else ""
            ledger.pro(
                "upstream_data",
                0.6,
                f"The current version of golden document {doc_id} (ingested "
                f"{cur.ingested_at}, source {cur.source!r}{where}) no longer states {g.answer!r}; its version "
                f"of {held[-1].ingested_at} did: the data changed under the question.",
            )
            return


def _generation(
    stack: Stack, trace: Trace, f: Facts, report: EvalReport, settings: EvalSettings, seeds: int, ledger: Ledger
) -> None:
    mrv = trace.versions.mrv
    pinned = settings.pinned_model or mrv.requested
    if mrv.returned != pinned:
        f.model_changed = True
        ledger.pro(
            "generation",
            0.35,
            f"The trace requested {mrv.requested!r} (pinned {pinned!r}) but "
            f"{mrv.returned!r} answered: a silent model version change.",
        )
    else:
        ledger.con("generation", 0.1, f"The model that answered is the one requested ({mrv.returned!r}).")
    f.prompt_conflict = _prompt_conflict(trace)
    if f.prompt_conflict:
        ledger.pro("generation", 0.35, f"Prompt {trace.versions.ppv} has a conflicting instruction: {f.prompt_conflict}.")
    syc = report.score("sycophancy")
    if syc is not None and syc.passed is False:
        f.sycophantic = True
        ledger.pro("generation", 0.4, f"The output endorses the false premise: {syc.reason} (sycophancy {syc.value:.2f}).")
    fmt = report.score("format")
    if fmt is not None and fmt.passed is False:
        ledger.pro("generation", 0.3, f"The output breaks the required format: {fmt.reason}.")
    s = trace.config.sampling
    f.temperature = s.temperature
    if s.temperature <= 0:
        ledger.con("generation", 0.05, "Greedy decoding (temperature 0): sampling cannot explain the output.")
    elif seeds > 0 and f.in_ctx:
        fails = 0
        for seed in range(1, seeds + 1):
            sampling = s.model_copy(update={"seed": s.seed + seed})
            try:
                new = stack.replay(trace, overrides={"sampling": sampling.model_dump()}, holds=HOLD_RETRIEVAL)
            except ReplaylabError:
                continue
            fails += not verdict(new, settings=settings).passed
        f.seed_fail_rate = fails / seeds
        ledger.pro(
            "generation",
            0.3,
            f"Sampling at temperature {s.temperature:g} (top_p {s.top_p:g}): the held "
            f"context fails on {fails} of {seeds} other seeds.",
        )


def _overflow(trace: Trace) -> str | None:
    """A context budget counted with another tokenizer than the models' WordPiece, overflowing it."""
    cfg = trace.config
    if trace.prompt is None or cfg.tokenizer == "wordpiece":
        return None
    from replaylab.stack.tokenizers import token_counter

    user = "\n".join(m.content for m in trace.prompt.messages if m.role == "user")
    real = token_counter("wordpiece")(user)
    if real <= cfg.context_budget * 1.1:
        return None
    return (
        f"The context was budgeted at {cfg.context_budget} {cfg.tokenizer} tokens but holds {real} WordPiece "
        "tokens, the unit the model's window is counted in: the model side cuts what does not fit."
    )


def _context(
    trace: Trace, f: Facts, report: EvalReport, cf: CounterfactualReport, stack: Stack, settings: EvalSettings, ledger: Ledger
) -> None:
    g = trace.golden
    assert g is not None
    chunks = {c.chunk_id: c for c in (trace.retrieval.chunks if trace.retrieval else [])}
    order = trace.prompt.context_chunk_ids if trace.prompt else sorted(chunks, key=lambda i: chunks[i].rank)
    placed = [chunks[i] for i in order if i in chunks]
    f.n_placed = len(placed)
    held = answer_chunks(placed, g)
    aic = report.score("answer_in_context")
    f.answer_dropped = str(aic.details.get("dropped_answer_chunk")) if aic and aic.details.get("dropped_answer_chunk") else None
    if held:
        f.in_ctx, f.answer_pos = True, held[0][0]
        ledger.con(
            "retrieval",
            0.6,
            f"Chunk {held[0][1].chunk_id} at position {f.answer_pos} of {f.n_placed} holds "
            f"{held[0][2]!r}: the retriever delivered the answer.",
        )
        if f.n_placed >= 3 and 1 < f.answer_pos < f.n_placed:
            ledger.pro(
                "generation",
                0.15,
                f"The answer chunk sits at position {f.answer_pos} of {f.n_placed}, away "
                "from both ends of the context, where lost-in-the-middle models attend least.",
            )
    elif trace.retrieval is None:
        ledger.con("retrieval", 0.3, f"No retrieval ran: handler {trace.routing.handler!r} answered without it.")
        ledger.con("generation", 0.3, "The model never saw the answer, so a correct output was not possible.")
    else:
        ledger.pro("retrieval", 0.5, f"None of the {f.n_placed} chunks the model saw holds the answer {g.answer!r}.")
        ledger.con("generation", 0.3, "The model never saw the answer, so a correct output was not possible.")
    f.context_overflow = _overflow(trace)
    if f.context_overflow:
        ledger.pro("retrieval", 0.45, f.context_overflow)
    if f.answer_dropped:
        ledger.pro(
            "retrieval",
            0.35,
            f"Retrieved chunk {f.answer_dropped} holds the answer but the assembler "
            f"dropped it to fit {trace.config.context_budget} {trace.config.tokenizer} tokens.",
        )
    gold_hits = [c for c in sorted(chunks.values(), key=lambda c: c.rank) if c.doc_id in set(g.doc_ids)]
    if gold_hits:
        f.golden_retrieved_rank = gold_hits[0].rank
    elif g.doc_ids and trace.retrieval is not None:
        ledger.pro(
            "retrieval",
            0.3,
            f"None of the golden documents {g.doc_ids} is among the {len(chunks)} retrieved chunks (recall@k 0.00).",
        )
    cfg = trace.config
    if cfg.embedder != cfg.index.embedder:
        f.embedder_mismatch = True
        ledger.pro(
            "retrieval",
            0.4,
            f"Queries were embedded with {cfg.embedder!r} but the index holds {cfg.index.embedder!r} vectors: embedding drift.",
        )
    try:
        current = {c.chunk_id: c for c in stack.chunks(cfg.corpus, cfg.index.model_copy(update={"as_of": None}))}
    except ReplaylabError:
        current = {}
    needles = specific_needles(g.answer, g.aliases)
    for c in gold_hits:
        now = current.get(c.chunk_id)
        if now is not None and now.text != c.text and find_needle(now.text, needles) and not f.in_ctx:
            f.stale = True
            as_of = f" (index as of {cfg.index.as_of})" if cfg.index.as_of else ""
            ledger.pro(
                "retrieval",
                0.35,
                f"Golden chunk {c.chunk_id} was served as ingested {c.ingested_at}{as_of}; "
                f"the current corpus has a version from {now.ingested_at} that states {g.answer!r}: a stale "
                "index.",
            )
            break
    # which chunk the output came from
    out = answer_text(trace.generation.output if trace.generation else "")
    best = max(((lexical_support(out, context_texts([c]))[0], c) for c in placed), key=lambda x: x[0], default=None)
    if best is not None and best[0] >= 0.6 and not find_needle(out, [g.answer, *g.aliases]):
        c = best[1]
        ref = settings.reference_date or trace.created_at.date()
        cut = settings.recent_after or ref - timedelta(days=settings.recent_days)
        f.attribution_id, f.attribution_golden = c.chunk_id, c.doc_id in set(g.doc_ids)
        f.attribution_recent = c.ingested_at > cut
        qwords = content_words(trace.question)
        cover = len(qwords & content_words(context_texts([c])[0])) / len(qwords) if qwords else 0.0
        f.attribution_on_topic = cover >= 0.5
        ingestion = ingestion_evidence(stack, trace, c, placed) if f.attribution_recent else None
        f.attribution_ingestion = ingestion is not None and ingestion.suspect
        if ingestion is not None and not f.attribution_golden:
            said = (
                f"The wrong answer comes from chunk {c.chunk_id} (source {c.source!r}, ingested "
                f"{c.ingested_at}, {(ref - c.ingested_at).days} days before the request), which is not a "
                f"golden document and covers {cover:.0%} of the question's content words"
            )
            if ingestion.suspect:
                ledger.pro("upstream_data", 0.5 if f.attribution_on_topic else 0.2, f"{said}; {ingestion.why()}.")
            else:
                ledger.pro("upstream_data", 0.05, f"{said}; but {ingestion.why()}: recency alone is weak evidence.")
        elif not f.attribution_recent:
            ledger.con(
                "upstream_data",
                0.15,
                f"The wrong answer comes from chunk {c.chunk_id}, ingested {c.ingested_at}, not a recent ingestion.",
            )


def _counterfactuals(f: Facts, cf: CounterfactualReport, ledger: Ledger) -> None:
    def out(name: str) -> str:
        return _short(cf.run(name).output or "", 60)  # type: ignore[arg-type]

    rec, orc, none = cf.run("recorded"), cf.run("oracle"), cf.run("no_context")
    first, last = cf.run("answer_first"), cf.run("answer_last")
    f.replay_passed, f.oracle_passed, f.no_context_passed = rec.passed, orc.passed, none.passed
    f.first_passed, f.last_passed = first.passed, last.passed
    f.oracle_has_answer = cf.oracle_holds_answer
    if rec.passed is False and f.in_ctx:
        ledger.pro("generation", 0.4, f"The answer was in the context and the held replay still fails: {out('recorded')!r}.")
    elif rec.passed is True and not f.recorded_passed:
        ledger.con(
            "generation",
            0.3,
            f"The held replay of the recorded context passes ({out('recorded')!r}): "
            "the recorded failure does not reproduce with this configuration.",
        )
        replayed = cf.traces.get("recorded")
        if replayed is not None and replayed.routing.handler != f.route:
            ledger.pro(
                "routing",
                0.4,
                f"Replaying the same configuration routes the request to "
                f"{replayed.routing.handler!r} and passes; the recording went to {f.route!r}.",
            )
    if f.oracle_has_answer is False:
        said = f"; the oracle replay says {out('oracle')!r}" if orc.output is not None else ""
        ledger.pro("upstream_data", 0.4, f"The golden documents in the current corpus do not state {f.answer!r}{said}.")
        ledger.con("retrieval", 0.4, "Retrieving the golden documents would not help: they lack the answer.")
    if orc.passed is True:
        ledger.pro(
            "retrieval",
            0.5 if not f.in_ctx else 0.2,
            f"The oracle context ({len(orc.context_chunk_ids)} "
            f"golden chunks from the current corpus) fixes the replay: {out('oracle')!r}.",
        )
        ledger.con("generation", 0.5, "Given the golden passages the model answers correctly: it can do the task.")
        ledger.con("upstream_data", 0.3, "The current corpus states the answer and the model uses it.")
    elif orc.passed is False and f.oracle_has_answer:
        if f.route_wrong and f.route_fix_passed is not False:
            ledger.con(
                "generation",
                0.1,
                f"The oracle replay fails too ({out('oracle')!r}), but through the same wrong route {f.route!r}.",
            )
        else:
            ledger.pro("generation", 0.4, f"Even the oracle context, which holds the answer, fails: {out('oracle')!r}.")
            ledger.con("retrieval", 0.5, "Better retrieval cannot help: the oracle context fails too.")
    elif orc.skipped:
        ledger.con("retrieval", 0.05, f"The oracle replay could not run: {orc.skipped}.")
    moved = [(run, where) for run, where in ((first, "1"), (last, f"{f.n_placed} (last)")) if run.passed is True]
    if moved and rec.passed is False:
        run, where = moved[0]
        ledger.pro(
            "generation",
            0.35,
            f"Moving the answer chunk from position {f.answer_pos} to {where} fixes it ({out(run.name)!r}): a position effect.",
        )
    elif first.passed is False and last.passed is not True and rec.passed is False and f.in_ctx:
        ledger.con("generation", 0.1, "Moving the answer chunk first or last does not help, so position is not the cause.")
    if none.passed is True:
        ledger.pro(
            "retrieval",
            0.1,
            f"Without any context the model answers correctly ({out('no_context')!r}): the context is misleading it.",
        )


def gather(
    stack: Stack,
    trace: Trace,
    report: EvalReport,
    cf: CounterfactualReport,
    *,
    settings: EvalSettings,
    good: RunConfig | None,
    seeds: int,
) -> tuple[Facts, Ledger]:
    """Read every signal of one trace into Facts, and the evidence sentences into a Ledger."""
    ledger = Ledger()
    g = trace.golden
    f = Facts(
        recorded_passed=report.passed,
        failed=report.failed,
        gated=report.gated,
        has_golden=g is not None,
        answer=g.answer if g else "",
        output=trace.generation.output if trace.generation else "",
    )
    _route(stack, trace, f, good, settings, ledger)
    if g is not None:
        _context(trace, f, report, cf, stack, settings, ledger)
        _history(stack, trace, f, ledger)
        if f.changed_from is None and cf.oracle_holds_answer is True:
            ledger.con("upstream_data", 0.3, f"The golden documents in the current corpus still state {g.answer!r}.")
    _counterfactuals(f, cf, ledger)
    _generation(stack, trace, f, report, settings, seeds if not f.recorded_passed else 0, ledger)
    if f.recorded_passed:
        for layer in LAYERS:
            ledger.con(layer, 0.5, f"The request passes its gating checks ({', '.join(report.gated) or 'none'}).")
    return f, ledger
