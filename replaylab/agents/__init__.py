"""The routing layer: an intent router, tools with versioned schemas, and an agent loop.

    decision = route(stack, question, config)        # which handler serves a request
    decision.span.handler, decision.model             # "rag-cheap", "sandbox-reader-mini"

    run = run_session(question, tools="tools-v2", guards=GuardConfig.playbook())
    run.halted_by, run.tokens, run.cost_usd           # "cycle_detector", 1_739, 0.0054

| module     | what it holds |
|---|---|
| router     | intent routers by version (`intent-v1`, `intent-v2`, `intent-v3`) and `route` |
| tools      | `doc_lookup`, `date_calc`, `ask_agent` and the tool-set versions (TAV) |
| loop       | the agent loop runner, its guard configuration, the session trace |
| policies   | the sandbox sub-agents (billing, accounts) and a scripted policy for tests |
| costs      | tokens and USD per simulated hour, projected per week, guards off and on |
| detectors  | routing-share, call-graph-cycle, session-token-anomaly |
| drill      | the agent-loop drill (`run_agent_loop_drill`) |

The routing faults (`routing-misclassification`, `agent-loop`) live in `replaylab.faults.routing`.

Submodules are imported on use: the stack imports `router` lazily, so importing this
package costs nothing.
"""

from __future__ import annotations
