"""The OpenAPI 3.1 document of the JSON API, built from ``api.ROUTES`` so the two agree."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

from contracts import obligation_vocabulary as vocabulary

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

_PARAMETERS: dict[str, list[dict[str, Any]]] = {
    "/api/obligations": [
        {
            "name": "state",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "default": "open", "enum": list(vocabulary.NAMES)},
            "description": "a count of the obligation vocabulary: "
            + "; ".join(f"{c.name}: {c.meaning}" for c in vocabulary.COUNTS),
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 0, "maximum": 500, "default": 100},
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
    ],
    "/api/scorecards": [
        {
            "name": "scope",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "default": "region", "enum": ["region", "all"]},
            "description": "region: the region's own counties; all: every county it deals with",
        },
    ],
    "/api/cases/{person_key}": [
        {
            "name": "person_key",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "description": "the county node's keyed hash of the person's ID number",
        },
    ],
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
    elif route.path == "/api/me":
        responses["200"] = _json({"$ref": "#/components/schemas/Principal"}, "The operator")
    else:
        responses["200"] = _json(_OBJECT, "The figures, with county names (zh, en)")
    if route.roles is not None:
        responses.update({k: v for k, v in _ERRORS.items() if k not in responses})
    if route.path in _PARAMETERS:
        responses["400"] = _json(_ERROR, "A parameter is malformed")
    if route.path == "/api/cases/{person_key}":
        responses["404"] = _json(_ERROR, "No such case (region operators only)")
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
