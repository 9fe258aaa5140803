"""An imported trace on the project's stack: re-retrieve from the project's corpus so bisect and the
counterfactuals can swap index, embedder and top_k.

An imported trace holds its context at the documents the app retrieved: the app's index is not in
the workspace, so index, embedder, top_k and corpus change nothing in a replay. When a project
file is present and every recorded document id is in the project's corpus, the app's retrieval
can be stood in for by the project's stack: the trace's config is rewritten to retrieve live
from the project's corpus and index, with the recorded top_k, and the query embedder and prompt
version the trace names when replaylab knows them (else the project's). Otherwise the trace is
left as it is and the note says which variables cannot be swapped, and why.

    adoption = adopt_imported(trace, stack=stack, baseline=project_baseline)  # baseline None: no project
    adoption.trace     # the trace to bisect or diagnose
    adoption.note      # one line for the report
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from replaylab.config import RunConfig
from replaylab.errors import ConfigError
from replaylab.registry import names
from replaylab.stack.corpus import load_corpus
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace

FIXED = ("index", "embedder", "top_k", "corpus")
"""Variables a replay of an imported trace cannot swap while its context is held."""


class Adoption(BaseModel):
    """What became of an imported trace before a bisection or a diagnosis."""

    model_config = ConfigDict(frozen=True)

    trace: Trace
    """The trace to replay: rewritten onto the project's stack when adopted, else as recorded."""
    adopted: bool = False
    """True when retrieval is replayed live from the project's corpus."""
    fixed: tuple[str, ...] = ()
    """Variables that cannot be swapped (empty when adopted or not imported)."""
    note: str = ""
    """One line saying what was done, or which variables cannot be swapped and why ("" if not imported)."""


def is_imported(trace: Trace) -> bool:
    """True for a trace `replaylab import` made from another tool's export."""
    return "import.format" in trace.tags


def adopt_imported(trace: Trace, *, stack: Stack, baseline: RunConfig | None) -> Adoption:
    """The imported `trace` moved onto the project's stack (`baseline`: the project's good baseline,
    None without a project file) when its recorded documents are all in the project's corpus."""
    if not is_imported(trace):
        return Adoption(trace=trace)
    chunks = trace.retrieval.chunks if trace.retrieval is not None else []
    cannot = f"imported trace: {', '.join(FIXED)} cannot be swapped: the app's index is not in the workspace and "
    held = "; the context stays held at the recorded documents (prompt, model, sampling and context can be swapped)"
    if baseline is None:
        why = "there is no replaylab.yaml whose corpus could stand in for it (`replaylab init`)"
        return Adoption(trace=trace, fixed=FIXED, note=cannot + why + held)
    if not chunks:
        why = "the trace recorded no retrieved documents to match against the project's corpus"
        return Adoption(trace=trace, fixed=FIXED, note=cannot + why + held)
    try:
        known = {d.doc_id for d in load_corpus(baseline.corpus, stack.ws)}
    except ConfigError as exc:
        return Adoption(trace=trace, fixed=FIXED, note=cannot + f"the project's corpus cannot be read ({exc})" + held)
    missing = [c.doc_id for c in chunks if c.doc_id not in known]
    if missing:
        why = f"{len(missing)} of the {len(chunks)} recorded document ids are not in the project's corpus (e.g. {missing[0]!r})"
        return Adoption(trace=trace, fixed=FIXED, note=cannot + why + held)
    config, taken = _adopted_config(trace, stack=stack, baseline=baseline, top_k=len(chunks))
    adopted = trace.model_copy(update={"config": config})
    again = {c.doc_id for c in stack.retrieve(trace.question, config).chunks}
    recorded = {c.doc_id for c in chunks}
    note = (
        f"imported trace: its {len(chunks)} recorded documents are all in the project's corpus, so retrieval is "
        f"replayed live from it ({', '.join(taken)}); index, embedder and top_k can be swapped. "
        f"The re-retrieval returns {len(again & recorded)} of the {len(recorded)} recorded documents"
    )
    return Adoption(trace=adopted, adopted=True, note=note)


def _adopted_config(trace: Trace, *, stack: Stack, baseline: RunConfig, top_k: int) -> tuple[RunConfig, list[str]]:
    """The project's stack with what the trace recorded of the app: model, sampling, top_k, and the
    query embedder and prompt version when replaylab knows them; and those choices in words."""
    embedder = trace.versions.embedder if trace.versions.embedder in names("embedder") else baseline.embedder
    prompt = baseline.prompt
    try:
        prompt = stack.prompts.resolve(trace.versions.ppv).id
        prompt_from = f"prompt {prompt} as recorded"
    except ConfigError:
        prompt_from = f"the project's prompt {prompt} (the app's {trace.versions.ppv!r} is not stored)"
    from_trace = (
        "as recorded" if embedder == trace.versions.embedder else f"the project's ({trace.versions.embedder!r} is unknown)"
    )
    config = baseline.model_copy(
        update={
            "model": trace.config.model,
            "sampling": trace.config.sampling,
            "top_k": max(1, min(200, top_k)),
            "embedder": embedder,
            "prompt": prompt,
            "context": None,
        }
    )
    taken = [
        f"the project's index ({baseline.index.embedder}, {baseline.index.kind})",
        f"query embedder {embedder} {from_trace}",
        f"top_k {config.top_k} as recorded",
        prompt_from,
    ]
    return config, taken
