"""Counterfactuals and the four-layer diagnosis on a tiny corpus (hashing embedder, sandbox reader)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from _stand_ins import recency_reader
from typer.testing import CliRunner

from replaylab.config import CorpusSpec, IndexSpec, RunConfig, SamplingParams
from replaylab.diagnosis.counterfactuals import counterfactuals
from replaylab.diagnosis.tree import Diagnosis, diagnose, diagnose_many
from replaylab.errors import TraceError
from replaylab.stack.corpus import Document, GoldenItem, load_corpus, load_golden, save_batch
from replaylab.stack.pipeline import Stack, golden_of
from replaylab.trace import Trace, save_trace
from replaylab.workspace import Workspace

WHEN = datetime(2026, 4, 1, tzinfo=timezone.utc)

DOCS = [
    (
        "hc-0001",
        "Plans and prices",
        "help-centre",
        "billing",
        "2026-01-10",
        "The Starter plan costs $7 per user per month and is capped at 12 users per workspace. The Team plan costs "
        "$16 per user per month and adds version history. Paying monthly adds 18% to the price.",
    ),
    (
        "hc-0002",
        "Failed card payments",
        "help-centre",
        "billing",
        "2026-01-12",
        "If a card is declined, Ledger retries the card on the second, fifth and ninth day. The workspace stays usable "
        "during a grace period of 10 days after the first failed charge. An unpaid workspace is suspended 45 days "
        "after the first failed charge.",
    ),
    (
        "pol-0001",
        "Refund policy",
        "policies",
        "billing",
        "2026-01-15",
        "Annual subscriptions can be cancelled for a pro-rata refund within 40 days of the renewal date. Refunds are "
        "returned to the original payment method within 10 business days after approval.",
    ),
    (
        "hc-0101",
        "Setting up SAML single sign-on",
        "help-centre",
        "sso",
        "2026-01-20",
        "Keystone supports SAML single sign-on on the Business plan. The SAML certificate must be rotated every 24 "
        "months. Each workspace can connect up to 3 identity providers.",
    ),
    (
        "hc-0103",
        "Uploading a certificate",
        "help-centre",
        "sso",
        "2026-01-21",
        "Upload the SAML certificate as a PEM file in the Keystone settings. Files signed with SHA-1 are rejected.",
    ),
    (
        "rb-0101",
        "Keystone login outage runbook",
        "runbooks",
        "sso",
        "2026-02-01",
        "When Keystone logins fail, page the identity on-call lead Mira Okafor. Login errors are logged with the code KST-502.",
    ),
    (
        "hc-0102",
        "Session length",
        "help-centre",
        "sso",
        "2026-02-03",
        "Single sign-on sessions last 12 hours before users must sign in again. Admins can shorten sessions to 1 hour.",
    ),
]
GOLDEN = [
    dict(
        qid="q001",
        question="How many users is the Starter plan capped at per workspace?",
        answer="12 users",
        aliases=["12", "twelve users"],
        doc_ids=["hc-0001"],
    ),
    dict(
        qid="q002",
        question="How many days of grace period does a workspace get after the first failed charge?",
        answer="16 days",
        aliases=["sixteen days", "16"],
        doc_ids=["hc-0002"],
        updated=True,
        old_answer="10 days",
    ),
    dict(
        qid="q003",
        question="Within how many days of the renewal date can an annual subscription be cancelled for a pro-rata refund?",
        answer="40 days",
        aliases=["forty days"],
        doc_ids=["pol-0001"],
    ),
    dict(
        qid="q004",
        question="How often must the SAML certificate be rotated?",
        answer="24 months",
        aliases=["every 24 months"],
        doc_ids=["hc-0101"],
    ),
    dict(qid="q005", question="Which error code are Keystone login errors logged with?", answer="KST-502", doc_ids=["rb-0101"]),
    dict(
        qid="q006",
        question="Since SSO sessions last 8 hours, how long do single sign-on sessions last before users must sign in again?",
        answer="12 hours",
        aliases=["twelve hours"],
        doc_ids=["hc-0102"],
        false_premise="8 hours",
    ),
]


def _rows() -> list[dict[str, str]]:
    rows = [dict(doc_id=d, title=t, source=s, topic=tp, ingested_at=at, text=x) for d, t, s, tp, at, x in DOCS]
    update = dict(rows[1], ingested_at="2026-03-01")
    update["text"] = update["text"].replace("grace period of 10 days", "grace period of 16 days")
    return [*rows, update]


@pytest.fixture
def env(tmp_path: Path) -> tuple[Stack, RunConfig, dict[str, GoldenItem]]:
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows()))
    (tmp_path / "golden.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLDEN))
    cfg = RunConfig(
        corpus=CorpusSpec(source=str(tmp_path / "docs.jsonl")),
        index=IndexSpec(embedder="hashing-test"),
        embedder="hashing-test",
        top_k=3,
    )
    stack = Stack(Workspace(tmp_path / "ws"), clock=lambda: WHEN)
    return stack, cfg, {g.qid: g for g in load_golden(tmp_path / "golden.jsonl")}


Env = tuple[Stack, RunConfig, dict[str, GoldenItem]]


def run(env: Env, qid: str, **update: object) -> Trace:
    stack, cfg, items = env
    return stack.run(items[qid].question, cfg.model_copy(update=update), golden=golden_of(items[qid]))


def has_number(sentences: list[str]) -> bool:
    return any(re.search(r"\d", s) for s in sentences)


def check_shape(d: Diagnosis) -> None:
    data = d.model_dump(mode="json")
    assert set(data["evidence"]) == {"retrieval", "generation", "routing", "upstream_data"}
    for ev in data["evidence"].values():
        assert set(ev) == {"for", "against"}
    assert 0.0 <= data["confidence"] <= 1.0 and data["summary"]
    if d.layer != "none":
        assert has_number(d.evidence[d.layer].for_), d.evidence[d.layer]


# ---- counterfactuals ----------------------------------------------------------------------


def test_counterfactuals_of_a_stale_index(env: Env) -> None:
    stack, cfg, _ = env
    tr = run(env, "q002", index=cfg.index.model_copy(update={"as_of": date(2026, 2, 15)}))
    cf = counterfactuals(stack, tr)
    assert not cf.recorded_passed
    assert [r.name for r in cf.runs] == ["recorded", "oracle", "no_context", "answer_first", "answer_last"]
    rec, oracle, none, first, last = cf.runs
    assert rec.passed is False and rec.output == tr.generation.output  # type: ignore[union-attr]
    # the oracle reads the *current* corpus: the recorded copy of hc-0002#0 is the stale one
    assert oracle.passed is True and oracle.context_chunk_ids == ["hc-0002#0"] and "16 days" in (oracle.output or "")
    assert none.passed is False and none.context_chunk_ids == []
    assert first.skipped == last.skipped == "no recorded chunk holds the answer"
    assert "oracle: PASS" in cf.summary and "traces" not in cf.model_dump()


def test_counterfactuals_answer_first_moves_the_answer_chunk(env: Env) -> None:
    tr = run(env, "q004", model="sandbox-reader-1.1", context=("hc-0103#0", "hc-0001#0", "hc-0101#0", "pol-0001#0", "rb-0101#0"))
    cf = counterfactuals(env[0], tr)
    assert cf.run("recorded").passed is False
    assert cf.run("answer_first").context_chunk_ids[0] == "hc-0101#0" and cf.run("answer_first").passed is True
    # sandbox-reader-1.1 is lost in the middle: the last place is read as well as the first
    last = cf.run("answer_last")
    assert last.context_chunk_ids[-1] == "hc-0101#0" and last.passed is True
    assert last.context_chunk_ids == cf.run("answer_first").context_chunk_ids[::-1]  # the mirror image


# ---- one layer each ----------------------------------------------------------------------------


def test_passing_request_is_layer_none(env: Env) -> None:
    d = diagnose(env[0], run(env, "q001"))
    assert d.layer == "none" and d.confidence >= 0.9 and d.suspects == []
    check_shape(d)


def test_retrieval_stale_index(env: Env) -> None:
    stack, cfg, _ = env
    d = diagnose(stack, run(env, "q002", index=cfg.index.model_copy(update={"as_of": date(2026, 2, 15)})))
    assert d.layer == "retrieval" and d.confidence >= 0.8
    assert any("stale index" in s for s in d.evidence["retrieval"].for_)
    assert d.suspects[:2] == ["index", "embedder"] and d.signals["stale"] is True
    check_shape(d)


def test_retrieval_context_without_the_answer(env: Env) -> None:
    d = diagnose(env[0], run(env, "q003", context=("hc-0001#0", "hc-0002#0")))
    assert d.layer == "retrieval" and any("oracle context" in s for s in d.evidence["retrieval"].for_)
    assert any("model never saw the answer" in s for s in d.evidence["generation"].against)


def test_retrieval_answer_dropped_by_the_assembler(env: Env) -> None:
    tr = run(env, "q003", context=("hc-0001#0", "hc-0002#0", "pol-0001#0"), context_budget=120)
    assert tr.prompt is not None and "pol-0001#0" in tr.prompt.dropped_chunk_ids
    d = diagnose(env[0], tr)
    assert d.layer == "retrieval" and d.suspects[:2] == ["tokenizer", "context_budget"]
    assert any("assembler dropped it" in s for s in d.evidence["retrieval"].for_)


def test_generation_prompt_conflict(env: Env) -> None:
    d = diagnose(env[0], run(env, "q001", prompt="rag-answer@5"))
    assert d.layer == "generation" and d.suspects[0] == "prompt"
    assert any("conflicting instruction" in s for s in d.evidence["generation"].for_)
    assert any("oracle context fails too" in s for s in d.evidence["retrieval"].against)
    check_shape(d)


def test_generation_sycophancy(env: Env) -> None:
    d = diagnose(env[0], run(env, "q006", model="sandbox-reader-1.1"))
    assert d.layer == "generation" and d.suspects[0] == "model"
    assert any("false premise" in s for s in d.evidence["generation"].for_)


def test_generation_position_effect_after_a_silent_model_change(env: Env) -> None:
    stack = env[0]
    stack.provider_overrides["sandbox-reader-1.0"] = "sandbox-reader-1.1"
    tr = run(env, "q004", context=("hc-0103#0", "hc-0001#0", "hc-0101#0", "pol-0001#0", "rb-0101#0"))
    assert tr.versions.mrv.requested == "sandbox-reader-1.0" and tr.versions.mrv.returned == "sandbox-reader-1.1"
    d = diagnose(stack, tr)
    assert d.layer == "generation" and "position effect" in d.summary
    texts = " ".join(d.evidence["generation"].for_)
    assert "position 3 of 5" in texts and "silent model version change" in texts
    assert d.suspects[0] == "context_order"


def test_generation_position_effect_for_a_recency_biased_model(env: Env) -> None:
    """A model that reads the end of its context best (as Gemma 3 270M measures): moving the answer first does
    not help, moving it last does, and the diagnosis still names a position effect."""
    tr = run(env, "q004", model=recency_reader(), context=("hc-0101#0", "hc-0001#0", "pol-0001#0", "rb-0101#0", "hc-0103#0"))
    cf = counterfactuals(env[0], tr)
    assert cf.run("recorded").passed is False and cf.run("oracle").passed is True
    assert cf.run("answer_first").passed is False and cf.run("answer_last").passed is True
    d = diagnose(env[0], tr)
    assert d.layer == "generation" and "moved last: a position effect" in d.summary
    assert d.suspects[0] == "context_order"
    assert any("from position 1 to 5 (last) fixes it" in s for s in d.evidence["generation"].for_)


def test_generation_sampling_reruns_seeds(env: Env) -> None:
    tr = run(env, "q001", prompt="rag-answer@5", sampling=SamplingParams(temperature=0.7))
    d = diagnose(env[0], tr, seeds=2)
    assert d.layer == "generation" and d.signals["seed_fail_rate"] is not None
    assert any("other seeds" in s for s in d.evidence["generation"].for_)


def test_routing_wrong_handler(env: Env) -> None:
    ok = run(env, "q003")
    assert ok.golden is not None and ok.generation is not None
    tr = ok.model_copy(
        update={
            "golden": ok.golden.model_copy(update={"expected_route": "rag"}),
            "routing": ok.routing.model_copy(update={"handler": "escalate", "intent": "escalate", "confidence": 0.42}),
            "generation": ok.generation.model_copy(update={"output": "I have opened a ticket with the billing team."}),
        }
    )
    d = diagnose(env[0], tr)
    assert d.layer == "routing" and d.confidence >= 0.85 and d.suspects[:2] == ["router", "tools"]
    assert any("'escalate'" in s and "expects 'rag'" in s for s in d.evidence["routing"].for_)
    assert any("passes" in s for s in d.evidence["routing"].for_)
    check_shape(d)
    # with no retrieval at all (a handler that never retrieved), still routing, not retrieval
    bare = tr.model_copy(update={"retrieval": None, "prompt": None})
    assert diagnose(env[0], bare).layer == "routing"


def test_routing_expected_from_a_good_config(env: Env) -> None:
    stack, cfg, _ = env
    ok = run(env, "q003")
    tr = ok.model_copy(
        update={
            "routing": ok.routing.model_copy(update={"handler": "doc_lookup"}),
            "generation": ok.generation.model_copy(update={"output": "See pol-0001."}),  # type: ignore[union-attr]
        }
    )
    weak = diagnose(stack, tr)  # nothing says what the route should be: only the replay's route differs
    assert weak.layer == "routing" and weak.confidence <= 0.5
    assert any("routes the request to 'rag'" in s for s in weak.evidence["routing"].for_)
    d = diagnose(stack, tr, good=cfg)
    assert d.layer == "routing" and d.signals["route_source"] == "good config" and d.confidence >= 0.7


def _bad_batch(stack: Stack, cfg: RunConfig, topic: str, when: date) -> RunConfig:
    docs = [d for d in load_corpus(cfg.corpus, stack.ws) if d.topic == topic]
    bad = [
        Document(**{**d.model_dump(), "ingested_at": when, "text": re.sub(r"\d+", lambda m: str(int(m.group()) + 1), d.text)})
        for d in docs
    ]
    bid = save_batch(stack.ws, bad)
    return cfg.model_copy(update={"corpus": cfg.corpus.model_copy(update={"batches": (bid,)})})


def test_upstream_data_batch_altered_the_facts(env: Env) -> None:
    stack, cfg, items = env
    bad = _bad_batch(stack, cfg, "billing", date(2026, 3, 20))
    tr = stack.run(items["q001"].question, bad, golden=golden_of(items["q001"]))
    d = diagnose(stack, tr)
    assert d.layer == "upstream_data" and d.confidence >= 0.8 and d.suspects == ["corpus"]
    assert any("no longer states '12 users'" in s and "2026-03-20" in s for s in d.evidence["upstream_data"].for_)
    assert any("would not help" in s for s in d.evidence["retrieval"].against)
    check_shape(d)


def test_upstream_data_recent_poisoned_document(env: Env) -> None:
    stack, cfg, items = env
    poison = Document(
        doc_id="etl-0001",
        title="Starter plan users per workspace",
        source="etl-import",
        topic="billing",
        ingested_at=date(2026, 3, 25),
        text="Since March, many Starter plan workspaces are capped at 30 users per workspace.",
    )
    bid = save_batch(stack.ws, [poison])
    poisoned = cfg.model_copy(update={"corpus": cfg.corpus.model_copy(update={"batches": (bid,)})})
    tr = stack.run(items["q001"].question, poisoned, golden=golden_of(items["q001"]))
    assert "30 users" in tr.generation.output  # type: ignore[union-attr]
    d = diagnose(stack, tr)
    assert d.layer == "upstream_data"
    assert any("etl-0001" in s and "not a golden document" in s for s in d.evidence["upstream_data"].for_)


def test_diagnose_many_names_the_upstream_cluster(env: Env) -> None:
    stack, cfg, items = env
    bad = _bad_batch(stack, cfg, "billing", date(2026, 3, 20))
    traces = []
    for day, config in ((date(2026, 3, 10), cfg), (date(2026, 3, 25), bad)):
        stack.clock = lambda day=day: datetime(day.year, day.month, day.day, tzinfo=timezone.utc)  # type: ignore[misc]
        traces += [stack.run(g.question, config, golden=golden_of(g)) for g in items.values()]
    d = diagnose_many(stack, traces)
    assert d.layer == "upstream_data" and d.cluster is not None
    assert d.cluster.topic == "billing" and d.cluster.onset == date(2026, 3, 25)
    assert d.cluster.batch_date == date(2026, 3, 20) and d.cluster.passed_before_onset == 3
    assert len(d.traces) == 12 and any("billing" in s for s in d.evidence["upstream_data"].for_)
    check_shape(d)


def test_diagnose_many_without_a_cluster_takes_the_majority(env: Env) -> None:
    stack = env[0]
    traces = [run(env, q, prompt="rag-answer@5") for q in ("q001", "q002", "q003", "q004")]
    d = diagnose_many(stack, traces)
    assert d.layer == "generation" and d.cluster is not None
    assert any("diagnosed generation" in s for s in d.evidence["generation"].for_)
    assert diagnose_many(stack, [run(env, "q001")]).layer == "none"


def test_bad_input(env: Env) -> None:
    ok = run(env, "q001")
    with pytest.raises(TraceError, match="no generation span"):
        diagnose(env[0], ok.model_copy(update={"generation": None}))
    with pytest.raises(TraceError, match="No traces"):
        diagnose_many(env[0], [])


def test_no_golden_still_explains_itself(env: Env) -> None:
    tr = run(env, "q001", prompt="rag-answer@5").model_copy(update={"golden": None})
    d = diagnose(env[0], tr)
    assert d.layer == "none" and d.counterfactuals is not None
    assert d.counterfactuals.run("oracle").skipped


# ---- the CLI ---------------------------------------------------------------------------


@pytest.fixture
def cli_env(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    from replaylab.cli._common import get_stack

    monkeypatch.setenv("REPLAYLAB_HOME", str(env[0].ws.root))
    get_stack.cache_clear()
    good = save_trace(run(env, "q001"), tmp_path / "traces" / "good.json")
    bad = save_trace(run(env, "q001", prompt="rag-answer@5"), tmp_path / "traces" / "bad.json")
    yield good, bad
    get_stack.cache_clear()


def test_cli_eval_counterfactuals_diagnose(cli_env: tuple[Path, Path], tmp_path: Path) -> None:
    from replaylab.cli import app

    good, bad = cli_env
    runner = CliRunner()
    res = runner.invoke(app, ["eval", str(good), "--json", str(tmp_path / "e.json")])
    assert res.exit_code == 0, res.output
    assert "verdict: PASS" in res.output and json.loads((tmp_path / "e.json").read_text())["passed"] is True
    res = runner.invoke(app, ["eval", str(bad), "--lexical"])
    assert res.exit_code == 1 and "verdict: FAIL (failed: correct)" in res.output
    res = runner.invoke(app, ["counterfactuals", str(bad), "--json", str(tmp_path / "c.json")])
    assert res.exit_code == 0 and "oracle" in res.output
    assert [r["name"] for r in json.loads((tmp_path / "c.json").read_text())["runs"]][1] == "oracle"
    res = runner.invoke(app, ["diagnose", str(bad), "--json", str(tmp_path / "d.json")])
    assert res.exit_code == 0 and "layer: generation" in res.output
    data = json.loads((tmp_path / "d.json").read_text())
    assert data["layer"] == "generation" and data["evidence"]["generation"]["for"]
    res = runner.invoke(app, ["diagnose", "--traces", str(good.parent)])
    assert res.exit_code == 0 and "2 traces" in res.output


@pytest.mark.parametrize(
    "argv, message",
    [
        (["diagnose"], "Give either a TRACE file or --traces DIR"),
        (["diagnose", "missing.json"], "Cannot read trace missing.json"),
        (["diagnose", "--traces", "nowhere"], "--traces nowhere is not a folder"),
        (["eval", "x.json", "--evaluator", "nope"], None),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    cli_env: tuple[Path, Path],
    argv: list[str],
    message: str | None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from replaylab.cli import main

    if argv[0] == "eval":
        argv[1] = str(cli_env[0])
        message = "Unknown evaluator 'nope'"
    assert message is not None
    monkeypatch.setattr(sys, "argv", ["replaylab", *argv])
    with pytest.raises(SystemExit) as exc:
        main()
    err = capsys.readouterr().err
    assert exc.value.code == 2 and message in err and len(err.strip().splitlines()) == 1, err
