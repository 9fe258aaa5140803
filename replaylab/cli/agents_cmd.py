"""`replaylab agent-costs`: the agent loop's weekly bill with guards off and on."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from replaylab.cli import app
from replaylab.cli._common import console, get_stack


@app.command("agent-costs")
def agent_costs(
    sessions_per_hour: Annotated[float, typer.Option(help="Agent sessions per hour")] = 146.0,
    horizon: Annotated[int, typer.Option(help="Steps before an unguarded session is cut off")] = 200,
) -> None:
    """Project the agent loop's weekly cost: healthy, tools-v2 with guards off, and with guards on."""
    from replaylab.agents.agent_run import GuardConfig
    from replaylab.agents.costs import TrafficAssumptions, compare_with_seed, project_week
    from replaylab.config import CorpusSpec

    docs = {d.doc_id: f"{d.title}: {d.text}" for d in get_stack().documents(CorpusSpec())}
    traffic = TrafficAssumptions(sessions_per_hour=sessions_per_hour, horizon=horizon)
    rows = [
        project_week(tools=t, guards=g, traffic=traffic, documents=docs)
        for t, g in (("tools-v1", GuardConfig.off()), ("tools-v2", GuardConfig.off()), ("tools-v2", GuardConfig.playbook()))
    ]
    table = Table(title=f"agent loop cost at {sessions_per_hour:g} sessions/hour")
    for col in ("tools", "guards", "per hour", "per week"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.tools, r.guards, f"${r.hour.cost_usd:,.2f}", f"${r.weekly_cost_usd:,.2f}")
    console.print(table)
    console.print(compare_with_seed(rows[0], rows[1]))
