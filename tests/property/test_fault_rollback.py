"""rollback(inject(state)) == state for every registered fault, random parameters and random states.

The state is everything a deployment serves: the run configuration, every prompt label and
every provider swap. An injection that is refused (a no-op, a bad parameter) must leave the
state exactly as it was.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from _stand_ins import hashing_router_twins
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from replaylab.config import CorpusSpec, IndexSpec, RunConfig, SamplingParams
from replaylab.errors import ReplaylabError
from replaylab.registry import items, lookup
from replaylab.stack.corpus import GoldenItem, load_golden
from replaylab.stack.deployment import Deployment
from replaylab.stack.pipeline import Stack
from replaylab.workspace import Workspace
from tests.conftest import TINY_CORPUS, TINY_GOLDEN

READERS = ["sandbox-reader-1.0", "sandbox-reader-1.1", "sandbox-reader-mini"]
DATES = st.dates(min_value=date(2025, 12, 1), max_value=date(2026, 12, 31))


def _qids() -> list[str]:
    return [g.qid for g in load_golden(TINY_GOLDEN)]


PARAMS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "embedding-drift": st.fixed_dictionaries({"to": st.sampled_from(["hashing-test-v2", "hashing-test", "hashing-test-128"])}),
    "stale-index": st.fixed_dictionaries({"as_of": st.none() | DATES}),
    "top-k-truncation": st.one_of(
        st.fixed_dictionaries({"top_k": st.integers(1, 8)}),
        st.fixed_dictionaries({"top_k": st.none(), "min_score": st.floats(-0.5, 1.0)}),
    ),
    "tokenization-mismatch": st.fixed_dictionaries({"to": st.sampled_from(["whitespace", "chars4"])}),
    "context-position-burial": st.fixed_dictionaries({"top_k": st.integers(20, 40)}),
    "silent-model-change": st.fixed_dictionaries({"to": st.sampled_from(READERS), "model": st.none() | st.sampled_from(READERS)}),
    "prompt-instruction-conflict": st.fixed_dictionaries(
        {"version": st.integers(1, 6), "label": st.sampled_from(["production", "canary"])}
    ),
    "sampling-drift": st.fixed_dictionaries({"temperature": st.floats(0.0, 3.0), "top_p": st.none() | st.floats(0.1, 1.0)}),
    "etl-bad-batch": st.fixed_dictionaries(
        {
            "topic": st.none() | st.sampled_from(["security", "storage", "nope"]),
            "on": st.none() | DATES,
            "seed": st.integers(0, 3),
        }
    ),
    "routing-misclassification": st.fixed_dictionaries({"to": st.sampled_from(["test-hashing-v2", "test-hashing-v1"])}),
    "agent-loop": st.fixed_dictionaries({"to": st.sampled_from(["tools-v2", "tools-v1", "tools-v9"])}),
    "poisoned-documents": st.fixed_dictionaries(
        {
            "targets": st.integers(1, 4) | st.lists(st.sampled_from(_qids()), min_size=1, max_size=3, unique=True),
            "per_question": st.integers(1, 5),
            "seed": st.integers(0, 3),
            "on": st.none() | DATES,
        }
    ),
}
"""Parameter strategies; a fault without one here is tried with its defaults."""

STATES = st.fixed_dictionaries(
    {
        "config": st.builds(
            lambda model, top_k, temp, order, prompt, tokenizer, embedder, as_of, router, tools: RunConfig(
                prompt=f"rag-answer@{prompt}",
                model=model,
                corpus=CorpusSpec(source=str(TINY_CORPUS)),
                index=IndexSpec(embedder="hashing-test", as_of=as_of),
                embedder=embedder,
                top_k=top_k,
                context_order=order,
                tokenizer=tokenizer,
                sampling=SamplingParams(temperature=temp),
                router=router,
                tools=tools,
            ),
            st.sampled_from(READERS),
            st.integers(1, 6),
            st.sampled_from([0.0, 0.7]),
            st.sampled_from(["rank", "reverse", "bury", "chronological"]),
            st.integers(1, 5),
            st.sampled_from(["wordpiece", "whitespace"]),
            st.sampled_from(["hashing-test", "hashing-test-v2"]),
            st.none() | st.just(date(2026, 6, 1)),
            st.none() | st.just("test-hashing-v1"),
            st.none() | st.just("tools-v1"),
        ),
        "production": st.integers(1, 5),
        "served_as": st.sampled_from(
            [{}, {"sandbox-reader-1.0": "sandbox-reader-mini"}, {"sandbox-reader-1.1": "sandbox-reader-1.0"}]
        ),
    }
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    hashing_router_twins()
    return Stack(Workspace(tmp_path_factory.mktemp("rollback") / "ws"))


@pytest.fixture(scope="module")
def golden() -> list[GoldenItem]:
    return load_golden(TINY_GOLDEN)


def _served(stack: Stack, config: RunConfig) -> Deployment:
    return Deployment.capture(stack, config)


@pytest.mark.parametrize("kind", [name for name, _ in items("fault")])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_rollback_restores_exactly_the_state_before(
    kind: str, stack: Stack, golden: list[GoldenItem], data: st.DataObject
) -> None:
    cls = lookup("fault", kind)
    params = data.draw(PARAMS.get(kind, st.just({})), label="params")
    state = data.draw(STATES, label="state")
    try:
        fault = cls.model_validate({"kind": kind, **params})
    except ValueError:
        return  # an invalid parameter set is the model's to refuse (tested in the unit tests)
    config = state["config"]
    assert isinstance(config, RunConfig)
    Deployment(config=config, labels={"rag-answer": {"production": state["production"]}}, served_as=state["served_as"]).activate(
        stack
    )
    before = _served(stack, config)
    try:
        injection = fault.inject(before, stack=stack, golden=golden)
    except ReplaylabError as exc:
        event(f"refused: {type(exc).__name__}")
        assert _served(stack, config) == before  # refused: nothing changed
        return
    event("injected")
    assert injection.before == before
    assert _served(stack, injection.after.config) == injection.after
    assert injection.after != before
    assert injection.rollback_steps
    restored = fault.rollback(injection, stack=stack)
    assert restored == before
    assert _served(stack, before.config) == before
    assert stack.prompts.labels() == before.labels
    assert stack.provider_overrides == before.served_as
