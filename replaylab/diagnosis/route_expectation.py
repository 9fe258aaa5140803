"""The route a request should have taken when neither the golden item nor `--good` names one.

Two pieces of evidence a trace carries by itself:

- the router's own recorded decision: the intent it classified (`kb_question`, confidence 0.97)
  maps to a handler (`rag`); a handler other than that one and other than the safe fallback
  (`rag-cheap`, or `escalate` for a knowledge question) was chosen by a routing *policy*, not
  by the classifier;
- the declared baseline's router (`replaylab/data/baseline.yaml`, `router: null` = every request
  to `rag`): when the trace ran another router version, replaying through the baseline one says
  which handler the known-good deployment picks.

    exp = expected_route(trace)          # RouteExpectation(handler="rag", source=..., fix_router=None)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from replaylab.config import RunConfig, load_partial_config
from replaylab.errors import ReplaylabError
from replaylab.trace import Trace
from replaylab.workspace import PACKAGE_DATA

__all__ = ["RouteExpectation", "baseline_router", "expected_route"]

SAFE_HANDLER = "rag"
"""The fallback every router version uses below its confidence threshold (the capable model)."""


class RouteExpectation(BaseModel):
    """The expected handler, where the expectation comes from, and the router that would fix it."""

    handler: str
    """The handler the request should have reached."""
    source: str
    """Where that comes from, in words (read as 'the {source} expects ...')."""
    fix_router: str | Literal["unknown"] | None = "unknown"
    """A router version to replay through to test the route (None: no router; "unknown": none known)."""


def baseline_router(over: RunConfig) -> str | None:
    """The router of the bundled declared baseline (fields it leaves out come from `over`)."""
    try:
        return load_partial_config(PACKAGE_DATA / "baseline.yaml", over=over).router
    except ReplaylabError:
        return over.router


def expected_route(trace: Trace) -> RouteExpectation | None:
    """What the trace's own routing span and the baseline router say the handler should be;
    None when the trace ran no router (there is no decision to question)."""
    from replaylab.stack.router import INTENT_HANDLERS

    r = trace.routing
    if r.router is None and trace.config.router is None:
        return None
    intent_handler = INTENT_HANDLERS.get(r.intent, SAFE_HANDLER)
    base = baseline_router(trace.config)
    fix: str | Literal["unknown"] | None = base if base != trace.config.router else "unknown"
    if r.handler in (intent_handler, SAFE_HANDLER):
        return RouteExpectation(
            handler=r.handler,
            source=f"router {r.router}'s own decision (intent {r.intent!r} -> {intent_handler!r})",
            fix_router=fix,
        )
    where = f"baseline router {base or 'none (every request to rag)'}" if fix != "unknown" else f"router {r.router}"
    return RouteExpectation(
        handler=intent_handler,
        source=(
            f"router {r.router}'s own intent ({r.intent!r}, confidence {r.confidence:.2f}, whose handler is "
            f"{intent_handler!r}; {r.handler!r} was picked by a routing rule) and the {where}"
        ),
        fix_router=fix,
    )
