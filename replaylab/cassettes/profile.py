"""The vcrpy profile: record modes, the chat-body matcher, scrubbers, the audit and the loader.

    with use_cassette(path, RecordMode.NONE):      # sandbox and CI: a miss is CassetteMiss
        get_generator("openai:gemma-3-270m").generate(request)

- A recording is matched on method, path and the request-body fields that decide the
  answer (`MATCH_FIELDS`), never on raw bytes, headers, host or port.
- Secrets are scrubbed at record time (`replaylab.cassettes.redaction`): credential headers and
  cookies are dropped, secret body keys and secret-shaped strings (`sk-...`, `Bearer ...`)
  become `<REDACTED>`; `audit(dir)` scans cassettes for secret-shaped text.
- Cassettes are read with vcrpy's safe YAML loader and validated: junk is one CassetteError
  (`replaylab.cassettes.cassette_file`, whose `CassetteFile`, `load_cassette` and
  `parse_cassette` are re-exported here).
- `working_copy(shipped)` copies a committed cassette into the workspace before
  `new_episodes` appends to it, so a demo never modifies what is committed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import vcr
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.request import Request
from vcr.serialize import deserialize, serialize

from replaylab.cassettes.cassette_file import CassetteFile, load_cassette, parse_cassette, read_cassette_text
from replaylab.cassettes.redaction import (
    REDACTED,
    Finding,
    audit,
    scrub_request,
    scrub_response,
    scrub_text,
)
from replaylab.errors import CassetteMiss, ConfigError
from replaylab.files import atomic_write_text
from replaylab.workspace import Workspace

__all__ = [
    "MATCH_FIELDS",
    "REDACTED",
    "CassetteFile",
    "CassetteUse",
    "Finding",
    "RecordMode",
    "active_cassette",
    "allow_live",
    "audit",
    "chat_body",
    "live_allowed",
    "load_cassette",
    "merge_cassettes",
    "miss_from",
    "parse_cassette",
    "parse_record_mode",
    "request_differences",
    "scrub_request",
    "scrub_response",
    "scrub_text",
    "use_cassette",
    "working_copy",
]

MATCH_FIELDS = ("model", "messages", "temperature", "top_p", "seed", "max_tokens", "stop")
"""The request-body fields that decide a chat completion's answer."""


class RecordMode(str, Enum):  # noqa: UP042 - str() of a member must stay its value in messages
    """When a cassette records. Checked at the edge with `parse_record_mode`."""

    NONE = "none"
    """Replay only; an unrecorded call is CassetteMiss, never a live call (sandbox, CI)."""
    NEW_EPISODES = "new_episodes"
    """Replay what is recorded; record each new request once and reuse it afterwards."""
    ONCE = "once"
    """Record into a cassette that does not exist yet; replay-only once it does."""
    ALL = "all"
    """Re-record every request (replacing matching recordings)."""


def parse_record_mode(value: RecordMode | str) -> RecordMode:
    """The RecordMode named by `value`, or ConfigError listing the valid ones."""
    try:
        return RecordMode(value)
    except ValueError:
        raise ConfigError(f"Unknown record mode {value!r}. Valid: {[m.value for m in RecordMode]}") from None


# ---- matching ---------------------------------------------------------------------------
def _fields(request: Request) -> dict[str, Any] | None:
    body = request.body
    if isinstance(body, bytes | str):
        try:
            data = json.loads(body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    return {} if body is None else None


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:39] + "…"


def _message_diff(new: Any, old: Any) -> str:
    if not isinstance(new, list) or not isinstance(old, list):
        return "messages"
    if len(new) != len(old):
        return f"messages ({len(old)} recorded, {len(new)} requested)"
    for i, (a, b) in enumerate(zip(new, old, strict=True)):
        if a != b:
            part = "content" if isinstance(a, dict) and isinstance(b, dict) and a.get("role") == b.get("role") else "role"
            return f"messages[{i}].{part}"
    return "messages"


def request_differences(new: Request, recorded: Request) -> list[str]:
    """What differs between a request and a recording, in the matched fields, in words."""
    diffs = []
    if new.method != recorded.method:
        diffs.append(f"method ({recorded.method} recorded, {new.method} requested)")
    if (new.path or "/") != (recorded.path or "/"):
        diffs.append(f"path ({recorded.path} recorded, {new.path} requested)")
    a, b = _fields(new), _fields(recorded)
    if a is None or b is None:
        if new.body != recorded.body:
            diffs.append("body (not a JSON object)")
        return diffs
    for name in MATCH_FIELDS:
        va, vb = a.get(name), b.get(name)
        if va != vb:
            diffs.append(_message_diff(va, vb) if name == "messages" else f"{name} ({_show(vb)} recorded, {_show(va)} requested)")
    return diffs


def chat_body(r1: Request, r2: Request) -> None:
    """vcrpy matcher: the decisive body fields are equal (method and path have their own)."""
    diffs = [d for d in request_differences(r1, r2) if not d.startswith(("method ", "path "))]
    if diffs:
        raise AssertionError("; ".join(diffs))


def miss_from(exc: CannotOverwriteExistingCassetteException) -> CassetteMiss:
    """vcrpy's refusal turned into CassetteMiss naming the closest recording and what differs."""
    cassette = exc.cassette
    request = exc.failed_request
    path = cassette.path
    body = _fields(request) or {}
    what = f"{request.method} {request.path}" + (f" (model={body['model']!r})" if "model" in body else "")
    mode = getattr(cassette.record_mode, "value", cassette.record_mode)
    recorded = [r for r, _ in cassette.data]
    if not recorded:
        where = "no cassette at" if not Path(path).exists() else "nothing recorded in"
        return CassetteMiss(
            f"No recorded call matches {what}: {where} {path} (record mode {mode!r}); "
            "no live call was made.\nRecord it first with record mode 'new_episodes'."
        )
    ranked = sorted(enumerate(recorded, 1), key=lambda p: len(request_differences(request, p[1])))
    n, closest = ranked[0]
    fields = ", ".join(request_differences(request, closest)) or "nothing (already played)"
    return CassetteMiss(
        f"No recorded call matches {what} in {path} (record mode {mode!r}); "
        f"closest recording differs in: {fields}.\n"
        f"Closest is recording #{n} of {len(recorded)}; no live call was made. Replay with the recorded "
        "values, or record the new request with record mode 'new_episodes'."
    )


class _Persister:
    """vcrpy persister: validates before loading (junk is never treated as empty and
    overwritten) and writes atomically."""

    @classmethod
    def load_cassette(cls, cassette_path: str, serializer: Any) -> Any:
        path = Path(cassette_path)
        if not path.is_file():
            raise CassetteNotFoundError()
        text = read_cassette_text(path)
        if not text.strip():
            raise CassetteNotFoundError()
        parse_cassette(text, path)
        return deserialize(text, serializer)

    @staticmethod
    def save_cassette(cassette_path: str, cassette_dict: dict[str, Any], serializer: Any) -> None:
        atomic_write_text(Path(cassette_path), serialize(cassette_dict, serializer))


_VCR = vcr.VCR(
    serializer="yaml",
    match_on=("method", "path", "chat_body"),
    before_record_request=scrub_request,
    before_record_response=scrub_response,
    decode_compressed_response=True,
)
_VCR.register_matcher("chat_body", chat_body)
_VCR.register_persister(_Persister)
_ACTIVE: ContextVar[Path | None] = ContextVar("replaylab_cassette", default=None)


def active_cassette() -> Path | None:
    """The cassette the current context replays from or records into, if any."""
    return _ACTIVE.get()


_LIVE: ContextVar[bool] = ContextVar("replaylab_live_calls", default=False)


def live_allowed() -> bool:
    """Whether a provider call with no cassette may go out live (only inside `allow_live()`)."""
    return _LIVE.get()


@contextmanager
def allow_live() -> Iterator[None]:
    """Let provider calls in the block go out live: `run`, and the commands given `--live`.
    Everywhere else a call with no active cassette is refused (NetworkBlocked): a sandbox
    command never sends the user's key anywhere."""
    token = _LIVE.set(True)
    try:
        yield
    finally:
        _LIVE.reset(token)


@dataclass
class CassetteUse:
    """What one `use_cassette` block did."""

    path: Path
    mode: RecordMode
    _cassette: Any = None

    @property
    def played(self) -> int:
        """Calls answered from the recording."""
        return int(self._cassette.play_count) if self._cassette is not None else 0

    @property
    def recorded(self) -> int:
        """Interactions held (loaded plus newly recorded)."""
        return len(self._cassette) if self._cassette is not None else 0


def _vcr_refusal(exc: BaseException | None) -> CannotOverwriteExistingCassetteException | None:
    seen = set()
    while exc is not None and id(exc) not in seen:  # clients (openai) wrap transport errors
        if isinstance(exc, CannotOverwriteExistingCassetteException):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


@contextmanager
def use_cassette(path: Path | str, mode: RecordMode | str = RecordMode.NONE) -> Iterator[CassetteUse]:
    """Replay (and, by `mode`, record) every httpx call in the block against `path`.

    An existing cassette is validated first (CassetteError for junk); an unrecorded call in
    mode `none` raises CassetteMiss naming the closest recording and the fields that differ.
    """
    mode = parse_record_mode(mode)
    path = Path(path)
    if path.is_file() and path.stat().st_size:
        load_cassette(path)
    use = CassetteUse(path=path, mode=mode)
    token = _ACTIVE.set(path)
    try:
        with _VCR.use_cassette(str(path), record_mode=mode.value, allow_playback_repeats=True) as cassette:
            use._cassette = cassette
            yield use
    except Exception as exc:
        refusal = _vcr_refusal(exc)
        if refusal is None:
            raise
        raise miss_from(refusal) from None
    finally:
        _ACTIVE.reset(token)


def merge_cassettes(paths: list[Path], *, ws: Workspace | None = None) -> Path:
    """One workspace cassette holding the interactions of several (for replaying traces recorded
    into different cassettes in one block); content-addressed, written atomically."""
    for p in paths:
        load_cassette(p)  # validated first: junk is one CassetteError
    digest = hashlib.sha256(b"".join(Path(p).read_bytes() for p in paths)).hexdigest()[:12]
    dest = (ws or Workspace.default()).root / "cassettes" / f"merged-{digest}.yaml"
    if not dest.exists():
        merged = {"version": 1, "interactions": [i for p in paths for i in yaml.safe_load(Path(p).read_text())["interactions"]]}
        dest.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(dest, yaml.safe_dump(merged, sort_keys=False, allow_unicode=True))
    return dest


def working_copy(shipped: Path | str, *, ws: Workspace | None = None) -> Path:
    """A copy of a committed cassette in the workspace, for `new_episodes` to append to.

    Keyed by the shipped file's content, so re-recording the shipped cassette starts a fresh
    copy, while the episodes a demo appends are kept across runs.
    """
    shipped = Path(shipped)
    ws = ws or Workspace.default()
    if shipped.is_file():
        load_cassette(shipped)
        digest = hashlib.sha256(shipped.read_bytes()).hexdigest()[:12]
    else:
        digest = "new"
    dest = ws.root / "cassettes" / f"{shipped.parent.name}-{shipped.stem}-{digest}{shipped.suffix or '.yaml'}"
    if shipped.is_file() and not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        shutil.copyfile(shipped, tmp)
        tmp.replace(dest)
    return dest
