"""The API's views: each reads the projection under the caller's role and answers JSON (or
CSV), a bad query parameter being a 400 with one line."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from contracts import periods as periods_module
from contracts.league import SCOPES
from contracts.words import catalog as word_catalog
from dashboard import (
    agreement_view,
    audited_reads,
    campaign_view,
    case_view,
    dead_letter_view,
    figures,
    flows,
    league_view,
    worklist,
)
from dashboard.auth import Principal
from dashboard.http_basics import (
    AGREEMENTS_KEY,
    DB_KEY,
    LIVE_KEY,
    MAX_LIMIT,
    PERSON_KEY,
    REGION_KEY,
    error,
    json_response,
    log,
    principal,
    query_int,
    query_lang,
)
from dashboard.names import names


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


async def obligations(request: web.Request) -> web.StreamResponse:
    try:
        wanted = worklist.Filter.of(request.query)
    except worklist.FilterError as exc:
        return error(400, "bad_request", str(exc))
    limit = query_int(request, "limit", worklist.PAGE, worklist.MAX_PAGE)
    offset = query_int(request, "offset", 0, 10**9)
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
        text = await worklist.export(conn, who, wanted, clock, query_lang(request))
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
        allowed = await case_view.is_party(conn, who, person_key)
        timeline = await case_view.case_timeline(conn, person_key) if allowed else None
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
    limit = query_int(request, "limit", campaign_view.TASK_PAGE, MAX_LIMIT)
    offset = query_int(request, "offset", 0, 10**9)
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
    limit = query_int(request, "limit", league_view.LEAGUE_PAGE, MAX_LIMIT)
    offset = query_int(request, "offset", 0, 10**9)
    region = request.app[REGION_KEY]
    async with request.app[DB_KEY].connection() as conn:
        body = await league_view.scorecards(
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
    limit = query_int(request, "limit", flows.COVERAGE_PAGE, MAX_LIMIT)
    offset = query_int(request, "offset", 0, 10**9)
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
    limit = query_int(request, "limit", dead_letter_view.PAGE, MAX_LIMIT)
    offset = query_int(request, "offset", 0, 10**9)
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
    limit = query_int(request, "limit", agreement_view.PAGE, MAX_LIMIT)
    offset = query_int(request, "offset", 0, 10**9)
    async with request.app[DB_KEY].connection() as conn:
        clock = await figures.logical_clock(conn)
        everything = await request.app[AGREEMENTS_KEY].all(conn, clock)
    return json_response(agreement_view.page(everything, principal(request), state, offset, limit))


async def word_tables(request: web.Request) -> web.StreamResponse:
    return json_response(word_catalog.for_page())


async def throughput(request: web.Request) -> web.StreamResponse:
    return json_response(request.app[LIVE_KEY].live_figures())
