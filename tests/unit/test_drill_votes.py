"""How a drill turns per-trace diagnoses into one layer."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from replaylab.diagnosis import tree as diagnose_mod
from replaylab.drills.fault import _diagnose


def fake(monkeypatch: pytest.MonkeyPatch, per_trace: list[str], window: str) -> None:
    layers = iter(per_trace)
    monkeypatch.setattr(diagnose_mod, "diagnose", lambda *a, **k: SimpleNamespace(layer=next(layers)))
    monkeypatch.setattr(diagnose_mod, "diagnose_many", lambda *a, **k: SimpleNamespace(layer=window))


@pytest.mark.parametrize(
    ("per_trace", "window", "named"),
    [
        (["retrieval", "generation"], "generation", "generation"),  # a tie goes to the window's verdict
        (["generation", "retrieval"], "retrieval", "retrieval"),
        (["retrieval", "generation"], "routing", "retrieval"),  # the window names neither: the first of the tie
        (["retrieval", "generation", "generation"], "retrieval", "generation"),  # a majority wins
        (["generation", "generation"], "upstream_data", "upstream_data"),  # a cluster in the window overrides
    ],
)
def test_drill_layer_from_votes(monkeypatch: pytest.MonkeyPatch, per_trace: list[str], window: str, named: str) -> None:
    fake(monkeypatch, per_trace, window)
    traces: list[Any] = [object()] * len(per_trace)
    layer, votes = _diagnose(None, traces, traces, limit=len(per_trace))  # type: ignore[arg-type]
    assert layer == named
    assert sum(n for k, n in votes.items() if k != "upstream_data(window)") == len(per_trace)


def test_no_failing_trace_names_no_layer() -> None:
    assert _diagnose(None, [], [], limit=5) == (None, {})  # type: ignore[arg-type]
