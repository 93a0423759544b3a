"""What a bulletin reads of the log, folded record by record. Pure: no I/O, no wall clock.

:class:`LogFold` takes raw records of the three topics a bulletin is computed from, in
offset order per partition, and keeps:

* the assessment's own fold (:func:`agents.assessment_rules.fold`) of the obligations,
  the agreement coverage on the alerts topic and the ``inquiry_sent`` and
  ``arrival_not_found`` events of the validated topic (what the assessment service folds);
* the logical clock: the newest ``clock_ticked`` read, the instant the data was taken at;
* the campaigns (清理清查): their opening, extensions and closing, each task's assignment
  and its first result, and the progress the agents published;
* per partition, the next offset read and a SHA-256 over every record read (its offset and
  bytes, decoded or not), so that a verifier can tell whether a log still holds the same
  records up to the same positions.

Which records are decoded is decided by a byte check before any JSON parse, as the
assessment service does. The figures depend only on which records were read, not on the
order partitions were read in: the assessment fold is order-free, campaign events are
broadcast copies folded by event id, and a task's events share its person's partition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agents import assessment_rules
from agents.assessment import WANTED as ASSESSMENT_WANTED
from agents.assessment_state import AssessmentState
from contracts import unions
from contracts.campaign_book import CAMPAIGN_EVENTS, Campaign, CampaignBook
from contracts.events.campaigns import VerificationResultReported, VerificationTaskAssigned
from contracts.events.clock import ClockTicked
from contracts.events.derived import CampaignProgressPublished
from disclosure.bulletin.positions import TOPICS, Positions
from streams import topics
from streams.codec import Codec, DecodeError

# Beyond what the assessment folds: the clock and the campaigns.
_EXTRA: dict[str, tuple[bytes, ...]] = {
    topics.ALERTS.name: (b"campaign_progress_published",),
    topics.VALIDATED.name: (
        b"clock_ticked",
        b"campaign_opened",
        b"campaign_extended",
        b"campaign_closed",
        b"verification_result_reported",
    ),
}
_UNIONS: dict[str, Any] = {
    topics.OBLIGATIONS.name: unions.ObligationEvent,
    topics.ALERTS.name: unions.AlertEvent,
    topics.VALIDATED.name: unions.CountyEvent,
}


def wanted(topic: str) -> tuple[bytes, ...] | None:
    """Byte markers of the records worth decoding on ``topic``; None: every record."""
    base = ASSESSMENT_WANTED[topic]
    if base is None:
        return None
    return base + _EXTRA.get(topic, ())


@dataclass(frozen=True, slots=True)
class TaskRecord:
    campaign_id: str
    check: str
    assignee: str


@dataclass(slots=True)
class Campaigns:
    # The campaigns' life cycle, folded by the one rule (broadcast copies once, by event id).
    book: CampaignBook = field(default_factory=CampaignBook)
    tasks: dict[str, TaskRecord] = field(default_factory=dict)  # task id -> its assignment
    results: dict[str, str] = field(default_factory=dict)  # task id -> first result reported
    progress: list[CampaignProgressPublished] = field(default_factory=list)

    @property
    def campaigns(self) -> Mapping[str, Campaign]:
        return self.book.campaigns


@dataclass(slots=True)
class LogFold:
    assessment: AssessmentState = field(default_factory=AssessmentState)
    clock: dt.datetime | None = None  # the newest clock tick read
    campaigns: Campaigns = field(default_factory=Campaigns)
    next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    hashes: dict[tuple[str, int], Any] = field(default_factory=dict)  # running sha256
    undecodable: int = 0
    # The largest record decoded: topics.read_limit of the deployment's LIUDONG_MAX_EVENT_BYTES.
    max_record_bytes: int = topics.READ_LIMIT_BYTES
    _codecs: dict[str, Codec[Any]] = field(default_factory=dict)

    def absorb(self, topic: str, partition: int, offset: int, value: bytes | None) -> None:
        """Fold one record of ``topic`` (a name of :data:`positions.TOPICS`)."""
        key = (topic, partition)
        digest = self.hashes.get(key)
        if digest is None:
            digest = self.hashes[key] = hashlib.sha256()
        body = value if value is not None else b""
        digest.update(b"%d:%d:" % (offset, -1 if value is None else len(body)) + body)
        self.next_offsets[key] = offset + 1
        if value is None:
            return
        markers = wanted(topic)
        if markers is not None and not any(m in value for m in markers):
            return
        codec = self._codecs.get(topic)
        if codec is None:
            codec = self._codecs[topic] = Codec(_UNIONS[topic], max_bytes=self.max_record_bytes)
        try:
            event = codec.decode(value).event
        except DecodeError:
            self.undecodable += 1  # the agents wrote it; a newer schema would land here
            return
        self._event(event)

    def read_up_to(self, topic: str, partition: int, end: int) -> None:
        """Record that ``topic``/``partition`` was read up to ``end`` (offsets a partition
        skips, such as transaction markers, hold no record)."""
        key = (topic, partition)
        self.next_offsets[key] = max(self.next_offsets.get(key, 0), end)
        self.hashes.setdefault(key, hashlib.sha256())

    def _event(self, event: Any) -> None:
        if isinstance(event, ClockTicked):
            if self.clock is None or event.occurred_at > self.clock:
                self.clock = event.occurred_at
            return
        if isinstance(event, CAMPAIGN_EVENTS):
            self.campaigns.book = self.campaigns.book.apply(event)
            return
        if isinstance(event, VerificationTaskAssigned):
            self.campaigns.tasks.setdefault(
                event.task_id, TaskRecord(event.campaign_id, event.check, event.assignee_county)
            )
        elif isinstance(event, VerificationResultReported):
            self.campaigns.results.setdefault(event.task_id, event.result)
            return
        elif isinstance(event, CampaignProgressPublished):
            self.campaigns.progress.append(event)
            return
        assessment_rules.fold(self.assessment, event)

    # --- what was read ---------------------------------------------------------------------

    def positions(self) -> Positions:
        """The offsets read up to, per topic and partition (partitions 0..n-1)."""
        out: dict[str, tuple[int, ...]] = {}
        for t in TOPICS:
            parts = sorted(p for (topic, p) in self.next_offsets if topic == t)
            out[t] = tuple(self.next_offsets[(t, p)] for p in parts)
        return out

    def log_digests(self) -> dict[str, list[str]]:
        """Per topic, the SHA-256 of each partition's records read, partitions in order."""
        out: dict[str, list[str]] = {}
        for t in TOPICS:
            parts = sorted(p for (topic, p) in self.hashes if topic == t)
            out[t] = [self.hashes[(t, p)].hexdigest() for p in parts]
        return out
