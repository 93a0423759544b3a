"""The OpenAPI 3.1 document of the JSON API, built from ``api.ROUTES`` so the two agree."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

from contracts import obligation_vocabulary as vocabulary
from contracts.words.obligations import OBLIGATION_KINDS

VERSION = "3.1.0"


class _Route(Protocol):
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def roles(self) -> frozenset[str] | None: ...
    @property
    def summary(self) -> str: ...


_ERROR = {"$ref": "#/components/schemas/Error"}
_OBJECT = {"type": "object", "additionalProperties": True}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "401": _json(_ERROR, "No valid session token (cookie or Bearer)"),
    "403": _json(_ERROR, "The operator's role or county may not read this"),
    "503": _json(_ERROR, "PostgreSQL is unreachable; try again"),
}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    out = {"name": name, "in": "query", "required": False, "schema": schema}
    return {**out, "description": description} if description else out


def _path(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def _page(default: int) -> list[dict[str, Any]]:
    return [
        _query("limit", {"type": "integer", "minimum": 0, "maximum": 500, "default": default}),
        _query("offset", {"type": "integer", "minimum": 0, "default": 0}),
    ]


_COUNTY = {"type": "string", "pattern": "^[0-9]{6}$"}
_WORKLIST = [
    _query(
        "state",
        {"type": "string", "default": "open", "enum": list(vocabulary.NAMES)},
        "a count of the obligation vocabulary: "
        + "; ".join(f"{c.name}: {c.meaning}" for c in vocabulary.COUNTS),
    ),
    _query("county", _COUNTY, "the responsible county"),
    _query("kind", {"type": "string", "enum": list(OBLIGATION_KINDS)}, "obligation kind"),
    _query(
        "min_days_overdue",
        {"type": "integer", "minimum": 0, "maximum": 10000},
        "at least this many whole days past due (to the answer, or to the logical clock)",
    ),
]
_LANG = _query("lang", {"type": "string", "enum": ["zh", "en"], "default": "zh"}, "headers")

_PARAMETERS: dict[str, list[dict[str, Any]]] = {
    "/api/obligations": [*_WORKLIST, *_page(50)],
    "/api/obligations.csv": [*_WORKLIST, _LANG],
    "/api/flows": [
        _query(
            "level",
            {"type": "string", "enum": ["county", "prefecture", "province"]},
            "the places pairs are counted between (default: prefecture for the region, "
            "county for a county operator)",
        ),
        _query("origin", _COUNTY, "flows from within this division (any level)"),
        _query("destination", _COUNTY, "flows into this division (any level)"),
        _query("top", {"type": "integer", "minimum": 1, "maximum": 50, "default": 15}),
    ],
    "/api/scorecards": [
        _query(
            "scope",
            {"type": "string", "default": "region", "enum": ["region", "all"]},
            "region: the region's own counties; all: every county it deals with",
        ),
        _query("period", {"type": "string"}, "2026-03, 2026-Q1 or 2026 (default: the latest)"),
        *_page(20),
    ],
    "/api/coverage": [
        _query(
            "which",
            {"type": "string", "default": "region", "enum": ["region", "all"]},
            "the counties listed: the region's own, or every county dealt with",
        ),
        _query("sort", {"type": "string", "default": "worst", "enum": ["worst", "flows", "code"]}),
        *_page(15),
    ],
    "/api/agreements": [
        _query(
            "state",
            {"type": "string", "enum": ["pending", "in_force", "not_yet", "ended", "revoked"]},
            "one state (default: all)",
        ),
        *_page(20),
    ],
    "/api/dead-letters": [
        _query("reason", {"type": "string"}, "one reason code"),
        *_page(20),
    ],
    "/api/dead-letters/{event_id}": [
        _path("event_id", {"type": "string", "format": "uuid"}, "the dead letter's event id"),
    ],
    "/api/campaigns/{campaign_id}/tasks": [
        _path("campaign_id", {"type": "string"}, "the campaign's id"),
        _query("county", _COUNTY, "the assignee county"),
        *_page(20),
    ],
    "/api/cases/{person_key}": [
        _path(
            "person_key",
            {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "the county node's keyed hash of the person's ID number",
        ),
    ],
}
_NOT_FOUND = {
    "/api/cases/{person_key}": "No such case (region operators only)",
    "/api/dead-letters/{event_id}": "No such dead letter",
    "/api/campaigns/{campaign_id}/tasks": "No such campaign in the operator's scope",
}


def _operation(route: _Route) -> dict[str, Any]:
    name = re.sub(r"[^a-zA-Z0-9]+", "_", route.path.removeprefix("/api/")).strip("_")
    op: dict[str, Any] = {
        "operationId": f"{route.method.lower()}_{name or 'root'}",
        "summary": route.summary,
        "responses": {},
    }
    if route.roles is None:
        op["security"] = []
    else:
        op["description"] = f"Roles: {', '.join(sorted(route.roles))}."
    if route.path in _PARAMETERS:
        op["parameters"] = _PARAMETERS[route.path]
    responses: dict[str, Any] = op["responses"]
    if route.path == "/api/login":
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Credentials"}}
            },
        }
        responses["200"] = _json(
            {"$ref": "#/components/schemas/Session"},
            "Signed in; the token is also set as an HttpOnly cookie",
        )
        responses["400"] = _json(_ERROR, "Not JSON credentials")
        responses["401"] = _json(_ERROR, "Unknown user or wrong password")
        responses["503"] = _ERRORS["503"]
        return op
    if route.path == "/api/logout":
        responses["204"] = {"description": "Session ended; cookie cleared"}
    elif route.path == "/api/stream":
        responses["200"] = {
            "description": "text/event-stream of summary, status and signed_out events",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    elif route.path == "/api/obligations.csv":
        responses["200"] = {
            "description": "CSV, UTF-8 with a byte-order mark; times in Beijing time",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    elif route.path == "/api/me":
        responses["200"] = _json({"$ref": "#/components/schemas/Principal"}, "The operator")
    else:
        responses["200"] = _json(_OBJECT, "The figures, with county names (zh, en)")
    if route.roles is not None:
        responses.update({k: v for k, v in _ERRORS.items() if k not in responses})
    if route.path in _PARAMETERS:
        responses["400"] = _json(_ERROR, "A parameter is malformed")
    if route.path in _NOT_FOUND:
        responses["404"] = _json(_ERROR, _NOT_FOUND[route.path])
    return op


def document(routes: Iterable[_Route]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": VERSION,
        "info": {
            "title": "liudong operators' dashboard API",
            "version": "1.0.0",
            "description": (
                "Read-only views of the liudong projection (PostgreSQL) by role: a region "
                "operator sees everything; a county operator sees the cases and obligations "
                "its county is party to (responsible or counterpart), or 403. Reads of case "
                "timelines are recorded in audit_log."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"cookieAuth": []}, {"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "liudong_session"},
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "Credentials": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                },
                "Principal": {
                    "type": "object",
                    "required": ["username", "role", "county"],
                    "properties": {
                        "username": {"type": "string"},
                        "role": {"type": "string", "enum": ["region", "county"]},
                        "county": {"type": ["string", "null"]},
                        "names": _OBJECT,
                    },
                },
                "Session": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Principal"},
                        {
                            "type": "object",
                            "required": ["token"],
                            "properties": {"token": {"type": "string"}},
                        },
                    ]
                },
            },
        },
    }
