"""Traffic: golden questions sent through a deployment, and the fast verdict on each trace.

    traces = run_traffic(stack, deployment, items, seed=0)
    pass_rate(traces)          # share whose answer passes

The verdict is the evaluators' gate (`replaylab.evals.verdict(trace).passed`) when that
package is installed, else a local fallback: the golden answer or an alias appears in the
output as whole normalised tokens ("7" is not in "17"), and for a false-premise question the
false value does not appear.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from replaylab.faults.effects import contains
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack, golden_of
from replaylab.trace import Trace

Progress = Callable[[int, int], None]
"""Called with (done, total) after each request."""


def run_traffic(
    stack: Stack,
    deployment: Deployment,
    items: Sequence[GoldenItem],
    *,
    seed: int = 0,
    tags: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> list[Trace]:
    """Serve `deployment` on `stack` and run each golden question through it, in order.

    `seed` is added to the deployment's sampler seed, so windows with different seeds sample
    differently while seed 0 runs the deployment's configuration exactly.
    """
    deployment.activate(stack)
    config = deployment.config
    if seed:
        config = config.model_copy(update={"sampling": config.sampling.model_copy(update={"seed": config.sampling.seed + seed})})
    traces: list[Trace] = []
    for n, item in enumerate(items, 1):
        traces.append(stack.run(item.question, config, golden=golden_of(item), tags={**(tags or {}), "qid": item.qid}))
        if progress is not None:
            progress(n, len(items))
    return traces


def answer_matches(trace: Trace) -> bool:
    """The local verdict: golden answer (or alias) present, and no false premise repeated."""
    golden = trace.golden
    output = trace.generation.output if trace.generation is not None else ""
    if golden is None or not output.strip():
        return False
    if not any(contains(output, a) for a in (golden.answer, *golden.aliases)):
        return False
    return not (golden.false_premise and contains(output, golden.false_premise))


@lru_cache(maxsize=1)
def _verdict() -> Callable[[Trace], bool]:
    try:
        from replaylab.evals import verdict
    except ImportError:  # the evaluators are optional here: fall back to the local verdict
        return answer_matches

    def gate(trace: Trace) -> bool:
        return bool(verdict(trace).passed)

    return gate


def passes(trace: Trace) -> bool:
    """The fast verdict on one trace (the evaluators' gate when available)."""
    return _verdict()(trace)


def pass_rate(traces: Sequence[Trace]) -> float:
    """Share of `traces` that pass (0.0 for no traces)."""
    return sum(passes(t) for t in traces) / len(traces) if traces else 0.0
