"""Secrets in recordings: the scrubbers vcrpy runs at record time, and the audit.

Scrubbing drops credential headers and cookies (`is_secret_header`), replaces the values of
secret body and query fields (`is_secret_key`: api_key, key, token, password, secret...) and
every secret-shaped string (`sk-...`, `Bearer ...`, cloud and VCS tokens, JWTs, private keys)
with `<REDACTED>`. The audit looks for the same shapes in files already on disk and names
the file and line of each.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from vcr.request import Request
from vcr.serializers import yamlserializer

from replaylab.cassettes.secrets import (
    REDACTED,
    find_secrets,
    form_fields,
    gunzip,
    is_benign_key,
    scrub_text,
)
from replaylab.errors import CassetteError
from replaylab.files import check_regular_file, parse_json, parse_yaml, read_input_bytes

__all__ = [
    "REDACTED",
    "Finding",
    "audit",
    "audited_files",
    "is_secret_header",
    "is_secret_key",
    "scrub_body",
    "scrub_request",
    "scrub_response",
    "scrub_text",
]

_SECRET_KEYS = frozenset(
    {"apikey", "key", "token", "password", "passwd", "pwd", "secret", "authorization", "cookie", "sig", "signature"}
)
_SECRET_SUFFIXES = ("key", "secret", "password", "passwd", "token", "signature", "credential", "credentials", "sig")
_SECRET_HEADER = re.compile(
    r"api[-_]?key|secret|passw|cookie|session|auth|organization|^openai-project$|credential|signature|private"
    r"|(^|-)token$|(^|-)sig$|(^|-)key$|security-token"
)
_MATCHED_KEYS = frozenset({"model", "messages", "stop"})
"""Request-body fields the cassette matcher compares: shapes are scrubbed there, high-entropy
tokens are not (that would make the replayed request miss its own recording); `audit` still
reports them."""


def is_secret_key(key: str) -> bool:
    """True for a body, form or query key whose value is a credential (`api_key`, `user_key`,
    `access_token`, `sig`, `X-Amz-Signature`...)."""
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    return norm in _SECRET_KEYS or norm.endswith(_SECRET_SUFFIXES)


def is_secret_header(name: str) -> bool:
    """True for a header that carries credentials or session state (dropped at record time)."""
    return bool(_SECRET_HEADER.search(name.lower()))


def _scrub_value(obj: Any, *, key: str = "", entropy: bool = True) -> Any:
    if isinstance(obj, dict):
        return {
            k: (
                REDACTED
                if isinstance(k, str) and is_secret_key(k) and v not in (None, "") and not isinstance(v, bool | dict | list)
                else _scrub_value(v, key=str(k), entropy=entropy and str(k) not in _MATCHED_KEYS)
            )
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_scrub_value(v, key=key, entropy=entropy) for v in obj]
    if isinstance(obj, str):
        return scrub_text(obj, entropy=entropy and not is_benign_key(key))
    return obj


def _scrub_form(raw: str) -> str | None:
    fields = form_fields(raw)
    if fields is None:
        return None
    return urlencode([(k, REDACTED if is_secret_key(k) and v else scrub_text(v)) for k, v in fields], safe="<>")


def _scrub_str(raw: str, *, entropy: bool) -> str:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        form = _scrub_form(raw)
        return form if form is not None and form != urlencode(parse_qsl(raw.strip(), True)) else scrub_text(raw, entropy=entropy)
    cleaned = _scrub_value(data, entropy=entropy)
    return raw if cleaned == data else json.dumps(cleaned, ensure_ascii=False)


def scrub_body(body: Any, *, entropy: bool = True) -> Any:
    """A scrubbed copy of a body (bytes, str or None): JSON fields, form fields, text, and a
    gzip body decompressed, scrubbed and recompressed. Unchanged bodies come back as they were."""
    if body is None or not isinstance(body, bytes | str):
        return body
    if isinstance(body, bytes):
        unz = gunzip(body)
        if unz is not None:
            inner = scrub_body(unz, entropy=entropy)
            return body if inner is unz else gzip.compress(inner, mtime=0)
    raw = body.decode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else body
    new = _scrub_str(raw, entropy=entropy)
    if new == raw:
        return body
    return new.encode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else new


def _scrub_uri(uri: str) -> str:
    parts = urlsplit(scrub_text(uri, entropy=False))  # a password in the userinfo goes first
    if not parts.query:
        return urlunsplit(parts)
    query = [(k, REDACTED if is_secret_key(k) and v else scrub_text(v)) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="<>")))


def _scrub_header(name: str, value: str) -> str:
    return scrub_text(value, entropy=not is_benign_key(name.replace("-", "_")))


def scrub_request(request: Request) -> Request:
    """vcrpy `before_record_request`: drop credential headers, redact secrets in URI, headers and body."""
    compressed = isinstance(request.body, bytes) and gunzip(request.body) is not None
    body = scrub_body(request.body, entropy=compressed)  # a gzip body is scrubbed whole
    body = body if compressed else _scrub_request_fields(body)
    clean = Request(request.method, _scrub_uri(request.uri), body, {})
    clean.headers = {
        k: str(len(clean.body))
        if k.lower() == "content-length" and body is not request.body and isinstance(clean.body, bytes)
        else _scrub_header(k, v)
        for k, v in request.headers.items()
        if not is_secret_header(k)
    }
    return clean


def _scrub_request_fields(body: Any) -> Any:
    """High-entropy tokens in a JSON request body's unmatched fields (`user`, `metadata`...)."""
    if not isinstance(body, bytes | str) or gunzip(body if isinstance(body, bytes) else b"") is not None:
        return body
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return scrub_body(body)
    if not isinstance(data, dict):
        return body
    cleaned = {k: v if k in _MATCHED_KEYS else _scrub_value(v, key=k) for k, v in data.items()}
    if cleaned == data:
        return body
    text = json.dumps(cleaned, ensure_ascii=False)
    return text.encode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else text


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy `before_record_response`: drop set-cookie and token headers, redact secrets in the body."""
    headers = {k: [_scrub_header(k, v) for v in vs] for k, vs in response.get("headers", {}).items() if not is_secret_header(k)}
    body = dict(response.get("body") or {})
    old = body.get("string")
    body["string"] = scrub_body(old)
    if body["string"] is not old and isinstance(body["string"], bytes):
        for k in headers:
            if k.lower() == "content-length":
                headers[k] = [str(len(body["string"]))]
    return {**response, "headers": headers, "body": body}


@dataclass(frozen=True)
class Finding:
    """One secret-shaped string in a file."""

    file: Path
    line: int
    """1-based line number."""
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}"


_AUDITED = (".yaml", ".yml", ".json")
MAX_AUDIT_BYTES = 64 * 1024 * 1024
"""Largest file `audit` reads; a larger one is a finding (it cannot be declared clean)."""


def audited_files(root: Path | str) -> list[Path]:
    """The files `audit` scans: every .yaml/.yml/.json under `root`, or `root` itself when it is a
    regular file. A FIFO, a device or a missing path is one CassetteError (never "0 files scanned")."""
    root = Path(root)
    if root.is_dir():
        return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and p.suffix.lower() in _AUDITED)
    check_regular_file(root, what="cassette", error=CassetteError)
    return [root]


def _mask(secret: str) -> str:
    return secret[:6] + "…" if len(secret) > 8 else "…"


def _walk(obj: Any, *, key: str = "", headers: bool = False) -> Iterator[tuple[str, str]]:
    """(what, needle to find its line) for secrets a line scan cannot see: header names, secret
    fields, high-entropy values, JSON and form bodies held in one YAML string, base64 and gzip
    bodies, and strings the YAML dumper folded."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            name = str(k)
            if headers and is_secret_header(name):
                yield f"credential header {name!r}", name
            elif not headers and is_secret_key(name) and _is_value(v, name):
                yield f"secret field {name!r}", name
            else:
                yield from _walk(v, key=name, headers=name.lower() == "headers" and isinstance(v, dict))
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _walk(v, key=key)
    elif isinstance(obj, bytes):
        raw = gunzip(obj) or obj
        yield from _walk(raw.decode("utf-8", errors="replace"), key=key)
    elif isinstance(obj, str):
        yield from _walk_text(obj, key=key)


def _is_value(v: Any, name: str) -> bool:
    """A value that may be a credential: a string, not redacted, and for a bare `key` field not
    a dotted attribute name (OpenTelemetry's `{"key": "service.name", ...}`). Numbers are not:
    `timeToFirstToken: 0.3` is a duration."""
    if not isinstance(v, str) or v in ("", REDACTED):
        return False
    return not (name.lower() == "key" and re.fullmatch(r"[a-z][a-z0-9_.]*", v))


def _walk_text(text: str, *, key: str) -> Iterator[tuple[str, str]]:
    structured: Any = None
    if text.lstrip()[:1] in ("{", "["):
        with suppress(ValueError, RecursionError):
            structured = json.loads(text)
    if structured is None and (fields := form_fields(text)):
        structured = dict(fields)
    # a JSON or form body: shapes on the raw text, entropy per field (so ids and digests are known)
    entropy = structured is None and not is_benign_key(key)
    for what, found in find_secrets(text, entropy=entropy):
        yield what + f" {_mask(found)!r}", max(found.split(), key=len)[:40]
    if structured is not None:
        with suppress(RecursionError):
            yield from _walk(structured)


def _line_of(lines: list[str], needle: str) -> int:
    for n, line in enumerate(lines, 1):
        if needle in line:
            return n
    return 1


def _audit_text(path: Path, text: str) -> list[Finding]:
    lines = text.splitlines()
    found = [
        Finding(path, n, f"{what} {_mask(s)!r}")
        for n, line in enumerate(lines, 1)
        for what, s in find_secrets(line, entropy=False)
    ]
    try:
        if path.suffix.lower() == ".json":
            data = parse_json(text, what="file", path=path, error=CassetteError)
        else:
            data = parse_yaml(text, what="file", path=path, error=CassetteError, loader=yamlserializer._CassetteLoader)
    except CassetteError as exc:  # an alias bomb or a file nested too deep: it cannot be declared clean
        if ("YAML" in str(exc) and "valid" in str(exc)) or "JSON" in str(exc):
            return found  # not a structured file: the line scan is all there is
        return [*found, Finding(path, 1, f"cannot be audited: {str(exc).removeprefix(f'File {path} ')}")]
    except Exception:  # the YAML parser's other failures (unknown tags): the line scan is all there is
        return found
    with suppress(RecursionError):
        found += [Finding(path, _line_of(lines, needle), what) for what, needle in _walk(data)]
    return found


def audit(root: Path | str) -> list[Finding]:
    """Every secret in the cassettes under `root`, one Finding per file and line. A file over
    MAX_AUDIT_BYTES or not UTF-8 is a finding too: it cannot be declared clean."""
    out: list[Finding] = []
    for path in audited_files(root):
        try:
            data = read_input_bytes(path, what="cassette", max_bytes=MAX_AUDIT_BYTES, error=CassetteError)
        except CassetteError as exc:
            out.append(Finding(path, 0, f"cannot be audited: {exc}"))
            continue
        text = data.decode("utf-8", errors="replace")
        out += sorted(set(_audit_text(path, text)), key=lambda f: (f.line, f.what))
    return out
