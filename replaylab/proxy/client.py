"""A small client of the proxy's control API (used by the Chaos Toolkit extension and tests).

control = ControlClient("http://127.0.0.1:8100", token=token)
control.inject("latency", ms=300, rate=0.5)      # -> the rule id
control.remove("latency")
control.recent(50)                               # ExchangeRecord list
"""

from __future__ import annotations

from typing import Any

import httpx

from replaylab.errors import ConfigError, ReplayFailed
from replaylab.proxy.control_api import CONTROL_PREFIX, TOKEN_HEADER
from replaylab.proxy.recorder import ExchangeRecord

__all__ = ["ControlClient"]


class ControlClient:
    """Calls `/_replaylab/...` on a running proxy; any refusal is one ReplaylabError line."""

    def __init__(self, url: str, *, token: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/").removesuffix("/v1") + CONTROL_PREFIX
        self._headers = {TOKEN_HEADER: token}
        self._timeout = timeout

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            resp = httpx.request(method, self.url + path, headers=self._headers, timeout=self._timeout, **kw)
        except httpx.HTTPError as exc:
            raise ReplayFailed(f"Cannot reach the proxy control API at {self.url}: {type(exc).__name__}") from None
        if resp.status_code >= 400:
            try:
                message = resp.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = resp.text[:200]
            error = ConfigError if resp.status_code in (400, 404) else ReplayFailed
            raise error(f"Proxy control {method} {path}: {resp.status_code} {message}")
        return resp.json()

    def inject(
        self, fault: str, *, rate: float = 1.0, sessions: list[str] | None = None, rule_id: str | None = None, **params: Any
    ) -> str:
        """Turn a fault on; returns the rule id."""
        spec = {"fault": fault, "params": params, "rate": rate, "sessions": sessions or [], "id": rule_id}
        return str(self._call("POST", "/faults", json=spec)["id"])

    def remove(self, rule_id: str | None = None) -> list[str] | int:
        """Turn one fault off (by rule id), or every fault (None)."""
        if rule_id is None:
            return int(self._call("DELETE", "/faults")["removed"])
        return list(self._call("DELETE", f"/faults/{rule_id}")["removed"])

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/faults")["faults"])

    def catalog(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/catalog")["faults"])

    def recent(self, n: int = 100) -> list[ExchangeRecord]:
        return [ExchangeRecord.model_validate(e) for e in self._call("GET", "/recent", params={"n": n})["exchanges"]]

    def flush(self) -> list[str]:
        return list(self._call("POST", "/flush")["failures"])
