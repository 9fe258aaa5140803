"""The four-layer decision tree over one trace's `Facts`.

`decide` walks the branches in a fixed order, the first that matches names the layer:
a passing or ungraded request, then upstream data and retrieval read before generation (a
wrong document or a missing answer explains a wrong output), then generation, then what
remains (route, corpus, distractors, sampling).
"""

from __future__ import annotations

from typing import Literal

from replaylab.diagnosis.facts import Facts, Ledger
from replaylab.variables import LAYERS

__all__ = ["Decision", "DiagnosisLayer", "decide"]

DiagnosisLayer = Literal["retrieval", "generation", "routing", "upstream_data", "none"]
Decision = tuple[DiagnosisLayer, float, str, list[str]]
"""(layer, base confidence, summary, suspects to try first)."""


def decide(f: Facts, ledger: Ledger) -> Decision:
    """Walk the tree: (layer, base confidence, summary, suspects to try first)."""
    if f.recorded_passed:
        if f.replay_passed is False:
            return "none", 0.5, "The recording passes its checks but the held replay fails: flaky, not broken.", []
        return "none", 0.9, "The request passes every gating check (" + ", ".join(f.gated or ["none"]) + ").", []
    if not f.has_golden:
        return _without_golden(f)
    for branch in (_before_generation, _generation, _after_generation):
        found = branch(f)
        if found is not None:
            return found
    # what remains: the recording failed, the answer was in the context, the replay passes
    best: DiagnosisLayer = max(LAYERS, key=ledger.strength)
    return best, 0.3, "The failure does not reproduce in the sandbox; the layer with most evidence is named.", []


def _without_golden(f: Facts) -> Decision:
    if f.route_wrong:
        return "routing", 0.6, f"Routed to {f.route!r}, expected {f.route_expected!r}; no golden answer.", []
    return (
        "generation",
        0.4,
        f"The output fails {', '.join(f.failed)} with no golden answer to test the "
        "context against; only generation-side checks could run.",
        ["prompt", "model"],
    )


def _before_generation(f: Facts) -> Decision | None:
    """A wrong document the knowledge base now holds, a missing answer the oracle supplies, an overflow."""
    route_ok = not f.route_wrong
    if route_ok and f.attribution_recent and f.attribution_ingestion and f.attribution_on_topic and not f.attribution_golden:
        # read before retrieval: the knowledge base itself now holds a wrong answer to this question
        return (
            "upstream_data",
            0.7,
            f"The wrong answer comes from {f.attribution_id}, a recently ingested "
            "document that is not a golden one and answers this very question.",
            ["corpus"],
        )
    if route_ok and not f.in_ctx and f.oracle_passed is True:
        first = ["index", "embedder"] if f.stale or f.embedder_mismatch else []
        if f.answer_dropped:
            first = ["tokenizer", "context_budget"]
        elif f.golden_retrieved_rank is not None and not f.stale:
            first = ["top_k", "min_score"]
        return "retrieval", 0.9, "No chunk the model saw holds the answer, and the oracle context fixes the replay.", first
    if route_ok and f.context_overflow and f.replay_passed is False:
        return (
            "retrieval",
            0.75,
            "The assembled context overflows the model's window: it was budgeted with "
            "a tokenizer other than the model's own, so the tail passages are cut.",
            ["tokenizer", "context_budget"],
        )
    return None


def _generation(f: Facts) -> Decision | None:
    """The answer reached the model (or the oracle did) and the output is still wrong."""
    stochastic = f.temperature > 0 and f.seed_fail_rate is not None and f.seed_fail_rate < 1.0
    gen_signal = f.model_changed or f.prompt_conflict is not None or f.sycophantic or stochastic
    # a wrong route explains a failing generation unless the expected route fails as well
    gen_ok_route = not f.route_wrong or f.route_fix_passed is False
    reproduced = gen_ok_route and f.in_ctx and f.replay_passed is False
    moved = f.first_passed is True or f.last_passed is True
    if reproduced and (f.oracle_passed is not True or moved or gen_signal):
        if moved and f.oracle_passed is True:
            edge = "first" if f.first_passed is True else "last"
            return (
                "generation",
                0.8,
                f"The answer is in the context (position {f.answer_pos} of {f.n_placed}) "
                f"and the model misses it until it is moved {edge}: a position effect.",
                ["context_order", "model", "sampling"],
            )
        first = (
            (["prompt"] if f.prompt_conflict else [])
            + (["model"] if f.model_changed or f.sycophantic else [])
            + (["sampling"] if stochastic else [])
        )
        return (
            "generation",
            0.85,
            "The context holds the answer and the output is still wrong"
            + (", with the oracle context too." if f.oracle_passed is False else "."),
            list(dict.fromkeys([*first, "sampling"])),
        )
    if gen_ok_route and not f.in_ctx and f.oracle_has_answer and f.oracle_passed is False:
        return (
            "generation",
            0.75,
            "The oracle context holds the answer and the replay still fails: the model "
            "cannot use it (the recorded context lacked it too).",
            ["prompt"] if f.prompt_conflict else ["model"],
        )
    return None


def _after_generation(f: Facts) -> Decision | None:
    """A wrong route, a corpus without the answer, a recent wrong document, a distractor, sampling."""
    if f.route_wrong:
        base = (0.85 if f.route_source == "golden" else 0.65) + (0.1 if f.route_fix_passed else 0.0)
        fixed = ", and the expected handler answers it" if f.route_fix_passed else ""
        return "routing", base, f"The request reached {f.route!r} instead of {f.route_expected!r}{fixed}.", ["router", "tools"]
    if f.oracle_has_answer is False:
        base = 0.85 if f.changed_from is not None else 0.6
        return (
            "upstream_data",
            base,
            "The current corpus no longer states the answer in the golden documents"
            + (f" (changed on {f.changed_on})." if f.changed_on else "."),
            ["corpus"],
        )
    if f.attribution_recent and f.attribution_ingestion and not f.attribution_golden:
        return (
            "upstream_data",
            0.5,
            f"The answer came from {f.attribution_id}, a recently ingested document that is not a golden one.",
            ["corpus"],
        )
    if f.in_ctx and f.replay_passed is False:
        return (
            "retrieval",
            0.5,
            f"A distractor in the context ({f.attribution_id or 'unattributed'}) outranks "
            "the answer chunk: the oracle context passes, moving the answer first does not.",
            ["top_k", "index"],
        )
    if f.replay_passed is True and f.temperature > 0:
        return "generation", 0.5, f"The failure does not reproduce at temperature {f.temperature:g}: sampling.", ["sampling"]
    if not f.in_ctx:
        return "retrieval", 0.45, "No chunk the model saw holds the answer (the oracle could not confirm it).", []
    return None
