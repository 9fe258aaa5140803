"""A staging stack on loopback and a Chaos Toolkit experiment run against it.

    with staging_stack(record_dir=tmp) as urls:        # model server -> proxy -> example app
        ...
    outcome = run_experiment(Path("scenarios/staging/instruction-conflict.json"), journal=...)

The stack is `replaylab serve` (the sandbox reader by default) as the upstream, the proxy in
front of it, and the example RAG app (real MiniLM + FAISS) pointed at the proxy. The
experiment runs in the real `chaos` CLI with the proxy URL, app URL and (as a secret) the
control token in its environment, rollbacks always played, and its journal kept.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from pydantic import BaseModel

from replaylab.errors import ConfigError, ReplayFailed
from replaylab.models.server import LocalEndpoint
from replaylab.proxy.app import ProxySettings
from replaylab.proxy.example_app import ExampleApp
from replaylab.proxy.runner import LocalProxy

__all__ = ["DrillOutcome", "StagingUrls", "chaos_binary", "run_experiment", "staging_stack"]

ENV = {"proxy": "REPLAYLAB_PROXY_URL", "app": "REPLAYLAB_APP_URL", "token": "REPLAYLAB_PROXY_TOKEN"}
CHAOS_PIP = "pip install chaostoolkit"
SWAP_MODELS = ("sandbox-reader-1.1", "sandbox-reader-mini")
"""Served next to the app's model, so `silent-model-change` has versions to swap in."""


class StagingUrls(BaseModel):
    """Where the staging stack listens."""

    upstream: str
    """The model server's base URL."""
    proxy: str
    """The proxy's root URL (its OpenAI base URL is this + /v1; control API under /_replaylab)."""
    app: str
    """The example app's root URL."""
    token: str
    """The proxy's control token."""

    def env(self) -> dict[str, str]:
        return {ENV["proxy"]: self.proxy, ENV["app"]: self.app, ENV["token"]: self.token}


class DrillOutcome(BaseModel):
    """What one experiment run ended with."""

    exit_code: int
    """The chaos CLI's exit code (0 completed, 1 deviated or failed)."""
    status: str
    """The journal's status: completed, failed, aborted, interrupted."""
    deviated: bool
    """The steady state did not hold after the method."""
    journal: Path
    """The journal file."""
    rollbacks: int
    """Rollback activities played."""


@contextmanager
def staging_stack(
    *, model: str = "sandbox-reader-1.0", also_serve: tuple[str, ...] = SWAP_MODELS, record_dir: Path | None = None
) -> Iterator[StagingUrls]:
    """Upstream model server (`model` and the versions a silent change may swap in), proxy and
    example app, each on a free loopback port; warmed up."""
    token = secrets.token_urlsafe(24)
    with (
        LocalEndpoint(list(dict.fromkeys([model, *also_serve]))) as upstream,
        LocalProxy(ProxySettings(upstream=upstream, control_token=token, record_dir=record_dir)) as proxy,
        ExampleApp(llm_base_url=proxy.base_url, model=model) as app_url,
    ):
        # the first question builds (or loads) the index snapshot and loads MiniLM
        warm = httpx.post(f"{app_url}/ask", json={"question": "warm-up", "session_id": "warm-up"}, timeout=300)
        if warm.status_code != 200:
            raise ReplayFailed(f"The staging app did not answer its warm-up question: {warm.status_code} {warm.text[:200]}")
        yield StagingUrls(upstream=upstream, proxy=f"http://127.0.0.1:{proxy.port}", app=app_url, token=token)


def chaos_binary() -> str:
    """The `chaos` CLI next to this Python, else on PATH."""
    local = Path(sys.executable).parent / "chaos"
    found = str(local) if local.is_file() else shutil.which("chaos")
    if found is None:
        raise ConfigError(f"The Chaos Toolkit CLI `chaos` is not installed. Run: {CHAOS_PIP}")
    return found


def run_experiment(experiment: Path, *, urls: StagingUrls, journal: Path, timeout_s: float = 600) -> DrillOutcome:
    """Run `experiment` with the real `chaos` CLI against `urls`; rollbacks are always played."""
    if not experiment.is_file():
        raise ConfigError(f"No experiment file {experiment}")
    journal.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        chaos_binary(), "--no-version-check", "--log-file", str(journal.with_suffix(".log")), "run",
        "--rollback-strategy", "always", "--journal-path", str(journal), str(experiment),
    ]  # fmt: skip
    env = {**os.environ, **urls.env(), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ReplayFailed(f"The experiment {experiment} did not finish within {timeout_s:g} s") from None
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ReplayFailed(f"chaos wrote no journal for {experiment} (exit {done.returncode}): {tail[0]}") from None
    return DrillOutcome(
        exit_code=done.returncode,
        status=str(data.get("status")),
        deviated=bool(data.get("deviated")),
        journal=journal,
        rollbacks=len(data.get("rollbacks") or []),
    )
