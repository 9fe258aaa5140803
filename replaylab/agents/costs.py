"""What an agent loop costs: tokens and USD per simulated hour, projected per week.

    off = project_week(tools="tools-v2", guards=GuardConfig.off())
    on = project_week(tools="tools-v2", guards=GuardConfig.playbook())
    off.weekly_cost_usd, on.weekly_cost_usd        # the bill with and without guards

Assumptions (each one a field, so a report states them):

- `sessions_per_hour` = 146 agent sessions per hour reach the support agents, around the
  clock: the rate at which the healthy deployment (tools-v1 over the bundled corpus) costs
  $127 a week, the healthy week of the playbook's case. The projection scales linearly.
- The mix: 30% name an invoice only (`invoice`: the sessions that loop under tools-v2),
  50% name a workspace (`workspace`), 20% name neither (`unclear`: sent back to the user).
- Every model call is priced at gpt-4o list price ($2.50 / $10 per 1M tokens in / out) and
  sent the shared thread so far (see `loop.py`).
- An unguarded looping session stops at the simulation horizon of 200 steps (5 simulated
  minutes at 1.5 s a step, a typical orchestrator timeout). A real unguarded loop may run
  far longer, so the projection with guards off is a *lower bound*; the playbook's case
  went 11 days and reached $47,000 a week.

Sessions of one kind differ only in their ids, so `sample_per_kind` of them are simulated
and scaled to the hour's count; an hour simulates in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pydantic import BaseModel, Field

from replaylab.agents.agent_run import AgentRun, GuardConfig
from replaylab.agents.loop import HORIZON, run_session

HOURS_PER_WEEK = 168
SEED_HEALTHY_WEEKLY_USD = 127.0
SEED_LOOP_WEEKLY_USD = 47_000.0
"""The playbook's documented case: weekly API cost from $127 to $47,000 in 11 days."""

SESSION_KINDS: dict[str, Callable[[int], str]] = {
    "invoice": lambda i: f"Why was invoice LDG-{20260101 + 37 * i:08d} charged twice?",
    "workspace": lambda i: f"My card was declined: is workspace WS-{(7919 * (i + 3)) % 10**6:06d} still usable?",
    "unclear": lambda i: (
        "Why was I charged twice this month?",
        "Can you explain my last bill?",
        "Why is our workspace read-only?",
    )[i % 3],
}
"""Kind of agent session -> its i-th question."""


class TrafficAssumptions(BaseModel):
    """The traffic an hour carries."""

    sessions_per_hour: float = Field(146.0, gt=0)
    """Calibrated: tools-v1 over the bundled corpus then costs $127/week, the playbook's healthy week."""
    mix: dict[str, float] = Field(default_factory=lambda: {"invoice": 0.3, "workspace": 0.5, "unclear": 0.2})
    """Share of sessions of each kind in `SESSION_KINDS`."""
    sample_per_kind: int = Field(3, ge=1)
    horizon: int = Field(HORIZON, ge=1)


class KindCost(BaseModel):
    """One kind of session within the hour."""

    sessions: float
    mean_steps: float
    mean_tokens: float
    mean_cost_usd: float
    max_tokens: int
    max_cost_usd: float
    halted_by: dict[str, int]
    """How the sampled sessions ended: `answered`, a guard's name, or `horizon`."""


class HourCost(BaseModel):
    """One simulated hour of agent traffic."""

    sessions: float
    steps: float
    tokens: float
    cost_usd: float
    max_session_tokens: int
    max_session_cost_usd: float
    kinds: dict[str, KindCost]


class CostProjection(BaseModel):
    """An hour simulated and its week projected, with the assumptions behind it."""

    tools: str
    guards: str
    """GuardConfig.label()."""
    hour: HourCost
    weekly_tokens: float
    weekly_cost_usd: float
    assumptions: TrafficAssumptions


def simulate_hour(
    *,
    tools: str,
    guards: GuardConfig,
    traffic: TrafficAssumptions | None = None,
    documents: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
) -> HourCost:
    """Tokens and USD of one hour of agent sessions under `tools` and `guards`."""
    traffic = traffic or TrafficAssumptions()
    total = sum(traffic.mix.values())
    kinds: dict[str, KindCost] = {}
    for kind, share in sorted(traffic.mix.items()):
        if kind not in SESSION_KINDS:
            raise ValueError(f"unknown session kind {kind!r}; kinds are {sorted(SESSION_KINDS)}")
        runs: list[AgentRun] = [
            run_session(SESSION_KINDS[kind](i), tools=tools, guards=guards, horizon=traffic.horizon, documents=documents)
            for i in range(traffic.sample_per_kind)
        ]
        ended: dict[str, int] = {}
        for r in runs:
            ended[r.halted_by or "answered"] = ended.get(r.halted_by or "answered", 0) + 1
        n = len(runs)
        kinds[kind] = KindCost(
            sessions=traffic.sessions_per_hour * share / total,
            mean_steps=sum(len(r.steps) for r in runs) / n,
            mean_tokens=sum(r.tokens for r in runs) / n,
            mean_cost_usd=sum(r.cost_usd for r in runs) / n,
            max_tokens=max(r.tokens for r in runs),
            max_cost_usd=max(r.cost_usd for r in runs),
            halted_by=ended,
        )
    return HourCost(
        sessions=sum(k.sessions for k in kinds.values()),
        steps=sum(k.sessions * k.mean_steps for k in kinds.values()),
        tokens=sum(k.sessions * k.mean_tokens for k in kinds.values()),
        cost_usd=round(sum(k.sessions * k.mean_cost_usd for k in kinds.values()), 4),
        max_session_tokens=max(k.max_tokens for k in kinds.values()),
        max_session_cost_usd=round(max(k.max_cost_usd for k in kinds.values()), 6),
        kinds=kinds,
    )


def project_week(
    *,
    tools: str,
    guards: GuardConfig,
    traffic: TrafficAssumptions | None = None,
    documents: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
) -> CostProjection:
    """One simulated hour times 168."""
    traffic = traffic or TrafficAssumptions()
    hour = simulate_hour(tools=tools, guards=guards, traffic=traffic, documents=documents)
    return CostProjection(
        tools=tools,
        guards=guards.label(),
        hour=hour,
        weekly_tokens=hour.tokens * HOURS_PER_WEEK,
        weekly_cost_usd=round(hour.cost_usd * HOURS_PER_WEEK, 2),
        assumptions=traffic,
    )


def compare_with_seed(healthy: CostProjection, looping: CostProjection) -> str:
    """One sentence setting the projection beside the playbook's $127 -> $47,000 case."""
    ours = looping.weekly_cost_usd / healthy.weekly_cost_usd if healthy.weekly_cost_usd else float("inf")
    seed = SEED_LOOP_WEEKLY_USD / SEED_HEALTHY_WEEKLY_USD
    return (
        f"{healthy.tools} with guards {healthy.guards}: ${healthy.weekly_cost_usd:,.0f}/week; "
        f"{looping.tools} with guards {looping.guards}: ${looping.weekly_cost_usd:,.0f}/week (x{ours:,.0f}), "
        f"a lower bound at a {looping.assumptions.horizon}-step horizon; the playbook's case went from "
        f"${SEED_HEALTHY_WEEKLY_USD:,.0f} to ${SEED_LOOP_WEEKLY_USD:,.0f}/week (x{seed:,.0f}) over 11 days."
    )
