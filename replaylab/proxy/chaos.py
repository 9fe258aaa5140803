"""The Chaos Toolkit extension: actions and probes over a running replaylab proxy.

Referenced by module path from an experiment (`scenarios/staging/*.json`):

    {"type": "action", "name": "poison-context",
     "provider": {"type": "python", "module": "replaylab.proxy.chaos", "func": "inject_fault",
                  "arguments": {"fault": "poisoned-passage", "rate": 1.0}}}

Every function takes the experiment's `configuration`, read for
`replaylab_proxy_url` (the proxy's root URL), `replaylab_proxy_token` (its control token) and
`replaylab_app_url` (the staging app under drill, for `send_traffic`). Failures raise
`ActivityFailed`, which the journal records.

Probes: `quality_window` scores the proxy's latest recorded traces with replaylab's
evaluators (golden answers matched by question from the golden set); `pass_rate` /
`error_rate` / `latency_p50_ms` are its numbers alone, for a steady-state tolerance.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
from chaoslib.exceptions import ActivityFailed

from replaylab.errors import ReplaylabError
from replaylab.proxy.client import ControlClient

__all__ = [
    "error_rate",
    "faults_on",
    "inject_fault",
    "latency_p50_ms",
    "pass_rate",
    "quality_window",
    "remove_fault",
    "send_traffic",
    "traffic_pass_rate",
]

Configuration = Mapping[str, Any] | None
Secrets = Mapping[str, Any] | None


def _setting(configuration: Configuration, key: str) -> str:
    value = (configuration or {}).get(key)
    if not value:
        raise ActivityFailed(f"The experiment's configuration has no {key!r}")
    return str(value)


def _control(configuration: Configuration, secrets: Secrets) -> ControlClient:
    """The control client; the token from the experiment's secrets (else its configuration)."""
    token = (secrets or {}).get("replaylab_proxy_token")  # chaoslib flattens the activity's secret scopes
    return ControlClient(
        _setting(configuration, "replaylab_proxy_url"), token=str(token or _setting(configuration, "replaylab_proxy_token"))
    )


def inject_fault(
    fault: str,
    params: Mapping[str, Any] | None = None,
    rate: float = 1.0,
    sessions: Sequence[str] | None = None,
    rule_id: str | None = None,
    configuration: Configuration = None,
    secrets: Secrets = None,
) -> str:
    """Turn a proxy fault on; returns its rule id."""
    try:
        return _control(configuration, secrets).inject(
            fault, rate=rate, sessions=list(sessions or []), rule_id=rule_id, **dict(params or {})
        )
    except ReplaylabError as exc:
        raise ActivityFailed(str(exc)) from None


def remove_fault(rule_id: str | None = None, configuration: Configuration = None, secrets: Secrets = None) -> Any:
    """Turn one fault off by rule id (not on: nothing to do), or every fault (no id)."""
    control = _control(configuration, secrets)
    try:
        if rule_id is not None and rule_id not in {f["id"] for f in control.faults()}:
            return []
        return control.remove(rule_id)
    except ReplaylabError as exc:
        raise ActivityFailed(str(exc)) from None


def faults_on(configuration: Configuration = None, secrets: Secrets = None) -> list[str]:
    """The rule ids that are on."""
    try:
        return [f["id"] for f in _control(configuration, secrets).faults()]
    except ReplaylabError as exc:
        raise ActivityFailed(str(exc)) from None


def _golden_questions(count: int, offset: int) -> list[str]:
    from replaylab.stack.corpus import load_golden

    items = [g for g in load_golden() if g.false_premise is None and not g.unanswerable and g.route in (None, "rag")]
    if not items:
        raise ActivityFailed("The golden set has no plain questions to send")
    return [items[(offset + i) % len(items)].question for i in range(count)]


def send_traffic(
    count: int = 8, offset: int = 0, session_id: str = "drill", configuration: Configuration = None, secrets: Secrets = None
) -> dict[str, Any]:
    """Ask the staging app `count` golden questions (from `offset`); returns how many were answered."""
    url = _setting(configuration, "replaylab_app_url").rstrip("/")
    answered, failed = 0, []
    with httpx.Client(timeout=60.0) as client:
        for question in _golden_questions(count, offset):
            try:
                resp = client.post(f"{url}/ask", json={"question": question, "session_id": session_id})
            except httpx.HTTPError as exc:
                raise ActivityFailed(f"The staging app at {url} is unreachable: {type(exc).__name__}") from None
            if resp.status_code == 200:
                answered += 1
            else:
                failed.append(resp.status_code)
    return {"sent": count, "answered": answered, "failed_statuses": failed}


def _golden_by_question() -> dict[str, Any]:
    from replaylab.stack.corpus import load_golden
    from replaylab.stack.pipeline import golden_of

    # a proxy sees the rendered passages, not document ids: the answer is checked, not its source document
    return {g.question.strip(): golden_of(g).model_copy(update={"doc_ids": []}) for g in load_golden()}


def quality_window(
    window: int = 8, evaluators: Sequence[str] = ("correct",), configuration: Configuration = None, secrets: Secrets = None
) -> dict[str, Any]:
    """Score the latest `window` chat completions through the proxy with `evaluators`.

    A request that failed (non-200) counts as a failure; a trace whose question is not in the
    golden set is scored by the evaluators that need no golden answer."""
    from replaylab.evals import evaluate
    from replaylab.trace import load_trace

    control = _control(configuration, secrets)
    try:
        control.flush()
        records = [r for r in control.recent(window * 4) if r.path.endswith("/chat/completions")][-window:]
    except ReplaylabError as exc:
        raise ActivityFailed(str(exc)) from None
    goldens = _golden_by_question()
    passed, errors, failures = 0, 0, []
    for rec in records:
        if rec.status != 200 or rec.trace is None:
            errors += 1
            failures.append({"seq": rec.seq, "status": rec.status, "error": rec.error[:120]})
            continue
        trace = load_trace(Path(rec.trace))
        trace = trace.model_copy(update={"golden": goldens.get(trace.question.strip())})
        report = evaluate(trace, evaluators=list(evaluators))
        bad = [s.name for s in report.scores if s.name in evaluators and (s.passed is False or s.error)]
        if bad:
            failures.append({"seq": rec.seq, "failed": bad, "output": rec.output[:120], "faults": rec.faults})
        else:
            passed += 1
    n = len(records)
    latencies = [r.latency_ms for r in records]
    return {
        "n": n,
        "pass_rate": passed / n if n else 0.0,
        "error_rate": errors / n if n else 0.0,
        "latency_p50_ms": statistics.median(latencies) if latencies else 0.0,
        "failures": failures[:10],
    }


def pass_rate(
    window: int = 8, evaluators: Sequence[str] = ("correct",), configuration: Configuration = None, secrets: Secrets = None
) -> float:
    """Share of the latest `window` exchanges that every evaluator passed."""
    return float(quality_window(window, evaluators, configuration, secrets)["pass_rate"])


def error_rate(window: int = 8, configuration: Configuration = None, secrets: Secrets = None) -> float:
    """Share of the latest `window` exchanges that got an error status."""
    return float(quality_window(window, (), configuration, secrets)["error_rate"])


def latency_p50_ms(window: int = 8, configuration: Configuration = None, secrets: Secrets = None) -> float:
    """Median time in the proxy of the latest `window` exchanges."""
    return float(quality_window(window, (), configuration, secrets)["latency_p50_ms"])


def traffic_pass_rate(
    count: int = 8,
    offset: int = 0,
    evaluators: Sequence[str] = ("correct",),
    configuration: Configuration = None,
    secrets: Secrets = None,
) -> float:
    """Send `count` golden questions through the staging app, then score exactly that traffic."""
    send_traffic(count, offset, configuration=configuration)
    return pass_rate(count, evaluators, configuration, secrets)
