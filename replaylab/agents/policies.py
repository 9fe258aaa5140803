"""Sandbox sub-agents: small deterministic policies standing in for a model's tool choice.

A policy reads its frame (the question it was asked, by whom, the context it was handed,
the tool results it has seen so far) and the tool schemas in force, and proposes the next
action: a tool call or a final answer. It never sees anything else, which is what makes
the agent-loop fault reproducible:

- `billing` (the entry agent) answers billing questions about a workspace. A question
  naming only an invoice (`LDG-` + 8 digits) makes it ask `accounts` which workspace owns
  the invoice, passing the invoice in `context` *if the ask_agent schema declares
  `context`* (a model only fills the fields its schema shows). A question naming neither
  an invoice nor a workspace is sent back to the user for the id. Asked for clarification
  by another agent with nothing to go on, it asks `accounts` back ("Which workspace is this
  about?") - the reflex that is harmless while context flows.
- `accounts` knows which workspace owns an invoice (a deterministic directory). Asked
  without an invoice or workspace id, it asks `billing` "Which invoice is this about?".

Under tools-v1 `context` carries the invoice and accounts answers at once. Under tools-v2
(`context` dropped) accounts cannot see the invoice, asks billing, billing asks back, and
the two agents ask each other for clarification until something stops them.

`ScriptedPolicy` replays a fixed list of actions (tests and property tests).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from replaylab.stack.tools import ToolResult, ToolSet


class ToolAction(BaseModel):
    """The model proposes a tool call."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["tool"] = "tool"
    tool: str
    arguments: dict[str, Any] = {}


class FinalAnswer(BaseModel):
    """The model answers whoever asked it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["answer"] = "answer"
    text: str


Action = ToolAction | FinalAnswer


@dataclass
class Frame:
    """One agent working on one question."""

    agent: str
    question: str
    asked_by: str
    """`user`, or the agent that asked."""
    context: dict[str, Any] = field(default_factory=dict)
    observations: list[tuple[ToolAction, ToolResult]] = field(default_factory=list)
    depth: int = 0

    def text(self) -> str:
        """Everything the agent can read: question, context, tool results."""
        parts = [self.question, *(f"{k}: {v}" for k, v in self.context.items())]
        parts += [r.output for _, r in self.observations if r.ok]
        return "\n".join(parts)


class Policy(Protocol):
    """A sub-agent's "model": frame and tool schemas in, next action out."""

    def act(self, frame: Frame, tools: ToolSet) -> Action: ...


INVOICE = re.compile(r"\bLDG-\d{8}\b")
WORKSPACE = re.compile(r"\bWS-[A-Z0-9]{6}\b")
PLANS = ("Starter", "Team", "Business", "Enterprise")
TOPIC_DOCS = (("declin", "hc-0003"), ("fail", "hc-0003"), ("seat", "hc-0004"), ("invoice", "hc-0002"))
"""Words in the user's question -> the help-centre article billing looks up."""


def owner_of(invoice: str) -> str:
    """The workspace that owns `invoice` in the sandbox directory (deterministic)."""
    digest = hashlib.sha256(invoice.encode()).hexdigest().upper()
    return "WS-" + "".join(c for c in digest if c.isalnum())[:6]


def plan_of(workspace: str) -> str:
    return PLANS[int(hashlib.sha256(workspace.encode()).hexdigest(), 16) % len(PLANS)]


def _first_sentence(text: str) -> str:
    body = text.partition(": ")[2] or text
    return body.split(". ")[0].rstrip(".") + "."


def _ask(tools: ToolSet, agent: str, question: str, context: dict[str, Any]) -> ToolAction:
    arguments: dict[str, Any] = {"agent": agent, "question": question}
    if tools.accepts("ask_agent", "context"):
        arguments["context"] = context
    return ToolAction(tool="ask_agent", arguments=arguments)


class BillingAgent:
    """The entry agent for billing questions (see the module docstring)."""

    name = "billing"

    def act(self, frame: Frame, tools: ToolSet) -> Action:
        text = frame.text()
        invoice, workspace = INVOICE.search(text), WORKSPACE.search(text)
        if frame.asked_by != "user":  # a clarification request from another agent
            if invoice:
                return FinalAnswer(text=f"It is about invoice {invoice.group(0)}.")
            if workspace:
                return FinalAnswer(text=f"It is about workspace {workspace.group(0)}.")
            return _ask(tools, "accounts", "Which workspace is this about?", dict(frame.context))
        if invoice and not workspace:
            return _ask(
                tools,
                "accounts",
                "Which workspace does this invoice belong to?",
                {"invoice": invoice.group(0), "question": frame.question},
            )
        if not workspace:
            return FinalAnswer(text="Which invoice number (LDG-...) or workspace ID (WS-...) is this about?")
        ws = workspace.group(0)
        doc = next((d for word, d in TOPIC_DOCS if word in frame.question.lower()), None)
        looked = [r for a, r in frame.observations if a.tool == "doc_lookup"]
        if doc is not None and not looked:
            return ToolAction(tool="doc_lookup", arguments={"doc_id": doc})
        help_line = f" {_first_sentence(looked[0].output)}" if looked and looked[0].ok else ""
        return FinalAnswer(text=f"Workspace {ws} is on the {plan_of(ws)} plan.{help_line}")


class AccountsAgent:
    """Knows which workspace owns an invoice (see the module docstring)."""

    name = "accounts"

    def act(self, frame: Frame, tools: ToolSet) -> Action:
        text = frame.text()
        invoice, workspace = INVOICE.search(text), WORKSPACE.search(text)
        if invoice:
            ws = owner_of(invoice.group(0))
            return FinalAnswer(text=f"Invoice {invoice.group(0)} belongs to workspace {ws} ({plan_of(ws)} plan).")
        if workspace:
            return FinalAnswer(text=f"Workspace {workspace.group(0)} is on the {plan_of(workspace.group(0))} plan.")
        return _ask(tools, "billing", "Which invoice is this about?", dict(frame.context))


def support_agents() -> dict[str, Policy]:
    """The two support sub-agents of the agent-loop scenario."""
    return {"billing": BillingAgent(), "accounts": AccountsAgent()}


class ScriptedPolicy:
    """Proposes `actions` in order, one per call, starting over when they run out."""

    def __init__(self, actions: Sequence[Action]) -> None:
        if not actions:
            raise ValueError("a scripted policy needs at least one action")
        self.actions = list(actions)
        self.calls = 0

    def act(self, frame: Frame, tools: ToolSet) -> Action:
        action = self.actions[self.calls % len(self.actions)]
        self.calls += 1
        return action
