"""Properties of the agent guards (replaylab.agents.guards), checked by hypothesis."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from replaylab.agents.guards import (
    Budget,
    CircuitBreaker,
    CycleDetector,
    GuardSet,
    GuardTripped,
    LoopGuard,
    ManualClock,
    StepCap,
    StepInfo,
)

# a small alphabet, so identical calls and cycles happen often
TOOLS = st.sampled_from(["search_docs", "fetch", "ask_agent"])
ARGS = st.dictionaries(st.sampled_from(["q", "k", "lang"]), st.integers(0, 1), max_size=3)
AGENTS = st.sampled_from(["a", "b", "c", "d"])
CALLS = st.lists(st.tuples(TOOLS, ARGS), max_size=40)


def _key(tool: str, args: dict[str, Any]) -> tuple[str, str]:
    return tool, json.dumps(args, sort_keys=True)


# --- loop guard -----------------------------------------------------------------------------


@given(calls=CALLS)
def test_loop_guard_halts_exactly_at_the_first_third_identical_call(
    calls: list[tuple[str, dict[str, int]]],
) -> None:
    guards = GuardSet(loop_guard=LoopGuard())
    seen: Counter[tuple[str, str]] = Counter()
    for i, (tool, args) in enumerate(calls, start=1):
        key = _key(tool, args)
        if seen[key] == 2:
            try:
                guards.before_step(StepInfo(agent="x", tool=tool, arguments=args))
            except GuardTripped as tripped:
                assert tripped.event.guard == "loop_guard"
                assert tripped.event.step == i
                assert tripped.event.reason.startswith(f"loop guard: {tool} called 3 times")
                return
            raise AssertionError(f"third identical call {key} at step {i} was let through")
        guards.before_step(StepInfo(agent="x", tool=tool, arguments=args))
        seen[key] += 1
    assert guards.events == []


@given(calls=CALLS, max_steps=st.integers(0, 50))
def test_with_every_guard_on_no_identical_call_runs_three_times(calls: list[tuple[str, dict[str, int]]], max_steps: int) -> None:
    guards = GuardSet.standard(clock=ManualClock(), max_steps=max_steps)
    ran: Counter[tuple[str, str]] = Counter()
    for tool, args in calls:
        try:
            guards.before_step(StepInfo(agent="x", tool=tool, arguments=args))
        except GuardTripped:
            break
        ran[_key(tool, args)] += 1
        guards.after_step(StepInfo(agent="x", tool=tool, arguments=args))
    assert all(n <= 2 for n in ran.values())


# --- step cap --------------------------------------------------------------------------------


@given(max_steps=st.integers(0, 15), n_steps=st.integers(0, 30))
def test_step_cap_is_never_exceeded(max_steps: int, n_steps: int) -> None:
    guards = GuardSet(step_cap=StepCap(max_steps))
    admitted = 0
    for _ in range(n_steps):
        try:
            guards.before_step(StepInfo(agent="x"))
        except GuardTripped as tripped:
            assert tripped.event.step == max_steps + 1
            break
        admitted += 1
    assert admitted == min(n_steps, max_steps)
    assert guards.steps == admitted <= max_steps


# --- budget ----------------------------------------------------------------------------------

SPEND = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=30)


@given(cap=st.integers(0, 120), spend=SPEND)
def test_token_budget_is_exceeded_by_at_most_one_step(cap: int, spend: list[tuple[int, int]]) -> None:
    guards = GuardSet(budget=Budget(max_tokens=cap))
    budget = guards.budget
    assert budget is not None
    charged: list[int] = []
    for est, actual in spend:
        before = budget.tokens
        step = StepInfo(agent="x", est_tokens=est)
        try:
            guards.before_step(step)
        except GuardTripped:
            assert before + est > cap  # refused only when the estimate crosses the cap
            break
        assert before + est <= cap
        charged.append(actual)
        try:
            guards.after_step(step, tokens=actual)
        except GuardTripped:
            assert budget.tokens > cap
            break
        assert budget.tokens <= cap  # over the cap always halts the session
    assert budget.tokens == sum(charged)
    assert budget.tokens - cap <= max(charged, default=0)


@given(
    cap=st.floats(0.0, 1.0),
    spend=st.lists(st.tuples(st.floats(0.0, 0.3), st.floats(0.0, 0.3)), max_size=30),
)
def test_cost_budget_is_exceeded_by_at_most_one_step(cap: float, spend: list[tuple[float, float]]) -> None:
    budget = Budget(max_cost_usd=cap)
    guards = GuardSet(budget=budget)
    charged: list[float] = []
    for est, actual in spend:
        step = StepInfo(agent="x", est_cost=est)
        try:
            guards.before_step(step)
            charged.append(actual)
            guards.after_step(step, cost=actual)
        except GuardTripped:
            break
    assert budget.cost_usd - cap <= max(charged, default=0.0) + 1e-9


# --- circuit breaker -------------------------------------------------------------------------

BREAKER_OPS = st.lists(
    st.one_of(
        st.just(("allow", 0.0)),
        st.just(("success", 0.0)),
        st.just(("failure", 0.0)),
        st.tuples(st.just("advance"), st.floats(0.0, 40.0)),
    ),
    max_size=60,
)


@given(
    ops=BREAKER_OPS,
    threshold=st.integers(1, 4),
    window=st.floats(0.0, 40.0),
    cooldown=st.floats(0.5, 80.0),
)
def test_breaker_state_machine(ops: list[tuple[str, float]], threshold: int, window: float, cooldown: float) -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(failure_threshold=threshold, window_s=window, cooldown_s=cooldown, clock=clock)
    closed_failures: list[float] = []  # failures recorded since the breaker last closed
    trial_given = False  # has the current half-open period let its one call through?
    for op, seconds in ops:
        state = breaker.state
        if state != "half_open":
            trial_given = False
        if op == "advance":
            clock.advance(seconds)
            after = breaker.state
            assert after == state or (state, after) == ("open", "half_open")
        elif op == "allow":
            allowed = breaker.allow()
            if state == "open":
                assert not allowed, "a call went through an open breaker"
            elif state == "half_open":
                assert allowed == (not trial_given), "half-open must let exactly one call through"
                trial_given = True
            else:
                assert allowed
        elif op == "success":
            breaker.record_success()
            expected = "closed" if state == "half_open" else state
            assert breaker.state == expected
            if state == "half_open":
                closed_failures = []
        else:
            now = clock.now()
            breaker.record_failure()
            after = breaker.state
            if state == "closed":
                closed_failures.append(now)
                in_window = [t for t in closed_failures if now - t <= window]
                should_open = len(in_window) >= threshold
                assert (after == "open") == should_open, (in_window, threshold, window)
                if should_open:
                    closed_failures = []
            else:
                assert after == "open"  # a failed trial re-opens; while open stays open


@given(
    threshold=st.integers(1, 4),
    cooldown=st.floats(0.5, 80.0),  # > 0, so a failed trial is seen open
    extra=st.floats(0.0, 100.0),
    asks=st.integers(1, 6),
    trial_ok=st.booleans(),
)
def test_half_open_lets_exactly_one_call_through(
    threshold: int, cooldown: float, extra: float, asks: int, trial_ok: bool
) -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(failure_threshold=threshold, cooldown_s=cooldown, clock=clock)
    for _ in range(threshold):
        breaker.record_failure()
    clock.advance(cooldown + extra)
    assert [breaker.allow() for _ in range(asks)] == [True] + [False] * (asks - 1)
    if trial_ok:
        breaker.record_success()
    else:
        breaker.record_failure()
    assert breaker.allow() == trial_ok


# --- cycle detector --------------------------------------------------------------------------


def _has_cycle(edges: set[tuple[str, str]]) -> bool:
    """Reference: three-colour DFS over a directed graph (self-loops count)."""
    succ: dict[str, list[str]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    colour: dict[str, int] = {}  # missing white, 1 grey, 2 black

    def visit(node: str) -> bool:
        colour[node] = 1
        for nxt in succ.get(node, []):
            if colour.get(nxt) == 1 or (nxt not in colour and visit(nxt)):
                return True
        colour[node] = 2
        return False

    return any(node not in colour and visit(node) for node in list(succ))


def _is_cycle_in(cycle: list[str], edges: set[tuple[str, str]]) -> bool:
    hops = zip(cycle, [*cycle[1:], cycle[0]], strict=True)
    return len(set(cycle)) == len(cycle) and all(hop in edges for hop in hops)


EDGES = st.lists(st.tuples(AGENTS, AGENTS), max_size=25)


@given(edges=EDGES)
def test_cycle_detector_reports_a_cycle_iff_the_calls_contain_one(
    edges: list[tuple[str, str]],
) -> None:
    detector = CycleDetector(max_cycle_repeats=1000)
    graph: set[tuple[str, str]] = set()
    for caller, callee in edges:
        had_cycle = _has_cycle(graph)
        graph.add((caller, callee))
        closed = detector.add_call(caller, callee)
        assert bool(detector.cycles) == _has_cycle(graph)
        if _has_cycle(graph) and not had_cycle:
            assert closed is not None, "the call that closed the first cycle reported none"
        if closed is not None:
            assert _is_cycle_in(closed, graph)
            assert closed[0] == caller and closed[1 % len(closed)] == callee
    for cycle in detector.cycles:
        assert _is_cycle_in(cycle, graph)


@given(edges=EDGES, repeats=st.integers(1, 3))
def test_cycle_detector_trips_iff_a_cycle_would_go_round_too_often(edges: list[tuple[str, str]], repeats: int) -> None:
    detector = CycleDetector(max_cycle_repeats=repeats)
    counts: Counter[tuple[str, str]] = Counter()
    for caller, callee in edges:
        would = counts + Counter({(caller, callee): 1})
        expect_trip = _has_cycle({edge for edge, n in would.items() if n > repeats})
        try:
            detector.add_call(caller, callee)
        except GuardTripped as tripped:
            assert expect_trip, tripped.event.reason
            assert tripped.event.guard == "cycle_detector"
            continue  # a refused call is not recorded
        assert not expect_trip, f"{caller}->{callee} should have tripped; counts {counts}"
        counts = would
