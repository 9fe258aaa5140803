"""The cassette loader on junk: one clear CassetteError, never a traceback of another kind.

And what it accepts, vcrpy can load and play back: the validation is the whole contract.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from vcr.serialize import deserialize
from vcr.serializers import yamlserializer
from vcr.stubs.httpx_stubs import _deserialize_response

from replaylab.cassettes.profile import CassetteFile, audit, load_cassette, parse_cassette
from replaylab.errors import CassetteError

VALID: dict[str, Any] = {
    "version": 1,
    "interactions": [
        {
            "request": {
                "method": "POST",
                "uri": "http://127.0.0.1:8000/v1/chat/completions",
                "body": '{"model": "m", "messages": []}',
                "headers": {"content-type": ["application/json"]},
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {"content-type": ["application/json"]},
                "body": {"string": '{"choices": []}'},
            },
        }
    ],
}

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12) | st.binary(max_size=8)
JSONISH = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=12
)
PATHS = [
    ("version",),
    ("interactions",),
    ("interactions", 0),
    ("interactions", 0, "request"),
    ("interactions", 0, "request", "uri"),
    ("interactions", 0, "request", "method"),
    ("interactions", 0, "request", "headers"),
    ("interactions", 0, "response", "status"),
    ("interactions", 0, "response", "status", "code"),
    ("interactions", 0, "response", "status", "message"),
    ("interactions", 0, "response", "headers"),
    ("interactions", 0, "response", "body"),
    ("interactions", 0, "response", "body", "string"),
]


def _check(text: str) -> CassetteFile | None:
    """Parse; a rejection must be one CassetteError line, an acceptance must load in vcrpy."""
    try:
        parsed = parse_cassette(text, "fuzz.yaml")
    except CassetteError as exc:
        message = str(exc)
        assert message.startswith("Cassette fuzz.yaml ") and "\n" not in message
        return None
    requests, responses, *_ = deserialize(text, yamlserializer)
    for request, response in zip(requests, responses, strict=True):
        assert request.method and request.path is not None
        _deserialize_response(copy.deepcopy(response), httpx)
    return parsed


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
@example("")
@example("- request: {}")
@example("!!python/object/apply:os.system ['true']")
@example("[" * 5000)
@example("version: 1\ninteractions: {}")
@example("a: &a [*a]")
def test_any_text_is_a_cassette_or_one_error(text: str) -> None:
    _check(text)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(JSONISH)
def test_any_yaml_document_is_a_cassette_or_one_error(data: Any) -> None:
    _check(yaml.safe_dump(data))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), JSONISH | st.just("__delete__"))
@example(("interactions", 0, "request", "headers"), {"accept": []})
@example(("interactions", 0, "response", "headers"), {"accept": "text/plain"})
@example(("interactions", 0, "response", "status", "code"), 99999)
@example(("interactions", 0, "response", "status", "message"), "Ünïcode")
@example(("interactions", 0, "request", "uri"), "http://[::1")
@example(("interactions", 0, "request", "uri"), "http://h:99999/")
def test_a_valid_cassette_with_one_part_broken_is_a_cassette_or_one_error(path: tuple[Any, ...], value: Any) -> None:
    data = copy.deepcopy(VALID)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value == "__delete__":
        del node[path[-1]]
    else:
        node[path[-1]] = value
    _check(yaml.safe_dump(data))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=120))
def test_any_bytes_on_disk_load_or_fail_with_one_error(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(blob)
    try:
        load_cassette(path)
    except CassetteError as exc:
        assert "\n" not in str(exc)
    audit(path)  # the audit reads anything without raising


def test_the_valid_cassette_is_accepted() -> None:
    assert _check(yaml.safe_dump(VALID)) is not None
    assert parse_cassette(yaml.safe_dump(VALID)).interactions[0].response.status.code == 200
