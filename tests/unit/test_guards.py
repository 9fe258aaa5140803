"""Hand examples for the agent guards (replaylab.agents.guards)."""

from __future__ import annotations

import pytest

from replaylab.agents.guards import (
    Budget,
    CircuitBreaker,
    CycleDetector,
    GuardEvent,
    GuardSet,
    GuardTripped,
    LoopGuard,
    ManualClock,
    StepCap,
    StepInfo,
)
from replaylab.errors import ConfigError, ReplaylabError


def _state(breaker: CircuitBreaker) -> str:
    # a plain str, so mypy does not narrow the state between two readings
    return breaker.state


def _fail_at(breaker: CircuitBreaker, clock: ManualClock, times: list[float]) -> None:
    for t in times:
        clock.advance(t - clock.now())
        breaker.record_failure()


# --- circuit breaker -------------------------------------------------------------------


def test_three_failures_within_30_s_open_the_breaker() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock)
    _fail_at(breaker, clock, [0.0, 15.0, 30.0])
    assert _state(breaker) == "open"
    assert breaker.allow() is False


def test_three_failures_spread_over_31_s_do_not_open_it() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock)
    _fail_at(breaker, clock, [0.0, 15.0, 31.0])
    assert _state(breaker) == "closed"
    assert breaker.allow() is True


def test_two_failures_do_not_open_it() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock)
    _fail_at(breaker, clock, [0.0, 1.0])
    assert _state(breaker) == "closed"


def test_cool_down_then_half_open_then_success_closes() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock)
    _fail_at(breaker, clock, [0.0, 1.0, 2.0])
    clock.advance(59.9)
    assert _state(breaker) == "open"
    assert breaker.allow() is False
    clock.advance(0.1)
    assert _state(breaker) == "half_open"
    assert breaker.allow() is True  # the one trial call
    assert breaker.allow() is False  # nobody else while it is out
    breaker.record_success()
    assert _state(breaker) == "closed"
    assert breaker.allow() is True
    assert breaker.allow() is True


def test_failed_half_open_trial_reopens_for_a_full_cool_down() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock)
    _fail_at(breaker, clock, [0.0, 1.0, 2.0])
    clock.advance(60.0)
    assert breaker.allow() is True
    breaker.record_failure()
    assert _state(breaker) == "open"
    clock.advance(59.0)
    assert _state(breaker) == "open"
    clock.advance(1.0)
    assert _state(breaker) == "half_open"


def test_failures_reported_while_open_are_ignored() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock)
    _fail_at(breaker, clock, [0.0, 1.0, 2.0, 3.0, 4.0])
    clock.advance(58.0)  # 60 s after opening at t=2
    assert _state(breaker) == "half_open"


def test_call_runs_through_the_breaker_and_raises_when_open() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(failure_threshold=2, clock=clock)

    def boom() -> int:
        raise RuntimeError("provider 503")

    assert breaker.call(lambda x: x + 1, 1) == 2
    for _ in range(2):
        with pytest.raises(RuntimeError):
            breaker.call(boom)
    with pytest.raises(GuardTripped) as info:
        breaker.call(lambda: 1)
    assert isinstance(info.value, ReplaylabError)
    assert info.value.exit_code == 1
    assert info.value.event.guard == "circuit_breaker"
    assert "2 failures within 30 s" in info.value.event.reason
    assert "cooling down for another 60.0 s" in str(info.value)


# --- loop guard, step cap, budget -------------------------------------------------------


def test_loop_guard_refuses_the_third_identical_call_and_says_why() -> None:
    guard = LoopGuard(clock=ManualClock())
    guard.check(StepInfo(agent="a", tool="search_docs", arguments={"q": "refund", "k": 3}))
    guard.check(StepInfo(agent="a", tool="search_docs", arguments={"k": 3, "q": "refund"}))
    guard.check(StepInfo(agent="a", tool="search_docs", arguments={"q": "other"}))
    with pytest.raises(GuardTripped) as info:
        guard.check(StepInfo(agent="a", tool="search_docs", arguments={"q": "refund", "k": 3}))
    assert info.value.event.reason == ('loop guard: search_docs called 3 times with the same arguments {"k": 3, "q": "refund"}')
    assert info.value.event.step == 4
    assert guard.count("search_docs", {"k": 3, "q": "refund"}) == 2


def test_loop_guard_ignores_steps_without_a_tool() -> None:
    guard = LoopGuard(max_repeats=1)
    for _ in range(3):
        guard.check(StepInfo(agent="a"))


def test_step_cap() -> None:
    cap = StepCap(2)
    cap.check(StepInfo(agent="a"))
    cap.check(StepInfo(agent="a"))
    with pytest.raises(GuardTripped, match="limit of 2 steps"):
        cap.check(StepInfo(agent="a"))
    assert cap.steps == 2


def test_budget_refuses_a_step_whose_estimate_crosses_the_cap() -> None:
    budget = Budget(max_tokens=100)
    budget.check(StepInfo(agent="a", est_tokens=60))
    budget.charge(60, 0.0)
    with pytest.raises(GuardTripped, match="would take the session to 110 tokens"):
        budget.check(StepInfo(agent="a", est_tokens=50))
    budget.check(StepInfo(agent="a", est_tokens=40))


def test_budget_halts_after_a_charge_that_crosses_the_cap() -> None:
    budget = Budget(max_cost_usd=1.0)
    budget.check(StepInfo(agent="a", est_cost=0.5))
    with pytest.raises(GuardTripped, match=r"spent \$1\.2000, over the cap of \$1\.0000"):
        budget.charge(0, 1.2)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Budget(),
        lambda: Budget(max_tokens=-1),
        lambda: StepCap(-1),
        lambda: LoopGuard(max_repeats=0),
        lambda: CircuitBreaker(failure_threshold=0),
        lambda: CycleDetector(max_cycle_repeats=0),
    ],
)
def test_bad_configuration_is_a_config_error(make: object) -> None:
    with pytest.raises(ConfigError):
        make()  # type: ignore[operator]


# --- cycle detector ----------------------------------------------------------------------


def test_cycle_is_reported_as_it_closes_and_trips_on_the_second_round() -> None:
    cycles = CycleDetector()
    assert cycles.add_call("planner", "researcher") is None
    assert cycles.add_call("researcher", "planner") == ["researcher", "planner"]
    assert cycles.cycles == [["researcher", "planner"]]
    assert cycles.add_call("planner", "researcher") == ["planner", "researcher"]
    assert cycles.cycles == [["researcher", "planner"]]  # the same cycle, seen once
    with pytest.raises(GuardTripped) as info:
        cycles.add_call("researcher", "planner")
    assert info.value.event.reason == ("cycle detector: agents calling in a cycle researcher -> planner -> researcher, round 2")


def test_cycle_through_three_agents_and_a_self_call() -> None:
    cycles = CycleDetector(max_cycle_repeats=5)
    cycles.add_call("a", "b")
    cycles.add_call("b", "c")
    assert cycles.add_call("c", "a") == ["c", "a", "b"]
    assert cycles.add_call("d", "d") == ["d"]
    assert cycles.cycles == [["c", "a", "b"], ["d"]]


# --- guard set ---------------------------------------------------------------------------


def _step(tool: str = "search_docs", **kw: object) -> StepInfo:
    return StepInfo.model_validate({"agent": "support", "tool": tool, **kw})


def test_guard_set_records_a_trip_event_and_does_not_admit_the_step() -> None:
    clock = ManualClock(start=100.0)
    guards = GuardSet.standard(clock=clock, max_steps=10)
    step = _step(arguments={"q": "refund"})
    for _ in range(2):
        guards.before_step(step)
        clock.advance(1.0)
        guards.after_step(step)
    with pytest.raises(GuardTripped) as info:
        guards.before_step(step)
    event = info.value.event
    assert guards.events == [event]
    assert event == GuardEvent(
        guard="loop_guard",
        reason='loop guard: search_docs called 3 times with the same arguments {"q": "refund"}',
        step=3,
        at=102.0,
        agent="support",
    )
    assert guards.steps == 2
    assert guards.step_cap is not None and guards.step_cap.steps == 2
    assert guards.tripped
    assert GuardEvent.model_validate_json(event.model_dump_json()) == event


def test_guard_set_breaker_opens_on_failed_steps() -> None:
    clock = ManualClock()
    guards = GuardSet.standard(clock=clock)
    for i in range(3):
        step = _step(arguments={"i": i})
        guards.before_step(step)
        guards.after_step(step, ok=False)
    with pytest.raises(GuardTripped) as info:
        guards.before_step(_step(arguments={"i": 99}))
    assert info.value.event.guard == "circuit_breaker"
    assert info.value.event.step == 4
    clock.advance(60.0)
    guards.before_step(_step(arguments={"i": 100}))  # the half-open trial
    with pytest.raises(GuardTripped, match="trial call not back yet"):
        guards.before_step(_step(arguments={"i": 101}))
    assert [e.guard for e in guards.events] == ["circuit_breaker", "circuit_breaker"]


def test_guard_set_budget_charges_actuals_or_estimates() -> None:
    guards = GuardSet.standard(clock=ManualClock(), max_tokens=100)
    first = _step(arguments={"n": 1}, est_tokens=50)
    guards.before_step(first)
    guards.after_step(first)  # charges the estimate
    second = _step(arguments={"n": 2}, est_tokens=40)
    guards.before_step(second)
    with pytest.raises(GuardTripped) as info:
        guards.after_step(second, tokens=70)
    assert info.value.event.guard == "budget"
    assert info.value.event.step == 2
    assert guards.budget is not None and guards.budget.tokens == 120
    with pytest.raises(GuardTripped):
        guards.before_step(_step(arguments={"n": 3}))


def test_guard_set_agent_ping_pong_trips_the_cycle_detector() -> None:
    guards = GuardSet.standard(clock=ManualClock())
    asks = [("a", "b"), ("b", "a"), ("a", "b"), ("b", "a")]
    with pytest.raises(GuardTripped) as info:
        for i, (caller, callee) in enumerate(asks):
            guards.before_step(StepInfo(agent=caller, tool="ask_agent", arguments={"turn": i}, callee=callee))
    assert info.value.event.guard == "cycle_detector"
    assert info.value.event.step == 4


def test_guards_off_let_the_loop_run() -> None:
    guards = GuardSet()
    step = _step(arguments={"q": "same"}, est_cost=1.0, callee="support")
    for _ in range(200):
        guards.before_step(step)
        guards.after_step(step, ok=False)
    assert guards.steps == 200
    assert guards.events == []
    assert not guards.tripped


def test_each_guard_can_be_turned_off_alone() -> None:
    full = GuardSet.standard(clock=ManualClock(), max_steps=3)
    no_loop = GuardSet(step_cap=full.step_cap, breaker=full.breaker)
    step = _step(arguments={"q": "same"})
    for _ in range(3):
        no_loop.before_step(step)
    with pytest.raises(GuardTripped) as info:
        no_loop.before_step(step)
    assert info.value.event.guard == "step_cap"
