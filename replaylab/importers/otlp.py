"""Spans as exported by OpenTelemetry, read into one shape whatever the file's layout.

Accepted layouts (each may also be several documents, one per line or concatenated):

- OTLP JSON, `{"resourceSpans": [{"resource": ..., "scopeSpans": [{"scope": ..., "spans": [...]}]}]}`,
  attributes as `{"key", "value": {"stringValue" | "intValue" | "doubleValue" | "boolValue" |
  "arrayValue" | "kvlistValue" | "bytesValue"}}`, ids as hex (the OTLP JSON spec) or base64
  (protobuf's `MessageToDict`);
- the SDK's `span.to_json()` / `ConsoleSpanExporter` objects (`context.trace_id` as `0x...`,
  plain attribute values), alone, in a list or concatenated;
- span records with `context.trace_id` / `attributes.*` columns, as Phoenix's span dataframe
  writes them with `to_json(orient="records")`; nested attribute values are flattened to the
  dotted keys the semantic conventions use (`llm.input_messages.0.message.role`).

A span that cannot be read is one problem line; the file as a whole fails only when it is not
JSON, not UTF-8, too large or too deep (one TraceError line).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from replaylab.errors import TraceError
from replaylab.files import MAX_DEPTH, check_limits, decode_input

_MAX_FLATTEN_DEPTH = 12


class SpanEvent(BaseModel):
    """One event recorded on a span (OTel span events: GenAI content events, exceptions)."""

    name: str
    """The event name, e.g. `gen_ai.content.prompt`."""
    time: datetime | None = None
    """When it happened (None when the export has no timestamp)."""
    attributes: dict[str, Any] = {}
    """Its attributes, flattened to dotted keys."""


class SpanRecord(BaseModel):
    """One span, whatever layout it was exported in."""

    trace_id: str
    """Hex trace id (32 digits in a real export; whatever the file held otherwise)."""
    span_id: str
    """Hex span id."""
    parent_id: str | None = None
    """Hex id of the parent span (None for a root span)."""
    name: str = ""
    """The span name."""
    kind: str = ""
    """The span kind as exported (`SPAN_KIND_CLIENT`, `SpanKind.INTERNAL`, ...)."""
    start: datetime | None = None
    """Start time (UTC)."""
    end: datetime | None = None
    """End time (UTC)."""
    attributes: dict[str, Any] = {}
    """Span attributes, flattened to dotted keys with plain JSON values."""
    events: list[SpanEvent] = []
    """Span events in the order exported."""
    resource: dict[str, Any] = {}
    """Resource attributes (`service.name`, `service.version`, ...)."""
    scope: str = ""
    """Instrumentation scope name and version, `name@version`."""
    status: str = ""
    """`ERROR` when the span failed, else empty or `OK`."""
    status_message: str = ""
    """The status description of a failed span."""

    def label(self) -> str:
        """How a problem line names this span."""
        return f"span {self.span_id[:16]} {self.name[:60]!r}"

    def duration_ms(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return max(0.0, (self.end - self.start).total_seconds() * 1000)


class SpanFile(BaseModel):
    """Every span read from one file, and a line for each one that could not be read."""

    spans: list[SpanRecord] = []
    """The spans read, in file order."""
    problems: list[str] = []
    """One line per span or document that could not be read."""


def read_documents(data: bytes, *, path: Path | str, what: str) -> list[Any]:
    """The JSON documents in `data`: one document, JSON lines, or several concatenated (the console
    exporter writes pretty-printed objects one after another). Bad input is one TraceError line."""
    text = decode_input(data, what=what, path=path, error=TraceError)
    decoder = json.JSONDecoder()
    docs: list[Any] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos >= end:
            break
        try:
            doc, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise TraceError(f"{what.capitalize()} {path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
        except RecursionError:
            raise TraceError(f"{what.capitalize()} {path} is nested more than {MAX_DEPTH} levels deep") from None
        except ValueError as exc:  # an integer past the interpreter's digit limit
            raise TraceError(f"{what.capitalize()} {path} is not usable JSON ({' '.join(str(exc).split())[:80]})") from None
        docs.append(check_limits(doc, what=what, path=path, error=TraceError))
    if not docs:
        raise TraceError(f"{what.capitalize()} {path} is empty")
    return docs


def read_spans(data: bytes, *, path: Path | str) -> SpanFile:
    """Every span in an OTLP JSON / SDK JSON / span-records file."""
    out = SpanFile()
    for doc in read_documents(data, path=path, what="span export"):
        for item in doc if isinstance(doc, list) else [doc]:
            _read_item(item, out)
    return out


def _read_item(item: Any, out: SpanFile) -> None:
    if not isinstance(item, dict):
        out.problems.append(f"a {type(item).__name__} where a span or an OTLP document was expected; skipped")
        return
    if "resourceSpans" in item:
        rs = item["resourceSpans"]
        if not isinstance(rs, list):
            out.problems.append("`resourceSpans` is not a list; skipped")
            return
        for block in rs:
            _read_resource_block(block, out)
    elif "context" in item or "context.trace_id" in item:
        _append(out, lambda: _sdk_span(item))
    elif "spans" in item and isinstance(item["spans"], list):  # one scopeSpans entry on its own
        _read_resource_block({"scopeSpans": [item]}, out)
    elif "traceId" in item and "spanId" in item:  # one OTLP span on its own
        _append(out, lambda: _otlp_span(item, resource={}, scope=""))
    else:
        keys = ", ".join(sorted(map(str, item))[:5])
        out.problems.append(f"an object with keys [{keys}] is neither an OTLP document nor a span; skipped")


def _append(out: SpanFile, build: Any) -> None:
    try:
        out.spans.append(build())
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        out.problems.append(f"a span could not be read ({' '.join(str(exc).split())[:120]}); skipped")


def _read_resource_block(block: Any, out: SpanFile) -> None:
    if not isinstance(block, dict):
        out.problems.append("a resourceSpans entry is not an object; skipped")
        return
    res = block.get("resource")
    resource = _otlp_attrs(res.get("attributes")) if isinstance(res, dict) else {}
    scopes = block.get("scopeSpans", block.get("instrumentationLibrarySpans", []))
    for scope_block in scopes if isinstance(scopes, list) else []:
        if not isinstance(scope_block, dict):
            out.problems.append("a scopeSpans entry is not an object; skipped")
            continue
        sc = scope_block.get("scope") or scope_block.get("instrumentationLibrary") or {}
        scope = f"{sc.get('name', '')}@{sc.get('version', '')}".strip("@") if isinstance(sc, dict) else ""
        spans = scope_block.get("spans", [])
        for span in spans if isinstance(spans, list) else []:
            if not isinstance(span, dict):
                out.problems.append("an OTLP span is not an object; skipped")
                continue
            _append(out, lambda s=span, sc=scope: _otlp_span(s, resource=resource, scope=sc))


# ---- OTLP JSON ------------------------------------------------------------------------
def _any_value(value: Any, depth: int = 0) -> Any:
    """An OTLP AnyValue as plain JSON; a value of the wrong type is kept as it was written."""
    if not isinstance(value, dict) or depth > _MAX_FLATTEN_DEPTH:
        return value
    if "stringValue" in value:
        return str(value["stringValue"])
    if "boolValue" in value:
        return value["boolValue"] if isinstance(value["boolValue"], bool) else str(value["boolValue"])
    if "intValue" in value:  # int64 as a JSON string in OTLP JSON
        raw = value["intValue"]
        return int(raw) if isinstance(raw, int) or (isinstance(raw, str) and re.fullmatch(r"-?\d{1,20}", raw)) else raw
    if "doubleValue" in value:
        raw = value["doubleValue"]
        return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else raw
    if "arrayValue" in value:
        arr = value["arrayValue"]
        values = arr.get("values") if isinstance(arr, dict) else None
        return [_any_value(v, depth + 1) for v in values] if isinstance(values, list) else []
    if "kvlistValue" in value:
        kv = value["kvlistValue"]
        pairs = kv.get("values") if isinstance(kv, dict) else None
        pairs = pairs if isinstance(pairs, list) else []
        return {str(p.get("key")): _any_value(p.get("value"), depth + 1) for p in pairs if isinstance(p, dict)}
    if "bytesValue" in value:
        return str(value["bytesValue"])
    return None


def _otlp_attrs(attrs: Any) -> dict[str, Any]:
    if not isinstance(attrs, list):
        return {}
    plain = {str(a["key"]): _any_value(a.get("value")) for a in attrs if isinstance(a, dict) and "key" in a}
    return flatten(plain)


def _hex_id(raw: Any, width: int) -> str:
    """An OTLP id as hex: the spec's hex form kept, protobuf's base64 form decoded."""
    text = str(raw or "").removeprefix("0x")
    if re.fullmatch(f"[0-9a-fA-F]{{{width}}}", text):
        return text.lower()
    try:
        raw_bytes = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text
    return raw_bytes.hex() if len(raw_bytes) == width // 2 else text


def _nanos(raw: Any) -> datetime | None:
    if raw in (None, "", 0, "0"):
        return None
    return datetime.fromtimestamp(int(raw) / 1e9, tz=timezone.utc)


def _otlp_span(span: dict[str, Any], *, resource: dict[str, Any], scope: str) -> SpanRecord:
    status = _obj(span.get("status"))
    code = str(status.get("code", ""))
    events = [
        SpanEvent(name=str(e.get("name", "")), time=_nanos(e.get("timeUnixNano")), attributes=_otlp_attrs(e.get("attributes")))
        for e in span.get("events") or []
        if isinstance(e, dict)
    ]
    if not span.get("traceId") or not span.get("spanId"):
        raise ValueError("no traceId or spanId")
    return SpanRecord(
        trace_id=_hex_id(span["traceId"], 32),
        span_id=_hex_id(span["spanId"], 16),
        parent_id=_hex_id(span["parentSpanId"], 16) if span.get("parentSpanId") else None,
        name=str(span.get("name", "")),
        kind=str(span.get("kind", "")),
        start=_nanos(span.get("startTimeUnixNano")),
        end=_nanos(span.get("endTimeUnixNano")),
        attributes=_otlp_attrs(span.get("attributes")),
        events=events,
        resource=resource,
        scope=scope,
        status="ERROR" if code in ("2", "STATUS_CODE_ERROR") else ("OK" if code in ("1", "STATUS_CODE_OK") else ""),
        status_message=str(status.get("message", "")),
    )


# ---- the SDK's span.to_json() and span records ----------------------------------------
def _obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _iso(raw: Any) -> datetime | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):  # epoch seconds, ms or ns
        scale = 1e9 if raw > 1e15 else (1e3 if raw > 1e11 else 1.0)
        return datetime.fromtimestamp(raw / scale, tz=timezone.utc)
    when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _sdk_span(item: dict[str, Any]) -> SpanRecord:
    ctx = _obj(item.get("context"))
    trace_id = ctx.get("trace_id", item.get("context.trace_id"))
    span_id = ctx.get("span_id", item.get("context.span_id"))
    if not trace_id or not span_id:
        raise ValueError("no context.trace_id or context.span_id")
    attrs = _obj(item.get("attributes"))
    attrs = {**attrs, **{k.removeprefix("attributes."): v for k, v in item.items() if k.startswith("attributes.")}}
    res = item.get("resource")
    resource = _obj(_obj(res).get("attributes"))
    status = _obj(item.get("status"))
    code = str(status.get("status_code", item.get("status_code", "")))
    events = [
        SpanEvent(
            name=str(e.get("name", "")),
            time=_iso(e.get("timestamp")),
            attributes=flatten(_obj(e.get("attributes"))),
        )
        for e in item.get("events") or []
        if isinstance(e, dict)
    ]
    parent = item.get("parent_id")
    return SpanRecord(
        trace_id=_hex_id(trace_id, 32),
        span_id=_hex_id(span_id, 16),
        parent_id=_hex_id(parent, 16) if parent else None,
        name=str(item.get("name", "")),
        kind=str(item.get("kind", item.get("span_kind", ""))),
        start=_iso(item.get("start_time")),
        end=_iso(item.get("end_time")),
        attributes=flatten(attrs),
        events=events,
        resource=flatten(resource),
        status="ERROR" if "ERROR" in code.upper() else ("OK" if "OK" in code.upper() else ""),
        status_message=str(status.get("description", item.get("status_message", "")) or ""),
    )


# ---- flattening -----------------------------------------------------------------------
def flatten(attrs: dict[str, Any]) -> dict[str, Any]:
    """Nested attribute values as the dotted keys of the semantic conventions: lists of objects
    and objects become `key.N.sub` / `key.sub`; lists of scalars stay lists."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        for k, v in _walk(str(key), value, 0):
            out[k] = v
    return out


def _walk(prefix: str, value: Any, depth: int) -> Iterator[tuple[str, Any]]:
    if depth >= _MAX_FLATTEN_DEPTH:
        yield prefix, value
    elif isinstance(value, dict) and value:
        for k, v in value.items():
            yield from _walk(f"{prefix}.{k}", v, depth + 1)
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for i, v in enumerate(value):
            yield from _walk(f"{prefix}.{i}", v, depth + 1)
    else:
        yield prefix, value
