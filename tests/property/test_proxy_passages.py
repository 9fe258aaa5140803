"""Invariants of the proxy's context faults, its rule selection and the server's stream framing."""

from __future__ import annotations

import json
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from replaylab.models.chat_api import cut_at_stop
from replaylab.models.server import stream_events
from replaylab.proxy.control import FaultRule, FaultSpec
from replaylab.proxy.faults import Exchange, Latency, bury_passage, insert_passage, passages_of

line = st.text(alphabet=st.characters(exclude_characters="\n\r", exclude_categories=["Cs"]), max_size=30)
passage = line.filter(lambda s: s.strip() != "" and not s.startswith("["))


def prompt(passages: list[str], before: list[str], after: list[str]) -> str:
    block = [f"[{i}] {p}" for i, p in enumerate(passages, 1)]
    return "\n".join(["Context:", *[b for b in before if not b.startswith("[")], *block, "", *after])


@given(st.lists(passage, min_size=0, max_size=9), st.lists(line, max_size=3), st.lists(line, max_size=3), st.integers(0, 8))
def test_burial_moves_one_passage_to_the_middle_and_keeps_the_rest(
    ps: list[str], before: list[str], after: list[str], pick: int
) -> None:
    text = prompt(ps, before, [a for a in after if not a.startswith("[")])
    marker = ps[pick] if ps and pick < len(ps) else None
    out = bury_passage(text, marker)
    got, _ = passages_of(out)
    assert Counter(got) == Counter(passages_of(text)[0])  # nothing lost, nothing added
    non_passage = [ln for ln in out.split("\n") if not ln.startswith("[")]
    assert non_passage == [ln for ln in text.split("\n") if not ln.startswith("[")]
    if len(ps) >= 3:
        moved = next(p for p in passages_of(text)[0] if marker and marker.lower() in p.lower()) if marker else ps[0]
        assert got[len(got) // 2] == moved


@given(st.lists(passage, max_size=6), passage, st.sampled_from(["first", "middle", "last"]))
def test_a_poisoned_passage_is_added_exactly_once(ps: list[str], poison: str, where: str) -> None:
    text = prompt(ps, [], ["Question: q", "Answer:"])
    got, _ = passages_of(insert_passage(text, poison, where))  # type: ignore[arg-type]
    assert Counter(got) == Counter([*ps, poison])


@given(st.floats(0, 1), st.lists(st.integers(0, 10_000), min_size=1, max_size=50, unique=True))
def test_rule_selection_is_a_function_of_rule_and_request(rate: float, seqs: list[int]) -> None:
    rule = FaultRule(id="r", spec=FaultSpec(fault="latency", rate=rate), fault=Latency())
    first = [rule.selects(Exchange(seq=s, requested_model="m", body={})) for s in seqs]
    again = [rule.selects(Exchange(seq=s, requested_model="m", body={})) for s in seqs]
    assert first == again
    if rate == 1.0:
        assert all(first)
    if rate == 0.0:
        assert not any(first)


@given(st.text(max_size=80), st.lists(st.text(min_size=1, max_size=4), max_size=4))
def test_stop_cuts_before_every_stop_sequence(text: str, stops: list[str]) -> None:
    cut, stopped = cut_at_stop(text, stops)
    assert text.startswith(cut) and stopped == any(s in text for s in stops)
    assert not any(s in cut for s in stops)


@given(st.lists(st.text(max_size=40), min_size=1, max_size=3))
def test_the_event_stream_reassembles_every_choice(contents: list[str]) -> None:
    completion = {
        "id": "c", "created": 0, "model": "m", "system_fingerprint": None, "usage": {},
        "choices": [{"index": i, "message": {"content": c}, "finish_reason": "stop"} for i, c in enumerate(contents)],
    }  # fmt: skip
    events = [json.loads(e[6:]) for e in b"".join(stream_events(completion)).decode().split("\n\n") if e.startswith("data: {")]
    for i, c in enumerate(contents):
        pieces = [e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"][0]["index"] == i]
        assert "".join(pieces) == c  # exactly the non-streamed content, whitespace included
