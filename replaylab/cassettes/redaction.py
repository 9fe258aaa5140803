"""Secrets in recordings: the scrubbers vcrpy runs at record time, and the audit.

Scrubbing drops credential headers and cookies (`is_secret_header`), replaces the values of
secret body and query fields (`is_secret_key`: api_key, key, token, password, secret...) and
every secret-shaped string (`sk-...`, `Bearer ...`, cloud and VCS tokens, JWTs, private keys)
with `<REDACTED>`. The audit looks for the same shapes in files already on disk and names
the file and line of each.
"""

from __future__ import annotations

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

REDACTED = "<REDACTED>"


_SECRET_TEXT: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("API key (sk-...)", re.compile(r"\bsk-[A-Za-z0-9_\-]{10,}"), REDACTED),
    ("bearer token", re.compile(r"\bBearer\s+(?!<REDACTED>)[A-Za-z0-9\-._~+/]{6,}=*"), f"Bearer {REDACTED}"),
    ("AWS access key", re.compile(r"\bAKIA[0-9A-Z]{16}\b"), REDACTED),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), REDACTED),
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}"), REDACTED),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}"), REDACTED),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"), REDACTED),
    ("JSON web token", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), REDACTED),
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), REDACTED),
)
_SECRET_KEYS = frozenset({"apikey", "key", "token", "password", "passwd", "secret", "authorization", "cookie"})
_SECRET_HEADER = re.compile(
    r"api[-_]?key|secret|passw|cookie|session|auth|organization|^openai-project$"
    r"|(^|-)token$"
)


def is_secret_key(key: str) -> bool:
    """True for a body or query key whose value is a credential (`api_key`, `access_token`...)."""
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    return norm in _SECRET_KEYS or norm.endswith(("apikey", "secret", "password", "token"))


def is_secret_header(name: str) -> bool:
    """True for a header that carries credentials or session state (dropped at record time)."""
    return bool(_SECRET_HEADER.search(name.lower()))


def scrub_text(text: str) -> str:
    """`text` with every secret-shaped string replaced."""
    for _, pattern, replacement in _SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


def _scrub_value(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {
            k: (REDACTED if isinstance(k, str) and is_secret_key(k) and obj[k] not in (None, "") else _scrub_value(v))
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_scrub_value(v) for v in obj]
    if isinstance(obj, str):
        return scrub_text(obj)
    return obj


def scrub_body(body: Any) -> Any:
    """A scrubbed copy of a body (bytes, str or None); unchanged bodies come back as they were."""
    if body is None or not isinstance(body, bytes | str):
        return body
    raw = body.decode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else body
    try:
        data = json.loads(raw)
    except ValueError:
        new = scrub_text(raw)
    else:
        cleaned = _scrub_value(data)
        new = raw if cleaned == data else json.dumps(cleaned, ensure_ascii=False)
    if new == raw:
        return body
    return new.encode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else new


def _scrub_uri(uri: str) -> str:
    parts = urlsplit(uri)
    if not parts.query:
        return scrub_text(uri)
    query = [(k, REDACTED if is_secret_key(k) else scrub_text(v)) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="<>")))


def scrub_request(request: Request) -> Request:
    """vcrpy `before_record_request`: drop credential headers, redact secrets in URI and body."""
    body = scrub_body(request.body)
    clean = Request(request.method, _scrub_uri(request.uri), body, {})
    clean.headers = {
        k: str(len(clean.body))
        if k.lower() == "content-length" and body is not request.body and isinstance(clean.body, bytes)
        else scrub_text(v)
        for k, v in request.headers.items()
        if not is_secret_header(k)
    }
    return clean


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy `before_record_response`: drop set-cookie and token headers, redact secrets in the body."""
    headers = {k: [scrub_text(v) for v in vs] for k, vs in response.get("headers", {}).items() if not is_secret_header(k)}
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


def audited_files(root: Path | str) -> list[Path]:
    """The files `audit` scans: every .yaml/.yml/.json under `root` (or `root` itself)."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in _AUDITED)


def _mask(secret: str) -> str:
    return secret[:6] + "…" if len(secret) > 8 else "…"


def _secrets_in(text: str) -> Iterator[tuple[str, str]]:
    """(what, matched text) for every secret-shaped string in `text`."""
    for what, pattern, _ in _SECRET_TEXT:
        for m in pattern.finditer(text):
            yield what, m.group(0)


def _walk(obj: Any, *, headers: bool = False) -> Iterator[tuple[str, str]]:
    """(what, needle to find its line) for secrets a line scan cannot see: header names, secret
    fields, JSON bodies held in one YAML string, and strings the YAML dumper folded."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = str(k)
            if headers and is_secret_header(key):
                yield f"credential header {key!r}", key
            elif (
                not headers
                and is_secret_key(key)
                and isinstance(v, str | int | float)
                and v not in ("", REDACTED)
                and not isinstance(v, bool)
            ):
                yield f"secret field {key!r}", key
            else:
                yield from _walk(v, headers=key.lower() == "headers" and isinstance(v, dict))
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)
    elif isinstance(obj, bytes):
        yield from _walk(obj.decode("utf-8", errors="replace"))
    elif isinstance(obj, str):
        for what, found in _secrets_in(obj):
            yield what + f" {_mask(found)!r}", max(found.split(), key=len)
        if obj.lstrip()[:1] in ("{", "["):
            with suppress(ValueError, RecursionError):
                yield from _walk(json.loads(obj))


def _line_of(lines: list[str], needle: str) -> int:
    for n, line in enumerate(lines, 1):
        if needle in line:
            return n
    return 1


def _audit_text(path: Path, text: str) -> list[Finding]:
    lines = text.splitlines()
    found = [Finding(path, n, f"{what} {_mask(s)!r}") for n, line in enumerate(lines, 1) for what, s in _secrets_in(line)]
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yamlserializer.deserialize(text)
    except Exception:  # not a structured file: the line scan is all there is
        return found
    with suppress(RecursionError):
        found += [Finding(path, _line_of(lines, needle), what) for what, needle in _walk(data)]
    return found


def audit(root: Path | str) -> list[Finding]:
    """Every secret-shaped string in the cassettes under `root`, one Finding per file and line."""
    out: list[Finding] = []
    for path in audited_files(root):
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            out.append(Finding(path, 0, f"unreadable: {exc.strerror or exc}"))
            continue
        out += sorted(set(_audit_text(path, text)), key=lambda f: (f.line, f.what))
    return out
