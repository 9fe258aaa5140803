"""Any OpenAI-compatible chat endpoint, called over HTTP: `openai:<remote-model>`.

    get_generator("openai:gemma-3-270m")   # POST {base_url}/chat/completions, model=gemma-3-270m

The endpoint and key come from the environment, never from code or traces:
`REPLAYLAB_OPENAI_BASE_URL` / `REPLAYLAB_OPENAI_API_KEY`, else `OPENAI_BASE_URL` /
`OPENAI_API_KEY`; without either the base URL is a local `replaylab serve`
(`http://127.0.0.1:8000/v1`); both are read at each call. Every call goes through one
httpx client (`_post`), the seam where vcrpy cassettes record and replay and where tests
plug a transport in.

    ReplaylabError
     ├── CassetteMiss      a call with no recording while the record mode is `none`
     └── ReplayFailed      connection refused, timeout, a non-200 answer, a malformed body
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from vcr.errors import CannotOverwriteExistingCassetteException

from replaylab.cassettes.profile import active_cassette, live_allowed, miss_from
from replaylab.errors import ConfigError, NetworkBlocked, ReplayFailed
from replaylab.models.base import GenerationRequest, GenerationResult, Generator
from replaylab.registry import register

BASE_URL_VARS = ("REPLAYLAB_OPENAI_BASE_URL", "OPENAI_BASE_URL")
API_KEY_VARS = ("REPLAYLAB_OPENAI_API_KEY", "OPENAI_API_KEY")
DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
TIMEOUT_S = 120.0


def endpoint_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """(base URL, API key or None) from the environment."""
    env = os.environ if environ is None else environ
    base = next((env[v] for v in BASE_URL_VARS if env.get(v)), DEFAULT_BASE_URL)
    key = next((env[v] for v in API_KEY_VARS if env.get(v)), None)
    return base.rstrip("/"), key


def _shown(url: str) -> str:
    """`url` without credentials in it (user:password@host), for messages and traces."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])) if "@" in parts.netloc else url


def _error_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return " ".join(response.text.split())[:200] or response.reason_phrase
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict) and err.get("message"):
        return str(err["message"])
    return str(err or data)[:200]


def _runtime(data: dict[str, Any]) -> dict[str, str]:
    """`system_fingerprint`, and a replaylab server's `replaylab_runtime` facts, as strings."""
    out: dict[str, str] = {}
    extra = data.get("replaylab_runtime")
    if isinstance(extra, dict):
        out.update({str(k): str(v) for k, v in extra.items() if isinstance(v, str | int | float)})
    if data.get("system_fingerprint"):
        out["system_fingerprint"] = str(data["system_fingerprint"])
    return out


@register("generator", "openai")
class OpenAIChat(Generator):
    """A remote model behind an OpenAI-compatible `/chat/completions` endpoint."""

    id: ClassVar[str] = "openai"
    alias: ClassVar[str] = "openai:<remote-model>"
    runtime: ClassVar[dict[str, str]] = {"backend": f"openai-compatible HTTP (httpx {httpx.__version__})"}

    def __init__(
        self,
        target: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = TIMEOUT_S,
    ) -> None:
        if not target:
            raise ConfigError("Model id 'openai:' needs the remote model's name, e.g. 'openai:gemma-3-270m'")
        self.target = target
        self._base_url = base_url
        self._api_key = api_key
        self._timeout = timeout
        self._transport = transport
        self._client = httpx.Client(timeout=timeout, transport=transport)

    @property
    def base_url(self) -> str:
        """The endpoint: given at construction, else read from the environment at each call."""
        return (self._base_url or endpoint_from_env()[0]).rstrip("/")

    def describe(self) -> dict[str, str]:
        return {"id": f"openai:{self.target}", "alias": self.target, "endpoint": _shown(self.base_url), **self.runtime}

    def payload(self, request: GenerationRequest) -> dict[str, Any]:
        """The JSON body of the call: the fields a cassette matches on."""
        s = request.sampling
        return {
            "model": self.target,
            "messages": [m.model_dump() for m in request.messages],
            "temperature": s.temperature,
            "top_p": s.top_p,
            "seed": s.seed,
            "max_tokens": s.max_tokens,
        }

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """The one network seam: every call leaves through here."""
        url = f"{self.base_url}{path}"
        shown = _shown(url)
        if active_cassette() is None and self._transport is None and self._base_url is None and not live_allowed():
            # the endpoint and key come from the environment: a sandbox command never sends them out
            raise NetworkBlocked(
                f"openai:{self.target}: no cassette holds this call and a sandbox replay never calls "
                f"{shown} live; re-run with --live to send it"
            )
        key = self._api_key if self._api_key is not None else endpoint_from_env()[1]
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        try:
            return self._client.post(url, json=body, headers=headers)
        except httpx.ConnectError:
            raise ReplayFailed(
                f"Cannot connect to {shown} (connection refused). Start one with "
                f"`replaylab serve --model NAME`, or set {BASE_URL_VARS[0]}"
            ) from None
        except httpx.TimeoutException:
            raise ReplayFailed(f"{shown} did not answer within {self._timeout:.0f} s") from None
        except httpx.HTTPError as exc:
            raise ReplayFailed(f"Call to {shown} failed: {type(exc).__name__}: {exc}") from None

    def generate(self, request: GenerationRequest) -> GenerationResult:
        try:
            response = self._post("/chat/completions", self.payload(request))
        except CannotOverwriteExistingCassetteException as exc:
            raise miss_from(exc) from None
        url = _shown(f"{self.base_url}/chat/completions")
        if response.status_code != 200:
            raise ReplayFailed(f"{url} answered {response.status_code}: {_error_message(response)}")
        try:
            data = response.json()
            choice = data["choices"][0]
            output = choice["message"].get("content") or ""
            usage = data.get("usage") or {}
            return GenerationResult(
                output=output,
                model_returned=str(data.get("model") or self.target),
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                finish_reason=str(choice.get("finish_reason") or "stop"),
                cassette=str(active_cassette()) if active_cassette() else None,
                runtime=_runtime(data),
            )
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ReplayFailed(
                f"{url} answered 200 with a body that is not a chat completion ({type(exc).__name__}: {exc})"
            ) from None
