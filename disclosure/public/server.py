"""The public page's web server: aiohttp on loopback, GET only, no sign-in, no cookies.

:class:`PublicSite` follows the log (:class:`disclosure.bulletin.log_reader.LogFollower`) and
builds, per period and language, the public edition of that period's bulletin at the
positions read; pages are cached until the log moves on. Routes:

* ``/`` (``?period=2026-Q1``, ``?lang=en``): the league, coverage, published bulletins and
  rules of the newest closed quarter (else month), or of the period asked for;
* ``/data.json``: the same figures as JSON;
* ``/bulletins/<file>``: a published public edition, as it lies in the folder;
* ``/static/bulletin.css``, ``/static/public.css``.

Anything else is 404; a bad query parameter is a 400 with one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web
from aiokafka.errors import KafkaError

from agents import assessment_state
from agents.assessment_config import AssessmentConfig
from contracts import periods
from contracts.languages import LANGS, Lang
from disclosure.bulletin import build
from disclosure.bulletin.content import NotReady, closed_periods, newest_closed
from disclosure.bulletin.doc import region_name
from disclosure.bulletin.log_reader import LogError, LogFollower
from disclosure.bulletin.words import word
from disclosure.public import bulletins, view
from streams import topics

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
# A bulletin's HTML carries its style sheet inline (it is a standalone document); no script.
BULLETIN_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
STATIC = {
    "bulletin.css": ("disclosure.bulletin", "bulletin.css"),
    "public.css": ("disclosure.public", "public.css"),
}


@dataclass(frozen=True, slots=True)
class PublicConfig:
    bootstrap: str
    prefix: str
    region: str
    folder: Path  # the published bulletins
    config: AssessmentConfig
    weights_sha256: str
    threshold: int  # county counts below it are withheld (LIUDONG_PUBLIC_SUPPRESS_BELOW)
    host: str = "127.0.0.1"
    port: int = 0
    refresh_s: float = 10.0
    client_options: Mapping[str, Any] = field(default_factory=dict)
    max_record_bytes: int = topics.READ_LIMIT_BYTES  # topics.read_limit of the deployment

    def __post_init__(self) -> None:
        import ipaddress

        if not ipaddress.ip_address(self.host).is_loopback:
            raise ValueError(f"the public page binds loopback only, not {self.host}")


class PublicSite:
    """The log followed, the public folder scanned, pages built and cached."""

    def __init__(self, config: PublicConfig) -> None:
        self.config = config
        self.follower = LogFollower(
            config.bootstrap,
            config.prefix,
            client_options=config.client_options,
            max_record_bytes=config.max_record_bytes,
        )
        self.served = bulletins.Served((), {})
        self._cache: dict[tuple[str, Lang], build.Bulletin] = {}
        self._positions: object = None

    async def start(self) -> None:
        await self.follower.start()
        await self.refresh()

    async def stop(self) -> None:
        await self.follower.stop()

    async def refresh(self) -> None:
        fold = await self.follower.catch_up()
        positions = fold.positions()
        if positions != self._positions:
            self._positions = positions
            self._cache.clear()
        c = self.config
        self.served = await asyncio.to_thread(
            bulletins.scan, c.folder, region=c.region, threshold=c.threshold
        )

    @property
    def region_label(self) -> str:
        return region_name(self.config.region)

    def closed(self) -> list[periods.Period]:
        return closed_periods(self.follower.fold.assessment, self.config.config)

    def current(self) -> periods.Period | None:
        return newest_closed(self.follower.fold.assessment, self.config.config)

    def bulletin(self, period: str, lang: Lang) -> build.Bulletin:
        key = (period, lang)
        found = self._cache.get(key)
        if found is None:
            c = self.config
            request = build.Request(
                period=period,
                scope="region",
                lang=lang,
                edition="public",
                suppress_below=c.threshold,
                region=c.region,
            )
            found = build.make(
                self.follower.fold,
                request,
                c.config,
                weights_sha256=c.weights_sha256,
                topic_prefix=c.prefix,
            )
            self._cache[key] = found
        return found


SITE_KEY: web.AppKey[PublicSite] = web.AppKey("public_site", PublicSite)


class BadQuery(ValueError):
    pass


def _query(request: web.Request) -> tuple[str | None, Lang]:
    unknown = sorted(set(request.query) - {"period", "lang"})
    if unknown:
        raise BadQuery(f"unknown parameter {unknown[0]!r}: use period and lang")
    lang = request.query.get("lang", "zh")
    if lang not in LANGS:
        raise BadQuery(f"lang is zh or en, not {lang!r}")
    period = request.query.get("period")
    if period is not None:
        try:
            period = periods.parse(period, assessment_state.ASSESSED_KINDS).text
        except periods.PeriodError as exc:
            raise BadQuery(str(exc)) from None
    return period, "en" if lang == "en" else "zh"


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={**HEADERS, "Content-Security-Policy": PAGE_CSP},
    )


def _chosen(site: PublicSite, request: web.Request) -> tuple[build.Bulletin | None, str, Lang]:
    """The bulletin the request asks for, or why there is none (and the status)."""
    period, lang = _query(request)
    closed = site.closed()
    if period is None:
        current = site.current()
        if current is None:
            return None, word("no_period", lang), lang
        period = current.text
    if period not in {p.text for p in closed}:
        return None, word("unknown_period", lang, period=period), lang
    try:
        return site.bulletin(period, lang), "", lang
    except NotReady as exc:
        return None, str(exc), lang


async def index(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE_KEY]
    try:
        chosen, why, lang = _chosen(site, request)
    except BadQuery as exc:
        return web.Response(text=f"{exc}\n", status=400, headers=HEADERS)
    if chosen is None:
        page = view.message_page(why, site.closed(), lang, site.region_label)
        return _html(page, 404)
    page = view.page(chosen, site.closed(), site.served.listing, region_label=site.region_label)
    return _html(page)


async def data(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE_KEY]
    try:
        chosen, why, _ = _chosen(site, request)
    except BadQuery as exc:
        return web.Response(text=f"{exc}\n", status=400, headers=HEADERS)
    if chosen is None:
        body: dict[str, Any] = {"error": why}
        status = 404
    else:
        body, status = view.data(chosen, site.served.listing), 200
    return web.Response(
        text=json.dumps(body, ensure_ascii=False, indent=1),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=HEADERS,
    )


async def bulletin_file(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE_KEY]
    name = request.match_info["name"]
    body = site.served.files.get(name)
    if body is None:
        raise web.HTTPNotFound(text="no such published bulletin\n", headers=HEADERS)
    is_pdf = name.endswith(".pdf")
    headers = {**HEADERS, "Content-Security-Policy": BULLETIN_CSP}
    if is_pdf:
        headers["Content-Disposition"] = f'inline; filename="{name}"'
    return web.Response(
        body=body,
        content_type="application/pdf" if is_pdf else "text/html",
        charset=None if is_pdf else "utf-8",
        headers=headers,
    )


async def static(request: web.Request) -> web.StreamResponse:
    found = STATIC.get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound(headers=HEADERS)
    package, name = found
    text = resources.files(package).joinpath(name).read_text("utf-8")
    return web.Response(text=text, content_type="text/css", charset="utf-8", headers=HEADERS)


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        for key, value in HEADERS.items():
            exc.headers.setdefault(key, value)
        raise
    for key, value in HEADERS.items():
        response.headers.setdefault(key, value)
    return response


def build_app(site: PublicSite) -> web.Application:
    app = web.Application(middlewares=[headers])
    app[SITE_KEY] = site
    app.router.add_get("/", index)
    app.router.add_get("/data.json", data)
    app.router.add_get("/bulletins/{name}", bulletin_file)
    app.router.add_get("/static/{name}", static)
    return app


class PublicServer:
    """Start inside a running loop; ``url`` is known once started (port 0 picks one)."""

    def __init__(self, config: PublicConfig) -> None:
        self.config = config
        self.site = PublicSite(config)
        self._runner: web.AppRunner | None = None
        self._refresher: asyncio.Task[None] | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the public page is not started")
        return f"http://{self.config.host}:{self.port}/"

    async def start(self) -> str:
        await self.site.start()
        self._runner = web.AppRunner(build_app(self.site), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.config.host, self.config.port).start()
        self.port = int(self._runner.addresses[0][1])
        self._refresher = asyncio.create_task(self._refresh_forever())
        log.info("public_page_started", url=self.url)
        return self.url

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.refresh_s)
            try:
                await self.site.refresh()
            except (KafkaError, LogError, OSError) as exc:
                log.warning("public_page_refresh_failed", error=repr(exc))

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self.site.stop()
