"""Signing in and out, and who is signed in: the API's session routes."""

from __future__ import annotations

import json

from aiohttp import web

from dashboard import auth
from dashboard.http_basics import (
    COOKIE,
    DB_KEY,
    SESSION_TTL_KEY,
    error,
    json_response,
    log,
    principal,
    token_of,
)
from dashboard.names import names


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
