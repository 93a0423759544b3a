"""The OpenAPI document is valid OpenAPI 3.1 and describes every route with its roles."""

from __future__ import annotations

from openapi_spec_validator import validate

from dashboard.api import ROUTES
from dashboard.openapi import document


def test_document_is_valid_openapi() -> None:
    doc = document(ROUTES)
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_route_is_documented_with_its_errors() -> None:
    doc = document(ROUTES)
    for route in ROUTES:
        op = doc["paths"][route.path][route.method.lower()]
        if route.roles is None:
            assert op["security"] == []
        else:
            assert {"401", "403", "503"} <= set(op["responses"])
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_only_sign_in_and_the_document_are_public() -> None:
    public = {r.path for r in ROUTES if r.roles is None}
    assert public == {"/api/login", "/api/session", "/api/openapi.json"}
    assert all(r.path.startswith("/api/") for r in ROUTES)
    region_only = {r.path for r in ROUTES if r.roles == frozenset({"region"})}
    assert region_only == {"/api/dead-letters", "/api/dead-letters/{event_id}"}
