"""Agent simulations: the agent loop, its sub-agent policies, its costs, and its guards.

    run = run_session(question, tools="tools-v2", guards=GuardConfig.playbook())
    run.halted_by, run.tokens, run.cost_usd           # "cycle_detector", 1_739, 0.0054

| module     | what it holds |
|---|---|
| loop       | the agent loop runner, its guard configuration, the session trace |
| policies   | the sandbox sub-agents (billing, accounts) and a scripted policy for tests |
| costs      | tokens and USD per simulated hour, projected per week, guards off and on |
| guards     | circuit breaker, step cap, loop guard, budget, cycle detector |

The router and tools are stack stages (`replaylab.stack.router`, `replaylab.stack.tools`); the
agent detectors are in `replaylab.detectors.agents`, the drill in `replaylab.drills.agent_loop`.
"""

from __future__ import annotations
