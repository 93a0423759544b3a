"""``liudong demo``: the whole system on the embedded defaults, fed by simulated counties.

Kafka, PostgreSQL, a worker (gate and cases agents), the projector, the dashboard and the
simulator run under a fresh directory of ``home`` (:mod:`bootstrap.demo_stack`); the figures
printed as it runs and at the end are :mod:`entrypoints.demo_report`. Everything is stopped on
exit, Ctrl-C included.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import signal
import sys
from typing import TYPE_CHECKING

import asyncpg

from bootstrap import demo_stack
from bootstrap.readers import dashboard_config
from dashboard.demo_setup import start_with_operators
from entrypoints import demo_report
from infra.region import region_private_key
from infra.settings import Settings
from simulation.forgeries import publish_bad_examples
from simulation.publisher import SimulationProgress, run_simulation
from simulation.scenario import SimulationConfig
from streams.keys import person_key_secret

if TYPE_CHECKING:
    from disclosure.bulletin.build import Request


class Demo:
    def __init__(self, settings: Settings, duration: float, persons: int = 1000) -> None:
        self.root = settings.home / "demo"
        self.duration = duration
        self.persons = persons
        self.settings = settings.model_copy(update={"home": self.root})
        self.processes = demo_stack.Processes(self.root, self.say)
        self.progress: SimulationProgress | None = None
        self.interactive = sys.stdout.isatty()

    def say(self, text: str) -> None:
        print(text, flush=True)

    def run(self) -> int:
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        with (
            demo_stack.kafka(self.root, self.settings, self.say) as bootstrap,
            demo_stack.postgres(self.root, self.say) as dsn,
        ):
            try:
                asyncio.run(self._main(bootstrap, dsn))
            finally:
                self.processes.stop_all()
        self.say("demo stopped cleanly")
        return 0

    async def _main(self, bootstrap: str, dsn: str) -> None:
        env = await demo_stack.prepare(self.settings, bootstrap, dsn)
        for command in ("worker", "project", "assess"):
            self.processes.spawn(command, env)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        conn = await demo_stack.connect_when_ready(dsn)
        served = self.settings.model_copy(update={"pg_dsn": dsn, "kafka_bootstrap": bootstrap})
        dashboard = await start_with_operators(dashboard_config(served, host="127.0.0.1", port=0))
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
            await self._report(bootstrap, conn)
            await self._bulletin(bootstrap, env)
            self.say(f"dashboard at {dashboard.server.url} (sign-ins above)")
            self._cli_hint(env)
            await self._linger(stop)
        finally:
            await dashboard.server.stop()
            await conn.close()

    async def _report(self, bootstrap: str, conn: asyncpg.Connection) -> None:
        """The refused examples, then the figures once the projection has caught up."""
        await publish_bad_examples(
            bootstrap, self.settings.keys_dir / "simulation", self.root / "forger.pem"
        )
        self.say("published one forged event (wrong key) and one malformed message")
        await demo_report.settle(conn)
        await self._summary(conn, final=True)
        for line in [
            *await demo_report.final_lines(conn),
            *await demo_report.campaign_lines(conn),
            *await demo_report.league_lines(bootstrap, self.settings.region_code),
        ]:
            self.say(line)

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
        line = await demo_report.summary_line(conn, self.progress)
        if self.interactive and not final:
            print("\r" + line[: os.get_terminal_size().columns - 1], end="", flush=True)
        else:
            self.say(line)

    async def _bulletin(self, bootstrap: str, env: dict[str, str]) -> None:
        """The quarter's bulletin (通报), both editions; the public page serving the public one."""
        from bootstrap.readers import bulletin_log, bulletin_request
        from disclosure.bulletin.issue import issue_newest

        def request_for(period: str, public: bool) -> Request:
            return bulletin_request(
                self.settings, period=period, scope="region", lang="zh", public=public, office=None
            )

        log = await bulletin_log(self.settings, bootstrap, "liudong", None)
        issued = await issue_newest(
            log,
            request_for,
            "liudong",
            offices=self.root / "bulletins",
            public=self.settings.public_bulletins,
        )
        if issued is None:
            self.say("bulletin: no closed period yet (`liudong bulletin --period P OUT` later)")
            return
        self.say(f"bulletin {issued.period} (通报), offices' and public editions:")
        for path in issued.files:
            self.say(f"  {path}")
        port = demo_stack.free_port()
        self.processes.spawn("public", dict(env, LIUDONG_PUBLIC_PAGE="on"), "--port", str(port))
        url = f"http://127.0.0.1:{port}/"
        up = await demo_stack.wait_until_up(url)
        self.say(f"public page at {url} (no sign-in)" + ("" if up else ": not answering yet"))

    async def _linger(self, stop: asyncio.Event) -> None:
        if self.duration <= 0:
            self.say("running; press Ctrl-C to stop")
        else:
            self.say(f"running for {self.duration:.0f} s more; Ctrl-C stops earlier")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), self.duration if self.duration > 0 else None)
