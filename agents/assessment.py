"""The assessment service (``liudong assess``): scorecards from the log, per county and period.

One process, one :class:`streams.topic_reader.TopicReader` with every partition assigned by
hand and no consumer group (like the projector). Its fold is kept on disk with the position
of every partition it has read (:mod:`agents.assessment_snapshot`), so a start reads only
what follows them; without a snapshot (the first start, or code changed since), from the
beginning of the log. At start it reads, up to the end offsets seen then,

* the obligations topic (every obligation's lifecycle),
* the alerts topic (agreement coverage figures; alerts are skipped unread),
* the validated topic, of which only ``inquiry_sent`` and ``arrival_not_found`` are decoded
  (the rest is skipped on a byte check), and
* the scorecards topic: the newest revision per (county, period) already published.

Then it publishes what differs from those revisions (:func:`agents.assessment_rules.
publications`) and keeps folding and publishing after every batch until stopped. Scorecard
ids derive from county, period, revision and figures, so a crash between publishing and
reading its own output back republishes the same ids. Run one instance per deployment.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from agents import assessment_rules as rules
from agents import assessment_snapshot
from agents.assessment_config import AssessmentConfig
from agents.assessment_state import AssessmentState
from contracts.events.derived import ScorecardPublished
from streams import codec as codec_module
from streams import topics
from streams.codec import Codec, DecodeError
from streams.read_bounds import ReadBounds
from streams.topic_reader import TopicReader, TopicsNotFound

log = structlog.get_logger(__name__)

# What is worth decoding, by a byte check before any JSON parse (most messages are not).
WANTED: dict[str, tuple[bytes, ...] | None] = {
    topics.OBLIGATIONS.name: None,  # everything
    topics.ALERTS.name: (b"agreement_coverage_published",),
    topics.VALIDATED.name: (b"inquiry_sent", b"arrival_not_found"),
    topics.SCORECARDS.name: None,
}
INITIAL_BACKOFF_S = 0.2
MAX_BACKOFF_S = 5.0


# How long the service waits for its input topics to exist before it gives up.
TOPIC_WAIT_S = 30.0


class AssessmentError(RuntimeError):
    """The service cannot run as configured (for example, its topics do not exist)."""


class AssessmentService:
    def __init__(
        self,
        bootstrap_servers: str,
        topic_prefix: str,
        *,
        region: str,
        config: AssessmentConfig,
        client_options: Mapping[str, Any] | None = None,
        max_record_bytes: int = topics.READ_LIMIT_BYTES,
        poll_timeout_ms: int = 500,
        max_records: int = 5000,
        topic_wait_s: float = TOPIC_WAIT_S,
        snapshot: Path | None = None,
        snapshot_interval_s: float = assessment_snapshot.SNAPSHOT_INTERVAL_S,
    ) -> None:
        self.bootstrap = bootstrap_servers
        self.region = region
        self.config = config
        self.client_options = dict(client_options or {})
        self.poll_timeout_ms = poll_timeout_ms
        self.max_records = max_records
        self.topic_wait_s = topic_wait_s
        specs = (topics.OBLIGATIONS, topics.ALERTS, topics.VALIDATED, topics.SCORECARDS)
        self.names = {spec.full_name(topic_prefix): spec.name for spec in specs}
        self._reader = TopicReader(
            bootstrap_servers, client_options=client_options, max_record_bytes=max_record_bytes
        )
        self.codecs: dict[str, Codec[Any]] = {
            spec.full_name(topic_prefix): self._reader.codec(spec.union) for spec in specs
        }
        self.scorecard_topic = topics.SCORECARDS.full_name(topic_prefix)
        self.state = AssessmentState()
        self.published: dict[tuple[str, str], ScorecardPublished] = {}
        self.folded = 0
        self.undecodable = 0
        self.sent = 0
        self._producer: Any = None
        self._partitions: list[TopicPartition] = []
        self.caught_up = asyncio.Event()
        # The fold on disk (None: kept in memory only, folded from the beginning each start).
        self.snapshot = snapshot
        self.snapshot_interval_s = snapshot_interval_s
        self.positions: dict[tuple[str, int], int] = {}  # next offset to fold, per partition
        self.resumed = False  # this start resumed from a snapshot
        self._saved_at = 0.0
        self._print = assessment_snapshot.fingerprint(self.codecs)

    # --- reading ---------------------------------------------------------------------------

    async def load(self) -> AssessmentState:
        """Fold every topic up to the end offsets seen now (what the CLI's explain and what-if
        use), then close."""
        await self._start_consumer()
        try:
            await self._catch_up()
        finally:
            await self.close()
        return self.state

    async def _start_consumer(self, *, resume: bool = False) -> None:
        reader = self._reader
        await self._open_reader()
        await reader.seek_to_beginning()
        saved = None
        if resume and self.snapshot is not None:
            saved = assessment_snapshot.load(self.snapshot, self._print)
        if saved is not None:
            self.state, self.published, self.resumed = saved.state, saved.published, True
            for tp in self._partitions:
                at = saved.positions.get((tp.topic, tp.partition), 0)
                self.positions[(tp.topic, tp.partition)] = at
                if at:
                    reader.seek({tp: at})

    async def _catch_up(self) -> None:
        reader = self._reader
        ends = await reader.end_offsets()
        bounds = ReadBounds(ends, {tp: await reader.position(tp) for tp in ends})
        # Messages newer than those ends are folded too (no clip): they only make the
        # start's figures more current.
        async for tp, messages in reader.read_to(
            bounds, timeout_ms=self.poll_timeout_ms, max_records=self.max_records, clip=False
        ):
            self._fold_batches({tp: messages})
        log.info(
            "assessment_loaded",
            from_snapshot=self.resumed,
            events=self.folded,
            obligations=len(self.state.obligations),
            scorecards=len(self.published),
            undecodable=self.undecodable,
            clock=self.state.clock.isoformat() if self.state.clock else None,
        )

    def _fold_batches(self, batches: Mapping[TopicPartition, Sequence[Any]]) -> None:
        for tp, messages in batches.items():
            if messages:
                self.positions[(tp.topic, tp.partition)] = messages[-1].offset + 1
            wanted = WANTED[self.names[tp.topic]]
            codec = self.codecs[tp.topic]
            for message in messages:
                value = message.value
                if value is None:
                    continue
                if wanted is not None and not any(w in value for w in wanted):
                    continue
                try:
                    event = codec.decode(value).event
                except DecodeError as exc:
                    self.undecodable += 1
                    log.warning(
                        "assessment_undecodable",
                        topic=tp.topic,
                        partition=tp.partition,
                        offset=message.offset,
                        reason_code=exc.code,
                    )
                    continue
                self.folded += 1
                if isinstance(event, ScorecardPublished):
                    self._published(event)
                else:
                    rules.fold(self.state, event)

    def _published(self, card: ScorecardPublished) -> None:
        key = (card.county, card.period)
        known = self.published.get(key)
        if known is None or card.revision > known.revision:
            self.published[key] = card

    # --- running ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Load (from the snapshot and the log after it), publish what the log says, then
        follow it until ``stop`` is set."""
        await self._start_consumer(resume=True)
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            enable_idempotence=True,
            **self.client_options,
        )
        await producer.start()
        self._producer = producer
        try:
            await self._catch_up()
            await self._publish(at_start=True, stop=stop)
            await self._save()
            self.caught_up.set()
            while not stop.is_set():
                batches = await self._reader.fetch(
                    timeout_ms=self.poll_timeout_ms, max_records=self.max_records
                )
                if batches:
                    self._fold_batches(batches)
                    await self._publish(at_start=False, stop=stop)
                if time.monotonic() - self._saved_at >= self.snapshot_interval_s:
                    await self._save()
            await self._save()
        finally:
            await self.close()
            log.info("assessment_stopped", events=self.folded, scorecards_sent=self.sent)

    async def _save(self) -> None:
        """The fold, the published revisions and the positions to disk, together. Only
        between batches: then the fold is exactly that of every input before the positions,
        and every revision it publishes from them is acknowledged."""
        self._saved_at = time.monotonic()
        if self.snapshot is None:
            return
        saved = assessment_snapshot.Snapshot(self.state, self.published, dict(self.positions))
        started = time.perf_counter()
        written = assessment_snapshot.save(self.snapshot, saved, self._print)
        log.info(
            "assessment_snapshot_saved",
            bytes=written,
            positions=sum(self.positions.values()),
            seconds=round(time.perf_counter() - started, 3),
        )

    async def _publish(self, *, at_start: bool, stop: asyncio.Event) -> None:
        cards = rules.publications(
            self.state, self.published, self.config, region=self.region, at_start=at_start
        )
        if not cards:
            return
        await self._send(cards, stop)
        for card in cards:
            self._published(card)
        self.sent += len(cards)
        log.info(
            "scorecards_published",
            count=len(cards),
            periods=sorted({c.period for c in cards}),
            revisions=sum(1 for c in cards if c.revision > 1),
        )

    async def _send(self, cards: list[ScorecardPublished], stop: asyncio.Event) -> None:
        """Send every card and wait for the acks; retry (same ids) until it works or stop."""
        backoff, attempt = INITIAL_BACKOFF_S, 0
        while True:
            try:
                futures = [
                    await self._producer.send(
                        self.scorecard_topic,
                        value=codec_module.encode(card),
                        key=card.county.encode(),
                    )
                    for card in cards
                ]
                await asyncio.gather(*futures)
                return
            except (KafkaError, TimeoutError) as exc:
                attempt += 1
                log.warning("scorecard_send_retry", attempt=attempt, error=repr(exc))
                if stop.is_set():
                    raise
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def close(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()
        await self._reader.close()

    # --- topics ----------------------------------------------------------------------------

    async def _open_reader(self) -> None:
        try:
            self._partitions = await self._reader.open_topics(
                list(self.codecs), wait_s=self.topic_wait_s
            )
        except TopicsNotFound:
            raise AssessmentError(
                f"topics {sorted(self.codecs)} not all found within {self.topic_wait_s}s: "
                "create them first (streams.admin.ensure_topics)"
            ) from None
