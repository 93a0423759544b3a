"""The dashboard's live stream: server-sent events with the whole summary when it changes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from dashboard import auth
from dashboard.db import DatabaseUnavailable
from dashboard.http_basics import DB_KEY, HTTP_METRICS_KEY, LIVE_KEY, principal, token_of

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
