"""Properties of the agent loop runner (replaylab.agents.loop) over arbitrary sub-agent policies.

The guards themselves are property-tested in test_guards_properties.py; here the runner is:
whatever the agents propose, a guarded session halts within its step cap, overruns its budget
by at most one step, never runs a tool call a third time, and an unguarded one stops at the
horizon.
"""

from __future__ import annotations

import json
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replaylab.agents.loop import GuardConfig, run_session
from replaylab.agents.policies import Action, FinalAnswer, ScriptedPolicy, ToolAction

AGENTS = ("a", "b", "c")
DOCS = {"hc-0001": "Plans: The Team plan costs $16.", "hc-0002": "Invoices: Invoices start with LDG-."}

# a small alphabet, so identical calls, cycles and failures happen often
ACTION = st.one_of(
    st.builds(FinalAnswer, text=st.sampled_from(["ok", "done"])),
    st.builds(
        lambda d: ToolAction(tool="doc_lookup", arguments={"doc_id": d}), st.sampled_from(["hc-0001", "hc-0002", "hc-0404"])
    ),  # hc-0404 fails: feeds the breaker
    st.builds(lambda n: ToolAction(tool="date_calc", arguments={"start": "2026-01-01", "days": n}), st.integers(0, 2)),
    st.builds(
        lambda a, q: ToolAction(tool="ask_agent", arguments={"agent": a, "question": q}),
        st.sampled_from(AGENTS),
        st.sampled_from(["which one?", "why?"]),
    ),
)
SCRIPTS = st.fixed_dictionaries({a: st.lists(ACTION, min_size=1, max_size=6) for a in AGENTS})
GUARDS = st.builds(
    GuardConfig,
    max_steps=st.integers(0, 15),
    max_cost_usd=st.one_of(st.none(), st.floats(0.0, 0.02)),
    max_tokens=st.one_of(st.none(), st.integers(0, 6000)),
    loop_max_repeats=st.integers(1, 3),
    cycle_max_repeats=st.integers(1, 3),
    breaker_failures=st.integers(1, 4),
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _policies(scripts: dict[str, list[Action]]) -> dict[str, ScriptedPolicy]:
    return {name: ScriptedPolicy(actions) for name, actions in scripts.items()}


def _key(action: ToolAction) -> tuple[str, str]:
    return action.tool, json.dumps(action.arguments, sort_keys=True)


@FAST
@given(scripts=SCRIPTS, guards=GUARDS)
def test_guarded_sessions_halt_within_max_steps(scripts: dict[str, list[Action]], guards: GuardConfig) -> None:
    run = run_session("q", tools="tools-v2", guards=guards, agents=_policies(scripts), entry="a", documents=DOCS, horizon=10_000)
    assert len(run.steps) <= guards.max_steps
    assert run.halted_by != "horizon"
    assert run.answer is not None
    assert (run.halted_by is None) == (not run.guard_events)


@FAST
@given(scripts=SCRIPTS, guards=GUARDS)
def test_budget_is_overrun_by_at_most_one_step(scripts: dict[str, list[Action]], guards: GuardConfig) -> None:
    run = run_session("q", tools="tools-v2", guards=guards, agents=_policies(scripts), entry="a", documents=DOCS)
    if not run.steps:
        return
    if guards.max_cost_usd is not None:
        assert run.cost_usd <= guards.max_cost_usd + max(s.cost_usd for s in run.steps) + 1e-12
    if guards.max_tokens is not None:
        assert run.tokens <= guards.max_tokens + max(s.prompt_tokens + s.completion_tokens for s in run.steps)


@FAST
@given(scripts=SCRIPTS, guards=GUARDS)
def test_no_tool_call_runs_more_often_than_the_loop_guard_allows(scripts: dict[str, list[Action]], guards: GuardConfig) -> None:
    run = run_session("q", tools="tools-v2", guards=guards, agents=_policies(scripts), entry="a", documents=DOCS)
    counts = Counter(_key(s.action) for s in run.steps if isinstance(s.action, ToolAction))
    assert all(n <= guards.loop_max_repeats for n in counts.values())
    if run.halted_by == "loop_guard":
        assert run.refused is not None and counts[_key(run.refused)] == guards.loop_max_repeats


@FAST
@given(
    call=ACTION.filter(lambda a: isinstance(a, ToolAction)),
    prefix=st.lists(ACTION.filter(lambda a: isinstance(a, ToolAction)), max_size=4),
)
def test_the_loop_guard_stops_the_third_identical_call(call: ToolAction, prefix: list[ToolAction]) -> None:
    """With only the loop guard (default two repeats) able to trip, the third identical call is refused."""
    alone = GuardConfig(max_steps=10_000, max_cost_usd=None, cycle_max_repeats=10_000, breaker_failures=10_000)
    # agent "a" runs the prefix, then repeats `call`; an ask_agent callee answers at once
    policies = {
        "a": ScriptedPolicy([*prefix, *[call] * 50]),
        "b": ScriptedPolicy([FinalAnswer(text="b")]),
        "c": ScriptedPolicy([FinalAnswer(text="c")]),
    }
    run = run_session("q", tools="tools-v2", guards=alone, agents=policies, entry="a", documents=DOCS, horizon=10_000)
    assert run.halted_by == "loop_guard"
    assert run.refused is not None
    counts = Counter(_key(s.action) for s in run.steps if isinstance(s.action, ToolAction))
    assert counts[_key(run.refused)] == 2 and max(counts.values()) <= 2
    assert "called 3 times" in run.guard_events[0].reason


@FAST
@given(scripts=SCRIPTS, horizon=st.integers(1, 80))
def test_unguarded_sessions_stop_at_the_horizon(scripts: dict[str, list[Action]], horizon: int) -> None:
    run = run_session(
        "q", tools="tools-v2", guards=GuardConfig.off(), agents=_policies(scripts), entry="a", documents=DOCS, horizon=horizon
    )
    assert len(run.steps) <= horizon and not run.guard_events
    assert run.halted_by in (None, "horizon")
    assert (run.halted_by == "horizon") == (len(run.steps) == horizon and run.answer not in ("ok", "done"))
    assert abs(run.cost_usd - sum(s.cost_usd for s in run.steps)) < 1e-6


@FAST
@given(scripts=SCRIPTS, guards=GUARDS)
def test_sessions_are_deterministic(scripts: dict[str, list[Action]], guards: GuardConfig) -> None:
    first = run_session("q", tools="tools-v2", guards=guards, agents=_policies(scripts), entry="a", documents=DOCS)
    second = run_session("q", tools="tools-v2", guards=guards, agents=_policies(scripts), entry="a", documents=DOCS)
    assert first == second
