"""What a secret looks like: known shapes, high-entropy tokens, and the encodings that hide them.

    find_secrets("postgres://app:hunter2@db/x")      # -> [("password in URL", "app:hunter2@")]
    scrub_text("key=sk_live_4eC39HqLyjWDarjtT1zdp7dc")  # -> "key=<REDACTED>"

Three layers, used by the record-time scrubbers and by `audit` alike:

1. Shapes (`SHAPES`): provider keys (`sk-`, Stripe `sk_live_`, AWS `AKIA`/`ASIA` ids and
   `aws_secret_access_key=` values, GitHub, Hugging Face, Google, Slack), bearer tokens, JWTs,
   whole PEM private-key blocks, passwords in URL userinfo (`scheme://user:pass@host`, which
   covers `postgres://` URLs) and passwords in prose (`password: hunter2`, `pwd=...`).
2. Entropy (`high_entropy`): a token of at least `ENTROPY_MIN_LEN` base64/base62 characters
   holding letters and digits whose Shannon entropy is at least `ENTROPY_BITS` bits per
   character, or a run of at least `HEX_MIN_LEN` hex digits. This catches keys of providers no
   shape names. Skipped for values under keys that are ids or digests (`id`, `*_id`, `*sha256`,
   `etag`...). Threshold measured on the shipped cassettes: see `tests/unit/test_secrets_corpus.py`.
3. Encodings (`decoded_views`): base64 tokens, gzip bytes, percent-encoding and form bodies are
   decoded (bounded in size and depth) and scanned again.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from urllib.parse import parse_qsl, unquote_plus

__all__ = [
    "ENTROPY_BITS",
    "ENTROPY_MIN_LEN",
    "HEX_MIN_LEN",
    "REDACTED",
    "SHAPES",
    "decoded_views",
    "find_secrets",
    "high_entropy",
    "is_benign_key",
    "scrub_text",
    "shannon_entropy",
]

REDACTED = "<REDACTED>"
ENTROPY_MIN_LEN = 24
"""Shortest token the entropy check looks at."""
ENTROPY_BITS = 4.0
"""Bits per character at or above which a mixed letters-and-digits token counts as a key."""
HEX_MIN_LEN = 32
"""Shortest run of hex digits that counts as a hex-encoded key (a 128-bit secret)."""
MAX_DECODED = 4 * 1024 * 1024
"""Most bytes a gzip or base64 view decodes to (a zip bomb stops here)."""

_R = REDACTED
SHAPES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "private key",
        re.compile(
            r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----(?:(?!-----END)[\s\S]){0,20000}(?:-----END \1PRIVATE KEY-----)?"
        ),
        _R,
    ),
    ("API key (sk-...)", re.compile(r"\bsk-[A-Za-z0-9_\-]{10,}"), _R),
    ("Stripe key", re.compile(r"\b[rsp]k_(?:live|test)_[A-Za-z0-9]{10,}"), _R),
    ("bearer token", re.compile(r"\bBearer\s+(?!<REDACTED>)[A-Za-z0-9\-._~+/]{6,}=*"), f"Bearer {_R}"),
    ("basic auth", re.compile(r"\bBasic\s+(?!<REDACTED>)[A-Za-z0-9+/]{8,}=*"), f"Basic {_R}"),
    ("AWS access key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[0-9A-Z]{16}\b"), _R),
    (
        "AWS secret key",
        re.compile(r"(?i)(aws.{0,20}?(?:secret|session).{0,20}?[\"']?\s*[:=]\s*[\"']?)(?!<REDACTED>)[A-Za-z0-9/+=]{16,}"),
        rf"\g<1>{_R}",
    ),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}"), _R),
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}"), _R),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}"), _R),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"), _R),
    ("JSON web token", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), _R),
    (
        "password in URL",
        re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]{1,20}://[^\s:/@'\"<>]{0,200}:)(?!<REDACTED>@)[^\s/@'\"<>]{1,200}(@)"),
        rf"\g<1>{_R}\g<2>",
    ),
    (
        "password in text",
        re.compile(
            r"(?i)(\b(?:pass(?:word|wd|phrase)?|pwd|secret|api[ _-]?key)\b\s*(?:is|was|[:=]|to)\s*[\"'`]?)"
            r"(?!<REDACTED>)(?=[^\s\"'`]{6,})(?=[^\s\"'`]*[\d!@#$%^&*_+=~-])[^\s\"'`<>,;]{6,}"
        ),
        rf"\g<1>{_R}",
    ),
)

_TOKEN = re.compile(r"[A-Za-z0-9+/_\-]{" + str(ENTROPY_MIN_LEN) + r",}={0,2}")
_HEX = re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{" + str(HEX_MIN_LEN) + r",}(?![A-Za-z0-9])")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_B64 = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{16,}={0,2}")
_PCT = re.compile(r"[^\s\"'<>]*%[0-9A-Fa-f]{2}[^\s\"'<>]*")
_FORM = re.compile(r"^[\w.\-\[\]%]+=[^&\s]*(?:&[\w.\-\[\]%]+=[^&\s]*)*$")
_BENIGN_KEY = re.compile(r"(?i)(^|_|-)(id|ids|object|model|fingerprint|sha\d*|digest|hash|etag|snapshot|version)$|^sha\d*|^date$")


def is_benign_key(key: str) -> bool:
    """True for a key whose values are ids or digests (random-looking but not secrets)."""
    return bool(_BENIGN_KEY.search(re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key)))


def shannon_entropy(s: str) -> float:
    """Shannon entropy of `s` in bits per character."""
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def high_entropy(text: str) -> Iterator[tuple[str, str]]:
    """(what, token) for each key-like random token in `text` (layer 2)."""
    for m in _HEX.finditer(text):
        if shannon_entropy(m.group(0).lower()) >= 3.0:
            yield "hex key", m.group(0)
    for m in _TOKEN.finditer(text):
        tok = m.group(0).rstrip("=")
        if REDACTED in tok or _UUID.match(tok) or re.fullmatch(r"[0-9a-fA-F\-]+", tok):
            continue
        if not (re.search(r"\d", tok) and re.search(r"[A-Za-z]", tok)) or ("/" in tok.strip("/") and tok.count("/") > 2):
            continue
        if re.search(r"[a-z]", tok) and re.search(r"[A-Z]", tok) and shannon_entropy(tok) >= ENTROPY_BITS:
            yield "high-entropy token", m.group(0)


def _b64decode(token: str) -> bytes | None:
    pad = token + "=" * (-len(token) % 4)
    try:
        raw = base64.b64decode(pad, altchars=b"-_" if "-" in token or "_" in token else None, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw[:MAX_DECODED]


def gunzip(data: bytes) -> bytes | None:
    """The decompressed bytes of gzip/zlib `data`, at most MAX_DECODED of them; None when not compressed."""
    if not data.startswith((b"\x1f\x8b", b"\x78\x9c", b"\x78\x01", b"\x78\xda")):
        return None
    try:
        d = zlib.decompressobj(zlib.MAX_WBITS | 32)
        return d.decompress(data, MAX_DECODED)
    except zlib.error:
        return None


def _text_of(raw: bytes) -> str | None:
    unz = gunzip(raw)
    if unz is not None:
        raw = unz
    text = raw.decode("utf-8", errors="replace")
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return text if text and printable >= 0.9 * len(text) else None


def decoded_views(text: str, *, depth: int = 2) -> Iterator[tuple[str, str]]:
    """(encoding, decoded text) for what `text` hides in base64 tokens, percent-encoding and
    form bodies (layer 3); nested encodings are followed `depth` levels."""
    if depth <= 0:
        return
    if "%" in text or "+" in text:
        plain = unquote_plus(text)
        if plain != text:
            yield "percent-encoded", plain
            yield from decoded_views(plain, depth=depth - 1)
    for m in _B64.finditer(text):
        raw = _b64decode(m.group(0))
        view = _text_of(raw) if raw else None
        if view:
            yield "base64", view
            yield from decoded_views(view, depth=depth - 1)


def form_fields(text: str) -> list[tuple[str, str]] | None:
    """The fields of a form-encoded body (`a=1&b=2`), or None when `text` is not one."""
    text = text.strip()
    if "=" not in text or not _FORM.match(text):
        return None
    return parse_qsl(text, keep_blank_values=True)


def find_secrets(text: str, *, entropy: bool = True) -> Iterator[tuple[str, str]]:
    """(what, matched text) for every secret in `text`: shapes, high-entropy tokens (unless
    `entropy` is False) and the same inside base64, gzip, percent and form encodings."""
    for what, pattern, _ in SHAPES:
        for m in pattern.finditer(text):
            yield what, m.group(0)
    if entropy:
        yield from high_entropy(text)
    for how, view in decoded_views(text):
        for what, found in find_secrets(view, entropy=False):
            yield f"{what} ({how})", found


def scrub_text(text: str, *, entropy: bool = True) -> str:
    """`text` with every secret replaced: shapes, encoded tokens that hide one, and (unless
    `entropy` is False) high-entropy tokens."""
    for _, pattern, replacement in SHAPES:
        text = pattern.sub(replacement, text)
    text = _B64.sub(lambda m: REDACTED if _hides_secret(m.group(0)) else m.group(0), text)
    text = _PCT.sub(lambda m: REDACTED if _pct_hides_secret(m.group(0)) else m.group(0), text)
    if entropy:
        for _, tok in sorted(set(high_entropy(text)), key=lambda p: -len(p[1])):
            text = text.replace(tok, REDACTED)
    return text


def _hides_secret(token: str) -> bool:
    raw = _b64decode(token)
    view = _text_of(raw) if raw else None
    return bool(view) and any(True for _ in find_secrets(view or "", entropy=False))


def _pct_hides_secret(token: str) -> bool:
    plain = unquote_plus(token)
    return plain != token and any(True for _ in find_secrets(plain, entropy=False))
