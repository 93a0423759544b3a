"""Onboarding on the real broker and the real gate: the README's section run as it stands,
and every registry change (a region-registered office, a key rotation, a revocation) and a
one-sided agreement through a real worker."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.events.agreements import AgreementSigned
from contracts.events.clock import ClockTicked
from contracts.events.migration import InflowRegistered, OutflowRegistered
from contracts.events.registry import (
    CountyRegistered,
    KeyRotated,
    PublisherRegistered,
    PublisherRevoked,
)
from contracts.identity import check_char, person_key
from streams.admin import ensure_topics
from streams.county_node import CountyNode
from streams.signing import public_key_b64
from tests.integration.pipeline import REGION, Pipeline

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PARTITIONS = 3
ORIGIN, DESTINATION = "610902", "440306"
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
ROTATED = T0 + dt.timedelta(days=1)
REVOKED = T0 + dt.timedelta(days=2)


def readme_onboarding() -> str:
    """The shell block between the README's onboarding markers, exactly as written."""
    text = README.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- onboarding:begin -->\n```sh\n(.*?)```\n<!-- onboarding:end -->", text, re.S
    )
    assert found, "README.md has no onboarding block between its markers"
    return found.group(1)


def an_id(n: int) -> str:
    first17 = f"{ORIGIN}19800101{n:03d}"
    return first17 + check_char(first17)


def _stop_group(pgid: int) -> None:
    """End the process group the test started (the README's background worker)."""
    for sig, wait_s in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


@dataclass(frozen=True)
class Onboarded:
    transcript: str
    home: Path
    prefix: str


@pytest.fixture
def onboarded(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Onboarded]:
    """The README's block run by bash in the county's directory; its background worker is
    stopped at the end."""
    county_dir, home = tmp_path / "county", tmp_path / "home"
    county_dir.mkdir()
    prefix = f"ob{uuid.uuid4().hex[:8]}"
    env = dict(
        os.environ,
        LIUDONG_HOME=str(home),
        LIUDONG_KAFKA_BOOTSTRAP=kafka_bootstrap,
        LIUDONG_TOPIC_PREFIX=prefix,
        LIUDONG_PARTITIONS=str(PARTITIONS),
        LIUDONG_LOG_FORMAT="json",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.pop("LIUDONG_REGION_PUBLIC_KEY", None)
    env.pop("LIUDONG_PERSON_KEY_SECRET", None)
    shell = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", readme_onboarding()],
        cwd=county_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = shell.communicate(timeout=240)
        assert shell.returncode == 0, out.decode()
        yield Onboarded(out.decode(), home, prefix)
    finally:
        _stop_group(shell.pid)
        log = county_dir / "worker.log"
        if log.exists():
            print(log.read_text()[-3000:])


async def test_the_readme_onboarding_runs_as_written(
    kafka_bootstrap: str, tmp_path: Path, onboarded: Onboarded
) -> None:
    assert "county_registered 610902 (汉滨区)" in onboarded.transcript
    assert "export.jsonl: 1 lines, 1 would be admitted, 0 duplicates, 0 problems" in (
        onboarded.transcript
    )
    assert "published 1 events, rejected 0 lines" in onboarded.transcript

    pipeline = Pipeline(kafka_bootstrap, onboarded.prefix, tmp_path, PARTITIONS)
    admitted = await pipeline.read("validated", want=1, wait_s=180)
    events = [json.loads(value) for _, value in admitted]
    secret = (onboarded.home / "keys" / "person-key.secret").read_text().strip().encode()
    assert [(e["event_type"], e["publisher_id"], e["person_key"]) for e in events] == [
        ("outflow_registered", "610902/node", person_key("610902198001010019", secret))
    ]
    assert await pipeline.read("dead-letters", want=0, wait_s=1) == []


# --- every registry change, and a one-sided agreement, against the real gate ---------------


@pytest.fixture
def pipeline(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Pipeline]:
    p = Pipeline(kafka_bootstrap, f"reg{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    try:
        yield p
    finally:
        p.stop_worker()


def _outflow(node: CountyNode, n: int, at: dt.datetime) -> OutflowRegistered:
    return node.build(
        OutflowRegistered,
        occurred_at=at,
        recorded_at=at,
        person_key=node.person_key(an_id(n)),
        origin_county=ORIGIN,
        destination_county=DESTINATION,
        reason="work",
    )


async def test_registry_changes_and_agreements_through_the_real_gate(pipeline: Pipeline) -> None:
    await ensure_topics(
        pipeline.bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    keys = {code: Ed25519PrivateKey.generate() for code in (ORIGIN, DESTINATION)}
    police_old, police_new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    office_key = Ed25519PrivateKey.generate()
    region = pipeline.node(REGION, pipeline.region_key, f"{REGION}/region")
    origin, destination = (pipeline.node(code, key) for code, key in keys.items())
    police = pipeline.node(ORIGIN, police_old, f"{ORIGIN}/police")
    police_rotated = pipeline.node(ORIGIN, police_new, f"{ORIGIN}/police")
    office = pipeline.node(ORIGIN, office_key, f"{ORIGIN}/office-{DESTINATION}")
    nodes = (region, origin, destination, police, police_rotated, office)
    for node in nodes:
        await node.start()
    agreement: dict[str, Any] = {
        "agreement_id": "agr-hanbin-baoan",
        "origin_county": ORIGIN,
        "destination_county": DESTINATION,
        "effective_from": T0,
        "terms": {"arrival_days": 5},
    }
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
        await origin.publish(
            origin.build(
                PublisherRegistered,
                occurred_at=T0,
                county=ORIGIN,
                publisher=f"{ORIGIN}/police",
                role="police",
                public_key=public_key_b64(police_old),
                event_types=("outflow_registered",),
            )
        )
        await region.publish(  # the region registers an office for the county
            region.build(
                PublisherRegistered,
                occurred_at=T0,
                county=ORIGIN,
                publisher=f"{ORIGIN}/office-{DESTINATION}",
                role="outposted_office",
                public_key=public_key_b64(office_key),
                event_types=("inflow_registered",),
                stationed_in=DESTINATION,
            )
        )
        pipeline.start_worker()
        await region.publish(region.build(ClockTicked, occurred_at=T0))
        # The origin alone signs: pending, so the first outflow gets the default 30 days.
        await origin.publish(origin.build(AgreementSigned, occurred_at=T0, **agreement))
        await police.publish(_outflow(police, 1, T0 + dt.timedelta(hours=1)))
        await destination.publish(
            destination.build(AgreementSigned, occurred_at=T0 + dt.timedelta(hours=2), **agreement)
        )
        await region.publish(
            region.build(
                KeyRotated,
                occurred_at=T0 + dt.timedelta(hours=3),
                county=ORIGIN,
                publisher=f"{ORIGIN}/police",
                public_key=public_key_b64(police_new),
                effective_at=ROTATED,
            )
        )
        await region.publish(region.build(ClockTicked, occurred_at=ROTATED))
        # Backdated before the rotation, but the partition's clock has passed it: refused.
        await police.publish(_outflow(police, 2, T0 + dt.timedelta(hours=4)))
        await police_rotated.publish(_outflow(police_rotated, 3, ROTATED + dt.timedelta(hours=1)))
        await office.publish(
            office.build(
                InflowRegistered,
                occurred_at=ROTATED + dt.timedelta(hours=2),
                person_key=office.person_key(an_id(1)),
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            )
        )
        await region.publish(
            region.build(
                PublisherRevoked,
                occurred_at=ROTATED + dt.timedelta(hours=3),
                county=ORIGIN,
                publisher=f"{ORIGIN}/police",
                effective_at=REVOKED,
                reason="department merged",
            )
        )
        await region.publish(region.build(ClockTicked, occurred_at=REVOKED))
        await police_rotated.publish(_outflow(police_rotated, 4, REVOKED + dt.timedelta(hours=1)))
    finally:
        for node in nodes:
            await node.stop()

    dead = [json.loads(v) for _, v in await pipeline.read("dead-letters", want=2, wait_s=180)]
    retired = f"signed with {ORIGIN}/police's key retired at"
    assert sorted((d["reason_code"], d["reason"]) for d in dead) == [
        ("key_retired", f"{retired} {ROTATED.isoformat()}"),  # the old key, backdated
        ("key_retired", f"{retired} {REVOKED.isoformat()}"),  # the new key, once revoked
    ]
    want = 3 * PARTITIONS + 2 * PARTITIONS + 3  # ticks, two signatures, three person events
    validated = [json.loads(v) for _, v in await pipeline.read("validated", want=want)]
    assert len(validated) == want
    person = sorted((v["event_type"], v["publisher_id"]) for v in validated if "person_key" in v)
    assert person == [
        ("inflow_registered", f"{ORIGIN}/office-{DESTINATION}"),
        ("outflow_registered", f"{ORIGIN}/police"),
        ("outflow_registered", f"{ORIGIN}/police"),
    ]
    # Opened for persons 1 and 3, person 1's fulfilled by the office's arrival.
    obligations = [json.loads(v) for _, v in await pipeline.read("obligations", want=3)]
    opened = {
        o["person_key"]: (o["agreement_id"], dt.datetime.fromisoformat(o["due_at"]))
        for o in obligations
        if o["event_type"] == "obligation_opened"
    }
    first, third = (police.person_key(an_id(n)) for n in (1, 3))
    # Signed by the origin alone when person 1 left: no agreement, the default 30 days.
    assert opened[first] == (None, T0 + dt.timedelta(hours=1, days=30))
    # Countersigned since: the agreement's 5 days.
    assert opened[third] == ("agr-hanbin-baoan", ROTATED + dt.timedelta(hours=1, days=5))
