"""The JSON API and the event stream; every route declares the roles it admits.

``ROUTES`` is the single table the server registers and the OpenAPI document describes. A
route with ``roles=None`` is public (sign-in, the OpenAPI document); every other route runs
``guard``: no valid session token is 401, a role outside ``roles`` is 403.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web

from contracts import periods as periods_module
from contracts.languages import Lang
from contracts.league import SCOPES
from contracts.words import catalog as word_catalog
from dashboard import (
    agreement_view,
    audited_reads,
    auth,
    campaign_view,
    dead_letter_view,
    figures,
    flows,
    worklist,
)
from dashboard.auth import Principal
from dashboard.db import Database, DatabaseUnavailable
from dashboard.live import Live
from dashboard.metrics import HttpMetrics
from dashboard.names import names

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


# --- sign-in -------------------------------------------------------------------------------------


async def login(request: web.Request) -> web.StreamResponse:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error(400, "bad_request", 'send JSON: {"username": ..., "password": ...}')
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) for k in ("username", "password")
    ):
        return error(400, "bad_request", "username and password are required strings")
    async with request.app[DB_KEY].connection() as conn:
        who = await auth.authenticate(conn, body["username"], body["password"])
        if who is None:
            log.info("dashboard_login_refused", username=body["username"][:64])
            return error(401, "bad_credentials", "unknown user or wrong password")
        ttl = request.app[SESSION_TTL_KEY]
        token = await auth.open_session(conn, who, ttl)
    log.info("dashboard_login", username=who.username, role=who.role)
    known = names([who.county] if who.county else [])
    response = json_response({**who.as_json(), "names": known, "token": token})
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="Strict", path="/", max_age=int(ttl.total_seconds())
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    token = token_of(request)
    if token is not None:
        async with request.app[DB_KEY].connection() as conn:
            await auth.close_session(conn, token)
    response = web.Response(status=204)
    response.del_cookie(COOKIE, path="/")
    return response


async def session(request: web.Request) -> web.StreamResponse:
    """Whether the request carries a live session (the page asks before showing sign-in)."""
    token = token_of(request)
    who = None
    if token is not None:
        async with request.app[DB_KEY].connection() as conn:
            who = await auth.principal_for(conn, token)
    if who is None:
        return json_response({"signed_in": False})
    known = names([who.county] if who.county else [])
    return json_response({"signed_in": True, **who.as_json(), "names": known})


async def me(request: web.Request) -> web.StreamResponse:
    who = principal(request)
    return json_response({**who.as_json(), "names": names([who.county] if who.county else [])})


# --- views ---------------------------------------------------------------------------------------


async def summary(request: web.Request) -> web.StreamResponse:
    return json_response(await request.app[LIVE_KEY].summary(principal(request)))


async def _read(request: web.Request, fn: Callable[[Any, Principal], Awaitable[Any]]) -> Any:
    async with request.app[DB_KEY].connection() as conn:
        return await fn(conn, principal(request))


async def flow_pairs(request: web.Request) -> web.StreamResponse:
    who = principal(request)
    try:
        q = flows.FlowQuery.of(request.query, flows.default_level(who))
    except flows.FlowError as exc:
        return error(400, "bad_request", str(exc))
    async with request.app[DB_KEY].connection() as conn:
        return json_response(await flows.flows(conn, who, q))


def _int(request: web.Request, name: str, default: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) > high:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "bad_request", "message": f"{name} must be 0..{high}"}),
            content_type="application/json",
        )
    return int(raw)


def _lang(request: web.Request) -> Lang:
    return "en" if request.query.get("lang") == "en" else "zh"


async def obligations(request: web.Request) -> web.StreamResponse:
    try:
        wanted = worklist.Filter.of(request.query)
    except worklist.FilterError as exc:
        return error(400, "bad_request", str(exc))
    limit = _int(request, "limit", worklist.PAGE, worklist.MAX_PAGE)
    offset = _int(request, "offset", 0, 10**9)
    who = principal(request)
    async with request.app[DB_KEY].connection() as conn:
        clock = await figures.logical_clock(conn)
        counts = await figures.obligation_counts(conn, who, clock)
        body = await worklist.page(conn, who, wanted, clock, limit, offset)
    codes = {
        c for r in body["items"] for c in (r["responsible_county"], r["counterpart_county"]) if c
    }
    if wanted.county:
        codes.add(wanted.county)
    return json_response(
        {
            **body,
            "state": wanted.state,
            "counts": counts,
            "limit": limit,
            "offset": offset,
            "names": names(codes),
        }
    )


async def obligations_csv(request: web.Request) -> web.StreamResponse:
    try:
        wanted = worklist.Filter.of(request.query)
    except worklist.FilterError as exc:
        return error(400, "bad_request", str(exc))
    who = principal(request)
    async with request.app[DB_KEY].connection() as conn:
        clock = await figures.logical_clock(conn)
        text = await worklist.export(conn, who, wanted, clock, _lang(request))
    stamp = "" if clock is None else f"-{clock:%Y%m%d}"
    return web.Response(
        body=text.encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="obligations-{wanted.state}{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


async def case(request: web.Request) -> web.StreamResponse:
    person_key = request.match_info["person_key"]
    if not PERSON_KEY.match(person_key):
        return error(400, "bad_request", "a person key is 64 lowercase hex characters")
    who = principal(request)
    async with (
        request.app[DB_KEY].connection() as conn,
        audited_reads.case_read(conn, who, person_key) as read,
    ):
        allowed = await figures.is_party(conn, who, person_key)
        timeline = await figures.case_timeline(conn, person_key) if allowed else None
        outcome = "denied" if not allowed else ("not_found" if timeline is None else "read")
        if not allowed:
            read.command = audited_reads.CASE_DENIED
        read.rows = 0 if timeline is None else len(timeline["events"])
    log.info("dashboard_case_read", username=who.username, outcome=outcome)
    if not allowed:
        return error(403, "forbidden", "your county is not party to this case")
    if timeline is None:
        return error(404, "not_found", "no such case")
    codes: set[str] = {e["source_county"] for e in timeline["events"]}
    for o in timeline["obligations"]:
        codes.update(c for c in (o["responsible_county"], o["counterpart_county"]) if c)
    return json_response({**timeline, "names": names(codes)})


async def campaigns(request: web.Request) -> web.StreamResponse:
    who = principal(request)
    async with request.app[DB_KEY].connection() as conn:
        clock = await figures.logical_clock(conn)
        listed = await campaign_view.campaigns(conn, who, clock)
    codes = {c for x in listed for c in x.get("counties") or []}
    return json_response(
        {"clock": figures.jsonable(clock), "campaigns": listed, "names": names(codes)}
    )


async def campaign_tasks(request: web.Request) -> web.StreamResponse:
    campaign_id = request.match_info["campaign_id"]
    if not campaign_view.valid_id(campaign_id):
        return error(400, "bad_request", "not a campaign id")
    county = request.query.get("county") or None
    if county is not None and not re.match(r"^[0-9]{6}$", county):
        return error(400, "bad_request", "county must be a 6-digit county code")
    limit = _int(request, "limit", campaign_view.TASK_PAGE, MAX_LIMIT)
    offset = _int(request, "offset", 0, 10**9)
    who = principal(request)
    async with request.app[DB_KEY].connection() as conn:
        clock = await figures.logical_clock(conn)
        body = await campaign_view.tasks(conn, who, campaign_id, county, clock, limit, offset)
    if body is None:
        return error(404, "not_found", f"no campaign {campaign_id} in your scope")
    return json_response(body)


async def scorecards(request: web.Request) -> web.StreamResponse:
    scope = request.query.get("scope", "region")
    if scope not in SCOPES:
        return error(400, "bad_request", f"scope must be one of {', '.join(SCOPES)}")
    period = request.query.get("period") or None
    if period is not None:
        try:
            periods_module.parse(period)
        except periods_module.PeriodError as exc:
            return error(400, "bad_request", str(exc))
    limit = _int(request, "limit", figures.LEAGUE_PAGE, MAX_LIMIT)
    offset = _int(request, "offset", 0, 10**9)
    region = request.app[REGION_KEY]
    async with request.app[DB_KEY].connection() as conn:
        body = await figures.scorecards(
            conn,
            region=region,
            scope="all" if scope == "all" else "region",
            period=period,
            offset=offset,
            limit=limit,
        )
    return json_response({**body, "names": names(r["county"] for r in body["table"])})


async def coverage(request: web.Request) -> web.StreamResponse:
    which = request.query.get("which", "region")
    if which not in SCOPES:
        return error(400, "bad_request", f"which must be one of {', '.join(SCOPES)}")
    sort = request.query.get("sort", "worst")
    if sort not in flows.SORTS:
        return error(400, "bad_request", f"sort must be one of {', '.join(flows.SORTS)}")
    limit = _int(request, "limit", flows.COVERAGE_PAGE, MAX_LIMIT)
    offset = _int(request, "offset", 0, 10**9)
    who = principal(request)
    async with request.app[DB_KEY].connection() as conn:
        body = await figures.coverage(conn, who)
        rows = await figures.coverage_rows(conn, who)
    page = flows.county_page(
        rows,
        region=request.app[REGION_KEY],
        which="all" if which == "all" or not who.sees_all else "region",
        sort=sort,
        offset=offset,
        limit=limit,
    )
    codes = {r["scope"] for r in page["items"]} | set(page["groups"].values())
    return json_response({**body, "page": page, "names": names(codes)})


async def dead_letters(request: web.Request) -> web.StreamResponse:
    reason = request.query.get("reason") or None
    if reason is not None and not re.match(r"^[a-z_]{1,64}$", reason):
        return error(400, "bad_request", "reason must be a reason code")
    limit = _int(request, "limit", dead_letter_view.PAGE, MAX_LIMIT)
    offset = _int(request, "offset", 0, 10**9)
    async with request.app[DB_KEY].connection() as conn:
        body = await dead_letter_view.summary(conn)
        page = await dead_letter_view.page(conn, reason, limit, offset)
    codes = {i["claimed"]["county"] for i in page["items"] if i["claimed"]["county"]}
    return json_response({**body, "page": page, "names": names(c for c in codes if c.isdigit())})


async def dead_letter(request: web.Request) -> web.StreamResponse:
    try:
        event_id = uuid.UUID(request.match_info["event_id"])
    except ValueError:
        return error(400, "bad_request", "a dead letter's id is a UUID")
    async with request.app[DB_KEY].connection() as conn:
        record = await dead_letter_view.one(conn, event_id)
    if record is None:
        return error(404, "not_found", "no such dead letter")
    return json_response(record)


async def agreements(request: web.Request) -> web.StreamResponse:
    state = request.query.get("state") or None
    if state is not None and state not in agreement_view.STATES:
        return error(400, "bad_request", f"state must be one of {', '.join(agreement_view.STATES)}")
    limit = _int(request, "limit", agreement_view.PAGE, MAX_LIMIT)
    offset = _int(request, "offset", 0, 10**9)
    async with request.app[DB_KEY].connection() as conn:
        clock = await figures.logical_clock(conn)
        everything = await request.app[AGREEMENTS_KEY].all(conn, clock)
    return json_response(agreement_view.page(everything, principal(request), state, offset, limit))


async def word_tables(request: web.Request) -> web.StreamResponse:
    return json_response(word_catalog.for_page())


async def throughput(request: web.Request) -> web.StreamResponse:
    return json_response(request.app[LIVE_KEY].live_figures())


# --- server-sent events --------------------------------------------------------------------------

RECHECK_EVERY = 10  # ticks between re-reading the session (revoked or expired: stream ends)


def sse(event: str, data: Any) -> bytes:
    text = json.dumps(data, ensure_ascii=False, default=str)
    return f"event: {event}\ndata: {text}\n\n".encode()


async def _still_signed_in(request: web.Request) -> bool:
    token = token_of(request)
    if token is None:
        return False
    try:
        async with request.app[DB_KEY].connection() as conn:
            return await auth.principal_for(conn, token) is not None
    except DatabaseUnavailable:
        return True  # cannot tell now; the status event already says why


async def stream(request: web.Request) -> web.StreamResponse:
    """``summary`` events (the whole dashboard) when figures change, ``status`` events while
    PostgreSQL is unreachable, a comment as keep-alive otherwise; ``retry`` tells the
    browser's EventSource to reconnect after 2 s if the connection drops."""
    live = request.app[LIVE_KEY]
    who = principal(request)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    gauge = request.app[HTTP_METRICS_KEY].sse_clients
    gauge.inc()
    last: bytes | None = None
    tick = 0
    try:
        await response.write(b"retry: 2000\n\n")
        while True:
            tick += 1
            if tick % RECHECK_EVERY == 0 and not await _still_signed_in(request):
                await response.write(sse("signed_out", {"reason": "session ended"}))
                break
            try:
                message = sse("summary", await live.summary(who))
            except DatabaseUnavailable as exc:
                message = sse("status", {"db": "unavailable", "error": str(exc)})
            await response.write(message if message != last else b": keep-alive\n\n")
            last = message
            await asyncio.sleep(live.interval)
    except (ConnectionResetError, asyncio.CancelledError):
        pass  # the page went away, or the server is shutting down
    finally:
        gauge.dec()
    return response


async def openapi(request: web.Request) -> web.StreamResponse:
    from dashboard.openapi import document

    return json_response(document(ROUTES))


ROUTES: tuple[Route, ...] = (
    Route("POST", "/api/login", login, None, "Sign in; sets the session cookie, returns a token"),
    Route("POST", "/api/logout", logout, ANY_ROLE, "End the session"),
    Route("GET", "/api/me", me, ANY_ROLE, "The signed-in operator"),
    Route("GET", "/api/session", session, None, "Whether this request is signed in, and as whom"),
    Route("GET", "/api/words", word_tables, ANY_ROLE, "The page's words for every code (zh, en)"),
    Route("GET", "/api/summary", summary, ANY_ROLE, "Every view's figures in one payload"),
    Route(
        "GET",
        "/api/flows",
        flow_pairs,
        ANY_ROLE,
        "Persons per pair of places (county, prefecture or province): the top pairs and others",
    ),
    Route(
        "GET",
        "/api/obligations",
        obligations,
        ANY_ROLE,
        "Obligations by state, county, kind and days overdue, due first: a page and the total",
    ),
    Route(
        "GET",
        "/api/obligations.csv",
        obligations_csv,
        ANY_ROLE,
        "The same obligations as CSV (UTF-8 with a byte-order mark), Beijing time",
    ),
    Route(
        "GET",
        "/api/cases/{person_key}",
        case,
        ANY_ROLE,
        "A case timeline: events, decisions and their causes (audited)",
    ),
    Route("GET", "/api/campaigns", campaigns, ANY_ROLE, "Clean-up campaigns: period, state, tasks"),
    Route(
        "GET",
        "/api/campaigns/{campaign_id}/tasks",
        campaign_tasks,
        ANY_ROLE,
        "A campaign's tasks per county and its unanswered tasks, deadline first",
    ),
    Route("GET", "/api/scorecards", scorecards, ANY_ROLE, "Two-way assessment league, by period"),
    Route(
        "GET",
        "/api/agreements",
        agreements,
        ANY_ROLE,
        "Two-way agreements by state; a pending one with what it waits for",
    ),
    Route(
        "GET",
        "/api/coverage",
        coverage,
        ANY_ROLE,
        "Agreement coverage against the target, and the counties' figures sorted and paged",
    ),
    Route(
        "GET", "/api/dead-letters", dead_letters, REGION_ONLY, "Refused messages: counts, a page"
    ),
    Route(
        "GET",
        "/api/dead-letters/{event_id}",
        dead_letter,
        REGION_ONLY,
        "One refused message: the bytes it kept and why it was refused",
    ),
    Route("GET", "/api/throughput", throughput, ANY_ROLE, "Events archived per second, lag"),
    Route("GET", "/api/stream", stream, ANY_ROLE, "Server-sent events: live summaries"),
    Route("GET", "/api/openapi.json", openapi, None, "This API's OpenAPI 3.1 document"),
)
