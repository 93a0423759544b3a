"""What every route of the dashboard's API shares: the application's keys, the route table's
row, JSON answers and errors, the session token, the role guard, and query parameters.

A route with ``roles=None`` is public (sign-in, the OpenAPI document); every other route runs
:func:`guard`: no valid session token is 401, a role outside ``roles`` is 403.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web

from contracts.languages import Lang
from dashboard import agreement_view, auth
from dashboard.auth import Principal
from dashboard.db import Database, DatabaseUnavailable
from dashboard.live import Live
from dashboard.metrics import HttpMetrics

log = structlog.get_logger(__name__)

COOKIE = "liudong_session"
ANY_ROLE = frozenset(auth.ROLES)
REGION_ONLY = frozenset({"region"})
PERSON_KEY = re.compile(r"^[0-9a-f]{64}$")
MAX_LIMIT = 500

DB_KEY = web.AppKey("db", Database)
LIVE_KEY = web.AppKey("live", Live)
REGION_KEY = web.AppKey("region", str)
HTTP_METRICS_KEY = web.AppKey("http_metrics", HttpMetrics)
AGREEMENTS_KEY = web.AppKey("agreements", agreement_view.Agreements)
SESSION_TTL_KEY = web.AppKey("session_ttl", dt.timedelta)
PRINCIPAL = web.RequestKey("principal", Principal)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    roles: frozenset[str] | None  # None: public
    summary: str


def json_response(body: Any, status: int = 200) -> web.Response:
    text = json.dumps(body, ensure_ascii=False, default=str)
    return web.Response(
        text=text,
        status=status,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def error(status: int, code: str, message: str) -> web.Response:
    return json_response({"error": code, "message": message}, status)


def token_of(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def principal(request: web.Request) -> Principal:
    return request[PRINCIPAL]


def guard(route: Route) -> Handler:
    roles = route.roles

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            if roles is not None:
                token = token_of(request)
                if token is None:
                    return error(401, "unauthenticated", "sign in first")
                async with request.app[DB_KEY].connection() as conn:
                    who = await auth.principal_for(conn, token)
                if who is None:
                    return error(401, "unauthenticated", "session expired or unknown")
                if who.role not in roles:
                    return error(403, "forbidden", f"role {who.role} may not use this route")
                request[PRINCIPAL] = who
            return await route.handler(request)
        except DatabaseUnavailable as exc:
            return error(503, "database_unavailable", str(exc))

    return guarded


def query_int(request: web.Request, name: str, default: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) > high:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "bad_request", "message": f"{name} must be 0..{high}"}),
            content_type="application/json",
        )
    return int(raw)


def query_lang(request: web.Request) -> Lang:
    return "en" if request.query.get("lang") == "en" else "zh"
