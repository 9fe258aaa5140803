"""Running the proxy: in the foreground (`replaylab proxy`) or in a thread (tests, bench).

with LocalProxy(ProxySettings(upstream=url, control_token=token)) as proxy:
    OpenAI(base_url=proxy.base_url, api_key="unused")...
    proxy.control.inject("latency", ms=200)
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from replaylab.models.asgi import LoopbackServer, bind_loopback
from replaylab.proxy.app import Proxy, ProxySettings
from replaylab.proxy.client import ControlClient
from replaylab.proxy.control import FaultBoard, ProxyScenario

__all__ = ["LocalProxy", "run_proxy"]

DEFAULT_PROXY_PORT = 8100


def _board(scenario: ProxyScenario | None) -> FaultBoard:
    board = FaultBoard()
    for spec in scenario.faults if scenario else []:
        board.add(spec)
    return board


def run_proxy(
    settings: ProxySettings,
    port: int = DEFAULT_PROXY_PORT,
    *,
    host: str = "127.0.0.1",
    scenario: ProxyScenario | None = None,
    log: bool = True,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the proxy until interrupted; `ready(base_url)` once the port is open."""
    proxy = Proxy(settings, board=_board(scenario))
    server = bind_loopback(proxy.app, host, port, limits=settings.limits, log=log)
    if ready is not None:
        ready(f"http://{host}:{server.port}/v1")
    try:
        server.serve_forever()
    finally:
        proxy.recorder.close()


class LocalProxy:
    """A proxy in a daemon thread on a free loopback port."""

    def __init__(self, settings: ProxySettings, *, scenario: ProxyScenario | None = None) -> None:
        self.proxy = Proxy(settings, board=_board(scenario))
        self._server: LoopbackServer | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LocalProxy is not running")
        return self._server.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def control(self) -> ControlClient:
        return ControlClient(f"http://127.0.0.1:{self.port}", token=self.proxy.settings.control_token)

    def __enter__(self) -> LocalProxy:
        self._server = bind_loopback(self.proxy.app, "127.0.0.1", 0, limits=self.proxy.settings.limits, log=False)
        self._server.start(name="replaylab-proxy")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.proxy.recorder.close()
        self.proxy._client = self.proxy._fast = None  # their connections belonged to the stopped event loop
