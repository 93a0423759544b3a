"""``liudong demo``: the whole system on the embedded defaults, fed by simulated counties.

Kafka, PostgreSQL, a worker (gate and cases agents), the projector, the dashboard and the
simulator run
under a fresh directory of ``home``; a one-line summary from PostgreSQL follows the run.
Everything is stopped on exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from contracts import obligation_vocabulary as vocabulary
from contracts import unions
from contracts.events.migration import OutflowRegistered
from contracts.identity import check_char
from dashboard import figures
from dashboard.demo_setup import start_demo_dashboard
from infra.kafka.cluster import KafkaCluster
from infra.postgres import EmbeddedPostgres
from infra.projection import reads
from infra.region import region_private_key
from infra.settings import Settings
from simulation.publisher import SimulationProgress, run_simulation
from simulation.scenario import SimulationConfig
from streams import topics
from streams.admin import ensure_topics
from streams.county_node import CountyNode
from streams.event_counts import COUNTY_EVENTS, DERIVED
from streams.keys import generate_key_file, load_key_file, person_key_secret
from streams.signing import public_key_b64
from streams.topic_reader import read_all

SUMMARY_SQL = """
SELECT
  (SELECT max(occurred_at) FROM events WHERE event_type = 'clock_ticked') AS clock,
  (SELECT coalesce(sum(flows), 0) FROM coverage_totals WHERE scope = 'region') AS flows,
  (SELECT coalesce(sum(covered), 0) FROM coverage_totals WHERE scope = 'region') AS covered,
  (SELECT count(*) FROM dead_letters) AS dead
"""
# The counts the demo prints, in the vocabulary's words (contracts.obligation_vocabulary).
SHOWN = ("open", "overdue", "fulfilled_on_time", "fulfilled_late", "breached", "escalated")
COVERAGE_TARGET = 0.8  # the seed's goal: 80% of counties with the mechanism in place by 2015


class Demo:
    def __init__(self, settings: Settings, duration: float, persons: int = 1000) -> None:
        self.root = settings.home / "demo"
        self.duration = duration
        self.persons = persons
        self.settings = settings.model_copy(update={"home": self.root})
        self.processes: list[subprocess.Popen[bytes]] = []
        self.progress: SimulationProgress | None = None
        self.interactive = sys.stdout.isatty()

    def say(self, text: str) -> None:
        print(text, flush=True)

    def run(self) -> int:
        import shutil

        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        with self._kafka() as bootstrap, self._postgres() as dsn:
            try:
                asyncio.run(self._main(bootstrap, dsn))
            finally:
                for process in self.processes:
                    _terminate(process)
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
            cluster.stop()

    @contextlib.contextmanager
    def _postgres(self) -> Iterator[str]:
        self.say("starting PostgreSQL (embedded) ...")
        server = EmbeddedPostgres(self.root / "pg")
        dsn = server.start()
        try:
            self.say("  postgresql ready")
            yield dsn
        finally:
            server.stop()

    async def _main(self, bootstrap: str, dsn: str) -> None:
        await ensure_topics(
            bootstrap,
            prefix="liudong",
            partitions=self.settings.partitions,
            replication_factor=1,
            max_event_bytes=self.settings.max_event_bytes,
        )
        region_key = region_private_key(self.settings, create=True)
        env = {
            "LIUDONG_HOME": str(self.root),
            "LIUDONG_KAFKA_BOOTSTRAP": bootstrap,
            "LIUDONG_PG_DSN": dsn,
            "LIUDONG_REGION_PUBLIC_KEY": public_key_b64(region_key),
            "LIUDONG_LOG_FORMAT": "json",
        }
        self._spawn("worker", env)
        self._spawn("project", env)
        self._spawn("assess", env)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        conn = await _connect(dsn)
        dashboard = await start_demo_dashboard(dsn, bootstrap, region=self.settings.region_code)
        for line in dashboard.lines():
            self.say(line)
        try:
            simulation = asyncio.create_task(self._simulate(bootstrap))
            while not simulation.done() and not stop.is_set():
                await self._summary(conn, final=False)
                await asyncio.wait([simulation], timeout=2.0)
            if stop.is_set():
                simulation.cancel()
                return
            await simulation
            await self._publish_bad(bootstrap)
            await self._settle(conn)
            await self._final_report(conn)
            await self._campaign_report(conn)
            await self._league(bootstrap)
            await self._bulletin(bootstrap, env)
            self.say(f"dashboard at {dashboard.server.url} (sign-ins above)")
            self._cli_hint(env)
            await self._linger(conn, stop)
        finally:
            await dashboard.server.stop()
            await conn.close()

    def _cli_hint(self, env: dict[str, str]) -> None:
        """How to point the other commands (an auditor's, an operator's) at this demo's broker
        and database: without these they would look under the default home and find nothing."""
        names = ("LIUDONG_HOME", "LIUDONG_KAFKA_BOOTSTRAP", "LIUDONG_PG_DSN")
        self.say("the liudong commands on this demo's data, from another shell while it runs:")
        self.say("  export " + " ".join(f"{name}={shlex.quote(env[name])}" for name in names))
        self.say(
            "  liudong obligations --state overdue; liudong scorecard --period 2026-Q1; "
            "liudong audit person KEY-PREFIX; liudong replay --verify"
        )

    def _spawn(self, command: str, env: dict[str, str], *argv: str) -> None:
        with (self.root / f"{command}.log").open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
                [sys.executable, "-m", "entrypoints.cli", command, *argv],
                env=dict(os.environ, **env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        self.say(f"started `liudong {command}` (pid {process.pid}, log {self.root / command}.log)")

    async def _simulate(self, bootstrap: str) -> None:
        config = SimulationConfig(
            counties=10,
            persons=self.persons,
            months=3,
            seed=2026,
            region=self.settings.region_code,
            tail_days=60,
        )
        self.say(
            f"simulating Ankang's 10 counties, {self.persons} persons, 3 months "
            "(+60 days of answers), published signed through county nodes ..."
        )

        def on_progress(p: SimulationProgress) -> None:
            self.progress = p

        report = await run_simulation(
            config,
            bootstrap_servers=bootstrap,
            keys_dir=self.settings.keys_dir / "simulation",
            region_key=region_private_key(self.settings),
            person_key_secret=person_key_secret(None, self.settings.keys_dir),
            rate=4000.0,
            progress=on_progress,
            progress_every=500,
        )
        if self.interactive:
            print()
        for line in report.lines()[:2]:
            self.say(line)

    async def _summary(self, conn: asyncpg.Connection, *, final: bool) -> None:
        row = await conn.fetchrow(SUMMARY_SQL)
        archive = await figures.totals(conn)
        counts = await reads.obligation_counts(conn, row["clock"])
        p = self.progress
        published = f"published {p.events} {COUNTY_EVENTS}" if p else ""
        clock = f"event time {p.event_time:%Y-%m-%d}, {published}" if p else "starting"
        flows, covered = int(row["flows"]), int(row["covered"])
        share = f"{covered / flows:.0%}" if flows else "-"
        by_state = ", ".join(f"{name.replace('_', ' ')} {counts[name]}" for name in SHOWN)
        line = (
            f"{clock} | {COUNTY_EVENTS} {archive['county_events']}, {DERIVED}"
            f" {archive['derived']} | obligations {by_state} "
            f"| agreement coverage {share} "
            f"(target {COVERAGE_TARGET:.0%}) | dead letters {row['dead']}"
        )
        if self.interactive and not final:
            print("\r" + line[: os.get_terminal_size().columns - 1], end="", flush=True)
        else:
            self.say(line)

    async def _publish_bad(self, bootstrap: str) -> None:
        await publish_bad_examples(
            bootstrap, self.settings.keys_dir / "simulation", self.root / "forger.pem"
        )
        self.say("published one forged event (wrong key) and one malformed message")

    async def _settle(self, conn: asyncpg.Connection) -> None:
        """Wait until the projection stops moving (the agents and projector caught up)."""
        last, still, deadline = -1, 0, time.monotonic() + 120
        while time.monotonic() < deadline and still < 3:
            archived = int(await conn.fetchval("SELECT count(*) FROM events"))
            still = still + 1 if archived == last else 0
            last = archived
            await asyncio.sleep(1.0)

    async def _final_report(self, conn: asyncpg.Connection) -> None:
        await self._summary(conn, final=True)
        self.say("agreement coverage of each origin county's outflows (covered / flows):")
        rows = await conn.fetch(
            "SELECT c.scope, coalesce(sum(c.outflows), 0) AS flows, "
            "coalesce(sum(c.outflows_covered), 0) AS covered, "
            "coalesce(min(k.name), c.scope) AS name "
            "FROM coverage_totals c LEFT JOIN counties k ON k.code = c.scope "
            "WHERE c.scope LIKE '6109%' GROUP BY c.scope ORDER BY c.scope"
        )
        for r in rows:
            share = r["covered"] / r["flows"] if r["flows"] else 0.0
            self.say(f"  {r['scope']} {r['name']:<6} {r['covered']:>5}/{r['flows']:<5} {share:.0%}")
        self.say("obligations by kind (" + ", ".join(vocabulary.NAMES) + "):")
        clock = await conn.fetchval(
            "SELECT max(occurred_at) FROM events WHERE event_type = 'clock_ticked'"
        )
        by_kind = reads.obligation_counts_sql(group_by="kind")
        for r in await conn.fetch(by_kind, vocabulary.horizon(clock)):
            figures = " ".join(f"{r[name]:>5}" for name in vocabulary.NAMES)
            self.say(f"  {r['grouped'] or '?':<26} {figures}")
        self.say("dead letters:")
        for r in await conn.fetch(
            "SELECT reason_code, reason FROM dead_letters ORDER BY reason_code"
        ):
            self.say(f"  {r['reason_code']}: {r['reason']}")

    async def _campaign_report(self, conn: asyncpg.Connection) -> None:
        rows = await conn.fetch(CAMPAIGN_SQL)
        self.say(
            "campaign tasks (清理清查) by kind: assigned / answered / overdue, assignee counties:"
        )
        for r in rows:
            self.say(
                f"  {r['campaign_id']} {r['check']:<18} "
                f"{r['assigned']:>4} / {r['answered']:>4} / {r['overdue']:>4}, "
                f"{r['assignees']} counties"
            )
        if not rows:
            self.say("  none assigned")

    async def _league(self, bootstrap: str) -> None:
        """The newest quarter's league of the region's own counties, from the scorecards topic."""
        from agents import assessment_rules
        from entrypoints.assessment_cmd import league_of, table_lines

        cards = assessment_rules.newest(
            await read_all(bootstrap, topics.SCORECARDS.full_name("liudong"), unions.ScorecardEvent)
        )
        quarters = sorted({period for _, period in cards if "Q" in period})
        if not quarters:
            self.say("scorecards: none published yet (`liudong scorecard --period P` later)")
            return
        period = quarters[-1]
        mine = {c.county: c for (_, p), c in cards.items() if p == period}
        table = league_of(list(mine.values()), region=self.settings.region_code, scope="region")
        self.say(
            f"two-way assessment (双向考核) {period}, the region's {len(table.standings)} "
            f"counties ({len(table.ranked)} ranked; `liudong scorecard --period {period}`):"
        )
        for line in table_lines(table.standings, table.average, mine, ranked=bool(table.ranked)):
            self.say("  " + line)

    async def _bulletin(self, bootstrap: str, env: dict[str, str]) -> None:
        """The quarter's bulletin (通报), both editions; the public page serving the public one."""
        from disclosure.bulletin.issue import issue_newest
        from entrypoints.public_cmd import wait_until_up

        issued = await issue_newest(
            bootstrap,
            "liudong",
            region=self.settings.region_code,
            offices=self.root / "bulletins",
            public=self.settings.public_bulletins,
            threshold=self.settings.public_suppress_below,
        )
        if issued is None:
            self.say("bulletin: no closed period yet (`liudong bulletin --period P OUT` later)")
            return
        self.say(f"bulletin {issued.period} (通报), offices' and public editions:")
        for path in issued.files:
            self.say(f"  {path}")
        port = _free_port()
        self._spawn("public", dict(env, LIUDONG_PUBLIC_PAGE="on"), "--port", str(port))
        url = f"http://127.0.0.1:{port}/"
        up = await wait_until_up(url)
        self.say(f"public page at {url} (no sign-in)" + ("" if up else ": not answering yet"))

    async def _linger(self, conn: asyncpg.Connection, stop: asyncio.Event) -> None:
        if self.duration <= 0:
            self.say("running; press Ctrl-C to stop")
        else:
            self.say(f"running for {self.duration:.0f} s more; Ctrl-C stops earlier")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), self.duration if self.duration > 0 else None)


async def publish_bad_examples(
    bootstrap: str, keys_dir: Path, forger_key: Path, prefix: str = "liudong"
) -> None:
    """What the demo shows being refused: an outflow of 610921 signed by a key that is not
    its county's (sent over the county's connection), and a message cut off mid-JSON."""
    victim = CountyNode(
        county="610921",
        private_key=load_key_file(keys_dir / "610921.pem"),
        person_key_secret=b"unused",
        bootstrap_servers=bootstrap,
        topic_prefix=prefix,
    )
    forger = CountyNode(
        county="610921",
        private_key=generate_key_file(forger_key),
        person_key_secret=b"forger",
        bootstrap_servers=bootstrap,
        topic_prefix=prefix,
    )
    first17 = "61092119900101123"
    forged = forger.build(
        OutflowRegistered,
        occurred_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        person_key=forger.person_key(first17 + check_char(first17)),
        origin_county="610921",
        destination_county="440306",
    )
    async with victim:
        await victim.publish(forged)  # over the county's connection, not signed by its key
        await victim.send_raw(b'{"event_type": "outflow_registered", "person_', key=b"x")


CAMPAIGN_SQL = (
    """
SELECT t.campaign_id, t."check", count(DISTINCT t.assignee) AS assignees, count(*) AS assigned,
       count(*) FILTER (WHERE t.result IS NOT NULL) AS answered,
       count(*) FILTER (WHERE t.result IS NULL AND """
    + vocabulary.sql("overdue")
    + """) AS overdue
FROM campaign_tasks t
LEFT JOIN obligations o ON o.obligation_id = 'verification_result:' || t.task_id
WHERE t.campaign_id IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2
"""
)


async def _connect(dsn: str) -> asyncpg.Connection:
    """The projector creates the schema; wait for it."""
    deadline = time.monotonic() + 60
    while True:
        conn = await asyncpg.connect(dsn)
        ready = await conn.fetchval("SELECT to_regclass('coverage_totals') IS NOT NULL")
        if ready:
            return conn
        await conn.close()
        if time.monotonic() > deadline:
            raise RuntimeError("the projector did not create its schema within 60 s")
        await asyncio.sleep(0.5)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run(args: argparse.Namespace, settings: Settings) -> int:
    """``liudong demo [--duration SECONDS]``."""
    return Demo(settings, args.duration).run()
