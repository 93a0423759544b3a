"""The foundation end to end on the real broker: CountyNode -> gate worker -> topics.

A real worker process (``liudong worker``) runs the gate. Valid events must all come back on
the validated topic exactly once (broadcast ones once per partition), the forged and the
malformed ones must sit in the dead-letter topic with their reasons, and nothing is lost.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.envelope import Envelope
from contracts.events.agreements import AgreementSigned
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import InquirySent
from contracts.events.migration import InflowRegistered, OutflowRegistered
from contracts.events.registry import CountyRegistered, PublisherRegistered
from contracts.identity import check_char
from streams.admin import ensure_topics
from streams.signing import public_key_b64
from tests.integration.pipeline import REGION, Pipeline

pytestmark = pytest.mark.integration

PARTITIONS = 3
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def an_id(n: int) -> str:
    first17 = f"610902{1980 + n % 30:04d}0101{n % 1000:03d}"
    return first17 + check_char(first17)


@pytest.fixture
def pipeline(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Pipeline]:
    p = Pipeline(kafka_bootstrap, f"t{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    try:
        yield p
    finally:
        p.stop_worker()
        if p.process is not None and p.process.returncode not in (0, -signal.SIGTERM):
            print((tmp_path / "worker.log").read_text()[-4000:])


@pytest.fixture
async def topics_ready(pipeline: Pipeline) -> None:
    await ensure_topics(
        pipeline.bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )


async def test_valid_events_pass_and_bad_ones_are_dead_lettered(
    pipeline: Pipeline, topics_ready: None
) -> None:
    keys = {code: Ed25519PrivateKey.generate() for code in ("610902", "610921", "440306")}
    office_key = Ed25519PrivateKey.generate()
    region = pipeline.node(REGION, pipeline.region_key, f"{REGION}/region")
    nodes = {code: pipeline.node(code, key) for code, key in keys.items()}
    office = pipeline.node("610902", office_key, "610902/office-440306")
    for n in (region, *nodes.values(), office):
        await n.start()
    try:
        await region.publish_many(
            region.build(
                CountyRegistered,
                occurred_at=T0,
                county=code,
                name=code,
                public_key=public_key_b64(key),
            )
            for code, key in keys.items()
        )
        await nodes["610902"].publish(
            nodes["610902"].build(
                PublisherRegistered,
                occurred_at=T0,
                county="610902",
                publisher="610902/office-440306",
                role="outposted_office",
                public_key=public_key_b64(office_key),
                event_types=("inflow_registered", "inquiry_sent"),
                stationed_in="440306",
            )
        )
        pipeline.start_worker()

        valid: list[Envelope] = [region.build(ClockTicked, occurred_at=T0)]
        valid.extend(
            nodes[party].build(
                AgreementSigned,
                occurred_at=T0,
                agreement_id="a-1",
                origin_county="610902",
                destination_county="440306",
                effective_from=T0,
            )
            for party in ("610902", "440306")  # it binds once both have signed
        )
        origin, dest = nodes["610902"], nodes["440306"]
        for i in range(30):
            key = origin.person_key(an_id(i))
            at = T0 + dt.timedelta(hours=i)
            valid.append(
                origin.build(
                    OutflowRegistered,
                    occurred_at=at,
                    person_key=key,
                    origin_county="610902",
                    destination_county="440306",
                )
            )
            arrival_by = dest if i % 2 else office  # the outposted office registers some arrivals
            valid.append(
                arrival_by.build(
                    InflowRegistered,
                    occurred_at=at,
                    person_key=key,
                    origin_county="610902",
                    destination_county="440306",
                )
            )
        valid.append(
            dest.build(
                InquirySent,
                occurred_at=T0,
                person_key=origin.person_key(an_id(1)),
                inquiry_id="q-1",
                to_county="610902",
                kind="urgent",
            )
        )
        by_publisher = {n.publisher_id: n for n in (region, office, *nodes.values())}
        for event in valid:
            await by_publisher[event.publisher_id].publish(event)

        # Bad input: a re-delivery, a forged signature, a county signing as another, bytes.
        await origin.publish(valid[5])
        forger = pipeline.node("610921", Ed25519PrivateKey.generate())
        forged = forger.build(
            OutflowRegistered,
            occurred_at=T0,
            person_key=origin.person_key(an_id(99)),
            origin_county="610921",
            destination_county="440306",
        )
        impostor = pipeline.node("610902", keys["610921"], "610921/node")
        as_other = impostor.build(
            OutflowRegistered,
            occurred_at=T0,
            person_key=origin.person_key(an_id(98)),
            origin_county="610902",
            destination_county="440306",
        )
        office_out_of_scope = office.build(
            OutflowRegistered,
            occurred_at=T0,
            person_key=origin.person_key(an_id(97)),
            origin_county="610902",
            destination_county="440306",
        )
        for bad in (forged, as_other, office_out_of_scope):
            await origin.publish(bad)
        await origin.send_raw(b"\xff\xfe not utf-8", key=b"k")
        await origin.send_raw(b'{"event_type": "outflow_registered"', key=b"k")
    finally:
        for n in (region, *nodes.values(), office):
            await n.stop()

    broadcast = {"clock_ticked", "agreement_signed"}
    expected = sum(PARTITIONS if e.event_type in broadcast else 1 for e in valid)
    # The re-delivery is forwarded too: the gate keeps no ids; the cases agent drops it.
    got = await pipeline.read("validated", expected + 1)
    assert len(got) == expected + 1, f"validated has {len(got)} messages, expected {expected + 1}"
    ids = [json.loads(value)["event_id"] for _, value in got]
    repeated = [e for e in valid if ids.count(str(e.event_id)) == 2]
    assert len(repeated) == 1
    assert repeated[0].event_type not in broadcast
    for event in valid:
        copies = ids.count(str(event.event_id)) - (event in repeated)
        assert copies == (PARTITIONS if event.event_type in broadcast else 1), event.event_type
    assert sorted(p for p, v in got if b"clock_ticked" in v) == list(range(PARTITIONS))

    dead = [json.loads(v) for _, v in await pipeline.read("dead-letters", 5)]
    reasons = sorted(d["reason_code"] for d in dead)
    assert reasons == [
        "bad_signature",
        "county_mismatch",
        "malformed_json",
        "not_utf8",
        "out_of_scope",
    ]
    raws = {base64.b64decode(d["raw"]) for d in dead}
    assert b"\xff\xfe not utf-8" in raws
    assert b'{"event_type": "outflow_registered"' in raws
    for d in dead:
        assert d["reason"]
        assert d["source_topic"] == f"{pipeline.prefix}.county-events"
    # The worker's own Prometheus metrics tell the same story.
    url = f"http://127.0.0.1:{pipeline.metrics_port}/metrics"
    scraped = await _scrape(url)
    for _ in range(60):  # the cases agent counts the duplicate after the gate forwarded it
        if scraped.get("liudong_worker_duplicates_total", 0) >= 1:
            break
        await asyncio.sleep(0.5)
        scraped = await _scrape(url)
    for code in reasons:
        assert scraped[f'liudong_worker_dead_letters_total{{reason="{code}"}}'] >= 1
    assert scraped["liudong_worker_duplicates_total"] == 1
    assert scraped[
        f'liudong_worker_events_in_total{{topic="{pipeline.prefix}.county-events"}}'
    ] == (expected + 1 + 5)
    # Gate: in = forwarded + dead-lettered; cases: the 1 re-delivery dropped as a duplicate.
    published = expected + 1 + 5
    assert published == len(got) + len(dead)


async def _scrape(url: str) -> dict[str, float]:
    """Prometheus text format -> {'name{labels}': value}, parsed by prometheus_client."""
    from aiohttp import ClientSession
    from prometheus_client.parser import text_string_to_metric_families

    async with ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        text = await response.text()
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values
