"""The agent loop runner, its guards, the session trace, the cost projection and the agent-loop drill."""

from __future__ import annotations

import json

import pytest

from replaylab.agents.costs import (
    SEED_LOOP_WEEKLY_USD,
    TrafficAssumptions,
    compare_with_seed,
    project_week,
    simulate_hour,
)
from replaylab.agents.loop import HANDOFF, AgentRun, GuardConfig, run_session
from replaylab.agents.policies import (
    AccountsAgent,
    BillingAgent,
    FinalAnswer,
    ScriptedPolicy,
    ToolAction,
    owner_of,
)
from replaylab.config import RunConfig
from replaylab.trace import Trace

INVOICE_Q = "Why was invoice LDG-20260114 charged twice?"
DOCS = {
    "hc-0003": "What happens when a card payment fails: If the card on file is declined at renewal, Ledger "
    "emails the workspace owner. Ledger then retries the card."
}
ALONE_LOOP = GuardConfig(max_steps=1000, max_cost_usd=None, cycle_max_repeats=1000, breaker_failures=1000)
"""Only the loop guard can trip."""


def _repeat(call: ToolAction) -> dict[str, ScriptedPolicy]:
    return {"a": ScriptedPolicy([call])}


def test_tools_v1_session_resolves_through_accounts() -> None:
    run = run_session(INVOICE_Q, tools="tools-v1", guards=GuardConfig.off(), documents=DOCS)
    assert run.resolved and run.halted_by is None
    assert [(s.agent, s.action.kind) for s in run.steps] == [
        ("billing", "tool"),
        ("accounts", "answer"),
        ("billing", "tool"),
        ("billing", "answer"),
    ]
    ask = run.tool_calls[0]
    assert ask.tool == "ask_agent" and ask.arguments["context"]["invoice"] == "LDG-20260114"
    assert owner_of("LDG-20260114") in ask.result and owner_of("LDG-20260114") in (run.answer or "")
    assert run.call_graph() == [("billing", "accounts")]
    assert run.tool_calls[1].tool == "doc_lookup" and run.tool_calls[1].arguments == {"doc_id": "hc-0002"}


def test_tools_v2_with_guards_off_runs_to_the_horizon() -> None:
    run = run_session(INVOICE_Q, tools="tools-v2", guards=GuardConfig.off(), horizon=60)
    assert run.halted_by == "horizon" and len(run.steps) == 60 and run.answer == HANDOFF
    assert not run.guard_events and not run.resolved
    assert set(run.call_graph()) == {("billing", "accounts"), ("accounts", "billing")}
    prompts = [s.prompt_tokens for s in run.steps]
    assert prompts == sorted(prompts) and prompts[-1] > 3 * prompts[0]  # the shared thread grows every step
    assert run.cost_usd == pytest.approx(sum(s.cost_usd for s in run.steps), rel=1e-6)


def test_tools_v2_with_the_playbook_guards_halts_within_the_bound() -> None:
    guards = GuardConfig.playbook()
    run = run_session(INVOICE_Q, tools="tools-v2", guards=guards)
    assert run.halted_by == "cycle_detector" and len(run.steps) <= guards.max_steps
    assert run.answer == HANDOFF and run.refused is not None and run.refused.tool == "ask_agent"
    assert "accounts -> billing -> accounts" in run.guard_events[0].reason
    assert len(run.tool_calls) == len(run.steps)  # the refused proposal is not a tool call


def test_loop_guard_alone_stops_at_the_third_identical_call() -> None:
    call = ToolAction(tool="date_calc", arguments={"start": "2026-01-01", "days": 3})
    run = run_session("q", tools="tools-v1", guards=ALONE_LOOP, agents=_repeat(call), entry="a")
    assert run.halted_by == "loop_guard" and len(run.steps) == 2
    assert "called 3 times" in run.guard_events[0].reason and run.refused == call


def test_circuit_breaker_opens_after_three_failures() -> None:
    calls = [ToolAction(tool="doc_lookup", arguments={"doc_id": f"hc-{n:04d}"}) for n in range(1, 10)]
    guards = GuardConfig(max_steps=100, max_cost_usd=None, loop_max_repeats=5)
    run = run_session("q", tools="tools-v1", guards=guards, agents={"a": ScriptedPolicy(calls)}, entry="a", documents={})
    assert [s.ok for s in run.steps] == [False, False, False]
    assert run.halted_by == "circuit_breaker" and "3 failures within 30 s" in run.guard_events[0].reason


def test_budget_cap_halts_and_is_overrun_by_at_most_one_step() -> None:
    guards = GuardConfig(max_steps=1000, max_cost_usd=0.02, loop_max_repeats=1000, cycle_max_repeats=1000)
    run = run_session(INVOICE_Q, tools="tools-v2", guards=guards)
    assert run.halted_by == "budget"
    assert run.cost_usd <= 0.02 + max(s.cost_usd for s in run.steps)


def test_step_cap_and_token_budget() -> None:
    capped = run_session(
        INVOICE_Q, tools="tools-v2", guards=GuardConfig(max_steps=2, max_cost_usd=None, cycle_max_repeats=99, loop_max_repeats=99)
    )
    assert capped.halted_by == "step_cap" and len(capped.steps) == 2
    tokens = run_session(
        INVOICE_Q,
        tools="tools-v2",
        guards=GuardConfig(max_steps=99, max_cost_usd=None, max_tokens=5000, cycle_max_repeats=99, loop_max_repeats=99),
    )
    assert tokens.halted_by == "budget" and tokens.tokens <= 5000 + max(
        s.prompt_tokens + s.completion_tokens for s in tokens.steps
    )


def test_unclear_and_workspace_sessions_need_no_other_agent() -> None:
    unclear = run_session("Why was I charged twice this month?", tools="tools-v2", guards=GuardConfig.off())
    assert unclear.resolved and len(unclear.steps) == 1 and "LDG-" in (unclear.answer or "")
    ws = run_session(
        "My card was declined: is workspace WS-00A1B2 still usable?", tools="tools-v2", guards=GuardConfig.off(), documents=DOCS
    )
    assert ws.resolved and [c.tool for c in ws.tool_calls] == ["doc_lookup"]
    assert "WS-00A1B2" in (ws.answer or "") and "declined at renewal" in (ws.answer or "")


def test_unknown_agent_and_bad_arguments_are_failed_tool_calls() -> None:
    ask = ToolAction(tool="ask_agent", arguments={"agent": "legal", "question": "?"})
    run = run_session(
        "q",
        tools="tools-v2",
        guards=GuardConfig.off(),
        entry="a",
        horizon=3,
        agents={"a": ScriptedPolicy([ask, FinalAnswer(text="done")])},
    )
    assert not run.steps[0].ok and "no agent 'legal'" in run.steps[0].result and run.answer == "done"
    with pytest.raises(ValueError, match="entry agent"):
        run_session("q", agents={"a": BillingAgent()}, entry="b")
    with pytest.raises(ValueError, match="at least one action"):
        ScriptedPolicy([])


def test_session_trace_holds_every_step_tool_call_and_trip() -> None:
    run = run_session(INVOICE_Q, tools="tools-v2", guards=GuardConfig.playbook())
    trace = run.to_trace(RunConfig(router="intent-v1"), session_id="s-1")
    again = Trace.model_validate_json(trace.model_dump_json())
    assert again == trace and trace.versions.tav == "tools-v2" and trace.config.tools == "tools-v2"
    steps = [e for e in trace.events if e.kind == "agent_step"]
    trips = [e for e in trace.events if e.kind == "guard_trip"]
    assert len(steps) == len(run.steps) and len(trips) == 1 and trips[0].reason.startswith("cycle detector")
    first = steps[0].detail
    assert first["route"] == "agent:billing" and first["tool"] == "ask_agent" and first["cost_usd"] > 0
    assert first["arguments"] == {"agent": "accounts", "question": "Which workspace does this invoice belong to?"}
    assert trace.routing.handler == "agent:billing" and trace.routing.tool_calls == run.tool_calls
    assert trace.generation is not None and trace.generation.prompt_tokens == run.prompt_tokens
    assert trace.versions.guardrails.startswith("agent-guards:on")
    off = run_session(INVOICE_Q, tools="tools-v2", guards=GuardConfig.off(), horizon=20).to_trace(RunConfig())
    assert [e.kind for e in off.events][-1] == "horizon"


def test_guard_config_labels_and_roundtrip() -> None:
    assert GuardConfig.off().label() == "off"
    assert GuardConfig.playbook().label() == "on (12 steps, loop x2, cycle x1, $0.05)"
    assert GuardConfig.model_validate(json.loads(GuardConfig.playbook().model_dump_json())) == GuardConfig.playbook()


def test_policies_only_fill_fields_their_schema_declares() -> None:
    from replaylab.agents.policies import Frame
    from replaylab.stack.tools import toolset

    frame = Frame(agent="billing", question=INVOICE_Q, asked_by="user")
    v1 = BillingAgent().act(frame, toolset("tools-v1"))
    v2 = BillingAgent().act(frame, toolset("tools-v2"))
    assert isinstance(v1, ToolAction) and "context" in v1.arguments
    assert isinstance(v2, ToolAction) and "context" not in v2.arguments
    lost = AccountsAgent().act(
        Frame(agent="accounts", question=v2.arguments["question"], asked_by="billing"), toolset("tools-v2")
    )
    assert isinstance(lost, ToolAction) and lost.arguments["agent"] == "billing"


def test_projected_weekly_cost_with_guards_off_and_on() -> None:
    traffic = TrafficAssumptions(sample_per_kind=1)
    healthy = project_week(tools="tools-v1", guards=GuardConfig.off(), traffic=traffic)
    off = project_week(tools="tools-v2", guards=GuardConfig.off(), traffic=traffic)
    on = project_week(tools="tools-v2", guards=GuardConfig.playbook(), traffic=traffic)
    assert off.hour.kinds["invoice"].halted_by == {"horizon": 1}
    assert on.hour.kinds["invoice"].halted_by == {"cycle_detector": 1}
    assert off.weekly_cost_usd > 100 * healthy.weekly_cost_usd
    assert on.weekly_cost_usd <= healthy.weekly_cost_usd
    assert on.hour.max_session_cost_usd <= GuardConfig.playbook().max_cost_usd  # type: ignore[operator]
    assert off.weekly_cost_usd == pytest.approx(off.hour.cost_usd * 168, rel=1e-3)
    sentence = compare_with_seed(healthy, off)
    assert f"${SEED_LOOP_WEEKLY_USD:,.0f}" in sentence and "lower bound" in sentence
    with pytest.raises(ValueError, match="unknown session kind"):
        simulate_hour(tools="tools-v1", guards=GuardConfig.off(), traffic=TrafficAssumptions(mix={"nope": 1.0}))


def test_agent_run_bounds() -> None:
    run = AgentRun(question="q", tools="tools-v1", guards=GuardConfig.off(), entry="a", prompt_tokens=10, completion_tokens=5)
    assert run.within(max_tokens=15) and not run.within(max_tokens=14)
    assert not run.model_copy(update={"halted_by": "horizon"}).within(max_tokens=10**6)


def test_agent_loop_drill_passes(tiny_stack) -> None:  # type: ignore[no-untyped-def]
    from replaylab.drills.agent_loop import run_agent_loop_drill
    from replaylab.scenario import load_scenario

    scenario = load_scenario("agent-loop")
    report = run_agent_loop_drill(scenario, tiny_stack)
    assert report.status == "completed", report.error
    assert report.steady_state_before == 1.0 and report.affected_failure_rate == 1.0
    assert {"call-graph-cycle", "session-token-anomaly"} <= set(report.detected_by)
    assert report.diagnosed_layer == "routing"
    assert report.bisect_causes == ["guards", "tools"]
    assert report.bisect is not None and report.bisect["interactions"] == [["guards", "tools"]]
    assert report.guards_on["within_bound"] and report.recovered
    assert report.weekly_cost_off_usd and report.weekly_cost_on_usd is not None
    assert report.weekly_cost_off_usd > 100 * (report.weekly_cost_healthy_usd or 0)
    assert report.passed, [e for e in report.expectations if not e.met]
    assert all(report.expectations_met().values()) and "fault, guards off" in report.table()
    journal = report.to_journal()
    assert journal.passed and journal.diagnosed_layer == "routing" and journal.recovered


def _rag_trace(handler: str, n: int) -> Trace:
    from datetime import datetime, timezone

    from replaylab.trace import GenerationSpan, ModelRuntime, RoutingSpan, VersionSnapshot

    cfg = RunConfig()
    return Trace(
        trace_id=f"tr-{handler}-{n}",
        created_at=datetime(2026, 5, 1, tzinfo=timezone.utc),
        question="q",
        config=cfg,
        routing=RoutingSpan(router="intent-v1", handler=handler),
        versions=VersionSnapshot(
            ppv="rag-answer@2",
            mrv=ModelRuntime(requested="m", returned="m"),
            index_snapshot="s",
            embedder="e",
            corpus_snapshot="c",
        ),
        generation=GenerationSpan(
            model_requested="m",
            model_returned="m",
            sampling=cfg.sampling,
            output="a",
            prompt_tokens=900,
            completion_tokens=20,
            latency_ms=1.0,
        ),
    )


def test_routing_share_fires_on_a_20_to_80_percent_move(tiny_stack) -> None:  # type: ignore[no-untyped-def]
    from replaylab.detectors.agents import RoutingShare

    baseline = [_rag_trace("doc_lookup" if i < 10 else "rag", i) for i in range(50)]  # doc_lookup 20%
    window = [_rag_trace("doc_lookup" if i < 40 else "rag", i) for i in range(50)]  # doc_lookup 80%
    det = RoutingShare().detect(window, baseline, stack=tiny_stack)
    assert det.fired and det.p_value is not None and det.p_value < 1e-6 and det.statistic == pytest.approx(0.6)
    assert det.reason.startswith("handler 'doc_lookup' went from 20% to 80% of 50 requests")
    assert not RoutingShare().detect(baseline, baseline, stack=tiny_stack).fired
    moved_a_little = [_rag_trace("doc_lookup" if i < 20 else "rag", i) for i in range(50)]
    assert not RoutingShare(min_shift=0.5).detect(moved_a_little, baseline, stack=tiny_stack).fired
    assert not RoutingShare().detect(window[:3], baseline, stack=tiny_stack).fired
    rag = [_rag_trace("rag", i) for i in range(20)]
    assert "every request went to 'rag'" in RoutingShare().detect(rag, rag, stack=tiny_stack).reason


def test_loop_detectors_fire_on_looping_sessions_and_stay_quiet_on_rag(tiny_stack) -> None:  # type: ignore[no-untyped-def]
    from replaylab.detectors.agents import CallGraphCycle, SessionTokenAnomaly, find_cycle

    healthy = [run_session(INVOICE_Q, tools="tools-v1", guards=GuardConfig.off()).to_trace(RunConfig()) for _ in range(3)]
    looping = [run_session(INVOICE_Q, tools="tools-v2", guards=GuardConfig.off(), horizon=120).to_trace(RunConfig())]
    cyc = CallGraphCycle().detect(looping + healthy, healthy, stack=tiny_stack)
    assert cyc.fired and cyc.statistic == 1 and "billing -> accounts -> billing" in cyc.reason
    assert not CallGraphCycle().detect(healthy, healthy, stack=tiny_stack).fired
    tok = SessionTokenAnomaly().detect(looping + healthy, healthy, stack=tiny_stack)
    assert tok.fired and tok.threshold >= 20_000 and tok.statistic > 100_000 and looping[0].trace_id in tok.reason
    rag = [_rag_trace("rag", i) for i in range(20)]
    assert not SessionTokenAnomaly().detect(rag, rag, stack=tiny_stack).fired
    assert not CallGraphCycle().detect(rag, rag, stack=tiny_stack).fired
    assert find_cycle([("a", "b"), ("b", "c")]) is None and find_cycle([("a", "b"), ("b", "c"), ("c", "b")]) == ["b", "c"]
