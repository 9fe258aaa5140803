"""Which faults are on, and which requests they hit: fault rules, the board, scenario files.

    board = FaultBoard()
    rule = board.add(FaultSpec(fault="latency", params={"ms": 200}, rate=0.5))
    board.picks(exchange)      # the rules that hit this request
    board.remove(rule.id)

A rule hits a request when the request's session id is one of its `sessions` (if it names
any) and a hash of (rule id, request number) falls under its `rate`: the same traffic is hit
the same way on every run. A scenario file (`replaylab proxy --scenario FILE`) is YAML or
JSON holding `faults:` — the rules on from the start.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from replaylab.errors import ConfigError, UnknownPlugin, error_where
from replaylab.proxy.faults import Exchange, ProxyFault
from replaylab.registry import items, lookup

__all__ = ["FaultBoard", "FaultRule", "FaultSpec", "ProxyScenario", "fault_catalog", "load_proxy_scenario"]


class FaultSpec(BaseModel):
    """One fault to turn on: what the control API takes and a scenario file lists."""

    model_config = ConfigDict(extra="forbid")
    fault: str
    """A registered proxy fault (`replaylab proxy --list-faults`)."""
    params: dict[str, Any] = {}
    """The fault's configuration (its fields; see its JSON Schema)."""
    rate: float = Field(1.0, ge=0.0, le=1.0)
    """Share of the selected requests hit (deterministic per request number)."""
    sessions: list[str] = []
    """Only requests of these session ids (empty: every session)."""
    id: str | None = None
    """A name to remove it by (default: the fault name, numbered if taken)."""


class FaultRule(BaseModel):
    """A fault that is on."""

    id: str
    """What removes it."""
    spec: FaultSpec
    """What was asked for."""
    fault: ProxyFault
    """The configured fault."""
    hits: int = 0
    """Requests it has hit so far."""

    def selects(self, ex: Exchange) -> bool:
        if self.spec.sessions and ex.session not in self.spec.sessions:
            return False
        if self.spec.rate >= 1.0:
            return True
        h = int.from_bytes(hashlib.sha256(f"{self.id}:{ex.seq}".encode()).digest()[:8], "big")
        return h / 2**64 < self.spec.rate

    def summary(self) -> dict[str, Any]:
        return {**self.spec.model_dump(), "id": self.id, "hits": self.hits, "layer": type(self.fault).layer}


def build_fault(spec: FaultSpec) -> ProxyFault:
    """The configured fault of `spec`; an unknown name or bad params is one ConfigError."""
    try:
        cls = lookup("proxy_fault", spec.fault)
    except UnknownPlugin as exc:
        raise ConfigError(str(exc)) from None
    try:
        fault: ProxyFault = cls.model_validate(spec.params)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"Fault {spec.fault!r}: {error_where(err['loc']) or 'params'}: {err['msg']}") from None
    return fault


class FaultBoard:
    """The rules that are on; safe to use from the event loop and from other threads."""

    def __init__(self) -> None:
        self._rules: dict[str, FaultRule] = {}
        self._lock = threading.Lock()

    def add(self, spec: FaultSpec) -> FaultRule:
        fault = build_fault(spec)
        with self._lock:
            rid = spec.id or spec.fault
            if spec.id is None:
                n = 2
                while rid in self._rules:
                    rid, n = f"{spec.fault}-{n}", n + 1
            rule = FaultRule(id=rid, spec=spec, fault=fault)
            self._rules[rid] = rule  # an explicit id replaces the rule of that id
        return rule

    def remove(self, rid: str) -> FaultRule | None:
        with self._lock:
            return self._rules.pop(rid, None)

    def clear(self) -> int:
        with self._lock:
            n = len(self._rules)
            self._rules.clear()
        return n

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules.values())

    def picks(self, ex: Exchange) -> list[FaultRule]:
        """The rules that hit `ex`, in the order they were turned on (their hit counts go up)."""
        with self._lock:
            hit = [r for r in self._rules.values() if r.selects(ex)]
            for r in hit:
                r.hits += 1
        return hit


class ProxyScenario(BaseModel):
    """A proxy scenario file: the faults on from the start."""

    model_config = ConfigDict(extra="forbid")
    description: str = ""
    """What the scenario drills."""
    faults: list[FaultSpec] = []
    """The rules turned on when the proxy starts."""


def load_proxy_scenario(path: Path) -> ProxyScenario:
    """Read a proxy scenario (YAML or JSON); any problem is one ConfigError line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read proxy scenario {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"Proxy scenario {path} is not valid YAML/JSON: {str(exc).splitlines()[0]}") from None
    try:
        scenario = ProxyScenario.model_validate(data or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"Proxy scenario {path} is invalid: {error_where(err['loc']) or 'top level'}: {err['msg']}") from None
    for spec in scenario.faults:
        build_fault(spec)  # every fault checked before the proxy starts
    return scenario


def fault_catalog() -> list[dict[str, Any]]:
    """Every registered proxy fault: name, layer, what it does, its JSON Schema."""
    return [
        {"name": name, "layer": cls.layer, "doc": (cls.__doc__ or "").strip().split("\n")[0], "schema": cls.model_json_schema()}
        for name, cls in items("proxy_fault")
    ]
