"""Evidence for and against the routing layer: the expected route, a replay through the fix, tool loops."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from replaylab.config import RunConfig
from replaylab.diagnosis.facts import DEFAULT_HANDLER, Facts, Ledger, short
from replaylab.diagnosis.route_expectation import expected_route
from replaylab.errors import ReplaylabError
from replaylab.evals import EvalSettings, verdict
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace

__all__ = ["routing_evidence"]

_FixRouter = str | Literal["unknown"] | None


def routing_evidence(
    stack: Stack, trace: Trace, f: Facts, good: RunConfig | None, settings: EvalSettings, ledger: Ledger
) -> None:
    """Write what the route says into `f` and `ledger`."""
    expected, source, fix_router = _expected(stack, trace, good, settings, ledger)
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
        _wrong_route(stack, trace, f, expected, source, fix_router, settings, ledger)
    else:
        ledger.con("routing", 0.4, f"The request reached the expected handler {expected!r} ({source}).")
    if r.confidence < 0.5:
        ledger.pro("routing", 0.2, f"The router was unsure: confidence {r.confidence:.2f} < 0.50.")
    _tool_loop(trace, ledger)


def _expected(
    stack: Stack, trace: Trace, good: RunConfig | None, settings: EvalSettings, ledger: Ledger
) -> tuple[str | None, str | None, _FixRouter]:
    """The expected handler, where that expectation comes from, and the router that would fix it."""
    expected = (trace.golden.expected_route if trace.golden else None) or settings.expected_route
    source = "golden" if expected else None
    fix_router: _FixRouter = "unknown"
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
    return expected, source, fix_router


def _wrong_route(
    stack: Stack,
    trace: Trace,
    f: Facts,
    expected: str,
    source: str | None,
    fix_router: _FixRouter,
    settings: EvalSettings,
    ledger: Ledger,
) -> None:
    r = trace.routing
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
        _replay_fixed_route(stack, trace, f, expected, fix_router, settings, ledger)


def _replay_fixed_route(
    stack: Stack, trace: Trace, f: Facts, expected: str, fix_router: str | None, settings: EvalSettings, ledger: Ledger
) -> None:
    try:
        fixed = stack.replay(trace, overrides={"router": fix_router})
    except ReplaylabError as exc:
        ledger.con("routing", 0.05, f"The request could not be replayed through {expected!r} ({exc}).")
        return
    f.route_fix_passed = verdict(fixed, settings=settings).passed
    out = short(fixed.generation.output if fixed.generation else "", 60)
    if f.route_fix_passed:
        ledger.pro(
            "routing",
            0.5,
            f"Replayed through router {fix_router!r} the request reaches {fixed.routing.handler!r} and passes: {out!r}.",
        )
    else:
        ledger.con(
            "routing",
            0.4,
            f"Replayed through router {fix_router!r} (handler {fixed.routing.handler!r}) the request still fails: {out!r}.",
        )


def _tool_loop(trace: Trace, ledger: Ledger) -> None:
    r = trace.routing
    if not r.tool_calls:
        return
    calls = Counter((c.tool, repr(sorted(c.arguments.items()))) for c in r.tool_calls)
    (tool, _), n = calls.most_common(1)[0]
    if n > 2:
        ledger.pro(
            "routing",
            0.4,
            f"Tool {tool!r} was called {n} times with the same arguments "
            f"({len(r.tool_calls)} calls in all): an agent loop with no circuit breaker.",
        )
