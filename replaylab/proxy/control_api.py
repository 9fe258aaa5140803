"""The proxy's control API: turn faults on and off at runtime, read recent traffic.

Loopback clients only, and every call carries the proxy's control token
(`Authorization: Bearer TOKEN` or `X-Replaylab-Token: TOKEN`); otherwise 403 / 401.

    GET    /_replaylab/catalog          every registered proxy fault with its JSON Schema
    GET    /_replaylab/faults           the rules that are on, with their hit counts
    POST   /_replaylab/faults           turn one on: a FaultSpec body -> 201 and the rule
    DELETE /_replaylab/faults/{id}      turn one off (404 if it is not on)
    DELETE /_replaylab/faults           turn every one off
    GET    /_replaylab/recent?n=50      the latest exchanges (ExchangeRecord), oldest first
    POST   /_replaylab/flush            wait until every recording is on disk
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import anyio
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from replaylab.errors import ConfigError, error_where
from replaylab.models.chat_api import ApiError
from replaylab.models.server import Handler, json_errors
from replaylab.proxy.control import FaultSpec, fault_catalog

if TYPE_CHECKING:
    from replaylab.proxy.app import Proxy

__all__ = ["CONTROL_PREFIX", "TOKEN_HEADER", "control_routes"]

CONTROL_PREFIX = "/_replaylab"
TOKEN_HEADER = "x-replaylab-token"
_LOOPBACK_CLIENTS = ("127.0.0.1", "::1", "localhost", "testclient")


def _authorize(request: Request, token: str) -> None:
    host = request.client.host if request.client else ""
    if host not in _LOOPBACK_CLIENTS:
        raise ApiError(403, "The control API answers loopback clients only", kind="permission_error", code="forbidden")
    given = request.headers.get(TOKEN_HEADER) or request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not given or not secrets.compare_digest(given.encode(), token.encode()):
        raise ApiError(401, "Missing or wrong control token", kind="authentication_error", code="invalid_token")


def _fault_spec(body: bytes) -> FaultSpec:
    """The fault a POST asks for, or a 400 naming the first invalid field."""
    try:
        return FaultSpec.model_validate_json(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ApiError(400, f"Invalid fault: {error_where(err['loc']) or 'body'}: {err['msg']}") from None


def control_routes(proxy: Proxy) -> list[Route]:
    """The control API's routes for `proxy`."""
    token = proxy.settings.control_token

    def guarded(handler: Handler) -> Handler:
        async def run(request: Request) -> Response:
            _authorize(request, token)
            return await handler(request)

        return json_errors(run)

    async def catalog(request: Request) -> Response:
        return JSONResponse({"faults": fault_catalog()})

    async def list_faults(request: Request) -> Response:
        return JSONResponse({"faults": [r.summary() for r in proxy.board.rules()]})

    async def add_fault(request: Request) -> Response:
        spec = _fault_spec(await request.body())
        try:
            rule = proxy.board.add(spec)
        except ConfigError as exc:
            raise ApiError(400, str(exc), param="fault") from None
        return JSONResponse(rule.summary(), status_code=201)

    async def remove_fault(request: Request) -> Response:
        rid = request.path_params["rid"]
        rule = proxy.board.remove(rid)
        if rule is None:
            on = [r.id for r in proxy.board.rules()]
            raise ApiError(404, f"No fault {rid!r} is on. On: {on}", code="not_found")
        return JSONResponse({"removed": [rule.id]})

    async def clear(request: Request) -> Response:
        return JSONResponse({"removed": proxy.board.clear()})

    async def recent(request: Request) -> Response:
        raw = request.query_params.get("n", "100")
        if not raw.isdigit():
            raise ApiError(400, f"n={raw[:20]!r} is not a count", param="n")
        records = await anyio.to_thread.run_sync(proxy.recorder.recent, int(raw))  # waits for the writer thread
        return JSONResponse({"exchanges": [r.model_dump(mode="json") for r in records]})

    async def flush(request: Request) -> Response:
        await anyio.to_thread.run_sync(proxy.recorder.flush)
        return JSONResponse({"failures": proxy.recorder.failures[-20:]})

    p = CONTROL_PREFIX
    return [
        Route(f"{p}/catalog", guarded(catalog)),
        Route(f"{p}/faults", guarded(list_faults), methods=["GET"]),
        Route(f"{p}/faults", guarded(add_fault), methods=["POST"]),
        Route(f"{p}/faults", guarded(clear), methods=["DELETE"]),
        Route(f"{p}/faults/{{rid}}", guarded(remove_fault), methods=["DELETE"]),
        Route(f"{p}/recent", guarded(recent)),
        Route(f"{p}/flush", guarded(flush), methods=["POST"]),
    ]
