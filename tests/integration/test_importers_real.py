"""Importers on spans the real instrumentors emit.

A small RAG app (its own documents, a keyword retriever, not replaylab's stack) calls the
real `openai` client against `replaylab serve --model sandbox-reader-1.0` on loopback. The
client is instrumented with the real `openinference-instrumentation-openai` or the real
`opentelemetry-instrumentation-openai`; the app wraps the call in an OpenInference CHAIN span
and emits a RETRIEVER span by hand as a RAG app does; the real OTel SDK exports the spans as
OTLP JSON (`encode_spans` + `MessageToDict`, one document per line) or through its own
`ConsoleSpanExporter`. The importer's traces must load, evaluate and replay.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

openai = pytest.importorskip("openai")
pytest.importorskip("openinference.instrumentation.openai")
pytest.importorskip("opentelemetry.instrumentation.openai")

from google.protobuf.json_format import MessageToDict  # noqa: E402
from openinference.semconv.trace import DocumentAttributes, OpenInferenceSpanKindValues, SpanAttributes  # noqa: E402
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402

from replaylab.importers import import_file  # noqa: E402
from replaylab.models.server import LocalEndpoint  # noqa: E402
from replaylab.trace import Trace, load_trace  # noqa: E402

DOCS = [
    {
        "id": "kb-17#2",
        "doc": "kb-17",
        "title": "Webhook retries",
        "text": "Failed webhooks are retried 6 times over 4 hours.",
        "source": "https://docs.example.test/webhooks",
        "updated": "2026-10-02",
    },
    {
        "id": "kb-03#1",
        "doc": "kb-03",
        "title": "Rate limits",
        "text": "The API allows 120 requests per minute per token.",
        "source": "https://docs.example.test/limits",
        "updated": "2026-08-19",
    },
    {
        "id": "kb-09#4",
        "doc": "kb-09",
        "title": "Webhook signing",
        "text": "Webhooks are signed with HMAC-SHA256 in the X-Sig header.",
        "source": "https://docs.example.test/signing",
        "updated": "2026-09-30",
    },
]
QUESTION = "How many times are failed webhooks retried?"


class OtlpJsonFileExporter(SpanExporter):
    """Writes each export batch as one OTLP JSON document per line (the OTel file exporter's layout)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(MessageToDict(encode_spans(spans))) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def _retrieve(question: str, k: int = 2) -> list[tuple[dict[str, str], float]]:
    words = {w.strip("?.,").lower() for w in question.split()}
    scored = [(d, len(words & {w.strip("?.,").lower() for w in d["text"].split()}) / len(words)) for d in DOCS]
    return sorted(scored, key=lambda p: -p[1])[:k]


def _rag_app(provider: TracerProvider, base_url: str) -> str:
    """What a RAG app instrumented with OpenInference conventions does around its model call."""
    tracer = provider.get_tracer("support-bot")
    client = openai.OpenAI(base_url=base_url, api_key="sk-test-not-a-secret")
    with tracer.start_as_current_span("answer") as root:
        root.set_attribute(SpanAttributes.OPENINFERENCE_SPAN_KIND, OpenInferenceSpanKindValues.CHAIN.value)
        root.set_attribute(SpanAttributes.INPUT_VALUE, QUESTION)
        root.set_attribute(SpanAttributes.SESSION_ID, "sess-42")
        with tracer.start_as_current_span("retrieve") as span:
            span.set_attribute(SpanAttributes.OPENINFERENCE_SPAN_KIND, OpenInferenceSpanKindValues.RETRIEVER.value)
            span.set_attribute(SpanAttributes.INPUT_VALUE, QUESTION)
            hits = _retrieve(QUESTION)
            for i, (doc, score) in enumerate(hits):
                prefix = f"{SpanAttributes.RETRIEVAL_DOCUMENTS}.{i}"
                span.set_attribute(f"{prefix}.{DocumentAttributes.DOCUMENT_ID}", doc["id"])
                span.set_attribute(f"{prefix}.{DocumentAttributes.DOCUMENT_SCORE}", score)
                span.set_attribute(f"{prefix}.{DocumentAttributes.DOCUMENT_CONTENT}", doc["text"])
                meta = {"doc_id": doc["doc"], "title": doc["title"], "source": doc["source"], "last_modified": doc["updated"]}
                span.set_attribute(f"{prefix}.{DocumentAttributes.DOCUMENT_METADATA}", json.dumps(meta))
        context = "\n".join(f"[{i}] {d['title']}: {d['text']}" for i, (d, _) in enumerate(hits, 1))
        response = client.chat.completions.create(
            model="sandbox-reader-1.0",
            messages=[
                {"role": "system", "content": "Answer only from the numbered context passages."},
                {"role": "user", "content": f"Context:\n{context}\n\nQuestion: {QUESTION}\nAnswer:"},
            ],
            temperature=0.4,
            top_p=0.9,
            max_tokens=64,
            seed=11,
        )
        answer = response.choices[0].message.content or ""
        root.set_attribute(SpanAttributes.OUTPUT_VALUE, answer)
    return answer


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with LocalEndpoint("sandbox-reader-1.0") as url:
        yield url


def _provider(exporter: SpanExporter) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "support-bot", "service.version": "3.1.0"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def _record(instrumentor: Any, exporter: SpanExporter, endpoint: str) -> str:
    provider = _provider(exporter)
    instrumentor.instrument(tracer_provider=provider)
    try:
        return _rag_app(provider, endpoint)
    finally:
        instrumentor.uninstrument()
        provider.shutdown()


def _one_trace(report: Any) -> Trace:
    assert len(report.traces) == 1, report.problems
    return load_trace(Path(report.traces[0].path))


def _check_common(trace: Trace, answer: str) -> None:
    assert trace.question == QUESTION
    assert trace.session_id == "sess-42"
    assert trace.versions.alv == "support-bot@3.1.0"
    assert trace.prompt is not None and [m.role for m in trace.prompt.messages] == ["system", "user"]
    assert QUESTION in trace.prompt.messages[1].content
    gen = trace.generation
    assert gen is not None
    assert gen.model_requested == "sandbox-reader-1.0" and gen.model_returned == "sandbox-reader-1.0"
    assert gen.output == answer and answer
    assert gen.sampling.temperature == pytest.approx(0.4) and gen.sampling.max_tokens == 64
    assert gen.prompt_tokens > 0 and gen.completion_tokens > 0
    assert gen.latency_ms > 0
    ret = trace.retrieval
    assert ret is not None
    expected = _retrieve(QUESTION)
    assert [c.chunk_id for c in ret.chunks] == [d["id"] for d, _ in expected]
    assert [c.score for c in ret.chunks] == pytest.approx([s for _, s in expected])
    first = ret.chunks[0]
    assert (first.doc_id, first.title, first.source, first.ingested_at.isoformat()) == (
        "kb-17",
        "Webhook retries",
        "https://docs.example.test/webhooks",
        "2026-10-02",
    )
    assert trace.prompt.context_chunk_ids == [d["id"] for d, _ in expected]
    assert trace.config.model == "sandbox-reader-1.0"
    assert trace.tags["import.response_id"].startswith("chatcmpl-")


def test_openinference_instrumentor_spans(endpoint: str, tmp_path: Path) -> None:
    from openinference.instrumentation.openai import OpenAIInstrumentor

    spans = tmp_path / "spans.otlp.jsonl"
    answer = _record(OpenAIInstrumentor(), OtlpJsonFileExporter(spans), endpoint)
    report = import_file("openinference", spans, out_dir=tmp_path / "traces")
    assert report.spans_seen == 3 and report.spans_mapped == 3
    trace = _one_trace(report)
    _check_common(trace, answer)
    assert trace.generation is not None and trace.generation.sampling.seed == 11
    assert trace.generation.sampling.top_p == pytest.approx(0.9)
    assert trace.versions.mrv.system_fingerprint.startswith("fp_")
    assert trace.tags["import.format"] == "openinference"
    assert trace.tags["import.source_trace_id"] == report.traces[0].source_trace_id
    assert len(trace.tags["import.source_trace_id"]) == 32
    assert not report.problems


def test_opentelemetry_instrumentor_spans(endpoint: str, tmp_path: Path) -> None:
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    spans = tmp_path / "spans.otlp.jsonl"
    answer = _record(OpenAIInstrumentor(), OtlpJsonFileExporter(spans), endpoint)
    report = import_file("otel", spans, out_dir=tmp_path / "traces")
    assert report.spans_mapped == report.spans_seen == 3
    trace = _one_trace(report)
    _check_common(trace, answer)
    assert trace.generation is not None and trace.generation.sampling.top_p == pytest.approx(0.9)
    assert trace.tags["import.span_kinds"] == "chain,llm,retriever"
    assert "opentelemetry.instrumentation.openai" in trace.tags["import.instrumentation"]
    # GenAI attributes no trace field holds are reported, not silently dropped
    assert report.unmapped.get("gen_ai.response.finish_reasons") == 1


def test_console_exporter_output(endpoint: str, tmp_path: Path) -> None:
    """The SDK's own ConsoleSpanExporter: pretty-printed span.to_json() objects back to back."""
    from openinference.instrumentation.openai import OpenAIInstrumentor

    buffer = io.StringIO()
    answer = _record(OpenAIInstrumentor(), ConsoleSpanExporter(out=buffer), endpoint)
    spans = tmp_path / "console.txt"
    spans.write_text(buffer.getvalue(), encoding="utf-8")
    trace = _one_trace(import_file("openinference", spans, out_dir=tmp_path / "traces"))
    _check_common(trace, answer)


def test_imported_trace_evaluates_and_replays(endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`replaylab eval` and `replaylab replay --hold retrieval` accept an imported trace."""
    from openinference.instrumentation.openai import OpenAIInstrumentor
    from typer.testing import CliRunner

    from replaylab.cli import app

    monkeypatch.setenv("REPLAYLAB_HOME", str(tmp_path / "ws"))
    spans = tmp_path / "spans.otlp.jsonl"
    _record(OpenAIInstrumentor(), OtlpJsonFileExporter(spans), endpoint)
    runner = CliRunner()
    out = tmp_path / "traces"
    result = runner.invoke(app, ["import", "openinference", str(spans), "-o", str(out)])
    assert result.exit_code == 0, result.output
    (path,) = sorted(out.glob("imp-*.json"))
    result = runner.invoke(app, ["eval", str(path), "--lexical"])
    assert result.exit_code in (0, 1), result.output
    assert "verdict:" in result.output
    replayed = tmp_path / "replayed.json"
    result = runner.invoke(app, ["replay", str(path), "--hold", "retrieval", "--hold", "prompt", "--json", str(replayed)])
    assert result.exit_code == 0, result.output
    new, old = load_trace(replayed), load_trace(path)
    assert new.retrieval is not None and new.retrieval.held
    assert [c.chunk_id for c in new.retrieval.chunks] == [c.chunk_id for c in old.retrieval.chunks]  # type: ignore[union-attr]
    assert new.generation is not None and old.generation is not None
    # the same sandbox reader, the same rendered prompt and sampling: the same answer, in-process
    assert new.generation.output == old.generation.output


@pytest.mark.parametrize(("fmt", "module"), [("openinference", "openinference"), ("otel", "opentelemetry")])
def test_silent_model_change_is_kept(tmp_path: Path, fmt: str, module: str) -> None:
    """The provider answers `sandbox-reader-1.0` with 1.1: the trace keeps both, and the
    model_version evaluator sees the change."""
    import importlib

    from replaylab.evals import evaluate

    instrumentor = importlib.import_module(f"{module}.instrumentation.openai").OpenAIInstrumentor()
    spans = tmp_path / "spans.otlp.jsonl"
    with LocalEndpoint("sandbox-reader-1.0", served_as={"sandbox-reader-1.0": "sandbox-reader-1.1"}) as url:
        _record(instrumentor, OtlpJsonFileExporter(spans), url)
    trace = _one_trace(import_file(fmt, spans, out_dir=tmp_path / "traces"))
    assert trace.generation is not None
    assert (trace.generation.model_requested, trace.generation.model_returned) == ("sandbox-reader-1.0", "sandbox-reader-1.1")
    assert (trace.versions.mrv.requested, trace.versions.mrv.returned) == ("sandbox-reader-1.0", "sandbox-reader-1.1")
    score = next(s for s in evaluate(trace, evaluators=["model_version"]).scores if s.name == "model_version")
    assert score.passed is False, score.reason
