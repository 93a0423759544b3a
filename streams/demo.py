"""``liudong demo``: broker, database and gate on the embedded defaults, and a small scenario.

Everything runs under a fresh directory of ``home`` and is stopped on exit, Ctrl-C included.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import asyncpg
from aiokafka import AIOKafkaConsumer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import divisions
from contracts.envelope import Envelope
from contracts.events.agreements import AgreementSigned
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import InquirySent, ServiceRecorded
from contracts.events.migration import InflowRegistered, OutflowRegistered
from contracts.events.registry import CountyRegistered
from contracts.identity import check_char
from infra.kafka.cluster import KafkaCluster
from infra.postgres import EmbeddedPostgres
from infra.settings import Settings
from streams import topics
from streams.admin import ensure_topics
from streams.county_node import CountyNode
from streams.keys import generate_key_file, person_key_secret
from streams.region import region_private_key
from streams.signing import public_key_b64

ANKANG = (
    "610902",
    "610921",
    "610922",
    "610923",
    "610924",
    "610925",
    "610926",
    "610927",
    "610929",
    "610981",
)
DESTINATIONS = ("610113", "610112", "440306", "440307", "441900")  # Xi'an, Shenzhen, Dongguan
START = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


def national_id(rng: random.Random, county: str) -> str:
    """A valid (check digit and all) but invented citizen ID number."""
    born = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(365 * 35))
    first17 = f"{county}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + check_char(first17)


class Demo:
    def __init__(self, settings: Settings, duration: float) -> None:
        self.root = settings.home / "demo"
        self.duration = duration
        self.settings = settings.model_copy(update={"home": self.root})
        self.processes: list[subprocess.Popen[bytes]] = []

    def say(self, text: str) -> None:
        print(text, flush=True)

    def run(self) -> int:
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        with self._kafka() as bootstrap, self._postgres() as dsn:
            asyncio.run(self._scenario(bootstrap, dsn))
        self.say("demo stopped cleanly")
        return 0

    @contextlib.contextmanager
    def _kafka(self) -> Iterator[str]:
        self.say("starting Apache Kafka (KRaft, 1 node) ...")
        cluster = KafkaCluster(self.root / "kafka", nodes=1, settings=self.settings)
        cluster.start()
        try:
            self.say(f"  kafka at {cluster.bootstrap_servers}")
            yield cluster.bootstrap_servers
        finally:
            for process in self.processes:
                _terminate(process)
            cluster.stop()

    @contextlib.contextmanager
    def _postgres(self) -> Iterator[str]:
        self.say("starting PostgreSQL (embedded) ...")
        server = EmbeddedPostgres(self.root / "pg")
        dsn = server.start()
        try:
            yield dsn
        finally:
            server.stop()

    async def _scenario(self, bootstrap: str, dsn: str) -> None:
        conn = await asyncpg.connect(dsn)
        version = await conn.fetchval("SHOW server_version")
        await conn.close()
        self.say(f"  postgresql {version} ready")
        await ensure_topics(
            bootstrap, prefix="liudong", partitions=self.settings.partitions, replication_factor=1
        )
        secret = person_key_secret(None, self.settings.keys_dir)
        region_key = region_private_key(self.settings, create=True)
        keys = {
            code: generate_key_file(self.settings.keys_dir / f"{code}.pem")
            for code in ANKANG + DESTINATIONS
        }
        region = CountyNode(
            county=self.settings.region_code,
            publisher_id=f"{self.settings.region_code}/region",
            private_key=region_key,
            person_key_secret=secret,
            bootstrap_servers=bootstrap,
        )
        async with region:
            registrations = [
                region.build(
                    CountyRegistered,
                    occurred_at=START,
                    county=code,
                    name=divisions.name_of(code),
                    public_key=public_key_b64(key),
                )
                for code, key in keys.items()
            ]
            await region.publish_many(registrations)
            self.say(
                f"registered {len(registrations)} counties: Ankang's ten and five destinations"
            )
            self._start_worker(bootstrap, public_key_b64(region_key))
            expected = await self._publish_counties(region, bootstrap, keys, secret)
        await self._report(bootstrap, expected)
        await self._linger()

    def _start_worker(self, bootstrap: str, region_public: str) -> None:
        env = dict(
            os.environ,
            LIUDONG_HOME=str(self.root),
            LIUDONG_KAFKA_BOOTSTRAP=bootstrap,
            LIUDONG_REGION_PUBLIC_KEY=region_public,
            LIUDONG_LOG_FORMAT="json",
        )
        with (self.root / "worker.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "streams.cli", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        self.say(f"started the gate worker (pid {process.pid}, log {self.root / 'worker.log'})")

    async def _publish_counties(
        self, region: CountyNode, bootstrap: str, keys: dict[str, Ed25519PrivateKey], secret: bytes
    ) -> Counter[str]:
        rng = random.Random(2026)  # noqa: S311 - invented demo data, deterministic
        sent: Counter[str] = Counter()
        nodes = {
            code: CountyNode(
                county=code,
                private_key=key,
                person_key_secret=secret,
                bootstrap_servers=bootstrap,
            )
            for code, key in keys.items()
        }
        for node in nodes.values():
            await node.start()
        try:
            events: list[tuple[CountyNode, Envelope]] = []
            origin = nodes["610902"]
            events.append(
                (
                    origin,
                    origin.build(
                        AgreementSigned,
                        occurred_at=START,
                        agreement_id="610902-440306-2026",
                        origin_county="610902",
                        destination_county="440306",
                        effective_from=START,
                    ),
                )
            )
            for i in range(20):
                home_code = ANKANG[i % len(ANKANG)]
                dest_code = DESTINATIONS[rng.randrange(len(DESTINATIONS))]
                home, dest = nodes[home_code], nodes[dest_code]
                key = home.person_key(national_id(rng, home_code))
                at = START + dt.timedelta(days=1, hours=i)
                events.append(
                    (
                        home,
                        home.build(
                            OutflowRegistered,
                            occurred_at=at,
                            person_key=key,
                            origin_county=home_code,
                            destination_county=dest_code,
                            reason="work",
                        ),
                    )
                )
                if i % 3:
                    events.append(
                        (
                            dest,
                            dest.build(
                                InflowRegistered,
                                occurred_at=at + dt.timedelta(days=3),
                                person_key=key,
                                origin_county=home_code,
                                destination_county=dest_code,
                            ),
                        )
                    )
                if i % 5 == 0:
                    events.append(
                        (
                            dest,
                            dest.build(
                                InquirySent,
                                occurred_at=at + dt.timedelta(days=4),
                                person_key=key,
                                inquiry_id=f"inq-{i}",
                                to_county=home_code,
                                kind="certificate",
                            ),
                        )
                    )
                if i % 7 == 0:
                    events.append(
                        (
                            dest,
                            dest.build(
                                ServiceRecorded,
                                occurred_at=at + dt.timedelta(days=5),
                                person_key=key,
                                service_id=f"svc-{i}",
                                origin_county=home_code,
                                service="check_up",
                            ),
                        )
                    )
            # The region's clock ticks daily; each event goes out once its day has begun.
            last_day = max(event.occurred_at for _, event in events).date()
            days = (last_day - START.date()).days + 1
            events += [
                (region, region.build(ClockTicked, occurred_at=START + dt.timedelta(days=d)))
                for d in range(days)
            ]
            events.sort(
                key=lambda pair: (pair[1].occurred_at, pair[1].event_type != "clock_ticked")
            )
            for node, event in events:
                await node.publish(event)
                sent[event.event_type] += 1
            await origin.publish(events[1][1])  # a re-delivery: the gate drops it as a duplicate
            self.say(
                f"published {sum(sent.values())} events from {len(nodes)} county nodes"
                " and one re-delivery"
            )
            await self._publish_bad(origin, nodes["610921"], rng)
        finally:
            for node in nodes.values():
                await node.stop()
        return sent

    async def _publish_bad(
        self, origin: CountyNode, victim: CountyNode, rng: random.Random
    ) -> None:
        forger = CountyNode(
            county="610921",
            private_key=generate_key_file(self.root / "forger.pem"),
            person_key_secret=b"forger",
            bootstrap_servers="unused",
        )
        forged = forger.build(
            OutflowRegistered,
            occurred_at=START + dt.timedelta(days=2),
            person_key=forger.person_key(national_id(rng, "610921")),
            origin_county="610921",
            destination_county="440306",
        )
        await victim.publish(forged)  # sent over the county's connection, but not signed by its key
        await victim._producer.send_and_wait(
            topics.COUNTY_EVENTS.full_name("liudong"),
            b'{"event_type": "outflow_registered", "person_',
            key=b"broken",
        )
        self.say("published one forged event (wrong key) and one malformed message")

    async def _report(self, bootstrap: str, sent: Counter[str]) -> None:
        partitions = self.settings.partitions
        broadcast = sent["agreement_signed"] + sent["clock_ticked"]
        want_valid = sum(sent.values()) + broadcast * (partitions - 1)
        valid, dead = await _drain(bootstrap, want_valid, want_dead=2, wait_s=90)
        by_type = Counter(json.loads(v)["event_type"] for v in valid)
        self.say("accepted by the gate (broadcast events once per partition):")
        for event_type, count in sorted(by_type.items()):
            self.say(f"  {event_type:<22} {count}")
        self.say("dead-lettered:")
        for value in dead:
            record = json.loads(value)
            raw = base64.b64decode(record["raw"])[:48]
            self.say(f"  {record['reason_code']}: {record['reason']}  (raw {raw!r}...)")
        if len(valid) != want_valid or len(dead) != 2:
            self.say(f"WARNING: expected {want_valid} accepted and 2 dead-lettered")

    async def _linger(self) -> None:
        if self.duration <= 0:
            self.say("running; press Ctrl-C to stop")
        else:
            self.say(f"running for {self.duration:.0f} s more; Ctrl-C stops earlier")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), self.duration if self.duration > 0 else None)


async def _drain(
    bootstrap: str, want_valid: int, want_dead: int, wait_s: float
) -> tuple[list[bytes], list[bytes]]:
    consumer = AIOKafkaConsumer(
        topics.VALIDATED.full_name("liudong"),
        topics.DEAD_LETTERS.full_name("liudong"),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    valid: list[bytes] = []
    dead: list[bytes] = []
    deadline = time.monotonic() + wait_s
    try:
        while time.monotonic() < deadline and (len(valid) < want_valid or len(dead) < want_dead):
            for tp, messages in (await consumer.getmany(timeout_ms=500)).items():
                target = dead if tp.topic.endswith("dead-letters") else valid
                target.extend(m.value for m in messages if m.value is not None)
    finally:
        await consumer.stop()
    return valid, dead


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
