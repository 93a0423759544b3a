"""The JSON API and the event stream: ``ROUTES``, the single table the server registers and the
OpenAPI document describes, each route with the roles it admits (see
:mod:`dashboard.http_basics` for the guard)."""

from __future__ import annotations

from aiohttp import web

from dashboard.event_stream import stream
from dashboard.http_basics import ANY_ROLE, REGION_ONLY, Route, json_response
from dashboard.session_api import login, logout, me, session
from dashboard.view_api import (
    agreements,
    campaign_tasks,
    campaigns,
    case,
    coverage,
    dead_letter,
    dead_letters,
    flow_pairs,
    obligations,
    obligations_csv,
    scorecards,
    summary,
    throughput,
    word_tables,
)


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
