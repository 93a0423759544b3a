"""The projector on the real broker and a real PostgreSQL.

A scripted set of events (registry, validated with broadcast copies, obligations with a
placeholder case, alerts, coverage, scorecards, dead letters, and two undecodable messages)
is produced to fresh topics; the projector must archive each event once, derive the rows,
ignore re-deliveries, survive being killed mid-batch and a PostgreSQL outage, and end with
exactly the database an uninterrupted run gives (every table dumped in primary-key order).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.events.agreements import AgreementSigned
from contracts.events.campaigns import VerificationResultReported, VerificationTaskAssigned
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import ServiceRecorded
from contracts.events.derived import (
    AgreementCoveragePublished,
    AlertRaised,
    CoverageFigure,
    DeadLettered,
    ObligationBreached,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationOpened,
    ObligationReminded,
    ScorecardPublished,
)
from contracts.events.migration import InflowRegistered, MovedOn, OutflowRegistered
from contracts.events.registry import CountyRegistered, PublisherRegistered
from infra.postgres import EmbeddedPostgres
from infra.projection.migrate import Migration, MigrationError, load_migrations, migrate
from infra.projection.projector import Projector
from streams import topics
from streams.admin import ensure_topics
from streams.codec import encode
from tests.integration.databases import empty_database
from tests.unit.factories import COUNTY_A, COUNTY_B, COUNTY_C, REGION, T0, unsigned

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

E = TypeVar("E", bound=Envelope)
PARTITIONS = 2
KEY = "A" * 43 + "="
DAY = dt.timedelta(days=1)
P1, P2, P3 = "11" * 32, "22" * 32, "33" * 32

# Every projected table, in primary-key order (schema_migrations.applied_at is wall clock).
DUMPS = {
    "events": "SELECT * FROM events ORDER BY event_id",
    "counties": "SELECT * FROM counties ORDER BY code",
    "publishers": "SELECT * FROM publishers ORDER BY publisher_id",
    "agreements": "SELECT * FROM agreements ORDER BY agreement_id",
    "persons": "SELECT * FROM persons ORDER BY person_key",
    "obligations": "SELECT * FROM obligations ORDER BY obligation_id",
    "alerts": "SELECT * FROM alerts ORDER BY alert_id",
    "coverage": "SELECT * FROM coverage ORDER BY period, agent_partition, scope",
    "scorecards": "SELECT * FROM scorecards ORDER BY county, period, revision",
    "campaigns": "SELECT * FROM campaigns ORDER BY campaign_id",
    "campaign_tasks": "SELECT * FROM campaign_tasks ORDER BY task_id",
    "dead_letters": "SELECT * FROM dead_letters ORDER BY event_id",
    "projection_offsets": "SELECT * FROM projection_offsets ORDER BY topic, partition",
    "migrations": "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
}

Dump = dict[str, list[tuple[Any, ...]]]


@dataclass(frozen=True, slots=True)
class Message:
    spec: topics.TopicSpec
    partition: int
    value: bytes
    event_id: uuid.UUID | None = None  # None: not a valid event


def ev(cls: type[E], source: str = REGION, at: dt.datetime = T0, **fields: Any) -> E:
    publisher = f"{source}/region" if source == REGION else f"{source}/node"
    return unsigned(cls, source_county=source, publisher_id=publisher, occurred_at=at, **fields)


def of_person(key: str) -> int:
    return int(key[:8], 16) % PARTITIONS


def to(spec: topics.TopicSpec, event: Envelope, partition: int = 0) -> Message:
    return Message(spec, partition, encode(event), event.event_id)


def broadcast(spec: topics.TopicSpec, event: Envelope) -> list[Message]:
    return [to(spec, event, p) for p in range(PARTITIONS)]


def person(spec: topics.TopicSpec, event: Any) -> Message:
    return to(spec, event, of_person(event.person_key))


def first_half() -> list[Message]:
    reg, val, obl = topics.REGISTRY, topics.VALIDATED, topics.OBLIGATIONS
    arrival: dict[str, Any] = {
        "kind": "arrival_registration",
        "agreement_id": "agr-1",
        "opened_at": T0,
        "due_at": T0 + 30 * DAY,
        "remind_at": T0 + 20 * DAY,
    }
    return [
        to(reg, ev(CountyRegistered, county=COUNTY_A, name="汉滨区", public_key=KEY)),
        to(reg, ev(CountyRegistered, county=COUNTY_B, name="旬阳市", public_key=KEY)),
        to(
            reg,
            ev(
                PublisherRegistered,
                COUNTY_A,
                county=COUNTY_A,
                publisher=f"{COUNTY_A}/health",
                role="health",
                public_key=KEY,
                event_types=("service_recorded",),
            ),
        ),
        *(
            message
            for party in (COUNTY_A, COUNTY_B)  # the agreement binds once both have signed
            for message in broadcast(
                val,
                ev(
                    AgreementSigned,
                    party,
                    agreement_id="agr-1",
                    origin_county=COUNTY_A,
                    destination_county=COUNTY_B,
                    effective_from=T0,
                ),
            )
        ),
        person(
            val,
            ev(
                OutflowRegistered,
                COUNTY_A,
                person_key=P1,
                origin_county=COUNTY_A,
                destination_county=COUNTY_B,
            ),
        ),
        person(
            obl,
            ev(
                ObligationOpened,
                person_key=P1,
                obligation_id="obl-1",
                responsible_county=COUNTY_B,
                counterpart_county=COUNTY_A,
                escalate_at=T0 + 40 * DAY,
                **arrival,
            ),
        ),
        person(
            val,
            ev(
                InflowRegistered,
                COUNTY_B,
                T0 + DAY,
                person_key=P1,
                origin_county=COUNTY_A,
                destination_county=COUNTY_B,
            ),
        ),
        person(
            obl,
            ev(
                ObligationFulfilled,
                at=T0 + DAY,
                person_key=P1,
                obligation_id="obl-1",
                responsible_county=COUNTY_B,
                late=False,
                fulfilled_by_publisher=f"{COUNTY_B}/node",
            ),
        ),
        person(
            val,
            ev(
                OutflowRegistered,
                COUNTY_A,
                person_key=P2,
                origin_county=COUNTY_A,
                destination_county=COUNTY_B,
            ),
        ),
        person(
            obl,
            ev(
                ObligationOpened,
                person_key=P2,
                obligation_id="obl-2",
                responsible_county=COUNTY_B,
                counterpart_county=COUNTY_A,
                escalate_at=T0 + 40 * DAY,
                **arrival,
            ),
        ),
        *broadcast(val, ev(ClockTicked, at=T0 + 2 * DAY)),
        Message(val, 0, b"this is not json"),
        to(
            topics.ALERTS,
            ev(
                AlertRaised,
                alert_id="al-1",
                kind="agreement_missing",
                counties=(COUNTY_A, COUNTY_C),
                period="2024-03",
                detail="no agreement",
            ),
        ),
        to(
            topics.DEAD_LETTERS,
            ev(
                DeadLettered,
                reason_code="bad_signature",
                reason="signature does not verify",
                raw=base64.b64encode(b'{"forged": true}').decode(),
                source_topic="x.county-events",
                source_partition=1,
                source_offset=7,
            ),
        ),
    ]


def second_half() -> list[Message]:
    val, obl = topics.VALIDATED, topics.OBLIGATIONS
    return [
        person(
            obl,
            ev(
                ObligationReminded,
                at=T0 + 20 * DAY,
                person_key=P2,
                obligation_id="obl-2",
                responsible_county=COUNTY_B,
                due_at=T0 + 30 * DAY,
            ),
        ),
        person(
            obl,
            ev(
                ObligationBreached,
                at=T0 + 31 * DAY,
                person_key=P2,
                obligation_id="obl-2",
                responsible_county=COUNTY_B,
                due_at=T0 + 30 * DAY,
            ),
        ),
        person(
            obl,
            ev(
                ObligationEscalated,
                at=T0 + 41 * DAY,
                person_key=P2,
                obligation_id="obl-2",
                responsible_county=COUNTY_B,
                escalated_to=f"{REGION}/region",
            ),
        ),
        # an update whose obligation_opened was never seen: kept as a placeholder row
        person(
            obl,
            ev(
                ObligationFulfilled,
                at=T0 + 5 * DAY,
                person_key=P3,
                obligation_id="obl-9",
                responsible_county=COUNTY_A,
                late=True,
                fulfilled_by_publisher=f"{COUNTY_A}/node",
            ),
        ),
        person(
            val,
            ev(
                MovedOn,
                COUNTY_B,
                T0 + 3 * DAY,
                person_key=P2,
                from_county=COUNTY_B,
                to_county=COUNTY_C,
            ),
        ),
        person(
            val,
            ev(
                ServiceRecorded,
                COUNTY_B,
                T0 + 3 * DAY,
                person_key=P1,
                service_id="s-1",
                origin_county=COUNTY_A,
                service="birth",
            ),
        ),
        # the result (validated) before its assignment (obligations) in produce order
        person(
            val,
            ev(
                VerificationResultReported,
                COUNTY_B,
                T0 + 6 * DAY,
                person_key=P3,
                task_id="t-1",
                result="present",
            ),
        ),
        person(
            obl,
            ev(
                VerificationTaskAssigned,
                at=T0 + 4 * DAY,
                person_key=P3,
                task_id="t-1",
                campaign_id="c-1",
                check="stale",
                assignee_county=COUNTY_B,
                due_at=T0 + 9 * DAY,
            ),
        ),
        Message(obl, 1, b'{"event_type": "no_such_event"}'),
        to(
            topics.ALERTS,
            ev(
                AgreementCoveragePublished,
                at=T0 + 3 * DAY,
                period="2024-03",
                partition=0,
                figures=(CoverageFigure(scope="region", flows=2, covered=2),),
            ),
        ),
        to(
            topics.ALERTS,
            ev(
                AgreementCoveragePublished,
                at=T0 + 4 * DAY,
                period="2024-03",
                partition=0,
                figures=(CoverageFigure(scope="region", flows=3, covered=2),),
            ),
        ),
        *[
            to(
                topics.SCORECARDS,
                ev(
                    ScorecardPublished,
                    at=T0 + r * DAY,
                    county=COUNTY_B,
                    period="2024-03",
                    revision=r,
                    reason=f"rev {r}",
                    indicators=(),
                    origin_score=80.0 + r,
                    destination_score=70.0,
                    combined_score=75.0,
                ),
            )
            for r in (1, 2)
        ],
        *broadcast(val, ev(ClockTicked, at=T0 + 41 * DAY)),
    ]


def scenario() -> list[Message]:
    return first_half() + second_half()


def unique_events(messages: Iterable[Message]) -> set[uuid.UUID]:
    return {m.event_id for m in messages if m.event_id is not None}


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
async def prefix(kafka_bootstrap: str) -> str:
    name = f"proj-{uuid.uuid4().hex[:10]}"
    await ensure_topics(kafka_bootstrap, prefix=name, partitions=PARTITIONS, replication_factor=1)
    return name


@pytest.fixture
async def database(pg_dsn: str) -> AsyncIterator[str]:
    async with empty_database(pg_dsn, "proj") as dsn:
        yield dsn


async def produce(bootstrap: str, prefix: str, messages: Sequence[Message]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for m in messages:
            await producer.send_and_wait(m.spec.full_name(prefix), m.value, partition=m.partition)
    finally:
        await producer.stop()


async def dump(dsn: str) -> Dump:
    conn = await asyncpg.connect(dsn)
    try:
        return {name: [tuple(r) for r in await conn.fetch(sql)] for name, sql in DUMPS.items()}
    finally:
        await conn.close()


async def fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        records: list[asyncpg.Record] = await conn.fetch(sql, *args)
        return records
    finally:
        await conn.close()


def projector(dsn: str, bootstrap: str, prefix: str, **options: Any) -> Projector:
    options.setdefault("initial_backoff_s", 0.05)
    options.setdefault("max_backoff_s", 0.5)
    return Projector(dsn, bootstrap, prefix, **options)


async def reference_dump(server_dsn: str, bootstrap: str, prefix: str) -> Dump:
    """What one uninterrupted run over the whole log gives, in a database of its own."""
    async with empty_database(server_dsn, "proj") as dsn:
        await projector(dsn, bootstrap, prefix).catch_up(30)
        return await dump(dsn)


# --- tests -------------------------------------------------------------------------------------


async def test_migrations_are_idempotent_and_guarded(database: str) -> None:
    conn = await asyncpg.connect(database)
    try:
        shipped = load_migrations()
        assert [m.version for m in shipped] == list(range(1, len(shipped) + 1))
        assert await migrate(conn) == [m.version for m in shipped]
        assert await migrate(conn) == []
        edited = (*shipped[:-1], Migration(shipped[-1].version, shipped[-1].name, "SELECT 1"))
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, edited)
        with pytest.raises(MigrationError, match="does not ship"):
            await migrate(conn, shipped[:-1])
        later = Migration(len(shipped) + 1, "probe", "CREATE TABLE probe (id int); SELECT 1/0;")
        with pytest.raises(asyncpg.DivisionByZeroError):
            await migrate(conn, (*shipped, later))
        # the failed migration rolled back whole: no table, no history row
        assert await conn.fetchval("SELECT to_regclass('probe')") is None
        assert await conn.fetchval("SELECT max(version) FROM schema_migrations") == len(shipped)
        await conn.execute(
            "INSERT INTO events VALUES ($1, 't', 0, 0, 'x', 1, now(), now(), '610902', "
            "'p', $1, NULL, NULL, '{}'::jsonb)",
            uuid.uuid4(),
        )
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM events")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE events SET payload = '[]'::jsonb")
    finally:
        await conn.close()


async def test_projects_every_table_once_and_ignores_redelivery(
    kafka_bootstrap: str, prefix: str, database: str
) -> None:
    messages = scenario()
    await produce(kafka_bootstrap, prefix, messages)
    first = projector(database, kafka_bootstrap, prefix)
    await first.catch_up(30)
    assert first.applied == len(unique_events(messages))
    assert first.undecodable == 2

    events = await fetch(database, "SELECT event_id, topic, partition FROM events")
    assert {r["event_id"] for r in events} == unique_events(messages)
    agreement = [r for r in events if r["topic"] == f"{prefix}.validated" and r["partition"] == 0]
    assert agreement  # broadcast copies: archived once, at the lowest partition

    obligations = {
        r["obligation_id"]: r
        for r in await fetch(database, "SELECT * FROM obligations ORDER BY obligation_id")
    }
    assert obligations["obl-1"]["state"] == "fulfilled"
    assert obligations["obl-1"]["late"] is False
    assert obligations["obl-2"]["state"] == "escalated"
    assert obligations["obl-2"]["reminded_at"] == T0 + 20 * DAY
    assert obligations["obl-2"]["breached_at"] == T0 + 31 * DAY
    placeholder = obligations["obl-9"]
    assert (placeholder["kind"], placeholder["state"], placeholder["late"]) == (
        None,
        "fulfilled",
        True,
    )

    persons = {r["person_key"]: r for r in await fetch(database, "SELECT * FROM persons")}
    assert persons[P1]["current_county"] == COUNTY_B
    assert (persons[P1]["first_seen"], persons[P1]["last_seen"]) == (T0, T0 + 3 * DAY)
    assert persons[P2]["current_county"] == COUNTY_C
    assert persons[P3]["current_county"] is None

    (task,) = await fetch(database, "SELECT * FROM campaign_tasks")
    assert (task["campaign_id"], task["assignee"], task["result"], task["state"]) == (
        "c-1",
        COUNTY_B,
        "present",
        "reported",
    )
    (coverage,) = await fetch(database, "SELECT * FROM coverage_totals")
    assert (coverage["flows"], coverage["covered"]) == (3, 2)
    revisions = await fetch(database, "SELECT revision FROM scorecards ORDER BY revision")
    assert [r["revision"] for r in revisions] == [1, 2]
    assert len(await fetch(database, "SELECT * FROM counties")) == 2
    assert len(await fetch(database, "SELECT * FROM agreements")) == 1

    dead = await fetch(database, "SELECT * FROM dead_letters ORDER BY detected_by, reason_code")
    assert [(r["detected_by"], r["reason_code"]) for r in dead] == [
        ("gate", "bad_signature"),
        ("projector", "malformed_json"),
        ("projector", "unknown_event_type"),
    ]
    assert dead[0]["raw"] == b'{"forged": true}'
    assert dead[1]["raw"] == b"this is not json"

    before = await dump(database)
    # Every valid message delivered again (a producer retry, a republished export).
    again = [m for m in messages if m.event_id is not None]
    await produce(kafka_bootstrap, prefix, again)
    second = projector(database, kafka_bootstrap, prefix)
    await second.catch_up(30)
    assert (second.applied, second.repeats, second.undecodable) == (0, len(again), 0)
    after = await dump(database)
    assert before.pop("projection_offsets") != after.pop("projection_offsets")
    assert after == before


class CrashingProjector(Projector):
    """Hangs inside the transaction of its ``crash_at``-th batch, until cancelled."""

    def __init__(self, *args: Any, crash_at: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crash_at = crash_at
        self.batches = 0
        self.in_doomed_transaction = asyncio.Event()

    async def _before_commit(self) -> None:
        self.batches += 1
        if self.batches == self.crash_at:
            self.in_doomed_transaction.set()
            await asyncio.Event().wait()  # the kill comes here, between writes and COMMIT


async def test_killed_mid_batch_resumes_without_duplicate_or_gap(
    kafka_bootstrap: str, prefix: str, database: str, pg_dsn: str
) -> None:
    messages = scenario()
    await produce(kafka_bootstrap, prefix, messages)
    doomed = CrashingProjector(database, kafka_bootstrap, prefix, batch_size=4, crash_at=3)
    task = asyncio.create_task(doomed.run(asyncio.Event()))
    await asyncio.wait_for(doomed.in_doomed_transaction.wait(), 30)
    committed = await fetch(database, "SELECT count(*) AS n FROM events")
    assert 0 < committed[0]["n"] < len(unique_events(messages))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # the doomed batch left nothing behind: the database is at the end of batch 2
    assert (await fetch(database, "SELECT count(*) AS n FROM events"))[0]["n"] == committed[0]["n"]

    resumed = projector(database, kafka_bootstrap, prefix, batch_size=4)
    await resumed.catch_up(30)
    archived = await fetch(database, "SELECT event_id FROM events")
    assert {r["event_id"] for r in archived} == unique_events(messages)
    assert await dump(database) == await reference_dump(pg_dsn, kafka_bootstrap, prefix)


async def test_postgres_outage_ends_identical_to_an_uninterrupted_run(
    kafka_bootstrap: str, prefix: str, pg_server: EmbeddedPostgres
) -> None:
    dsn = pg_server.dsn()
    await produce(kafka_bootstrap, prefix, first_half())
    live = projector(dsn, kafka_bootstrap, prefix, batch_size=3)
    stop = asyncio.Event()
    task = asyncio.create_task(live.run(stop))
    try:
        await asyncio.wait_for(live.wait_running(), 30)
        await live.catch_up(30)
        await asyncio.to_thread(pg_server.stop_server)
        await produce(kafka_bootstrap, prefix, second_half())
        while live.db_failures < 3:  # it is retrying with backoff, not crashing
            assert not task.done()
            await asyncio.sleep(0.05)
        await asyncio.to_thread(pg_server.start_server)
        await live.catch_up(30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert live.applied == len(unique_events(scenario()))
    assert await dump(dsn) == await reference_dump(dsn, kafka_bootstrap, prefix)
