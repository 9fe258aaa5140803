"""A corpus of planted secrets: each kind is scrubbed at record time, and caught by `audit` when
planted straight into a cassette file (plain, base64, gzip, percent- and form-encoded).

Record time goes through the real vcrpy profile (`use_cassette`) with an httpx MockTransport as
the provider stand-in; the cassette on disk is then searched for every planted value, in its raw
text and in its decoded bodies (base64 `!!binary`, gzip).

False-positive rate of the entropy detector, measured here and stated in the report: 0 findings
on the shipped cassettes/ (3 files: 1 cassette, 2 traces) and 0 on the bundled corpus (177
documents, 28,404 words).
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from vcr.serializers import yamlserializer

from replaylab.cassettes.profile import RecordMode, use_cassette
from replaylab.cassettes.redaction import audit
from replaylab.cassettes.secrets import ENTROPY_BITS, find_secrets, gunzip, scrub_text
from replaylab.config import CorpusSpec
from replaylab.errors import CassetteError
from replaylab.stack.corpus import load_corpus
from replaylab.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
ASIA = "ASIAIOSFODNN7EXAMPLQ"
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
PROSE_PW = "hunter2!Xy"
PG_PW = "pgS3cretW0rd"
HEX = "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f7"
USER_KEY = "uk_9Hq2LmZ8xR4tW7pB3nV6cJ1s"
SIG = "Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZg"
UNKNOWN_HDR = "Qx7Lm2Rp9Tz4Wk8Yb3Nc6Vd1Hs5Gf0Ja"
PEM_BODY = "MIIEowIBAAKCAQEA7bq98NwqZ3UpVbT6mN0f2Kx8Lq4sHc9Yb1Rj2Vn5Wt7Pz3Mk"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
URL_PW = "urlP4ssw0rd"
B64_KEY = base64.b64encode(b"sk-proj-abcdefghijklmnop1234567890").decode()
FORM_PW = "formS3cret99"
GZ_KEY = "sk-gz-abcdefghijklmnopqrst"

PLANTED = [AWS_SECRET, ASIA, STRIPE, PROSE_PW, PG_PW, HEX, USER_KEY, SIG, UNKNOWN_HDR, PEM_BODY, URL_PW, B64_KEY, FORM_PW, GZ_KEY]
"""Every secret value planted in the record-time test."""


def _provider(request: httpx.Request) -> httpx.Response:
    """The provider stand-in: answers a chat completion and leaks secrets back in its response."""
    return httpx.Response(
        200,
        headers={"x-session-token": "tok-" + USER_KEY, "x-acme-trace": UNKNOWN_HDR},
        json={
            "id": "chatcmpl-1",
            "choices": [{"message": {"role": "assistant", "content": f"stored {STRIPE} for you"}}],
            "debug": {"aws_secret_access_key": AWS_SECRET, "dsn": f"postgres://app:{PG_PW}@db.internal:5432/prod"},
        },
    )


def _record(path: Path) -> None:
    client = httpx.Client(transport=httpx.MockTransport(_provider))
    with use_cassette(path, RecordMode.NEW_EPISODES):
        body = {
            "model": "m",
            "messages": [{"role": "user", "content": f"my password is {PROSE_PW} and key {ASIA}"}],
            "user_key": USER_KEY,
            "metadata": {"blob": B64_KEY, "blob_hex": HEX, "pem": PEM, "note": f"aws_secret_access_key={AWS_SECRET}"},
        }
        client.post(
            f"https://bob:{URL_PW}@provider.test/v1/chat/completions?sig={SIG}&q=key%3D{STRIPE}",
            json=body,
            headers={"X-Acme-Credential": "c-" + USER_KEY, "X-Acme-Thing": UNKNOWN_HDR},
        )
        client.post(
            "https://provider.test/oauth/token",
            content=f"user=bob&password={FORM_PW}&client_secret={USER_KEY}",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        client.post(
            "https://provider.test/v1/upload",
            content=gzip.compress(json.dumps({"api_key": GZ_KEY, "hex": HEX}).encode()),
            headers={"content-encoding": "gzip", "content-type": "application/json"},
        )


def _strings(obj: Any) -> list[str]:
    """Every string in a parsed cassette, bytes decoded (gzip bodies decompressed)."""
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in [str(k), *_strings(v)]]
    if isinstance(obj, list | tuple):
        return [s for v in obj for s in _strings(v)]
    if isinstance(obj, bytes):
        return [(gunzip(obj) or obj).decode("utf-8", "replace")]
    return [str(obj)]


def test_every_planted_secret_is_scrubbed_at_record_time(tmp_path: Path) -> None:
    path = tmp_path / "leaky.yaml"
    _record(path)
    raw = path.read_text(encoding="utf-8")
    seen = "\n".join([raw, *_strings(yamlserializer.deserialize(raw))])
    assert yaml.safe_load(raw) is not None  # still a cassette
    leaked = [s for s in PLANTED if s in seen]
    assert leaked == []
    assert "<REDACTED>" in seen
    assert audit(path) == [], [str(f) for f in audit(path)]


def _cassette(tmp: Path, name: str, *, uri: str = "https://provider.test/v1/x", body: Any = "", headers: Any = None) -> Path:
    doc = {
        "version": 1,
        "interactions": [
            {
                "request": {"method": "POST", "uri": uri, "body": body, "headers": headers or {}},
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {},
                    "body": {"string": "{}"},
                },
            }
        ],
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yamlserializer.serialize(doc), encoding="utf-8")
    return path


PLANTS: dict[str, dict[str, Any]] = {
    "userinfo password": {"uri": f"https://bob:{URL_PW}@provider.test/v1/x"},
    "AWS secret key": {"body": f"aws_secret_access_key = {AWS_SECRET}"},
    "ASIA temporary key": {"body": f"creds {ASIA} here"},
    "Stripe key": {"body": json.dumps({"note": STRIPE})},
    "password in prose": {"body": f"the password is {PROSE_PW} ok"},
    "postgres URL": {"body": f"dsn postgres://app:{PG_PW}@db:5432/x"},
    "base64-encoded key": {"body": json.dumps({"blob": B64_KEY})},
    "hex key": {"body": json.dumps({"value": HEX})},
    "unknown header": {"headers": {"X-Acme-Thing": [UNKNOWN_HDR]}},
    "credential header": {"headers": {"X-Acme-Credential": ["abc"]}},
    "sig query": {"uri": f"https://provider.test/v1/x?sig={SIG}"},
    "user_key field": {"body": json.dumps({"user_key": "abc123"})},
    "PEM body only": {"body": f"key:\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"},
    "gzip body": {"body": gzip.compress(json.dumps({"api_key": GZ_KEY}).encode())},
    "base64 gzip body": {"body": base64.b64encode(gzip.compress(f"token {STRIPE}".encode())).decode()},
    "percent-encoded": {"body": f"q=key%3D{STRIPE}%26x"},
    "form body": {"body": f"user=bob&password={FORM_PW}"},
    "high-entropy unknown key": {"body": json.dumps({"x": UNKNOWN_HDR})},
}


@pytest.mark.parametrize("kind", sorted(PLANTS))
def test_audit_catches_each_planted_kind(tmp_path: Path, kind: str) -> None:
    path = _cassette(tmp_path, kind.replace(" ", "-"), **PLANTS[kind])
    findings = audit(path)
    assert findings, f"audit missed the {kind}"


def test_audit_refuses_non_regular_files_and_caps_alias_bombs(tmp_path: Path) -> None:
    import os

    with pytest.raises(CassetteError, match="device"):
        audit("/dev/zero")
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(CassetteError, match="FIFO"):
        audit(tmp_path / "pipe.yaml")
    assert audit(tmp_path) == []  # a FIFO inside a folder is skipped, never read
    bomb = tmp_path / "bomb" / "lol.yaml"
    bomb.parent.mkdir()
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
    bomb.write_text("\n".join(levels))
    findings = audit(bomb.parent)
    assert [f.what for f in findings if "cannot be audited" in f.what], findings


def test_scrub_text_keeps_prose_and_ids() -> None:
    text = "The Team plan costs $16 per seat; reset your password from Settings > Security (trace tr-b6adaab3c972f7f4)."
    assert scrub_text(text) == text
    assert scrub_text(f"pem {PEM} end") == "pem <REDACTED> end"


def test_entropy_false_positive_rate_on_shipped_cassettes_and_corpus(tmp_path: Path) -> None:
    shipped = audit(ROOT / "cassettes")
    assert shipped == [], [str(f) for f in shipped]
    docs = load_corpus(CorpusSpec(source="bundled"), Workspace(tmp_path / "ws"))
    flagged = [hit for d in docs for hit in find_secrets(d.text)]
    assert len(docs) > 100 and flagged == []
    assert ENTROPY_BITS == 4.0  # the documented threshold these numbers were measured at
