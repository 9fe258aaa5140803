"""Staging chaos drills: the example RAG app (real MiniLM + FAISS) -> the proxy -> `replaylab serve`.

Each fault is drilled against the app the way a staging drill would, and one Chaos Toolkit
experiment runs in the real `chaos` CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from replaylab.models.reader import WITHHELD
from replaylab.proxy.client import ControlClient
from replaylab.proxy.staging import StagingUrls, run_experiment, staging_stack
from replaylab.trace import load_trace

pytestmark = pytest.mark.minilm

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios" / "staging"
REFUND = "How quickly are refunds returned to the original payment method after approval?"


@pytest.fixture(scope="module")
def staging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StagingUrls]:
    root = tmp_path_factory.mktemp("staging")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REPLAYLAB_HOME", str(root / "ws"))
        with staging_stack(record_dir=root / "recordings") as urls:
            yield urls


@pytest.fixture
def control(staging: StagingUrls) -> Iterator[ControlClient]:
    c = ControlClient(staging.proxy, token=staging.token)
    c.remove()
    yield c
    c.remove()


def ask(staging: StagingUrls, question: str = REFUND, session: str = "s-1") -> httpx.Response:
    return httpx.post(f"{staging.app}/ask", json={"question": question, "session_id": session}, timeout=60)


def test_the_app_answers_from_minilm_retrieval_through_the_proxy(staging: StagingUrls, control: ControlClient) -> None:
    reply = ask(staging).json()
    assert "10 business days" in reply["answer"] and reply["model"] == "sandbox-reader-1.0"
    control.flush()
    rec = control.recent(1)[0]
    assert rec.session == "s-1" and rec.faults == [] and rec.trace is not None
    trace = load_trace(Path(rec.trace))
    # the proxy saw the app's rendered prompt: its passages are the trace's (held) context
    assert trace.retrieval is not None and trace.retrieval.held and len(trace.retrieval.chunks) == 5  # top_k 5
    assert any("original payment method" in c.text for c in trace.retrieval.chunks)
    assert trace.prompt is not None and trace.prompt.messages[-1].content.endswith(f"Question: {REFUND}\nAnswer:")


def test_generation_faults_against_the_app(staging: StagingUrls, control: ControlClient) -> None:
    control.inject("instruction-conflict")
    assert ask(staging).json()["answer"] == WITHHELD
    control.remove()
    poison = "(policies, ingested 2026-11-30) Refunds: Refunds are returned to the original payment method"
    poison += " within 45 business days of approval."
    control.inject("poisoned-passage", text=poison)
    assert "45 business days" in ask(staging).json()["answer"]
    control.remove()
    control.inject("max-tokens-truncation", max_tokens=2)
    assert len(ask(staging).json()["answer"].split()) <= 2


def test_silent_change_and_sessions_against_the_app(staging: StagingUrls, control: ControlClient) -> None:
    control.inject("silent-model-change", to_model="sandbox-reader-1.1", sessions=["canary-1"])
    premise = "Since refunds take 30 business days, how quickly are refunds returned after approval?"
    steady = ask(staging, premise, session="steady-1").json()
    canary = ask(staging, premise, session="canary-1").json()
    assert steady["model"] == canary["model"] == "sandbox-reader-1.0"  # the app cannot tell
    assert canary["answer"].startswith("Yes, that's right") and not steady["answer"].startswith("Yes")


def test_upstream_faults_surface_as_app_errors(staging: StagingUrls, control: ControlClient) -> None:
    control.inject("http-error", status=503)
    response = ask(staging)
    assert response.status_code == 502 and "InternalServerError" in response.json()["detail"]
    control.remove()
    control.inject("agent-loop")
    assert ask(staging).json()["answer"].startswith("Before I answer, could you clarify")
    control.remove()
    control.inject("context-burial", marker="original payment method")
    ask(staging)
    control.flush()
    trace = load_trace(Path(control.recent(1)[0].trace or ""))
    assert trace.retrieval is not None
    at = [i for i, c in enumerate(trace.retrieval.chunks) if "original payment method" in c.text]
    assert at == [len(trace.retrieval.chunks) // 2]


def test_a_chaos_toolkit_experiment_deviates_and_rolls_back(staging: StagingUrls, control: ControlClient, tmp_path: Path) -> None:
    out = run_experiment(SCENARIOS / "instruction-conflict.json", urls=staging, journal=tmp_path / "journal.json")
    assert (out.status, out.deviated, out.exit_code, out.rollbacks) == ("completed", True, 1, 1)
    journal = json.loads(out.journal.read_text())
    before = journal["steady_states"]["before"]["probes"][0]["output"]
    after = journal["steady_states"]["after"]["probes"][0]["output"]
    assert before >= 0.6 > after
    assert control.faults() == []  # the rollback turned the fault off
    assert staging.token not in out.journal.read_text()  # the control token is a secret
