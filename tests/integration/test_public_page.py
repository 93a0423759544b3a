"""The public disclosure page on a real log: what every response holds and withholds.

Every response of the page (both languages, every closed period, the JSON, the published
bulletins, the style sheets, the errors) is searched for every person key of the log (whole
or its first 16 hex digits), every event, obligation and task id, and the names of raw event
fields: none may appear. County counts below the threshold never appear either, in the page's
coverage table or its JSON. Only public editions in the folder are listed and served.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from agents import assessment_config as cfg
from disclosure.bulletin.inputs import sha256_file
from disclosure.public.server import PublicConfig, PublicServer
from tests.integration import bulletin_log
from tests.integration.bulletin_log import QUARTER, SimulatedLog
from tests.integration.pipeline import REGION

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

THRESHOLD = 5
RAW_FIELDS = (
    "person_key",
    "national_id",
    "event_id",
    "obligation_id",
    "task_id",
    "causation_id",
    "correlation_id",
    "signature",
    "publisher_id",
)
IDS = ("person_key", "event_id", "obligation_id", "task_id", "inquiry_id", "service_id")


@pytest.fixture(scope="module")
async def simulated(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> SimulatedLog:
    return await bulletin_log.simulated_log(kafka_bootstrap, tmp_path_factory.mktemp("bulletin"))


def publish(simulated: SimulatedLog, folder: Path) -> None:
    """A public edition (HTML and PDF) and, by mistake, an offices' edition."""
    folder.mkdir(parents=True)
    for argv in (
        ["--public", str(folder / f"{QUARTER}.html")],
        ["--public", "--lang", "en", str(folder / f"{QUARTER}-en.pdf")],
        [str(folder / "offices-edition.html")],
    ):
        done = simulated.cli("bulletin", "--period", QUARTER, *argv)
        assert done.returncode == 0, done.stderr[-2000:]


async def start(simulated: SimulatedLog, folder: Path) -> PublicServer:
    server = PublicServer(
        PublicConfig(
            bootstrap=simulated.bootstrap,
            prefix=simulated.prefix,
            region=REGION,
            folder=folder,
            config=cfg.load(),
            weights_sha256=sha256_file(cfg.DEFAULT_PATH),
            threshold=THRESHOLD,
            refresh_s=3600.0,
        )
    )
    await server.start()
    return server


@pytest.fixture(scope="module")
async def public(
    simulated: SimulatedLog, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PublicServer]:
    folder = tmp_path_factory.mktemp("public") / "bulletins"
    publish(simulated, folder)
    server = await start(simulated, folder)
    try:
        yield server
    finally:
        await server.stop()


async def identifiers(simulated: SimulatedLog) -> set[str]:
    """Every person key (and its first 16 hex digits) and id the log's records carry."""
    found: set[str] = set()
    for topic in ("obligations", "validated", "alerts", "county-events"):
        rows = await bulletin_log.records(simulated.bootstrap, f"{simulated.prefix}.{topic}")
        for partition in rows.values():
            for _, value in partition:
                if not value:
                    continue
                try:
                    doc = json.loads(value)
                except ValueError:
                    continue
                for name in IDS:
                    if isinstance(doc, dict) and isinstance(doc.get(name), str):
                        found.add(doc[name])
                        if name == "person_key":
                            found.add(doc[name][:16])
    return found


async def fetch(session: aiohttp.ClientSession, url: str) -> tuple[int, str, bytes]:
    async with session.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.read()


def coverage_cells(page: str) -> list[tuple[str, str]]:
    section = re.search(r'<section id="coverage">.*?</section>', page, re.DOTALL)
    assert section is not None
    return re.findall(r"<td>([^<>/]+)/([^<>/]+)</td>", section.group(0))


def small(text: str) -> bool:
    return text.isdigit() and 0 < int(text) < THRESHOLD


async def test_no_response_holds_a_person_or_an_event_and_suppression_holds(
    simulated: SimulatedLog, public: PublicServer
) -> None:
    base = public.url.rstrip("/")
    closed = public.site.closed()
    assert QUARTER in {p.text for p in closed}
    urls = ["/", "/?lang=en", "/data.json", "/data.json?lang=en", "/static/bulletin.css"]
    urls += ["/static/public.css", "/?period=2030-Q1", "/?period=bogus", "/nothing-here"]
    urls += [f"/?period={p.text}" for p in closed]
    urls += [f"/data.json?period={p.text}" for p in closed]
    responses: dict[str, tuple[int, str, bytes]] = {}
    async with aiohttp.ClientSession() as session:
        for url in urls:
            responses[url] = await fetch(session, base + url)
        data = json.loads(responses["/data.json"][2])
        for b in data["bulletins"]:
            url = f"/bulletins/{b['file']}"
            responses[url] = await fetch(session, base + url)
        responses["/bulletins/offices-edition.html"] = await fetch(
            session, base + "/bulletins/offices-edition.html"
        )
        async with session.post(base + "/") as posted:
            assert posted.status == 405

    assert responses["/"][0] == 200
    assert responses["/?period=2030-Q1"][0] == 404
    assert responses["/?period=bogus"][0] == 400
    assert responses["/nothing-here"][0] == 404
    assert responses["/bulletins/offices-edition.html"][0] == 404
    listed = sorted(b["file"] for b in data["bulletins"])
    assert listed == [f"{QUARTER}-en.pdf", f"{QUARTER}.html"], "only the public editions"
    assert responses[f"/bulletins/{QUARTER}-en.pdf"][1] == "application/pdf"

    secrets = await identifiers(simulated)
    assert any(len(s) == 64 for s in secrets), "the log names persons"
    for url, (_, kind, body) in responses.items():
        texts = [body.decode("utf-8", "replace")]
        if kind == "application/pdf":
            texts.append(pdftotext(body))
        for text in texts:
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{url} shows {leaked[:3]}"
            fields = [f for f in RAW_FIELDS if f in text]
            assert not fields, f"{url} shows raw event fields {fields}"

    # Suppression: no county count below the threshold, in the page or its JSON.
    for url in [u for u in responses if u.startswith("/?period=") or u in ("/", "/?lang=en")]:
        status, _, body = responses[url]
        if status != 200:
            continue
        cells = coverage_cells(body.decode())
        assert cells, url
        for numerator, denominator in cells:
            assert not small(numerator), (url, numerator, denominator)
            assert not small(denominator), (url, numerator, denominator)
            if numerator.isdigit() and denominator.isdigit():
                assert not small(str(int(denominator) - int(numerator))), (url, numerator)
    counts = [
        row[side][part]
        for row in data["coverage"]
        for side in ("outflows", "inflows")
        for part in ("covered", "flows")
    ]
    assert not [c for c in counts if isinstance(c, int) and 0 < c < THRESHOLD]
    withheld = [c for c in counts if isinstance(c, str)]
    assert withheld, "the data set has small county counts, withheld"
    assert data["suppress_below"] == THRESHOLD
    assert data["league"][0]["rank"] == 1


def pdftotext(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: ./infra/bin/bootstrap installs poppler-utils")
    done = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, timeout=60, check=True
    )
    return done.stdout.decode("utf-8", "replace")


async def test_the_page_is_read_only_without_sign_in_and_states_its_rules(
    public: PublicServer,
) -> None:
    async with aiohttp.ClientSession() as session:
        status, kind, body = await fetch(session, public.url)
        async with session.get(public.url) as response:
            headers = response.headers
    page = body.decode()
    assert status == 200
    assert kind.startswith("text/html")
    assert "Set-Cookie" not in headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "<form" not in page
    assert "<script" not in page
    # The rules in public, in Chinese: every indicator with what it counts, and the weights.
    rules = re.search(r'<section id="rules">.*?</section>', page, re.DOTALL)
    assert rules is not None
    for words in ("登记覆盖率", "协议覆盖率", "一地问题两地有责", "分母：", "分子：", "权重"):
        assert words in rules.group(0)
    assert "不参评" in page


async def test_the_page_follows_the_log(simulated: SimulatedLog, public: PublicServer) -> None:
    before = public.site.follower.fold.positions()
    async with aiohttp.ClientSession() as session:
        first = json.loads((await fetch(session, public.url + "data.json"))[2])
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=simulated.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            f"{simulated.prefix}.validated", value=b'{"not": "an event"}', partition=1
        )
    finally:
        await producer.stop()
    await public.site.refresh()
    after = public.site.follower.fold.positions()
    assert after["validated"][1] == before["validated"][1] + 1
    async with aiohttp.ClientSession() as session:
        second = json.loads((await fetch(session, public.url + "data.json"))[2])
    assert second["positions"] != first["positions"]
    assert second["league"] == first["league"]
