"""Trace importers on hand-written exports: the Langfuse fixture (shape from its public API docs,
see tests/data/imports/README.md), GenAI event and attribute styles, partial and unknown spans,
and junk input that must never raise anything but one TraceError line."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from replaylab.errors import InputError, TraceError
from replaylab.importers import ImportReport, import_file
from replaylab.registry import names
from replaylab.trace import load_trace

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
TID = "5b8efff798038103d269b633813fc60c"


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [_value(x) for x in v]}}
    return {"stringValue": str(v)}


def _span(
    span_id: str, attrs: dict[str, Any], *, name: str = "s", parent: str | None = None, trace_id: str = TID
) -> dict[str, Any]:
    span = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": name,
        "startTimeUnixNano": str(1795000000000000000 + int(span_id, 16) % 1000 * 1000),
        "endTimeUnixNano": str(1795000000900000000),
        "attributes": [{"key": k, "value": _value(v)} for k, v in attrs.items()],
    }
    if parent:
        span["parentSpanId"] = parent
    return span


def _otlp(*spans: dict[str, Any]) -> dict[str, Any]:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "bot"}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": "test"}, "spans": list(spans)}]}]}


def _run(tmp_path: Path, fmt: str, doc: Any, *, raw: bytes | None = None) -> ImportReport:
    path = tmp_path / "export.json"
    path.write_bytes(raw if raw is not None else json.dumps(doc).encode())
    return import_file(fmt, path, out_dir=tmp_path / "out")


LLM = {
    "openinference.span.kind": "LLM",
    "llm.input_messages.0.message.role": "user",
    "llm.input_messages.0.message.content": "What is the refund window?",
    "llm.output_messages.0.message.role": "assistant",
    "llm.output_messages.0.message.content": "30 days.",
    "llm.model_name": "gpt-4o-2024-08-06",
    "llm.invocation_parameters": json.dumps({"model": "gpt-4o", "temperature": 0.5, "logit_bias": {}}),
    "llm.token_count.prompt": 12,
    "llm.token_count.completion": 3,
}


def test_importers_are_registered() -> None:
    assert {"otel", "openinference", "langfuse"} <= set(names("importer"))


def test_load_trace_points_an_export_at_import() -> None:
    """The issue's symptom: a span file given as a trace says how to convert it."""
    with pytest.raises(TraceError, match="replaylab import otel"):
        load_trace(DATA / "otel_events.json")
    with pytest.raises(TraceError, match="replaylab import langfuse"):
        load_trace(DATA / "langfuse_trace.json")


def test_langfuse_fixture(tmp_path: Path) -> None:
    report = import_file("langfuse", DATA / "langfuse_trace.json", out_dir=tmp_path)
    assert not report.problems and report.spans_seen == report.spans_mapped == 4
    trace = load_trace(Path(report.traces[0].path))
    assert trace.question == "Which port does the sync worker listen on?"
    assert trace.session_id == "chat-8812"
    v = trace.versions
    assert (v.alv, v.ppv, v.index_snapshot, v.embedder) == (
        "support-answer@2026.11.2",
        "support-answer@7",
        "kb-idx-2026-11-17",
        "text-embedding-3-small",
    )
    gen = trace.generation
    assert gen is not None and gen.model_requested == "gpt-4o-mini-2024-07-18"
    assert gen.sampling.temperature == 0.2 and gen.sampling.max_tokens == 256  # "256" in modelParameters
    assert (gen.prompt_tokens, gen.completion_tokens) == (61, 9)
    assert gen.output == "The sync worker listens on port 7443."
    assert gen.latency_ms == pytest.approx(1399.0)
    assert trace.config.model == "openai:gpt-4o-mini-2024-07-18"
    assert trace.retrieval is not None
    assert [(c.chunk_id, c.doc_id, c.score, c.source) for c in trace.retrieval.chunks] == [
        ("rb-3#0", "rb-3", 0.83, "runbooks/sync-worker.md"),
        ("rb-7#2", "rb-7", 0.61, "runbooks/ports.md"),
    ]
    assert trace.retrieval.chunks[1].ingested_at.isoformat() == "2026-09-12"
    assert trace.prompt is not None and trace.prompt.context_chunk_ids == ["rb-3#0", "rb-7#2"]
    assert trace.config.context == ("rb-3#0", "rb-7#2")  # replays hold the recorded documents
    assert [e.reason for e in trace.events] == ["user-feedback=1"]
    assert "u-1093" not in Path(report.traces[0].path).read_text()  # the user id is not copied
    assert report.unmapped["observation.costDetails"] == 1
    assert report.defaulted["generation.model_returned"] == 1


def test_langfuse_observations_export_and_id_only_list(tmp_path: Path) -> None:
    fixture = json.loads((DATA / "langfuse_trace.json").read_text())
    report = _run(tmp_path, "langfuse", {"data": fixture["observations"], "meta": {"page": 1}})
    assert len(report.traces) == 1 and report.traces[0].source_trace_id == fixture["id"]
    listed = {**fixture, "observations": [o["id"] for o in fixture["observations"]]}
    report = _run(tmp_path, "langfuse", {"data": [listed]})
    assert any("ids only" in p for p in report.problems)


def test_langfuse_unknown_observation_type(tmp_path: Path) -> None:
    fixture = json.loads((DATA / "langfuse_trace.json").read_text())
    fixture["observations"].append({"id": "x1", "type": "TELEPATHY", "name": "mind"})
    report = _run(tmp_path, "langfuse", fixture)
    assert [p for p in report.problems if "TELEPATHY" in p] == [p for p in report.problems]
    assert len(report.problems) == 1 and len(report.traces) == 1


def test_genai_event_style(tmp_path: Path) -> None:
    report = import_file("otel", DATA / "otel_events.json", out_dir=tmp_path)
    trace = load_trace(Path(report.traces[0].path))
    assert trace.prompt is not None and [m.content for m in trace.prompt.messages] == ["Be brief.", "What is the refund window?"]
    assert trace.question == "What is the refund window?"
    gen = trace.generation
    assert gen is not None and (gen.model_requested, gen.model_returned) == ("gpt-4o", "gpt-4o-2024-08-06")
    assert gen.output == "Refunds are accepted within 30 days."
    assert (gen.sampling.seed, gen.prompt_tokens, gen.completion_tokens) == (42, 35, 12)
    assert gen.latency_ms == pytest.approx(850.0)
    assert trace.versions.ppv == "faq-answer@3" and trace.versions.alv == "faq-bot@0.9.1"


def test_traceloop_attribute_style_with_tool_call(tmp_path: Path) -> None:
    attrs = {
        "llm.request.type": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "Use tools.",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "Weather in Oslo?",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.finish_reason": "tool_calls",
        "gen_ai.completion.0.tool_calls.0.name": "get_weather",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Oslo"}',
        "gen_ai.usage.prompt_tokens": 20,
        "gen_ai.usage.completion_tokens": 7,
        "gen_ai.request.temperature": 9.0,
    }
    report = _run(tmp_path, "otel", _otlp(_span("00000000000000a1", attrs)))
    trace = load_trace(Path(report.traces[0].path))
    assert trace.question == "Weather in Oslo?"
    assert [(t.tool, t.arguments) for t in trace.routing.tool_calls] == [("get_weather", {"city": "Oslo"})]
    assert trace.generation is not None and trace.generation.prompt_tokens == 20
    assert trace.generation.sampling.temperature == 5.0  # clamped, and said so
    assert any("temperature=9.0" in p and "clamped" in p for p in report.problems)


def test_current_genai_messages_with_base64_ids_group_with_hex(tmp_path: Path) -> None:
    """protobuf's MessageToDict writes ids in base64, the OTLP JSON spec in hex: one trace either way."""
    b64 = base64.b64encode(bytes.fromhex(TID)).decode()
    llm = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "m",
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Rules."}]),
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": "Hi?"}]}]),
        "gen_ai.output.messages": json.dumps(
            [{"role": "assistant", "parts": [{"type": "tool_call", "name": "lookup", "arguments": {"q": "x"}}]}]
        ),
    }
    retriever = {
        "openinference.span.kind": "RETRIEVER",
        "input.value": "hi",
        "retrieval.documents.0.document.id": "d1",
        "retrieval.documents.0.document.content": "text",
        "retrieval.documents.0.document.score": 0.5,
    }
    report = _run(tmp_path, "otel", _otlp(_span("00000000000000a1", llm, trace_id=b64), _span("00000000000000a2", retriever)))
    assert len(report.traces) == 1 and report.spans_mapped == 2
    trace = load_trace(Path(report.traces[0].path))
    assert trace.prompt is not None and [m.role for m in trace.prompt.messages] == ["system", "user"]
    assert [t.tool for t in trace.routing.tool_calls] == ["lookup"]
    assert trace.retrieval is not None and trace.retrieval.chunks[0].chunk_id == "d1"


def test_openinference_unknown_kind_partial_spans_and_foreign_spans(tmp_path: Path) -> None:
    doc = _otlp(
        _span("00000000000000a1", LLM, name="llm"),
        _span("00000000000000a2", {"openinference.span.kind": "TELEPORTER"}, name="beam"),
        _span(
            "00000000000000a3", {"openinference.span.kind": "RETRIEVER", "retrieval.documents.0.document.id": "d9"}, name="ret"
        ),
        _span("00000000000000a4", {"http.method": "POST", "http.url": "http://x"}, name="POST"),
        _span("00000000000000a5", {"openinference.span.kind": "LLM", "llm.model_name": "m"}, trace_id="ab" * 16, name="bare"),
    )
    report = _run(tmp_path, "openinference", doc)
    lines = "\n".join(report.problems)
    assert "TELEPORTER" in lines and "'POST'" in lines and "no document.content" in lines and "without input messages" in lines
    assert all("\n" not in p for p in report.problems)
    assert len(report.traces) == 2  # the bare LLM span still makes a trace, with its problems said
    main = next(t for t in report.traces if t.source_trace_id == TID)
    trace = load_trace(Path(main.path))
    gen = trace.generation
    assert gen is not None and (gen.model_requested, gen.model_returned) == ("gpt-4o", "gpt-4o-2024-08-06")
    assert gen.sampling.temperature == 0.5 and report.unmapped["llm.invocation_parameters.logit_bias"] == 1
    assert trace.retrieval is not None and trace.retrieval.chunks[0].chunk_id == "d9"


def test_several_model_calls_answer_with_the_last(tmp_path: Path) -> None:
    """An agent's trace: the last model call is the generation, the earlier ones are events."""
    first = {**LLM, "llm.output_messages.0.message.content": "Let me look that up."}
    report = _run(tmp_path, "openinference", _otlp(_span("00000000000000b1", first), _span("00000000000000b9", LLM)))
    trace = load_trace(Path(report.traces[0].path))
    assert trace.generation is not None and trace.generation.output == "30 days."
    assert trace.tags["import.llm_span_id"] == "00000000000000b9"
    assert [(e.kind, e.detail["output"]) for e in trace.events] == [("import.earlier_model_call", "Let me look that up.")]


def test_phoenix_span_records_and_reranker(tmp_path: Path) -> None:
    """Phoenix's span dataframe as JSON records: nested attribute lists, `context.*` columns."""
    base = {"context.trace_id": TID, "parent_id": None, "start_time": "2026-11-01T10:00:00Z", "end_time": "2026-11-01T10:00:01Z"}
    llm = {
        **base,
        "context.span_id": "a1",
        "name": "llm",
        "span_kind": "LLM",
        "attributes.openinference.span.kind": "LLM",
        "attributes.llm.input_messages": [{"message.role": "user", "message.content": "Q?"}],
        "attributes.llm.output_messages": [{"message.role": "assistant", "message.content": "A."}],
    }
    rerank = {
        **base,
        "context.span_id": "a2",
        "name": "rerank",
        "attributes.openinference.span.kind": "RERANKER",
        "attributes.reranker.input_documents": [{"document.id": "d1", "document.content": "one"}],
        "attributes.reranker.output_documents": [{"document.id": "d2", "document.content": "two", "document.score": 0.9}],
    }
    path = tmp_path / "phoenix.jsonl"
    path.write_text(json.dumps(llm) + "\n" + json.dumps(rerank) + "\n")
    report = import_file("openinference", path, out_dir=tmp_path / "out")
    trace = load_trace(Path(report.traces[0].path))
    assert trace.question == "Q?" and trace.generation is not None and trace.generation.output == "A."
    assert trace.retrieval is not None and [c.chunk_id for c in trace.retrieval.chunks] == ["d2"]


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"", "empty"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe{\x00}\x00", "not UTF-8"),
        (b"[" * 5000 + b"]" * 5000, "nested more than"),
    ],
)
def test_bad_files_are_one_trace_error(tmp_path: Path, raw: bytes, needle: str) -> None:
    for fmt in ("otel", "openinference", "langfuse"):
        with pytest.raises(TraceError, match=needle):
            _run(tmp_path, fmt, None, raw=raw)


def test_cli_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from replaylab.cli import app

    monkeypatch.setenv("REPLAYLAB_HOME", str(tmp_path / "ws"))
    runner = CliRunner()
    report = tmp_path / "report.json"
    out = tmp_path / "traces"
    result = runner.invoke(app, ["import", "langfuse", str(DATA / "langfuse_trace.json"), "-o", str(out), "--json", str(report)])
    assert result.exit_code == 0, result.output
    assert "1 trace(s) written" in result.output and len(list(out.glob("imp-*.json"))) == 1
    assert json.loads(report.read_text())["spans_mapped"] == 4
    golden = tmp_path / "golden.jsonl"
    golden.write_text(json.dumps({"qid": "p1", "question": "which port does the sync worker listen on", "answer": "7443"}) + "\n")
    result = runner.invoke(
        app, ["import", "langfuse", str(DATA / "langfuse_trace.json"), "-o", str(out), "--golden", str(golden)]
    )
    assert result.exit_code == 0 and "1 trace(s) matched" in result.output, result.output
    (path,) = out.glob("imp-*.json")
    trace = load_trace(path)
    assert trace.golden is not None and (trace.golden.qid, trace.golden.answer) == ("p1", "7443")
    result = runner.invoke(app, ["import", "zipkin", str(DATA / "langfuse_trace.json")])
    assert isinstance(result.exception, InputError) and "Valid: " in str(result.exception)
    empty = tmp_path / "none.json"
    empty.write_text(json.dumps(_otlp(_span("00000000000000a4", {"http.method": "GET"}))))
    result = runner.invoke(app, ["import", "otel", str(empty), "-o", str(out)])
    assert result.exit_code == 1


# ---- junk never raises anything but a TraceError -------------------------------------
_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)  # lone surrogates fail before any parsing
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | _text
    | st.sampled_from(["", "12", "abc", "0.5"])
)
_json = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4), max_leaves=30
)
_keys = st.sampled_from(
    [
        "resourceSpans",
        "scopeSpans",
        "spans",
        "traceId",
        "spanId",
        "attributes",
        "key",
        "value",
        "stringValue",
        "intValue",
        "arrayValue",
        "values",
        "kvlistValue",
        "events",
        "context",
        "trace_id",
        "span_id",
        "observations",
        "type",
        "input",
        "output",
        "model",
        "modelParameters",
        "usage",
        "usageDetails",
        "data",
        "openinference.span.kind",
        "llm.input_messages.0.message.role",
        "retrieval.documents.0.document.score",
        "gen_ai.input.messages",
        "gen_ai.request.temperature",
        "startTime",
        "timestamp",
        "GENERATION",
        "LLM",
        "RETRIEVER",
        "start_time",
        "parentSpanId",
        "status",
        "code",
    ]
)
_shaped = st.recursive(
    _scalars | _keys,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=40,
)


_any_value = st.dictionaries(
    st.sampled_from(["stringValue", "intValue", "doubleValue", "boolValue", "arrayValue", "kvlistValue", "bytesValue"]),
    _json | st.fixed_dictionaries({"values": st.lists(_json, max_size=3)}),
    min_size=1,
    max_size=2,
)
_kv = st.lists(st.fixed_dictionaries({"key": _keys | _text, "value": _any_value | _json}), max_size=5)
_envelope = st.builds(
    lambda res, scope, spans: {
        "resourceSpans": [{"resource": {"attributes": res}, "scopeSpans": [{"scope": scope, "spans": spans}]}]
    },
    _kv | _json,
    _json,
    st.lists(
        st.fixed_dictionaries(
            {
                "traceId": st.sampled_from([TID, "", "zz", 7]),
                "spanId": st.sampled_from(["00000000000000a1", "AAAAAAAAAKE=", None]),
            },
            optional={
                "attributes": _kv | _json,
                "events": st.lists(
                    st.fixed_dictionaries({"name": _keys | _json}, optional={"attributes": _kv, "timeUnixNano": _json})
                ),
                "startTimeUnixNano": _json,
                "parentSpanId": _json,
                "status": _json,
            },
        ),
        max_size=3,
    ),
)


def _convert_junk(tmp_path: Path, raw: bytes) -> None:
    for fmt in ("otel", "openinference", "langfuse"):
        try:
            report = _run(tmp_path, fmt, None, raw=raw)
        except TraceError as exc:
            assert "\n" not in str(exc)
            continue
        assert all("\n" not in p for p in report.problems)
        for t in report.traces:
            load_trace(Path(t.path))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=_json | _shaped | _envelope)
def test_junk_json_never_raises(tmp_path: Path, doc: Any) -> None:
    _convert_junk(tmp_path, json.dumps(doc).encode())


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=64), depth=st.integers(0, 200))
def test_junk_bytes_and_deep_nesting_never_raise(tmp_path: Path, raw: bytes, depth: int) -> None:
    _convert_junk(tmp_path, raw)
    _convert_junk(tmp_path, b'{"resourceSpans": ' + b"[" * depth + b"]" * depth + b"}")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attrs=st.dictionaries(_keys | _text, _json, max_size=6), kind=_scalars | _keys)
def test_junk_attribute_values_never_raise(tmp_path: Path, attrs: dict[str, Any], kind: Any) -> None:
    """Real envelopes with wrong-typed values inside: each bad span is a line, never a crash."""
    otlp_attrs = [{"key": k, "value": v if isinstance(v, dict) else _value(v)} for k, v in attrs.items()]
    span = {
        "traceId": TID,
        "spanId": "00000000000000a1",
        "attributes": [*otlp_attrs, {"key": "openinference.span.kind", "value": _value(kind)}],
    }
    _convert_junk(tmp_path, json.dumps(_otlp(span)).encode())
    obs = {"id": "o", "type": "GENERATION", **attrs}
    _convert_junk(tmp_path, json.dumps({"id": "t", "timestamp": "2026-01-01T00:00:00Z", "observations": [obs, kind]}).encode())


def test_genai_unknown_operation_is_one_line(tmp_path: Path) -> None:
    llm = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.prompt.0.content": "Hi?"}
    odd = {"gen_ai.operation.name": "summon_demon", "gen_ai.request.model": "m"}
    report = _run(tmp_path, "otel", _otlp(_span("00000000000000a1", llm), _span("00000000000000a2", odd, name="odd")))
    assert report.problems == [p for p in report.problems if "'summon_demon' is not mapped" in p] and len(report.problems) == 1
    assert report.spans_mapped == 1 and len(report.traces) == 1
